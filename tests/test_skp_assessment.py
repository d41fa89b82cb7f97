"""The assessment page (/admin/skp/<plan_id>/nilai) as PermenPANRB 6/2022 has it: the rater judges each RHK
and hasil kerja and perilaku kerja overall, numbers are only suggestions, the matrix gives the predicate
(shown before saving); under the 6/2022 preset the rater's judgement decides and a plan without one is
'belum dinilai atasan'. Golden values: DOMAIN.md's matrix."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from kinerja_admin.extensions import db
from kinerja_admin.scoring.engine import score_period
from models import Realisation, ScoreResult, ScoringScheme, TargetJudgement, WorkPlan
from tests.conftest import login_as
from tests.skp_helpers import flashes, plan_of, set_state, text_of, users_around

# DOMAIN.md, PermenPANRB 6/2022: (hasil, perilaku) -> predikat
MATRIX = {
    ("dibawah", "diatas"): "Butuh Perbaikan", ("sesuai", "diatas"): "Baik", ("diatas", "diatas"): "Sangat Baik",
    ("dibawah", "sesuai"): "Butuh Perbaikan", ("sesuai", "sesuai"): "Baik", ("diatas", "sesuai"): "Baik",
    ("dibawah", "dibawah"): "Sangat Kurang", ("sesuai", "dibawah"): "Kurang (Misconduct)",
    ("diatas", "dibawah"): "Kurang (Misconduct)",
}


@pytest.fixture
def realised(demo):
    """The demo employee's 2026 SKP, realised at 120% of every target (the thresholds suggest 'di atas')."""
    plan = plan_of(demo)
    for t in plan.targets:
        for i in t.indicators:
            value = i.target_value * Decimal("1.2") if not i.lower_is_better else i.target_value * Decimal("0.8")
            db.session.add(Realisation(indicator_id=i.id, value=value, evidence_note="Laporan"))
    db.session.commit()
    set_state(plan, "realised", "running")
    return demo, plan


def _form(client, plan):
    """The page and the form's hidden fields (built from the stored rows when the viewer gets no form:
    a forged POST must be refused by the rules, not by a missing field)."""
    html = client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True)
    found = re.search(r'name="version" value="(\d+)"', html)
    if found is None:
        db.session.expire_all()
        stored = db.session.get(WorkPlan, plan.id)
        return html, {"version": str(stored.version), **{
            f"rhk-version-{t.id}": str(t.judgement.version) if t.judgement else "" for t in stored.targets}}
    data = {"version": found.group(1)}
    for tid, version in re.findall(r'name="rhk-version-(\d+)" value="(\d*)"', html):
        data[f"rhk-version-{tid}"] = version
    return html, data


def _judge(client, plan, hasil, perilaku, action, rhk=None):
    html, data = _form(client, plan)
    for key in [k for k in data if k.startswith("rhk-version-")]:
        data[f"rhk-{key.rsplit('-', 1)[1]}"] = rhk or hasil
    data.update(hasil_rating=hasil, perilaku_rating=perilaku, feedback="Umpan balik akhir tahun.", action=action)
    return client.post(f"/admin/skp/{plan.id}/nilai", data=data, follow_redirects=True)


def _predicate_shown(html):
    return re.search(r'id="predikat" data-predicate="([^"]*)"', html).group(1)


def _result(plan):
    db.session.expire_all()
    return db.session.scalar(select(ScoreResult).where(ScoreResult.work_plan_id == plan.id))


def test_the_page_shows_suggestions_and_the_360_averages_beside_the_judgement(client, realised):
    demo, plan = realised
    login_as(client, demo["users"]["penilai"])
    html, _ = _form(client, plan)
    text = text_of(html)
    assert "penilaian pejabat penilai menentukan" in text  # the 6/2022 preset's penentu rating
    assert text.count("saran: Di Atas Ekspektasi") == len(plan.targets)  # each RHK at 120%
    assert "Nilai SKP (rerata capaian RHK): 120,00" in text and "Rerata tertimbang" in text
    for t in plan.targets:
        assert f'name="rhk-{t.id}"' in html and f'name="rhk-feedback-{t.id}"' in html
    assert 'name="hasil_rating"' in html and 'name="perilaku_rating"' in html and "disabled" not in html.split(
        'id="form-penilaian"')[1].split("</form>")[0]


