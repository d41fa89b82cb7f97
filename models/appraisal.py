"""Appraisal facts per period: periods, work plans (SKP), targets (RHK), indicators, realisations."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from .base import (
    CATEGORIES,
    PERIOD_STATUSES,
    PLAN_STATUSES,
    TARGET_ASPECTS,
    TimestampMixin,
    Value,
    copies_parent_period,
    db,
    in_check,
)
from .people import Employee


def period_key(table: str, parent: str, column: str) -> tuple:
    """The constraints of a row of `table` that carries its parent's period (issue 19): the foreign key
    (<column>, period_id) -> <parent> (id, period_id), which holds the copy equal to the parent's
    (cascading updates and deletes), and its index (the one MariaDB needs under a composite key)."""
    return (ForeignKeyConstraint([column, "period_id"], [f"{parent}.id", f"{parent}.period_id"],
                                 onupdate="CASCADE", ondelete="CASCADE"),
            Index(f"ix_{table}_{column}_period_id", column, "period_id"))


class Period(TimestampMixin, db.Model):
    """Periode penilaian, addressed by a short code such as ``2025``."""

    __tablename__ = "period"
    __table_args__ = (CheckConstraint(in_check("status", PERIOD_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    scheme_id: Mapped[Optional[int]] = mapped_column(ForeignKey("scoring_scheme.id"), index=True)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # the ends of the period's stages, for deadline reminders (kinerja_admin.notify.reminders): plans
    # submitted and approved by `planning_until`, realised by `end_date`, assessed by `assessment_until`
    planning_until: Mapped[Optional[dt.date]] = mapped_column(Date)
    assessment_until: Mapped[Optional[dt.date]] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    scheme = relationship("ScoringScheme")

    __mapper_args__ = {"version_id_col": version}

    @property
    def locked(self) -> bool:
        return self.status == "closed"

    def __str__(self) -> str:
        return f"{self.code} - {self.name}"


class WorkPlan(TimestampMixin, db.Model):
    """SKP: one employee's plan in one period, with the rater (pejabat penilai) and their superior."""

    __tablename__ = "work_plan"
    __table_args__ = (
        UniqueConstraint("period_id", "employee_id"),
        # the key its targets refer to it by (with the period they carry)
        UniqueConstraint("id", "period_id"),
        # the key a result refers to its plan by (models.results.PLAN_KEY)
        UniqueConstraint("id", "period_id", "employee_id", "unit_id"),
        CheckConstraint(in_check("status", PLAN_STATUSES), name="status"),
        CheckConstraint("hasil_rating IS NULL OR " + in_check("hasil_rating", CATEGORIES), name="hasil"),
        CheckConstraint(
            "perilaku_rating IS NULL OR " + in_check("perilaku_rating", CATEGORIES), name="perilaku"
        ),
        # the list's default order (newest period, newest plan first) read straight from an index
        Index("ix_work_plan_period_id_id", "period_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    rater_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    rater_superior_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    # Snapshot of the organisation at plan time (the employee may move later).
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    position_id: Mapped[Optional[int]] = mapped_column(ForeignKey("position.id"))
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    return_reason: Mapped[Optional[str]] = mapped_column(Text)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    # PermenPANRB 6/2022: the rater's judgement (suggested from numbers, confirmed by the rater)
    hasil_rating: Mapped[Optional[str]] = mapped_column(String(10))
    perilaku_rating: Mapped[Optional[str]] = mapped_column(String(10))
    innovation: Mapped[bool] = mapped_column(Boolean, default=False)  # innovation recorded
    innovation_note: Mapped[Optional[str]] = mapped_column(Text)
    feedback: Mapped[Optional[str]] = mapped_column(Text)  # rater's continuous feedback / umpan balik
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    # both are part of every plan's name (__str__): loaded in one batch for all plans of a query
    period: Mapped[Period] = relationship(lazy="selectin")
    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id], lazy="selectin")
    rater: Mapped[Optional[Employee]] = relationship(foreign_keys=[rater_id])
    rater_superior: Mapped[Optional[Employee]] = relationship(foreign_keys=[rater_superior_id])
    unit = relationship("Unit")
    position = relationship("Position")
    approved_by = relationship("User")
    targets: Mapped[list["Target"]] = relationship(
        back_populates="work_plan", cascade="all, delete-orphan", order_by="Target.seq"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        emp = self.employee.name if self.employee else "?"
        per = self.period.code if self.period else "?"
        return f"SKP {per} - {emp}"


class Target(TimestampMixin, db.Model):
    """Rencana Hasil Kerja (RHK): a planned result with one or more indicators."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("work_plan_id", "seq"), UniqueConstraint("id", "period_id"),
                      *period_key("target", "work_plan", "work_plan_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    work_plan_id: Mapped[int] = mapped_column()
    # the plan's period, copied (models.base.copies_parent_period) and held equal to it by the key
    # (work_plan_id, period_id)
    period_id: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text)  # RHK text
    # RHK of the rater that this result supports (cascading, "intervensi")
    parent_target_id: Mapped[Optional[int]] = mapped_column(ForeignKey("target.id"), index=True)
    # the OPD head's RHK: the organisation indicator (IKU or program indicator) it realises
    # (kinerja_admin.planning.cascade.check_cascade_link decides which links are valid)
    org_indicator_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_indicator.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False, server_default="1")

    work_plan: Mapped[WorkPlan] = relationship(back_populates="targets")
    parent_target: Mapped[Optional["Target"]] = relationship(remote_side=[id], foreign_keys=[parent_target_id])
    org_indicator = relationship("OrgIndicator")
    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="target", cascade="all, delete-orphan", order_by="Indicator.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.description[:80]


class Indicator(TimestampMixin, db.Model):
    """Indikator kinerja: one measurable aspect of a target with its target value and formula."""

    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint(in_check("aspect", TARGET_ASPECTS), name="aspect"),
        CheckConstraint("target_value >= 0", name="target_nonneg"),
        UniqueConstraint("id", "period_id"),
        *period_key("indicator", "target", "target_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column()
    period_id: Mapped[int] = mapped_column()  # the target's (see Target.period_id)
    aspect: Mapped[str] = mapped_column(String(10), default="kuantitas")
    description: Mapped[str] = mapped_column(Text)
    target_value: Mapped[Decimal] = mapped_column(Value)
    unit_label: Mapped[str] = mapped_column(String(40), default="")  # satuan: laporan, bulan, %, Rp
    lower_is_better: Mapped[bool] = mapped_column(Boolean, default=False)
    # Name of a built-in formula (kinerja_admin.scoring.formulas) allowed by the period's scheme
    formula_code: Mapped[Optional[str]] = mapped_column(String(40))

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False, server_default="1")

    target: Mapped[Target] = relationship(back_populates="indicators")
    realisations: Mapped[list["Realisation"]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="Realisation.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.description[:80]


class Realisation(TimestampMixin, db.Model):
    """Realisasi with evidence (bukti dukung). The latest row per indicator is the one scored."""

    __tablename__ = "realisation"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_nonneg"),
        # the key evidence files refer to it by: with its period, because on PostgreSQL realisation is
        # partitioned by period and a key there must hold the period (migration 0015)
        UniqueConstraint("id", "period_id"),
        *period_key("realisation", "indicator", "indicator_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column()
    period_id: Mapped[int] = mapped_column()  # the indicator's (see Target.period_id)
    value: Mapped[Decimal] = mapped_column(Value)
    evidence_url: Mapped[Optional[str]] = mapped_column(String(500))
    evidence_note: Mapped[Optional[str]] = mapped_column(Text)
    feedback: Mapped[Optional[str]] = mapped_column(Text)  # the rater's feedback on this evidence
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    # the annual realisation derived from the periodic ones (scheme setting annual_from_periodic),
    # written by kinerja_admin.periodic, never by hand
    derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False, server_default="1")

    indicator: Mapped[Indicator] = relationship(back_populates="realisations")
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.value}"


class TargetJudgement(TimestampMixin, db.Model):
    """The rater's judgement of one RHK (PermenPANRB 6/2022): di atas / sesuai / di bawah ekspektasi,
    with feedback. The overall ratings stay on the work plan (hasil_rating, perilaku_rating)."""

    __tablename__ = "target_judgement"
    __table_args__ = (CheckConstraint(in_check("category", CATEGORIES), name="category"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("target.id", ondelete="CASCADE"), unique=True)
    category: Mapped[str] = mapped_column(String(10))
    feedback: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False, server_default="1")

    # deleted with its RHK (through the ORM, so the guard and the audit trail see it)
    target: Mapped[Target] = relationship(backref=backref("judgement", uselist=False, cascade="all, delete-orphan"))
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}


# Evidence files live in the database: one transaction with the realisation, the same backups, every
# worker sees them, and they are served only through the SKP page (row scope). MariaDB's BLOB holds
# 64 KB, so LONGBLOB there.
Blob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class EvidenceFile(TimestampMixin, db.Model):
    """A file of bukti dukung attached to a realisation (type and size checked by kinerja_admin.skp.evidence)."""

    __tablename__ = "evidence_file"
    __table_args__ = period_key("evidence_file", "realisation", "realisation_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    realisation_id: Mapped[int] = mapped_column()
    period_id: Mapped[int] = mapped_column()  # the realisation's (see Target.period_id)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # never loaded with the row's other columns (lists, cascades): only when the file is served
    content: Mapped[bytes] = mapped_column(Blob, deferred=True)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))

    realisation: Mapped[Realisation] = relationship(
        backref=backref("files", cascade="all, delete-orphan", order_by="EvidenceFile.id"))
    recorded_by = relationship("User")

    def __str__(self) -> str:
        return self.filename


# an SKP's content carries its plan's period, parent by parent (migration 0015)
copies_parent_period(Target, WorkPlan, "work_plan_id")
copies_parent_period(Indicator, Target, "target_id")
copies_parent_period(Realisation, Indicator, "indicator_id")
copies_parent_period(EvidenceFile, Realisation, "realisation_id")
