"""Configuration, read only from the environment with safe development defaults.

`create_app()` picks `Config`; tests pass `TestConfig`. Every value can be overridden by an
environment variable of the same name (``KINERJA_`` prefixed where the plain name is ambiguous).
"""
from __future__ import annotations

import datetime as dt
import os


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on", "ya"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


class Config:
    # Secret key: taken from SECRET_KEY; when absent, kinerja_admin.security generates a random one
    # and persists it in the instance folder (never a guessable constant). In production
    # (KINERJA_ENV=production) the app refuses to start without an explicit SECRET_KEY.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    KINERJA_ENV = os.environ.get("KINERJA_ENV", "development")

    # Database: SQLite file in the instance folder unless DATABASE_URL is given.
    # postgresql+psycopg://user@host/db  |  mysql+pymysql://user:pw@host/db?charset=utf8mb4
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None -> instance/kinerja.db
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure (HTTPS-only) cookies by default in production; override with SESSION_COOKIE_SECURE=0
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", KINERJA_ENV == "production")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = _int("KINERJA_SESSION_MINUTES", 8 * 60) * 60
    # "Ingat saya": the remember-me cookie's lifetime (days); logout invalidates it on the server.
    REMEMBER_COOKIE_DURATION = dt.timedelta(days=_int("KINERJA_REMEMBER_DAYS", 14))

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
    # (werkzeug ProxyFix). 0: the TCP peer is the client. Behind one nginx: 1.
    KINERJA_PROXY_HOPS = _int("KINERJA_PROXY_HOPS", 0)
    # Strict-Transport-Security max-age in seconds; on by default in production (one year), 0 = off.
    KINERJA_HSTS_SECONDS = _int("KINERJA_HSTS_SECONDS", 365 * 24 * 3600 if KINERJA_ENV == "production" else 0)

    # CSRF: one mechanism, Flask-WTF CSRFProtect, app-wide (admin forms use the plain BaseForm).
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # token valid for the session

    # Babel / UI language
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("KINERJA_TIMEZONE", "Asia/Jakarta")

    # Flask-Admin
    FLASK_ADMIN_SWATCH = "default"
    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION = False

    # Rate limiting (Flask-Limiter), the login throttle and the survey's burst counters share this
    # storage. memory:// is per process: production refuses it unless KINERJA_SINGLE_WORKER=1 states
    # that one process serves everything (kinerja_admin.security.check_production_setup).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    KINERJA_SINGLE_WORKER = _bool("KINERJA_SINGLE_WORKER", False)
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "kinerja")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True

    # Uploads
    MAX_CONTENT_LENGTH = _int("KINERJA_MAX_UPLOAD_MB", 20) * 1024 * 1024

    # Name of the instance shown in the UI
    KINERJA_INSTANCE_NAME = os.environ.get("KINERJA_INSTANCE_NAME", "BKPSDM Kota Binjai")

    # Background jobs (kinerja_admin.jobs): unset = embedded (huey on SQLite in the instance folder, a
    # consumer thread in the web process); redis://127.0.0.1:6379/1 = Redis with separate workers
    # (`flask --app wsgi kinerja worker`); "immediate" = run at once in the caller (tests).
    KINERJA_QUEUE_URL = os.environ.get("KINERJA_QUEUE_URL", "")
    KINERJA_QUEUE_NAME = os.environ.get("KINERJA_QUEUE_NAME", "kinerja")
    KINERJA_EMBEDDED_WORKERS = _int("KINERJA_EMBEDDED_WORKERS", 1)
    # Job files (exports, uploads, error lists); shared by the web process and the workers
    KINERJA_JOB_DIR = os.environ.get("KINERJA_JOB_DIR")  # None -> instance/jobs
    KINERJA_JOB_KEEP_DAYS = _int("KINERJA_JOB_KEEP_DAYS", 7)  # result files are removed after this

    # E-mail of notifications (kinerja_admin.notify.mail, the standard library's smtplib): nothing is
    # sent while KINERJA_SMTP_HOST is empty. KINERJA_SMTP_SECURITY: starttls (port 587), ssl (465) or none.
    KINERJA_SMTP_HOST = os.environ.get("KINERJA_SMTP_HOST", "")
    KINERJA_SMTP_PORT = _int("KINERJA_SMTP_PORT", 587)
    KINERJA_SMTP_USER = os.environ.get("KINERJA_SMTP_USER", "")
    KINERJA_SMTP_PASSWORD = os.environ.get("KINERJA_SMTP_PASSWORD", "")
    KINERJA_SMTP_SECURITY = os.environ.get("KINERJA_SMTP_SECURITY", "starttls")
    KINERJA_SMTP_TIMEOUT = _int("KINERJA_SMTP_TIMEOUT", 20)
    KINERJA_MAIL_FROM = os.environ.get("KINERJA_MAIL_FROM", "e-kinerja@localhost")
    # the address of the app in links of e-mails (https://kinerja.example.go.id); empty: paths only
    KINERJA_BASE_URL = os.environ.get("KINERJA_BASE_URL", "")

    TESTING = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    KINERJA_ENV = "testing"
    # Server databases through KINERJA_TEST_DATABASE_URL; SQLite file otherwise (set by conftest).
    SQLALCHEMY_DATABASE_URI = os.environ.get("KINERJA_TEST_DATABASE_URL")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SESSION_COOKIE_SECURE = False
    # jobs run at once in the test's own thread; tests/test_jobs.py runs the real consumers
    KINERJA_QUEUE_URL = os.environ.get("KINERJA_TEST_QUEUE_URL", "immediate")
