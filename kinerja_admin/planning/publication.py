"""Which periods the public portal shows, and publishing a period's organisational data.

A period is public when it has a published result (the score workflow) or when an operator
published its organisational data as a whole (``Period.published_at``): a past year's programs and
IKM carried into the system as the baseline, before any appraisal of that year was held in it.
One definition serves the whole portal: kinerja_admin.reports.public.public_periods.
"""
from __future__ import annotations

from kinerja_admin import policy
from kinerja_admin.reports.public import public_periods
from kinerja_admin.workflow import trail
from kinerja_admin.workflow.base import is_staff
from models import Period
from models.base import utcnow

from . import PlanningError

__all__ = ["public_periods", "publish", "withdraw"]


def _set(session, user, period: Period, value, reason: str) -> None:
    """Period.published_at is set only here (the record policy: SYSTEM), by BKPSDM staff."""
    if not is_staff(user):
        raise PlanningError("Hanya operator atau admin yang dapat mengumumkan data program dan IKM.")
    with policy.system(session):
        period.published_at = value
        trail.note(period, action="transition", reason=reason, actor=user)
        session.flush()


def publish(session, user, period: Period, reason: str | None = None) -> None:
    """Mark the period's organisational data public (audited as a transition). The closed-period
    lock applies: publish before closing, or reopen first."""
    if period.published_at is not None:
        raise PlanningError(f"Data periode {period.code} sudah diumumkan.")
    _set(session, user, period, utcnow(), reason or "Data program dan IKM diumumkan")


def withdraw(session, user, period: Period, reason: str | None = None) -> None:
    if period.published_at is None:
        raise PlanningError(f"Data periode {period.code} belum diumumkan.")
    _set(session, user, period, None, reason or "Pengumuman data program dan IKM ditarik")
