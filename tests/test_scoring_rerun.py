"""A rerun of the scoring engine recomputes the period's results still 'computed' (in place on PostgreSQL
15+ and SQLite: the same row, its version one higher; deleted and inserted again on MariaDB), drops those
whose plan is no longer scorable, never touches a signed-off result, and a tick given on a page made
before the rerun does not approve the new figures unseen."""
from __future__ import annotations

import re
import time
from decimal import Decimal as D

import pytest
from sqlalchemy import select, update

from kinerja_admin.scoring.engine import score_period
from kinerja_admin.workflow.base import NOT_FOUND
from models import BehaviourRating, ScoreResult, WorkPlan, db
from tests.conftest import login_as
from tests.scoring_helpers import make_period, make_plan, result_of, scheme

TARGETS = [[("kuantitas", 10, 10, None, False)]]


def _in_place() -> bool:
    dialect = db.engine.dialect
    return dialect.name == "sqlite" or (dialect.name == "postgresql" and dialect.server_version_info >= (15,))


@pytest.fixture()
def scored(demo):
    period = make_period(scheme("PERMENPANRB-6-2022"))
    a, b, c = demo["employees"][5:8]
    for emp, value in ((a, 4), (b, 3), (c, 2)):
        make_plan(period, emp, TARGETS, ratings={"atasan": [[value] * 7]})
    db.session.commit()
    score_period(db.session, period)
    db.session.commit()
    return period, a, b, c


def _row(period, emp):
    db.session.expire_all()
    r = result_of(period, emp)
    return None if r is None else {k: getattr(r, k) for k in ("id", "version", "created_at", "computed_at",
                                                               "atasan_avg", "behaviour_value", "status",
                                                               "predicate", "approved_at")}


def test_a_rerun_recomputes_computed_results_and_leaves_signed_off_ones(scored):
    period, a, b, c = scored
    before = {e.id: _row(period, e) for e in (a, b, c)}
    assert before[a.id]["atasan_avg"] == D("4.0000") and before[a.id]["version"] == 1
    # a's superior corrects the ratings; b's result is approved; c's plan is taken back to draft
    db.session.execute(update(BehaviourRating).where(BehaviourRating.ratee_id == a.id,
                                                     BehaviourRating.period_id == period.id).values(value=D("5")))
    db.session.execute(update(ScoreResult).where(ScoreResult.id == before[b.id]["id"])
                       .values(status="approved", predicate="Ditetapkan atasan"))
    db.session.execute(update(WorkPlan).where(WorkPlan.period_id == period.id, WorkPlan.employee_id == c.id)
                       .values(status="draft"))
    db.session.commit()

    summary = score_period(db.session, period)
    db.session.commit()
    assert summary["computed"] == 1 and summary["skipped_final"] == 1

    now_a = _row(period, a)
    assert now_a["atasan_avg"] == D("5.0000") and now_a["behaviour_value"] == D("5.0000")
    # (MariaDB's DATETIME keeps whole seconds)
    assert now_a["computed_at"] >= before[a.id]["computed_at"] and now_a["approved_at"] is None
    if _in_place():
        assert now_a["id"] == before[a.id]["id"] and now_a["version"] == 2
        assert now_a["created_at"] == before[a.id]["created_at"]
    else:
        assert now_a["id"] != before[a.id]["id"] and now_a["version"] == 1
    # the approved result is exactly as it was signed off
    now_b = _row(period, b)
    assert now_b == {**before[b.id], "status": "approved", "predicate": "Ditetapkan atasan"}
    # no result is left for a plan that can no longer be scored
    assert _row(period, c) is None
    assert db.session.scalar(select(db.func.count()).select_from(ScoreResult)
                             .where(ScoreResult.period_id == period.id)) == 2


