"""360-degree behaviour ratings: who rates whom in a period, and the ratings per aspect."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import RATER_ROLES, Score, TimestampMixin, db, in_check
from .people import Employee


class RaterAssignment(TimestampMixin, db.Model):
    """Penugasan penilai: rater rates ratee in a role (atasan, rekan, bawahan, diri, masyarakat).

    For the masyarakat role ``rater_id`` is NULL: public feedback is aggregated into it.
    """

    __tablename__ = "rater_assignment"
    __table_args__ = (
        UniqueConstraint("period_id", "ratee_id", "rater_id", "role"),
        CheckConstraint(in_check("role", RATER_ROLES), name="role"),
        CheckConstraint("status IN ('pending', 'submitted')", name="status"),
        # scoring reads a period's submitted assignments in (ratee, role) order from this index alone
        Index("ix_rater_assignment_scoring", "period_id", "status", "ratee_id", "role", "id"),
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
        back_populates="assignment", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.role}: {self.ratee.name if self.ratee else '?'}"


class BehaviourRating(TimestampMixin, db.Model):
    """One rater's value for one behaviour aspect of the period's scheme."""

    __tablename__ = "behaviour_rating"
    __table_args__ = (
        UniqueConstraint("assignment_id", "aspect_id"),
        # covering: scoring reads an assignment's ratings (aspect, value) from the index alone
        Index("ix_behaviour_rating_scoring", "assignment_id", "aspect_id", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("rater_assignment.id", ondelete="CASCADE"), index=True
    )
    aspect_id: Mapped[int] = mapped_column(ForeignKey("behaviour_aspect.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Score)
    comment: Mapped[Optional[str]] = mapped_column(Text)

    assignment: Mapped[RaterAssignment] = relationship(back_populates="ratings")
    aspect = relationship("BehaviourAspect")


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
