"""Row scope applies on every read path: list, count, get_one, autocomplete lookups, selects."""
import json

from sqlalchemy import select

from kinerja_admin.extensions import db
from kinerja_admin.scope import scope_query
from models import Employee, WorkPlan
from tests.conftest import login_as


def test_scope_query_for_each_role(app, demo):
    users = demo["users"]
    total = len(demo["employees"])
    count = lambda u: len(db.session.scalars(scope_query(select(Employee.id), Employee, u)).all())  # noqa: E731
    assert count(users["admin"]) == count(users["operator"]) == count(users["inspektur"]) == total
    me = users["penilai"].employee
    assert count(users["penilai"]) == 1 + len(me.subordinates)
    assert count(users["pegawai"]) == 1


def test_penilai_sees_plans_they_rate(app, demo):
    users = demo["users"]
    me = users["penilai"].employee
    plans = db.session.scalars(scope_query(select(WorkPlan), WorkPlan, users["penilai"])).all()
    assert plans and all(p.employee_id == me.id or p.rater_id == me.id or p.employee.superior_id == me.id
                         for p in plans)


def test_autocomplete_lookup_does_not_leak_foreign_employees(client, demo):
    users = demo["users"]
    login_as(client, users["penilai"])
    mine = {users["penilai"].employee_id} | {s.id for s in users["penilai"].employee.subordinates}
    foreign = next(e for e in demo["employees"] if e.id not in mine)
    rv = client.get(f"/admin/work_plan/ajax/lookup/?name=employee&query={foreign.nip[:8]}")
    assert rv.status_code == 200
    ids = {row[0] for row in json.loads(rv.data)}
    assert foreign.id not in ids and ids <= mine
    # the operator finds them
    login_as(client, users["operator"])
    rv = client.get(f"/admin/work_plan/ajax/lookup/?name=employee&query={foreign.nip}")
    assert foreign.id in {row[0] for row in json.loads(rv.data)}


def test_foreign_edit_url_gives_404_and_changes_nothing(client, demo):
    from models import Target

    users = demo["users"]
    login_as(client, users["pegawai"])
    other = db.session.scalar(select(Target).join(WorkPlan).where(WorkPlan.employee_id != users["pegawai"].employee_id))
    assert client.get(f"/admin/target/edit/?id={other.id}").status_code == 404
    rv = client.post(f"/admin/target/edit/?id={other.id}", data={"description": "disusupkan"})
    assert rv.status_code == 404
    login_as(client, users["penilai"])
    mine = {users["penilai"].employee_id} | {s.id for s in users["penilai"].employee.subordinates}
    foreign = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id.not_in(mine),
                                                       WorkPlan.rater_id.not_in(mine)))
    assert client.get(f"/admin/work_plan/edit/?id={foreign.id}").status_code == 404
    rv = client.post(f"/admin/work_plan/edit/?id={foreign.id}", data={"feedback": "disusupkan"})
    assert rv.status_code == 404
    db.session.expire_all()
    assert db.session.get(Target, other.id).description != "disusupkan"
    assert db.session.get(WorkPlan, foreign.id).feedback != "disusupkan"


def test_list_count_matches_scope(client, demo):
    users = demo["users"]
    login_as(client, users["pegawai"])
    html = client.get("/admin/work_plan/").get_data(as_text=True)
    own = db.session.scalars(select(WorkPlan.id).where(WorkPlan.employee_id == users["pegawai"].employee_id)).all()
    assert len(own) == 2
    assert html.count("details/?id=") == len(own)


def test_parent_pickers_offer_only_rows_in_scope(client, demo):
    """The SKP picker of a new target is an AJAX lookup inside the row scope (no capped <select>),
    searched by period code or employee name and labelled with both."""
    users = demo["users"]
    login_as(client, users["pegawai"])
    html = client.get("/admin/target/new/").get_data(as_text=True)
    assert "/admin/target/ajax/lookup/?name=work_plan" in html and "<option" not in html.split('name="work_plan"')[1][:200]
    rv = client.get("/admin/target/ajax/lookup/?name=work_plan&query=20")
    offered = {row[0]: row[1] for row in json.loads(rv.data)}
    own = set(db.session.scalars(select(WorkPlan.id).where(WorkPlan.employee_id == users["pegawai"].employee_id)))
    assert set(offered) == own
    assert all(label.startswith("SKP 202") and users["pegawai"].employee.name in label for label in offered.values())
