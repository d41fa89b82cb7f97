"""Golden values from the regulations, through the Python reference, the SQL builders and the engine."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from kinerja_admin.scoring import formulas as F
from kinerja_admin.scoring.engine import score_period
from kinerja_admin.scoring.validation import clone_scheme
from models import Position, PositionKind, ScoreDetail, db

from .scoring_helpers import make_period, make_plan, result_of, scheme


def sql_value(expr):
    return D(str(db.session.scalar(select(expr)))).quantize(D("0.0001"))


@pytest.mark.parametrize("target,realised,expected", [
    (12, 12, D("76")),      # fully used: EW = 0
    (25, 19, D("100")),     # EW exactly 24 -> first branch: (44-19)/25*100
    (25, 20, D("96")),      # EW = 20 < 24
    (25, 18, D("72")),      # EW = 28 > 24 -> 76 - (104 - 100)
    (100, 75, D("75")),     # EW = 25: 76 - (101 - 100)
    (100, 76, D("100")),    # EW = 24 exactly
])
def test_pp46_time_formula_both_sides_of_24(app, target, realised, expected):
    assert F.ref_pp46_time(D(realised), D(target)) == expected
    assert sql_value(F.sql_pp46_time(F.num(realised), F.num(target))) == expected


def test_capaian_98_gives_88_and_lower_is_better(app):
    s = scheme("PP30-2019")
    bands = F.bands_from_rows(s.achievement_bands)
    ex = F.Exact.for_session(db.session)
    assert F.ref_capaian_iki(D(98), D(100), False, bands) == D(88)
    f = F.FORMULAS["capaian_iki"]
    higher = F.literal_column("0") == 1
    for realised, expected in ((98, 88), (100, 109), (59, 49), (120, 120), (80, 70), (79, 69)):
        row = F.Row(F.num(realised), F.num(100), higher)
        assert sql_value(f.sql(row, bands, ex)) == expected
        assert F.ref_capaian_iki(D(realised), D(100), False, bands) == expected
    # lower is better: realised 10.2 of 10 months -> (2 - 1.02) * 100 = 98% -> 88
    assert F.ref_capaian_iki(D("10.2"), D(10), True, bands) == D(88)
    assert sql_value(f.sql(F.Row(F.num("10.2"), F.num(10), F.literal_column("1") == 1), bands, ex)) == 88
    assert F.ref_capaian_iki(D(100), D(100), False, bands) == D(109)
    assert F.ref_capaian_iki(D(120), D(100), False, bands) == D(120)
    assert F.ref_capaian_iki(D(59), D(100), False, bands) == D(49)


def test_pp46_worked_example_gives_85_50(demo):
    s = scheme("PP46-2011")
    period = make_period(s)
    emp = demo["employees"][5]
    make_plan(period, emp, [[("kuantitas", 1, 1, None, False), ("kualitas", 100, 90, None, False),
                             ("waktu", 12, 12, None, True), ("biaya", 1000000, 1000000, None, True)]],
              ratings={"atasan": [[80, 80, 80, 80, 80, 80]]})
    summary = score_period(db.session, period)
    db.session.commit()
    r = result_of(period, emp)
    assert r.skp_value == D("85.5000")
    assert r.behaviour_value == D("80.0000")
    assert r.final_value == D("83.3000")  # 0.6 * 85.5 + 0.4 * 80
    assert r.predicate == "Baik"
    assert r.scheme_version == s.version and summary["computed"] == 1


MATRIX_EXPECTED = {  # (perilaku, hasil) -> predikat, DOMAIN.md PermenPANRB 6/2022
    ("diatas", "dibawah"): "Butuh Perbaikan", ("diatas", "sesuai"): "Baik", ("diatas", "diatas"): "Sangat Baik",
    ("sesuai", "dibawah"): "Butuh Perbaikan", ("sesuai", "sesuai"): "Baik", ("sesuai", "diatas"): "Baik",
    ("dibawah", "dibawah"): "Sangat Kurang", ("dibawah", "sesuai"): "Kurang (Misconduct)",
    ("dibawah", "diatas"): "Kurang (Misconduct)",
}


def test_every_matrix_cell(demo):
    period = make_period(scheme("PERMENPANRB-6-2022"))
    emps = demo["employees"][10:19]
    for emp, (perilaku, hasil) in zip(emps, MATRIX_EXPECTED):
        make_plan(period, emp, [[("kuantitas", 10, 10, "capaian_iki", False)]],
                  ratings={"atasan": [[3] * 7]}, hasil=hasil, perilaku=perilaku)
    score_period(db.session, period)
    db.session.commit()
    for emp, key in zip(emps, MATRIX_EXPECTED):
        r = result_of(period, emp)
        assert (r.perilaku_category, r.hasil_category) == key
        assert r.predicate == MATRIX_EXPECTED[key]


def test_matrix_categories_suggested_from_thresholds(demo):
    """Penentu rating 'ambang nilai' (a clone of the 6/2022 preset set so): the thresholds give the
    categories of a plan the rater has not judged."""
    s = clone_scheme(db.session, scheme("PERMENPANRB-6-2022"))
    s.rating_decider = "ambang"
    db.session.flush()
    period = make_period(s)
    emp = demo["employees"][20]
    # capaian 120% -> 120 (>= 110: di atas); behaviour 4.6 (>= 4.5: di atas)
    make_plan(period, emp, [[("kuantitas", 10, 12, "capaian_iki", False)]],
              ratings={"atasan": [[5, 5, 5, 4, 4, 5, 4]]})
    score_period(db.session, period)
    r = result_of(period, emp)
    assert (r.hasil_category, r.perilaku_category, r.predicate) == ("diatas", "diatas", "Sangat Baik")


def test_under_the_2022_preset_no_judgement_means_no_predicate(demo):
    """PermenPANRB 6/2022 (penentu rating: pejabat penilai): the same figures without the rater's
    judgement give no category and no predicate, and the run lists the plan as 'belum dinilai atasan'."""
    period = make_period(scheme("PERMENPANRB-6-2022"))
    emp = demo["employees"][20]
    make_plan(period, emp, [[("kuantitas", 10, 12, "capaian_iki", False)]],
              ratings={"atasan": [[5, 5, 5, 4, 4, 5, 4]]})
    summary = score_period(db.session, period)
    r = result_of(period, emp)
    assert (r.hasil_category, r.perilaku_category, r.predicate) == (None, None, None)
    assert r.skp_value == D("120.0000") and r.behaviour_value is not None  # the numbers are still computed
    assert summary["not_judged"] == 1 and summary["not_judged_plans"] == [emp.name]
    from kinerja_admin.scoring.engine import summary_message

    assert "1 belum dinilai atasan" in summary_message(summary)


@pytest.mark.parametrize("value,rounding,expected", [
    ("90.99", None, "Baik"), ("90.99", 0, "Sangat Baik"), ("91", None, "Sangat Baik"),
    ("91", 0, "Sangat Baik"), ("90.49", 0, "Baik"), ("75.99", None, "Cukup"),
])
def test_band_edges_with_and_without_rounding(demo, value, rounding, expected):
    s = clone_scheme(db.session, scheme("PP46-2011"))
    s.final_expression = "skp"
    s.round_decimals = rounding
    db.session.flush()
    period = make_period(s)
    emp = demo["employees"][3]
    make_plan(period, emp, [[("kuantitas", 100, value, None, False)]], ratings={"atasan": [[80] * 6]})
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.final_value == D(value)
    assert r.predicate == expected


def test_innovation_condition_for_sangat_baik(demo):
    s = clone_scheme(db.session, scheme("PP30-2019"))
    s.final_expression = "skp"
    db.session.flush()
    period = make_period(s)
    a, b = demo["employees"][30:32]
    for emp, inno in ((a, True), (b, False)):
        make_plan(period, emp, [[("kuantitas", 10, 12, "capaian_iki", False)]], ratings={"atasan": [[100] * 5]},
                  innovation=inno)
    score_period(db.session, period)
    assert result_of(period, a).predicate == "Sangat Baik"
    assert result_of(period, b).predicate == "Baik"


def test_structural_only_aspect_counts_only_for_structural_positions(demo):
    s = scheme("PP46-2011")
    period = make_period(s)
    kinds = {k.id: k.structural for k in db.session.scalars(select(PositionKind))}
    positions = {p.id: kinds[p.kind_id] for p in db.session.scalars(select(Position))}
    structural = next(e for e in demo["employees"] if e.position_id and positions[e.position_id])
    staff = next(e for e in demo["employees"] if e.position_id and not positions[e.position_id])
    for emp in (structural, staff):  # kepemimpinan (last aspect) rated 20, the rest 80
        make_plan(period, emp, [[("kuantitas", 1, 1, None, False)]], ratings={"atasan": [[80] * 5 + [20]]})
    score_period(db.session, period)
    assert result_of(period, structural).behaviour_value == D("70.0000")
    assert result_of(period, staff).behaviour_value == D("80.0000")


def test_rater_weight_change_applies_only_after_recompute(demo):
    s = clone_scheme(db.session, scheme("PP30-2019-360"))
    db.session.flush()
    period = make_period(s)
    emp = demo["employees"][7]
    make_plan(period, emp, [[("kuantitas", 10, 10, "capaian_iki", False)]],
              ratings={"atasan": [[100] * 5], "rekan": [[80] * 5, [60] * 5]})
    score_period(db.session, period)
    db.session.commit()
    before = result_of(period, emp)
    # atasan 50, rekan 30, bawahan/masyarakat not present: (100*50 + 70*30) / 80
    assert before.behaviour_value == D("88.7500") and before.rekan_avg == D("70.0000")
    old_final = before.final_value
    weights = {w.role: w for w in s.rater_weights}
    weights["atasan"].weight, weights["rekan"].weight = D(20), D(60)
    s.version += 1
    db.session.commit()
    assert result_of(period, emp).final_value == old_final  # stored results unchanged until recompute
    score_period(db.session, period)
    db.session.commit()
    after = result_of(period, emp)
    assert after.behaviour_value == D("77.5000")  # (100*20 + 70*60) / 80
    assert after.final_value != old_final and after.scheme_version == s.version


def test_behaviour_details_follow_ratings_until_approval_then_stay(demo):
    """The per-aspect figures behind a result: computed from the ratings while the result is
    'computed'; a result whose ratings changed after scoring is not approved until rescored; approval
    stores the figures, so later rating changes do not alter what was signed off."""
    import datetime as dt

    from kinerja_admin.scoring.engine import result_details, stale_results
    from kinerja_admin.workflow import score as score_flow
    from models import BehaviourRating, ScoreResult, User

    s = scheme("PP46-2011")
    period = make_period(s)
    emp = demo["employees"][9]
    make_plan(period, emp, [[("kuantitas", 1, 1, None, False)]],
              ratings={"atasan": [[80, 70, 80, 80, 80, 80]], "rekan": [[60] * 6, [70] * 6]})
    score_period(db.session, period)
    r = result_of(period, emp)
    first_aspect = s.aspects[0].id
    details = {(role, a): (avg, n) for role, a, avg, n in result_details(db.session, r)}
    assert details[("rekan", first_aspect)] == (D("65.0000"), 2)
    assert details[("atasan", s.aspects[1].id)] == (D("70.0000"), 1)
    assert r.rekan_avg == D("65.0000") and not stale_results(db.session, [r.id])
    admin = db.session.scalar(select(User).where(User.username == "admin"))

    # ratings change after scoring (the result was computed a minute earlier)
    db.session.execute(ScoreResult.__table__.update().where(ScoreResult.id == r.id)
                       .values(computed_at=r.computed_at - dt.timedelta(minutes=1)))
    for rating in db.session.scalars(select(BehaviourRating).where(BehaviourRating.aspect_id == first_aspect)):
        rating.value = D(90)
    db.session.flush()
    db.session.expire_all()
    r = result_of(period, emp)
    assert stale_results(db.session, [r.id]) == {r.id}
    refused = score_flow.bulk(db.session, admin, "approve", [r.id])
    assert not refused.done and "hitung ulang" in refused.skipped[0][2]
    assert result_of(period, emp).status == "computed"

    score_period(db.session, period)  # rescored: the averages follow the ratings again
    r = result_of(period, emp)
    live = sorted(result_details(db.session, r))
    assert ("rekan", first_aspect, D("90.0000"), 2) in live and not stale_results(db.session, [r.id])
    score_flow.approve(db.session, admin, r)
    db.session.commit()
    frozen = sorted(result_details(db.session, r))
    assert frozen == live
    assert db.session.scalar(select(func.count()).select_from(ScoreDetail)
                             .where(ScoreDetail.result_id == r.id)) == len(live)
    for rating in db.session.scalars(select(BehaviourRating).where(BehaviourRating.aspect_id == first_aspect)):
        rating.value = D(10)
    db.session.commit()
    assert sorted(result_details(db.session, result_of(period, emp))) == frozen
