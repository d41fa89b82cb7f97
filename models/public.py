"""Public voice: public services of units, citizen feedback (IKM questionnaire), IKM reference."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Score, TimestampMixin, db, utcnow


class PublicService(TimestampMixin, db.Model):
    """A public-facing service of a unit (e.g. Puskesmas Binjai Kota: pelayanan KIA)."""

    __tablename__ = "public_service"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unit = relationship("Unit")

    def __str__(self) -> str:
        return self.name


class IkmElement(db.Model):
    """The 9 IKM elements (U1..U9) of PermenPANRB 14/2017."""

    __tablename__ = "ikm_element"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    question: Mapped[str] = mapped_column(String(300))
    seq: Mapped[int] = mapped_column(Integer)


class IkmBand(db.Model):
    """IKM band: [lower, upper] -> letter and label (A Sangat Baik ... D Tidak Baik)."""

    __tablename__ = "ikm_band"
    id: Mapped[int] = mapped_column(primary_key=True)
    lower: Mapped[Decimal] = mapped_column(Score)
    upper: Mapped[Decimal] = mapped_column(Score)
    letter: Mapped[str] = mapped_column(String(2))
    label: Mapped[str] = mapped_column(String(40))


# Moderation states of a response: `accepted` on arrival, `held` when it belongs to a burst (identical
# responses, or many from one client, in a short time), then `released` or `rejected` by an operator.
# IKM and the masyarakat role count accepted and released responses only (COUNTED_STATUSES).
FEEDBACK_STATUSES = ("accepted", "held", "released", "rejected")
COUNTED_STATUSES = ("accepted", "released")


class PublicFeedback(db.Model):
    """One citizen's response: 9 IKM answers (1-4), optionally a named-employee rating."""

    __tablename__ = "public_feedback"
    __table_args__ = tuple(
        CheckConstraint(f"u{i} BETWEEN 1 AND 4", name=f"u{i}") for i in range(1, 10)
    ) + (CheckConstraint("employee_score IS NULL OR employee_score BETWEEN 1 AND 4", name="emp_score"),
         CheckConstraint("status IN ('accepted', 'held', 'released', 'rejected')", name="status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    service_id: Mapped[Optional[int]] = mapped_column(ForeignKey("public_service.id"), index=True)
    u1: Mapped[int] = mapped_column(SmallInteger)
    u2: Mapped[int] = mapped_column(SmallInteger)
    u3: Mapped[int] = mapped_column(SmallInteger)
    u4: Mapped[int] = mapped_column(SmallInteger)
    u5: Mapped[int] = mapped_column(SmallInteger)
    u6: Mapped[int] = mapped_column(SmallInteger)
    u7: Mapped[int] = mapped_column(SmallInteger)
    u8: Mapped[int] = mapped_column(SmallInteger)
    u9: Mapped[int] = mapped_column(SmallInteger)
    employee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    employee_score: Mapped[Optional[int]] = mapped_column(SmallInteger)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    comment_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    client_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # moderation (kinerja_admin.rating.feedback): see FEEDBACK_STATUSES
    status: Mapped[str] = mapped_column(String(10), default="accepted", server_default="accepted", index=True)
    held_reason: Mapped[Optional[str]] = mapped_column(String(200))
    moderated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    moderated_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # hash of target + answers: identical responses share it (burst detection)
    fingerprint: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    # One voice per device (a server-issued respondent token, hashed) per period and unit/service,
    # and per period and named employee: unique keys, so a second response is refused atomically
    # whichever worker receives it. NULL for responses stored before tokens existed.
    respondent_key: Mapped[Optional[str]] = mapped_column(String(100), unique=True)
    employee_key: Mapped[Optional[str]] = mapped_column(String(100), unique=True)

    period = relationship("Period")
    unit = relationship("Unit")
    service = relationship("PublicService")
    employee = relationship("Employee")


class SurveyNonce(db.Model):
    """A consumed one-time survey form nonce (its hash). The nonce itself is signed by the server
    with its issue time; storing it when used, under a primary key, makes a replay fail atomically
    in whichever worker receives it. Rows older than the nonce lifetime are purged as new ones come."""

    __tablename__ = "survey_nonce"
    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
