"""Citizen feedback rules: which period receives it, validation and storage, one voice per device,
burst moderation, hiding comments.

Defences against ballot stuffing, in the order a response meets them (the HTTP side is in
kinerja_admin.public.feedback): a per-client rate limit in the shared storage; a server-signed
one-time nonce consumed atomically in the database; one response per respondent token (a signed
per-device id) per period and unit/service, and one rating per respondent per named employee per
period (unique keys, so parallel duplicates fail in the database, whichever worker gets them);
and burst moderation: when `public.burst_size` identical responses (same unit, service, answers
and officer rating) or `public.client_burst` responses from one client arrive within
`public.burst_minutes`, all of them are held back (status ``held``) until an operator releases or
rejects them. IKM and the masyarakat role count only accepted and released responses.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from kinerja_admin.audit import record
from kinerja_admin.orgtree import unit_subtree
from kinerja_admin.settings import get_setting
from kinerja_admin.workflow.base import clean_ids
from models import Employee, Period, PublicFeedback, PublicService, Unit
from models.base import utcnow
from models.public import COUNTED_STATUSES

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


def client_hash(secret: str, remote_addr: str | None, user_agent: str | None = None) -> str:
    """A salted hash of the client's network address (never the address itself), for the burst check
    and abuse analysis. The address alone, not the user agent (anyone can rotate that); an IPv6 address
    by its /64, which one household or phone gets whole. A shared address (a campus, a carrier's NAT)
    sending a burst is held for moderation, not refused: an operator releases genuine responses."""
    import ipaddress

    address = remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
        if ip.version == 6:
            address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    except ValueError:
        pass
    raw = f"{secret}|{address}".encode()
    return hashlib.sha256(raw).hexdigest()


DUPLICATE_MESSAGE = ("Perangkat ini sudah mengirim survei untuk layanan ini (atau sudah menilai petugas ini) "
                     "pada periode berjalan. Terima kasih, suara Anda sudah tercatat.")


class DuplicateResponse(RatingError):
    """This device already answered this survey (or rated this officer) in the period."""


def counted():
    """The WHERE clause of every aggregate of the public voice (IKM, masyarakat, portal, export)."""
    return PublicFeedback.status.in_(COUNTED_STATUSES)


def response_fingerprint(unit_id, service_id, answers: dict, employee_id, employee_score) -> str:
    raw = "|".join(str(x) for x in (unit_id, service_id or 0, *[answers[f"u{i}"] for i in range(1, 10)],
                                    employee_id or 0, employee_score or 0))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def store_feedback(session, *, period: Period, unit: Unit, service: PublicService | None,
                   answers: dict[str, int], employee_id: int | None = None, employee_score: int | None = None,
                   comment: str | None = None, client: str | None = None,
                   respondent: str | None = None) -> PublicFeedback:
    """Validate and add one response (the caller commits). `respondent` is the hashed per-device
    respondent token: a second response of the same device to the same survey (or officer) in the
    period raises DuplicateResponse. A response in a burst is stored as ``held``."""
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
    service_id = service.id if service else None
    row = PublicFeedback(period_id=period.id, unit_id=unit.id, service_id=service_id,
                         employee_id=employee_id, employee_score=employee_score, comment=comment,
                         comment_hidden=False, client_hash=client, status="accepted", **clean)
    row.fingerprint = response_fingerprint(unit.id, service_id, clean, employee_id, employee_score)
    if respondent:
        row.respondent_key = f"{period.id}:{unit.id}:{service_id or 0}:{respondent}"[:100]
        if employee_id is not None:
            row.employee_key = f"{period.id}:e{employee_id}:{respondent}"[:100]
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the caller rolls back (the unique keys are the only constraint left)
        raise DuplicateResponse(DUPLICATE_MESSAGE) from None
    _hold_bursts(session, row)
    return row


def _hold_bursts(session, row: PublicFeedback) -> None:
    """Hold `row` and its burst when identical responses, or responses from one client, pile up in
    the window. Earlier members of the burst that were still `accepted` are held too (a burst spread
    over several workers is caught by whichever response completes it)."""
    size = max(2, int(get_setting("public.burst_size", session)))
    per_client = max(2, int(get_setting("public.client_burst", session)))
    since = utcnow() - dt.timedelta(minutes=max(1, int(get_setting("public.burst_minutes", session))))
    recent = [PublicFeedback.period_id == row.period_id, PublicFeedback.created_at >= since,
              PublicFeedback.status != "rejected"]
    same = session.scalar(select(func.count()).select_from(PublicFeedback)
                          .where(PublicFeedback.fingerprint == row.fingerprint, *recent))
    by_client = 0
    if row.client_hash:
        by_client = session.scalar(select(func.count()).select_from(PublicFeedback)
                                   .where(PublicFeedback.client_hash == row.client_hash, *recent))
    conds = []
    reasons = []
    if same >= size:
        conds.append(PublicFeedback.fingerprint == row.fingerprint)
        reasons.append(f"{same} respons identik dalam {int((utcnow() - since).total_seconds() // 60)} menit")
    if by_client >= per_client:
        conds.append(PublicFeedback.client_hash == row.client_hash)
        reasons.append(f"{by_client} respons dari satu perangkat/alamat")
    if not conds:
        return
    session.execute(update(PublicFeedback)
                    .where(or_(*conds), *recent, PublicFeedback.status == "accepted")
                    .values(status="held", held_reason=("Lonjakan: " + "; ".join(reasons))[:200])
                    .execution_options(synchronize_session=False))
    session.expire(row, ["status", "held_reason"])


MODERATION = {"release": ("held", "released", "Dirilis"), "reject": ("held", "rejected", "Ditolak"),
              "hold": ("released", "held", "Ditahan kembali")}


def _open_ids(session, ids) -> list[int]:
    """The integer ids among `ids`; refused when any of those responses belongs to a closed period
    (set-based writes below bypass the ORM's closed-period lock, so they check it here)."""
    clean = clean_ids(ids)
    closed = session.scalar(select(Period.code).join(PublicFeedback, PublicFeedback.period_id == Period.id)
                            .where(PublicFeedback.id.in_(clean), Period.status == "closed").limit(1))
    if closed is not None:
        raise RatingError(f"Periode {closed} sudah ditutup; umpan balik periode itu tidak dapat diubah.")
    return clean


def _refuse_own(session, ids, user) -> None:
    """Nobody moderates what the public said about them: a clerk who is also an employee leaves the
    responses naming them to another clerk (the same rule as every record that judges its reader)."""
    employee_id = getattr(user, "employee_id", None)
    if employee_id is None or not ids:
        return
    if session.scalar(select(PublicFeedback.id).where(PublicFeedback.id.in_(ids),
                                                      PublicFeedback.employee_id == employee_id).limit(1)):
        raise RatingError("Pilihan memuat umpan balik publik yang menilai Anda sendiri; moderasinya dilakukan "
                          "operator lain. Tidak ada yang diubah.")


def moderate(session, ids, what: str, *, user=None, reason: str | None = None) -> tuple[int, int]:
    """Release or reject held responses (or hold a released one again). Returns (changed, skipped);
    audited per row; refused for a closed period and for responses naming the moderator."""
    source, target, label = MODERATION[what]
    clean = _open_ids(session, ids)
    _refuse_own(session, clean, user)
    rows = session.execute(select(PublicFeedback.id, PublicFeedback.period_id).where(
        PublicFeedback.id.in_(clean), PublicFeedback.status == source)).all()
    if rows:
        session.execute(update(PublicFeedback).where(PublicFeedback.id.in_([r.id for r in rows]),
                                                     PublicFeedback.status == source)
                        .values(status=target, moderated_at=utcnow(), moderated_by_id=getattr(user, "id", None))
                        .execution_options(synchronize_session=False))
        for r in rows:
            record(f"feedback_{what}", "public_feedback", r.id, user=user, session=session, period_id=r.period_id,
                   reason=reason or label, changes={"status": [source, target]})
    return len(rows), len(set(clean)) - len(rows)


def moderation_counts(session, period_id: int, unit_ids=None) -> dict[str, int]:
    """{status: number of responses} of a period (optionally a set of units)."""
    q = select(PublicFeedback.status, func.count()).where(PublicFeedback.period_id == period_id)
    if unit_ids is not None:
        q = q.where(PublicFeedback.unit_id.in_(sorted(unit_ids)))
    out = {s: 0 for s in ("accepted", "held", "released", "rejected")}
    for status, n in session.execute(q.group_by(PublicFeedback.status)):
        out[status] = int(n)
    return out


def set_comment_hidden(session, ids, hidden: bool, *, user=None, reason: str | None = None) -> int:
    """Hide (or show again) the comments of the given responses; scores stay. Audited per row; refused
    for responses naming the clerk."""
    clean = _open_ids(session, ids)
    _refuse_own(session, clean, user)
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
