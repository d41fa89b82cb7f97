"""Deadline reminders: who gets which reminder on a day, for every period at once, as ONE set-based
statement (a UNION ALL of one SELECT per deadline due), inserted by one INSERT ... SELECT with the
recipients' preferences (store.insert_select). A deadline is due from `notify.deadline_days` days before
it until the day itself; the reminder's key names the deadline, so each user gets it at most once.

Deadlines and who is reminded (only what still waits on them):
  planning_until   employees whose SKP is still draft or returned; raters (and their Plt/Plh) with
                   SKPs waiting for approval
  window due_date  employees with an indicator without that window's realisation; raters with an RHK
                   without that window's judgement (periodic evaluation)
  end_date         employees whose approved SKP is not marked realised
  assessment_until raters with realised SKPs not yet assessed; 360 raters with a pending rating
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, and_, exists, literal, select, union_all

from models import (
    Indicator,
    PeriodicJudgement,
    PeriodicRealisation,
    RaterAssignment,
    SubPeriod,
    Target,
    User,
    WorkPlan,
)
from models import Period as P

from ..formatting import tanggal
from .store import insert_select

RUNNING = ("approved", "realised")


def _row(user_id, event, key, title, body, url, period_id):
    return (user_id.label("user_id"), literal(event, String).label("event"), literal(key, String).label("key"),
            literal(title, String).label("title"), literal(body, String).label("body"),
            literal(url, String).label("url"), literal(period_id, Integer).label("period_id"))


def _raters(plan_cond, held_by_holder, rel="rater"):
    """SELECT branches for the users who hold `rel` on plans matching `plan_cond`: the direct rater and
    the holders of delegations in force."""
    from kinerja_admin import delegation

    column = WorkPlan.rater_id if rel == "rater" else WorkPlan.rater_superior_id
    yield (WorkPlan.__table__.join(User, User.employee_id == column), plan_cond)
    for holder, held in held_by_holder.items():
        cond = delegation.conditions_of(held, holder, rel)
        if cond is not None:
            yield (WorkPlan.__table__.join(User, User.employee_id == literal(holder, Integer)), and_(plan_cond, cond))


def deadlines(session, day: dt.date, days: int) -> dict:
    """The deadlines due on `day` (small queries over periods and windows)."""
    until = day + dt.timedelta(days=days)
    periods = session.execute(select(P.id, P.code, P.status, P.planning_until, P.end_date, P.assessment_until)
                              .where(P.status.in_(("planning", "running", "assessing")))).all()
    windows = session.execute(
        select(SubPeriod.id, SubPeriod.name, SubPeriod.due_date, SubPeriod.period_id, P.code)
        .join(P, P.id == SubPeriod.period_id)
        .where(P.status.in_(("running", "assessing")), SubPeriod.due_date >= day, SubPeriod.due_date <= until,
               SubPeriod.start_date <= day)).all()

    def due(d):
        return d is not None and day <= d <= until

    return {"periods": periods, "windows": windows, "due": due}


def query(session, day: dt.date | None = None, days: int | None = None):
    """The one statement: (user_id, event, key, title, body, url, period_id) of every reminder due on
    `day` (today by default); None when no deadline is due."""
    from kinerja_admin import delegation
    from kinerja_admin.clock import today
    from kinerja_admin.settings import get_setting

    day = day or today(session)
    days = int(get_setting("notify.deadline_days", session=session)) if days is None else days
    found = deadlines(session, day, days)
    held = delegation.all_in_force(session, day)
    branches = []

    def add(joins, cond, event, key, title, body, url, period_id, distinct=True):
        sel = select(*_row(User.id, event, key, title, body, url, period_id)).select_from(joins).where(
            cond, User.active.is_(True))
        branches.append(sel.group_by(User.id) if distinct else sel)

    for pid, code, status, planning_until, end_date, assessment_until in found["periods"]:
        in_period = WorkPlan.period_id == pid
        if status in ("planning", "running") and found["due"](planning_until):
            when = tanggal(planning_until)
            add(WorkPlan.__table__.join(User, User.employee_id == WorkPlan.employee_id),
                and_(in_period, WorkPlan.status.in_(("draft", "returned"))), "tenggat.perencanaan",
                f"tenggat.perencanaan:{pid}:{planning_until}:pegawai", f"Batas perencanaan SKP {code}: {when}",
                f"SKP Anda periode {code} belum diajukan atau masih dikembalikan. Lengkapi dan ajukan kepada pejabat "
                f"penilai paling lambat {when}.", "/admin/skp/", pid, distinct=False)
            for joins, cond in _raters(and_(in_period, WorkPlan.status == "submitted"), held):
                add(joins, cond, "tenggat.perencanaan", f"tenggat.perencanaan:{pid}:{planning_until}:penilai",
                    f"SKP bawahan menunggu persetujuan Anda (batas {when})",
                    f"Ada SKP periode {code} yang diajukan kepada Anda dan belum disetujui. Setujui atau kembalikan "
                    f"paling lambat {when}.", "/admin/tugas/setujui", pid)
        if status == "running" and found["due"](end_date):
            when = tanggal(end_date)
            add(WorkPlan.__table__.join(User, User.employee_id == WorkPlan.employee_id),
                and_(in_period, WorkPlan.status == "approved"), "tenggat.realisasi", f"tenggat.realisasi:{pid}",
                f"Batas realisasi SKP {code}: {when}",
                f"Catat realisasi dan bukti dukung SKP Anda, lalu tandai realisasi paling lambat {when}.",
                "/admin/tugas/realisasi", pid, distinct=False)
        if status in ("running", "assessing") and found["due"](assessment_until):
            when = tanggal(assessment_until)
            for joins, cond in _raters(and_(in_period, WorkPlan.status == "realised"), held):
                add(joins, cond, "tenggat.penilaian", f"tenggat.penilaian:{pid}:{assessment_until}:skp",
                    f"SKP bawahan menunggu penilaian Anda (batas {when})",
                    f"Beri penilaian SKP periode {code} yang sudah direalisasikan paling lambat {when}.",
                    "/admin/tugas/nilai", pid)
            ra = RaterAssignment
            add(ra.__table__.join(User, User.employee_id == ra.rater_id),
                and_(ra.period_id == pid, ra.status == "pending"), "tenggat.penilaian",
                f"tenggat.penilaian:{pid}:{assessment_until}:perilaku",
                f"Penilaian perilaku menunggu Anda (batas {when})",
                f"Isi penilaian perilaku periode {code} yang ditugaskan kepada Anda paling lambat {when}.",
                "/admin/tugas/perilaku", pid)
    for wid, name, due_date, pid, code in found["windows"]:
        when = tanggal(due_date)
        plans = and_(WorkPlan.period_id == pid, WorkPlan.status.in_(RUNNING))
        missing_real = exists().where(
            Target.work_plan_id == WorkPlan.id, Indicator.target_id == Target.id,
            ~exists().where(PeriodicRealisation.indicator_id == Indicator.id,
                            PeriodicRealisation.sub_period_id == wid))
        add(WorkPlan.__table__.join(User, User.employee_id == WorkPlan.employee_id), and_(plans, missing_real),
            "tenggat.realisasi_periodik", f"tenggat.realisasi_periodik:{wid}",
            f"Batas realisasi {name}: {when}",
            f"Catat realisasi {name} untuk setiap indikator SKP {code} Anda paling lambat {when}.",
            "/admin/tugas/realisasi", pid, distinct=False)
        missing_judgement = exists().where(
            Target.work_plan_id == WorkPlan.id,
            ~exists().where(PeriodicJudgement.target_id == Target.id, PeriodicJudgement.sub_period_id == wid,
                            PeriodicJudgement.category.is_not(None)))
        for joins, cond in _raters(and_(plans, missing_judgement), held):
            add(joins, cond, "tenggat.penilaian_periodik", f"tenggat.penilaian_periodik:{wid}",
                f"Batas penilaian {name}: {when}",
                f"Beri penilaian dan umpan balik {name} per RHK bawahan Anda (SKP {code}) paling lambat {when}.",
                "/admin/tugas/periodik", pid)
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else union_all(*branches)


def generate(session, day: dt.date | None = None, days: int | None = None) -> int:
    """Insert the reminders due on `day` (each at most once per user); returns how many were new."""
    source = query(session, day, days)
    if source is None:
        return 0
    return insert_select(session, None, source)


__all__ = ["deadlines", "generate", "query"]
