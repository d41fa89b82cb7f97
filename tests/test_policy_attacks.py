"""Every attack found against the appraisal record (the record-integrity issue, items 1-7), replayed as
the attacker did it: through the real admin form POSTs and actions, and through the ORM directly.
Each is refused, nothing is stored and the audit trail is unchanged."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from kinerja_admin.extensions import db
from kinerja_admin.policy import PolicyError
from kinerja_admin.scoring.engine import score_period
from kinerja_admin.workflow import WorkflowError, trail
from kinerja_admin.workflow import objection as objection_flow
from kinerja_admin.workflow import period as period_flow
from kinerja_admin.workflow import plan as plan_flow
from kinerja_admin.workflow import score as score_flow
from models import (
    AuditLog,
    Indicator,
    Objection,
    Period,
    RaterAssignment,
    Realisation,
    ScoreResult,
    ScoringScheme,
    Target,
    UnitRating,
    User,
    WorkPlan,
)
from tests.conftest import login_as


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog))


def own_plan(demo, code="2025", who="pegawai"):
    return db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == demo["users"][who].employee_id,
                                                    WorkPlan.period_id == demo["periods"][code].id))


def snapshot(obj):
    db.session.expire_all()
    fresh = db.session.get(type(obj), obj.id)
    return {c.key: getattr(fresh, c.key) for c in type(obj).__table__.columns}


# --- 1. employees grade themselves ----------------------------------------------------------------

@pytest.mark.parametrize("status", ["realised", "assessed"])
def test_1_employee_cannot_set_raters_unit_or_judgement_on_own_plan(client, demo, status):
    plan = own_plan(demo)
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status=status))
    db.session.commit()
    before, n = snapshot(plan), audit_rows()
    login_as(client, demo["users"]["pegawai"])
    rv = client.post(f"/admin/work_plan/edit/?id={plan.id}", data={
        "rater": str(plan.employee_id), "rater_superior": str(plan.employee_id), "unit": str(plan.unit_id),
        "hasil_rating": "diatas", "perilaku_rating": "diatas", "innovation": "y", "feedback": "Luar biasa",
        "row_version": str(plan.version)})
    assert rv.status_code == 403  # an employee has nothing to change on the plan record itself
    # the same through the session, as the employee
    trail.set_actor(db.session, demo["users"]["pegawai"])
    fresh = db.session.get(WorkPlan, plan.id)
    fresh.hasil_rating = "diatas" if fresh.hasil_rating != "diatas" else "dibawah"  # the demo's rater judged
    with pytest.raises(PolicyError, match="Rating hasil kerja pada SKP dapat diubah hanya pejabat penilai"):
        db.session.flush()
    db.session.rollback()
    trail.set_actor(db.session, None)
    assert snapshot(plan) == before and audit_rows() == n


def test_1_a_penilai_cannot_judge_or_rewire_their_own_plan(client, demo):
    """A superior has an SKP too: on it they are the subject, and their form offers nothing."""
    plan = own_plan(demo, who="penilai")
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="realised"))
    db.session.commit()
    before, n = snapshot(plan), audit_rows()
    login_as(client, demo["users"]["penilai"])
    rv = client.get(f"/admin/work_plan/edit/?id={plan.id}")
    assert rv.status_code == 302 and "/details/" in rv.headers["Location"]
    client.post(f"/admin/work_plan/edit/?id={plan.id}", data={
        "hasil_rating": "diatas", "perilaku_rating": "diatas", "rater_superior": str(plan.employee_id),
        "row_version": str(plan.version)})
    assert snapshot(plan) == before and audit_rows() == n


# --- 2. self-decided objections --------------------------------------------------------------------

def test_2_nobody_becomes_their_own_decider(client, published):
    users = published["users"]
    plan = own_plan(published)
    # as a record edit: refused whoever tries (operator included)
    trail.set_actor(db.session, users["operator"])
    fresh = db.session.get(WorkPlan, plan.id)
    fresh.rater_superior_id = plan.employee_id
    trail.note(fresh, reason="uji")
    with pytest.raises(PolicyError, match="atasan pejabat penilai bagi dirinya sendiri"):
        db.session.flush()
    db.session.rollback()
    trail.set_actor(db.session, None)
    # a legacy row that already names the employee as the decider: filing refuses to make them decide
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(rater_superior_id=plan.employee_id))
    db.session.commit()
    result = db.session.scalar(select(ScoreResult).where(ScoreResult.work_plan_id == plan.id))
    n = audit_rows()
    with pytest.raises(WorkflowError, match="tidak dapat memutus keberatan"):
        objection_flow.file(db.session, users["pegawai"], result, "Nilai saya kurang")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0 and audit_rows() == n


def _filed(published):
    pegawai = published["users"]["pegawai"]
    result = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id == pegawai.employee_id,
                                                         ScoreResult.period_id == published["periods"]["2025"].id))
    obj = objection_flow.file(db.session, pegawai, result, "Capaian target kedua belum dihitung.")
    decider = User(username="pemutus", role="penilai", full_name="Pemutus", employee_id=obj.decider_id,
                   password_hash="x")
    db.session.add(decider)
    db.session.commit()
    return obj, result, decider


def test_2_a_decision_gives_only_what_the_scheme_defines(client, published):
    obj, result, decider = _filed(published)
    before, n = snapshot(result), audit_rows()
    login_as(client, decider)
    for data, message in (
            ({"new_predicate": "Terbaik Sepanjang Masa"}, "tidak dikenal skema"),
            ({"new_predicate": "Baik", "new_value": "999.9999"}, "tidak memiliki nilai akhir berupa angka"),
            ({"new_value": "Infinity"}, "harus berupa angka")):
        html = client.post(f"/admin/objection/decide/?id={obj.id}", data={
            "decision": "accept", "reason": "dikabulkan", **data}).get_data(as_text=True)
        assert message in html
    assert snapshot(result) == before and audit_rows() == n
    assert db.session.get(Objection, obj.id).status == "filed"
    public = client.get("/publik/").get_data(as_text=True)
    assert "Terbaik Sepanjang Masa" not in public and "1.000,00" not in public


def test_2_numeric_decision_inside_the_scale_with_the_band_predicate(demo):
    """Under a numeric scheme the value must lie on the scheme's scale and the predicate is its band's."""
    users = demo["users"]
    period = demo["periods"]["2025"]
    pp30 = db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == "PP30-2019"))
    period_flow.change_scheme(db.session, users["operator"], period, pp30.id, "uji skema numerik")
    score_period(db.session, period)
    ids = db.session.scalars(select(ScoreResult.id).where(ScoreResult.period_id == period.id)).all()
    score_flow.bulk(db.session, users["admin"], "approve", ids)
    score_flow.bulk(db.session, users["admin"], "publish", ids)
    db.session.commit()
    obj, result, decider = _filed({"users": users, "periods": demo["periods"]})
    with pytest.raises(WorkflowError, match="antara 0 dan 120"):
        objection_flow.decide(db.session, decider, obj, accept=True, reason="x", new_value="999.9999")
    with pytest.raises(WorkflowError, match="berpredikat Cukup, bukan Sangat Baik"):  # PP 30: 70-<90 Cukup
        objection_flow.decide(db.session, decider, obj, accept=True, reason="x", new_value="75",
                              new_predicate="Sangat Baik")
    db.session.rollback()
    objection_flow.decide(db.session, decider, obj, accept=True, reason="bukti lengkap", new_value="95")
    db.session.commit()
    db.session.refresh(result)
    assert (result.final_value, result.predicate) == (Decimal("95"), "Baik")  # 90-120 Baik (no innovation)


def test_2_nobody_approves_their_own_result(published):
    """The penilai's own result: neither they nor anyone acting on their own record signs it off."""
    users = published["users"]
    period = published["periods"]["2025"]
    db.session.execute(update(ScoreResult).where(ScoreResult.period_id == period.id).values(status="computed"))
    db.session.commit()
    own = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id == users["penilai"].employee_id,
                                                      ScoreResult.period_id == period.id))
    plan = db.session.get(WorkPlan, own.work_plan_id)
    # even where the data names them their own rater's superior (legacy data), approval is refused
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(rater_superior_id=plan.employee_id))
    db.session.commit()
    result = score_flow.bulk(db.session, users["penilai"], "approve", [own.id])
    assert result.done == [] and "pemisahan tugas" in result.skipped[0][2]
    db.session.refresh(own)
    assert own.status == "computed"


