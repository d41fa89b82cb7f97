"""Faults: a database that refuses mid-request gives a clean Indonesian error and no partial
write; concurrent SQLite writers wait for each other instead of failing or corrupting."""
import threading

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from kinerja_admin.extensions import db
from models import AuditLog, Employee, Rank, Unit
from tests.conftest import login_as


class _RefuseOn:
    """Make the database refuse the first statement that matches `needle` (a dropped connection)."""

    def __init__(self, needle):
        self.needle = needle
        self.fired = False

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not self.fired and self.needle in statement:
            self.fired = True
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))


@pytest.fixture
def refuse(app):
    installed = []

    def _install(needle):
        hook = _RefuseOn(needle)
        event.listen(db.engine, "before_cursor_execute", hook)
        installed.append(hook)
        return hook

    yield _install
    for hook in installed:
        event.remove(db.engine, "before_cursor_execute", hook)


def _form():
    unit = db.session.scalar(select(Unit).where(Unit.code == "DINKES"))
    rank = db.session.scalar(select(Rank).where(Rank.employee_type == "PNS", Rank.code == "III/b"))
    return {"nip": "198803142015031002", "name": "Andi Lubis, S.T.", "employee_type": "PNS",
            "rank": str(rank.id), "unit": str(unit.id), "active": "y"}


def test_refused_audit_insert_rolls_back_the_whole_save(client, demo, refuse):
    login_as(client, demo["users"]["operator"])
    employees = db.session.scalar(select(func.count()).select_from(Employee))
    audits = db.session.scalar(select(func.count()).select_from(AuditLog))
    form = _form()  # read reference rows before the fault is armed
    hook = refuse("INSERT INTO audit_log")
    rv = client.post("/admin/employee/new/", data=form, follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert hook.fired
    assert rv.status_code == 200
    assert "Basis data sedang tidak dapat dihubungi" in html
    assert "server closed the connection" not in html and "INSERT INTO" not in html
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Employee)) == employees
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == audits
    # the app keeps serving
    assert client.get("/admin/employee/").status_code == 200


def test_refused_query_outside_admin_gives_friendly_500(client, demo, refuse, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(client, demo["users"]["operator"])
    db.session.expire_all()
    refuse("FROM employee")
    rv = client.get("/admin/employee/")
    assert rv.status_code == 500
    html = rv.get_data(as_text=True)
    assert "Terjadi kesalahan" in html and "Traceback" not in html and "OperationalError" not in html
    assert client.get("/healthz").status_code == 200


def test_concurrent_sqlite_writers_wait_instead_of_failing(app, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking behaviour")
    from kinerja_admin import _sqlite_pragmas  # noqa: F401  (pragmas registered for every engine)

    engine = create_engine(f"sqlite:///{tmp_path / 'locks.db'}", connect_args={"timeout": 30})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    errors = []

    def writer():
        try:
            for _ in range(25):
                with engine.begin() as conn:
                    conn.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 100
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