@pytest.mark.parametrize("hasil,perilaku", sorted(MATRIX))
def test_every_matrix_cell_is_reachable_from_the_page_and_the_judgement_decides(client, realised, hasil, perilaku):
    """Whatever the numbers suggest (every RHK at 120%: 'di atas'), the predicate is the matrix cell of
    the rater's judgement: in the preview before saving, and in the scored result."""
    demo, plan = realised
    login_as(client, demo["users"]["penilai"])
    rv = _judge(client, plan, hasil, perilaku, "preview")
    assert rv.status_code == 200 and _predicate_shown(rv.get_data(as_text=True)) == MATRIX[(hasil, perilaku)]
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).hasil_rating is None  # the preview stores nothing
    rv = _judge(client, plan, hasil, perilaku, "save_assess")
    assert "SKP ditetapkan berstatus Dinilai" in flashes(rv.get_data(as_text=True))
    stored = db.session.get(WorkPlan, plan.id)
    assert (stored.status, stored.hasil_rating, stored.perilaku_rating) == ("assessed", hasil, perilaku)
    assert {j.category for j in db.session.scalars(select(TargetJudgement).join(TargetJudgement.target)
                                                   .where(TargetJudgement.target.has(work_plan_id=plan.id)))} == {hasil}
    score_period(db.session, plan.period)
    db.session.commit()
    r = _result(plan)
    assert (r.hasil_category, r.perilaku_category, r.predicate) == (hasil, perilaku, MATRIX[(hasil, perilaku)])
    assert r.skp_value == Decimal("120.0000")  # the numbers that suggested otherwise are still kept


def test_without_a_judgement_the_result_is_belum_dinilai_atasan(client, realised):
    demo, plan = realised
    summary = score_period(db.session, plan.period)
    db.session.commit()
    r = _result(plan)
    assert r.predicate is None and r.skp_value == Decimal("120.0000")
    assert plan.employee.name in summary["not_judged_plans"] or summary["not_judged"] > len(summary["not_judged_plans"])
    login_as(client, demo["users"]["operator"])
    html = client.get(f"/admin/score_result/?search={plan.employee.nip}").get_data(as_text=True)
    assert "Belum dinilai atasan" in text_of(html)
    # through the admin's "Hitung nilai" action the operator is told how many and who
    rv = client.post("/admin/period/action/", data={"action": "hitung_nilai", "rowid": str(plan.period_id),
                                                    "url": "/admin/period/"}, follow_redirects=True)
    assert "belum dinilai atasan" in flashes(rv.get_data(as_text=True))
    # the assess transition waits for the judgement
    login_as(client, demo["users"]["penilai"])
    rv = client.post(f"/admin/skp/{plan.id}/aksi", data={"op": "assess"}, follow_redirects=True)
    assert "belum menetapkan rating hasil kerja dan rating perilaku" in flashes(rv.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).status == "realised"


def test_under_a_threshold_scheme_the_numbers_decide_without_a_judgement(client, realised):
    demo, plan = realised
    db.session.execute(update(ScoringScheme).where(ScoringScheme.id == plan.period.scheme_id)
                       .values(rating_decider="ambang"))
    db.session.commit()
    login_as(client, demo["users"]["penilai"])
    assert "disarankan dari ambang nilai" in text_of(client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True))
    rv = client.post(f"/admin/skp/{plan.id}/aksi", data={"op": "assess"}, follow_redirects=True)
    assert "SKP sudah dinilai" in flashes(rv.get_data(as_text=True))
    score_period(db.session, plan.period)
    assert _result(plan).hasil_category == "diatas"