# --- 3. approved and published plans stay as signed -------------------------------------------------

def test_3_published_skp_content_cannot_be_changed(client, published):
    plan = own_plan(published)
    target = plan.targets[0]
    indicator = target.indicators[0]
    before = (snapshot(target), snapshot(indicator))
    n_targets = db.session.scalar(select(func.count()).select_from(Target).where(Target.work_plan_id == plan.id))
    n_real = db.session.scalar(select(func.count()).select_from(Realisation))
    n = audit_rows()
    login_as(client, published["users"]["pegawai"])
    client.post(f"/admin/target/edit/?id={target.id}", data={
        "seq": str(target.seq), "description": "Teks baru", "row_version": str(target.version)})
    client.post("/admin/target/new/", data={"work_plan": str(plan.id), "seq": "9", "description": "RHK tambahan"})
    client.post(f"/admin/indicator/edit/?id={indicator.id}", data={
        "aspect": indicator.aspect, "description": indicator.description, "target_value": "5",
        "unit_label": indicator.unit_label, "row_version": str(indicator.version)})
    client.post("/admin/realisation/new/", data={"indicator": str(indicator.id), "value": "30",
                                                  "feedback": "Umpan balik penilai karangan sendiri"})
    assert (snapshot(target), snapshot(indicator)) == before
    assert db.session.scalar(select(func.count()).select_from(Target).where(Target.work_plan_id == plan.id)) == n_targets
    assert db.session.scalar(select(func.count()).select_from(Realisation)) == n_real
    assert audit_rows() == n


