"""Workflow through the admin: bulk actions on ticked rows and on all rows matching the filters,
the reason page, CSRF, optimistic locking of edit forms with two real connections."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from kinerja_admin.extensions import db
from models import AuditLog, Period, WorkPlan
from tests.conftest import csrf_from, login_as


def _view(app, endpoint):
    admin = app.extensions["admin"][0]
    return next(v for v in admin._views if getattr(v, "endpoint", None) == endpoint)


def flt(app, endpoint, column_name, operation="sama dengan"):
    """The URL key of a list filter (flt0_<key>), found from the view's own filter table."""
    view = _view(app, endpoint)
    for key, (_idx, f) in view._filter_args.items():
        if str(f.name) == column_name and str(f.operation()).lower() in (operation, "equals"):
            return f"flt0_{key}"
    raise AssertionError([(k, str(f.name), str(f.operation())) for k, (_i, f) in view._filter_args.items()])


def statuses(ids):
    db.session.expire_all()
    return dict(db.session.execute(select(WorkPlan.id, WorkPlan.status).where(WorkPlan.id.in_(ids))).all())


def penilai_plans(demo, status="submitted"):
    emp = demo["users"]["penilai"].employee_id
    return db.session.scalars(select(WorkPlan.id).join(Period).where(
        Period.code == "2026", WorkPlan.rater_id == emp, WorkPlan.status == status).order_by(WorkPlan.id)).all()


def foreign_submitted(demo):
    emp = demo["users"]["penilai"].employee_id
    from models import Employee

    return db.session.scalars(select(WorkPlan.id).join(Period).join(Employee, Employee.id == WorkPlan.employee_id)
                              .where(Period.code == "2026", WorkPlan.status == "submitted",
                                     WorkPlan.rater_id != emp, WorkPlan.rater_superior_id != emp,
                                     WorkPlan.employee_id != emp, func.coalesce(Employee.superior_id, 0) != emp)
                              .order_by(WorkPlan.id)).all()


def bulk_all(client, url, op, **extra):
    """POST an operation on all rows matching the filters the way a clerk does: the first POST
    shows the confirmation page (count and filters in words), the second confirms that count."""
    page = client.post(url, data={"op": op, **extra})
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    expected = re.search(r'name="expected" value="(\d+)"', html).group(1)
    return client.post(url, data={"op": op, "confirm": "1", "expected": expected, **extra})


def flashes(client):
    with client.session_transaction() as s:
        return [m for _c, m in s.get("_flashes", [])]


def test_ticked_approve_inside_scope_only(client, demo):
    mine, foreign = penilai_plans(demo), foreign_submitted(demo)
    assert len(mine) >= 2 and foreign
    login_as(client, demo["users"]["penilai"])
    rv = client.post("/admin/work_plan/action/", data={"action": "approve", "rowid": [*map(str, mine), str(foreign[0])],
                                                        "url": "/admin/work_plan/"})
    assert rv.status_code == 302
    msgs = flashes(client)
    assert f"{len(mine)} disetujui, 1 dilewati." in msgs
    assert any("di luar lingkup" in m and f"#{foreign[0]}" in m for m in msgs)
    st = statuses([*mine, foreign[0]])
    assert st[foreign[0]] == "submitted" and {st[i] for i in mine} == {"approved"}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "transition", AuditLog.entity == "work_plan")) == len(mine)


def test_list_page_offers_actions_and_all_matching(client, demo):
    login_as(client, demo["users"]["penilai"])
    html = client.get("/admin/work_plan/").get_data(as_text=True)
    for text in ("Setujui", "Kembalikan", "Ajukan", "Semua sesuai filter", "bulk-all"):
        assert text in html, text
    login_as(client, demo["users"]["inspektur"])
    html = client.get("/admin/work_plan/").get_data(as_text=True)
    assert "Semua sesuai filter" not in html
    rv = client.post("/admin/work_plan/bulk-all/", data={"op": "approve"})
    assert rv.status_code == 403


