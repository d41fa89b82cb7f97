"""The SKP page (/admin/skp/<plan_id>): one plan as one document for everyone whose scope holds it, the
employee writing the whole SKP on it while draft/returned, the superior approving from it, exactly the
viewer's actions, optimistic locking, and the row scope."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, update

from kinerja_admin.extensions import db
from models import AuditLog, Indicator, Target, WorkPlan
from tests.conftest import login_as
from tests.skp_helpers import flashes, offered_actions, plan_of, set_state, text_of, users_around


def _targets(plan):
    db.session.expire_all()
    return db.session.scalars(select(Target).where(Target.work_plan_id == plan.id).order_by(Target.seq)).all()


def _post(client, plan, path, **data):
    return client.post(f"/admin/skp/{plan.id}/{path}", data=data, follow_redirects=True)


def test_the_page_shows_the_plan_as_one_document(client, demo):
    plan = plan_of(demo, code="2025")
    login_as(client, demo["users"]["penilai"])
    rv = client.get(f"/admin/skp/{plan.id}")
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    text = text_of(html)
    emp, rater, sup = plan.employee, plan.rater, plan.rater_superior
    # header: period, employee with NIP, position, unit and OPD, rater, rater's superior, status
    for expected in (plan.period.name, emp.name, emp.nip_display, plan.position.name, plan.unit.name, rater.name,
                     rater.nip_display, sup.name, "Dinilai"):
        assert expected in text, expected
    assert "Dinas Kesehatan" in text or plan.unit.parent_id is None  # the OPD above the unit
    # every RHK with its indicators, targets, realisation, evidence and the rater's judgement and feedback
    for t in plan.targets:
        assert t.description in text
        assert f'id="rhk-{t.id}"' in html
        for i in t.indicators:
            assert i.description in text
            assert i.realisations[-1].evidence_url in html
    assert "Penilaian pejabat penilai" in text and plan.feedback in text
    # the behaviour expectations: the seven BerAKHLAK values with their guide sentences
    for value in ("Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal", "Adaptif", "Kolaboratif"):
        assert value in text
    assert "Melakukan perbaikan tiada henti" in text
    # a dated timeline
    assert "SKP dibuat" in text and "Diajukan" in text and "Disetujui" in text and "20 Januari 2025" in text


def test_employee_writes_a_whole_skp_on_one_page(client, demo):
    plan = plan_of(demo)
    assert plan.status == "draft"
    pegawai = demo["users"]["pegawai"]
    login_as(client, pegawai)
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert 'id="rhk-baru"' in html and offered_actions(html) == {"submit"}
    # start from an empty SKP: remove what is there
    for t in _targets(plan):
        _post(client, plan, "rhk", op="delete", target_id=t.id, version=t.version)
    assert _targets(plan) == []
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert "Belum ada rencana hasil kerja" in html
    # two RHKs, indicators with targets
    rv = _post(client, plan, "rhk", op="add", description="Terlaksananya imunisasi dasar lengkap")
    assert "RHK ditambahkan" in flashes(rv.get_data(as_text=True))
    _post(client, plan, "rhk", op="add", description="Tersusunnya laporan surveilans bulanan")
    first, second = _targets(plan)
    assert (first.seq, second.seq) == (1, 2)
    _post(client, plan, "indikator", op="add", target_id=first.id, aspect="kuantitas",
          description="Cakupan imunisasi dasar", target_value="95", unit_label="%")
    _post(client, plan, "indikator", op="add", target_id=first.id, aspect="waktu",
          description="Waktu pelaporan", target_value="12", unit_label="bulan", lower_is_better="1")
    _post(client, plan, "indikator", op="add", target_id=second.id, aspect="kuantitas",
          description="Laporan surveilans", target_value="12,5", unit_label="laporan")
    first, second = _targets(plan)
    assert [(i.description, i.target_value, i.lower_is_better) for i in first.indicators] == [
        ("Cakupan imunisasi dasar", Decimal(95), False), ("Waktu pelaporan", Decimal(12), True)]
    assert second.indicators[0].target_value == Decimal("12.5")
    # change an indicator's target and an RHK's text, reorder, remove an indicator
    ind = second.indicators[0]
    _post(client, plan, "indikator", op="edit", indicator_id=ind.id, version=ind.version, aspect="kuantitas",
          description="Laporan surveilans", target_value="12", unit_label="laporan")
    _post(client, plan, "rhk", op="edit", target_id=second.id, version=second.version,
          description="Tersusunnya laporan surveilans penyakit bulanan")
    second = _targets(plan)[1]
    _post(client, plan, "rhk", op="up", target_id=second.id, version=second.version)
    first, second = _targets(plan)
    assert (first.description, second.description) == ("Tersusunnya laporan surveilans penyakit bulanan",
                                                        "Terlaksananya imunisasi dasar lengkap")
    assert first.indicators[0].target_value == Decimal(12)
    gone = second.indicators[1]
    _post(client, plan, "indikator", op="delete", indicator_id=gone.id, version=gone.version)
    assert db.session.get(Indicator, gone.id) is None
    # bad input stores nothing and says why
    rv = _post(client, plan, "indikator", op="add", target_id=first.id, aspect="kuantitas", description="X",
               target_value="banyak")
    assert "Target harus berupa angka" in flashes(rv.get_data(as_text=True))
    assert len(_targets(plan)[0].indicators) == 1
    # every change is in the audit trail, as the employee
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.user_id == pegawai.id, AuditLog.entity.in_(("target", "indicator")))) >= 8
    # submit from the page: the content is then closed for the employee
    rv = _post(client, plan, "aksi", op="submit")
    assert "SKP sudah diajukan" in flashes(rv.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).status == "submitted"
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert 'id="rhk-baru"' not in html and "Ubah RHK" not in html and offered_actions(html) == set()
    first = _targets(plan)[0]
    rv = _post(client, plan, "rhk", op="edit", target_id=first.id, version=first.version, description="Diam-diam")
    assert "hanya pegawai yang bersangkutan atau operator/admin, saat SKP berstatus Draf atau Dikembalikan" in flashes(
        rv.get_data(as_text=True))
    assert _targets(plan)[0].description == "Tersusunnya laporan surveilans penyakit bulanan"


def test_superior_returns_and_approves_from_the_page(client, demo):
    plan = plan_of(demo)
    pegawai, penilai = demo["users"]["pegawai"], demo["users"]["penilai"]
    login_as(client, pegawai)
    _post(client, plan, "aksi", op="submit")
    login_as(client, penilai)
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert offered_actions(html) == {"approve", "return"}
    # everything needed to judge the plan is on the page: its RHKs, indicators and targets
    for t in _targets(plan):
        assert t.description in text_of(html)
        for i in t.indicators:
            assert i.description in text_of(html)
    rv = _post(client, plan, "aksi", op="return", reason="")
    assert "Alasan wajib diisi" in flashes(rv.get_data(as_text=True))
    _post(client, plan, "aksi", op="return", reason="Target cakupan belum terukur.")
    login_as(client, pegawai)
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert "Dikembalikan pejabat penilai: Target cakupan belum terukur." in text_of(html)
    assert 'id="rhk-baru"' in html  # returned: the employee edits again
    _post(client, plan, "aksi", op="submit")
    login_as(client, penilai)
    rv = _post(client, plan, "aksi", op="approve")
    assert "SKP disetujui" in flashes(rv.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).status == "approved"
    timeline = text_of(client.get(f"/admin/skp/{plan.id}").get_data(as_text=True).split('id="riwayat"')[1]
                       .split("</ol>")[0])
    steps = [s for s in ("Diajukan", "Dikembalikan", "Diajukan", "Disetujui")]
    pos = 0
    for step in steps:  # in this order, each with who did it
        pos = timeline.index(step, pos) + 1
    assert "Target cakupan belum terukur." in timeline and penilai.full_name in timeline
    assert pegawai.full_name in timeline


def test_each_viewer_is_offered_exactly_their_actions(client, demo):
    plan = plan_of(demo)
    users = users_around(demo, plan)
    expected = {
        # plan state -> viewer -> actions
        "draft": {"pegawai": {"submit"}, "penilai": set(), "atasan": set(), "operator": {"submit"},
                  "admin": {"submit"}, "inspektur": set()},
        "submitted": {"pegawai": set(), "penilai": {"approve", "return"}, "atasan": set(),
                      "operator": {"approve", "return"}, "admin": {"approve", "return"}, "inspektur": set()},
        "approved": {"pegawai": {"realise"}, "penilai": {"revise", "realise"}, "atasan": set(),
                     "operator": {"realise"}, "admin": {"realise"}, "inspektur": set()},
    }
    for status, per_user in expected.items():
        set_state(plan, status)
        for name, actions in per_user.items():
            login_as(client, users[name])
            rv = client.get(f"/admin/skp/{plan.id}")
            assert rv.status_code == 200, (status, name)
            assert offered_actions(rv.get_data(as_text=True)) == actions, (status, name)
    # realised: assessing waits for the rater's judgement (PermenPANRB 6/2022): shown, not offered
    set_state(plan, "realised")
    login_as(client, users["penilai"])
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert "assess" not in offered_actions(html) and "Tetapkan penilaian (Dinilai)" in html
    assert "belum menetapkan rating hasil kerja" in text_of(html) and f"/admin/skp/{plan.id}/nilai" in html
    # someone outside the plan's scope does not see it at all
    login_as(client, users["lain"])
    assert client.get(f"/admin/skp/{plan.id}").status_code == 404
    assert client.post(f"/admin/skp/{plan.id}/aksi", data={"op": "approve"}).status_code == 404


def test_a_stale_form_changes_nothing(client, demo):
    plan = plan_of(demo)
    login_as(client, demo["users"]["pegawai"])
    target = _targets(plan)[0]
    old_version = target.version
    # somebody else changes the RHK after the page was opened
    db.session.execute(update(Target).where(Target.id == target.id).values(description="Diubah orang lain",
                                                                           version=old_version + 1))
    db.session.commit()
    for op, extra in (("edit", {"description": "Versi saya"}), ("delete", {}), ("down", {})):
        rv = _post(client, plan, "rhk", op=op, target_id=target.id, version=old_version, **extra)
        assert "telah diubah oleh pengguna lain" in flashes(rv.get_data(as_text=True)), op
    fresh = _targets(plan)[0]
    assert (fresh.id, fresh.description, fresh.seq) == (target.id, "Diubah orang lain", 1)


def test_rows_of_other_plans_are_not_found_through_this_plan(client, demo):
    plan = plan_of(demo)
    other = plan_of(demo, who="penilai")
    login_as(client, demo["users"]["operator"])  # may change both plans' content: only the URL's plan counts
    foreign = other.targets[0]
    rv = _post(client, plan, "rhk", op="edit", target_id=foreign.id, version=foreign.version, description="Salah")
    assert "tidak ditemukan pada SKP ini" in flashes(rv.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Target, foreign.id).description != "Salah"


def test_lists_and_pages_that_show_plans_link_to_it(client, published):
    plan = plan_of(published, code="2025")
    login_as(client, published["users"]["pegawai"])
    url = f"/admin/skp/{plan.id}"
    for page in ("/admin/work_plan/", "/admin/score_result/", "/admin/saya/", "/admin/cetak/", "/admin/?periode=2025",
                 f"/admin/work_plan/details/?id={plan.id}"):
        assert url in client.get(page).get_data(as_text=True), page
    assert f"/admin/skp/{plan_of(published).id}" in client.get("/admin/skp/").get_data(as_text=True)


def test_the_pages_run_no_inline_script_outside_the_csp(client, demo):
    from tests.test_csp import _check_page

    plan = plan_of(demo, code="2025")
    login_as(client, demo["users"]["penilai"])
    for url in (f"/admin/skp/{plan.id}", f"/admin/skp/{plan.id}/nilai", "/admin/skp/"):
        rv = client.get(url)
        assert rv.status_code == 200
        _check_page(rv)
        assert "<script>" not in rv.get_data(as_text=True)
    assert client.get("/static/skp.js").status_code == 200


def test_the_scheme_admin_shows_and_checks_the_penentu_rating(client, demo):
    from kinerja_admin.scoring.validation import SchemeError, clone_scheme, validate_scheme
    from models import ScoringScheme

    def scheme(code):
        return db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == code))

    assert scheme("PERMENPANRB-6-2022").rating_decider == "penilai"
    assert {scheme(c).rating_decider for c in ("PP46-2011", "PP30-2019", "PP30-2019-360")} == {"ambang"}
    copy = clone_scheme(db.session, scheme("PERMENPANRB-6-2022"))
    db.session.commit()
    assert copy.rating_decider == "penilai" and copy.scale_meanings == scheme("PERMENPANRB-6-2022").scale_meanings
    login_as(client, demo["users"]["operator"])
    html = client.get(f"/admin/scoring_scheme/edit/?id={copy.id}").get_data(as_text=True)
    assert 'name="rating_decider"' in html and "Pejabat penilai" in html and "Ambang nilai" in html
    assert "Pejabat penilai" in text_of(client.get("/admin/scoring_scheme/").get_data(as_text=True))
    numeric = clone_scheme(db.session, scheme("PP30-2019"))
    numeric.rating_decider = "penilai"
    import pytest

    with pytest.raises(SchemeError, match="hanya untuk skema matriks"):
        validate_scheme(numeric)
    numeric.rating_decider = "ambang"
    numeric.scale_meanings = "0 = Buruk\nsembilan = Baik"
    with pytest.raises(SchemeError, match="baris 2"):
        validate_scheme(numeric)
    numeric.scale_meanings = "0 = Buruk\n500 = Luar biasa"
    with pytest.raises(SchemeError, match="di luar skala"):
        validate_scheme(numeric)
    db.session.rollback()
