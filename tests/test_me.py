"""Kinerja Saya and the printable documents: own data only, anonymity, objection, row scope."""
from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from sqlalchemy import select, update

from models import Employee, Objection, ScoreResult, Setting, WorkPlan, db
from tests.conftest import csrf_from, login_as


def _result_of(emp_id, code="2025"):
    from models import Period

    return db.session.scalar(select(ScoreResult).join(Period, Period.id == ScoreResult.period_id)
                             .where(ScoreResult.employee_id == emp_id, Period.code == code))


def _text(r):
    return htmllib.unescape(r.get_data(as_text=True))


def test_kinerja_saya_shows_own_result(client, published):
    user = published["users"]["pegawai"]
    me = db.session.get(Employee, user.employee_id)
    mine = _result_of(me.id)
    login_as(client, user)
    r = client.get("/admin/saya/")
    assert r.status_code == 200
    html = _text(r)
    assert me.name in html and 'id="hasil-saya"' in html
    assert mine.predicate in html
    for section in ("kekuatan", "kelemahan", "perilaku", "umpan-balik", "keberatan", "riwayat"):
        assert f'id="{section}"' in html
    assert db.session.get(WorkPlan, mine.work_plan_id).feedback in html  # the rater's feedback on the plan
    assert f"/admin/cetak/evaluasi/{mine.id}" in html and f"/admin/cetak/skp/{mine.work_plan_id}" in html
    # nobody else's name: colleagues in the same unit are absent
    others = db.session.scalars(select(Employee.name).where(Employee.unit_id == me.unit_id,
                                                            Employee.id != me.id)).all()
    assert not any(name in html for name in others)
    assert client.get(f"/admin/saya/hasil/{mine.id}").status_code == 200


def test_another_employees_result_is_404(client, published, csrf_on):
    user = published["users"]["pegawai"]
    other = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id != user.employee_id))
    login_as(client, user)
    assert client.get(f"/admin/saya/hasil/{other.id}").status_code == 404
    page = client.get("/admin/saya/")
    token = csrf_from(page.get_data(as_text=True))
    r = client.post(f"/admin/saya/keberatan/{other.id}", data={"csrf_token": token, "reasons": "Tidak adil"})
    assert r.status_code == 404
    assert db.session.scalar(select(Objection.id)) is None
    # even the penilai may not open a subordinate's result on *their own* page
    penilai = published["users"]["penilai"]
    sub = db.session.scalar(select(Employee).where(Employee.superior_id == penilai.employee_id))
    login_as(client, penilai)
    assert client.get(f"/admin/saya/hasil/{_result_of(sub.id).id}").status_code == 404


def test_account_without_employee_gets_notice(client, published):
    login_as(client, published["users"]["admin"])
    r = client.get("/admin/saya/")
    assert r.status_code == 200 and "tidak terhubung dengan data pegawai" in _text(r)


def test_anonymity_threshold_hides_peer_average(client, published):
    user = published["users"]["pegawai"]
    login_as(client, user)
    html = _text(client.get("/admin/saya/"))
    assert "Rekan kerja" in html
    row = db.session.get(Setting, "rating.anonymity_k")
    row.value = "50"
    db.session.commit()
    html = _text(client.get("/admin/saya/"))
    assert "Belum ditampilkan: baru" in html and "penilai rekan kerja" in html


def test_objection_filed_once_within_window(client, published, csrf_on):
    user = published["users"]["pegawai"]
    mine = _result_of(user.employee_id)
    login_as(client, user)
    page = client.get("/admin/saya/")
    html = page.get_data(as_text=True)
    assert "Ajukan keberatan" in html
    token = csrf_from(html)
    r = client.post(f"/admin/saya/keberatan/{mine.id}", data={"csrf_token": token, "reasons": "Realisasi belum dihitung."},
                    follow_redirects=True)
    assert r.status_code == 200
    obj = db.session.scalar(select(Objection).where(Objection.result_id == mine.id))
    assert obj is not None and obj.status == "filed" and obj.employee_id == user.employee_id
    html = _text(r)
    assert "Realisasi belum dihitung." in html and "Ajukan keberatan" not in html
    again = client.post(f"/admin/saya/keberatan/{mine.id}", data={"csrf_token": token, "reasons": "Lagi"},
                        follow_redirects=True)
    assert "sudah pernah diajukan" in _text(again)
    assert len(db.session.scalars(select(Objection)).all()) == 1


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_objection_needs_csrf(client, published, csrf_on):
    user = published["users"]["pegawai"]
    mine = _result_of(user.employee_id)
    login_as(client, user)
    r = client.post(f"/admin/saya/keberatan/{mine.id}", data={"reasons": "x"})
    assert r.status_code == 400
    assert db.session.scalar(select(Objection.id)) is None
    token = csrf_from(client.get("/admin/saya/").get_data(as_text=True))
    r = client.post(f"/admin/saya/keberatan/{mine.id}", data={"reasons": "x", "csrf_token": token})
    assert r.status_code == 302
    assert db.session.scalar(select(Objection.id)) is not None


