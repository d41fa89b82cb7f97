"""Objections (keberatan): the employee files one per published result within the window
(setting ``objection.window_days``, default 14, counted from ``published_at``); the rater's
superior (WorkPlan.rater_superior_id) decides: accept with a new value and/or predicate that the
result's scheme allows, or reject; always with a reason. The decision is final, keeps the old and
new values, and is visible to the employee. Separation of duties (kinerja_admin.policy): the decider
is neither the employee nor the rater whose judgement is contested."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from kinerja_admin import policy
from kinerja_admin.policy.rules import OBJECTION_PERIODS
from kinerja_admin.scoring.rules import band_predicate, decision_problem
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


def _plan_people(session, result):
    """(rater, rater's superior) of the result's plan."""
    cond = (WorkPlan.id == result.work_plan_id) if result.work_plan_id is not None else \
        ((WorkPlan.period_id == result.period_id) & (WorkPlan.employee_id == result.employee_id))
    row = session.execute(select(WorkPlan.rater_id, WorkPlan.rater_superior_id).where(cond)).first()
    return (row[0], row[1]) if row else (None, None)


def _check_period(period) -> None:
    if period.status == "closed":
        raise WorkflowError(locked_message(period.code))
    if period.status not in OBJECTION_PERIODS:
        raise WorkflowError(f"Keberatan tidak dapat diproses pada periode {period.code} yang belum berjalan.")


def file(session, actor, result, reasons: str, now: dt.datetime | None = None) -> Objection:
    """The employee objects to their published result; one objection per result."""
    require_actor(actor)
    now = now or utcnow()
    reasons = require_reason(reasons, "Alasan keberatan")
    if getattr(actor, "employee_id", None) is None or actor.employee_id != result.employee_id:
        raise WorkflowError("Keberatan hanya dapat diajukan oleh pegawai yang bersangkutan.")
    _check_period(_period(session, result))
    if result.status != "published" or result.published_at is None:
        raise WorkflowError("Keberatan hanya dapat diajukan atas hasil penilaian yang sudah diumumkan.")
    end = deadline(session, result)
    if now > end:
        raise WorkflowError(f"Batas waktu pengajuan keberatan ({window_days(session)} hari sejak diumumkan, "
                            f"sampai {end:%d-%m-%Y %H:%M}) sudah lewat.")
    if session.scalar(select(Objection.id).where(Objection.result_id == result.id)) is not None:
        raise WorkflowError("Keberatan atas hasil penilaian ini sudah pernah diajukan (hanya satu kali).")
    rater, decider = _plan_people(session, result)
    if decider is None:
        raise WorkflowError("Atasan pejabat penilai belum ditetapkan pada SKP; hubungi operator BKPSDM.")
    if decider in (result.employee_id, rater):
        raise WorkflowError("Atasan pejabat penilai pada SKP ini adalah Anda sendiri atau pejabat penilai Anda, "
                            "sehingga tidak dapat memutus keberatan; hubungi operator BKPSDM.")
    obj = Objection(result_id=result.id, period_id=result.period_id, employee_id=result.employee_id,
                    decider_id=decider, reasons=reasons, status="filed", filed_at=now)
    trail.note(obj, action="insert", reason=reasons, actor=actor)
    with policy.system(session):
        session.add(obj)
        session.flush()
    from kinerja_admin.notify import events

    events.objection_filed(session, obj, actor)
    return obj


def may_decide(session, actor, objection) -> bool:
    """The objection's decider, or the holder of a delegation in force for them (Plt/Plh)."""
    emp = getattr(actor, "employee_id", None)
    if emp is None:
        return False
    if emp == objection.decider_id:
        return True
    return "decider" in policy.relations(actor, policy.context_of(session, objection))


def decide(session, actor, objection, *, accept: bool, reason: str, new_predicate: str | None = None,
           new_value=None, now: dt.datetime | None = None) -> Objection:
    """The rater's superior decides; final. Accepting changes the result's predicate/score."""
    require_actor(actor)
    now = now or utcnow()
    reason = require_reason(reason, "Alasan putusan")
    if objection.status != "filed":
        raise WorkflowError("Keberatan ini sudah diputus; putusan bersifat final.")
    if not may_decide(session, actor, objection):
        raise WorkflowError("Hanya atasan pejabat penilai (atau Plt/Plh-nya yang sedang berlaku) yang dapat memutus "
                            "keberatan ini.")
    result = objection.result
    _check_period(_period(session, result))
    rater, _decider = _plan_people(session, result)
    if actor.employee_id in (objection.employee_id, rater):
        raise WorkflowError("Keberatan tidak dapat diputus oleh pegawai yang bersangkutan atau oleh pejabat "
                            "penilai yang penilaiannya dipersoalkan.")
    value = None
    predicate = None
    if accept:
        predicate = (new_predicate or "").strip() or None
        if new_value not in (None, ""):
            from kinerja_admin.numbers import Bounds, NumberError, parse_number

            try:  # the app-wide number reader: "85,5", finite, within the score column
                value = parse_number(new_value, Bounds.of_type(result.__table__.c.final_value.type), "Nilai baru")
            except NumberError as err:
                raise WorkflowError(str(err)) from None
            if predicate is None:
                predicate = band_predicate(session, result, value)
        problem = decision_problem(session, result, value, predicate)
        if problem:
            raise WorkflowError(problem)
    with policy.system(session):
        if accept:
            objection.old_predicate = result.predicate
            objection.old_value = result.final_value
            result.predicate = predicate
            if value is not None:
                result.final_value = value
            trail.note(result, action="objection", reason=reason, actor=actor)
        objection.status = "accepted" if accept else "rejected"
        objection.decision_reason = reason
        objection.new_predicate = predicate
        objection.new_value = value
        objection.decided_at = now
        objection.decided_by_id = actor.id
        trail.note(objection, action="transition", reason=reason, actor=actor)
        session.flush()
    from kinerja_admin.notify import events

    events.objection_decided(session, objection, actor)
    return objection
