"""Performance managed through the year (issue 18): periodic evaluation windows with the employee's
periodic realisation and the rater's periodic judgement, continuous feedback threads and private
coaching notes, acting superiors (Plt/Plh delegations), and notifications with their preferences.

Who may write what is the record policy's (kinerja_admin.policy.rules); the services live in
kinerja_admin.periodic, kinerja_admin.feedback, kinerja_admin.delegation and kinerja_admin.notify.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from .base import CATEGORIES, TimestampMixin, Value, db, in_check, utcnow

# sub-periods of a period (PermenPANRB 6/2022: periodic evaluation, monthly / quarterly / semester)
FREQUENCIES = {"bulanan": "Bulanan", "triwulanan": "Triwulanan", "semesteran": "Semesteran"}
COACHING_KINDS = {"bimbingan": "Bimbingan", "konseling": "Konseling"}
DELEGATION_KINDS = {"plt": "Pelaksana Tugas (Plt)", "plh": "Pelaksana Harian (Plh)"}
# e-mail of a notification: none (not e-mailed), pending (the next send job), digest (the next
# digest), sending (claimed by one sender), sent, failed (refused by the server; never retried)
EMAIL_STATES = {"none": "Tidak dikirim", "pending": "Menunggu", "digest": "Menunggu ringkasan",
                "sending": "Sedang dikirim", "sent": "Terkirim", "failed": "Gagal"}
EMAIL_MODES = {"segera": "Segera, satu surel per pemberitahuan", "ringkasan": "Ringkasan harian",
               "mati": "Tidak menerima surel"}
OPTOUT_SCOPES = {"email": "Tanpa surel", "semua": "Tidak sama sekali"}


class SubPeriod(TimestampMixin, db.Model):
    """A window of periodic evaluation inside a period (Januari, Triwulan I, Semester I ...): the
    employee records its realisation and the rater judges each RHK from `start_date` until `due_date`."""

    __tablename__ = "sub_period"
    __table_args__ = (
        UniqueConstraint("period_id", "seq"),
        CheckConstraint(in_check("frequency", FREQUENCIES), name="frequency"),
        CheckConstraint("end_date >= start_date AND due_date >= end_date", name="dates"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    # the realisation and the rater's periodic judgement are due by this day (then the window closes)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)

    period = relationship("Period", backref=backref("sub_periods", order_by="SubPeriod.seq",
                                                    cascade="all, delete-orphan", passive_deletes=True))

    def __str__(self) -> str:
        return self.name


class PeriodicRealisation(TimestampMixin, db.Model):
    """What the employee achieved on one indicator within one window (not cumulative), with evidence."""

    __tablename__ = "periodic_realisation"
    __table_args__ = (
        UniqueConstraint("indicator_id", "sub_period_id"),
        CheckConstraint("value >= 0", name="value_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    sub_period_id: Mapped[int] = mapped_column(ForeignKey("sub_period.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Value)
    evidence_url: Mapped[Optional[str]] = mapped_column(String(500))
    evidence_note: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False, server_default="1")

    # deleted through the ORM with its indicator, so the record policy and the audit trail see it
    indicator = relationship("Indicator", backref=backref("periodic_realisations", cascade="all, delete-orphan"))
    sub_period: Mapped[SubPeriod] = relationship()
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}


class PeriodicJudgement(TimestampMixin, db.Model):
    """The rater's judgement of one RHK for one window (di atas / sesuai / di bawah ekspektasi) and the
    feedback given then."""

    __tablename__ = "periodic_judgement"
    __table_args__ = (
        UniqueConstraint("target_id", "sub_period_id"),
        CheckConstraint("category IS NULL OR " + in_check("category", CATEGORIES), name="category"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("target.id", ondelete="CASCADE"))
    sub_period_id: Mapped[int] = mapped_column(ForeignKey("sub_period.id"), index=True)
    category: Mapped[Optional[str]] = mapped_column(String(10))
    feedback: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False, server_default="1")

    target = relationship("Target", backref=backref("periodic_judgements", cascade="all, delete-orphan"))
    sub_period: Mapped[SubPeriod] = relationship()
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}


class FeedbackMessage(db.Model):
    """One message of the continuous-feedback thread of an SKP (target_id empty) or of one of its RHK:
    dated, kept in the record, never changed or removed once posted."""

    __tablename__ = "feedback_message"
    __table_args__ = (Index("ix_feedback_message_work_plan_id_id", "work_plan_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    work_plan_id: Mapped[int] = mapped_column(ForeignKey("work_plan.id", ondelete="CASCADE"))
    target_id: Mapped[Optional[int]] = mapped_column(ForeignKey("target.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # the author (stamped with the acting user by the record policy's guard)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    work_plan = relationship("WorkPlan", backref=backref("feedback_messages", cascade="all, delete-orphan",
                                                         order_by="FeedbackMessage.id"))
    target = relationship("Target", backref=backref("feedback_messages", cascade="all, delete-orphan"))
    recorded_by = relationship("User")


class CoachingNote(db.Model):
    """Bimbingan / konseling: the rater's private note for the employee. Seen by the two of them only
    (kinerja_admin.scope: even BKPSDM and auditors do not see it; the audit trail keeps no text)."""

    __tablename__ = "coaching_note"
    __table_args__ = (CheckConstraint(in_check("kind", COACHING_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    work_plan_id: Mapped[int] = mapped_column(ForeignKey("work_plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="bimbingan")
    body: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    work_plan = relationship("WorkPlan", backref=backref("coaching_notes", cascade="all, delete-orphan"))
    recorded_by = relationship("User")


class Delegation(TimestampMixin, db.Model):
    """Plt / Plh: from `start_date` to `end_date` (inclusive) `holder` has the rights of the superior it
    stands in for (`principal`; empty = a vacant post) over the plans of `unit` and its sub-units (empty =
    wherever the principal is rater, rater's superior or decider). kinerja_admin.delegation applies it
    inside the record policy."""

    __tablename__ = "delegation"
    __table_args__ = (
        CheckConstraint(in_check("kind", DELEGATION_KINDS), name="kind"),
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("principal_id IS NOT NULL OR unit_id IS NOT NULL", name="covers"),
        Index("ix_delegation_holder_id_end_date", "holder_id", "end_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), default="plt")
    holder_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    principal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    decree: Mapped[Optional[str]] = mapped_column(String(200))  # nomor surat perintah
    note: Mapped[Optional[str]] = mapped_column(Text)

    holder = relationship("Employee", foreign_keys=[holder_id])
    principal = relationship("Employee", foreign_keys=[principal_id])
    unit = relationship("Unit")

    def __str__(self) -> str:
        who = self.holder.name if self.holder else "?"
        return f"{'Plt.' if self.kind == 'plt' else 'Plh.'} {who}"


class Notification(db.Model):
    """One notification for one user, at most once per event (unique key per recipient). Shown in the
    bell; e-mailed by a background job (email_state) when the user and the instance want it."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        CheckConstraint(in_check("email_state", EMAIL_STATES), name="email_state"),
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        Index("ix_notification_email_state", "email_state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(160))  # the event's identity: never twice per recipient
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[Optional[str]] = mapped_column(Text)
    url: Mapped[Optional[str]] = mapped_column(String(300))
    period_id: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    email_state: Mapped[str] = mapped_column(String(10), default="none")
    email_to: Mapped[Optional[str]] = mapped_column(String(120))
    emailed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    email_error: Mapped[Optional[str]] = mapped_column(String(300))
    claim: Mapped[Optional[str]] = mapped_column(String(40))  # the sender that claimed it

    user = relationship("User")


class NotificationSetting(db.Model):
    """A user's e-mail mode (each notification at once, a daily digest, or none); no row = at once."""

    __tablename__ = "notification_setting"
    __table_args__ = (CheckConstraint(in_check("email_mode", EMAIL_MODES), name="email_mode"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(10), default="segera")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class NotificationOptout(db.Model):
    """A kind of notification a user does not want: by e-mail (`email`) or at all (`semua`)."""

    __tablename__ = "notification_optout"
    __table_args__ = (
        UniqueConstraint("user_id", "event"),
        CheckConstraint(in_check("scope", OPTOUT_SCOPES), name="scope"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(6), default="email")


__all__ = ["CoachingNote", "Delegation", "FeedbackMessage", "Notification", "NotificationOptout",
           "NotificationSetting", "PeriodicJudgement", "PeriodicRealisation", "SubPeriod"]
