"""Role x admin-view matrix: every registered view, every role, list / details of a foreign record /
create form, asserted against the roles as the product defines them (not read back from the
permission table). A view added without a decision here fails this test."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from flask import current_app
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import select

from kinerja_admin.extensions import db
from kinerja_admin.scope import scope_condition
from models import Objection, ScoreResult, SpecialExpectation, WorkPlan
from tests.conftest import login_as

ROLES = ["admin", "operator", "inspektur", "penilai", "pegawai"]

# Personal appraisal records: penilai and pegawai read them, limited to their own scope.
PERSONAL = {"employee", "work_plan", "target", "indicator", "realisation", "rater_assignment",
            "behaviour_rating", "special_expectation", "score_result", "objection"}
# Organisational performance: every role reads it, an OPD's people only their own OPD's rows.
OPD_SCOPED = {"performance_agreement", "strategic_goal", "program", "org_indicator", "org_realisation"}
# Readable by every logged-in role, not personal (the cascade and effectiveness pages scope by OPD inside).
# "jobs": everyone sees their own background jobs only (tests/test_jobs.py checks whose jobs).
EVERYONE = {"admin", "period", "me", "my_ratings", "cetak", "jobs", "cascade", "effectiveness", "policy_change", "skp",
            "notifikasi", "tugas"}
# Organisation master data, reference and rule tables: BKPSDM staff and auditors only.
STAFF = {"unit", "position", "position_kind", "rank", "scoring_scheme", "unit_rating", "public_service",
         "public_feedback", "feedback_moderation", "ikm_element", "ikm_band", "setting", "ikm",
         "rating_completeness", "excel_import", "guide_page", "planning_import", "delegation", "periodik"}
# Accounts and the audit trail: administrators and auditors only.
SECURITY = {"user", "audit_log"}
CLASSIFIED = PERSONAL | OPD_SCOPED | EVERYONE | STAFF | SECURITY


def may_read(role: str, endpoint: str) -> bool:
    if role in ("admin", "inspektur") or endpoint in EVERYONE:
        return True
    if endpoint in SECURITY:
        return False
    if role == "operator":
        return True
    return endpoint in PERSONAL | OPD_SCOPED


def _admin(app):
    return app.extensions["admin"][0]


def _foreign_records(demo):
    """For every model view, the id of a row outside both the penilai's and the pegawai's scope."""
    users = demo["users"]
    other = next(e for e in demo["employees"]
                 if e.id not in {users["penilai"].employee_id, users["pegawai"].employee_id}
                 and e.superior_id != users["penilai"].employee_id)
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == other.id))
    result = ScoreResult(period_id=plan.period_id, employee_id=other.id, work_plan_id=plan.id, unit_id=plan.unit_id,
                         scheme_id=demo["periods"]["2025"].scheme_id, scheme_version=1, final_value=Decimal("80"),
                         predicate="Baik", status="published", computed_at=dt.datetime(2026, 1, 5))
    db.session.add(result)
    db.session.flush()
    db.session.add(Objection(result_id=result.id, employee_id=other.id, reasons="Keberatan atas predikat.",
                             status="filed", filed_at=dt.datetime(2026, 1, 6)))
    aspect_id = demo["periods"]["2025"].scheme.aspects[0].id
    db.session.add(SpecialExpectation(work_plan_id=plan.id, aspect_id=aspect_id, text="Tepat waktu."))
    db.session.commit()

    found = {}
    for view in _admin(current_app)._views:
        if not isinstance(view, ModelView):
            continue
        model = view.model
        pk = model.__mapper__.primary_key[0]
        q = select(pk)
        for role in ("penilai", "pegawai"):
            cond = scope_condition(model, users[role])
            if cond is not None:
                q = q.where(~cond)
        found[view.endpoint] = db.session.scalar(q.order_by(pk).limit(1))
    return found


def test_every_view_is_classified(app):
    endpoints = {v.endpoint for v in _admin(app)._views}
    assert endpoints - CLASSIFIED == set(), "a new admin view needs an access decision in this test"


def test_anonymous_is_sent_to_login_everywhere(client, app):
    for view in _admin(app)._views:
        rv = client.get(view.url + "/" if not view.url.endswith("/") else view.url)
        assert rv.status_code == 302 and "/login" in rv.headers["Location"], view.endpoint


@pytest.mark.parametrize("role", ROLES)
def test_role_view_matrix(client, app, demo, role):
    foreign = _foreign_records(demo)
    login_as(client, demo["users"][role])
    failures = []
    for view in _admin(app)._views:
        ep = view.endpoint
        base = view.url.rstrip("/") + "/"
        readable = may_read(role, ep)
        got = client.get(base).status_code
        if got != (200 if readable else 403):
            failures.append((ep, "list", got))
        if not isinstance(view, ModelView):
            continue
        fid = foreign.get(ep)
        if fid is not None:
            got = client.get(f"{base}details/?id={fid}").status_code
            if not readable:
                want = 403
            elif ep in PERSONAL | OPD_SCOPED and role in ("penilai", "pegawai"):
                want = 404  # a foreign record is never shown, whatever the id
            else:
                want = 200
            if got != want:
                failures.append((ep, f"details {fid}", got, want))
            if role in ("penilai", "pegawai") and ep in PERSONAL | OPD_SCOPED:
                got = client.get(f"{base}edit/?id={fid}").status_code
                if got not in (403, 404):
                    failures.append((ep, "edit foreign", got))
        got = client.get(f"{base}new/").status_code
        if role == "inspektur" and got != 403:
            failures.append((ep, "inspektur create", got))
        if not readable and got != 403:
            failures.append((ep, "create without read", got))
    assert failures == []


def test_inspektur_cannot_write_anything(client, app, demo):
    login_as(client, demo["users"]["inspektur"])
    emp = demo["employees"][0]
    rv = client.post(f"/admin/employee/edit/?id={emp.id}", data={"name": "Diubah Inspektur"})
    assert rv.status_code == 403
    rv = client.post("/admin/employee/delete/", data={"id": str(emp.id)})
    assert rv.status_code == 403
    db.session.expire_all()
    assert db.session.get(type(emp), emp.id).name == emp.name


def test_penilai_list_holds_only_self_and_subordinates(client, demo):
    users = demo["users"]
    me = users["penilai"].employee
    login_as(client, users["penilai"])
    html = client.get("/admin/employee/?page_size=100").get_data(as_text=True)
    shown = {int(i) for i in re.findall(r"details/\?id=(\d+)", html)}
    assert shown == {me.id} | {s.id for s in me.subordinates}
