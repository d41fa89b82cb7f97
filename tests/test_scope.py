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
    users = demo["users"]
    login_as(client, users["pegawai"])
    other_plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id != users["pegawai"].employee_id))
    assert client.get(f"/admin/work_plan/edit/?id={other_plan.id}").status_code == 404
    rv = client.post(f"/admin/work_plan/edit/?id={other_plan.id}", data={"feedback": "disusupkan"})
    assert rv.status_code == 404
    db.session.expire_all()
    assert db.session.get(WorkPlan, other_plan.id).feedback != "disusupkan"


def test_list_count_matches_scope(client, demo):
    users = demo["users"]
    login_as(client, users["pegawai"])
    html = client.get("/admin/work_plan/").get_data(as_text=True)
    own = db.session.scalars(select(WorkPlan.id).where(WorkPlan.employee_id == users["pegawai"].employee_id)).all()
    assert len(own) == 2
    assert html.count("details/?id=") == len(own)


def test_relationship_selects_offer_only_rows_in_scope(client, demo):
    import re

    users = demo["users"]
    login_as(client, users["pegawai"])
    html = client.get("/admin/target/new/").get_data(as_text=True)
    select_html = html[html.index('name="work_plan"'):]
    select_html = select_html[:select_html.index("</select>")]
    offered = {int(v) for v in re.findall(r'<option[^>]*value="(\d+)"', select_html)}
    own = set(db.session.scalars(select(WorkPlan.id).where(WorkPlan.employee_id == users["pegawai"].employee_id)))
    assert offered == own
