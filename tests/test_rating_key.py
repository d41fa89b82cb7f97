"""A rating carries its assignment's key (period, status, ratee, role; issue 19) and the database keeps
that copy equal to the assignment's on every database: the scoring engine reads the ratings alone, so a
rating that claimed another ratee, role or period than its assignment would move someone else's score."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from kinerja_admin.scoring.engine import score_period
from models import BehaviourRating, RaterAssignment, db
from tests.conftest import SERVER_URL, scratch_rows, scratch_sqlite_app
from tests.scoring_helpers import make_period, make_plan, result_of, scheme

TARGETS = [[("kuantitas", 10, 10, None, False)]]


def _key(rating):
    return (rating.period_id, rating.assignment_status, rating.ratee_id, rating.role)


def test_an_orm_rating_copies_its_assignment(demo):
    period = make_period(scheme("PERMENPANRB-6-2022"))
    emp = demo["employees"][5]
    make_plan(period, emp, TARGETS, ratings={"rekan": [[4] * 7]})
    rating = db.session.scalars(select(BehaviourRating).join(RaterAssignment, RaterAssignment.id ==
                                                             BehaviourRating.assignment_id)
                                .where(RaterAssignment.period_id == period.id)).first()
    db.session.refresh(rating)
    assert _key(rating) == (period.id, "submitted", emp.id, "rekan")


def test_changing_an_assignment_carries_its_ratings_along(demo):
    """The copy follows the assignment (ON UPDATE CASCADE): the engine sees what the assignment says."""
    period = make_period(scheme("PERMENPANRB-6-2022"))
    emp = demo["employees"][5]
    make_plan(period, emp, TARGETS, ratings={"atasan": [[4] * 7], "rekan": [[2] * 7]})
    db.session.commit()
    score_period(db.session, period)
    db.session.commit()
    assert result_of(period, emp).rekan_avg == D("2.0000")
    rekan = db.session.scalar(select(RaterAssignment).where(RaterAssignment.period_id == period.id,
                                                            RaterAssignment.role == "rekan"))
    db.session.execute(update(RaterAssignment).where(RaterAssignment.id == rekan.id).values(status="pending"))
    db.session.commit()
    statuses = set(db.session.scalars(select(BehaviourRating.assignment_status)
                                      .where(BehaviourRating.assignment_id == rekan.id)))
    assert statuses == {"pending"}
    score_period(db.session, period)
    db.session.commit()
    assert result_of(period, emp).rekan_avg is None  # a pending assignment's ratings do not count


@pytest.mark.parametrize("claim", [{"role": "atasan"}, {"ratee_id": "other"}, {"assignment_status": "pending"}])
def test_a_rating_cannot_claim_another_key_than_its_assignment(demo, claim):
    """A Core insert that names another ratee, role or status than its assignment is refused by the
    database (the composite foreign key), so no write path can move a colleague's score."""
    period = make_period(scheme("PERMENPANRB-6-2022"))
    emp, other = demo["employees"][5], demo["employees"][6]
    make_plan(period, emp, TARGETS, ratings={"rekan": [[4] * 7]})
    db.session.commit()
    a = db.session.scalar(select(RaterAssignment).where(RaterAssignment.period_id == period.id))
    aspect = period.scheme.aspects[0]
    db.session.execute(text("DELETE FROM behaviour_rating WHERE assignment_id = :a AND aspect_id = :x"),
                       {"a": a.id, "x": aspect.id})
    db.session.commit()
    row = dict(assignment_id=a.id, aspect_id=aspect.id, value=D(5), period_id=period.id,
               assignment_status="submitted", ratee_id=emp.id, role="rekan")
    row.update({k: (other.id if v == "other" else v) for k, v in claim.items()})
    with pytest.raises(IntegrityError):
        db.session.execute(insert(BehaviourRating), [row])
        db.session.flush()
    db.session.rollback()
    # the honest copy goes in
    row.update(role="rekan", ratee_id=emp.id, assignment_status="submitted")
    db.session.execute(insert(BehaviourRating), [row])
    db.session.commit()


@pytest.mark.skipif(bool(SERVER_URL), reason="runs on a scratch SQLite file; the server pass migrates its own schema")
def test_0011_copies_the_key_of_existing_ratings(tmp_path):
    """Migration 0011 fills the copy of every existing rating from its assignment (and 0010 again
    after a downgrade keeps the ratings)."""
    from flask_migrate import downgrade, upgrade

    app, url = scratch_sqlite_app(tmp_path)
    with app.app_context():
        upgrade(revision="0010_scoring_path")
        engine = create_engine(url)
        with engine.begin() as conn:
            scratch_rows(
                conn,
                "INSERT INTO behaviour_aspect (id, scheme_id, code, name, weight, seq, structural_only) "
                "VALUES (1, 1, 'a', 'Aspek', 1, 1, 0)",
                "INSERT INTO rater_assignment (id, period_id, ratee_id, rater_id, role, status, created_at, "
                "updated_at) VALUES (7, 1, 1, 2, 'rekan', 'submitted', {stamps})",
                "INSERT INTO behaviour_rating (id, assignment_id, aspect_id, value, created_at, updated_at) "
                "VALUES (1, 7, 1, 4, {stamps})")
        upgrade()
        with engine.connect() as conn:
            row = conn.execute(text("SELECT period_id, assignment_status, ratee_id, role, value "
                                    "FROM behaviour_rating")).one()
            assert tuple(row) == (1, "submitted", 1, "rekan", 4)
        downgrade(revision="0010_scoring_path")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT assignment_id, value FROM behaviour_rating")).one() == (7, 4)
        engine.dispose()
