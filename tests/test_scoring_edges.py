"""Scoring at the edges (issue 16, D1-D8), on whichever database the suite runs on (SQLite by default,
PostgreSQL and MariaDB through KINERJA_TEST_DATABASE_URL). Expected values come from the regulations'
formulas in DOMAIN.md, worked by hand in the comments.

D1 exact edges with non-integer inputs; D2 rounding before the predicate bands (half up / half even);
D3 non-finite and absurd numbers refused at the door; D4 a value beyond a score column fails that
employee only; D5 missing data by the scheme's policy; D6 IKM rounded before banding; D7 a negative
PP 46/2011 value gets the lowest band; D8 a missing superior rating by the scheme's policy.
"""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import delete, select

from kinerja_admin.numbers import NumberError
from kinerja_admin.scoring import engine as engine_mod
from kinerja_admin.scoring.engine import ScoringError, score_period, summary_message
from kinerja_admin.scoring.explain import explain_result
from kinerja_admin.scoring.validation import clone_scheme
from models import Indicator, PublicFeedback, Realisation, Unit, db
from tests.conftest import SERVER_URL, login_as

from .scoring_helpers import make_period, make_plan, result_of, scheme

ATASAN_80 = {"atasan": [[80] * 6]}


def _pp46_skp_only():
    s = clone_scheme(db.session, scheme("PP46-2011"))
    s.final_expression = "skp"
    db.session.flush()
    return s


# --- D1: the PP 46/2011 24% edge and capaian band edges, exactly, with decimals ----------------------

@pytest.mark.parametrize("tw,rw", [("12", "9.12"), ("3", "2.28"), ("6", "4.56"), ("24", "18.24")])
def test_d1_time_and_cost_at_exactly_24_percent_efficiency(demo, tw, rw):
    """RW = 0.76 TW: EW = 24 exactly -> (1.76 TW - RW)/TW x 100 = 100 (the other branch would give 76)."""
    s = _pp46_skp_only()
    period = make_period(s)
    emp = demo["employees"][3]
    make_plan(period, emp, [[("waktu", tw, rw, None, True)], [("biaya", tw, rw, None, True)]], ratings=ATASAN_80)
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.skp_value == D("100.0000")
    info = explain_result(db.session, r)  # the explanation (Decimal) shows the same value as stored
    assert [t["value"] for t in info["targets"]] == [D("100.0000"), D("100.0000")]


def test_d1_capaian_band_edges_with_decimals(demo):
    """capaian exactly 80% (10 of 12.5), exactly 100% (9.12 of 9.12), exactly 80% lower-is-better (14.4 of
    12 months: (2 - 1.2) x 100): the upper band applies (70, 109, 70), never 69.9999 or 88.9999."""
    s = clone_scheme(db.session, scheme("PP30-2019"))
    s.final_expression = "skp"
    db.session.flush()
    period = make_period(s)
    a, b, c = demo["employees"][4:7]
    make_plan(period, a, [[("kuantitas", "12.5", "10", "capaian_iki", False)]], ratings={"atasan": [[80] * 5]})
    make_plan(period, b, [[("kuantitas", "9.12", "9.12", "capaian_iki", False)]], ratings={"atasan": [[80] * 5]})
    make_plan(period, c, [[("waktu", "12", "14.4", "capaian_iki", True)]], ratings={"atasan": [[80] * 5]})
    score_period(db.session, period)
    assert result_of(period, a).skp_value == D("70.0000")
    assert result_of(period, b).skp_value == D("109.0000")
    assert result_of(period, c).skp_value == D("70.0000")


# --- D2: rounding before the predicate bands -----------------------------------------------------------

