"""Objections (keberatan): the employee files one per published result within the window
(setting ``objection.window_days``, default 14, counted from ``published_at``); the rater's
superior (WorkPlan.rater_superior_id) decides: accept with a new predicate and/or score, or
reject; always with a reason. The decision is final and visible to the employee."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from kinerja_admin.settings import get_setting
from models import Objection, Period, WorkPlan
from models.base import utcnow

from . import trail
from .base import WorkflowError, require_actor, require_reason
from .guards import locked_message


def window_days(session) -> int:
    return int(get_setting("objection.window_days", session=session))


def deadline(session, result) -> dt.datetime | None:
    if result.published_at is None:
        return None
    return result.published_at + dt.timedelta(days=window_days(session))


def _period(session, result) -> Period:
    return session.get(Period, result.period_id)


def _decider_id(session, result):
    if result.work_plan_id is not None:
        return session.scalar(select(WorkPlan.rater_superior_id).where(WorkPlan.id == result.work_plan_id))
    return session.scalar(select(WorkPlan.rater_superior_id).where(
        WorkPlan.period_id == result.period_id, WorkPlan.employee_id == result.employee_id))


def file(session, actor, result, reasons: str, now: dt.datetime | None = None) -> Objection:
    """The employee objects to their published result; one objection per result."""
    require_actor(actor)
    now = now or utcnow()
    reasons = require_reason(reasons, "Alasan keberatan")
    if getattr(actor, "employee_id", None) is None or actor.employee_id != result.employee_id:
        raise WorkflowError("Keberatan hanya dapat diajukan oleh pegawai yang bersangkutan.")
    period = _period(session, result)
    if period.status == "closed":
        raise WorkflowError(locked_message(period.code))
    if result.status != "published" or result.published_at is None:
        raise WorkflowError("Keberatan hanya dapat diajukan atas hasil penilaian yang sudah diumumkan.")
    end = deadline(session, result)
    if now > end:
        raise WorkflowError(f"Batas waktu pengajuan keberatan ({window_days(session)} hari sejak diumumkan, "
                            f"sampai {end:%d-%m-%Y %H:%M}) sudah lewat.")
    if session.scalar(select(Objection.id).where(Objection.result_id == result.id)) is not None:
        raise WorkflowError("Keberatan atas hasil penilaian ini sudah pernah diajukan (hanya satu kali).")
    decider = _decider_id(session, result)
    if decider is None:
        raise WorkflowError("Atasan pejabat penilai belum ditetapkan pada SKP; hubungi operator BKPSDM.")
    obj = Objection(result_id=result.id, employee_id=result.employee_id, decider_id=decider, reasons=reasons,
                    status="filed", filed_at=now)
    trail.note(obj, action="insert", reason=reasons, actor=actor)
    session.add(obj)
    session.flush()
    return obj


def decide(session, actor, objection, *, accept: bool, reason: str, new_predicate: str | None = None,
           new_value=None, now: dt.datetime | None = None) -> Objection:
    """The rater's superior decides; final. Accepting changes the result's predicate/score."""
    require_actor(actor)
    now = now or utcnow()
    reason = require_reason(reason, "Alasan putusan")
    if objection.status != "filed":
        raise WorkflowError("Keberatan ini sudah diputus; putusan bersifat final.")
    if getattr(actor, "employee_id", None) is None or actor.employee_id != objection.decider_id:
        raise WorkflowError("Hanya atasan pejabat penilai yang dapat memutus keberatan ini.")
    result = objection.result
    period = _period(session, result)
    if period.status == "closed":
        raise WorkflowError(locked_message(period.code))
    value = None
    if accept:
        new_predicate = (new_predicate or "").strip() or None
        if new_value not in (None, ""):
            from kinerja_admin.numbers import Bounds, NumberError, parse_number

            try:  # the app-wide number reader: "85,5", finite, within the score column
                value = parse_number(new_value, Bounds.of_type(result.__table__.c.final_value.type), "Nilai baru")
            except NumberError as err:
                raise WorkflowError(str(err)) from None
            if value < 0:
                raise WorkflowError("Nilai baru tidak boleh negatif.")
        if new_predicate is None and value is None:
            raise WorkflowError("Keberatan diterima: isi predikat baru dan/atau nilai baru.")
        if new_predicate is not None:
            result.predicate = new_predicate
        if value is not None:
            result.final_value = value
        trail.note(result, action="objection", reason=reason, actor=actor)
    objection.status = "accepted" if accept else "rejected"
    objection.decision_reason = reason
    objection.new_predicate = new_predicate if accept else None
    objection.new_value = value
    objection.decided_at = now
    objection.decided_by_id = actor.id
    trail.note(objection, action="transition", reason=reason, actor=actor)
    session.flush()
    return objection
