"""Public feedback portal (no login): IKM questionnaire, named-employee rating, QR codes, and the
defences: rate limit, honeypot, CSRF, one-time form, length caps, escaping; comment moderation."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from kinerja_admin.rating.feedback import feedback_period
from models import AuditLog, Employee, PublicFeedback, PublicService, Unit
from tests.conftest import csrf_from, login_as

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _count():
    return db.session.scalar(select(func.count()).select_from(PublicFeedback))


def _find_nonce(html):
    m = re.search(r'<input[^>]*name="nonce"[^>]*>', html)
    assert m, "no nonce field"
    return re.search(r'value="([^"]+)"', m.group(0)).group(1)


def _new_device(client):
    """Forget this browser's respondent token (a bot clearing its cookies between posts)."""
    client.delete_cookie("kinerja_responden", path="/publik/")


def _answers(value="3"):
    return {f"u{i}": value for i in range(1, 10)}


@pytest.fixture
def dinkes(demo):
    unit = db.session.scalar(select(Unit).where(Unit.slug == "dinkes"))
    assert unit.public_facing
    return unit


def test_form_renders_and_stores(client, dinkes):
    url = "/publik/u/dinkes"
    html = client.get(url).get_data(as_text=True)
    assert "Survei Kepuasan Masyarakat" in html and "Sangat sesuai" in html and "Dikelola dengan baik" in html
    before = _count()
    rv = client.post(url, data=_answers("4") | {"nonce": _find_nonce(html), "comment": "Pelayanan cepat."})
    assert rv.status_code == 302 and "/publik/terima-kasih" in rv.headers["Location"]
    row = db.session.scalar(select(PublicFeedback).order_by(PublicFeedback.id.desc()))
    assert _count() == before + 1
    assert (row.unit_id, row.u1, row.u9, row.comment) == (dinkes.id, 4, 4, "Pelayanan cepat.")
    assert row.period_id == feedback_period(db.session).id
    assert row.client_hash and len(row.client_hash) == 64 and "127.0.0.1" not in row.client_hash


def test_service_form_and_named_employee(client, dinkes):
    service = db.session.scalar(select(PublicService).where(PublicService.unit_id == dinkes.id))
    staff = db.session.scalar(select(Employee).where(Employee.unit_id == dinkes.id))
    outsider = db.session.scalar(select(Employee).join(Unit).where(~Unit.code.startswith("DINKES")))
    url = f"/publik/l/{service.slug}"
    before = _count()
    data = _answers() | {"employee": str(outsider.id), "employee_score": "4"}
    rv = client.post(url, data=data | {"nonce": _find_nonce(client.get(url).get_data(as_text=True))})
    assert rv.status_code == 400 and "tidak bertugas di unit ini" in rv.get_data(as_text=True)
    assert _count() == before
    data = _answers() | {"employee": str(staff.id), "employee_score": "2"}
    rv = client.post(url, data=data | {"nonce": _find_nonce(client.get(url).get_data(as_text=True))})
    assert rv.status_code == 302
    row = db.session.scalar(select(PublicFeedback).order_by(PublicFeedback.id.desc()))
    assert (row.service_id, row.employee_id, row.employee_score) == (service.id, staff.id, 2)


def test_unknown_or_private_units_are_404(client, demo):
    assert client.get("/publik/u/tidak-ada").status_code == 404
    private = db.session.scalar(select(Unit).where(Unit.slug.is_not(None), Unit.public_facing.is_(False)))
    assert client.get(f"/publik/u/{private.slug}").status_code == 404
    assert client.get("/publik/l/tidak-ada/qr").status_code == 404


@pytest.mark.parametrize("change,message", [
    ({"u3": ""}, "wajib dijawab"),
    ({"u1": "7"}, "U1 wajib diisi dengan nilai 1 sampai 4"),
    ({"u2": "abc"}, "U2 wajib diisi"),
    ({"comment": "x" * 1001}, "paling banyak 1000 karakter"),
    ({"employee_score": "3"}, "pilih nama petugas"),
])
def test_bad_input_is_refused_and_nothing_stored(client, dinkes, change, message):
    url = "/publik/u/dinkes"
    before = _count()
    data = _answers() | {"nonce": _find_nonce(client.get(url).get_data(as_text=True))} | change
    rv = client.post(url, data=data)
    assert rv.status_code == 400
    assert message in rv.get_data(as_text=True)
    assert _count() == before


def test_honeypot_stores_nothing(client, dinkes):
    url = "/publik/u/dinkes"
    before = _count()
    data = _answers() | {"nonce": _find_nonce(client.get(url).get_data(as_text=True)), "website": "http://spam"}
    rv = client.post(url, data=data)
    assert rv.status_code == 302 and "terima-kasih" in rv.headers["Location"]
    assert _count() == before


def test_same_form_is_stored_once(client, dinkes):
    url = "/publik/u/dinkes"
    data = _answers() | {"nonce": _find_nonce(client.get(url).get_data(as_text=True))}
    before = _count()
    assert client.post(url, data=data).status_code == 302
    rv = client.post(url, data=data, follow_redirects=True)
    assert "sudah dikirim" in rv.get_data(as_text=True)
    assert _count() == before + 1


