"""PostgreSQL: a period's ratings, realisations and results live in that period's partitions
(migrations 0012, 0013 and 0015), created with the period by any insert path, so scoring one period
never reads another's ratings or realisations; the migrations carry existing rows and ids across in
both directions. SQLite and MariaDB are not partitioned."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from kinerja_admin.scoring import engine as eng
from kinerja_admin.scoring.engine import score_period
from kinerja_admin.scoring.formulas import Exact
from kinerja_admin.scoring.rules import load_rules
from models import (
    BehaviourRating,
    Period,
    RaterAssignment,
    Realisation,
    ScoreDetail,
    ScoreResult,
    ScoringScheme,
    db,
)
from tests.scoring_helpers import make_period, make_plan, scheme

pytestmark = pytest.mark.usefixtures("app")

TARGETS = [[("kuantitas", 10, 10, None, False)]]
PARTITIONED = ("rater_assignment", "behaviour_rating", "score_result", "realisation")


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("partitioning by period is PostgreSQL's")


def _partition_of(table, where, params):
    return set(db.session.scalars(text(f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {where}"),
                                  params))


def test_a_new_periods_ratings_live_in_its_own_partitions(demo):
    period = make_period(scheme("PERMENPANRB-6-2022"))
    make_plan(period, demo["employees"][5], TARGETS, ratings={"atasan": [[4] * 7], "rekan": [[3] * 7]})
    db.session.commit()
    assert _partition_of("rater_assignment", "period_id = :p", {"p": period.id}) == {f"rater_assignment__p{period.id}"}
    assert _partition_of("behaviour_rating", "period_id = :p", {"p": period.id}) == {f"behaviour_rating__p{period.id}"}
    assert _partition_of("realisation", "period_id = :p", {"p": period.id}) == {f"realisation__p{period.id}"}
    score_period(db.session, period)
    db.session.commit()
    assert _partition_of("score_result", "period_id = :p", {"p": period.id}) == {f"score_result__p{period.id}"}


def test_a_period_inserted_with_core_gets_its_partitions_too(demo):
    """The partitions come from a trigger on period, not from the ORM: imports and scripts insert with Core."""
    pid = db.session.execute(insert(Period).values(
        code="CORE", name="Inti", start_date=demo["periods"]["2025"].start_date,
        end_date=demo["periods"]["2025"].end_date, status="draft", version=1)).inserted_primary_key[0]
    db.session.commit()
    names = set(db.session.scalars(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY(:t)"),
                                   {"t": list(PARTITIONED)}))
    assert {f"{t}__p{pid}" for t in PARTITIONED} <= names


def test_a_role_without_create_rights_can_still_add_a_period(demo):
    """Production may connect as a role that only reads and writes rows (PostgreSQL 15 lets no such
    role create tables in public): the trigger creates the partitions with its owner's rights."""
    db.session.commit()
    db.session.execute(text("DO $$ BEGIN CREATE ROLE kinerja_rows_only NOLOGIN; "
                            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"))
    db.session.execute(text("GRANT SELECT, INSERT ON period TO kinerja_rows_only"))
    db.session.execute(text("GRANT USAGE ON SEQUENCE period_id_seq TO kinerja_rows_only"))
    db.session.commit()
    try:
        db.session.execute(text("SET LOCAL ROLE kinerja_rows_only"))
        pid = db.session.execute(text(
            "INSERT INTO period (code, name, start_date, end_date, status, version, created_at, updated_at) "
            "VALUES ('ROWS', 'Hanya baris', '2027-01-01', '2027-12-31', 'draft', 1, now(), now()) RETURNING id"
        )).scalar_one()
        db.session.execute(text("RESET ROLE"))
        owners = set(db.session.scalars(text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = ANY(:n)"),
                                        {"n": [f"{t}__p{pid}" for t in PARTITIONED]}))
        assert owners and "kinerja_rows_only" not in owners and len(owners) == 1
    finally:
        db.session.rollback()
        db.session.execute(text("DROP OWNED BY kinerja_rows_only"))
        db.session.execute(text("DROP ROLE kinerja_rows_only"))
        db.session.commit()


def test_scoring_a_period_reads_only_its_own_ratings_and_realisations(demo):
    """The plan of the engine's statement touches the scored period's rating and realisation partitions
    and no other."""
    first = make_period(scheme("PERMENPANRB-6-2022"))
    other = make_period(scheme("PERMENPANRB-6-2022"))
    for period in (first, other):
        make_plan(period, demo["employees"][5], TARGETS, ratings={"atasan": [[4] * 7]})
    db.session.commit()
    rules = load_rules(db.session.get(ScoringScheme, first.scheme_id))
    sel = eng._result_select(db.session, rules, first.id, Exact.for_session(db.session), eng.utcnow())
    sql = str(sel.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    assert f"behaviour_rating__p{first.id}" in plan
    assert f"behaviour_rating__p{other.id}" not in plan and "behaviour_rating__default" not in plan
    assert f"realisation__p{first.id}" in plan
    assert f"realisation__p{other.id}" not in plan and "realisation__default" not in plan


def test_the_migration_keeps_rows_and_ids_both_ways(published):
    """Down to 0011 (unpartitioned) and up again with the scored, published demo in place: the same rows under
    the same ids, the foreign keys intact, and new rows continue the id sequences."""
    from flask_migrate import downgrade, upgrade

    def snapshot():
        return (sorted(db.session.execute(select(RaterAssignment.id, RaterAssignment.period_id, RaterAssignment.status))
                       .all()),
                sorted(db.session.execute(select(BehaviourRating.id, BehaviourRating.assignment_id,
                                                 BehaviourRating.value)).all()),
                sorted(db.session.execute(select(ScoreResult.id, ScoreResult.period_id, ScoreResult.final_value))
                       .all()),
                sorted(db.session.execute(select(ScoreDetail.id, ScoreDetail.result_id, ScoreDetail.average)).all()),
                sorted(db.session.execute(select(Realisation.id, Realisation.indicator_id, Realisation.value)).all()))

    before = snapshot()
    assert before[1] and before[2] and before[3] and before[4], "ratings, results, frozen details, realisations"
    db.session.commit()
    db.session.close()
    downgrade(revision="0011_rating_key")
    assert db.session.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'behaviour_rating'")) == "r"
    assert db.session.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'realisation'")) == "r"
    assert snapshot() == before
    db.session.close()
    upgrade()
    assert db.session.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'behaviour_rating'")) == "p"
    assert db.session.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'realisation'")) == "p"
    assert snapshot() == before
    top = max(r[0] for r in before[1])
    assert db.session.scalar(text("SELECT nextval('behaviour_rating_id_seq')")) > top
    assert db.session.scalar(text("SELECT nextval('realisation_id_seq')")) > max(r[0] for r in before[4])
    db.session.rollback()


def _result_fillfactors():
    return dict(db.session.execute(text(
        "SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'score_result'::regclass")).all())


def test_result_partitions_leave_room_for_a_rerun_in_place(demo):
    """Migration 0016: every partition of score_result, existing and new (from the period trigger),
    keeps half of each page free, so a rerun's updates stay on their page (no index entry, no foreign-key
    check); the downgrade takes it away again."""
    from flask_migrate import downgrade, upgrade

    period = make_period(scheme("PERMENPANRB-6-2022"))
    db.session.commit()
    options = _result_fillfactors()
    assert options and all(o == ["fillfactor=50"] for o in options.values()), options
    assert f"score_result__p{period.id}" in options
    # only the results get it
    assert db.session.scalar(text("SELECT reloptions FROM pg_class WHERE relname = :n"),
                             {"n": f"behaviour_rating__p{period.id}"}) is None
    db.session.commit()
    db.session.close()
    downgrade(revision="0015_partition_realisations")
    assert all(o is None for o in _result_fillfactors().values())
    db.session.close()
    upgrade()
    assert all(o == ["fillfactor=50"] for o in _result_fillfactors().values())
