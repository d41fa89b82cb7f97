"""Login / logout blueprint, the user loader and role helpers."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models import User, db
from models.base import utcnow

from .audit import record
from .extensions import limiter, login_manager
from .settings import get_setting

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Nama pengguna atau kata sandi salah."


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
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).where(User.username == form.username.data.strip()))
        now = utcnow()
        if user is not None and user.locked_until and user.locked_until > now:
            flash("Akun dikunci sementara karena terlalu banyak percobaan gagal. Coba lagi nanti.", "error")
            return render_template("auth/login.html", form=form), 429
        if user is None or not user.active or not user.check_password(form.password.data):
            if user is not None:
                user.failed_logins = (user.failed_logins or 0) + 1
                if user.failed_logins >= get_setting("login.max_failures"):
                    minutes = get_setting("login.lockout_minutes")
                    user.locked_until = now + dt.timedelta(minutes=minutes)
                    user.failed_logins = 0
                    record("lockout", "user_account", user.id, reason=f"{minutes} menit", user=user)
                db.session.commit()
            flash(GENERIC_LOGIN_ERROR, "error")
            return render_template("auth/login.html", form=form), 200
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        db.session.commit()
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))