def test_3_an_approved_plan_changes_only_through_a_revision(demo):
    """Perubahan SKP: the rater reopens with a reason (back to draft, audited); then the employee edits."""
    users = demo["users"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.rater_id == users["penilai"].employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id,
                                                    WorkPlan.status == "submitted"))
    plan_flow.approve(db.session, users["penilai"], plan)
    db.session.commit()
    subject = User(username="bawahan", role="pegawai", full_name="Bawahan", employee_id=plan.employee_id,
                   password_hash="x")
    db.session.add(subject)
    db.session.commit()
    trail.set_actor(db.session, subject)
    target = db.session.get(WorkPlan, plan.id).targets[0]
    target.description = "diubah setelah disetujui"
    with pytest.raises(PolicyError, match="saat SKP berstatus Draf atau Dikembalikan"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(WorkflowError, match="Alasan wajib diisi"):
        plan_flow.revise(db.session, users["penilai"], plan, " ")
    with pytest.raises(WorkflowError, match="pemisahan tugas"):
        plan_flow.revise(db.session, subject, plan, "saya mau ubah")
    plan_flow.revise(db.session, users["penilai"], plan, "Target triwulan disesuaikan dengan anggaran perubahan")
    db.session.commit()
    target = db.session.get(WorkPlan, plan.id).targets[0]
    target.description = "diubah dalam perubahan SKP"
    db.session.commit()
    trail.set_actor(db.session, None)
    assert db.session.get(WorkPlan, plan.id).status == "draft"
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "work_plan", AuditLog.entity_id == str(plan.id),
                                                   AuditLog.action == "transition").order_by(AuditLog.id.desc()))
    assert row.changes["status"] == ["approved", "draft"] and "anggaran perubahan" in row.reason


# --- 4. operators rewrite published results -----------------------------------------------------------

def test_4_operator_cannot_rewrite_a_published_result(client, published):
    result = db.session.scalar(select(ScoreResult).where(ScoreResult.status == "published"))
    before, n = snapshot(result), audit_rows()
    login_as(client, published["users"]["operator"])
    assert client.post(f"/admin/score_result/edit/?id={result.id}",
                       data={"predicate": "Sangat Baik"}).status_code == 403
    trail.set_actor(db.session, published["users"]["operator"])
    db.session.get(ScoreResult, result.id).predicate = "Sangat Baik"
    with pytest.raises(PolicyError, match="hanya diisi oleh sistem"):
        db.session.flush()
    db.session.rollback()
    trail.set_actor(db.session, None)
    assert snapshot(result) == before and audit_rows() == n


# --- 5. a save never erases what its editor cannot see ------------------------------------------------

def test_5_penilai_saving_a_note_keeps_the_raters(client, demo):
    users = demo["users"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.rater_id == users["penilai"].employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id))
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="realised"))
    db.session.commit()
    raters = (plan.rater_id, plan.rater_superior_id, plan.unit_id, plan.position_id)
    assert raters[1] is not None
    login_as(client, users["penilai"])
    html = client.get(f"/admin/work_plan/edit/?id={plan.id}").get_data(as_text=True)
    assert 'name="rater_superior"' not in html and 'name="feedback"' in html
    # the attacker's form posts the fields anyway (empty, as an unfound lookup would)
    rv = client.post(f"/admin/work_plan/edit/?id={plan.id}", data={
        "feedback": "Pertahankan", "rater": "", "rater_superior": "", "unit": "", "position": "",
        "hasil_rating": "", "perilaku_rating": "", "row_version": str(plan.version)})
    assert rv.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(WorkPlan, plan.id)
    assert fresh.feedback == "Pertahankan"
    assert (fresh.rater_id, fresh.rater_superior_id, fresh.unit_id, fresh.position_id) == raters


