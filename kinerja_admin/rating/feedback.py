"""Citizen feedback rules: which period receives it, validation and storage, hiding comments."""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select, update

from kinerja_admin.audit import record
from kinerja_admin.orgtree import unit_subtree
from models import Employee, Period, PublicFeedback, PublicService, Unit

from .common import RatingError

COMMENT_MAX = 1000
OPEN_STATUSES = ("planning", "running", "assessing")


def feedback_period(session, today: dt.date | None = None) -> Period | None:
    """The period that receives feedback today: the open period whose dates contain today, else the
    most recent open period."""
    today = today or dt.date.today()
    base = select(Period).where(Period.status.in_(OPEN_STATUSES))
    current = session.scalar(base.where(Period.start_date <= today, Period.end_date >= today)
                             .order_by(Period.start_date.desc()).limit(1))
    if current is not None:
        return current
    return session.scalar(base.where(Period.start_date <= today).order_by(Period.start_date.desc()).limit(1))


def unit_by_slug(session, slug: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.slug == slug, Unit.active.is_(True),
                                             Unit.public_facing.is_(True)))


def service_by_slug(session, slug: str) -> PublicService | None:
    return session.scalar(select(PublicService).join(Unit, Unit.id == PublicService.unit_id)
                          .where(PublicService.slug == slug, PublicService.active.is_(True),
                                 Unit.active.is_(True)))


def rateable_employees(session, unit_id: int, limit: int = 500) -> list[tuple[int, str]]:
    """(id, name) of the active employees of the unit and its sub-units, for the named rating."""
    units = unit_subtree(session, unit_id)
    return [tuple(r) for r in session.execute(
        select(Employee.id, Employee.name).where(Employee.unit_id.in_(units), Employee.active.is_(True))
        .order_by(Employee.name, Employee.id).limit(limit))]


def client_hash(secret: str, remote_addr: str | None, user_agent: str | None) -> str:
    """A salted hash of the client (never the address itself) for abuse analysis."""
    raw = f"{secret}|{remote_addr or ''}|{(user_agent or '')[:200]}".encode()
    return hashlib.sha256(raw).hexdigest()


def store_feedback(session, *, period: Period, unit: Unit, service: PublicService | None,
                   answers: dict[str, int], employee_id: int | None = None, employee_score: int | None = None,
                   comment: str | None = None, client: str | None = None) -> PublicFeedback:
    """Validate and add one response (the caller commits)."""
    if period is None or period.status not in OPEN_STATUSES:
        raise RatingError("Survei kepuasan belum dibuka untuk periode ini.")
    if service is not None and service.unit_id != unit.id:
        raise RatingError("Layanan tidak termasuk unit ini.")
    clean = {}
    for i in range(1, 10):
        value = answers.get(f"u{i}")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
            raise RatingError(f"Jawaban unsur U{i} wajib diisi dengan nilai 1 sampai 4.")
        clean[f"u{i}"] = value
    if (employee_id is None) != (employee_score is None):
        raise RatingError("Untuk menilai petugas, pilih nama petugas dan nilainya.")
    if employee_id is not None:
        if not isinstance(employee_score, int) or not 1 <= employee_score <= 4:
            raise RatingError("Nilai petugas harus 1 sampai 4.")
        emp = session.get(Employee, employee_id)
        if emp is None or not emp.active or emp.unit_id not in unit_subtree(session, unit.id):
            raise RatingError("Petugas yang dipilih tidak bertugas di unit ini.")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        raise RatingError(f"Komentar paling banyak {COMMENT_MAX} karakter.")
    row = PublicFeedback(period_id=period.id, unit_id=unit.id, service_id=service.id if service else None,
                         employee_id=employee_id, employee_score=employee_score, comment=comment,
                         comment_hidden=False, client_hash=client, **clean)
    session.add(row)
    session.flush()
    return row


def set_comment_hidden(session, ids, hidden: bool, *, user=None, reason: str | None = None) -> int:
    """Hide (or show again) the comments of the given responses; scores stay. Audited per row."""
    clean = []
    for i in ids:
        try:
            clean.append(int(i))
        except (TypeError, ValueError):
            continue
    closed = session.scalar(select(Period.code).join(PublicFeedback, PublicFeedback.period_id == Period.id)
                            .where(PublicFeedback.id.in_(clean), Period.status == "closed").limit(1))
    if closed is not None:
        raise RatingError(f"Periode {closed} sudah ditutup; umpan balik periode itu tidak dapat diubah.")
    rows = session.execute(select(PublicFeedback.id, PublicFeedback.period_id).where(
        PublicFeedback.id.in_(clean), PublicFeedback.comment.is_not(None),
        PublicFeedback.comment_hidden.is_(not hidden))).all()
    if not rows:
        return 0
    session.execute(update(PublicFeedback).where(PublicFeedback.id.in_([r.id for r in rows]))
                    .values(comment_hidden=hidden).execution_options(synchronize_session=False))
    for r in rows:
        record("hide_comment" if hidden else "show_comment", "public_feedback", r.id, user=user, session=session,
               period_id=r.period_id, reason=reason, changes={"comment_hidden": [not hidden, hidden]})
    return len(rows)
