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


def _login_from(client, address, username, password, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": address})


def test_failures_slow_the_attacker_with_growing_delays_never_a_lock(client, demo):
    """Three free failures per (account, address), then a wait that doubles; the account itself is
    never locked: no lock column, no lock message."""
    statuses = [_login_from(client, "10.1.1.1", "pegawai", "salah-sandi").status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429, 429]  # the 4th failure starts a 2 s wait; attempts in it are refused
    rv = _login_from(client, "10.1.1.1", "pegawai", DEMO_PASSWORD)
    assert rv.status_code == 429 and int(rv.headers["Retry-After"]) >= 1
    assert "dikunci" not in rv.get_data(as_text=True)
    assert not hasattr(User, "locked_until")


def test_stranger_cannot_lock_out_the_real_user(app, demo):
    """A stranger hammering an account from many addresses slows unknown addresses down, but the
    real user, from the address (or browser) they logged in from before, gets in at once."""
    real = app.test_client()
    assert _login_from(real, "10.2.2.2", "pegawai", DEMO_PASSWORD).status_code == 302
    real.post("/logout", environ_base={"REMOTE_ADDR": "10.2.2.2"})
    stranger = app.test_client()
    for i in range(40):  # 40 addresses x 2 wrong passwords: past every per-account allowance
        for _ in range(2):
            _login_from(stranger, f"10.9.{i}.1", "pegawai", "tebakan-salah")
    assert _login_from(stranger, "10.9.0.1", "pegawai", DEMO_PASSWORD).status_code in (200, 429)
    # a new address without history is slowed down by the per-account throttle
    assert _login_from(app.test_client(), "10.3.3.3", "pegawai", DEMO_PASSWORD).status_code == 429
    # the real user's address and browser are not
    assert _login_from(app.test_client(), "10.2.2.2", "pegawai", DEMO_PASSWORD).status_code == 302
    assert _login_from(real, "10.4.4.4", "pegawai", DEMO_PASSWORD).status_code == 302  # known browser
    failed = db.session.scalar(db.select(User.failed_logins).where(User.username == "pegawai"))
    assert failed == 0  # reset by the successful login


def test_unknown_and_existing_accounts_get_the_same_answers(client, demo):
    answers = {}
    for name in ("pegawai", "tidak-ada-akun"):
        seq = []
        for _ in range(5):
            rv = _login_from(client, "10.5.5.5", name, "salah-sandi")
            text = rv.get_data(as_text=True)
            seq.append((rv.status_code, GENERIC_LOGIN_ERROR in text, "Terlalu banyak percobaan" in text))
        answers[name] = seq
    assert answers["pegawai"] == answers["tidak-ada-akun"]
    assert answers["pegawai"][0] == (200, True, False) and answers["pegawai"][-1] == (429, False, True)


def test_parallel_failures_are_all_counted(app, demo):
    """Four wrong passwords at once from four addresses: the counter is one atomic UPDATE each."""
    import threading

    barrier = threading.Barrier(4)
    errors = []

    def attempt(i):
        try:
            with app.app_context():
                c = app.test_client()
                barrier.wait(timeout=30)
                _login_from(c, f"10.6.6.{i}", "penilai", "salah-sandi")
                db.session.remove()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.rollback()
    user = db.session.scalar(db.select(User).where(User.username == "penilai"))
    assert user.failed_logins == 4 and user.last_failed_login_at is not None


def test_long_throttle_is_audited(client, demo):
    for _ in range(12):
        rv = _login_from(client, "10.7.7.7", "operator", "salah")
        if rv.status_code == 429:
            # jump past the current wait: clear only the block keys so the next failure counts
            from kinerja_admin.security import counters

            store = counters()
            for key in list(getattr(store, "storage", {})):
                if ":login-block-" in key:
                    store.clear(key)
    assert db.session.scalar(db.select(AuditLog).where(AuditLog.action == "login_throttled")) is not None


def test_logout_replay_and_remember_cookie_are_refused(app, demo):
    client = app.test_client()
    rv = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD, "remember": "y"})
    assert rv.status_code == 302
    remember = client.get_cookie("remember_token")
    session_cookie = client.get_cookie("session")
    assert remember is not None and session_cookie is not None
    assert client.get("/admin/audit_log/").status_code == 200
    client.post("/logout")
    # replay the pre-logout session cookie
    replay = app.test_client()
    replay.set_cookie("session", session_cookie.value)
    rv = replay.get("/admin/audit_log/")
    assert rv.status_code == 302 and "/login" in rv.headers["Location"]
    # replay the remember-me cookie alone
    replay = app.test_client()
    replay.set_cookie("remember_token", remember.value)
    rv = replay.get("/admin/audit_log/")
    assert rv.status_code == 302 and "/login" in rv.headers["Location"]


def test_remember_cookie_lifetime_is_a_setting(app, demo):
    import datetime as dt

    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD, "remember": "y"})
    cookie = client.get_cookie("remember_token")
    days = (cookie.expires - dt.datetime.now(dt.timezone.utc)).days
    assert 13 <= days <= 14  # KINERJA_REMEMBER_DAYS, default 14 (was a year)


@pytest.mark.parametrize("password", ["Qwerty12345", "1234567890a", "rahasia1234", "Password12", "Binjai#2026"])
def test_guessable_passwords_are_refused(app, password):
    from kinerja_admin.security import check_password_policy

    with pytest.raises(ValueError, match="mudah ditebak"):
        check_password_policy(password, username="budi", min_length=10)


def test_own_name_and_nip_are_refused_strong_passwords_pass(app):
    from kinerja_admin.security import check_password_policy

    own = ["Maria Sitorus", "198403152010012003"]
    check_password_policy("Sitorus198403152010012003", username="budi", min_length=10)  # strong for a stranger
    with pytest.raises(ValueError, match="mudah ditebak"):  # but made of the user's own name and NIP
        check_password_policy("Sitorus198403152010012003", username="budi", min_length=10, user_inputs=own)
    check_password_policy("Kuda-Laut-Merah-99", username="budi", min_length=10, user_inputs=["Maria Sitorus"])


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