def test_5_changing_a_rater_needs_a_reason_and_staff(client, demo):
    users = demo["users"]
    plan = own_plan(demo, "2026")
    new_superior = db.session.scalar(select(WorkPlan.rater_superior_id).where(
        WorkPlan.rater_superior_id.not_in([plan.rater_superior_id, plan.rater_id, plan.employee_id])))
    login_as(client, users["operator"])
    data = {"period": str(plan.period_id), "employee": str(plan.employee_id), "rater": str(plan.rater_id),
            "rater_superior": str(new_superior), "unit": str(plan.unit_id),
            "position": str(plan.position_id or ""), "row_version": str(plan.version)}
    html = client.post(f"/admin/work_plan/edit/?id={plan.id}", data=data, follow_redirects=True).get_data(
        as_text=True)
    assert "wajib disertai alasan" in html
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).rater_superior_id == plan.rater_superior_id
    rv = client.post(f"/admin/work_plan/edit/?id={plan.id}",
                     data={**data, "policy_reason": "Atasan lama pensiun per 1 Maret"})
    assert rv.status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).rater_superior_id == new_superior
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "work_plan",
                                                   AuditLog.entity_id == str(plan.id)).order_by(AuditLog.id.desc()))
    assert row.reason == "Atasan lama pensiun per 1 Maret" and "rater_superior_id" in row.changes


# --- 6. no silent lost update on targets, indicators, realisations -------------------------------------

@pytest.mark.parametrize("model", [Indicator, Realisation])
def test_6_stale_writes_are_refused(demo, model):
    from sqlalchemy.orm.exc import StaleDataError

    row = db.session.scalar(select(model).order_by(model.id))
    # the other user's save, behind this session's back
    db.session.execute(update(model).where(model.id == row.id).values(version=model.version + 1)
                       .execution_options(synchronize_session=False))
    field = "description" if model is Indicator else "evidence_note"
    setattr(row, field, "tulisan yang basi")
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()


# --- 7. the other holes --------------------------------------------------------------------------------

def test_7_no_realisation_on_an_unapproved_plan(client, demo):
    plan = own_plan(demo, "2026")
    assert plan.status == "draft"
    indicator = plan.targets[0].indicators[0]
    login_as(client, demo["users"]["pegawai"])
    html = client.post("/admin/realisation/new/", data={"indicator": str(indicator.id), "value": "3"},
                       follow_redirects=True).get_data(as_text=True)
    assert "saat SKP berstatus Disetujui atau Realisasi" in html
    assert db.session.scalar(select(func.count()).select_from(Realisation).where(
        Realisation.indicator_id == indicator.id)) == 0


def test_7_scheme_of_a_scored_period_changes_only_through_ganti_skema(client, published):
    users = published["users"]
    period = published["periods"]["2025"]
    other = db.session.scalar(select(ScoringScheme).where(ScoringScheme.id != period.scheme_id))
    login_as(client, users["operator"])
    html = client.get(f"/admin/period/edit/?id={period.id}").get_data(as_text=True)
    assert 'name="scheme"' not in html  # results exist: the field is not offered
    trail.set_actor(db.session, users["operator"])
    db.session.get(Period, period.id).scheme_id = other.id
    with pytest.raises(PolicyError, match="Ganti skema"):
        db.session.flush()
    db.session.rollback()
    trail.set_actor(db.session, None)
    with pytest.raises(WorkflowError, match="sudah disetujui atau diumumkan"):
        period_flow.change_scheme(db.session, users["operator"], period, other.id, "salah pilih")
    db.session.rollback()
    assert db.session.get(Period, period.id).scheme_id != other.id


def test_7_ganti_skema_discards_computed_results_with_a_reason(demo):
    users = demo["users"]
    period = demo["periods"]["2025"]
    score_period(db.session, period)
    db.session.commit()
    other = db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == "PP30-2019"))
    n = period_flow.change_scheme(db.session, users["operator"], period, other.id, "Perwali baru")
    db.session.commit()
    assert n == len(demo["employees"])
    assert db.session.scalar(select(func.count()).select_from(ScoreResult).where(
        ScoreResult.period_id == period.id)) == 0
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "period").order_by(AuditLog.id.desc()))
    assert row.changes["scheme_id"][1] == other.id and "Perwali baru" in row.reason


