"""Content-Security-Policy: no inline script runs unless it is ours.

Every page the admin renders is checked: each inline <script> carries this response's nonce, and
each inline event handler (Flask-Admin's delete confirmation, action menu, inline rule rows, ...)
is allowed by its exact hash. An injected handler or script matches neither.
"""
from __future__ import annotations

import html
import re

import pytest
from flask_admin.model import BaseModelView
from sqlalchemy import select

from kinerja_admin.security import _sha256
from models import ScoringScheme, db
from tests.conftest import login_as

HANDLER = re.compile(r"""\son[a-z]+\s*=\s*("([^"]*)"|'([^']*)')""", re.I)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def _script_src(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in csp.split(";") if part.strip().startswith("script-src"))


def _check_page(response) -> int:
    """Assert the policy allows exactly what the page needs; return the number of handlers seen."""
    script_src = _script_src(response)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src)
    body = response.get_data(as_text=True)
    for attrs in SCRIPT.findall(body):
        if "src=" in attrs:
            continue
        assert nonce and f'nonce="{nonce.group(1)}"' in attrs, f"inline script without this response's nonce: {attrs}"
    seen = 0
    for _, dq, sq in HANDLER.findall(body):
        source = html.unescape(dq or sq)
        assert _sha256(source) in script_src, f"inline handler not allowed by the policy: {source!r}"
        seen += 1
    return seen


def _admin_pages(app):
    admin = app.extensions["admin"][0]
    for view in admin._views:
        if isinstance(view, BaseModelView):
            yield f"/admin/{view.endpoint}/"
            yield f"/admin/{view.endpoint}/new/"  # skipped below where creating is not allowed
        else:
            yield view.url + "/" if not view.url.endswith("/") else view.url


def test_every_admin_page_runs_only_allowed_inline_scripts(app, client, demo):
    login_as(client, demo["users"]["admin"])
    handlers = 0
    pages = 0
    for url in _admin_pages(app):
        rv = client.get(url)
        assert rv.status_code < 500, url
        if rv.status_code != 200 or not rv.mimetype == "text/html":
            continue  # e.g. /new/ of a view without create rights (403)
        pages += 1
        handlers += _check_page(rv)
    scheme_id = db.session.scalar(select(ScoringScheme.id).order_by(ScoringScheme.id))
    rv = client.get(f"/admin/scoring_scheme/edit/?id={scheme_id}")
    assert rv.status_code == 200
    handlers += _check_page(rv)
    assert "faForm.addInlineField" in rv.get_data(as_text=True)
    assert pages > 20 and handlers > 20  # the check saw the admin's real pages and handlers


@pytest.mark.parametrize("url", ["/login", "/publik/"])
def test_public_pages_have_the_same_policy(client, demo, url):
    rv = client.get(url)
    assert rv.status_code == 200
    _check_page(rv)
    assert rv.headers["X-Frame-Options"] == "DENY" and rv.headers["X-Content-Type-Options"] == "nosniff"


def test_nonce_is_new_for_every_response(client, demo):
    login_as(client, demo["users"]["admin"])
    first, second = (_script_src(client.get("/admin/work_plan/")) for _ in range(2))
    n1, n2 = (re.search(r"'nonce-([^']+)'", s).group(1) for s in (first, second))
    assert n1 != n2 and len(n1) >= 16
