"""360-degree behaviour ratings: who rates whom in a period, and the ratings per aspect."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import RATER_ROLES, Score, TimestampMixin, db, in_check
from .people import Employee

# An assignment's key as its ratings carry it (same order on both sides: MariaDB wants the referenced
# columns to lead an index in that order).
ASSIGNMENT_KEY = ("period_id", "status", "ratee_id", "role", "id")
RATING_KEY = ("period_id", "assignment_status", "ratee_id", "role", "assignment_id")


class RaterAssignment(TimestampMixin, db.Model):
    """Penugasan penilai: rater rates ratee in a role (atasan, rekan, bawahan, diri, masyarakat).

    For the masyarakat role ``rater_id`` is NULL: public feedback is aggregated into it.
    """

    __tablename__ = "rater_assignment"
    __table_args__ = (
        UniqueConstraint("period_id", "ratee_id", "rater_id", "role"),
        CheckConstraint(in_check("role", RATER_ROLES), name="role"),
        CheckConstraint("status IN ('pending', 'submitted')", name="status"),
        # the key each rating copies (see BehaviourRating): unique because it holds the id
        UniqueConstraint(*ASSIGNMENT_KEY),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    rater_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    period = relationship("Period")
    ratee: Mapped[Employee] = relationship(foreign_keys=[ratee_id], lazy="selectin")  # in __str__
    rater: Mapped[Optional[Employee]] = relationship(foreign_keys=[rater_id])
    ratings: Mapped[list["BehaviourRating"]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan",
        primaryjoin="RaterAssignment.id == foreign(BehaviourRating.assignment_id)",
    )

    def __str__(self) -> str:
        return f"{self.role}: {self.ratee.name if self.ratee else '?'}"


class BehaviourRating(TimestampMixin, db.Model):
    """One rater's value for one behaviour aspect of the period's scheme.

    A rating carries its assignment's period, status, ratee and role (:data:`RATING_KEY`), held equal
    to the assignment's by a composite foreign key that cascades updates: scoring reads a period's
    submitted ratings in (ratee, role) order from one covering index, without joining the
    assignments (issue 19). The ORM fills the copy on insert (:func:`_copy_assignment_key`); Core
    inserts pass it (:func:`rating_key`)."""

    __tablename__ = "behaviour_rating"
    __table_args__ = (
        # an aspect once per assignment (with the period: on PostgreSQL the table is partitioned by
        # period, and a unique key there must hold the partition key; the assignment fixes the period)
        UniqueConstraint("period_id", "assignment_id", "aspect_id"),
        ForeignKeyConstraint(RATING_KEY, [f"rater_assignment.{c}" for c in ASSIGNMENT_KEY],
                             onupdate="CASCADE", ondelete="CASCADE"),
        # covering, in scoring order: a period's submitted ratings per (ratee, role), with the aspect and
        # value, from the index alone; its first five columns also serve the composite foreign key
        Index("ix_behaviour_rating_scoring", *RATING_KEY, "aspect_id", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # the assignment: through the composite foreign key above (its id alone is not a unique key of a
    # partitioned rater_assignment on PostgreSQL)
    assignment_id: Mapped[int] = mapped_column(index=True)
    period_id: Mapped[int] = mapped_column()
    assignment_status: Mapped[str] = mapped_column(String(10))
    ratee_id: Mapped[int] = mapped_column()
    role: Mapped[str] = mapped_column(String(12))
    aspect_id: Mapped[int] = mapped_column(ForeignKey("behaviour_aspect.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Score)
    comment: Mapped[Optional[str]] = mapped_column(Text)

    assignment: Mapped[RaterAssignment] = relationship(
        back_populates="ratings", primaryjoin="RaterAssignment.id == foreign(BehaviourRating.assignment_id)")
    aspect = relationship("BehaviourAspect")


def rating_key(assignment) -> dict:
    """The key columns a rating copies from `assignment` (an object or row with its columns)."""
    return {k: getattr(assignment, c) for k, c in zip(RATING_KEY[:-1], ASSIGNMENT_KEY[:-1])}


@event.listens_for(BehaviourRating, "before_insert")
def _copy_assignment_key(mapper, connection, target) -> None:
    """An ORM insert copies the assignment's key (already flushed: the assignment is its parent)."""
    if target.assignment_id is None:
        return
    ra = RaterAssignment.__table__
    row = connection.execute(select(*[ra.c[c] for c in ASSIGNMENT_KEY[:-1]])
                             .where(ra.c.id == target.assignment_id)).one_or_none()
    if row is not None:
        for k, value in rating_key(row).items():
            setattr(target, k, value)


class SpecialExpectation(TimestampMixin, db.Model):
    """Ekspektasi khusus pimpinan: the rater's added expectation per behaviour value and employee."""

    __tablename__ = "special_expectation"
    __table_args__ = (UniqueConstraint("work_plan_id", "aspect_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    work_plan_id: Mapped[int] = mapped_column(ForeignKey("work_plan.id", ondelete="CASCADE"), index=True)
    aspect_id: Mapped[int] = mapped_column(ForeignKey("behaviour_aspect.id"))
    text: Mapped[str] = mapped_column(Text)
    category_hint: Mapped[Optional[str]] = mapped_column(String(10))

    work_plan = relationship("WorkPlan")
    aspect = relationship("BehaviourAspect")