def test_all_matching_filter_stays_inside_scope(app, client, demo):
    mine, foreign = penilai_plans(demo), foreign_submitted(demo)
    login_as(client, demo["users"]["penilai"])
    key = flt(app, "work_plan", "Status")
    rv = bulk_all(client, f"/admin/work_plan/bulk-all/?{key}=submitted", "approve")
    assert rv.status_code == 302 and f"{key}=submitted" in rv.headers["Location"]
    assert f"{len(mine)} disetujui, 0 dilewati." in flashes(client)
    st = statuses(mine + foreign)
    assert {st[i] for i in mine} == {"approved"} and {st[i] for i in foreign} == {"submitted"}


def test_all_matching_filter_for_operator_respects_the_filter(app, client, demo):
    p26 = demo["periods"]["2026"]
    submitted = db.session.scalars(select(WorkPlan.id).where(WorkPlan.period_id == p26.id,
                                                             WorkPlan.status == "submitted")).all()
    draft = db.session.scalars(select(WorkPlan.id).where(WorkPlan.status == "draft")).all()
    login_as(client, demo["users"]["operator"])
    key = flt(app, "work_plan", "Status")
    rv = bulk_all(client, f"/admin/work_plan/bulk-all/?{key}=submitted", "approve")
    assert rv.status_code == 302
    st = statuses(submitted + draft)
    assert {st[i] for i in submitted} == {"approved"} and {st[i] for i in draft} == {"draft"}
    assert f"{len(submitted)} disetujui, 0 dilewati." in flashes(client)


def test_all_matching_reports_skipped_rows(app, client, demo):
    login_as(client, demo["users"]["operator"])
    key = flt(app, "work_plan", "Status")
    n_draft = db.session.scalar(select(func.count()).select_from(WorkPlan).where(WorkPlan.status == "draft"))
    bulk_all(client, f"/admin/work_plan/bulk-all/?{key}=draft", "approve")
    msgs = flashes(client)
    assert f"0 disetujui, {n_draft} dilewati." in msgs
    assert any("status Draf, bukan Diajukan" in m for m in msgs)


def test_return_with_reason_page_ticked(client, demo):
    mine = penilai_plans(demo)
    login_as(client, demo["users"]["penilai"])
    rv = client.post("/admin/work_plan/action/", data={"action": "return", "rowid": [str(i) for i in mine],
                                                        "url": "/admin/work_plan/"})
    assert rv.status_code == 302 and "/admin/work_plan/reason/" in rv.headers["Location"]
    page = client.get(rv.headers["Location"])
    assert page.status_code == 200 and "Alasan" in page.get_data(as_text=True)
    ids = ",".join(map(str, mine))
    rv = client.post(rv.headers["Location"], data={"op": "return", "ids": ids, "reason": "  "})
    assert rv.status_code == 200 and "Alasan wajib diisi" in rv.get_data(as_text=True)
    assert set(statuses(mine).values()) == {"submitted"}
    rv = client.post("/admin/work_plan/reason/?op=return", data={"op": "return", "ids": ids,
                                                                 "reason": "Target belum terukur"})
    assert rv.status_code == 302
    assert set(statuses(mine).values()) == {"returned"}
    assert set(db.session.scalars(select(WorkPlan.return_reason).where(WorkPlan.id.in_(mine)))) == {
        "Target belum terukur"}
    assert f"{len(mine)} dikembalikan, 0 dilewati." in flashes(client)


def test_return_with_reason_page_all_matching(app, client, demo):
    mine, foreign = penilai_plans(demo), foreign_submitted(demo)
    login_as(client, demo["users"]["penilai"])
    key = flt(app, "work_plan", "Status")
    rv = client.post(f"/admin/work_plan/bulk-all/?{key}=submitted", data={"op": "return"})
    assert rv.status_code == 302
    loc = rv.headers["Location"]
    assert "scope=filter" in loc
    page = client.get(loc).get_data(as_text=True)
    assert f'<b id="jumlah-data">{len(mine)}</b> data' in page and "Status sama dengan Diajukan" in page
    rv = client.post(loc, data={"op": "return", "reason": "Lengkapi indikator"})
    assert rv.status_code == 302
    st = statuses(mine + foreign)
    assert {st[i] for i in mine} == {"returned"} and {st[i] for i in foreign} == {"submitted"}


