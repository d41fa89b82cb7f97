"""OPD (perangkat daerah) as a dimension: every list of employees, plans, ratings and results has an
OPD column and an OPD filter covering all sub-units; a unit moved to another parent is in its new
OPD at once; "Semua sesuai filter" works per OPD after a confirmation naming the OPD and the count."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from kinerja_admin.extensions import db
from kinerja_admin.orgtree import unit_subtree
from models import Employee, RaterAssignment, ScoreResult, Unit, WorkPlan
from tests.conftest import login_as


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def opd_arg(app, endpoint: str) -> str:
    view = _view(app, endpoint)
    return next(f"flt0_{k}" for k, (_i, f) in view._filter_args.items() if type(f).__name__ == "OpdFilter")


def _count(html: str) -> int:
    m = re.search(r"Daftar \((\d+)\)", html)
    return int(m.group(1)) if m else 0


def _dinkes():
    return db.session.scalar(select(Unit).where(Unit.code == "DINKES"))


def test_opd_filter_covers_every_sub_unit_on_each_list(app, client, demo):
    login_as(client, demo["users"]["operator"])
    dinkes = _dinkes()
    units = unit_subtree(db.session, dinkes.id)
    assert len(units) > 1  # the demo's Dinas Kesehatan has bidang and puskesmas below it
    expected = {
        "employee": db.session.scalar(select(func.count()).select_from(Employee).where(Employee.unit_id.in_(units))),
        "work_plan": db.session.scalar(select(func.count()).select_from(WorkPlan).where(WorkPlan.unit_id.in_(units))),
        "rater_assignment": db.session.scalar(
            select(func.count()).select_from(RaterAssignment).join(Employee, Employee.id == RaterAssignment.ratee_id)
            .where(Employee.unit_id.in_(units))),
    }
    # the direct unit alone has fewer employees than the OPD (the "Dinas Kesehatan gives 1 row")
    direct = db.session.scalar(select(func.count()).select_from(Employee).where(Employee.unit_id == dinkes.id))
    assert expected["employee"] > direct
    for endpoint, n in expected.items():
        html = client.get(f"/admin/{endpoint}/?{opd_arg(app, endpoint)}={dinkes.id}&page_size=500").get_data(
            as_text=True)
        assert _count(html) == n > 0, endpoint
        assert "Dinas Kesehatan" in html  # the OPD column


def test_opd_column_names_the_top_level_unit(app, client, demo):
    login_as(client, demo["users"]["operator"])
    dinkes = _dinkes()
    sub = db.session.scalar(select(Unit).where(Unit.parent_id == dinkes.id).order_by(Unit.id))
    emp = db.session.scalar(select(Employee).where(Employee.unit_id == sub.id).order_by(Employee.id))
    html = client.get(f"/admin/employee/?search={emp.nip}").get_data(as_text=True)
    row = html[html.index(emp.name):]
    row = row[:row.index("</tr>")]
    assert sub.name in row and "Dinas Kesehatan" in row


def test_moving_a_unit_moves_its_rows_to_the_new_opd_at_once(app, client, demo):
    """No stored OPD to fix: a sub-unit moved through the admin form is counted in its new OPD."""
    login_as(client, demo["users"]["admin"])
    dinkes = _dinkes()
    other = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None), Unit.id != dinkes.id,
                                                 Unit.code != "BKPSDM").order_by(Unit.id))
    sub = db.session.scalar(select(Unit).where(Unit.parent_id == dinkes.id).order_by(Unit.id))
    moved = set(db.session.scalars(select(Employee.id).where(Employee.unit_id.in_(unit_subtree(db.session, sub.id)))))
    assert moved
    key = opd_arg(app, "employee")
    before_dinkes = _count(client.get(f"/admin/employee/?{key}={dinkes.id}").get_data(as_text=True))
    before_other = _count(client.get(f"/admin/employee/?{key}={other.id}").get_data(as_text=True))
    rv = client.post(f"/admin/unit/edit/?id={sub.id}", data={
        "code": sub.code, "name": sub.name, "kind": sub.kind, "parent": str(other.id), "slug": sub.slug or "",
        "active": "y", **({"public_facing": "y"} if sub.public_facing else {})})
    assert rv.status_code == 302, rv.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(Unit, sub.id).parent_id == other.id
    assert _count(client.get(f"/admin/employee/?{key}={dinkes.id}").get_data(as_text=True)) == \
        before_dinkes - len(moved)
    assert _count(client.get(f"/admin/employee/?{key}={other.id}").get_data(as_text=True)) == \
        before_other + len(moved)


def test_approve_one_opd_through_the_confirmation(app, client, demo):
    from kinerja_admin.scoring.engine import score_period

    period = demo["periods"]["2025"]
    score_period(db.session, period)
    db.session.commit()
    dinkes = _dinkes()
    units = unit_subtree(db.session, dinkes.id)
    in_opd = set(db.session.scalars(select(ScoreResult.id).where(ScoreResult.unit_id.in_(units))))
    assert 1 < len(in_opd) < 60
    login_as(client, demo["users"]["operator"])
    url = f"/admin/score_result/bulk-all/?{opd_arg(app, 'score_result')}={dinkes.id}"
    page = client.post(url, data={"op": "approve"})
    html = page.get_data(as_text=True)
    # the confirmation states the count and the filter in words; nothing changed yet
    assert page.status_code == 200 and f'<b id="jumlah-data">{len(in_opd)}</b>' in html
    assert "OPD Dinas Kesehatan (dengan seluruh sub-unitnya)" in html
    assert db.session.scalar(select(func.count()).select_from(ScoreResult).where(ScoreResult.status == "approved")) == 0
    # a confirmation for another count (the rows changed meanwhile) changes nothing
    rv = client.post(url, data={"op": "approve", "confirm": "1", "expected": str(len(in_opd) + 1)})
    assert rv.status_code == 200 and "berubah" in rv.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ScoreResult).where(ScoreResult.status == "approved")) == 0
    rv = client.post(url, data={"op": "approve", "confirm": "1", "expected": str(len(in_opd))})
    assert rv.status_code == 302
    db.session.expire_all()
    approved = set(db.session.scalars(select(ScoreResult.id).where(ScoreResult.status == "approved")))
    assert approved == in_opd


def test_unfiltered_confirmation_warns_that_it_covers_everything(client, demo):
    login_as(client, demo["users"]["operator"])
    html = client.post("/admin/work_plan/bulk-all/", data={"op": "approve"}).get_data(as_text=True)
    assert "Tanpa filter dan tanpa pencarian" in html
    total = db.session.scalar(select(func.count()).select_from(WorkPlan))
    assert f'<b id="jumlah-data">{total}</b>' in html


def test_page_size_up_to_500(client, demo):
    login_as(client, demo["users"]["operator"])
    html = client.get("/admin/employee/?page_size=500").get_data(as_text=True)
    assert "500 baris" in html
    assert len(set(re.findall(r"details/\?id=(\d+)", html))) == 60  # all 60 on one page
