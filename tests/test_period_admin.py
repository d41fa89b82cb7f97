"""The period lifecycle from the admin page: advance, close only when finished or forced with a
reason, reopen by an admin with a reason."""
from kinerja_admin.extensions import db
from models import Period
from tests.conftest import login_as


def _post(client, period, **data):
    return client.post(f"/admin/period/status/?id={period.id}", data=data, follow_redirects=True).get_data(as_text=True)


def test_close_refused_then_forced_with_reason_then_reopened_by_admin(client, demo):
    period = demo["periods"]["2025"]  # assessing, plans not final
    login_as(client, demo["users"]["operator"])
    html = _post(client, period, op="advance")
    assert "belum dapat ditutup" in html
    assert db.session.get(Period, period.id).status == "assessing"
    html = _post(client, period, op="advance", force="1", reason="")
    assert "wajib" in html.lower()
    _post(client, period, op="advance", force="1", reason="Batas waktu BKN.")
    db.session.expire_all()
    assert db.session.get(Period, period.id).status == "closed"
    html = _post(client, period, op="reopen", reason="Salah tutup")
    assert "Hanya admin" in html
    login_as(client, demo["users"]["admin"])
    _post(client, period, op="reopen", reason="Koreksi data atas permintaan Inspektorat.")
    db.session.expire_all()
    assert db.session.get(Period, period.id).status == "assessing"


def test_employee_sees_the_page_but_cannot_change_it(client, demo):
    period = demo["periods"]["2026"]
    login_as(client, demo["users"]["pegawai"])
    html = _post(client, period, op="advance")
    assert "Hanya operator atau admin" in html
    db.session.expire_all()
    assert db.session.get(Period, period.id).status == "running"
