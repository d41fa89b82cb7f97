"""kinerja-admin: ASN performance appraisal admin panel. `create_app` wires everything."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, jsonify, redirect, render_template, url_for
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


def _locale():
    return "id"


def create_app(config=None) -> Flask:
    from config import Config

    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config or Config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'kinerja.db'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        opts.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts

    from .security import (
        add_security_headers,
        check_production_setup,
        ensure_secret_key,
        install_proxy_fix,
        refuse_nul_bytes,
    )

    ensure_secret_key(app)
    check_production_setup(app)
    install_proxy_fix(app)
    app.before_request(refuse_nul_bytes)

    import models  # noqa: F401  (register every model)

    db.init_app(app)
    from .workflow.guards import install as install_workflow_guards

    install_workflow_guards()  # closed-period lock, append-only audit, audit trail (ORM listeners)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=_locale)
    from .translations import init_app as init_translations

    init_translations(app)  # Indonesian WTForms messages on Flask-Admin and Flask-WTF forms
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman ini."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from . import formatting
    from .auth import bp as auth_bp
    from .cli import kinerja_cli

    app.register_blueprint(auth_bp)
    app.cli.add_command(kinerja_cli)
    formatting.init_app(app)

    from views import init_admin

    init_admin(app)

    from .public import bp as public_bp

    app.register_blueprint(public_bp)
    from . import jobs, panduan

    panduan.init_app(app)  # /panduan/ and the contextual help blocks
    jobs.init_app(app)  # the task queue (embedded consumer starts with the first job)
    from . import notify

    notify.init_app(app)  # the bell and Tugas Saya counts; e-mail queued after the commit that created it

    @app.route("/favicon.ico")
    def favicon():
        from flask import send_from_directory

        return send_from_directory(Path(__file__).parent / "static", "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                   max_age=7 * 24 * 3600)

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))

    @app.route("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            return jsonify(status="ok")
        except Exception:  # pragma: no cover - depends on the database being down
            return jsonify(status="error", detail="database tidak dapat dihubungi"), 503

    _register_error_pages(app)
    app.after_request(add_security_headers)
    return app


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: ("Permintaan tidak valid", "Permintaan Anda tidak dapat diproses. Muat ulang halaman lalu coba lagi."),
        403: ("Akses ditolak", "Anda tidak memiliki hak untuk membuka halaman ini."),
        404: ("Tidak ditemukan", "Halaman atau data yang Anda cari tidak ada atau di luar lingkup akses Anda."),
        405: ("Metode tidak diizinkan", "Tindakan ini tidak dapat dilakukan dengan cara tersebut."),
        413: ("Berkas terlalu besar", "Ukuran berkas melebihi batas yang diizinkan."),
        429: ("Terlalu banyak permintaan", "Terlalu banyak permintaan dalam waktu singkat. Coba lagi sebentar lagi."),
        500: ("Terjadi kesalahan", "Terjadi kesalahan pada server. Perubahan Anda tidak disimpan; coba lagi."),
    }

    def make_handler(code):
        title, message = messages[code]

        def handler(err):
            if code == 500:
                db.session.rollback()
            return render_template("error.html", code=code, title=title, message=message), code

        return handler

    for code in messages:
        app.register_error_handler(code, make_handler(code))
