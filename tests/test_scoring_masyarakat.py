"""Citizens' ratings of named employees feed the masyarakat rater role of the scoring engine."""

from sqlalchemy import select

from kinerja_admin.extensions import db
from kinerja_admin.rating.ikm import masyarakat_scores
from kinerja_admin.scoring.engine import score_period
from models import ScoreResult, Setting


def test_public_ratings_become_the_masyarakat_average(app, demo):
    period = demo["periods"]["2025"]
    db.session.get(Setting, "public.min_responses").value = "1"
    db.session.commit()
    expected = masyarakat_scores(db.session, period)
    assert expected, "the demo city has citizens naming employees"
    score_period(db.session, period)
    db.session.commit()
    results = {r.employee_id: r for r in db.session.scalars(select(ScoreResult).where(ScoreResult.period_id == period.id))}
    for eid, score in expected.items():
        if eid in results:
            assert results[eid].masyarakat_avg == score.scaled, eid
    others = [r for eid, r in results.items() if eid not in expected]
    assert others and all(r.masyarakat_avg is None for r in others)


def test_below_the_minimum_responses_the_public_does_not_count(app, demo):
    period = demo["periods"]["2025"]
    db.session.get(Setting, "public.min_responses").value = "1000"
    db.session.commit()
    score_period(db.session, period)
    db.session.commit()
    values = db.session.scalars(select(ScoreResult.masyarakat_avg).where(ScoreResult.period_id == period.id)).all()
    assert values and all(v is None for v in values)
