"""Rater assignment generator on the demo city, operator add/remove rules, completeness, CLI."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select, update

from kinerja_admin.extensions import db
from kinerja_admin.rating.assignment import (
    add_assignment,
    completeness,
    generate_assignments,
    planned_pairs,
    remove_assignment,
)
from kinerja_admin.rating.common import RatingError
from models import AuditLog, BehaviourRating, Employee, Period, Position, RaterAssignment, Setting, Unit, WorkPlan
from tests.conftest import login_as


def _rows(period):
    return db.session.execute(select(RaterAssignment.ratee_id, RaterAssignment.rater_id, RaterAssignment.role)
                              .where(RaterAssignment.period_id == period.id)).all()


def _ancestors(unit_id, parents):
    out = []
    while unit_id is not None:
        out.append(unit_id)
        unit_id = parents[unit_id]
    return out


def test_generated_assignments_invariants(demo):
    period = demo["periods"]["2026"]
    assert _rows(period) == []
    result = generate_assignments(db.session, period)
    db.session.commit()
    rows = _rows(period)
    assert result.total_added == len(rows) > 0

    emps = {e.id: e for e in db.session.scalars(select(Employee).where(Employee.active.is_(True)))}
    plan_rater = dict(db.session.execute(select(WorkPlan.employee_id, WorkPlan.rater_id)
                                         .where(WorkPlan.period_id == period.id)).all())
    by_role = defaultdict(list)
    for ratee, rater, role in rows:
        by_role[role].append((ratee, rater))

    # every employee with a superior has exactly one atasan rater: the plan's rater (or the superior)
    atasan = defaultdict(list)
    for ratee, rater in by_role["atasan"]:
        atasan[ratee].append(rater)
    for e in emps.values():
        if e.superior_id is not None:
            assert atasan[e.id] == [plan_rater.get(e.id) or e.superior_id], e.id
        else:
            assert e.id not in atasan
    # subordinates rate their atasan
    assert sorted(by_role["bawahan"]) == sorted((boss, sub) for sub, bosses in atasan.items() for boss in bosses)
    # nobody rates themselves outside the diri role (off by default)
    assert all(ratee != rater for ratee, rater, _ in rows)
    assert by_role["diri"] == []

    # peers: same level, related units, count within limits, spread
    peer_min = int(db.session.get(Setting, "rating.peer_min").value)
    peer_max = int(db.session.get(Setting, "rating.peer_max").value)
    level = dict(db.session.execute(select(Employee.id, Position.level)
                                    .join(Position, Position.id == Employee.position_id)).all())
    parents = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    per_ratee = Counter(ratee for ratee, _ in by_role["rekan"])
    per_rater = Counter(rater for _, rater in by_role["rekan"])
    assert by_role["rekan"], "the demo city has peer groups"
    assert max(per_ratee.values()) <= peer_max
    assert max(per_rater.values()) <= peer_max
    assert per_rater == per_ratee  # a ring: everyone rates as many peers as rate them
    assert len(set(by_role["rekan"])) == len(by_role["rekan"])  # no duplicate pair
    root = {u: _ancestors(u, parents)[-1] for u in parents}
    for ratee, rater in by_role["rekan"]:
        assert level[ratee] == level[rater]
        assert root[emps[ratee].unit_id] == root[emps[rater].unit_id]
    # same top-level unit and level: whoever has at least peer_min such colleagues gets at least
    # min(peer_min, peer_max) peer raters, and in a group larger than peer_max + 1 nobody rates everyone
    colleagues = defaultdict(set)
    for e in emps.values():
        colleagues[(root[e.unit_id], level.get(e.id))].add(e.id)
    rated_by = defaultdict(set)
    for ratee, rater in by_role["rekan"]:
        rated_by[rater].add(ratee)
    big = [g for g in colleagues.values() if len(g) > peer_max + 1]
    assert big, "the demo city has a large peer group"
    for g in big:
        for member in g:
            assert not (g - {member}) <= rated_by[member]
    for e in emps.values():
        if len(colleagues[(root[e.unit_id], level.get(e.id))]) - 1 >= peer_min:
            assert per_ratee[e.id] >= min(peer_min, peer_max), e.id


def test_generation_is_idempotent_and_keeps_operator_edits(demo):
    period = demo["periods"]["2026"]
    generate_assignments(db.session, period)
    db.session.commit()
    before = sorted(_rows(period))
    # an operator removes one of someone's peer assignments: a rerun does not bring it back (the
    # generator only fills a role a ratee has no assignment of at all)
    counts = Counter(r for r, _, role in before if role == "rekan")
    ratee = min(r for r, n in counts.items() if n >= 2)
    victim = db.session.scalar(select(RaterAssignment).where(RaterAssignment.period_id == period.id,
                                                             RaterAssignment.role == "rekan",
                                                             RaterAssignment.ratee_id == ratee)
                               .order_by(RaterAssignment.id))
    key = (victim.ratee_id, victim.rater_id, victim.role)
    remove_assignment(db.session, victim.id)
    db.session.commit()
    again = generate_assignments(db.session, period)
    db.session.commit()
    assert again.total_added == 0
    after = sorted(_rows(period))
    assert after == sorted(set(before) - {key})
    assert len(after) == len(before) - 1


def test_settings_drive_peers_and_self(demo):
    period = demo["periods"]["2026"]
    db.session.get(Setting, "rating.peer_max").value = "2"
    db.session.get(Setting, "rating.self_enabled").value = "true"
    db.session.commit()
    generate_assignments(db.session, period)
    db.session.commit()
    rows = _rows(period)
    per_ratee = Counter(ratee for ratee, _, role in rows if role == "rekan")
    assert max(per_ratee.values()) == 2
    diri = [(a, b) for a, b, role in rows if role == "diri"]
    active = db.session.scalar(select(func.count()).select_from(Employee).where(Employee.active.is_(True)))
    assert len(diri) == active and all(a == b for a, b in diri)


def test_planned_pairs_are_deterministic(demo):
    period = demo["periods"]["2026"]
    assert planned_pairs(db.session, period) == planned_pairs(db.session, period)


def test_operator_add_remove_rules(demo):
    period = demo["periods"]["2026"]
    a, b = demo["employees"][5], demo["employees"][6]
    with pytest.raises(RatingError, match="dirinya sendiri"):
        add_assignment(db.session, period, a.id, a.id, "rekan")
    with pytest.raises(RatingError, match="masyarakat"):
        add_assignment(db.session, period, a.id, b.id, "masyarakat")
    row = add_assignment(db.session, period, a.id, b.id, "rekan")
    db.session.commit()
    with pytest.raises(RatingError, match="sudah ada"):
        add_assignment(db.session, period, a.id, b.id, "rekan")
    db.session.rollback()
    # the audit entry of a peer assignment does not name the rater
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "rater_assignment",
                                                     AuditLog.entity_id == str(row.id)))
    assert "rater_id" not in entry.changes
    # once submitted, the assignment stays
    row.status = "submitted"
    db.session.commit()
    with pytest.raises(RatingError, match="sudah dikirim"):
        remove_assignment(db.session, row.id)
    db.session.rollback()
    assert db.session.get(RaterAssignment, row.id) is not None
    # a closed period refuses everything
    db.session.execute(update(Period).where(Period.id == period.id).values(status="closed"))
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(RatingError, match="ditutup"):
        generate_assignments(db.session, period)


def test_operator_admin_views_refuse_bad_assignments(client, demo):
    period = demo["periods"]["2026"]
    a, b = demo["employees"][5], demo["employees"][6]
    login_as(client, demo["users"]["operator"])
    count = db.session.scalar(select(func.count()).select_from(RaterAssignment))
    rv = client.post("/admin/rater_assignment/new/", data={"period": str(period.id), "ratee": str(a.id),
                                                          "rater": str(a.id), "role": "rekan"})
    html = rv.get_data(as_text=True)
    assert "dirinya sendiri" in html or "dirinya sendiri" in client.get("/admin/rater_assignment/").get_data(True)
    assert db.session.scalar(select(func.count()).select_from(RaterAssignment)) == count
    # a valid one goes through
    rv = client.post("/admin/rater_assignment/new/", data={"period": str(period.id), "ratee": str(a.id),
                                                          "rater": str(b.id), "role": "rekan"})
    assert rv.status_code == 302
    row = db.session.scalar(select(RaterAssignment).where(RaterAssignment.period_id == period.id,
                                                          RaterAssignment.ratee_id == a.id,
                                                          RaterAssignment.rater_id == b.id))
    assert row is not None
    # operators cannot edit an assignment; deleting a submitted one is refused
    assert client.get(f"/admin/rater_assignment/edit/?id={row.id}").status_code == 403
    db.session.add(BehaviourRating(assignment_id=row.id, aspect_id=period.scheme.aspects[0].id, value=3))
    row.status = "submitted"
    db.session.commit()
    client.post("/admin/rater_assignment/delete/", data={"id": str(row.id)})
    db.session.expire_all()
    assert db.session.get(RaterAssignment, row.id) is not None


def test_completeness_reports_missing_peers(client, demo):
    period = demo["periods"]["2026"]
    generate_assignments(db.session, period)
    db.session.commit()
    rows = completeness(db.session, period)
    peer_min = int(db.session.get(Setting, "rating.peer_min").value)
    by_id = {r.employee_id: r for r in rows}
    short = [r for r in rows if r.counts.get("rekan", (0, 0))[0] < peer_min]
    assert short, "some demo employees have fewer peers than the minimum"
    for r in short:
        missing = peer_min - r.counts.get("rekan", (0, 0))[0]
        assert f"kurang {missing} rekan" in r.issues
    # nothing is submitted in 2026 yet: every employee with an atasan waits for it
    head = next(e for e in demo["employees"] if e.superior_id is not None)
    assert "atasan belum menilai" in by_id[head.id].issues

    login_as(client, demo["users"]["operator"])
    unit = db.session.get(Unit, short[0].employee_id and db.session.get(Employee, short[0].employee_id).unit_id)
    root = unit
    while root.parent_id is not None:
        root = db.session.get(Unit, root.parent_id)
    rv = client.get(f"/admin/rating_completeness/?periode=2026&unit={root.id}")
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200
    assert short[0].name in html and "rekan" in html
    login_as(client, demo["users"]["pegawai"])
    assert client.get("/admin/rating_completeness/").status_code == 403


def test_generate_button_and_cli(app, client, demo):
    login_as(client, demo["users"]["inspektur"])
    assert client.post("/admin/rating_completeness/buat", data={"periode": "2026"}).status_code == 403
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/rating_completeness/buat", data={"periode": "2026"})
    assert rv.status_code == 302
    n = db.session.scalar(select(func.count()).select_from(RaterAssignment)
                          .where(RaterAssignment.period_id == demo["periods"]["2026"].id))
    assert n > 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kinerja", "assign-raters", "2026"])
    assert result.exit_code == 0, result.output
    assert "0 penugasan baru" in result.output
    result = runner.invoke(args=["kinerja", "assign-raters", "2099"])
    assert result.exit_code == 1
    assert "tidak ditemukan" in result.output