def test_script_in_comment_comes_back_escaped(client, dinkes, demo):
    url = "/publik/u/dinkes"
    # re-rendered form (another field missing): the comment is escaped
    data = _answers() | {"u5": "", "comment": XSS, "nonce": _find_nonce(client.get(url).get_data(as_text=True))}
    html = client.post(url, data=data).get_data(as_text=True)
    assert XSS not in html and "&lt;script&gt;" in html
    # stored as text, escaped in the admin list
    _new_device(client)
    data = _answers() | {"comment": XSS, "nonce": _find_nonce(client.get(url).get_data(as_text=True))}
    assert client.post(url, data=data).status_code == 302
    assert db.session.scalar(select(PublicFeedback.comment).order_by(PublicFeedback.id.desc())) == XSS
    login_as(client, demo["users"]["operator"])
    html = client.get("/admin/public_feedback/?page_size=100").get_data(as_text=True)
    assert XSS not in html and "<script>alert" not in html and "&lt;script&gt;" in html


def test_csrf_is_checked(app, client, dinkes):
    url = "/publik/u/dinkes"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        before = _count()
        html = client.get(url).get_data(as_text=True)
        rv = client.post(url, data=_answers() | {"nonce": _find_nonce(html)})
        assert rv.status_code == 400
        assert _count() == before
        html = client.get(url).get_data(as_text=True)
        rv = client.post(url, data=_answers() | {"nonce": _find_nonce(html), "csrf_token": csrf_from(html)})
        assert rv.status_code == 302
        assert _count() == before + 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_flood_from_one_client_is_limited(app_config, dinkes):
    """An app with the limiter on (TestConfig turns it off): 3 posts a minute, then 429."""
    from kinerja_admin import create_app

    class Limited(app_config):
        RATELIMIT_ENABLED = True
        RATELIMIT_STORAGE_URI = "memory://"
        KINERJA_FEEDBACK_RATE_LIMIT = "3 per minute"

    limited = create_app(Limited)
    client = limited.test_client()
    url = "/publik/u/dinkes"
    before = _count()
    statuses = []
    for _ in range(6):
        _new_device(client)
        nonce = _find_nonce(client.get(url).get_data(as_text=True))  # GETs are not limited
        statuses.append(client.post(url, data=_answers() | {"nonce": nonce}).status_code)
    assert statuses == [302, 302, 302, 429, 429, 429]
    db.session.rollback()  # the other app wrote with its own session: end our snapshot (REPEATABLE READ)
    assert _count() == before + 3
    # another client is not affected
    other = limited.test_client()
    nonce = _find_nonce(other.get(url, environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_data(as_text=True))
    rv = other.post(url, data=_answers() | {"nonce": nonce}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert rv.status_code == 302
    db.session.rollback()
    assert _count() == before + 4


def test_qr_code_pages(client, dinkes):
    rv = client.get("/publik/u/dinkes/qr.svg")
    assert rv.status_code == 200 and rv.mimetype == "image/svg+xml"
    body = rv.get_data(as_text=True)
    assert "<svg" in body and "<path" in body
    html = client.get("/publik/u/dinkes/qr").get_data(as_text=True)
    assert "http://localhost/publik/u/dinkes" in html and "/publik/u/dinkes/qr.svg" in html
    service = db.session.scalar(select(PublicService).where(PublicService.unit_id == dinkes.id))
    assert client.get(f"/publik/l/{service.slug}/qr.svg").status_code == 200
    assert client.get(f"/publik/l/{service.slug}/qr").status_code == 200
    index = client.get("/publik/survei/").get_data(as_text=True)
    assert "/publik/u/dinkes" in index and f"/publik/l/{service.slug}" in index


def test_qr_encodes_the_survey_url(client, dinkes):
    """The SVG is the QR code segno makes for the URL (compared module by module)."""
    import io

    import segno

    expected = io.BytesIO()
    segno.make("http://localhost/publik/u/dinkes", error="m", micro=False).save(
        expected, kind="svg", scale=8, border=2, xmldecl=True, title="Kode QR survei kepuasan")
    assert client.get("/publik/u/dinkes/qr.svg").data == expected.getvalue()
    other = io.BytesIO()
    segno.make("http://localhost/publik/u/lain", error="m", micro=False).save(
        other, kind="svg", scale=8, border=2, xmldecl=True, title="Kode QR survei kepuasan")
    assert other.getvalue() != expected.getvalue()


def test_operator_hides_comment_scores_stay(client, demo):
    row = db.session.scalar(select(PublicFeedback).where(PublicFeedback.comment.is_not(None))
                            .order_by(PublicFeedback.id))
    scores = (row.u1, row.u5, row.u9, row.employee_score)
    login_as(client, demo["users"]["inspektur"])
    client.post("/admin/public_feedback/action/", data={"action": "hide_comment", "rowid": [str(row.id)],
                                                        "url": "/admin/public_feedback/"})
    db.session.expire_all()
    assert db.session.get(PublicFeedback, row.id).comment_hidden is False
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/public_feedback/action/", data={"action": "hide_comment", "rowid": [str(row.id)],
                                                             "url": "/admin/public_feedback/"})
    assert rv.status_code == 302
    db.session.expire_all()
    row = db.session.get(PublicFeedback, row.id)
    assert row.comment_hidden is True and (row.u1, row.u5, row.u9, row.employee_score) == scores
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "public_feedback",
                                                     AuditLog.action == "hide_comment",
                                                     AuditLog.entity_id == str(row.id)))
    assert entry is not None and entry.username == "operator"
