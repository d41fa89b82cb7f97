"""Indonesian formatting for dates, times and numbers in templates and admin lists (Excel keeps
real numbers). One voice for the whole UI:

* numbers use Indonesian separators and a fixed number of decimals per kind of value: scores
  (nilai) always 2 (``92,07``), weights and percentages 0-2 (``50``, ``47,5``, ``33,33``), counts 0;
* times are stored in UTC and always shown in the instance's time zone (setting
  ``tampilan.zona_waktu``, WIB by default) with the zone's Indonesian abbreviation.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

from models.base import ROLES

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember"]
# Indonesian names of the country's zones (others show their own abbreviation)
ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT",
               "UTC": "UTC"}
DEFAULT_ZONE = "Asia/Jakarta"
_ZONE_KEY = "kinerja.zone"


def _as_datetime(value):
    """An ISO string as a datetime; ``""`` for nothing; any other text as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def tanggal(value, with_time: bool = False) -> str:
    """``28 November 2026`` (and ``pukul 14.05`` when asked). The value is shown as it is: pass
    a UTC timestamp through `waktu`, which converts it to the instance's zone first."""
    value = _as_datetime(value)
    if not isinstance(value, (dt.date, dt.datetime)):
        return value
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if with_time and isinstance(value, dt.datetime):
        text += f" pukul {value.hour:02d}.{value.minute:02d}"
    return text


def instance_zone() -> str:
    """The zone name of the instance (setting tampilan.zona_waktu), read once per request."""
    from flask import current_app, has_app_context, has_request_context, request

    if has_request_context() and _ZONE_KEY in request.environ:
        return request.environ[_ZONE_KEY]
    zone = None
    if has_app_context():
        try:
            from .settings import get_setting

            zone = get_setting("tampilan.zona_waktu")
        except Exception:  # no settings table yet (first start) or a broken value
            zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE")
    zone = zone or DEFAULT_ZONE
    if has_request_context():
        request.environ[_ZONE_KEY] = zone
    return zone


def to_local(value: dt.datetime | None, zone: str | None = None) -> tuple[dt.datetime | None, str]:
    """A naive UTC datetime as naive local time of the instance's zone, with the zone's label."""
    if value is None:
        return None, ""
    from zoneinfo import ZoneInfo

    zone = zone or instance_zone()
    try:
        tz = ZoneInfo(zone)
    except Exception:  # unknown zone name: show UTC, say so
        tz, zone = ZoneInfo("UTC"), "UTC"
    local = value.replace(tzinfo=dt.timezone.utc).astimezone(tz)
    return local.replace(tzinfo=None), ZONE_LABELS.get(zone) or local.tzname() or zone


def waktu(value, with_zone: bool = True) -> str:
    """A stored (UTC) timestamp as ``28 November 2026 pukul 21.05 WIB``; dates stay dates."""
    value = _as_datetime(value)
    if not isinstance(value, (dt.date, dt.datetime)):
        return value
    if not isinstance(value, dt.datetime):
        return tanggal(value)
    local, label = to_local(value)
    return tanggal(local, with_time=True) + (f" {label}" if with_zone and label else "")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def angka(value, decimals: int | None = None) -> str:
    """``1.234,56`` (Indonesian separators); `decimals` fixes the number of decimals."""
    if value is None or value == "":
        return ""
    if decimals is not None:
        d = _decimal(value)
        if d is None:
            return str(value)
        value = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=fmt, locale="id_ID")
    return format_decimal(value, locale="id_ID")


def skor(value) -> str:
    """A score (nilai SKP, perilaku, akhir, rerata): always 2 decimals, rounded half up."""
    return angka(value, 2)


def bobot(value, max_decimals: int = 2) -> str:
    """A weight, percentage, target or realisation: 0 to 2 decimals, no trailing zeros
    (``50``, ``47,5``, ``33,33``)."""
    d = _decimal(value)
    if d is None:
        return "" if value in (None, "") else str(value)
    d = d.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP)
    return format_decimal(d, format="#,##0." + "#" * max_decimals, locale="id_ID")


def persen(value, max_decimals: int = 1) -> str:
    """``60 %``-style share: up to one decimal by default, with the percent sign."""
    text = bobot(value, max_decimals)
    return f"{text}%" if text else ""


def init_app(app) -> None:
    app.jinja_env.filters["tanggal"] = tanggal
    app.jinja_env.filters["waktu"] = waktu
    app.jinja_env.filters["angka"] = angka
    app.jinja_env.filters["skor"] = skor
    app.jinja_env.filters["bobot"] = bobot
    app.jinja_env.filters["persen"] = persen
    app.jinja_env.globals["role_label"] = lambda r: ROLES.get(r, r)
