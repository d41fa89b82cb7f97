"""Login, logout, lockout, session invalidation and CSRF on the login form."""
import pytest

from config import TestConfig
from kinerja_admin import create_app
from kinerja_admin.auth import GENERIC_LOGIN_ERROR
from kinerja_admin.extensions import db
from models import AuditLog, User
from tests.conftest import DEMO_PASSWORD, csrf_from


def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_anonymous_admin_redirects_to_login(client, demo):
    rv = client.get("/admin/employee/")
    assert rv.status_code == 302 and "/login" in rv.headers["Location"]


def test_login_success_and_logout(client, demo):
    rv = _login(client, "operator", DEMO_PASSWORD)
    assert rv.status_code == 302 and rv.headers["Location"].endswith("/admin/")
    assert client.get("/admin/employee/").status_code == 200
    assert client.get("/logout").status_code == 405  # logout only by POST (CSRF-protected)
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/employee/").status_code == 302


@pytest.mark.parametrize("username, password", [("operator", "salah-sandi"), ("tidakada", DEMO_PASSWORD)])
def test_wrong_credentials_give_one_generic_message(client, demo, username, password):
    rv = _login(client, username, password)
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200 and GENERIC_LOGIN_ERROR in html
    assert client.get("/admin/").status_code == 302


def test_open_redirect_is_refused(client, demo):
    rv = client.post("/login?next=https://evil.example/", data={"username": "operator", "password": DEMO_PASSWORD})
    assert rv.headers["Location"].endswith("/admin/")


def test_repeated_failures_lock_the_account_and_are_audited(client, demo):
    for _ in range(5):
        _login(client, "pegawai", "salah-sandi")
    rv = _login(client, "pegawai", DEMO_PASSWORD)  # right password, but locked now
    assert rv.status_code == 429 and "dikunci" in rv.get_data(as_text=True)
    assert db.session.scalar(db.select(AuditLog).where(AuditLog.action == "lockout")) is not None


def test_password_change_invalidates_other_sessions(client, demo):
    assert _login(client, "pegawai", DEMO_PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200
    user = db.session.scalar(db.select(User).where(User.username == "pegawai"))
    user.set_password("Baru#Sandi2026")
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_login_form_requires_csrf_token(app_config, _schema, demo):
    class CsrfOn(app_config):
        WTF_CSRF_ENABLED = True

    app = create_app(CsrfOn)
    with app.app_context():
        client = app.test_client()
        assert client.post("/login", data={"username": "operator", "password": DEMO_PASSWORD}).status_code == 400
        token = csrf_from(client.get("/login").get_data(as_text=True))
        rv = client.post("/login", data={"username": "operator", "password": DEMO_PASSWORD, "csrf_token": token})
        assert rv.status_code == 302
        # admin actions need the token too
        assert client.post("/admin/work_plan/action/", data={"action": "x", "rowid": ["1"]}).status_code == 400


def test_testconfig_is_not_production():
    assert TestConfig.TESTING