def test_7_unit_rating_of_a_closed_period_is_locked(client, demo):
    users = demo["users"]
    period = demo["periods"]["2025"]
    rating = db.session.scalar(select(UnitRating).where(UnitRating.period_id == period.id))
    period_flow.close(db.session, users["operator"], period, force=True, reason="uji")
    db.session.commit()
    login_as(client, users["operator"])
    client.post(f"/admin/unit_rating/edit/?id={rating.id}", data={
        "period": str(rating.period_id), "unit": str(rating.unit_id), "rating": "istimewa"})
    db.session.expire_all()
    assert db.session.get(UnitRating, rating.id).rating == rating.rating or rating.rating == "istimewa"
    db.session.get(UnitRating, rating.id).rating = "sangat_kurang"
    with pytest.raises(WorkflowError, match="sudah ditutup"):
        db.session.flush()
    db.session.rollback()


def test_7_indicator_formula_is_one_the_scheme_allows(client, demo):
    plan = own_plan(demo, "2026")
    indicator = plan.targets[0].indicators[0]
    login_as(client, demo["users"]["pegawai"])
    client.post(f"/admin/indicator/edit/?id={indicator.id}", data={
        "aspect": indicator.aspect, "description": indicator.description, "target_value": "4",
        "unit_label": indicator.unit_label, "formula_code": "rumus_ngawur", "row_version": str(indicator.version)})
    db.session.expire_all()
    assert db.session.get(Indicator, indicator.id).formula_code == indicator.formula_code
    trail.set_actor(db.session, demo["users"]["pegawai"])
    db.session.get(Indicator, indicator.id).formula_code = "pp46_waktu"  # known, not this scheme's
    with pytest.raises(PolicyError, match="tidak diizinkan skema"):
        db.session.flush()
    db.session.rollback()
    trail.set_actor(db.session, None)


def test_7_parent_beyond_the_first_500_rows_can_be_chosen(client, demo):
    """Parent pickers are lookups: any plan in scope can be the parent (no capped <select>)."""
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.status == "draft").order_by(WorkPlan.id.desc()))
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/target/new/", data={"work_plan": str(plan.id), "seq": "50", "description": "RHK baru"})
    assert rv.status_code == 302
    assert db.session.scalar(select(Target).where(Target.work_plan_id == plan.id, Target.seq == 50)) is not None


def test_7_one_audit_row_per_assignment_edit_with_the_rater_masked(client, demo):
    users = demo["users"]
    period = demo["periods"]["2026"]
    ratee, peer, other = [e for e in demo["employees"] if e.id not in {users["operator"].employee_id}][:3]
    row = RaterAssignment(period_id=period.id, ratee_id=ratee.id, rater_id=peer.id, role="rekan", status="pending")
    db.session.add(row)
    db.session.commit()
    n = audit_rows()
    login_as(client, users["admin"])
    rv = client.post(f"/admin/rater_assignment/edit/?id={row.id}", data={
        "period": str(period.id), "ratee": str(ratee.id), "rater": str(other.id), "role": "rekan"})
    assert rv.status_code == 302
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()[n:]
    assert len(rows) == 1 and rows[0].changes["rater_id"] == "(dirahasiakan)"
    assert rows[0].subject_id == ratee.id and rows[0].period_id == period.id


def test_7_inspector_workbook_trail_covers_every_appraisal_entity(app, demo, tmp_path):
    from kinerja_admin.excel.exporter import export_period
    from tests.test_excel_export import _read, _table

    users = demo["users"]
    period = demo["periods"]["2025"]
    plan = own_plan(demo)
    # a revision of the employee's SKP while the period was running, then scored at its end
    db.session.execute(update(Period).where(Period.id == period.id).values(status="running"))
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="approved"))
    db.session.commit()
    plan_flow.revise(db.session, users["penilai"], plan, "Target disesuaikan")
    db.session.commit()
    trail.set_actor(db.session, users["pegawai"])
    target = db.session.get(WorkPlan, plan.id).targets[0]
    target.description = "RHK dirumuskan ulang"
    target.indicators[0].target_value = Decimal(9)
    db.session.commit()
    trail.set_actor(db.session, None)
    db.session.execute(update(Period).where(Period.id == period.id).values(status="assessing"))
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status="assessed"))
    db.session.commit()
    score_period(db.session, period)
    db.session.commit()
    out = tmp_path / "penilai.xlsx"
    export_period(period, str(out), session=db.session, user=users["penilai"])
    _, audit = _table(_read(out)["Jejak Audit"])
    from kinerja_admin.labels import audit_entity

    assert {audit_entity(e) for e in ("target", "indicator", "work_plan")} <= {a["Entitas"] for a in audit}
