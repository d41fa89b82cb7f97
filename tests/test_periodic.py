"""Periodic evaluation: windows per period, the record policy's window rule, the annual realisation
derived from the periodic ones where the scheme says so (golden values of DOMAIN.md), the window page,
threads and private coaching notes on the SKP page, and Tugas Saya's counts equal to its lists."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import select, update

from kinerja_admin import policy, worklist
from kinerja_admin.clock import today
from kinerja_admin.periodic import record, windows
from kinerja_admin.scoring.engine import score_period
from kinerja_admin.scoring.validation import clone_scheme
from kinerja_admin.workflow import trail
from models import (
    AuditLog,
    CoachingNote,
    Period,
    PeriodicRealisation,
    Realisation,
    SubPeriod,
    User,
    WorkPlan,
    db,
)
from tests.conftest import login_as
from tests.scoring_helpers import make_period, make_plan, result_of, scheme
from tests.skp_helpers import plan_of, set_state, users_around


def test_windows_of_a_year():
    q = windows.plan_windows(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "triwulanan", 10)
    assert [w["name"] for w in q] == ["Triwulan I 2026", "Triwulan II 2026", "Triwulan III 2026", "Triwulan IV 2026"]
    assert (q[1]["start_date"], q[1]["end_date"], q[1]["due_date"]) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30),
                                                                        dt.date(2026, 7, 10))
    m = windows.plan_windows(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "bulanan", 5)
    assert len(m) == 12 and m[1]["name"] == "Februari 2026" and m[1]["end_date"] == dt.date(2026, 2, 28)
    s = windows.plan_windows(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "semesteran", 0)
    assert [(w["start_date"], w["end_date"]) for w in s] == [(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
                                                             (dt.date(2026, 7, 1), dt.date(2026, 12, 31))]


def _open_windows(period, n=4):
    day = today(db.session)
    rows = [SubPeriod(period_id=period.id, frequency="triwulanan", seq=50 + k, name=f"Uji {k}",
                      start_date=day - dt.timedelta(days=30), end_date=day, due_date=day + dt.timedelta(days=5))
            for k in range(1, n + 1)]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _as_subject(emp):
    user = db.session.scalar(select(User).where(User.employee_id == emp.id))
    if user is None:
        user = User(username=f"u{emp.id}", role="pegawai", full_name=emp.name, employee_id=emp.id, password_hash="x")
        db.session.add(user)
        db.session.flush()
    return user


def _record(plan, emp, quarters):
    """quarters: per indicator (in id order) its value in each window, recorded by the employee."""
    user = _as_subject(emp)
    wins = db.session.scalars(select(SubPeriod).where(SubPeriod.period_id == plan.period_id)
                              .order_by(SubPeriod.seq)).all()
    inds = [i for t in plan.targets for i in t.indicators]
    trail.set_actor(db.session, user)
    try:
        for ind, values in zip(inds, quarters):
            for w, v in zip(wins, values):
                record.save_realisation(db.session, plan, ind, w, {"value": str(v)})
    finally:
        trail.set_actor(db.session, None)


def _derived_scheme(code):
    s = clone_scheme(db.session, scheme(code))
    s.annual_from_periodic = True
    db.session.flush()
    return s


def test_pp46_worked_example_from_four_quarters_gives_85_50(demo):
    """DOMAIN.md: 1 report, quality 90, 12 of 12 months, cost fully spent -> 85.50, from quarterly records."""
    period = make_period(_derived_scheme("PP46-2011"), status="running")
    emp = demo["employees"][5]
    plan = make_plan(period, emp, [[("kuantitas", 1, None, None, False), ("kualitas", 100, None, None, False),
                                    ("waktu", 12, None, None, True), ("biaya", 1000000, None, None, True)]],
                     ratings={"atasan": [[80, 80, 80, 80, 80, 80]]})
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="approved"))
    _open_windows(period)
    db.session.commit()
    plan = db.session.get(WorkPlan, plan.id)
    _record(plan, emp, [(0, 0, 0, 1), (90, 90, 90, 90), (3, 3, 3, 3), (250000, 250000, 250000, 250000)])
    db.session.commit()
    derived = {r.indicator.aspect: r.value for r in db.session.scalars(select(Realisation).where(
        Realisation.derived.is_(True), Realisation.indicator_id.in_([i.id for i in plan.targets[0].indicators])))}
    assert derived == {"kuantitas": D(1), "kualitas": D(90), "waktu": D(12), "biaya": D(1000000)}
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="assessed"))
    db.session.execute(update(Period).where(Period.id == period.id).values(status="assessing"))
    score_period(db.session, db.session.get(Period, period.id))
    db.session.commit()
    assert result_of(period, emp).skp_value == D("85.5000")


def test_pp30_cumulative_98_percent_gives_88_and_a_changed_quarter_moves_it(demo):
    """DOMAIN.md PP 30/2019: capaian 98% -> 88: 12 + 12 + 12 + 13 = 49 of 50 reports."""
    period = make_period(_derived_scheme("PP30-2019"), status="running")
    emp = demo["employees"][6]
    plan = make_plan(period, emp, [[("kuantitas", 50, None, None, False)]], ratings={"atasan": [[100] * 5]})
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="approved"))
    _open_windows(period)
    db.session.commit()
    plan = db.session.get(WorkPlan, plan.id)
    _record(plan, emp, [(12, 12, 12, 13)])
    db.session.commit()
    real = db.session.scalar(select(Realisation).where(Realisation.derived.is_(True)))
    assert real.value == D(49)
    # the derivation is audited as the employee's action, and the employee cannot record one by hand
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity == "realisation", AuditLog.action == "insert",
                                                    AuditLog.entity_id == str(real.id))) is not None
    user = _as_subject(emp)
    trail.set_actor(db.session, user)
    try:
        db.session.add(Realisation(indicator_id=real.indicator_id, value=D(50)))
        with pytest.raises(policy.PolicyError, match="dihitung dari realisasi periodik"):
            db.session.flush()
    finally:
        trail.set_actor(db.session, None)
        db.session.rollback()
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="assessed"))
    db.session.execute(update(Period).where(Period.id == period.id).values(status="assessing"))
    score_period(db.session, db.session.get(Period, period.id))
    db.session.commit()
    assert result_of(period, emp).skp_value == D("88.0000")


def test_without_the_scheme_setting_the_annual_realisation_is_untouched(demo):
    period = make_period(scheme("PP30-2019"), status="running")
    emp = demo["employees"][7]
    plan = make_plan(period, emp, [[("kuantitas", 50, None, None, False)]])
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="approved"))
    _open_windows(period, 1)
    db.session.commit()
    _record(db.session.get(WorkPlan, plan.id), emp, [(12,)])
    db.session.commit()
    assert db.session.scalar(select(Realisation).where(Realisation.derived.is_(True))) is None
    assert db.session.scalar(select(PeriodicRealisation.value)) == D(12)


def test_window_rule_refuses_outside_the_window(demo):
    period = make_period(scheme("PP30-2019"), status="running")
    emp = demo["employees"][8]
    plan = make_plan(period, emp, [[("kuantitas", 50, None, None, False)]])
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="approved"))
    day = today(db.session)
    closed = SubPeriod(period_id=period.id, frequency="triwulanan", seq=1, name="Triwulan I",
                       start_date=day - dt.timedelta(days=90), end_date=day - dt.timedelta(days=30),
                       due_date=day - dt.timedelta(days=1))
    db.session.add(closed)
    db.session.commit()
    plan = db.session.get(WorkPlan, plan.id)
    user = _as_subject(emp)
    trail.set_actor(db.session, user)
    try:
        with pytest.raises(policy.PolicyError, match="jendela evaluasi periodiknya terbuka"):
            record.save_realisation(db.session, plan, plan.targets[0].indicators[0], closed, {"value": "5"})
    finally:
        trail.set_actor(db.session, None)
        db.session.rollback()


def test_window_page_thread_and_private_coaching_note(client, demo):
    plan = plan_of(demo)
    users = users_around(demo, plan)
    set_state(plan, "approved", "running")
    period = db.session.get(Period, plan.period_id)
    win = _open_windows(period, 1)[0]
    db.session.commit()
    pegawai, penilai = users["pegawai"], users["penilai"]
    ind = db.session.get(WorkPlan, plan.id).targets[0].indicators[0]
    target = db.session.get(WorkPlan, plan.id).targets[0]
    # the employee records the quarter's realisation on the window page; the rater judges the RHK there
    login_as(client, pegawai)
    url = f"/admin/skp/{plan.id}/periodik/{win.id}"
    client.post(url, data={"op": "realisasi", "indicator_id": ind.id, "value": "7", "evidence_note": "Laporan"})
    assert db.session.scalar(select(PeriodicRealisation.value).where(PeriodicRealisation.sub_period_id == win.id)) == 7
    rv = client.post(url, data={"op": "penilaian", "target_id": target.id, "category": "diatas", "feedback": "x"})
    assert rv.status_code == 302
    assert "Penilaian periodik RHK dapat ditambahkan hanya pejabat penilai" in client.get(url).get_data(as_text=True)
    login_as(client, penilai)
    client.post(url, data={"op": "penilaian", "target_id": target.id, "category": "sesuai",
                           "feedback": "Pertahankan ketepatan waktu"})
    html = client.get(url).get_data(as_text=True)
    assert "Sesuai Ekspektasi" in html and "Pertahankan ketepatan waktu" in html
    # a thread message from the employee, a coaching note from the rater
    login_as(client, pegawai)
    client.post(f"/admin/skp/{plan.id}/umpan-balik", data={"target_id": "", "body": "Mohon arahan untuk RHK 2."})
    login_as(client, penilai)
    client.post(f"/admin/skp/{plan.id}/bimbingan", data={"kind": "konseling", "body": "Kelola beban kerja."})
    note = db.session.scalar(select(CoachingNote))
    assert note is not None and note.recorded_by_id == penilai.id
    for who, sees in (("pegawai", True), ("penilai", True), ("atasan", False), ("operator", False),
                      ("admin", False), ("inspektur", False)):
        login_as(client, users[who])
        html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
        assert ("Mohon arahan untuk RHK 2." in html) is True, who  # the thread is part of the record
        assert ("Kelola beban kerja." in html) is sees, who
    # the audit trail keeps that the note was written, never its text
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "coaching_note"))
    assert row.changes["body"] == "(dirahasiakan)"
    # messages are never changed, by their author included
    from models import FeedbackMessage

    trail.set_actor(db.session, pegawai)
    try:
        db.session.scalar(select(FeedbackMessage)).body = "diubah"
        with pytest.raises(policy.PolicyError):
            db.session.flush()
    finally:
        trail.set_actor(db.session, None)
        db.session.rollback()


def test_worklist_counts_equal_the_lists_they_open(client, demo):
    plan = plan_of(demo)
    users = users_around(demo, plan)
    set_state(plan, "approved", "running")
    _open_windows(db.session.get(Period, plan.period_id), 1)
    db.session.commit()
    checked = 0
    for who in ("penilai", "pegawai", "atasan", "operator"):
        login_as(client, users[who])
        page = client.get("/admin/tugas/").get_data(as_text=True)
        nav = int(re.search(r'id="nav-tugas-jumlah">(\d+)<', page).group(1))
        total = 0
        for kind in worklist.KINDS:
            shown = int(re.search(rf'id="tugas-{kind.code}".*?data-count="(\d+)"', page, re.S).group(1))
            html = client.get(f"/admin/tugas/{kind.code}").get_data(as_text=True)
            rows = len(re.findall(r'<tr class="tugas">', html))
            assert rows == shown, (who, kind.code, rows, shown)
            total += shown
            checked += rows
        assert nav == total
    assert checked > 0
    # the rater sees the SKP waiting for periodic judgement and the employee the realisation due
    assert worklist.counts(db.session, users["penilai"])["periodik"] >= 1
    assert worklist.counts(db.session, users["pegawai"])["realisasi"] >= 1
