"""List pages cost the same number of SQL statements whatever the number of rows shown (no query per
row for a related object: under load that was most of a list page's database time)."""
from __future__ import annotations

from flask_admin.model import BaseModelView
from sqlalchemy import event

from models import db
from tests.conftest import login_as


def _statements(client, url) -> int:
    db.session.remove()  # a fresh session, as in a real request: nothing cached from earlier pages
    seen = []

    def count(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rv = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert rv.status_code == 200, url
    return len(seen)


def test_list_pages_do_not_query_per_row(app, client, demo):
    login_as(client, demo["users"]["admin"])
    checked = []
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, BaseModelView):
            continue
        base = f"/admin/{view.endpoint}/"
        small, large = _statements(client, base + "?page_size=20"), _statements(client, base + "?page_size=500")
        assert large == small, f"{base}: {small} statements for 20 rows, {large} for 100"
        checked.append(view.endpoint)
    assert {"employee", "work_plan", "score_result", "rater_assignment"} <= set(checked)
