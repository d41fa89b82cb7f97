"""Security plumbing: secret key, password policy, security headers."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

WEAK_PASSWORDS = {"password", "passw0rd", "12345678", "123456789", "1234567890", "qwerty123",
                  "admin123", "rahasia", "rahasia123", "bismillah", "binjai123"}


def ensure_secret_key(app: Flask) -> None:
    """Never run with a guessable key: use SECRET_KEY, or (outside production) generate a random
    one once and persist it in the instance folder so sessions survive restarts."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("KINERJA_ENV") == "production":
        raise RuntimeError("SECRET_KEY wajib diatur pada lingkungan produksi (KINERJA_ENV=production).")
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()


def check_password_policy(password: str, *, username: str | None = None, min_length: int | None = None) -> None:
    """Raise ValueError with an Indonesian message when the password is too weak."""
    if min_length is None:
        from .settings import get_setting

        try:
            min_length = int(get_setting("password.min_length"))
        except Exception:
            min_length = 10
    if len(password) < min_length:
        raise ValueError(f"Kata sandi minimal {min_length} karakter.")
    if password.lower() in WEAK_PASSWORDS:
        raise ValueError("Kata sandi terlalu umum; pilih kata sandi lain.")
    if username and username.lower() in password.lower():
        raise ValueError("Kata sandi tidak boleh memuat nama pengguna.")
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 2:
        raise ValueError("Kata sandi harus memadukan minimal dua jenis karakter (huruf, angka, simbol).")


# --- Content-Security-Policy --------------------------------------------------------------------
# Scripts run only from our own origin, or inline with this request's nonce (Flask-Admin renders its
# inline <script> blocks with `csp_nonce_generator`). Flask-Admin's templates also carry a few inline
# event handlers (the delete confirmation, the action menu, "add filter", inline rule rows); those
# exact strings, and no others, are allowed by hash with 'unsafe-hashes'. An injected attribute or
# script cannot match. Styles keep 'unsafe-inline' (style attributes throughout the admin theme).

def csp_nonce() -> str:
    """This request's script nonce (one per request, created on first use; kept in the WSGI environ,
    which, unlike `g`, is never shared between requests)."""
    from flask import request

    nonce = request.environ.get("kinerja.csp_nonce")
    if nonce is None:
        nonce = request.environ["kinerja.csp_nonce"] = secrets.token_urlsafe(18)
    return nonce


def _sha256(source: str) -> str:
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def inline_handlers(app) -> list[str]:
    """Every inline event handler the admin renders (Flask-Admin 2.x bootstrap4 templates and ours)."""
    handlers = {"return false;", "window.print()"}
    # row_actions.html: the delete confirmation, in the admin's language and in English
    message = "Are you sure you want to delete this record?"
    for text in {message, _admin_gettext(message)}:
        handlers.add(f"return faHelpers.safeConfirm('{text}');")
    admin = app.extensions.get("admin", [None])[0]
    for view in getattr(admin, "_views", []):
        for name, _ in getattr(view, "_actions", []) or []:  # actions.html
            handlers.add(f"return modelActions.execute('{name}');")
        for key in _inline_field_ids(view):  # inline_list_base.html
            handlers.add(f"faForm.addInlineField(this, '{key}');")
    return sorted(handlers)


def _admin_gettext(message: str) -> str:
    import gettext

    folder = Path(__file__).resolve().parent / "translations"
    return gettext.translation("admin", localedir=str(folder), languages=["id"], fallback=True).gettext(message)


def _inline_field_ids(view) -> list[str]:
    inline = getattr(view, "inline_models", None) or ()
    model = getattr(view, "model", None)
    if not inline or model is None:
        return []
    from sqlalchemy import inspect as sa_inspect

    targets = {m if isinstance(m, type) else getattr(m, "model", None) for m in inline}
    return [rel.key for rel in sa_inspect(model).relationships if rel.mapper.class_ in targets]


def content_security_policy(app, nonce: str | None) -> str:
    hashes = app.extensions.get("kinerja_csp_hashes")
    if hashes is None:
        hashes = app.extensions["kinerja_csp_hashes"] = " ".join(_sha256(h) for h in inline_handlers(app))
    script = "script-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "") + f" 'unsafe-hashes' {hashes}"
    return ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"{script}; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'self'")


def add_security_headers(response):
    from flask import current_app, has_request_context, request

    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                content_security_policy(current_app, request.environ.get("kinerja.csp_nonce")
                                                        if has_request_context() else None))
    return response
