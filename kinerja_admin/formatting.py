"""Indonesian formatting for dates and numbers in templates (Excel keeps real numbers)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_decimal

from models.base import ROLES

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember"]


def tanggal(value, with_time: bool = False) -> str:
    """``28 November 2026`` (and ``pukul 14.05`` when asked)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if with_time and isinstance(value, dt.datetime):
        text += f" pukul {value.hour:02d}.{value.minute:02d}"
    return text


def angka(value, decimals: int | None = None) -> str:
    """``1.234,56`` (Indonesian separators)."""
    if value is None or value == "":
        return ""
    if decimals is not None:
        value = round(Decimal(str(value)), decimals)
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=fmt, locale="id_ID")
    return format_decimal(value, locale="id_ID")


def init_app(app) -> None:
    app.jinja_env.filters["tanggal"] = tanggal
    app.jinja_env.filters["angka"] = angka
    app.jinja_env.globals["role_label"] = lambda r: ROLES.get(r, r)
