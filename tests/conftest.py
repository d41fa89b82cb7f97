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
from sqlalchemy import text

from config import TestConfig
from kinerja_admin import create_app
from kinerja_admin.extensions import db

SERVER_URL = os.environ.get("KINERJA_TEST_DATABASE_URL")


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


def _drop_everything():
    """Leave the database empty (also of tables from older schemas and alembic_version)."""
    from sqlalchemy import MetaData

    engine = db.engine
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in meta.sorted_tables:
                conn.execute(text(f"DROP TABLE IF EXISTS `{table.name}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        elif engine.dialect.name == "postgresql":
            for table in meta.sorted_tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        else:
            meta.drop_all(bind=conn)


@pytest.fixture(scope="session")
def _schema(app_config):
    from flask_migrate import upgrade

    app = create_app(app_config)
    with app.app_context():
        _drop_everything()
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
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        elif engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for t in tables:
                conn.execute(text(f"DELETE FROM `{t}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def app(_schema, app_config):
    from kinerja_admin.reference import seed_reference

    app = create_app(app_config)
    # The fixture keeps one app context pushed so tests can use db.session directly; requests made by
    # the test client reuse it, so Flask-Login's per-context cache of the user must be dropped per
    # request (production requests each get a fresh context).
    app.before_request(lambda: g.pop("_login_user", None) and None)
    with app.app_context():
        clean_tables()
        seed_reference(db.session)
        db.session.commit()
        yield app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """A small deterministic demo city (60 employees); returns a dict of handy objects."""
    from kinerja_admin.demo import build_demo
    from models import Employee, Period, User

    build_demo(db.session, employees=60, seed=7, password=DEMO_PASSWORD)
    db.session.commit()
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
