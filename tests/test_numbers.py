"""The one number reader (kinerja_admin.numbers): Indonesian input, refusals with a message, column bounds,
the WTForms field and the model-layer guard."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import Numeric
from werkzeug.datastructures import MultiDict
from wtforms import Form

from kinerja_admin.numbers import Bounds, NumberError, NumberField, column_bounds, format_plain, parse_number
from models import Realisation, ScoreResult

VALUE = column_bounds(Realisation.__table__.c.value)  # NUMERIC(18,4), value >= 0
SCORE = column_bounds(ScoreResult.__table__.c.final_value)  # NUMERIC(7,4)


@pytest.mark.parametrize("typed,expected", [
    ("47,5", D("47.5")), ("47.5", D("47.5")), ("1.234,5", D("1234.5")), ("1,234.5", D("1234.5")),
    ("1.234.567", D("1234567")), ("1 234,5", D("1234.5")), ("0.125", D("0.125")), ("0,0001", D("0.0001")),
    ("+5", D(5)), (" 12 ", D(12)), ("99999999999999,9999", D("99999999999999.9999")), (7, D(7)),
    (47.5, D("47.5")), (D("3.25"), D("3.25")),
])
def test_accepts_indonesian_and_plain_numbers(typed, expected):
    assert parse_number(typed, VALUE) == expected


@pytest.mark.parametrize("typed,message", [
    ("NaN", "terhingga"), ("sNaN", "terhingga"), ("Infinity", "terhingga"), ("-inf", "terhingga"),
    (float("nan"), "terhingga"), (float("inf"), "terhingga"), (D("NaN"), "terhingga"),
    ("1e400", "eksponen"), ("4,7E1", "eksponen"), ("100000000000000", "terlalu besar"),
    ("1.234", "bisa berarti ribuan"), ("12.500", "bisa berarti ribuan"), ("1,23456", "paling banyak 4"),
    ("-0,5", "tidak boleh kurang dari 0"), ("satu", "harus berupa angka"), ("1.2.3", "tidak dikenali"),
    ("1,2,3", "tidak dikenali"), ("1.234,5.6", "tidak dikenali"), (True, "bukan benar/salah"),
])
def test_refuses_with_an_indonesian_message(typed, message):
    with pytest.raises(NumberError) as err:
        parse_number(typed, VALUE, "Realisasi")
    assert message in str(err.value)


def test_bounds_follow_the_column_precision():
    assert SCORE.max_abs == D("999.9999") and SCORE.places == 4 and SCORE.minimum is None
    assert VALUE.minimum == 0
    assert parse_number("-999,9999", SCORE) == D("-999.9999")
    with pytest.raises(NumberError):
        parse_number("1000", SCORE)
    assert Bounds.of_type(Numeric(5, 2)).max_abs == D("999.99")


def test_empty_input_is_none_unless_required():
    assert parse_number("  ", VALUE) is None and parse_number(None, VALUE) is None
    with pytest.raises(NumberError, match="wajib diisi"):
        parse_number("", VALUE, "Target", required=True)


def test_stored_values_are_shown_so_that_they_read_back():
    for value in (D("1234.5000"), D("1000"), D("0.0001"), D("85.5")):
        shown = format_plain(value)
        assert "." not in shown and parse_number(shown, VALUE) == value


def test_field_reads_indonesian_and_reports_errors():
    class F(Form):
        value = NumberField("Realisasi", bounds=VALUE, required=True)

    form = F(MultiDict({"value": "47,5"}))
    assert form.validate() and form.value.data == D("47.5")
    form = F(MultiDict({"value": "Infinity"}))
    assert not form.validate() and "terhingga" in form.value.errors[0]
    form = F(data={"value": D("1234.5000")})
    assert 'value="1234,5"' in form.value() and 'inputmode="decimal"' in form.value()


def test_model_guard_on_every_numeric_column():
    with pytest.raises(NumberError, match="terlalu besar"):
        ScoreResult(final_value=D("1000"))
    with pytest.raises(NumberError, match="terhingga"):
        ScoreResult(skp_value=float("nan"))
    r = ScoreResult(final_value=85.5)
    assert r.final_value == D("85.5")  # floats become exact decimals