def test_bulk_posts_need_csrf_token(app, client, demo):
    mine = penilai_plans(demo)
    login_as(client, demo["users"]["penilai"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/admin/work_plan/bulk-all/", data={"op": "approve"}).status_code == 400
        assert client.post("/admin/work_plan/reason/?op=return", data={
            "op": "return", "ids": str(mine[0]), "reason": "x"}).status_code == 400
        html = client.get("/admin/work_plan/").get_data(as_text=True)
        token = csrf_from(html)
        rv = bulk_all(client, "/admin/work_plan/bulk-all/", "approve", csrf_token=token)
        assert rv.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert set(statuses(mine).values()) == {"approved"}


def test_score_result_bulk_approve_and_publish(client, demo):
    from decimal import Decimal

    from models import ScoreResult, ScoringScheme

    p = demo["periods"]["2025"]
    scheme = db.session.scalar(select(ScoringScheme))
    plans = db.session.scalars(select(WorkPlan).where(WorkPlan.period_id == p.id).order_by(WorkPlan.id)).all()
    for plan in plans:
        db.session.add(ScoreResult(period_id=p.id, employee_id=plan.employee_id, work_plan_id=plan.id,
                                   unit_id=plan.unit_id, scheme_id=scheme.id, scheme_version=1, final_value=Decimal("80"),
                                   predicate="Baik", status="computed"))
    db.session.commit()
    ids = db.session.scalars(select(ScoreResult.id).order_by(ScoreResult.id)).all()
    login_as(client, demo["users"]["operator"])
    assert "Semua sesuai filter" in client.get("/admin/score_result/").get_data(as_text=True)
    bulk_all(client, "/admin/score_result/bulk-all/", "approve")
    # the operator is an employee too: their own result waits for someone else (separation of duties)
    messages = flashes(client)
    assert f"{len(ids) - 1} disetujui, 1 dilewati." in messages
    assert any("pemisahan tugas" in m for m in messages)
    client.post("/admin/score_result/action/", data={"action": "publish", "rowid": [str(i) for i in ids[:3]],
                                                      "url": "/admin/score_result/"})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ScoreResult).where(
        ScoreResult.status == "published", ScoreResult.published_at.is_not(None))) == 3


# --- closed period through the admin form ----------------------------------------------------------
def test_admin_edit_of_closed_period_plan_is_refused(client, demo):
    from kinerja_admin.workflow import period as wperiod

    p = demo["periods"]["2025"]
    wperiod.close(db.session, demo["users"]["operator"], p, force=True, reason="uji")
    db.session.commit()
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.period_id == p.id).order_by(WorkPlan.id))
    before = (plan.rater_superior_id, plan.version)
    login_as(client, demo["users"]["admin"])
    rv = client.get(f"/admin/work_plan/edit/?id={plan.id}")
    assert rv.status_code == 302 and "/details/" in rv.headers["Location"]  # nothing to change: the details
    assert any("tidak dapat Anda ubah" in m for m in flashes(client))
    rv = client.post(f"/admin/work_plan/edit/?id={plan.id}", data={
        "rater_superior": str(plan.rater_id), "policy_reason": "ubah setelah ditutup", "row_version": "1"})
    assert rv.status_code == 302
    db.session.expire_all()
    assert (db.session.get(WorkPlan, plan.id).rater_superior_id, plan.version) == before


