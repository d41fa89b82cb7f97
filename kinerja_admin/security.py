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


def add_security_headers(response):
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; font-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'",
    )
    return response
