"""Acting superiors (Plt/Plh) inside the record policy: a delegation gives its holder the rights of the
superior it stands in for while it is in force, and not before or after; separation of duties holds;
every action under it names both people in the audit trail."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from kinerja_admin import policy
from kinerja_admin.clock import today
from kinerja_admin.scope import scope_condition
from kinerja_admin.workflow import WorkflowError
from kinerja_admin.workflow import plan as plan_flow
from models import AuditLog, Delegation, WorkPlan, db
from tests.conftest import login_as
from tests.skp_helpers import offered_actions, plan_of, set_state, users_around

DAY = dt.timedelta(days=1)


@pytest.fixture
def scene(demo):
    plan = plan_of(demo)
    users = users_around(demo, plan)
    set_state(plan, "submitted", "running")
    return {"plan": db.session.get(WorkPlan, plan.id), "users": users, "today": today(db.session)}


def _delegate(plan, holder, start, end, *, principal="rater", unit=None, kind="plh"):
    principal_id = {"rater": plan.rater_id, "atasan": plan.rater_superior_id, None: None}[principal]
    d = Delegation(kind=kind, holder_id=holder.employee_id, principal_id=principal_id, unit_id=unit,
                   start_date=start, end_date=end, decree="800/123/BKPSDM/2026")
    db.session.add(d)
    db.session.commit()
    return d


def _in_scope(user, plan) -> bool:
    cond = scope_condition(WorkPlan, user)
    q = select(WorkPlan.id).where(WorkPlan.id == plan.id)
    return db.session.scalar(q if cond is None else q.where(cond)) is not None


def _rels(user, plan):
    db.session.expire_all()
    return policy.relations(user, policy.context_of(db.session, db.session.get(WorkPlan, plan.id)))


def test_rights_appear_and_vanish_with_the_dates(client, scene):
    plan, users, day = scene["plan"], scene["users"], scene["today"]
    holder = users["lain"]
    assert "rater" not in _rels(holder, plan) and not _in_scope(holder, plan)
    d = _delegate(plan, holder, day + DAY, day + 10 * DAY)  # not yet in force
    assert "rater" not in _rels(holder, plan) and not _in_scope(holder, plan)
    login_as(client, holder)
    assert client.get(f"/admin/skp/{plan.id}").status_code == 404
    # in force from today: the holder is the plan's rater for the policy, the workflow, the scope and the page
    db.session.execute(update(Delegation).where(Delegation.id == d.id).values(start_date=day))
    db.session.commit()
    assert "rater" in _rels(holder, plan) and _in_scope(holder, plan)
    html = client.get(f"/admin/skp/{plan.id}").get_data(as_text=True)
    assert {"approve", "return"} <= offered_actions(html)
    assert "Plh. " + holder.employee.name in html  # the header names who stands in
    # ended yesterday: nothing left
    db.session.execute(update(Delegation).where(Delegation.id == d.id).values(start_date=day - 10 * DAY,
                                                                             end_date=day - DAY))
    db.session.commit()
    assert "rater" not in _rels(holder, plan) and not _in_scope(holder, plan)
    assert client.get(f"/admin/skp/{plan.id}").status_code == 404
    with pytest.raises(WorkflowError):
        plan_flow.approve(db.session, holder, db.session.get(WorkPlan, plan.id))
    db.session.rollback()


def test_an_action_under_a_delegation_records_both_names(client, scene):
    plan, users, day = scene["plan"], scene["users"], scene["today"]
    holder = users["lain"]
    _delegate(plan, holder, day - DAY, day + DAY)
    login_as(client, holder)
    rv = client.post(f"/admin/skp/{plan.id}/aksi", data={"op": "approve"})
    assert rv.status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).status == "approved"
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "work_plan", AuditLog.entity_id == str(plan.id),
                                                   AuditLog.action == "transition").order_by(AuditLog.id.desc()))
    assert row.user_id == holder.id  # the holder acted ...
    rater_name = users["penilai"].employee.name
    assert row.delegation_id is not None and rater_name in row.acting_for and "Plh." in row.acting_for  # ... for whom
    # an ORM write under the delegation (the rater's feedback on a realisation) names both too
    from decimal import Decimal

    from models import Realisation

    set_state(plan, "approved")
    indicator = db.session.get(WorkPlan, plan.id).targets[0].indicators[0]
    r = Realisation(indicator_id=indicator.id, value=Decimal(3))
    with policy.system(db.session):
        db.session.add(r)
        db.session.commit()
    from kinerja_admin.workflow import trail

    trail.set_actor(db.session, holder)
    try:
        db.session.get(Realisation, r.id).feedback = "Bukti sudah cukup."
        db.session.commit()
    finally:
        trail.set_actor(db.session, None)
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "realisation", AuditLog.entity_id == str(r.id),
                                                   AuditLog.action == "update"))
    assert row.user_id == holder.id and rater_name in row.acting_for


def test_never_on_ones_own_record_nor_both_sides(scene):
    plan, users, day = scene["plan"], scene["users"], scene["today"]
    # the employee made Plh of their own rater gets nothing on their own plan
    _delegate(plan, users["pegawai"], day - DAY, day + DAY)
    assert "rater" not in _rels(users["pegawai"], plan)
    with pytest.raises(WorkflowError):
        plan_flow.approve(db.session, users["pegawai"], db.session.get(WorkPlan, plan.id))
    db.session.rollback()
    # the rater's superior standing in for the rater does not become the rater of the same plan
    _delegate(plan, users["atasan"], day - DAY, day + DAY)
    rels = _rels(users["atasan"], plan)
    assert "rater_superior" in rels and "rater" not in rels


def test_a_vacant_post_and_the_unit_it_covers(scene):
    plan, users, day = scene["plan"], scene["users"], scene["today"]
    holder = users["lain"]
    with policy.system(db.session):
        db.session.get(WorkPlan, plan.id).rater_id = None  # the rater's post fell vacant
        db.session.commit()
    other_unit = db.session.scalar(select(WorkPlan.unit_id).where(WorkPlan.unit_id != plan.unit_id))
    _delegate(plan, holder, day - DAY, day + DAY, principal=None, unit=other_unit, kind="plt")
    assert "rater" not in _rels(holder, plan)  # another unit's vacancy
    _delegate(plan, holder, day - DAY, day + DAY, principal=None, unit=plan.unit_id, kind="plt")
    assert "rater" in _rels(holder, plan)
    plan_flow.approve(db.session, holder, db.session.get(WorkPlan, plan.id))
    db.session.commit()
    assert db.session.get(WorkPlan, plan.id).status == "approved"


def test_the_rater_at_assessment_time_follows_the_delegation(client, scene):
    plan, users, day = scene["plan"], scene["users"], scene["today"]
    holder = users["lain"]
    set_state(plan, "realised", "assessing")
    _delegate(plan, holder, day - DAY, day + DAY)
    login_as(client, holder)
    html = client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True)
    assert 'id="simpan-penilaian"' in html  # the acting rater judges
    # the absent rater keeps the rights the policy gives them too; the inspector still only reads
    login_as(client, users["inspektur"])
    assert 'id="simpan-penilaian"' not in client.get(f"/admin/skp/{plan.id}/nilai").get_data(as_text=True)


def test_admin_records_a_delegation_and_a_self_delegation_is_refused(client, scene):
    plan, users, day = scene["plan"], scene["users"], scene["today"]
    d = Delegation(kind="plt", holder_id=plan.rater_id, principal_id=plan.rater_id, start_date=day, end_date=day)
    db.session.add(d)
    with pytest.raises(policy.PolicyError):
        db.session.flush()
    db.session.rollback()
    login_as(client, users["admin"])
    assert client.get("/admin/delegation/").status_code == 200
    login_as(client, users["pegawai"])
    assert client.get("/admin/delegation/").status_code == 403