@pytest.mark.parametrize("value,decimals,mode,expected", [
    ("90.5", 0, "half_up", "Sangat Baik"),    # 90.5 -> 91 (away from zero)
    ("90.5", 0, "half_even", "Baik"),         # 90.5 -> 90 (to even)
    ("91.5", 0, "half_even", "Sangat Baik"),  # 91.5 -> 92
    ("90.4999", 0, "half_up", "Baik"),
    ("90.995", 2, "half_up", "Sangat Baik"),  # 90.995 -> 91.00
    ("90.985", 2, "half_even", "Baik"),       # 90.985 -> 90.98 (8 is even)
    ("90.985", 2, "half_up", "Baik"),         # 90.985 -> 90.99
    ("90.9999", None, "half_up", "Baik"),     # no rounding: compared as is
])
def test_d2_rounding_before_bands(demo, value, decimals, mode, expected):
    s = _pp46_skp_only()
    s.round_decimals, s.rounding_mode = decimals, mode
    db.session.flush()
    period = make_period(s)
    emp = demo["employees"][3]
    make_plan(period, emp, [[("kuantitas", 100, value, None, False)]], ratings=ATASAN_80)
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.final_value == D(value)
    assert r.predicate == expected
    assert explain_result(db.session, r)["band"]["label"] == expected


# --- D3: non-finite and absurd numbers never get in ---------------------------------------------------

def _realising_employee(client, demo):
    """Logged in as an employee whose approved 2026 SKP takes realisations (the record policy: only
    the employee records them, on an approved plan of a running period); returns one indicator."""
    from models import Target, User, WorkPlan

    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.period_id == demo["periods"]["2026"].id,
                                                    WorkPlan.status == "approved", WorkPlan.targets.any())
                             .order_by(WorkPlan.id))
    user = User(username="perealisasi", role="pegawai", full_name="Pegawai", employee_id=plan.employee_id,
                password_hash="x")
    db.session.add(user)
    db.session.commit()
    login_as(client, user)
    return db.session.scalar(select(Indicator).join(Target).where(Target.work_plan_id == plan.id)
                             .order_by(Indicator.id).limit(1))


