"""Workflow state machines, the closed-period lock, the audit trail, objections (no HTTP)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from kinerja_admin.workflow import PeriodLockedError, WorkflowError
from kinerja_admin.workflow import objection as wobj
from kinerja_admin.workflow import period as wperiod
from kinerja_admin.workflow import plan as wplan
from kinerja_admin.workflow import score as wscore
from kinerja_admin.workflow import trail as wtrail
from models import (
    AuditLog,
    BehaviourRating,
    Employee,
    Objection,
    Period,
    Realisation,
    ScoreResult,
    ScoringScheme,
    Setting,
    Target,
    Unit,
    WorkPlan,
)
from models.base import utcnow


def audit_count(**kw):
    q = select(func.count()).select_from(AuditLog)
    for k, v in kw.items():
        q = q.where(getattr(AuditLog, k) == v)
    return db.session.scalar(q)


def my_plan(demo, username, code="2026"):
    user = demo["users"][username]
    return db.session.scalar(select(WorkPlan).join(Period).where(
        Period.code == code, WorkPlan.employee_id == user.employee_id))


def rated_by(demo, username, status, code="2026"):
    user = demo["users"][username]
    return db.session.scalars(select(WorkPlan).join(Period).where(
        Period.code == code, WorkPlan.rater_id == user.employee_id, WorkPlan.status == status)
        .order_by(WorkPlan.id)).all()


def foreign_plan(demo, status="submitted", code="2026"):
    """A plan the demo penilai has nothing to do with."""
    emp = demo["users"]["penilai"].employee_id
    return db.session.scalar(select(WorkPlan).join(Period).join(Employee, Employee.id == WorkPlan.employee_id).where(
        Period.code == code, WorkPlan.status == status, WorkPlan.employee_id != emp,
        WorkPlan.rater_id != emp, WorkPlan.rater_superior_id != emp,
        func.coalesce(Employee.superior_id, 0) != emp).order_by(WorkPlan.id))


def refused(fn, *args, match=None, **kw):
    with pytest.raises(WorkflowError) as exc:
        fn(*args, **kw)
    db.session.rollback()
    if match:
        assert match in str(exc.value), str(exc.value)
    return str(exc.value)


# --- plan state machine ------------------------------------------------------------------------
def test_plan_walks_the_whole_state_machine(demo):
    u = demo["users"]
    plan = my_plan(demo, "pegawai")
    assert plan.status == "draft" and plan.rater_id == u["penilai"].employee_id
    wplan.submit(db.session, u["pegawai"], plan)
    wplan.approve(db.session, u["penilai"], plan)
    wplan.realise(db.session, u["pegawai"], plan)
    db.session.commit()
    wperiod.advance(db.session, u["operator"], demo["periods"]["2026"])
    db.session.commit()
    # PermenPANRB 6/2022 (the demo's scheme): no assessment without the rater's judgement
    refused(wplan.assess, db.session, u["penilai"], plan, match="belum menetapkan rating hasil kerja")
    wtrail.set_actor(db.session, u["penilai"])
    plan.hasil_rating, plan.perilaku_rating = "sesuai", "sesuai"
    db.session.flush()
    wtrail.set_actor(db.session, None)
    wplan.assess(db.session, u["penilai"], plan)
    wplan.finalise(db.session, u["penilai"], plan)
    db.session.commit()
    assert plan.status == "final" and plan.approved_by_id == u["penilai"].id and plan.version == 7
    trail = db.session.scalars(select(AuditLog).where(AuditLog.entity == "work_plan", AuditLog.entity_id == str(
        plan.id), AuditLog.action == "transition").order_by(AuditLog.id)).all()
    assert [t.changes["status"] for t in trail] == [["draft", "submitted"], ["submitted", "approved"],
                                                    ["approved", "realised"], ["realised", "assessed"],
                                                    ["assessed", "final"]]
    assert {t.username for t in trail} == {"pegawai", "penilai"}


def test_out_of_order_transitions_are_refused_and_change_nothing(demo):
    u = demo["users"]
    plan = my_plan(demo, "pegawai")
    before = (plan.status, plan.version, audit_count())
    msg = refused(wplan.approve, db.session, u["penilai"], plan, match="status Draf, bukan Diajukan")
    assert msg.startswith("SKP tidak dapat disetujui")
    refused(wplan.finalise, db.session, u["operator"], plan, match="bukan Dinilai")
    refused(wplan.realise, db.session, u["pegawai"], plan)
    db.session.refresh(plan)
    assert (plan.status, plan.version, audit_count()) == before


def test_who_may_do_what(demo):
    u = demo["users"]
    plan = rated_by(demo, "penilai", "submitted")[0]
    refused(wplan.approve, db.session, u["pegawai"], plan, match="di luar lingkup")  # not even visible
    refused(wplan.approve, db.session, u["inspektur"], plan, match="inspektur hanya dapat membaca")
    own = my_plan(demo, "pegawai")
    refused(wplan.submit, db.session, u["penilai"], own, match="hanya pegawai yang bersangkutan")
    wplan.submit(db.session, u["operator"], own)  # on the employee's behalf
    db.session.commit()
    assert own.status == "submitted"
    refused(wplan.approve, db.session, u["pegawai"], own, match="pemisahan tugas")  # nobody approves their own


def test_penilai_cannot_approve_outside_scope(demo):
    plan = foreign_plan(demo)
    assert plan is not None
    msg = refused(wplan.approve, db.session, demo["users"]["penilai"], plan)
    assert "di luar lingkup" in msg
    db.session.refresh(plan)
    assert plan.status == "submitted"


def test_return_needs_a_reason_and_resubmission_clears_it(demo):
    u = demo["users"]
    plan = rated_by(demo, "penilai", "submitted")[0]
    refused(wplan.return_plan, db.session, u["penilai"], plan, "   ", match="Alasan wajib diisi")
    db.session.refresh(plan)
    assert plan.status == "submitted"
    wplan.return_plan(db.session, u["penilai"], plan, "Indikator belum terukur")
    db.session.commit()
    assert (plan.status, plan.return_reason) == ("returned", "Indikator belum terukur")
    row = db.session.scalars(select(AuditLog).where(AuditLog.entity_id == str(plan.id),
                                                    AuditLog.action == "transition")).one()
    assert row.reason == "Indikator belum terukur"
    wplan.submit(db.session, u["operator"], plan)
    db.session.commit()
    assert plan.status == "submitted" and plan.return_reason is None


def test_submit_without_targets_is_refused(demo):
    plan = my_plan(demo, "pegawai")
    for t in list(plan.targets):
        db.session.delete(t)
    db.session.commit()
    refused(wplan.submit, db.session, demo["users"]["pegawai"], plan, match="belum memiliki sasaran")


# --- period lifecycle ----------------------------------------------------------------------------
def test_open_period_generates_plans_idempotently_with_hierarchy_and_override(demo):
    u = demo["users"]
    p = Period(code="2027", name="Tahun 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31))
    db.session.add(p)
    db.session.commit()
    # a unit subtree first
    root = db.session.scalar(select(Unit).where(Unit.code == "DINKES"))
    sub_units = wperiod.unit_subtree_ids(db.session, root.id)
    assert len(sub_units) > 1
    n_unit = wperiod.open_period(db.session, u["operator"], p, unit_id=root.id)
    db.session.commit()
    expected_unit = db.session.scalar(select(func.count()).select_from(Employee).where(
        Employee.active.is_(True), Employee.unit_id.in_(sub_units)))
    assert n_unit == expected_unit > 0 and p.status == "planning"
    # then everybody, with one override
    emp = db.session.scalar(select(Employee).where(Employee.superior_id.is_not(None),
                                                   Employee.unit_id.not_in(sub_units)).order_by(Employee.id))
    other = db.session.scalar(select(Employee).where(Employee.id != emp.id, Employee.id != emp.superior_id)
                              .order_by(Employee.id))
    n_all = wperiod.open_period(db.session, u["operator"], p, overrides={emp.id: (other.id, None)})
    db.session.commit()
    active = db.session.scalar(select(func.count()).select_from(Employee).where(Employee.active.is_(True)))
    assert n_unit + n_all == active
    assert wperiod.open_period(db.session, u["operator"], p) == 0  # idempotent
    plans = db.session.scalars(select(WorkPlan).where(WorkPlan.period_id == p.id)).all()
    by_emp = {pl.employee_id: pl for pl in plans}
    assert by_emp[emp.id].rater_id == other.id
    sample = next(e for e in demo["employees"] if e.superior_id and e.superior and e.superior.superior_id
                  and e.id != emp.id)
    assert by_emp[sample.id].rater_id == sample.superior_id
    assert by_emp[sample.id].rater_superior_id == sample.superior.superior_id
    assert audit_count(action="insert", entity="work_plan") == active


def test_period_transitions_close_force_and_reopen(demo):
    u = demo["users"]
    p25 = demo["periods"]["2025"]
    assert p25.status == "assessing"
    refused(wperiod.advance, db.session, u["penilai"], p25, match="Hanya operator atau admin")
    msg = refused(wperiod.close, db.session, u["operator"], p25)
    assert "belum dapat ditutup" in msg and "SKP belum final" in msg
    refused(wperiod.close, db.session, u["operator"], p25, force=True, reason=" ", match="Alasan tutup paksa")
    assert db.session.get(Period, p25.id).status == "assessing"
    wperiod.close(db.session, u["operator"], p25, force=True, reason="Batas waktu BKN")
    db.session.commit()
    assert p25.status == "closed"
    refused(wperiod.advance, db.session, u["operator"], p25, match="sudah ditutup")
    refused(wperiod.reopen, db.session, u["operator"], p25, "perbaikan", match="Hanya admin")
    refused(wperiod.reopen, db.session, u["admin"], p25, "", match="Alasan membuka kembali")
    wperiod.reopen(db.session, u["admin"], p25, "Koreksi data mutasi")
    db.session.commit()
    assert p25.status == "assessing"
    rows = db.session.scalars(select(AuditLog).where(AuditLog.entity == "period", AuditLog.action == "transition")
                              .order_by(AuditLog.id)).all()
    assert [r.changes["status"] for r in rows] == [["assessing", "closed"], ["closed", "assessing"]]
    assert "Batas waktu BKN" in rows[0].reason and rows[1].reason == "Koreksi data mutasi"


def test_close_without_force_when_everything_is_final(demo):
    u = demo["users"]
    p25 = demo["periods"]["2025"]
    ids = select(WorkPlan.id).where(WorkPlan.period_id == p25.id)
    result = wplan.bulk(db.session, u["admin"], "finalise", ids)
    db.session.commit()
    assert not result.skipped and len(result.done) == len(demo["employees"])
    wperiod.close(db.session, u["operator"], p25)
    db.session.commit()
    assert p25.status == "closed"


# --- the closed-period lock, below the views -------------------------------------------------------
@pytest.fixture
def closed_2025(demo):
    p = demo["periods"]["2025"]
    wperiod.close(db.session, demo["users"]["operator"], p, force=True, reason="uji kunci")
    db.session.commit()
    return p


def _plan_2025(closed):
    return db.session.scalar(select(WorkPlan).where(WorkPlan.period_id == closed.id).order_by(WorkPlan.id))


@pytest.mark.parametrize("what", ["plan_update", "plan_delete", "target_insert", "indicator_update",
                                  "realisation_insert", "rating_update", "score_insert", "period_rename",
                                  "period_status"])
def test_lock_guard_refuses_direct_session_writes(closed_2025, what):
    plan = _plan_2025(closed_2025)
    n_audit = audit_count()
    target = plan.targets[0]
    indicator = target.indicators[0]
    if what == "plan_update":
        plan.feedback = "diubah diam-diam"
    elif what == "plan_delete":
        db.session.delete(plan)
    elif what == "target_insert":
        db.session.add(Target(work_plan_id=plan.id, seq=99, description="sisipan"))
    elif what == "indicator_update":
        indicator.target_value = Decimal("1")
    elif what == "realisation_insert":
        indicator.realisations.append(Realisation(value=Decimal("5")))
    elif what == "rating_update":
        rating = db.session.scalar(select(BehaviourRating).order_by(BehaviourRating.id))
        rating.value = rating.value + 1
    elif what == "score_insert":
        scheme = db.session.scalar(select(ScoringScheme))
        db.session.add(ScoreResult(period_id=closed_2025.id, employee_id=plan.employee_id, work_plan_id=plan.id,
                                   unit_id=plan.unit_id, scheme_id=scheme.id, scheme_version=1, status="computed"))
    elif what == "period_rename":
        closed_2025.name = "diganti"
    elif what == "period_status":
        closed_2025.status = "assessing"  # not through reopen
    with pytest.raises(PeriodLockedError) as exc:
        db.session.commit()
    assert "sudah ditutup" in str(exc.value)
    db.session.rollback()
    assert audit_count() == n_audit
    assert db.session.get(Period, closed_2025.id).status == "closed"


def test_lock_guard_does_not_block_open_periods(closed_2025, demo):
    plan = my_plan(demo, "pegawai")  # 2026, running
    plan.feedback = "boleh"
    db.session.commit()
    assert audit_count(action="update", entity="work_plan", entity_id=str(plan.id)) == 1


def test_workflows_refuse_locked_period(closed_2025, demo):
    plan = _plan_2025(closed_2025)
    msg = refused(wplan.finalise, db.session, demo["users"]["operator"], plan)
    assert "sudah ditutup" in msg


# --- audit trail -----------------------------------------------------------------------------------
def test_audit_row_written_in_same_transaction_and_rolled_back_with_it(demo):
    plan = my_plan(demo, "pegawai")
    n = audit_count()
    target = plan.targets[0]
    target.description = "RHK baru"
    db.session.flush()
    assert audit_count() == n + 1
    row = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert row.entity == "target" and row.action == "update"
    assert row.changes["description"][1] == "RHK baru"
    db.session.rollback()
    assert audit_count() == n
    wplan.submit(db.session, demo["users"]["pegawai"], plan)
    assert audit_count() == n + 1
    db.session.rollback()
    assert audit_count() == n and db.session.get(WorkPlan, plan.id).status == "draft"


def test_audit_log_is_append_only(demo):
    row = db.session.scalar(select(AuditLog))
    row.reason = "dipalsukan"
    with pytest.raises(WorkflowError, match="Jejak audit hanya dapat ditambah"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditLog)))
    with pytest.raises(WorkflowError):
        db.session.flush()
    db.session.rollback()


# --- bulk engine: constant statement count ------------------------------------------------------------
def test_bulk_statement_count_does_not_grow_with_rows(demo):
    from sqlalchemy import event

    u = demo["users"]
    p26 = demo["periods"]["2026"]
    ids = db.session.scalars(select(WorkPlan.id).where(WorkPlan.period_id == p26.id, WorkPlan.status == "submitted")
                             .order_by(WorkPlan.id)).all()
    assert len(ids) >= 12
    counts = []
    for chunk in (ids[:2], ids[2:]):
        n = [0]

        def count(*a, **k):
            n[0] += 1  # noqa: B023 (listener removed before the next iteration)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = wplan.bulk(db.session, u["operator"], "approve", chunk)
            db.session.flush()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(result.done) == len(chunk)
        counts.append(n[0])
    db.session.commit()
    assert counts[0] == counts[1], counts
    assert audit_count(action="transition", entity="work_plan") == len(ids)


def test_bulk_conflict_rolls_back_everything(demo):
    """A row changed by someone else between the batch load and the update: nothing is changed."""
    from sqlalchemy import event

    from kinerja_admin.workflow import ConflictError

    u = demo["users"]
    ids = [p.id for p in rated_by(demo, "penilai", "submitted")]
    victim = ids[-1]

    def sneak(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE WORK_PLAN") and executemany:
            cursor.execute(f"UPDATE work_plan SET version = version + 10 WHERE id = {int(victim)}")

    event.listen(db.engine, "before_cursor_execute", sneak)
    try:
        with pytest.raises(ConflictError):
            wplan.bulk(db.session, u["penilai"], "approve", ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", sneak)
    db.session.rollback()
    assert set(db.session.scalars(select(WorkPlan.status).where(WorkPlan.id.in_(ids)))) == {"submitted"}


# --- score results and objections ---------------------------------------------------------------------
@pytest.fixture
def results_2025(demo):
    p = demo["periods"]["2025"]
    scheme = db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == "PP46-2011"))  # 76-<91 Baik
    plans = db.session.scalars(select(WorkPlan).where(WorkPlan.period_id == p.id).order_by(WorkPlan.id)).all()
    out = []
    for plan in plans:
        r = ScoreResult(period_id=p.id, employee_id=plan.employee_id, work_plan_id=plan.id, unit_id=plan.unit_id,
                        scheme_id=scheme.id, scheme_version=1, final_value=Decimal("80"), predicate="Baik",
                        status="computed", computed_at=utcnow())
        db.session.add(r)
        out.append(r)
    db.session.commit()
    return out


def test_score_state_machine(demo, results_2025):
    u = demo["users"]
    pegawai_result = next(r for r in results_2025 if r.employee_id == u["pegawai"].employee_id)
    refused(wscore.publish, db.session, u["operator"], pegawai_result, match="bukan Disetujui")
    # approval belongs to the rater's superior (or staff); the rater alone may not
    plan = db.session.get(WorkPlan, pegawai_result.work_plan_id)
    assert plan.rater_id == u["penilai"].employee_id
    refused(wscore.approve, db.session, u["penilai"], pegawai_result)
    wscore.approve(db.session, u["operator"], pegawai_result)
    db.session.commit()
    refused(wscore.publish, db.session, u["penilai"], pegawai_result)
    wscore.publish(db.session, u["operator"], pegawai_result)
    db.session.commit()
    assert pegawai_result.status == "published" and pegawai_result.published_at is not None


def _published(demo, results):
    u = demo["users"]
    r = next(r for r in results if r.employee_id == u["pegawai"].employee_id)
    ids = [x.id for x in results]
    # the admin (no employee record of their own) signs off every result of the period
    assert len(wscore.bulk(db.session, u["admin"], "approve", ids).done) == len(ids)
    assert len(wscore.bulk(db.session, u["admin"], "publish", ids).done) == len(ids)
    db.session.commit()
    db.session.refresh(r)
    return r


def _decider_user(demo, result):
    from models import User

    plan = db.session.get(WorkPlan, result.work_plan_id)
    user = User(username="atasan2", role="penilai", full_name="Atasan", employee_id=plan.rater_superior_id)
    user.set_password("Rahasia#12345")
    db.session.add(user)
    db.session.commit()
    return user


def test_objection_window_edges(demo, results_2025):
    u = demo["users"]
    r = _published(demo, results_2025)
    refused(wobj.file, db.session, u["pegawai"], r, "   ", match="Alasan keberatan wajib diisi")
    refused(wobj.file, db.session, u["penilai"], r, "bukan saya", match="pegawai yang bersangkutan")
    setting = db.session.get(Setting, "objection.window_days") or Setting(
        key="objection.window_days", value_type="int", description="uji")
    setting.value = "3"
    db.session.add(setting)
    db.session.commit()
    late = r.published_at + dt.timedelta(days=3, seconds=1)
    refused(wobj.file, db.session, u["pegawai"], r, "nilai terlalu rendah", now=late, match="sudah lewat")
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0
    edge = r.published_at + dt.timedelta(days=3)
    o = wobj.file(db.session, u["pegawai"], r, "nilai terlalu rendah", now=edge)
    db.session.commit()
    assert o.status == "filed" and o.decider_id == db.session.get(WorkPlan, r.work_plan_id).rater_superior_id
    refused(wobj.file, db.session, u["pegawai"], r, "lagi", now=edge, match="hanya satu kali")


def test_objection_before_publication_is_refused(demo, results_2025):
    r = next(x for x in results_2025 if x.employee_id == demo["users"]["pegawai"].employee_id)
    refused(wobj.file, db.session, demo["users"]["pegawai"], r, "alasan", match="sudah diumumkan")


def test_objection_decision_by_rater_superior_is_final(demo, results_2025):
    u = demo["users"]
    r = _published(demo, results_2025)
    o = wobj.file(db.session, u["pegawai"], r, "Realisasi triwulan IV belum dihitung")
    db.session.commit()
    refused(wobj.decide, db.session, u["penilai"], o, accept=True, reason="ok", new_predicate="Sangat Baik",
            match="Hanya atasan pejabat penilai")
    decider = _decider_user(demo, r)
    refused(wobj.decide, db.session, decider, o, accept=True, reason="", match="Alasan putusan")
    refused(wobj.decide, db.session, decider, o, accept=True, reason="ok", match="isi nilai baru")
    wobj.decide(db.session, decider, o, accept=True, reason="Bukti realisasi sah", new_predicate="Sangat Baik",
                new_value="95.5")
    db.session.commit()
    db.session.refresh(r)
    assert (r.predicate, r.final_value) == ("Sangat Baik", Decimal("95.5"))
    assert (o.old_predicate, o.old_value) == ("Baik", Decimal("80"))  # the decision keeps what it changed
    assert (o.status, o.decision_reason) == ("accepted", "Bukti realisasi sah")
    refused(wobj.decide, db.session, decider, o, accept=False, reason="berubah pikiran", match="final")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.entity == "score_result",
                                                      AuditLog.action == "objection")).one()
    assert entry.changes["predicate"] == ["Baik", "Sangat Baik"] and entry.reason == "Bukti realisasi sah"


def test_objection_reject(demo, results_2025):
    u = demo["users"]
    r = _published(demo, results_2025)
    o = wobj.file(db.session, u["pegawai"], r, "keberatan")
    db.session.commit()
    decider = _decider_user(demo, r)
    wobj.decide(db.session, decider, o, accept=False, reason="Nilai sesuai bukti")
    db.session.commit()
    db.session.refresh(r)
    assert o.status == "rejected" and r.predicate == "Baik"


# --- CLI ----------------------------------------------------------------------------------------------
def test_cli_period_commands(app, demo):
    runner = app.test_cli_runner()
    res = runner.invoke(args=["kinerja", "period", "close", "2025"])
    assert res.exit_code == 1 and "belum dapat ditutup" in res.output
    res = runner.invoke(args=["kinerja", "period", "close", "2025", "--force"])
    assert res.exit_code == 1 and "Alasan tutup paksa wajib diisi" in res.output
    res = runner.invoke(args=["kinerja", "period", "close", "2025", "--force", "--reason", "akhir tahun"])
    assert res.exit_code == 0, res.output
    db.session.expire_all()
    assert db.session.scalar(select(Period.status).where(Period.code == "2025")) == "closed"
    res = runner.invoke(args=["kinerja", "period", "reopen", "2025", "--reason", "koreksi", "--user", "operator"])
    assert res.exit_code == 1 and "Hanya admin" in res.output