def test_a_rerun_on_unchanged_data_gives_the_same_figures(scored):
    period, a, b, c = scored
    before = {e.id: _row(period, e) for e in (a, b, c)}
    score_period(db.session, period)
    db.session.commit()
    for emp in (a, b, c):
        now = _row(period, emp)
        for key in ("atasan_avg", "behaviour_value", "predicate", "status"):
            assert now[key] == before[emp.id][key]


def _next_second() -> None:
    """MariaDB keeps whole seconds: a page made in the same second as a rerun cannot be told from one
    made before it (such a tie is refused), so the fresh page waits for the next second there."""
    if db.engine.dialect.name == "mysql":
        time.sleep(1.05)


def _seen_at(html: str) -> str:
    return re.search(r'name="seen_at" value="([^"]+)"', html).group(1)


def test_a_tick_from_a_page_made_before_a_rerun_approves_nothing(client, demo):
    """The superior ticks a result on the list and approves it; meanwhile the clerk has run the scoring
    again. The figures now under that tick are not the ones the page showed: the approval is refused
    with the reason, and from a page made after the rerun it goes through."""
    period = demo["periods"]["2025"]
    runner_result = score_period(db.session, period)
    db.session.commit()
    assert runner_result["computed"]
    operator = demo["users"]["operator"]
    target = db.session.scalar(select(ScoreResult).where(ScoreResult.period_id == period.id,
                                                         ScoreResult.status == "computed",
                                                         ScoreResult.employee_id != operator.employee_id)
                               .order_by(ScoreResult.id).limit(1))
    employee_id, ticked = target.employee_id, target.id
    login_as(client, operator)
    seen = _seen_at(client.get("/admin/score_result/").get_data(as_text=True))

    score_period(db.session, period)  # the clerk reruns the period
    db.session.commit()
    # the superior ticks the row the page showed: on PostgreSQL and SQLite the same result, its figures
    # new; on MariaDB the rerun gave the employee a new result, and the ticked one is gone
    rv = client.post("/admin/score_result/action/", data={"action": "approve", "rowid": [str(ticked)],
                                                          "url": "/admin/score_result/", "seen_at": seen},
                     follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert ("dihitung ulang setelah halaman dibuka" if _in_place() else NOT_FOUND) in html
    db.session.expire_all()
    current = db.session.scalar(select(ScoreResult).where(ScoreResult.period_id == period.id,
                                                          ScoreResult.employee_id == employee_id))
    assert current.status == "computed"

    _next_second()
    page = client.get("/admin/score_result/").get_data(as_text=True)
    client.post("/admin/score_result/action/", data={"action": "approve", "rowid": [str(current.id)],
                                                     "url": "/admin/score_result/", "seen_at": _seen_at(page)})
    db.session.expire_all()
    assert db.session.get(ScoreResult, current.id).status == "approved"


def test_approving_all_matching_results_skips_those_scored_again_since_the_list(client, demo):
    """The same through "Semua sesuai filter": the list page's time goes through the confirmation page,
    so results computed again before the confirmed POST are skipped, on every database (this path picks
    the rows when it is confirmed, so new ids would not protect it)."""
    period = demo["periods"]["2025"]
    score_period(db.session, period)
    db.session.commit()
    login_as(client, demo["users"]["operator"])
    seen = _seen_at(client.get("/admin/score_result/").get_data(as_text=True))
    page = client.post("/admin/score_result/bulk-all/", data={"op": "approve", "seen_at": seen}).get_data(as_text=True)
    assert _seen_at(page) == seen
    expected = re.search(r'name="expected" value="(\d+)"', page).group(1)

    score_period(db.session, period)  # the clerk reruns the period meanwhile
    db.session.commit()
    rv = client.post("/admin/score_result/bulk-all/", data={"op": "approve", "confirm": "1", "expected": expected,
                                                            "seen_at": seen}, follow_redirects=True)
    assert "dihitung ulang setelah halaman dibuka" in rv.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(ScoreResult).where(
        ScoreResult.period_id == period.id, ScoreResult.status != "computed")) == 0