@pytest.mark.parametrize("typed,message", [
    ("Infinity", "angka terhingga"), ("NaN", "angka terhingga"), ("sNaN", "angka terhingga"),
    ("1e400", "notasi eksponen"), ("100000000000000", "terlalu besar"), ("-5", "tidak boleh kurang dari 0"),
    ("1.234", "bisa berarti ribuan"), ("12,34567", "paling banyak 4 angka"),
])
def test_d3_realisation_form_refuses_with_a_message(client, demo, typed, message):
    indicator = _realising_employee(client, demo)
    before = len(indicator.realisations)
    rv = client.post("/admin/realisation/new/", data={"indicator": str(indicator.id), "value": typed},
                     follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200 and message in html
    assert "duplikat" not in html and "Basis data" not in html
    db.session.expire_all()
    assert len(db.session.get(Indicator, indicator.id).realisations) == before


def test_d3_realisation_form_accepts_indonesian_decimals(client, demo):
    indicator = _realising_employee(client, demo)
    for typed, stored in (("47,5", D("47.5")), ("1.234,5", D("1234.5")), ("47.5", D("47.5"))):
        rv = client.post("/admin/realisation/new/", data={"indicator": str(indicator.id), "value": typed})
        assert rv.status_code == 302, rv.get_data(as_text=True)[:500]
        latest = db.session.scalar(select(Realisation).where(Realisation.indicator_id == indicator.id)
                                   .order_by(Realisation.id.desc()).limit(1))
        assert latest.value == stored


@pytest.mark.parametrize("bad", [D("NaN"), D("Infinity"), float("inf"), D("1e400"), "1e400"])
def test_d3_no_orm_path_stores_a_non_finite_or_absurd_value(demo, bad):
    indicator = db.session.scalar(select(Indicator).order_by(Indicator.id).limit(1))
    with pytest.raises(NumberError):
        db.session.add(Realisation(indicator_id=indicator.id, value=bad))


# --- D4: a value beyond a score column fails that employee, with the reason -----------------------------

def test_d4_overflowing_value_fails_only_that_employee(demo):
    """Realisation 100000 of a target of 30 under PP 46/2011: kuantitas 333 333,33 does not fit a score
    column (NUMERIC(7,4)); that employee gets no value and a reason, the others are scored."""
    period = make_period(scheme("PP46-2011"))
    big, normal = demo["employees"][8:10]
    make_plan(period, big, [[("kuantitas", 30, 100000, None, False)]], ratings=ATASAN_80)
    make_plan(period, normal, [[("kuantitas", 30, 30, None, False)]], ratings=ATASAN_80)
    summary = score_period(db.session, period)
    db.session.commit()
    r = result_of(period, big)
    assert r.skp_value is None and r.final_value is None and r.predicate is None
    assert "di luar rentang" in r.note
    other = result_of(period, normal)
    assert (other.final_value, other.predicate) == (D("92.0000"), "Sangat Baik")  # 0.6 x 100 + 0.4 x 80
    assert summary["without_predicate"] == 1
    assert [f["nip"] for f in summary["failed"]] == [big.nip]
    assert big.name in summary_message(summary)


@pytest.mark.skipif(not SERVER_URL, reason="SQLite stores any number; only a server database refuses one")
def test_d4_remaining_database_overflow_is_an_indonesian_error_naming_the_employee(demo, monkeypatch):
    """If a value ever escaped the bounds checked in SQL, the database's refusal becomes a ScoringError
    naming the employee and the value, nothing is stored, and the session stays usable."""
    monkeypatch.setattr(engine_mod, "SCORE_LIMIT", D(10) ** 12)  # the SQL bounds switched off
    period = make_period(scheme("PP46-2011"))
    big = demo["employees"][8]
    make_plan(period, big, [[("kuantitas", 30, 100000, None, False)]], ratings=ATASAN_80)
    with pytest.raises(ScoringError) as err:
        score_period(db.session, period)
    assert big.name in str(err.value) and big.nip in str(err.value) and "333.333,3333" in str(err.value)
    assert result_of(period, big) is None


# --- D5: missing data by the scheme's policy ---------------------------------------------------------------

def _three_targets_one_realised(period, emp):
    make_plan(period, emp, [[("kuantitas", 10, 10, "capaian_iki", False)], [("kuantitas", 10, None, "capaian_iki", False)],
                            [("kuantitas", 10, None, "capaian_iki", False)]], ratings={"atasan": [[100] * 5]})


def test_d5_unrealised_indicators_count_zero_by_default(demo):
    """PP 30/2019: capaian 100% -> 109; the two unrealised targets count 0: (109 + 0 + 0) / 3."""
    s = scheme("PP30-2019")
    assert s.missing_realisation == "zero"
    period = make_period(s)
    emp = demo["employees"][11]
    _three_targets_one_realised(period, emp)
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.skp_value == D("36.3333")
    assert r.final_value == D("55.4333")  # 0.7 x 36.3333 + 0.3 x 100 = 55.43331 -> 55.4333
    assert r.predicate == "Kurang" and "2 indikator tanpa realisasi dihitung 0" in r.note


def test_d5_unrealised_indicators_block_when_the_scheme_says_so(demo):
    s = clone_scheme(db.session, scheme("PP30-2019"))
    s.missing_realisation = "block"
    db.session.flush()
    period = make_period(s)
    emp = demo["employees"][11]
    _three_targets_one_realised(period, emp)
    summary = score_period(db.session, period)
    r = result_of(period, emp)
    assert r.skp_value is None and r.predicate is None
    assert "2 indikator belum memiliki realisasi" in r.note
    assert summary["failed"][0]["reason"] == r.note
    assert "menahan nilai" in summary["policy"]


def test_d5_target_of_zero_blocks_instead_of_dropping_out(demo):
    period = make_period(scheme("PP30-2019"))
    emp = demo["employees"][12]
    make_plan(period, emp, [[("kuantitas", 10, 10, "capaian_iki", False)], [("kuantitas", 0, 5, "capaian_iki", False)]],
              ratings={"atasan": [[100] * 5]})
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.skp_value is None and "1 indikator bertarget 0" in r.note


def test_d5_pp46_unrealised_time_counts_zero_over_three_aspects(demo):
    """kuantitas 1/1 = 100, kualitas 90/100 = 90, waktu unrealised = 0: (100 + 90 + 0) / 3 = 63.3333."""
    s = _pp46_skp_only()
    period = make_period(s)
    emp = demo["employees"][13]
    make_plan(period, emp, [[("kuantitas", 1, 1, None, False), ("kualitas", 100, 90, None, False),
                             ("waktu", 12, None, None, True)]], ratings=ATASAN_80)
    score_period(db.session, period)
    assert result_of(period, emp).skp_value == D("63.3333")


# --- D6: IKM rounded to 2 decimals, then banded --------------------------------------------------------------

def test_d6_ikm_rounded_before_banding(demo):
    """43 responses with 1367 answer points over 9 elements: IKM = 25 x 1367 / (9 x 43) = 88.30749...;
    rounded once to 88.31 (half up), which is band A (88.31-100); unrounded it would be B."""
    from kinerja_admin.rating.ikm import ikm_for

    period = demo["periods"]["2025"]
    unit = db.session.scalar(select(Unit).where(Unit.code == "DINKES"))
    db.session.execute(delete(PublicFeedback).where(PublicFeedback.unit_id == unit.id))
    fours = 206  # 206 answers of 4 and 181 of 3 = 1367 points in 387 answers
    k = 0
    for _ in range(43):
        answers = {}
        for i in range(1, 10):
            answers[f"u{i}"] = 4 if k < fours else 3
            k += 1
        db.session.add(PublicFeedback(period_id=period.id, unit_id=unit.id, **answers))
    db.session.flush()
    res = ikm_for(db.session, period, unit.id)
    assert res.responses == 43 and D(88.305) < res.exact * 1 < D("88.31")
    assert res.value == D("88.31") and res.letter == "A"


# --- D7: a negative PP 46/2011 value gets the lowest band, with a note ----------------------------------------

def test_d7_negative_pp46_value_gets_the_lowest_band(demo):
    """TW 1, RW 5: RW/TW x 100 = 500 >= 76, so (1.76 - 5) / 1 x 100 = -324; final 0.6 x -324 + 0.4 x 80."""
    period = make_period(scheme("PP46-2011"))
    emp = demo["employees"][14]
    make_plan(period, emp, [[("waktu", 1, 5, None, True)]], ratings=ATASAN_80)
    summary = score_period(db.session, period)
    r = result_of(period, emp)
    assert r.skp_value == D("-324.0000") and r.final_value == D("-162.4000")
    assert r.predicate == "Buruk" and "predikat terendah" in r.note
    assert summary["without_predicate"] == 0
    assert explain_result(db.session, r)["band"]["label"] == "Buruk"


# --- D8: behaviour without the superior's rating -------------------------------------------------------------

def test_d8_missing_superior_blocks_behaviour_by_default(demo):
    s = scheme("PP30-2019-360")
    assert s.missing_superior == "block"
    period = make_period(s)
    emp = demo["employees"][15]
    make_plan(period, emp, [[("kuantitas", 10, 10, "capaian_iki", False)]],
              ratings={"rekan": [[80] * 5, [60] * 5], "bawahan": [[90] * 5]})
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.rekan_avg == D("70.0000") and r.behaviour_value is None and r.predicate is None
    assert "atasan belum menilai" in r.note


def test_d8_missing_superior_allowed_when_the_scheme_says_so(demo):
    s = clone_scheme(db.session, scheme("PP30-2019-360"))
    s.missing_superior = "allow"
    db.session.flush()
    period = make_period(s)
    emp = demo["employees"][15]
    make_plan(period, emp, [[("kuantitas", 10, 10, "capaian_iki", False)]],
              ratings={"rekan": [[80] * 5, [60] * 5], "bawahan": [[90] * 5]})
    score_period(db.session, period)
    r = result_of(period, emp)
    assert r.behaviour_value == D("78.0000")  # (70 x 30 + 90 x 20) / 50
    assert r.note is None