def test_no_objection_button_after_window(client, published):
    user = published["users"]["pegawai"]
    mine = _result_of(user.employee_id)
    db.session.execute(update(ScoreResult).where(ScoreResult.id == mine.id)
                       .values(published_at=dt.datetime(2020, 1, 1)))
    db.session.commit()
    login_as(client, user)
    html = _text(client.get("/admin/saya/"))
    assert "Ajukan keberatan" not in html and "sudah lewat" in html


# --- printable documents --------------------------------------------------------------------------

SIGNATURES = ("Pegawai yang dinilai", "Pejabat Penilai Kinerja", "Atasan Pejabat Penilai Kinerja")


def _assert_printable(r, *texts):
    assert r.status_code == 200
    html = _text(r)
    assert "@page" in html and "A4" in html
    for t in SIGNATURES + texts:
        assert t in html, t


def test_printables_for_own_records(client, published):
    user = published["users"]["pegawai"]
    me = db.session.get(Employee, user.employee_id)
    mine = _result_of(me.id)
    login_as(client, user)
    _assert_printable(client.get(f"/admin/cetak/skp/{mine.work_plan_id}"), "Sasaran Kinerja Pegawai", me.name,
                      me.nip_display)
    _assert_printable(client.get(f"/admin/cetak/evaluasi/{mine.id}"), "Dokumen Evaluasi Kinerja", me.name,
                      mine.predicate)


def test_printables_obey_row_scope(client, published):
    pegawai = published["users"]["pegawai"]
    penilai = published["users"]["penilai"]
    other = _result_of(db.session.scalar(select(Employee.id).where(
        Employee.id != pegawai.employee_id, Employee.superior_id != penilai.employee_id,
        Employee.id != penilai.employee_id)))
    login_as(client, pegawai)
    assert client.get(f"/admin/cetak/skp/{other.work_plan_id}").status_code == 404
    assert client.get(f"/admin/cetak/evaluasi/{other.id}").status_code == 404
    login_as(client, penilai)
    sub = db.session.scalar(select(Employee).where(Employee.superior_id == penilai.employee_id))
    sub_result = _result_of(sub.id)
    _assert_printable(client.get(f"/admin/cetak/skp/{sub_result.work_plan_id}"), sub.name)
    _assert_printable(client.get(f"/admin/cetak/evaluasi/{sub_result.id}"), sub.name)
    unrelated = db.session.scalar(select(WorkPlan).where(
        WorkPlan.employee_id == other.employee_id, WorkPlan.rater_id != penilai.employee_id,
        WorkPlan.rater_superior_id != penilai.employee_id))
    if unrelated is not None:
        assert client.get(f"/admin/cetak/skp/{unrelated.id}").status_code == 404
    for role in ("admin", "operator", "inspektur"):
        login_as(client, published["users"][role])
        _assert_printable(client.get(f"/admin/cetak/evaluasi/{other.id}"))
        _assert_printable(client.get(f"/admin/cetak/skp/{other.work_plan_id}"))
    assert client.get("/admin/cetak/skp/999999").status_code == 404


def test_printables_require_login(client, published):
    r = client.get("/admin/cetak/skp/1")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/admin/saya/").status_code == 302


def test_print_links_on_admin_details_pages(client, published):
    result = db.session.scalar(select(ScoreResult).order_by(ScoreResult.id))
    login_as(client, published["users"]["operator"])
    html = client.get(f"/admin/score_result/details/?id={result.id}").get_data(as_text=True)
    assert f"/admin/cetak/evaluasi/{result.id}" in html
    html = client.get(f"/admin/work_plan/details/?id={result.work_plan_id}").get_data(as_text=True)
    assert f"/admin/cetak/skp/{result.work_plan_id}" in html


@pytest.mark.parametrize("role", ["admin", "operator", "inspektur", "penilai", "pegawai"])
def test_kinerja_saya_renders_for_every_role(client, published, role):
    login_as(client, published["users"][role])
    assert client.get("/admin/saya/").status_code == 200


def test_print_index_lists_own_documents(client, published):
    user = published["users"]["pegawai"]
    mine = _result_of(user.employee_id)
    login_as(client, user)
    r = client.get("/admin/cetak/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f"/admin/cetak/evaluasi/{mine.id}" in html and f"/admin/cetak/skp/{mine.work_plan_id}" in html
    other = db.session.scalar(select(ScoreResult).where(ScoreResult.employee_id != user.employee_id))
    assert f"/admin/cetak/evaluasi/{other.id}\"" not in html
    login_as(client, published["users"]["inspektur"])
    assert client.get("/admin/cetak/").status_code == 200