# --- optimistic locking with two real connections -----------------------------------------------------
@pytest.fixture
def other_engine(app):
    """A second engine = a second, independent database connection ("the other clerk")."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


def test_two_sessions_second_save_conflicts(app, demo, other_engine):
    from sqlalchemy.orm.exc import StaleDataError

    plan_id = penilai_plans(demo)[0]
    db.session.commit()
    a = Session(other_engine)
    b = Session(create_engine(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        pa, pb = a.get(WorkPlan, plan_id), b.get(WorkPlan, plan_id)
        assert pa.version == pb.version
        pa.feedback = "dari A"
        a.commit()
        pb.feedback = "dari B"
        with pytest.raises(StaleDataError):
            b.commit()
        b.rollback()
    finally:
        a.close()
        b.get_bind().dispose()
        b.close()
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan_id).feedback == "dari A"


def _own_draft_target(demo):
    from models import Target

    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == demo["users"]["pegawai"].employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id))
    assert plan.status == "draft"
    if not plan.targets:
        db.session.add(Target(work_plan_id=plan.id, seq=1, description="Laporan bulanan tersusun"))
        db.session.commit()
    return plan.targets[0]


def test_edit_form_conflict_message_and_nothing_lost(client, demo, other_engine):
    """Targets carry a version like plans: a stale form never silently reverts another user's change."""
    from models import Target

    target = _own_draft_target(demo)
    login_as(client, demo["users"]["pegawai"])
    html = client.get(f"/admin/target/edit/?id={target.id}").get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', html).group(1)
    # an operator helping the employee saves first, on another connection
    t = Target.__table__
    with other_engine.begin() as conn:
        conn.execute(update(t).where(t.c.id == target.id).values(description="versi operator",
                                                                  version=t.c.version + 1))
    data = {"seq": str(target.seq), "description": "versi saya", "row_version": version}
    rv = client.post(f"/admin/target/edit/?id={target.id}", data=data)
    body = rv.get_data(as_text=True)
    assert rv.status_code == 200  # the form is shown again, with the user's input
    assert "Data telah diubah oleh pengguna lain" in body and "versi saya" in body
    db.session.expire_all()
    assert db.session.get(Target, target.id).description == "versi operator"
    # saving again from the re-rendered form (now carrying the current version) is a deliberate overwrite
    new_version = re.search(r'name="row_version" type="hidden" value="(\d+)"', body).group(1)
    assert int(new_version) == int(version) + 1
    rv = client.post(f"/admin/target/edit/?id={target.id}", data={**data, "row_version": new_version})
    assert rv.status_code == 302
    db.session.expire_all()
    assert db.session.get(Target, target.id).description == "versi saya"
    rows = db.session.scalars(select(AuditLog).where(AuditLog.entity == "target",
                                                     AuditLog.entity_id == str(target.id))).all()
    assert len(rows) == 1 and rows[0].action == "update"  # logged once, by the ORM trail
    assert rows[0].changes["description"] == ["versi operator", "versi saya"]
    assert rows[0].period_id == demo["periods"]["2026"].id and rows[0].subject_id == target.work_plan.employee_id


def test_score_results_are_never_edited_as_records(client, demo):
    from decimal import Decimal

    from models import ScoreResult, ScoringScheme

    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.period_id == demo["periods"]["2025"].id))
    scheme = db.session.scalar(select(ScoringScheme))
    r = ScoreResult(period_id=plan.period_id, employee_id=plan.employee_id, work_plan_id=plan.id,
                    unit_id=plan.unit_id, scheme_id=scheme.id, scheme_version=1, final_value=Decimal("80"), predicate="Baik")
    db.session.add(r)
    db.session.commit()
    for role in ("admin", "operator"):
        login_as(client, demo["users"][role])
        assert client.get(f"/admin/score_result/edit/?id={r.id}").status_code == 403
        assert client.post(f"/admin/score_result/edit/?id={r.id}", data={"predicate": "Sangat Baik"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ScoreResult, r.id).predicate == "Baik"


def test_pegawai_submits_own_plan_from_the_list_but_cannot_approve(client, demo):
    from models import WorkPlan

    users = demo["users"]
    login_as(client, users["pegawai"])
    plan = db.session.scalar(db.select(WorkPlan).where(WorkPlan.employee_id == users["pegawai"].employee_id,
                                                       WorkPlan.period_id == demo["periods"]["2026"].id))
    html = client.get("/admin/work_plan/").get_data(as_text=True)
    assert "Ajukan" in html and "Setujui" not in html
    if not plan.targets:
        from models import Target

        db.session.add(Target(work_plan_id=plan.id, seq=1, description="Laporan bulanan tersusun"))
        db.session.commit()
    client.post("/admin/work_plan/action/", data={"action": "approve", "rowid": [str(plan.id)],
                                                  "url": "/admin/work_plan/"})
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).status == "draft"
    client.post("/admin/work_plan/action/", data={"action": "submit", "rowid": [str(plan.id)],
                                                  "url": "/admin/work_plan/"})
    db.session.expire_all()
    assert db.session.get(WorkPlan, plan.id).status == "submitted"
