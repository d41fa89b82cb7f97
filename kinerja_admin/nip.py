"""NIP (Nomor Induk Pegawai) validation and formatting, per DOMAIN.md.

PNS layout: ``YYYYMMDD YYYYMM G NNN`` = birth date, TMT CPNS (year + month), sex (1/2), serial.
PPPK layout: the month of the appointment part is replaced by a marker whose first digit (digit 13
of the NIP) is configurable (setting ``nip.pppk_digit13``, default ``2``).
Every message is in Indonesian because it is shown to clerks as is.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class NipError(ValueError):
    """An invalid NIP; ``str(err)`` is a user-facing Indonesian message."""


@dataclass(frozen=True)
class NipInfo:
    birth_date: dt.date
    appointed_year: int
    appointed_month: int | None
    sex: str  # "L" / "P"
    serial: int
    pppk: bool


def format_nip(nip: str | None) -> str:
    """``196711101992031001`` -> ``19671110 199203 1 001`` (unchanged when not 18 digits)."""
    if not nip or len(nip) != 18 or not nip.isdigit():
        return nip or ""
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def normalise_nip(raw: object) -> str:
    """Strip spaces, dots and dashes that clerks type or paste; keep text (never a float)."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        raise NipError("NIP harus diketik sebagai teks, bukan angka (Excel mengubahnya menjadi 1.96E+17).")
    text = str(raw).strip()
    for ch in " .-\u00a0":
        text = text.replace(ch, "")
    return text


def parse_nip(
    raw: object,
    employee_type: str | None = None,
    *,
    today: dt.date | None = None,
    pppk_digit13: str = "2",
    min_age_at_appointment: int = 17,
) -> NipInfo:
    """Validate a NIP and return what it encodes; raise NipError with an Indonesian message."""
    nip = normalise_nip(raw)
    today = today or dt.date.today()
    if not nip:
        raise NipError("NIP wajib diisi.")
    if not nip.isdigit():
        raise NipError("NIP hanya boleh berisi angka.")
    if len(nip) != 18:
        raise NipError(f"NIP harus 18 digit (yang diisi {len(nip)} digit).")
    try:
        birth = dt.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise NipError(f"Tanggal lahir pada NIP ({nip[6:8]}-{nip[4:6]}-{nip[0:4]}) tidak valid.") from None
    if birth > today:
        raise NipError("Tanggal lahir pada NIP berada di masa depan.")
    if birth.year < today.year - 100:
        raise NipError("Tahun lahir pada NIP tidak masuk akal.")
    year = int(nip[8:12])
    is_pppk = nip[12] == pppk_digit13
    if employee_type == "PPPK" and not is_pppk:
        raise NipError(f"NIP PPPK harus memiliki digit ke-13 bernilai {pppk_digit13}.")
    if employee_type == "PNS" and is_pppk:
        raise NipError("NIP ini berformat PPPK, tetapi jenis pegawai diisi PNS.")
    month: int | None = None
    if not is_pppk:
        month = int(nip[12:14])
        if not 1 <= month <= 12:
            raise NipError(f"Bulan TMT CPNS pada NIP ({nip[12:14]}) tidak valid.")
    if year > today.year or (month and year == today.year and month > today.month):
        raise NipError("TMT pengangkatan pada NIP berada di masa depan.")
    if year - birth.year < min_age_at_appointment:
        raise NipError(
            f"TMT pengangkatan pada NIP ({year}) terlalu dekat dengan tahun lahir ({birth.year})."
        )
    sex = nip[14]
    if sex not in "12":
        raise NipError(f"Digit jenis kelamin pada NIP harus 1 (laki-laki) atau 2 (perempuan), bukan {sex}.")
    serial = int(nip[15:18])
    if serial == 0:
        raise NipError("Nomor urut pada NIP tidak boleh 000.")
    return NipInfo(birth, year, month, "L" if sex == "1" else "P", serial, is_pppk)


def validate_nip(raw: object, employee_type: str | None = None, **kw) -> str:
    """Return the normalised NIP or raise NipError."""
    parse_nip(raw, employee_type, **kw)
    return normalise_nip(raw)
