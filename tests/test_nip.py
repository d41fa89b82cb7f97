"""NIP validation per DOMAIN.md: YYYYMMDD YYYYMM G NNN, stored as text."""
import datetime as dt

import pytest

from kinerja_admin.nip import NipError, format_nip, normalise_nip, parse_nip

TODAY = dt.date(2026, 11, 28)


def test_domain_example_is_valid_and_decoded():
    info = parse_nip("196711101992031001", "PNS", today=TODAY)
    assert info.birth_date == dt.date(1967, 11, 10)
    assert (info.appointed_year, info.appointed_month) == (1992, 3)
    assert info.sex == "L" and info.serial == 1 and not info.pppk


def test_display_format_and_normalisation():
    assert format_nip("196711101992031001") == "19671110 199203 1 001"
    assert normalise_nip("19671110 199203 1 001") == "196711101992031001"


@pytest.mark.parametrize(
    "nip, fragment",
    [
        ("19671110199203100", "18 digit"),           # 17 digits
        ("1967111019920310011", "18 digit"),         # 19 digits
        ("19671110199203100A", "angka"),             # non-digit
        ("196702301992031001", "Tanggal lahir"),     # 30 February
        ("196713101992031001", "Tanggal lahir"),     # month 13
        ("203001011992031001", "masa depan"),        # born in the future
        ("196711101992131001", "Bulan TMT"),         # TMT month 13
        ("196711101992033001", "jenis kelamin"),     # sex digit 3
        ("196711101992030001", "jenis kelamin"),     # sex digit 0
        ("196711101992031000", "000"),               # serial 000
        ("196711101975031001", "terlalu dekat"),     # appointed at 7 years old
        ("199001012030011001", "masa depan"),        # TMT in the future
    ],
)
def test_invalid_nips_are_refused_with_indonesian_reason(nip, fragment):
    with pytest.raises(NipError) as err:
        parse_nip(nip, "PNS", today=TODAY)
    assert fragment in str(err.value)


def test_excel_float_is_refused():
    with pytest.raises(NipError, match="teks"):
        normalise_nip(1.96711101992031e17)


def test_pppk_marker_digit_13():
    pppk = "199001012022212001"  # birth 1990-01-01, year 2022, marker 21, female, 001
    assert parse_nip(pppk, "PPPK", today=TODAY).pppk
    with pytest.raises(NipError, match="PPPK"):
        parse_nip("196711101992031001", "PPPK", today=TODAY)
    with pytest.raises(NipError, match="PPPK"):
        parse_nip(pppk, "PNS", today=TODAY)
