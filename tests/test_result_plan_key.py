"""A result refers to its work plan by (work_plan_id, period_id, employee_id, unit_id) (migration 0014):
the database refuses a result whose period, employee or unit is not its plan's, whatever path writes
it, and a correction of the plan's unit carries the result along."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from kinerja_admin.scoring.engine import score_period
from models import ScoreResult, Unit, WorkPlan, db
from tests.conftest import SERVER_URL, scratch_rows, scratch_sqlite_app
from tests.scoring_helpers import make_period, make_plan, result_of, scheme

TARGETS = [[("kuantitas", 10, 10, None, False)]]


@pytest.fixture()
def scored(demo):
    period = make_period(scheme("PERMENPANRB-6-2022"))
    emp, other = demo["employees"][5], demo["employees"][6]
    make_plan(period, emp, TARGETS, ratings={"atasan": [[4] * 7]})
    make_plan(period, other, TARGETS, ratings={"atasan": [[3] * 7]})
    db.session.commit()
    score_period(db.session, period)
    db.session.commit()
    return period, emp, other


@pytest.mark.parametrize("change", ["employee", "work_plan", "no_plan", "unit"])
def test_a_result_cannot_leave_its_plan(scored, change):
    """Moving a result to another employee or OPD, pointing it at a colleague's plan or at no plan is
    refused: a result is always its plan's period, employee and unit."""
    period, emp, other = scored
    result = result_of(period, emp)
    other_plan = db.session.scalar(select(WorkPlan.id).where(WorkPlan.period_id == period.id,
                                                             WorkPlan.employee_id == other.id))
    # (the colleague's own result out of the way of the unique (period, employee))
    db.session.execute(text("DELETE FROM score_result WHERE employee_id = :e AND period_id = :p"),
                       {"e": other.id, "p": period.id})
    other_unit = db.session.scalar(select(Unit.id).where(Unit.id != result.unit_id).limit(1))
    values = {"employee": {"employee_id": other.id}, "work_plan": {"work_plan_id": other_plan},
              "no_plan": {"work_plan_id": None}, "unit": {"unit_id": other_unit}}[change]
    with pytest.raises(IntegrityError):
        db.session.execute(update(ScoreResult).where(ScoreResult.id == result.id).values(**values))
        db.session.flush()
    db.session.rollback()
    assert result_of(period, emp).work_plan_id is not None


def test_correcting_the_plans_unit_carries_its_result(scored):
    """The result is the plan's: when staff correct the plan's OPD, the result (and so the OPD scope and
    the public list it appears under) follows, on every database."""
    period, emp, _ = scored
    result = result_of(period, emp)
    plan = db.session.get(WorkPlan, result.work_plan_id)
    other_unit = db.session.scalar(select(Unit.id).where(Unit.id != plan.unit_id).limit(1))
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(unit_id=other_unit))
    db.session.commit()
    db.session.expire_all()
    assert result_of(period, emp).unit_id == other_unit


def test_a_result_inserted_for_another_plan_is_refused(scored):
    period, emp, other = scored
    mine = result_of(period, emp)
    row = {c: getattr(mine, c) for c in ("period_id", "unit_id", "scheme_id", "scheme_version", "status", "version",
                                         "created_at", "updated_at")}
    db.session.execute(text("DELETE FROM score_result WHERE employee_id = :e AND period_id = :p"),
                       {"e": other.id, "p": period.id})
    with pytest.raises(IntegrityError):
        db.session.execute(insert(ScoreResult), [dict(row, employee_id=other.id, work_plan_id=mine.work_plan_id)])
        db.session.flush()
    db.session.rollback()


@pytest.mark.skipif(bool(SERVER_URL), reason="runs on a scratch SQLite file; the server pass migrates its own schema")
def test_0014_fills_the_plan_and_refuses_a_result_of_another_plan(tmp_path, capsys):
    """A result without plan gets the plan of its period and employee; a result naming another employee's
    plan stops the migration with the ids to repair, before anything changed."""
    from flask_migrate import upgrade

    app, url = scratch_sqlite_app(tmp_path)
    with app.app_context():
        upgrade(revision="0013_partition_results")
        engine = create_engine(url)
        result = ("INSERT INTO score_result (id, period_id, employee_id, work_plan_id, scheme_id, scheme_version, "
                  "status, version, created_at, updated_at) VALUES ({id}, 1, {emp}, {plan}, 1, 1, 'computed', 1, "
                  "{{stamps}})")
        with engine.begin() as conn:
            scratch_rows(
                conn,
                "INSERT INTO work_plan (id, period_id, employee_id, unit_id, status, innovation, version, created_at, "
                "updated_at) VALUES (10, 1, 1, 1, 'assessed', 0, 1, {stamps}), (11, 1, 2, 1, 'assessed', 0, 1, {stamps})",
                result.format(id=1, emp=1, plan="NULL"),
                result.format(id=2, emp=2, plan=10))  # Budi's result on Ani's plan
        with pytest.raises(SystemExit):  # flask-migrate logs the error and exits 1
            upgrade()
        err = capsys.readouterr().err  # (alembic logs to stderr)
        assert "Migrasi 0014 dihentikan: 1 hasil penilaian" in err and "(id hasil: 2)" in err
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0013_partition_results"
            assert conn.execute(text("SELECT work_plan_id FROM score_result WHERE id = 1")).scalar() is None
        with engine.begin() as conn:
            conn.execute(text("UPDATE score_result SET work_plan_id = 11 WHERE id = 2"))
        upgrade()
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, work_plan_id FROM score_result ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, 10), (2, 11)]
        engine.dispose()
