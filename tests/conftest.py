"""Test fixtures: a fresh app per test from create_app(TestConfig) on a real database.

The schema is created once per session by the Alembic migrations (as in production), on SQLite by
default or on the server named by KINERJA_TEST_DATABASE_URL (PostgreSQL, MariaDB). Each test starts
from empty tables plus the reference data that `flask kinerja init` seeds.
"""
from __future__ import annotations

import os
import re

import pytest
from flask import g
from sqlalchemy import bindparam, text

from config import TestConfig
from kinerja_admin import create_app
from kinerja_admin.dbtools import drop_everything
from kinerja_admin.extensions import db

SERVER_URL = os.environ.get("KINERJA_TEST_DATABASE_URL")


def scratch_sqlite_app(tmp_path):
    """(app, url) on an empty scratch SQLite file: the migration tests build their own schema there."""
    url = f"sqlite:///{tmp_path / 'scratch.db'}"

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Cfg), url


SCRATCH_STAMPS = "'2025-01-01', '2025-01-01'"  # created_at, updated_at of the rows written below


def scratch_rows(conn, *statements) -> None:
    """Rows for a migration test on a scratch database held at an old revision: unit 1, employees 1 (Ani)
    and 2 (Budi), period 1 ('2025', assessing) and scheme 1, then `statements` (SQL; ``{stamps}`` stands
    for the created_at, updated_at values)."""
    stamps = SCRATCH_STAMPS
    for sql in (
        f"INSERT INTO unit (id, code, name, kind, active, public_facing, created_at, updated_at) "
        f"VALUES (1, 'U', 'Unit', 'OPD', 1, 0, {stamps})",
        f"INSERT INTO employee (id, nip, name, unit_id, employee_type, active, created_at, updated_at) "
        f"VALUES (1, '198001012005011001', 'Ani', 1, 'PNS', 1, {stamps}), "
        f"(2, '198001012005011002', 'Budi', 1, 'PNS', 1, {stamps})",
        f"INSERT INTO period (id, code, name, start_date, end_date, status, version, created_at, updated_at) "
        f"VALUES (1, '2025', 'Tahun 2025', '2025-01-01', '2025-12-31', 'assessing', 1, {stamps})",
        f"INSERT INTO scoring_scheme (id, code, name, kind, version, is_preset, locked, scale_min, scale_max, "
        f"created_at, updated_at) VALUES (1, 'S', 'Skema', 'matrix', 1, 0, 0, 1, 5, {stamps})",
        *(sql.replace("{stamps}", stamps) for sql in statements),
    ):
        conn.execute(text(sql))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if SERVER_URL:
        return SERVER_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app_config(database_url, tmp_path_factory):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    return Cfg


@pytest.fixture(scope="session")
def _schema(app_config):
    from flask_migrate import upgrade

    app = create_app(app_config)
    with app.app_context():
        drop_everything()
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return True


def clean_tables():
    """Empty every table (fast path per dialect), ready for reference seeding."""
    engine = db.engine
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # DELETE beats TRUNCATE on small tables; FK checks run at statement end in PostgreSQL.
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))
        elif engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for t in tables:
                conn.execute(text(f"DELETE FROM `{t}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


def _rows_by_table(conn, tables):
    """Every row of `tables`, in primary-key order (parents before children in self-references)."""
    out = {}
    for table in tables:
        pk = list(table.primary_key.columns)
        rows = [dict(r._mapping) for r in conn.execute(table.select().order_by(*pk))]
        if rows:
            out[table.name] = rows
    return out


def _replay(snapshot):
    """Insert snapshot rows with their ids (dependency order), then move PostgreSQL's sequences.
    Self-references (a unit's parent, an RHK's superior RHK, ...) are set by an UPDATE after the
    table's rows exist: a row may refer to one with a higher id."""
    engine = db.engine
    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            rows = snapshot.get(table.name)
            if not rows:
                continue
            self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            if not self_refs:
                conn.execute(table.insert(), rows)
                continue
            conn.execute(table.insert(), [{**r, **dict.fromkeys(self_refs)} for r in rows])
            keep = [c.name for c in table.columns if c.onupdate is not None]  # e.g. updated_at stays as captured
            for col in self_refs:
                links = [{"_pk": r["id"], "_ref": r[col], **{f"_{k}": r[k] for k in keep}}
                         for r in rows if r.get(col) is not None]
                if links:
                    conn.execute(table.update().where(table.c.id == bindparam("_pk"))
                                 .values({col: bindparam("_ref"), **{k: bindparam(f"_{k}") for k in keep}}), links)
        if engine.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:
                if table.name in snapshot and "id" in table.c and table.c.id.autoincrement:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table.name}\"), false)"))