def test_only_the_plans_rater_judges(client, realised):
    demo, plan = realised
    users = users_around(demo, plan)
    for name in ("pegawai", "atasan", "operator", "admin"):
        login_as(client, users[name])
        html = client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True)
        assert "Simpan penilaian" not in html, name
        rv = _judge(client, plan, "diatas", "diatas", "save")
        assert rv.status_code == 400 and "hanya pejabat penilai, saat SKP berstatus Realisasi" in text_of(
            rv.get_data(as_text=True))
        db.session.expire_all()
        assert db.session.get(WorkPlan, plan.id).hasil_rating is None, name
        assert db.session.scalar(select(TargetJudgement.id).join(TargetJudgement.target).where(
            TargetJudgement.target.has(work_plan_id=plan.id))) is None, name
    login_as(client, users["lain"])
    assert client.get(f"/admin/skp/{plan.id}/nilai").status_code == 404
    # once assessed, nobody changes the judgement, the rater included
    login_as(client, users["penilai"])
    _judge(client, plan, "sesuai", "sesuai", "save_assess")
    rv = _judge(client, plan, "diatas", "diatas", "save")
    assert rv.status_code == 400 and "saat SKP berstatus Realisasi" in text_of(rv.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).hasil_rating == "sesuai"


def test_the_employee_sees_the_judgement_once_assessed(client, realised):
    demo, plan = realised
    login_as(client, demo["users"]["penilai"])
    _judge(client, plan, "diatas", "sesuai", "save", rhk="diatas")
    login_as(client, demo["users"]["pegawai"])
    html = client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True)
    assert "ditampilkan setelah SKP ditetapkan berstatus Dinilai" in html and 'name="hasil_rating"' not in html
    assert "Penilaian pejabat penilai:" not in client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    login_as(client, demo["users"]["penilai"])
    client.post(f"/admin/skp/{plan.id}/aksi", data={"op": "assess"})
    login_as(client, demo["users"]["pegawai"])
    page = text_of(client.get(f"/admin/skp/{plan.id}").get_data(as_text=True))
    assert "Penilaian pejabat penilai: Di Atas Ekspektasi" in page and "Predikat menurut matriks Baik" in page


def test_a_stale_assessment_form_changes_nothing(client, realised):
    demo, plan = realised
    login_as(client, demo["users"]["penilai"])
    html, data = _form(client, plan)
    _judge(client, plan, "sesuai", "sesuai", "save")  # meanwhile, in another tab
    data.update(hasil_rating="dibawah", perilaku_rating="dibawah", action="save")
    rv = client.post(f"/admin/skp/{plan.id}/nilai", data=data)
    assert rv.status_code == 400 and "telah diubah oleh pengguna lain" in text_of(rv.get_data(as_text=True))
    # the input is kept on the page, against the versions stored now
    assert 'id="hasil_rating-dibawah" value="dibawah"\n           checked' in rv.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).hasil_rating == "sesuai"


def test_feedback_on_an_rhk_needs_its_judgement(client, realised):
    demo, plan = realised
    login_as(client, demo["users"]["penilai"])
    html, data = _form(client, plan)
    t = plan.targets[0]
    data.update({f"rhk-feedback-{t.id}": "Bagus", "action": "save"})
    rv = client.post(f"/admin/skp/{plan.id}/nilai", data=data)
    assert rv.status_code == 400 and f"Pilih penilaian RHK {t.seq}" in text_of(rv.get_data(as_text=True))


def test_the_demo_city_judged_2025_like_a_real_city(demo):
    """Every 2025 plan and RHK carries its rater's judgement; scored, the predicates look like a city's:
    mostly Baik, some Sangat Baik within the curve, a few Butuh Perbaikan, Kurang and Sangat Kurang rare."""
    from collections import Counter

    from kinerja_admin.scoring.distribution import check_distribution
    from models import Target

    period = demo["periods"]["2025"]
    plans = db.session.scalars(select(WorkPlan).where(WorkPlan.period_id == period.id)).all()
    assert all(p.hasil_rating and p.perilaku_rating for p in plans)
    targets = db.session.scalars(select(Target).where(Target.work_plan_id.in_([p.id for p in plans]))).all()
    assert all(t.judgement is not None for t in targets)
    summary = score_period(db.session, period)
    assert summary["not_judged"] == 0
    counts = Counter(db.session.scalars(select(ScoreResult.predicate).where(ScoreResult.period_id == period.id)))
    n = sum(counts.values())
    assert None not in counts and n == len(plans)
    assert counts["Baik"] / n >= 0.5
    assert 0 < counts["Sangat Baik"] / n <= 0.3
    assert 0 < counts["Butuh Perbaikan"] / n <= 0.15
    assert (counts["Kurang (Misconduct)"] + counts["Sangat Kurang"]) / n <= 0.05
    assert check_distribution(db.session, period) == []  # every unit within its organisation rating's curve
