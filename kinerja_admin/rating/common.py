"""Shared helpers of the rating package."""
from __future__ import annotations

from sqlalchemy import select

from models import Period


class RatingError(ValueError):
    """A refused rating action; the message (Indonesian) is shown to the user as is."""


def resolve_period(session, period) -> Period:
    """Accept a Period, its id or its code; raise RatingError when it does not exist."""
    if isinstance(period, Period):
        return period
    row = None
    if isinstance(period, int):
        row = session.get(Period, period)
    if row is None:
        row = session.scalar(select(Period).where(Period.code == str(period)))
    if row is None:
        raise RatingError(f"Periode '{period}' tidak ditemukan.")
    return row


def ensure_open(period: Period) -> None:
    if period.status == "closed":
        raise RatingError(f"Periode {period.code} sudah ditutup; penugasan dan penilaian tidak dapat diubah.")
