"""Security plumbing: secret key, production checks, password policy, request hygiene and security
headers (CSP, HSTS, no-store), CSV formula neutralisation."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)

# Words an Indonesian user reaches for first (zxcvbn's own dictionaries are English): passed to the
# strength estimator together with the user's own name, username and NIP.
INDONESIAN_WORDS = (
    "rahasia", "sandi", "katasandi", "kunci", "masuk", "bismillah", "alhamdulillah", "insyaallah",
    "indonesia", "merdeka", "garuda", "pancasila", "nusantara", "jakarta", "medan", "sumatera",
    "sumut", "binjai", "kota", "pemko", "pemkot", "dinas", "kantor", "pegawai", "kinerja", "asn",
    "pns", "pppk", "bkpsdm", "bkd", "admin", "operator", "penilai", "inspektur", "sayang", "cinta",
    "sayangku", "cintaku", "rindu", "selamat", "pagi", "siang", "malam", "kucing", "anjing",
    "ganteng", "cantik", "bunga", "mawar", "melati", "persib", "persija", "psms", "juara",
)
MIN_STRENGTH = 3  # zxcvbn score 0..4: 3 = "safely unguessable" (about 10^8 guesses or more)


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


def check_password_policy(password: str, *, username: str | None = None, min_length: int | None = None,
                          user_inputs: tuple | list = ()) -> None:
    """Raise ValueError with an Indonesian message when the password is too weak: shorter than the
    setting ``password.min_length``, fewer than two character classes, containing the username, or
    guessable by zxcvbn (score below MIN_STRENGTH) with Indonesian words and the user's own data
    (name, NIP, ... in `user_inputs`) as extra dictionary."""
    if min_length is None:
        from .settings import get_setting

        try:
            min_length = int(get_setting("password.min_length"))
        except Exception:
            min_length = 10
    if len(password) < min_length:
        raise ValueError(f"Kata sandi minimal {min_length} karakter.")
    if len(password) > 200:
        raise ValueError("Kata sandi paling panjang 200 karakter.")
    if username and username.lower() in password.lower():
        raise ValueError("Kata sandi tidak boleh memuat nama pengguna.")
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 2:
        raise ValueError("Kata sandi harus memadukan minimal dua jenis karakter (huruf, angka, simbol).")
    if password_strength(password, username=username, user_inputs=user_inputs) < MIN_STRENGTH:
        raise ValueError("Kata sandi terlalu mudah ditebak (kata umum, pola papan ketik, urutan angka, "
                         "nama atau NIP sendiri). Pilih gabungan beberapa kata yang tidak berhubungan, "
                         "angka dan simbol.")


def password_strength(password: str, *, username: str | None = None, user_inputs: tuple | list = ()) -> int:
    """zxcvbn's score (0..4) with Indonesian words and the user's own data as extra dictionary."""
    from zxcvbn import zxcvbn

    extra = list(INDONESIAN_WORDS)
    for item in (username, *user_inputs):
        if item:
            extra.append(str(item).lower())
            extra.extend(w.lower() for w in str(item).replace(".", " ").replace(",", " ").split() if len(w) > 2)
    return int(zxcvbn(password[:200], user_inputs=extra)["score"])


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
    hsts = int(current_app.config.get("KINERJA_HSTS_SECONDS") or 0)
    if hsts > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if has_request_context() and _is_private(request):
        # personal pages, print pages, exports and the login form: never kept by a browser or proxy
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("ETag", None)
    return response


PRIVATE_PREFIXES = ("/admin", "/login", "/logout")


def _is_private(request) -> bool:
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return False  # stylesheets and scripts stay cacheable
    return request.path.startswith(PRIVATE_PREFIXES)


# --- request hygiene ---------------------------------------------------------------------------

def refuse_nul_bytes():
    """before_request: a NUL byte in the path, the query or a form field is never legitimate, and
    PostgreSQL refuses it in text (which would surface as a 500): answer 400 at the door."""
    from flask import abort, request

    if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
        abort(400)
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        if any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
            abort(400)
    return None


def install_proxy_fix(app: Flask) -> None:
    """Trust exactly `KINERJA_PROXY_HOPS` reverse proxies (default 0: the TCP peer is the client).
    With 1, the last X-Forwarded-For/-Proto/-Host hop set by our proxy names the client, so rate
    limits and the survey's per-client checks key on the citizen, not on the proxy."""
    hops = int(app.config.get("KINERJA_PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def check_production_setup(app: Flask) -> None:
    """Refuse to start a production app whose rate limits would be per process: with `memory://`
    every gunicorn worker counts on its own (4 workers accept 4x the limit) and the login throttle
    is forgotten on restart. The operator may state a single worker with KINERJA_SINGLE_WORKER=1
    (the shipped gunicorn.conf.py then refuses to start more than one)."""
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not uri.startswith("memory://"):
        return
    if app.config.get("KINERJA_ENV") != "production":
        return
    if not app.config.get("KINERJA_SINGLE_WORKER"):
        raise RuntimeError(
            "RATELIMIT_STORAGE_URI=memory:// pada produksi: batas permintaan dan pembatasan login hanya "
            "berlaku per proses. Atur RATELIMIT_STORAGE_URI=redis://... (dipakai bersama semua worker), "
            "atau KINERJA_SINGLE_WORKER=1 bila benar-benar hanya satu proses.")
    log.warning("RATELIMIT_STORAGE_URI=memory:// in production with KINERJA_SINGLE_WORKER=1: limits hold only "
                "inside this one process and are lost on restart; run exactly one worker or use Redis.")


def counters():
    """The app's shared counter storage (a `limits` storage on RATELIMIT_STORAGE_URI: Redis in
    production, so counts hold across workers and hosts): the login throttle and the survey use it.
    Independent of RATELIMIT_ENABLED (tests turn route limits off, not the throttle)."""
    from flask import current_app

    storage = current_app.extensions.get("kinerja_counters")
    if storage is None:
        from limits.storage import storage_from_string

        uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        storage = current_app.extensions["kinerja_counters"] = storage_from_string(uri)
    return storage


def counter_key(*parts) -> str:
    """A storage key from parts; user-chosen text (usernames) is hashed, never stored as is."""
    import hashlib

    from flask import current_app

    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "kinerja"
    digest = hashlib.sha256("|".join(str(p) for p in parts[1:]).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{prefix}:{parts[0]}:{digest}"


# --- CSV exports -------------------------------------------------------------------------------
# A spreadsheet treats a cell starting with = + - @ (or a tab/CR that it strips first) as a formula:
# `=HYPERLINK(...)` from a citizen's comment would run on the inspector's machine. Such cells get a
# leading apostrophe (OWASP's advice), which spreadsheets display but do not evaluate.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_csv_cell(value):
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class CsvFormulaSafeMixin:
    """For Flask-Admin model views: every exported cell (CSV and tablib formats) goes through
    neutralise_csv_cell. Numbers stay numbers; only text can carry a formula."""

    def get_export_value(self, model, name):
        return neutralise_csv_cell(super().get_export_value(model, name))
