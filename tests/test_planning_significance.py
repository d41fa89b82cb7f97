"""Significance of IKM changes: per-respondent scores, Welch's t-test and Mann-Whitney U against values
computed by hand (t statistic, U, the exact small-sample p) and a t-table, honest verdicts, and a
recorded policy's before/after for the units concerned against the others."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from math import sqrt

from kinerja_admin.planning.impact import policy_impact, resolve_periods
from kinerja_admin.planning.significance import Comparison, compare, respondent_score
from kinerja_admin.rating.ikm import ikm_exact
from models import Period, PolicyChange, PublicFeedback, Unit, db

D = Decimal


def test_respondent_score_is_the_mean_answer_times_25():
    assert respondent_score([4] * 9) == 100
    assert respondent_score([1] * 9) == 25
    assert respondent_score([3] * 8 + [4]) == Fraction(28, 9) * 25  # 77.78 when rounded


def test_mean_of_respondent_scores_equals_the_regulation_ikm():
    answers = [[4, 3, 3, 2, 4, 4, 3, 3, 2], [1, 2, 2, 3, 3, 4, 4, 4, 1], [3, 3, 3, 3, 3, 3, 3, 3, 4]]
    sums = [sum(a[i] for a in answers) for i in range(9)]
    mean = sum((respondent_score(a) for a in answers), Fraction(0)) / len(answers)
    assert mean == ikm_exact(sums, len(answers))  # mean of element means x 25 (PermenPANRB 14/2017)


def test_welch_against_hand_and_t_table():
    before, after = [60, 65, 70], [80, 85, 90]
    c = compare(before, after)
    # by hand: means 65 and 85, sample variances 25 on both sides
    t_hand = (85 - 65) / sqrt(25 / 3 + 25 / 3)
    assert abs(float(c.welch_t) - t_hand) < 1e-9  # 4.899, df = 4 by Welch-Satterthwaite
    # t-table, df 4: t(0.01 two-sided) = 4.604, t(0.005 two-sided) = 5.598 -> 0.005 < p < 0.01
    assert D("0.005") < c.welch_p < D("0.01")
    assert (c.n_before, c.n_after, c.ikm_before, c.ikm_after, c.change) == (3, 3, D("65.00"), D("85.00"), D("20.00"))
    assert c.significant is True and c.verdict == "naik signifikan"
    assert c.change_pct == D("30.77")  # 20 / 65


def test_mann_whitney_exact_small_sample_is_honestly_not_significant():
    """All three 'after' scores exceed all three 'before' ones: U = 9, and the exact two-sided p is
    2 / C(6, 3) = 0.1: too few respondents to call it significant."""
    c = compare([60, 65, 70], [80, 85, 90], test="mannwhitney")
    assert c.mw_u == D(9)
    assert abs(c.mw_p - D("0.1")) < D("1e-12")
    assert c.significant is False and c.verdict == "tidak signifikan"
    assert "tidak signifikan" in c.sentence() and "n = 3" in c.sentence() and "p = 0,100" in c.sentence()


def test_non_significant_change():
    before = [70, 80, 75, 72, 77, 74]
    after = [71, 79, 74, 73, 78, 75]
    c = compare(before, after)
    # by hand: means 74.6667 and 75; the difference is small against the spread
    assert c.change == D("0.33")
    assert c.welch_p > D("0.5") and c.mw_p > D("0.5")
    assert c.verdict == "tidak signifikan"
    assert c.sentence().startswith("IKM naik 0,33 poin, dari 74,67 (n = 6) menjadi 75,00 (n = 6); tidak signifikan")


def test_p_on_the_edge_is_not_significant():
    c = Comparison(10, 10, D(70), D(75), D(5), None, D(2), D("0.05"), None, None, "welch", D("0.05"))
    assert c.significant is False and c.verdict == "tidak signifikan"
    assert Comparison(10, 10, D(70), D(75), D(5), None, D(2), D("0.0499"), None, None, "welch",
                      D("0.05")).significant is True


def test_too_few_respondents_cannot_be_tested():
    c = compare([80], [90, 95])
    assert (c.welch_p, c.mw_p, c.significant) == (None, None, None)
    assert c.verdict == "tidak dapat diuji" and "tidak dapat diuji" in c.sentence()
    assert compare([], []).sentence().startswith("Belum ada cukup data")


def _answers(score_per_element: int):
    return {f"u{i}": score_per_element for i in range(1, 10)}


def test_policy_before_after_for_the_units_concerned_against_the_others(app):
    s = db.session
    p1 = Period(code="T1", name="T1", start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 12, 31), status="assessing")
    p2 = Period(code="T2", name="T2", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31),
                status="running")
    a = Unit(code="UA", name="Unit A", public_facing=True)
    b = Unit(code="UB", name="Unit B", public_facing=True)
    s.add_all([p1, p2, a, b])
    s.flush()
    sub = Unit(code="UA-1", name="Sub A", parent_id=a.id)
    s.add(sub)
    s.flush()
    # unit A (answers via its sub-unit too): 2,2,3 before -> 3,4,4 after; unit B: 3,3,3,2 -> 3,3,2,3
    rows = [(p1, a, 2), (p1, sub, 2), (p1, a, 3), (p2, a, 3), (p2, sub, 4), (p2, a, 4),
            (p1, b, 3), (p1, b, 3), (p1, b, 3), (p1, b, 2), (p2, b, 3), (p2, b, 3), (p2, b, 2), (p2, b, 3)]
    for period, unit, v in rows:
        s.add(PublicFeedback(period_id=period.id, unit_id=unit.id, **_answers(v)))
    policy = PolicyChange(name="Layanan baru", kind="kebijakan", effective_date=dt.date(2025, 2, 1), units=[a])
    s.add(policy)
    s.commit()
    assert resolve_periods(s, policy) == (p1, p2)  # before: ended before the date; after: contains it
    data = policy_impact(s, policy, alpha=D("0.05"), test="welch", with_indicators=False)
    mine, others = (g.comparison for g in data["groups"])
    # unit A: before 50, 50, 75 (mean 58.33), after 75, 100, 100 (mean 91.67)
    assert (mine.n_before, mine.n_after, mine.ikm_before, mine.ikm_after) == (3, 3, D("58.33"), D("91.67"))
    # unit B: before 75, 75, 75, 50 (68.75) and after the same scores reordered: no change
    assert (others.n_before, others.n_after, others.change, others.welch_p) == (4, 4, D("0.00"), D("1.0"))
    assert others.verdict == "tidak signifikan"
    assert data["did"] == mine.change - others.change == D("33.33")
    # by hand, Welch for unit A: variances 208.33 on both sides, df 4 -> t = 33.33 / sqrt(2 x 208.33 / 3) = 2.828;
    # t-table, df 4: t(0.05 two-sided) = 2.776 and t(0.02) = 3.747 -> 0.02 < p < 0.05: significant
    assert abs(float(mine.welch_t) - 2.8284271) < 1e-6
    assert D("0.02") < mine.welch_p < D("0.05")
    assert mine.verdict == "naik signifikan"
