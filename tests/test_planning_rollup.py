"""Roll-up golden tests: a hand-computed cascade of 3 levels (head -> kabid -> staff), indicator
weights and missing realisations (rules in kinerja_admin.planning.rollup's docstring).

Employee indicators (capaian = realisation / target x 100, lower is better (2 - r/t) x 100, latest
realisation, target 0 has none):
    h1  (head, -> I1): 9/10 = 90 and lower-is-better 5 vs 4 = (2 - 1.25) x 100 = 75  -> 82.5
    h2  (head, -> I2): 12/10 = 120                                                   -> 120
    k1a (-> h1): 25/20 = 125                                                          -> 125
    k1b (-> h1): no realisation                                                       -> none
    k2  (-> h2): 3/3 = 100                                                            -> 100
    s1  (-> k1a): 6/8 = 75 and 9/12 = 75 (latest of 2 and 9)                          -> 75
    s1b (-> k1a): target 0                                                            -> none
    s2  (-> k1b, whose own RHK has no data): 5/5 = 100                                -> 100
    s2b: linked to nothing (outside every cascade)

Cascade of I1: h1, k1a, k1b, s1, s1b, s2: 6 RHK, 4 with data, (82.5 + 125 + 75 + 100) / 4 = 95.625
-> 95.63; employees H, K1, S1, S2 = 4. Cascade of I2: h2, k2: (120 + 100) / 2 = 110; 2 employees.
Organisation indicators: I1 95 of 100 (latest Q4; Q3 missing) -> 95, not reached; I2 60 of 50 -> 120;
I3 8 of 10 days, lower is better -> 120; IKU no realisation -> none.
Program PRG (with KEG), weights I1 2, I2 1 (empty), I3 1:
    capaian (2 x 95 + 120 + 120) / 4 = 107.50; cascade (2 x 95.625 + 110) / 3 = 100.4166 -> 100.42.
"""
from __future__ import annotations

from decimal import Decimal

from kinerja_admin.planning.effectiveness import indicator_rows, program_summaries, summarise, weighted_mean
from kinerja_admin.planning.rollup import cascade_figures, cascade_people
from models import Period, WorkPlan, db
from tests.planning_helpers import build_org, rhk

D = Decimal


def test_cascade_of_three_levels_by_hand(app):
    org = build_org()
    figures = cascade_figures(db.session, org.p25.id)
    i1, i2 = figures[org.ind["I1"].id], figures[org.ind["I2"].id]
    assert (i1.rhk, i1.rhk_with_data, i1.employees) == (6, 4, 4)
    assert D(str(i1.ach_sum)) == D("382.5")
    assert i1.achievement == D("95.63") and i1.rhk_missing == 2
    assert (i2.rhk, i2.rhk_with_data, i2.employees, i2.achievement) == (2, 2, 2, D("110.00"))
    assert org.ind["I3"].id not in figures and org.ind["IKU"].id not in figures


def test_indicator_rows_own_realisation_and_status(app):
    org = build_org()
    rows = {r.indicator.code: r for r in indicator_rows(db.session, org.p25, {org.opd.id})}
    assert (rows["I1"].realisation, rows["I1"].last_quarter, rows["I1"].capaian, rows["I1"].reached) == \
        (D(95), 4, D("95.00"), False)
    assert (rows["I2"].capaian, rows["I2"].reached) == (D("120.00"), True)
    assert (rows["I3"].capaian, rows["I3"].reached) == (D("120.00"), True)  # 8 days against 10, lower is better
    assert (rows["IKU"].realisation, rows["IKU"].capaian, rows["IKU"].reached) == (None, None, None)
    assert rows["I3"].figures.achievement is None and rows["I3"].figures.rhk == 0


def test_program_roll_up_uses_weights_and_leaves_out_missing_values(app):
    org = build_org()
    rows = indicator_rows(db.session, org.p25, {org.opd.id})
    summaries = program_summaries([org.prg, org.keg], rows)
    prg, keg = summaries[org.prg.id], summaries[org.keg.id]
    assert (prg.capaian, prg.achievement) == (D("107.50"), D("100.42"))
    assert (prg.indicators, prg.reached, prg.not_reached, prg.no_data) == (3, 2, 1, 0)
    assert (keg.capaian, keg.achievement, keg.indicators) == (D("120.00"), D("110.00"), 1)
    goal = summarise([r for r in rows if r.indicator.goal_id is not None])
    assert (goal.capaian, goal.achievement, goal.no_data) == (None, None, 1)  # the IKU's weight 3 counts for nothing


def test_weighted_mean_rules():
    assert weighted_mean([(D(90), D(2)), (D(60), None)]) == D("80.00")  # empty weight counts as 1
    assert weighted_mean([(None, D(5)), (D(70), D(1))]) == D("70.00")  # a missing value drops its weight
    assert weighted_mean([(None, D(1))]) is None
    assert weighted_mean([(D("100.005"), D(1))]) == D("100.01")  # half up, on Decimals


def test_a_realisation_changes_the_roll_up(app):
    """Missing realisations are left out, not counted as 0: recording k1b's lifts I1's cascade."""
    org = build_org()
    from models import Indicator, Realisation

    ind = db.session.scalar(db.select(Indicator).where(Indicator.target_id == org.rhk["k1b"].id))
    db.session.add(Realisation(indicator_id=ind.id, value=D("3.5")))  # 3.5 / 7 = 50
    db.session.commit()
    i1 = cascade_figures(db.session, org.p25.id)[org.ind["I1"].id]
    assert (i1.rhk_with_data, i1.achievement) == (5, D("86.50"))  # (382.5 + 50) / 5


def test_other_periods_never_count(app):
    """An RHK of another period pointing into the cascade (bad data) is not counted in it."""
    org = build_org()
    other = db.session.get(Period, org.p24.id)
    plan = WorkPlan(period_id=other.id, employee_id=org.employees["S2"].id, unit_id=org.sub.id, status="approved")
    db.session.add(plan)
    db.session.flush()
    rhk(org, "stray", plan, [(1, [1], False)], parent=org.rhk["h1"])
    db.session.commit()
    assert cascade_figures(db.session, org.p25.id)[org.ind["I1"].id].rhk == 6


def test_people_of_an_indicator(app):
    org = build_org()
    people = cascade_people(db.session, org.p25.id, org.ind["I1"].id)
    got = [(p["name"], p["level"], p["rhk"], p["achievement"]) for p in people]
    assert got == [("Pegawai H", 1, 1, D("82.50")), ("Pegawai K1", 2, 2, D("125.00")),
                   ("Pegawai S1", 3, 2, D("75.00")), ("Pegawai S2", 3, 1, D("100.00"))]