@pytest.fixture(scope="session")
def _shared_app(_schema, app_config):
    """One app for the session: building the admin (250 URL rules) per test would dominate the
    suite's time. Each test still gets fresh tables, a fresh session and its config restored."""
    app = create_app(app_config)
    # Tests keep one app context pushed to use db.session directly; test-client requests reuse it, so
    # Flask-Login's per-context cache of the user must be dropped per request (production requests
    # each get a fresh context).
    app.before_request(lambda: g.pop("_login_user", None) and None)
    return app


@pytest.fixture(scope="session")
def _baseline(_shared_app):
    """Reference data as `flask kinerja init` seeds it, and the small demo city, captured once and
    replayed per test (the demo generator itself is tested in test_cli.py)."""
    from kinerja_admin.demo import build_demo
    from kinerja_admin.reference import seed_reference

    with _shared_app.app_context():
        clean_tables()
        seed_reference(db.session)
        db.session.commit()
        with db.engine.connect() as conn:
            reference = _rows_by_table(conn, db.metadata.sorted_tables)
        build_demo(db.session, employees=60, seed=7, password=DEMO_PASSWORD)
        db.session.commit()
        with db.engine.connect() as conn:
            everything = _rows_by_table(conn, db.metadata.sorted_tables)
        demo = {}
        for table in db.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            seen = {tuple(r[k] for k in keys) for r in reference.get(table.name, [])}
            added = [r for r in everything.get(table.name, []) if tuple(r[k] for k in keys) not in seen]
            if added:
                demo[table.name] = added
        db.session.remove()
    return {"reference": reference, "demo": demo}


@pytest.fixture
def app(_shared_app, _baseline):
    app = _shared_app
    saved_config = dict(app.config)
    app.extensions.pop("kinerja_counters", None)  # fresh login-throttle counters (memory://) per test
    with app.app_context():
        clean_tables()
        _replay(_baseline["reference"])
        yield app
        db.session.rollback()
        db.session.remove()
    app.config.clear()
    app.config.update(saved_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app, _baseline):
    """A small deterministic demo city (60 employees, seed 7); returns a dict of handy objects."""
    from models import Employee, Period, User

    _replay(_baseline["demo"])
    users = {u.username: u for u in db.session.scalars(db.select(User))}
    return {
        "users": users,
        "periods": {p.code: p for p in db.session.scalars(db.select(Period))},
        "employees": db.session.scalars(db.select(Employee).order_by(Employee.id)).all(),
    }


DEMO_PASSWORD = "Demo#Binjai2026"


def login_as(client, user):
    """Log a user in by putting Flask-Login's keys in the session (the login form has its own tests)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def login(client):
    def _login(user):
        login_as(client, user)
        return client

    return _login


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert m, "no csrf_token in page"
    return m.group(1)


@pytest.fixture
def published(demo):
    """The demo city with period 2025 scored by the engine, approved and published by the admin
    through the score workflow (what the portal, the dashboard and Kinerja Saya show)."""
    from kinerja_admin.scoring.engine import score_period
    from kinerja_admin.workflow import score as score_flow
    from models import ScoreResult

    period = demo["periods"]["2025"]
    score_period(db.session, period)
    admin = demo["users"]["admin"]
    ids = db.session.scalars(db.select(ScoreResult.id).where(ScoreResult.period_id == period.id)).all()
    score_flow.bulk(db.session, admin, "approve", ids)
    score_flow.bulk(db.session, admin, "publish", ids)
    db.session.commit()
    return demo
