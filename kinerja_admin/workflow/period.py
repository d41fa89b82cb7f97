"""Period lifecycle: draft -> planning -> running -> assessing -> closed (locked); reopen by admin.

`open_period` moves a draft period to planning and generates one work plan (SKP) per active
employee that has none yet (idempotent; optionally only for a unit subtree), with the rater and
the rater's superior taken from the supervisor hierarchy unless overridden per employee.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select

from kinerja_admin import policy
from kinerja_admin.orgtree import unit_subtree
from models import Employee, Objection, ScoreDetail, ScoreResult, ScoringScheme, Unit, WorkPlan
from models.base import PERIOD_STATUSES

from . import trail
from .base import WorkflowError, is_staff, require_actor, require_reason
from .guards import REOPEN_KEY

ORDER = ["draft", "planning", "running", "assessing", "closed"]
FINISHED_PLAN_STATUSES = ("final",)


def _label(status: str) -> str:
    return PERIOD_STATUSES.get(status, status)


def _require_staff(actor) -> None:
    require_actor(actor)
    if not is_staff(actor):
        raise WorkflowError("Hanya operator atau admin yang dapat mengubah status periode.")


def _set_status(session, actor, period, new_status: str, reason: str | None = None) -> None:
    with policy.system(session):
        period.status = new_status
        trail.note(period, action="transition", reason=reason, actor=actor)
        session.flush()


def unit_subtree_ids(session, unit_id: int) -> list[int]:
    """The unit and all its descendants."""
    return sorted(unit_subtree(session, unit_id))


def open_period(session, actor, period, *, unit_id: int | None = None,
                overrides: dict[int, tuple[int | None, int | None]] | None = None) -> int:
    """Open (draft -> planning) and generate missing work plans; returns the number created.

    Re-running on a planning/running period only adds plans for employees that have none
    (new hires, or a unit opened later). `overrides` maps employee id -> (rater id, rater's
    superior id) where the hierarchy is not the right answer.
    """
    _require_staff(actor)
    if period.status == "closed":
        raise WorkflowError(f"Periode {period.code} sudah ditutup dan terkunci.")
    if period.status not in ("draft", "planning", "running"):
        raise WorkflowError(f"SKP hanya dapat dibuat pada periode berstatus Draf, Perencanaan atau Berjalan; "
                            f"periode {period.code} berstatus {_label(period.status)}.")
    overrides = overrides or {}
    emp = select(Employee.id, Employee.unit_id, Employee.position_id, Employee.superior_id).where(
        Employee.active.is_(True))
    if unit_id is not None:
        if session.get(Unit, unit_id) is None:
            raise WorkflowError("Unit kerja tidak ditemukan.")
        emp = emp.where(Employee.unit_id.in_(unit_subtree_ids(session, unit_id)))
    employees = session.execute(emp).all()
    superiors = dict(session.execute(select(Employee.id, Employee.superior_id)).all())
    existing = set(session.execute(select(WorkPlan.employee_id).where(WorkPlan.period_id == period.id)).scalars())
    bad = [e for e in overrides if e not in superiors]
    if bad:
        raise WorkflowError(f"Pegawai pengganti penilai tidak ditemukan: {', '.join(map(str, bad))}.")
    if period.status == "draft":
        _set_status(session, actor, period, "planning", reason="Periode dibuka")
    created = []
    for eid, unit, position, superior in employees:
        if eid in existing:
            continue
        rater, rater_sup = overrides.get(eid, (superior, superiors.get(superior) if superior else None))
        if rater == eid:
            raise WorkflowError("Pegawai tidak dapat menjadi pejabat penilai bagi dirinya sendiri.")
        plan = WorkPlan(period_id=period.id, employee_id=eid, unit_id=unit, position_id=position,
                        rater_id=rater, rater_superior_id=rater_sup, status="draft")
        trail.note(plan, action="insert", reason="SKP dibuat saat periode dibuka", actor=actor)
        created.append(plan)
    session.add_all(created)
    session.flush()
    return len(created)


def unfinished_counts(session, period) -> dict[str, int]:
    plans = session.scalar(select(func.count()).select_from(WorkPlan).where(
        WorkPlan.period_id == period.id, WorkPlan.status.not_in(FINISHED_PLAN_STATUSES))) or 0
    objections = session.scalar(select(func.count()).select_from(Objection).join(
        ScoreResult, ScoreResult.id == Objection.result_id).where(
        ScoreResult.period_id == period.id, Objection.status == "filed")) or 0
    return {"plans": plans, "objections": objections}


def advance(session, actor, period, *, force: bool = False, reason: str | None = None) -> str:
    """Move the period one step along draft -> planning -> running -> assessing -> closed."""
    _require_staff(actor)
    if period.status == "closed":
        raise WorkflowError(f"Periode {period.code} sudah ditutup; hanya admin yang dapat membukanya kembali.")
    nxt = ORDER[ORDER.index(period.status) + 1]
    if nxt == "planning":
        open_period(session, actor, period)
    elif nxt == "closed":
        close(session, actor, period, force=force, reason=reason)
    else:
        _set_status(session, actor, period, nxt, reason=(reason or "").strip() or None)
    return period.status


def close(session, actor, period, *, force: bool = False, reason: str | None = None) -> None:
    """assessing -> closed. Refused while plans are not final or objections pending, unless forced
    with a reason."""
    _require_staff(actor)
    if period.status == "closed":
        raise WorkflowError(f"Periode {period.code} sudah ditutup.")
    if period.status != "assessing":
        raise WorkflowError(f"Periode hanya dapat ditutup dari status Penilaian; periode {period.code} berstatus "
                            f"{_label(period.status)}.")
    open_items = unfinished_counts(session, period)
    reason = (reason or "").strip() or None
    if open_items["plans"] or open_items["objections"]:
        if not force:
            raise WorkflowError(
                f"Periode {period.code} belum dapat ditutup: {open_items['plans']} SKP belum final dan "
                f"{open_items['objections']} keberatan belum diputus. Gunakan tutup paksa dengan alasan.")
        reason = require_reason(reason, "Alasan tutup paksa")
        reason = f"Tutup paksa ({open_items['plans']} SKP belum final, {open_items['objections']} keberatan " \
                 f"belum diputus): {reason}"
    _set_status(session, actor, period, "closed", reason=reason)


def reopen(session, actor, period, reason: str | None) -> None:
    """closed -> assessing: admin only, with a reason (the only way to unlock a period)."""
    require_actor(actor)
    if getattr(actor, "role", None) != "admin":
        raise WorkflowError("Hanya admin yang dapat membuka kembali periode yang sudah ditutup.")
    reason = require_reason(reason, "Alasan membuka kembali periode")
    if period.status != "closed":
        raise WorkflowError(f"Periode {period.code} tidak dalam status Ditutup.")
    session.info.setdefault(REOPEN_KEY, set()).add(period.id)
    _set_status(session, actor, period, "assessing", reason=reason)


def change_scheme(session, actor, period, scheme_id: int, reason: str | None) -> int:
    """"Ganti skema": give a period another scoring scheme after results were computed. Refused once a
    result is approved or published; the computed results (made under the old scheme) are deleted, so
    that every result of the period names the scheme it was computed with. Returns the number deleted."""
    _require_staff(actor)
    reason = require_reason(reason, "Alasan ganti skema")
    if period.status == "closed":
        raise WorkflowError(f"Periode {period.code} sudah ditutup dan terkunci.")
    scheme = session.get(ScoringScheme, scheme_id)
    if scheme is None:
        raise WorkflowError("Skema penilaian tidak ditemukan.")
    if scheme.id == period.scheme_id:
        raise WorkflowError(f"Periode {period.code} sudah memakai skema {scheme.name}.")
    signed = session.scalar(select(func.count()).select_from(ScoreResult).where(
        ScoreResult.period_id == period.id, ScoreResult.status != "computed")) or 0
    if signed:
        raise WorkflowError(f"Skema periode {period.code} tidak dapat diganti: {signed} hasil penilaian sudah "
                            "disetujui atau diumumkan.")
    computed = select(ScoreResult.id).where(ScoreResult.period_id == period.id)
    session.execute(delete(ScoreDetail).where(ScoreDetail.result_id.in_(computed)))
    deleted = session.execute(delete(ScoreResult).where(ScoreResult.period_id == period.id)).rowcount or 0
    with policy.system(session):
        period.scheme_id = scheme.id
        trail.note(period, action="update", reason=f"Ganti skema ({deleted} hasil terhitung dihapus): {reason}",
                   actor=actor)
        session.flush()
    return deleted
