"""IKM (PermenPANRB 14/2017): mean of the 9 element means x 25, rounded once at the end; bands
from the ikm_band table; the masyarakat rater role from named-employee feedback."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from kinerja_admin.extensions import db
from kinerja_admin.rating.ikm import (
    band_for,
    ikm_by_unit,
    ikm_exact,
    ikm_for,
    masyarakat_scores,
    round_half_up,
    scale_public_score,
)
from models import Employee, Period, PublicFeedback, Setting, Unit


def _unit(code="PUSK", public=True):
    u = Unit(code=code, name=f"Unit {code}", kind="Dinas", public_facing=public, slug=code.lower())
    db.session.add(u)
    db.session.flush()
    return u


def _period(code="2030", status="running"):
    p = Period(code=code, name=f"Periode {code}", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31),
               status=status)
    db.session.add(p)
    db.session.flush()
    return p


def _answer(period, unit, values, **extra):
    row = PublicFeedback(period_id=period.id, unit_id=unit.id, **{f"u{i}": v for i, v in enumerate(values, 1)},
                         **extra)
    db.session.add(row)
    return row


def test_worked_example_rounds_only_at_the_end(app):
    """Three respondents; every element mean is 10/3 = 3.333...

    Exact: 10/3 x 25 = 83.333... -> 83.33 (B Baik). Rounding the element means to 2 decimals first
    would give 3.33 x 25 = 83.25, and the regulation's 0.111 weights 3.33 x 0.111 x 9 x 25 = 83.16:
    only the exact computation gives 83.33."""
    unit, period = _unit(), _period()
    for answers in ([3] * 9, [3] * 9, [4] * 9):
        _answer(period, unit, answers)
    db.session.commit()
    res = ikm_for(db.session, period, unit.id)
    assert res.responses == 3
    assert res.element_means["U1"] == Fraction(10, 3)
    assert res.exact == Fraction(250, 3)
    assert res.value == Decimal("83.33")
    assert (res.letter, res.label) == ("B", "Baik")


def test_mixed_elements_exact_mean_of_means(app):
    """Element sums over 4 responses: 13, 10, 16, 9, 12, 11, 15, 8, 14 (total 108).
    mean of means = 108 / 36 = 3 -> IKM 75.00 exactly (C Kurang Baik)."""
    unit, period = _unit(), _period()
    rows = [
        [4, 3, 4, 2, 3, 3, 4, 2, 4],
        [3, 2, 4, 3, 3, 2, 4, 2, 3],
        [3, 2, 4, 2, 3, 3, 4, 2, 4],
        [3, 3, 4, 2, 3, 3, 3, 2, 3],
    ]
    for r in rows:
        _answer(period, unit, r)
    db.session.commit()
    res = ikm_for(db.session, period, unit.id)
    sums = [sum(col) for col in zip(*rows)]
    assert sums == [13, 10, 16, 9, 12, 11, 15, 8, 14]
    assert res.exact == Fraction(75)
    assert res.value == Decimal("75.00")
    assert res.letter == "C"
    by_unit = ikm_by_unit(db.session, period)
    assert [(r.unit_id, r.value) for r in by_unit] == [(unit.id, Decimal("75.00"))]


def test_half_up_rounding_at_the_end():
    # 25 * S / (9 n) with S = 1 + ... : choose a value whose third decimal is exactly 5
    assert round_half_up(Fraction(88305, 1000)) == Decimal("88.31")
    assert round_half_up(Fraction(88304999, 1000000)) == Decimal("88.30")
    assert ikm_exact([1] * 9, 1) == 25
    assert ikm_exact([4] * 9, 1) == 100
    with pytest.raises(ValueError):
        ikm_exact([1] * 9, 0)


@pytest.mark.parametrize("value,letter", [
    ("100.00", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"), ("65.00", "C"),
    ("64.99", "D"), ("25.00", "D"),
])
def test_band_edges(app, value, letter):
    band = band_for(db.session, Decimal(value))
    assert band is not None and band.letter == letter


def test_band_follows_the_table(app):
    from models import IkmBand

    band = db.session.scalar(db.select(IkmBand).where(IkmBand.letter == "A"))
    band.lower = Decimal("90.00")
    db.session.commit()
    assert band_for(db.session, Decimal("89.00")) is None  # between B's upper 88.30 and A's new lower
    assert band_for(db.session, Decimal("90.00")).letter == "A"


def test_no_feedback_no_index(app):
    unit, period = _unit(), _period()
    db.session.commit()
    res = ikm_for(db.session, period, unit.id)
    assert res.responses == 0 and res.value is None and res.letter is None


# --- masyarakat rater role -------------------------------------------------------------------

def _employee(unit, nip="199001012015031001"):
    e = Employee(nip=nip, name="Petugas Loket", unit_id=unit.id)
    db.session.add(e)
    db.session.flush()
    return e


def test_public_scores_need_public_unit_and_min_responses(app):
    db.session.get(Setting, "public.min_responses").value = "3"
    public, private = _unit("PUB", True), _unit("PRIV", False)
    period = _period()
    e_pub, e_priv = _employee(public, "199001012015031001"), _employee(private, "199001012015031002")
    for score in (4, 3):
        _answer(period, public, [3] * 9, employee_id=e_pub.id, employee_score=score)
    for score in (4, 4, 4):
        _answer(period, private, [3] * 9, employee_id=e_priv.id, employee_score=score)
    db.session.commit()
    assert masyarakat_scores(db.session, period) == {}  # 2 responses < 3; private unit never counts
    _answer(period, public, [3] * 9, employee_id=e_pub.id, employee_score=2)
    db.session.commit()
    scores = masyarakat_scores(db.session, period)
    assert set(scores) == {e_pub.id}
    assert scores[e_pub.id].responses == 3
    assert scores[e_pub.id].mean == Fraction(3)
    # no scheme on the period: the 1-4 scale is kept as is
    assert scores[e_pub.id].scaled == Decimal("3.0000")


def test_public_score_scale_mapping():
    assert scale_public_score(Fraction(1), Decimal(1), Decimal(5)) == Decimal("1.0000")
    assert scale_public_score(Fraction(4), Decimal(1), Decimal(5)) == Decimal("5.0000")
    assert scale_public_score(Fraction(5, 2), Decimal(1), Decimal(5)) == Decimal("3.0000")
    assert scale_public_score(Fraction(3), Decimal(0), Decimal(100)) == Decimal("66.6667")


def test_ikm_admin_page(client, demo):
    from tests.conftest import login_as

    login_as(client, demo["users"]["operator"])
    rv = client.get("/admin/ikm/?periode=2025")
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200
    expected = ikm_by_unit(db.session, "2025")
    assert expected, "the demo city has public feedback for 2025"
    for res in expected:
        assert res.unit_name in html
        assert f"{res.value:.2f}".replace(".", ",") in html
    login_as(client, demo["users"]["pegawai"])
    assert client.get("/admin/ikm/").status_code == 403
