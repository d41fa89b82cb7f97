"""An SKP's content carries its plan's period (migration 0015): targets, indicators, realisations and
evidence files hold the period of their parent, kept equal to it by composite foreign keys on every
database, so that realisations can be partitioned by period on PostgreSQL."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from models import Indicator, Realisation, Target, WorkPlan, db
from models.base import with_periods
from tests.conftest import SERVER_URL, scratch_sqlite_app
from tests.scoring_helpers import make_period, make_plan, scheme

TARGETS = [[("kuantitas", 10, 8, None, False)]]


@pytest.fixture()
def two_periods(demo):
    first, second = make_period(scheme("PERMENPANRB-6-2022")), make_period(scheme("PERMENPANRB-6-2022"))
    emp = demo["employees"][5]
    plans = [make_plan(p, emp, TARGETS) for p in (first, second)]
    db.session.commit()
    return first, second, plans


def _indicator_of(period):
    return db.session.scalar(select(Indicator).join(Target, Target.id == Indicator.target_id)
                             .join(WorkPlan, WorkPlan.id == Target.work_plan_id).where(WorkPlan.period_id == period.id))


def test_orm_rows_take_their_plans_period(two_periods):
    """Rows made by the forms and services (by relationship or by parent id) carry the plan's period."""
    first, second, _ = two_periods
    for period in (first, second):
        indicator = _indicator_of(period)
        assert indicator.period_id == indicator.target.period_id == indicator.target.work_plan.period_id == period.id
        db.session.add(Realisation(indicator_id=indicator.id, value=D(9)))
        db.session.commit()
        periods = set(db.session.scalars(select(Realisation.period_id).where(Realisation.indicator_id == indicator.id)))
        assert periods == {period.id}


def test_a_realisation_cannot_claim_another_period(two_periods):
    """A Core insert that files a realisation under another period than its indicator's is refused by the
    database, so no path can slip a value into another period's partition or scoring."""
    first, second, _ = two_periods
    indicator = _indicator_of(first)
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Realisation), [dict(indicator_id=indicator.id, period_id=second.id, value=D(9))])
        db.session.flush()
    db.session.rollback()
    # what Core paths use (the demo, imports): the parent's period, read once per batch
    rows = with_periods(db.session, Realisation, [dict(indicator_id=indicator.id, value=D(9))])
    assert rows[0]["period_id"] == first.id
    db.session.execute(insert(Realisation), rows)
    db.session.commit()


@pytest.mark.skipif(bool(SERVER_URL), reason="runs on a scratch SQLite file; the server pass migrates its own schema")
def test_0015_copies_the_period_down_the_skp_and_back(tmp_path):
    """Migration 0015 fills each row's period from its parent's (plan -> target -> indicator -> realisation
    -> evidence file); its downgrade keeps the rows."""
    from flask_migrate import downgrade, upgrade

    app, url = scratch_sqlite_app(tmp_path)
    with app.app_context():
        upgrade(revision="0014_result_plan_key")
        engine = create_engine(url)
        stamps = "'2025-01-01', '2025-01-01'"
        with engine.begin() as conn:
            for sql in (
                f"INSERT INTO unit (id, code, name, kind, active, public_facing, created_at, updated_at) "
                f"VALUES (1, 'U', 'Unit', 'OPD', 1, 0, {stamps})",
                f"INSERT INTO employee (id, nip, name, unit_id, employee_type, active, created_at, updated_at) "
                f"VALUES (1, '198001012005011001', 'Ani', 1, 'PNS', 1, {stamps})",
                f"INSERT INTO period (id, code, name, start_date, end_date, status, version, created_at, updated_at) "
                f"VALUES (3, '2025', 'Tahun 2025', '2025-01-01', '2025-12-31', 'assessing', 1, {stamps}), "
                f"(4, '2026', 'Tahun 2026', '2026-01-01', '2026-12-31', 'planning', 1, {stamps})",
                f"INSERT INTO work_plan (id, period_id, employee_id, unit_id, status, innovation, version, created_at, "
                f"updated_at) VALUES (10, 3, 1, 1, 'assessed', 0, 1, {stamps}), (11, 4, 1, 1, 'draft', 0, 1, {stamps})",
                f"INSERT INTO target (id, work_plan_id, seq, description, version, created_at, updated_at) "
                f"VALUES (20, 10, 1, 'RHK', 1, {stamps}), (21, 11, 1, 'RHK', 1, {stamps})",
                f"INSERT INTO indicator (id, target_id, aspect, description, target_value, unit_label, lower_is_better, "
                f"version, created_at, updated_at) VALUES (30, 20, 'kuantitas', 'i', 10, '', 0, 1, {stamps}), "
                f"(31, 21, 'kuantitas', 'i', 10, '', 0, 1, {stamps})",
                f"INSERT INTO realisation (id, indicator_id, value, derived, version, created_at, updated_at) "
                f"VALUES (40, 30, 8, 0, 1, {stamps}), (41, 31, 9, 0, 1, {stamps})",
                f"INSERT INTO evidence_file (id, realisation_id, filename, content_type, size, sha256, content, "
                f"created_at, updated_at) VALUES (50, 41, 'b.pdf', 'application/pdf', 3, 'x', X'616263', {stamps})",
            ):
                conn.execute(text(sql))
        upgrade()
        with engine.connect() as conn:
            for table, expected in (("target", [(20, 3), (21, 4)]), ("indicator", [(30, 3), (31, 4)]),
                                    ("realisation", [(40, 3), (41, 4)]), ("evidence_file", [(50, 4)])):
                rows = conn.execute(text(f"SELECT id, period_id FROM {table} ORDER BY id")).all()
                assert [tuple(r) for r in rows] == expected, table
        downgrade(revision="0014_result_plan_key")
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text("SELECT id, indicator_id, value FROM realisation ORDER BY id"))] \
                == [(40, 30, 8), (41, 31, 9)]
            assert conn.execute(text("SELECT realisation_id FROM evidence_file")).scalar() == 41
        engine.dispose()
