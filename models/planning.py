"""Organisational performance as data: the performance agreement (Perjanjian Kinerja) of an OPD with
its strategic goals (sasaran strategis) and their indicators (IKU), the programs / activities /
sub-activities (program, kegiatan, sub-kegiatan of the regional planning nomenclature) with their
indicators, targets, quarterly realisations and budget, and recorded policy or program changes.

Every planning row belongs to one period and one OPD (a top-level unit). Agreements, programs and
indicators carry ``period_id`` and ``unit_id`` themselves (an indicator copies them from its goal's
agreement or its program: kinerja_admin.planning.rules keeps them equal); goals and realisations
reach theirs through their parent. Rules live in kinerja_admin.planning, not here.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, Value, Weight, db, in_check

Money = Numeric(18, 2)

PROGRAM_LEVELS = {"program": "Program", "kegiatan": "Kegiatan", "subkegiatan": "Sub Kegiatan"}
# the level a node's parent must have (a program has no parent)
PARENT_LEVEL = {"program": None, "kegiatan": "program", "subkegiatan": "kegiatan"}
INDICATOR_KINDS = {"iku": "IKU (sasaran strategis)", **{k: f"Indikator {v.lower()}" for k, v in PROGRAM_LEVELS.items()}}
QUARTERS = {1: "Triwulan I", 2: "Triwulan II", 3: "Triwulan III", 4: "Triwulan IV"}
POLICY_KINDS = {"kebijakan": "Kebijakan", "program": "Program"}


class PerformanceAgreement(TimestampMixin, db.Model):
    """Perjanjian Kinerja of one OPD for one period, signed by its head."""

    __tablename__ = "performance_agreement"
    __table_args__ = (UniqueConstraint("period_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # period_id is indexed by the leading column of the unique (period_id, unit_id) constraint
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the OPD (a top-level unit)
    signed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    signatory_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    note: Mapped[Optional[str]] = mapped_column(Text)

    period = relationship("Period", lazy="selectin")
    unit = relationship("Unit", lazy="selectin")
    signatory = relationship("Employee")
    goals: Mapped[list["StrategicGoal"]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="StrategicGoal.code"
    )

    def __str__(self) -> str:
        per = self.period.code if self.period else "?"
        opd = self.unit.name if self.unit else "?"
        return f"PK {per} - {opd}"


class StrategicGoal(TimestampMixin, db.Model):
    """Sasaran strategis of an agreement; its indicators are the IKU."""

    __tablename__ = "strategic_goal"
    __table_args__ = (UniqueConstraint("agreement_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("performance_agreement.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))  # e.g. SS1
    description: Mapped[str] = mapped_column(Text)

    agreement: Mapped[PerformanceAgreement] = relationship(back_populates="goals")

    def __str__(self) -> str:
        return f"{self.code} {self.description[:70]}"


class Program(TimestampMixin, db.Model):
    """A node of the planning nomenclature: program > kegiatan > sub-kegiatan, with its budget."""

    __tablename__ = "program"
    __table_args__ = (
        UniqueConstraint("period_id", "unit_id", "code"),
        CheckConstraint(in_check("level", PROGRAM_LEVELS), name="level"),
        CheckConstraint("budget_ceiling IS NULL OR budget_ceiling >= 0", name="ceiling_nonneg"),
        CheckConstraint("budget_realised IS NULL OR budget_realised >= 0", name="realised_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # period_id is indexed by the leading column of the unique (period_id, unit_id, code) constraint
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the OPD
    level: Mapped[str] = mapped_column(String(12), default="program")
    code: Mapped[str] = mapped_column(String(40))  # nomenclature code, e.g. 1.02.02 / 1.02.02.2.01
    name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("program.id"), index=True)
    goal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("strategic_goal.id"), index=True)
    budget_ceiling: Mapped[Optional[Decimal]] = mapped_column(Money)  # pagu anggaran (Rp)
    budget_realised: Mapped[Optional[Decimal]] = mapped_column(Money)  # realisasi anggaran (Rp)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    period = relationship("Period")
    unit = relationship("Unit")
    parent: Mapped[Optional["Program"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Program"]] = relationship(back_populates="parent", order_by="Program.code")
    goal = relationship("StrategicGoal")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.code} {self.name[:80]}"


class OrgIndicator(TimestampMixin, db.Model):
    """An indicator of organisational performance: an IKU (of a strategic goal) or the indicator of a
    program / kegiatan / sub-kegiatan, with its target for the period. The OPD head's RHK links here
    (Target.org_indicator_id)."""

    __tablename__ = "org_indicator"
    __table_args__ = (
        UniqueConstraint("period_id", "unit_id", "code"),
        CheckConstraint("(goal_id IS NULL AND program_id IS NOT NULL) OR (goal_id IS NOT NULL AND program_id IS NULL)",
                        name="one_parent"),
        CheckConstraint("target_value >= 0", name="target_nonneg"),
        CheckConstraint("weight IS NULL OR weight > 0", name="weight_pos"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # period_id is indexed by the leading column of the unique (period_id, unit_id, code) constraint
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the OPD, copied from the parent
    goal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("strategic_goal.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[Optional[int]] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # stable across periods: the trend follows it
    description: Mapped[str] = mapped_column(Text)
    unit_label: Mapped[str] = mapped_column(String(40), default="")  # satuan: %, orang, dokumen
    target_value: Mapped[Decimal] = mapped_column(Value)
    lower_is_better: Mapped[bool] = mapped_column(Boolean, default=False)
    # weight when indicators are combined into a program / goal figure; NULL counts as 1
    weight: Mapped[Optional[Decimal]] = mapped_column(Weight)
    # the public service whose IKM this indicator concerns (else the OPD's IKM is shown)
    service_id: Mapped[Optional[int]] = mapped_column(ForeignKey("public_service.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    period = relationship("Period")
    unit = relationship("Unit")
    goal = relationship("StrategicGoal")
    program = relationship("Program")
    service = relationship("PublicService")
    realisations: Mapped[list["OrgRealisation"]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="OrgRealisation.quarter"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind(self) -> str:
        if self.goal_id is not None:
            return "iku"
        return self.program.level if self.program is not None else "program"

    def __str__(self) -> str:
        return f"{self.code} {self.description[:80]}"


class OrgRealisation(TimestampMixin, db.Model):
    """Realisation of an organisation indicator, cumulative up to (s.d.) the quarter: the period's
    realisation is the latest quarter recorded."""

    __tablename__ = "org_realisation"
    __table_args__ = (
        UniqueConstraint("indicator_id", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
        CheckConstraint("value >= 0", name="value_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # indicator_id is indexed by the leading column of the unique (indicator_id, quarter) constraint
    indicator_id: Mapped[int] = mapped_column(ForeignKey("org_indicator.id", ondelete="CASCADE"))
    quarter: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[Decimal] = mapped_column(Value)
    evidence_url: Mapped[Optional[str]] = mapped_column(String(500))
    note: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    indicator: Mapped[OrgIndicator] = relationship(back_populates="realisations")
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{QUARTERS.get(self.quarter, self.quarter)}: {self.value}"


policy_change_unit = Table(
    "policy_change_unit",
    db.Model.metadata,
    Column("policy_change_id", ForeignKey("policy_change.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)


class PolicyChange(TimestampMixin, db.Model):
    """A policy or program change recorded by an operator: name, effective date and the units it
    concerns. Its effect is measured by comparing the baseline period (before) with the comparison
    period (after); when they are not chosen they follow from the date (kinerja_admin.planning.impact)."""

    __tablename__ = "policy_change"
    __table_args__ = (CheckConstraint(in_check("kind", POLICY_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="kebijakan")
    effective_date: Mapped[dt.date] = mapped_column(Date, index=True)
    description: Mapped[Optional[str]] = mapped_column(Text)
    baseline_period_id: Mapped[Optional[int]] = mapped_column(ForeignKey("period.id"), index=True)
    comparison_period_id: Mapped[Optional[int]] = mapped_column(ForeignKey("period.id"), index=True)

    units = relationship("Unit", secondary=policy_change_unit, order_by="Unit.name")
    baseline_period = relationship("Period", foreign_keys=[baseline_period_id])
    comparison_period = relationship("Period", foreign_keys=[comparison_period_id])

    def __str__(self) -> str:
        return self.name
