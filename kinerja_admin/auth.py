"""Login / logout blueprint, the user loader, the login throttle and role helpers.

No account is ever locked by failed logins: a stranger who knows a username could otherwise lock
its owner out. Failures are throttled with growing delays instead, counted in the shared counter
storage (Redis in production, kinerja_admin.security.counters) under keys that a stranger cannot
share with the real user:

- a browser that has logged in to the account before carries a signed "known device" cookie; its
  attempts are counted per (username, device) only, so nothing a stranger does slows it down;
- from an address the account logged in from in the last 90 days, attempts are counted per
  (username, address) only;
- any other attempt is counted per (username, client address), per client address and per
  username. Past a free allowance each failure doubles the wait (2 s, 4 s, 8 s, ... up to the
  setting ``login.max_delay_seconds``).

Keys are made from the *typed* username, whether or not the account exists, and an unknown
username costs a password hash too: the answers (generic error, or 429 with the wait) are the same
for unknown, inactive and existing accounts. The database keeps an atomic failure counter per
account for the administrator (`failed_logins`, `last_failed_login_at`).
"""
from __future__ import annotations

import math
import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models import User, db
from models.base import utcnow

from .audit import record
from .extensions import limiter, login_manager
from .security import counter_key, counters
from .settings import get_setting

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Nama pengguna atau kata sandi salah."
THROTTLED_MESSAGE = ("Terlalu banyak percobaan masuk yang gagal. Tunggu {seconds} detik, lalu coba lagi "
                     "dengan kata sandi yang benar.")
DEVICE_COOKIE = "kinerja_perangkat"
DEVICE_MAX_AGE = 400 * 24 * 3600
DEVICE_KEEP = 5  # usernames remembered per browser
FAIL_WINDOW = 24 * 3600  # failure counts are forgotten a day after the first failure
KNOWN_ADDRESS_DAYS = 90
# free failures before the growing delay starts, per key kind
FREE = {"device": 5, "pair": 3, "ip": 20, "account": 10}
AUDIT_DELAY = 60  # a throttle of at least this long on an existing account is audited
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


class LoginForm(FlaskForm):
    username = StringField("Nama pengguna", validators=[DataRequired("Nama pengguna wajib diisi."), Length(max=60)])
    password = PasswordField("Kata sandi", validators=[DataRequired("Kata sandi wajib diisi."), Length(max=200)])
    remember = BooleanField("Ingat saya")


@login_manager.user_loader
def load_user(user_id: str):
    try:
        raw_id, token = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or not token or not secrets.compare_digest(user.session_token, token) or not user.active:
        return None
    return user


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


# --- throttle ----------------------------------------------------------------------------------

def delay_for(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures: none within the free allowance, then doubling."""
    if failures <= free:
        return 0
    return int(min(2 ** min(failures - free, 30), cap))


def _norm(username: str) -> str:
    return " ".join((username or "").split()).lower()


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kinerja-known-device")


def _device() -> dict | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), str) or not isinstance(data.get("u"), list):
        return None
    return data


def _user_mark(username: str) -> str:
    return counter_key("device-user", _norm(username)).rsplit(":", 1)[1][:16]


def _throttle_keys(username: str) -> list[tuple[str, str, int]]:
    """(failure key, block key, free failures) that apply to this attempt."""
    name = _norm(username)
    device = _device()
    ip = request.remote_addr or "-"
    if device is not None and _user_mark(name) in device["u"]:
        scopes = [("device", (name, device["d"]))]
    elif counters().get(counter_key("login-known-address", name, ip)) > 0:
        scopes = [("pair", (name, ip))]
    else:
        scopes = [("pair", (name, ip)), ("ip", (ip,)), ("account", (name,))]
    return [(counter_key(f"login-fail-{kind}", *parts), counter_key(f"login-block-{kind}", *parts), FREE[kind])
            for kind, parts in scopes]


def throttled_for(username: str) -> int:
    """Seconds this attempt must still wait (0: go ahead)."""
    store = counters()
    now = time.time()
    wait = 0.0
    for _fail, block, _free in _throttle_keys(username):
        if store.get(block) > 0:
            wait = max(wait, store.get_expiry(block) - now)
    return int(math.ceil(wait)) if wait > 0 else 0


def _count_failure(username: str) -> int:
    """Count one failure under every applicable key; start the delays. Returns the longest delay."""
    store = counters()
    cap = max(1, int(get_setting("login.max_delay_seconds")))
    longest = 0
    for fail, block, free in _throttle_keys(username):
        n = store.incr(fail, FAIL_WINDOW)
        wait = delay_for(n, free, cap)
        if wait:
            store.clear(block)
            store.incr(block, wait)
            longest = max(longest, wait)
    return longest


def _forget_failures(username: str) -> None:
    """After a successful login: clear this account's counters and remember the address."""
    store = counters()
    for fail, block, _free in _throttle_keys(username):
        if ":login-fail-ip:" in fail:
            continue  # one good password does not clear an address's failures on other accounts
        store.clear(fail)
        store.clear(block)
    known = counter_key("login-known-address", _norm(username), request.remote_addr or "-")
    store.clear(known)
    store.incr(known, KNOWN_ADDRESS_DAYS * 24 * 3600)


def _remember_device(response, username: str):
    device = _device() or {"d": secrets.token_urlsafe(12), "u": []}
    mark = _user_mark(username)
    users = [u for u in device["u"] if u != mark][-(DEVICE_KEEP - 1):] + [mark]
    value = _device_serializer().dumps({"d": device["d"], "u": users})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE, httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Lax",
                        path=url_for("auth.login"))
    return response


def _throttled_page(form, seconds: int):
    flash(THROTTLED_MESSAGE.format(seconds=seconds), "error")
    resp = current_app.make_response((render_template("auth/login.html", form=form), 429))
    resp.headers["Retry-After"] = str(seconds)
    return resp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        typed = form.username.data.strip()
        wait = throttled_for(typed)
        if wait:
            return _throttled_page(form, wait)
        user = db.session.scalar(db.select(User).where(User.username == typed))
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)  # the same cost as a real account
            ok = False
        else:
            ok = user.check_password(form.password.data) and bool(user.active)
        now = utcnow()
        if not ok:
            wait = _count_failure(typed)
            if user is not None:
                # one atomic UPDATE: parallel failures are all counted
                db.session.execute(update(User).where(User.id == user.id)
                                   .values(failed_logins=User.failed_logins + 1, last_failed_login_at=now)
                                   .execution_options(synchronize_session=False))
                if wait >= AUDIT_DELAY:
                    record("login_throttled", "user_account", user.id, reason=f"{wait} detik", user=user)
                db.session.commit()
            if wait:
                return _throttled_page(form, wait)
            flash(GENERIC_LOGIN_ERROR, "error")
            return render_template("auth/login.html", form=form), 200
        _forget_failures(typed)
        user.failed_logins = 0
        user.last_login_at = now
        db.session.commit()
        session.clear()  # no pre-login session data survives (fixation)
        login_user(user, remember=form.remember.data)
        return _remember_device(redirect(_safe_next(request.args.get("next"))), typed)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session on the server too: rotating the account's session token invalidates this
    session cookie (replayed or not), the remember-me cookie and the account's other sessions."""
    user = db.session.get(User, current_user.id)
    if user is not None:
        user.session_token = secrets.token_hex(16)
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the flag that deletes the remember-me cookie
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))
