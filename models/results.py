"""Score results with the rule snapshot they were computed with, their details, and objections."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import (
    CATEGORY_SOURCES,
    OBJECTION_STATUSES,
    RATER_ROLES,
    SCORE_STATUSES,
    Score,
    TimestampMixin,
    copies_parent_period,
    db,
    in_check,
)
from .people import Employee

RESULT_KEY = ("id", "period_id")
# a result's plan, with the period, employee and unit (OPD) the result holds: one foreign key keeps them
# the plan's (migration 0014; the unit follows a correction of the plan's unit, ON UPDATE CASCADE)
PLAN_KEY = ("work_plan_id", "period_id", "employee_id", "unit_id")
REFERENCING_KEY = ("result_id", "period_id")
REFERENCED = [f"score_result.{c}" for c in RESULT_KEY]


class ScoreResult(TimestampMixin, db.Model):
    __tablename__ = "score_result"
    __table_args__ = (
        UniqueConstraint("period_id", "employee_id"),
        # the key details and objections refer to a result by: with its period, because on PostgreSQL
        # score_result is partitioned by period and a key there must hold the period (migration 0013)
        UniqueConstraint(*RESULT_KEY),
        ForeignKeyConstraint(PLAN_KEY, ["work_plan.id", "work_plan.period_id", "work_plan.employee_id",
                                        "work_plan.unit_id"], onupdate="CASCADE"),
        Index("ix_score_result_plan_key", *PLAN_KEY),
        CheckConstraint(in_check("status", SCORE_STATUSES), name="status"),
        CheckConstraint("hasil_source IS NULL OR " + in_check("hasil_source", CATEGORY_SOURCES), name="hasil_source"),
        CheckConstraint("perilaku_source IS NULL OR " + in_check("perilaku_source", CATEGORY_SOURCES),
                        name="perilaku_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # period_id is indexed by the leading column of the unique (period_id, employee_id) constraint;
    # period, employee and unit are checked through the plan's key (PLAN_KEY: the plan's own foreign
    # keys hold them), so one key is checked per inserted result instead of four
    period_id: Mapped[int] = mapped_column()
    employee_id: Mapped[int] = mapped_column(index=True)
    work_plan_id: Mapped[int] = mapped_column()
    unit_id: Mapped[int] = mapped_column(index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id"))
    scheme_version: Mapped[int] = mapped_column(Integer)
    skp_value: Mapped[Optional[Decimal]] = mapped_column(Score)
    behaviour_value: Mapped[Optional[Decimal]] = mapped_column(Score)
    atasan_avg: Mapped[Optional[Decimal]] = mapped_column(Score)
    rekan_avg: Mapped[Optional[Decimal]] = mapped_column(Score)
    bawahan_avg: Mapped[Optional[Decimal]] = mapped_column(Score)
    diri_avg: Mapped[Optional[Decimal]] = mapped_column(Score)
    masyarakat_avg: Mapped[Optional[Decimal]] = mapped_column(Score)
    final_value: Mapped[Optional[Decimal]] = mapped_column(Score)
    hasil_category: Mapped[Optional[str]] = mapped_column(String(10))
    perilaku_category: Mapped[Optional[str]] = mapped_column(String(10))
    predicate: Mapped[Optional[str]] = mapped_column(String(60), index=True)
    # Inputs the engine used, as they were when scoring ran (the inspector workbook states them):
    # innovation recorded on the plan, structural position, where each matrix category came from,
    # and the public's ratings of the employee (responses, sum of the 1-4 answers) when they counted.
    innovation: Mapped[Optional[bool]] = mapped_column(Boolean)
    structural: Mapped[Optional[bool]] = mapped_column(Boolean)
    hasil_source: Mapped[Optional[str]] = mapped_column(String(10))
    perilaku_source: Mapped[Optional[str]] = mapped_column(String(10))
    public_responses: Mapped[Optional[int]] = mapped_column(Integer)
    public_score_sum: Mapped[Optional[int]] = mapped_column(Integer)
    # Why a value is missing or how it was decided (missing data, out of range, lowest band), Indonesian
    note: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="computed", index=True)
    computed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    period = relationship("Period", primaryjoin="foreign(ScoreResult.period_id) == Period.id")
    employee: Mapped[Employee] = relationship(primaryjoin="foreign(ScoreResult.employee_id) == Employee.id")
    work_plan = relationship("WorkPlan", primaryjoin="foreign(ScoreResult.work_plan_id) == WorkPlan.id")
    unit = relationship("Unit", primaryjoin="foreign(ScoreResult.unit_id) == Unit.id")
    scheme = relationship("ScoringScheme")
    approved_by = relationship("User")
    details: Mapped[list["ScoreDetail"]] = relationship(
        back_populates="result", cascade="all, delete-orphan",
        primaryjoin="ScoreResult.id == foreign(ScoreDetail.result_id)")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.employee.name if self.employee else '?'}: {self.predicate or '-'}"


class ScoreDetail(db.Model):
    """Per rater role and aspect averages behind a result (explanation and inspector recompute)."""

    __tablename__ = "score_detail"
    __table_args__ = (
        # (result_id, period_id) lead: the index serves the lookups by result and the foreign key
        UniqueConstraint("result_id", "period_id", "role", "aspect_id"),
        ForeignKeyConstraint(REFERENCING_KEY, REFERENCED, ondelete="CASCADE"),
        CheckConstraint(in_check("role", RATER_ROLES), name="role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column()
    period_id: Mapped[int] = mapped_column()  # the result's, copied (models.base.copies_parent_period)
    role: Mapped[str] = mapped_column(String(12))
    aspect_id: Mapped[int] = mapped_column(ForeignKey("behaviour_aspect.id"))
    average: Mapped[Decimal] = mapped_column(Score)
    raters: Mapped[int] = mapped_column(Integer)

    result: Mapped[ScoreResult] = relationship(
        back_populates="details", primaryjoin="ScoreResult.id == foreign(ScoreDetail.result_id)")
    aspect = relationship("BehaviourAspect")


class Objection(TimestampMixin, db.Model):
    """Keberatan: filed by the employee within the window, decided by the rater's superior."""

    __tablename__ = "objection"
    __table_args__ = (
        UniqueConstraint("result_id"),
        # RESTRICT, not NO ACTION: a result with an objection cannot go either way, and PostgreSQL then
        # skips looking for another result with the same key for every result a rerun deletes
        ForeignKeyConstraint(REFERENCING_KEY, REFERENCED, ondelete="RESTRICT"),
        CheckConstraint(in_check("status", OBJECTION_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(index=True)
    period_id: Mapped[int] = mapped_column()  # the result's, copied (models.base.copies_parent_period)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    decider_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="filed", index=True)
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    new_predicate: Mapped[Optional[str]] = mapped_column(String(60))
    new_value: Mapped[Optional[Decimal]] = mapped_column(Score)
    # the result as it stood before an accepted decision changed it
    old_predicate: Mapped[Optional[str]] = mapped_column(String(60))
    old_value: Mapped[Optional[Decimal]] = mapped_column(Score)

    result: Mapped[ScoreResult] = relationship(primaryjoin="ScoreResult.id == foreign(Objection.result_id)")
    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    decider: Mapped[Optional[Employee]] = relationship(foreign_keys=[decider_id])
    decided_by = relationship("User")


# details and objections carry their result's period (the composite foreign key checks the pair)
copies_parent_period(ScoreDetail, ScoreResult, "result_id")
copies_parent_period(Objection, ScoreResult, "result_id")
