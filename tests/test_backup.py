"""The SQLite online backup produces a consistent, complete copy while the app holds the database."""
import sqlite3

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from models import Employee
from scripts.backup_sqlite import backup


def test_online_backup_copies_everything(app, demo, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite backup")
    source = db.engine.url.database
    expected = db.session.scalar(select(func.count()).select_from(Employee))
    target = tmp_path / "copy.db"
    backup(source=__import__("pathlib").Path(source), target=target)
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM employee").fetchone()[0] == expected
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
