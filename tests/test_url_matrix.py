"""Every registered URL rule x role x method against one declarative table.

Admin endpoints take their expectation from kinerja_admin.permissions.ACCESS (the product's
permission data) and the right each view function needs (FN_RIGHT below); every other endpoint must
be listed in OPEN or LOGIN_ONLY. An endpoint that is in neither (a new route without a decision),
or an admin view function with no known right, fails the test. The role semantics themselves are
checked independently by test_access_matrix.py.

Outcomes: "login" = 302 to /login, "403" = forbidden, "ok" = served (any status below 500 other
than 401/403: a missing id may redirect or 404, an empty form may re-render with errors).
"""
from __future__ import annotations

import pytest
from flask_admin.model import BaseModelView

from kinerja_admin import permissions
from tests.conftest import login_as

ROLES = [None, "admin", "operator", "inspektur", "penilai", "pegawai"]

# The right a Flask-Admin view function needs (letters of kinerja_admin.permissions).
FN_RIGHT = {
    "index": "r", "index_view": "r", "details_view": "r", "ajax_lookup": "r", "explain_view": "r",
    "create_view": "c", "edit_view": "u", "ajax_update": "u", "delete_view": "d",
    "export": "x", "export_xlsx": "x",
    "action_view": "a", "bulk_all_view": "a", "reason_view": "a",
    # custom pages: reading them needs r; what they do inside is checked per row by the services
    "result": "r", "file_objection": "r", "rate": "r", "skp": "r", "evaluation": "r",
    "template": "r", "errors": "r",
    # custom POSTs that change data
    "upload": "c", "generate": "a",
    # objection decision page: open to readers; the workflow lets only the rater's superior decide
    "decide_view": "r",
    # period lifecycle page: open to readers; the workflow lets only staff/admin change the status
    "status_view": "r",
    # job page (views.jobs): a user's own jobs; whose job a user may open is checked by the view
    "detail": "r", "status": "r", "download": "r",
    # organisational performance pages (views.planning): reading them needs r (rows scoped by OPD);
    # publishing a period's program data is a bulk operation
    "opd": "r", "program": "r", "people": "r", "impact_view": "r", "publish": "a",
    # the SKP page and the assessment page (views.skp): readers of a plan in their scope; every POST is
    # checked by the record policy and the plan workflow per row
    "page": "r", "assessment": "r", "evidence_download": "r", "transition": "r", "rhk_save": "r",
    "indicator_save": "r", "realisation_save": "r", "expectation_save": "r",
    # through the year (views.skp, views.year): the window page, threads and coaching notes are checked by the
    # record policy per row; notifications and Tugas Saya are the user's own; windows (a) and export (x)
    "periodic_window": "r", "feedback_post": "r", "coaching_post": "r", "open_item": "r", "read_all": "r",
    "preferences": "r", "kind_view": "r", "export_periodic": "x",
}
# Views whose create/edit/delete are switched off for everyone whatever the table says.
NEVER = {("score_result", "create_view"), ("objection", "create_view"), ("audit_log", "create_view"),
         ("audit_log", "edit_view"), ("audit_log", "delete_view"), ("audit_log", "ajax_update"),
         ("behaviour_rating", "create_view"), ("behaviour_rating", "edit_view"),
         ("behaviour_rating", "delete_view"), ("behaviour_rating", "ajax_update"),
         ("public_feedback", "create_view"), ("public_feedback", "edit_view"),
         ("public_feedback", "delete_view"), ("public_feedback", "ajax_update"),
         ("setting", "create_view"), ("setting", "delete_view")}
# Served to everyone, logged in or not.
OPEN = {"auth.login", "healthz", "static", "admin.static", "root", "favicon"}
# the portal, and Panduan (its public pages without login; the others send to the login page)
OPEN_PREFIXES = ("public.", "guide.")
# Needs a login, nothing more.
LOGIN_ONLY = {"auth.logout"}

SAMPLE_ARGS = {"int": 987654, "default": "tidak-ada", "path": "tidak-ada.css"}


def _url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        conv = type(rule._converters[arg]).__name__.lower()
        if "integer" in conv:
            values[arg] = SAMPLE_ARGS["int"]
        elif "path" in conv:
            values[arg] = SAMPLE_ARGS["path"]
        elif arg == "export_type":
            values[arg] = "csv"
        else:
            values[arg] = SAMPLE_ARGS["default"]
    return rule.build(values, append_unknown=False)[1]


def _admin_views(app):
    return {v.endpoint: v for v in app.extensions["admin"][0]._views}


def expected(app, endpoint: str, role: str | None) -> str:
    if endpoint in OPEN or endpoint.startswith(OPEN_PREFIXES):
        return "ok"
    if endpoint in LOGIN_ONLY:
        return "login" if role is None else "ok"
    view_ep, _, fn = endpoint.partition(".")
    views = _admin_views(app)
    assert view_ep in views, f"no access decision for endpoint {endpoint}"
    assert view_ep in permissions.ACCESS, f"admin view {view_ep} has no entry in permissions.ACCESS"
    assert fn in FN_RIGHT, f"no known right for {endpoint}: add it to FN_RIGHT"
    if role is None:
        return "login"
    if not permissions.can(view_ep, role, "r"):
        return "403"
    if (view_ep, fn) in NEVER and isinstance(views[view_ep], BaseModelView):
        return "403"
    return "ok" if permissions.can(view_ep, role, FN_RIGHT[fn]) else "403"


def _outcome(rv) -> str:
    if rv.status_code == 302 and "/login" in rv.headers.get("Location", ""):
        return "login"
    if rv.status_code in (401, 403):
        return "403"
    return "ok" if rv.status_code < 500 else f"error {rv.status_code}"


def _rules(app):
    return sorted((r for r in app.url_map.iter_rules()), key=lambda r: (r.endpoint, r.rule))


def test_every_endpoint_has_a_decision(app):
    for rule in _rules(app):
        for role in ROLES:
            expected(app, rule.endpoint, role)  # raises for an undecided endpoint


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonim")
def test_rule_role_method_matrix(app, client, demo, role):
    if role is not None:
        login_as(client, demo["users"][role])
    mismatches = []
    for rule in _rules(app):
        url = _url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "auth.logout" and role is not None:
                continue  # would end this client's session; covered by test_auth
            want = expected(app, rule.endpoint, role)
            rv = client.open(url, method=method, data={} if method == "POST" else None)
            got = _outcome(rv)
            if rule.endpoint.endswith(".ajax_update") and want == "ok" and rv.status_code == 500:
                got = "ok"  # x-editable protocol: Flask-Admin answers an invalid inline edit with 500
            if got != want:
                mismatches.append((method, url, rule.endpoint, want, got))
    assert mismatches == []
