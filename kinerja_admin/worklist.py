"""Tugas Saya: what waits for the current user, by kind. Each kind is ONE query (`items_query`); the
list page shows its rows and the navigation bar its count (`counts`: every kind's COUNT over the same
query, in one statement, once per request), so a count always equals the list it opens.

Who: the plan's rater, rater's superior or objection decider directly or through a Plt/Plh delegation
in force (kinerja_admin.delegation), the 360 rater of an assignment, the employee for their own
realisations; never one's own record (except realisations, which are one's own work).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, literal, null, or_, select
from sqlalchemy.orm import aliased

from models import (
    Employee,
    Indicator,
    Objection,
    Period,
    PeriodicJudgement,
    PeriodicRealisation,
    RaterAssignment,
    ScoreResult,
    SubPeriod,
    Target,
    WorkPlan,
)


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    empty: str


KINDS = [
    Kind("setujui", "SKP menunggu persetujuan", "Tidak ada SKP yang menunggu persetujuan Anda."),
    Kind("nilai", "SKP menunggu penilaian", "Tidak ada SKP yang menunggu penilaian Anda."),
    Kind("periodik", "Penilaian periodik jatuh tempo", "Tidak ada penilaian periodik yang jatuh tempo."),
    Kind("perilaku", "Penilaian perilaku belum diisi", "Tidak ada penilaian perilaku yang menunggu Anda."),
    Kind("hasil", "Hasil penilaian menunggu persetujuan", "Tidak ada hasil penilaian yang menunggu persetujuan Anda."),
    Kind("keberatan", "Keberatan menunggu putusan", "Tidak ada keberatan yang menunggu putusan Anda."),
    Kind("realisasi", "Realisasi jatuh tempo", "Tidak ada realisasi Anda yang jatuh tempo."),
]
BY_CODE = {k.code: k for k in KINDS}
RUNNING_PLANS = ("approved", "realised")


def _as(emp: int, rel: str, session):
    """Plans on which employee `emp` holds `rel`, directly or through a delegation in force."""
    from . import delegation

    column = WorkPlan.rater_id if rel == "rater" else WorkPlan.rater_superior_id
    cond = and_(column == emp, WorkPlan.employee_id != emp)
    delegated = delegation.plan_condition(emp, rel, session=session)
    return cond if delegated is None else or_(cond, delegated)


def _plans(emp, rel, statuses, periods, session):
    return (select(WorkPlan.id.label("id"), WorkPlan.id.label("plan_id"), Employee.name.label("name"),
                   Employee.nip.label("nip"), Period.code.label("period"), null().label("window_id"),
                   null().label("window"), null().label("due"), WorkPlan.status.label("status"))
            .join(Employee, Employee.id == WorkPlan.employee_id).join(Period, Period.id == WorkPlan.period_id)
            .where(_as(emp, rel, session), WorkPlan.status.in_(statuses), Period.status.in_(periods)))


def items_query(session, user, code: str, day: dt.date | None = None):
    """The items of kind `code` waiting for `user` (columns id, plan_id, name, nip, period, window_id,
    window, due, status), or None for an account without an employee record."""
    from .clock import today

    emp = getattr(user, "employee_id", None)
    if emp is None:
        return None
    day = day or today(session)
    if code == "setujui":
        q = _plans(emp, "rater", ("submitted",), ("planning", "running"), session)
    elif code == "nilai":
        q = _plans(emp, "rater", ("realised",), ("running", "assessing"), session)
    elif code == "periodik":
        open_window = and_(SubPeriod.period_id == WorkPlan.period_id, SubPeriod.start_date <= day,
                           SubPeriod.due_date >= day)
        unjudged = exists().where(Target.work_plan_id == WorkPlan.id, ~exists().where(
            PeriodicJudgement.target_id == Target.id, PeriodicJudgement.sub_period_id == SubPeriod.id,
            PeriodicJudgement.category.is_not(None)))
        q = (select((WorkPlan.id * 1000 + SubPeriod.seq).label("id"), WorkPlan.id.label("plan_id"),
                    Employee.name.label("name"), Employee.nip.label("nip"), Period.code.label("period"),
                    SubPeriod.id.label("window_id"), SubPeriod.name.label("window"), SubPeriod.due_date.label("due"),
                    WorkPlan.status.label("status"))
             .join(Employee, Employee.id == WorkPlan.employee_id).join(Period, Period.id == WorkPlan.period_id)
             .join(SubPeriod, open_window)
             .where(_as(emp, "rater", session), WorkPlan.status.in_(RUNNING_PLANS),
                    Period.status.in_(("running", "assessing")), unjudged))
    elif code == "perilaku":
        ratee = aliased(Employee)
        q = (select(RaterAssignment.id.label("id"), null().label("plan_id"), ratee.name.label("name"),
                    ratee.nip.label("nip"), Period.code.label("period"), null().label("window_id"),
                    RaterAssignment.role.label("window"), null().label("due"), RaterAssignment.status.label("status"))
             .join(ratee, ratee.id == RaterAssignment.ratee_id).join(Period, Period.id == RaterAssignment.period_id)
             .where(RaterAssignment.rater_id == emp, RaterAssignment.status == "pending",
                    Period.status.in_(("running", "assessing"))))
    elif code == "hasil":
        q = (select(ScoreResult.id.label("id"), WorkPlan.id.label("plan_id"), Employee.name.label("name"),
                    Employee.nip.label("nip"), Period.code.label("period"), null().label("window_id"),
                    ScoreResult.predicate.label("window"), null().label("due"), ScoreResult.status.label("status"))
             .join(WorkPlan, WorkPlan.id == ScoreResult.work_plan_id)
             .join(Employee, Employee.id == ScoreResult.employee_id).join(Period, Period.id == ScoreResult.period_id)
             .where(_as(emp, "rater_superior", session), ScoreResult.status == "computed",
                    Period.status.in_(("running", "assessing"))))
    elif code == "keberatan":
        from . import delegation

        decides = Objection.decider_id == emp
        delegated = delegation.objection_condition(emp, session=session)
        if delegated is not None:
            decides = or_(decides, delegated)
        q = (select(Objection.id.label("id"), ScoreResult.work_plan_id.label("plan_id"), Employee.name.label("name"),
                    Employee.nip.label("nip"), Period.code.label("period"), null().label("window_id"),
                    null().label("window"), null().label("due"), Objection.status.label("status"))
             .join(ScoreResult, ScoreResult.id == Objection.result_id)
             .join(Employee, Employee.id == Objection.employee_id).join(Period, Period.id == ScoreResult.period_id)
             .where(decides, Objection.employee_id != emp, Objection.status == "filed",
                    Period.status.in_(("running", "assessing"))))
    elif code == "realisasi":
        open_window = and_(SubPeriod.period_id == WorkPlan.period_id, SubPeriod.start_date <= day,
                           SubPeriod.due_date >= day)
        missing = exists().where(Target.work_plan_id == WorkPlan.id, Indicator.target_id == Target.id, ~exists().where(
            PeriodicRealisation.indicator_id == Indicator.id, PeriodicRealisation.sub_period_id == SubPeriod.id))
        q = (select((WorkPlan.id * 1000 + SubPeriod.seq).label("id"), WorkPlan.id.label("plan_id"),
                    Employee.name.label("name"), Employee.nip.label("nip"), Period.code.label("period"),
                    SubPeriod.id.label("window_id"), SubPeriod.name.label("window"), SubPeriod.due_date.label("due"),
                    WorkPlan.status.label("status"))
             .join(Employee, Employee.id == WorkPlan.employee_id).join(Period, Period.id == WorkPlan.period_id)
             .join(SubPeriod, open_window)
             .where(WorkPlan.employee_id == emp, WorkPlan.status.in_(RUNNING_PLANS),
                    Period.status.in_(("running", "assessing")), missing))
        # the annual step: an approved SKP in a period being assessed is still to be marked realised
        annual = (select((WorkPlan.id * 1000).label("id"), WorkPlan.id.label("plan_id"), Employee.name.label("name"),
                         Employee.nip.label("nip"), Period.code.label("period"), null().label("window_id"),
                         literal("Realisasi tahunan").label("window"), Period.end_date.label("due"),
                         WorkPlan.status.label("status"))
                  .join(Employee, Employee.id == WorkPlan.employee_id).join(Period, Period.id == WorkPlan.period_id)
                  .where(WorkPlan.employee_id == emp, WorkPlan.status == "approved", Period.status == "assessing"))
        q = q.union_all(annual)
    else:
        raise KeyError(code)
    return q


def items(session, user, code: str) -> list:
    q = items_query(session, user, code)
    if q is None:
        return []
    sub = q.subquery("items")
    return session.execute(select(sub).order_by(sub.c.due.is_(None), sub.c.due, sub.c.period.desc(), sub.c.name,
                                                sub.c.id)).all()


def counts(session, user) -> dict[str, int]:
    """{kind: number of items}, every kind in one statement."""
    queries = {k.code: items_query(session, user, k.code) for k in KINDS}
    if any(q is None for q in queries.values()):
        return {k.code: 0 for k in KINDS}
    cols = [select(func.count()).select_from(q.subquery()).scalar_subquery().label(code)
            for code, q in queries.items()]
    row = session.execute(select(*cols)).one()
    return dict(zip(queries, (int(v or 0) for v in row)))


def cached_counts(user) -> dict[str, int]:
    """counts() once per request (the navigation bar of every admin page)."""
    from flask import has_request_context, request

    from models import db

    if not getattr(user, "is_authenticated", False) or getattr(user, "employee_id", None) is None:
        return {}
    if not has_request_context():
        return counts(db.session, user)
    key = "kinerja.tasks"
    if key not in request.environ:
        request.environ[key] = counts(db.session, user)
    return request.environ[key]


__all__ = ["BY_CODE", "KINDS", "cached_counts", "counts", "items", "items_query"]
