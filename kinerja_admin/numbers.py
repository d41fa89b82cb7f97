"""The one way numbers typed by people (forms) or found in workbooks (imports) become Decimals, and the
model-layer guard that keeps every Numeric column finite and inside its precision.

Accepted: Indonesian ``47,5`` and ``1.234,5``, plain ``47.5`` and ``1234.5678``, a leading sign,
spaces as thousands separators. Refused, each with an Indonesian message: words (``NaN``, ``sNaN``,
``Infinity``), exponents (``1e400``), more decimals than the column keeps, magnitudes beyond the
column's precision, and the ambiguous ``1.234`` (one dot before exactly three digits: a thousands dot
in Indonesian, a decimal point elsewhere), which the user writes as ``1234`` or ``1,234``.

Used by: :class:`NumberField` (every Numeric column of every admin form, through the form converter
in ``views/base.py``), the rating service, the Excel import, and :func:`install_model_guard`
(attribute events on every mapped Numeric column, so no path through the ORM stores NaN, Infinity or
an out-of-range value).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from wtforms import Field
from wtforms.widgets import TextInput

DEFAULT_PLACES = 4
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009_']")
_PLAIN = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_GROUPED_DOTS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_GROUPED_COMMAS = re.compile(r"^\d{1,3}(?:,\d{3})+$")


class NumberError(ValueError):
    """A number that may not be stored; the message is Indonesian and names the field."""


@dataclass(frozen=True)
class Bounds:
    """What a column can hold: at most `places` decimals, |value| <= max_abs, value >= minimum."""

    places: int = DEFAULT_PLACES
    max_abs: Optional[Decimal] = None
    minimum: Optional[Decimal] = None

    @classmethod
    def of_type(cls, type_, minimum: Optional[Decimal] = None) -> "Bounds":
        """Bounds of a SQLAlchemy Numeric(precision, scale) type."""
        precision, scale = getattr(type_, "precision", None), getattr(type_, "scale", None)
        places = DEFAULT_PLACES if scale is None else int(scale)
        max_abs = None
        if precision is not None:
            max_abs = Decimal(10) ** (int(precision) - places) - Decimal(1).scaleb(-places)
        return cls(places, max_abs, minimum)


def column_bounds(column) -> Bounds:
    """Bounds of a mapped Numeric column, with minimum 0 where the table checks ``column >= 0``."""
    minimum = None
    table = getattr(column, "table", None)
    for constraint in getattr(table, "constraints", ()):
        sqltext = getattr(constraint, "sqltext", None)
        text = "" if sqltext is None else str(sqltext).replace(" ", "")
        if text == f"{column.name}>=0":
            minimum = Decimal(0)
    return Bounds.of_type(column.type, minimum)


def format_plain(value: Decimal, places: int = DEFAULT_PLACES) -> str:
    """``1234,5``: Indonesian decimal comma, no thousands separator (so it reads back unambiguously)."""
    d = Decimal(value)
    if d == d.to_integral_value():
        text = format(d.quantize(Decimal(1)), "f")
    else:
        text = format(d.normalize(), "f")
    return text.replace(".", ",")


def format_id(value: Decimal) -> str:
    """``1.234.567,8901``: Indonesian separators, for messages."""
    d = Decimal(value)
    sign = "-" if d < 0 else ""
    whole, _, frac = format(abs(d).normalize(), "f").partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def _from_text(text: str, label: str) -> Decimal:
    raw = text
    text = _SPACES.sub("", text)
    if not text:
        raise NumberError(f"{label} wajib diisi.")
    sign = ""
    if text[0] in "+-":
        sign, text = text[0], text[1:]
    word = text.lower()
    if word in ("nan", "snan", "qnan", "inf", "infinity", "∞"):
        raise NumberError(f"{label} harus berupa angka terhingga; '{raw.strip()[:40]}' tidak diterima.")
    if re.fullmatch(r"[\d.,]+e[+-]?\d+", word):
        raise NumberError(f"{label}: tulis angka tanpa notasi eksponen (e), misalnya 1500 bukan 1.5e3.")
    if not text or not re.fullmatch(r"[\d.,]+", text) or not text[0].isdigit() or not text[-1].isdigit():
        raise NumberError(f"{label} harus berupa angka (contoh 47,5 atau 1.234,5), bukan '{raw.strip()[:40]}'.")
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        # the separator that comes last is the decimal one; the other groups thousands
        dec, thou = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        whole, frac = text.rsplit(dec, 1)
        grouped = _GROUPED_DOTS if thou == "." else _GROUPED_COMMAS
        if dec in whole or not grouped.match(whole):
            raise NumberError(f"{label}: penulisan angka '{raw.strip()[:40]}' tidak dikenali; tulis misalnya "
                              "1.234,5 atau 1234,5.")
        text = whole.replace(thou, "") + "." + frac
    elif commas:
        if commas == 1:
            text = text.replace(",", ".")
        elif _GROUPED_COMMAS.match(text):
            text = text.replace(",", "")
        else:
            raise NumberError(f"{label}: penulisan angka '{raw.strip()[:40]}' tidak dikenali; tulis misalnya 1234,5.")
    elif dots:
        if dots > 1:
            if not _GROUPED_DOTS.match(text):
                raise NumberError(f"{label}: penulisan angka '{raw.strip()[:40]}' tidak dikenali; tulis misalnya "
                                  "1.234.567 atau 1234567.")
            text = text.replace(".", "")
        elif re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", text):
            raise NumberError(f"{label}: '{raw.strip()[:40]}' bisa berarti ribuan (titik ribuan) atau pecahan "
                              f"(titik desimal). Tulis {text.replace('.', '')} untuk ribuan atau "
                              f"{text.replace('.', ',')} untuk pecahan.")
    if not _PLAIN.match(text):
        raise NumberError(f"{label} harus berupa angka (contoh 47,5 atau 1.234,5).")
    return Decimal(sign + text)


def to_decimal(raw: Any, label: str = "Nilai") -> Optional[Decimal]:
    """Any input (text, int, float, Decimal) as a finite Decimal; None for an empty input."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise NumberError(f"{label} harus berupa angka, bukan benar/salah.")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise NumberError(f"{label} harus berupa angka terhingga (bukan NaN atau tak hingga).")
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise NumberError(f"{label} harus berupa angka terhingga (bukan NaN atau tak hingga).")
        return raw
    text = str(raw)
    if not text.strip():
        return None
    try:
        return _from_text(text, label)
    except InvalidOperation:  # pragma: no cover - the patterns above only let digits through
        raise NumberError(f"{label} harus berupa angka.") from None


def check(value: Decimal, bounds: Bounds, label: str = "Nilai", *, places: bool = True) -> Decimal:
    """Refuse a value the column cannot hold exactly (decimals, magnitude, minimum)."""
    if not value.is_finite():
        raise NumberError(f"{label} harus berupa angka terhingga (bukan NaN atau tak hingga).")
    if bounds.max_abs is not None and abs(value) > bounds.max_abs:
        raise NumberError(f"{label} terlalu besar: paling besar {format_id(bounds.max_abs)}.")
    if places and value.as_tuple().exponent < -bounds.places:
        raise NumberError(f"{label} paling banyak {bounds.places} angka di belakang koma.")
    if bounds.minimum is not None and value < bounds.minimum:
        raise NumberError(f"{label} tidak boleh kurang dari {format_id(bounds.minimum)}.")
    return value


def parse_number(raw: Any, bounds: Bounds = Bounds(), label: str = "Nilai", *,
                 required: bool = False) -> Optional[Decimal]:
    """Parse and bound-check one input. Empty gives None unless `required`."""
    value = to_decimal(raw, label)
    if value is None:
        if required:
            raise NumberError(f"{label} wajib diisi.")
        return None
    return check(value, bounds, label)


# --- WTForms --------------------------------------------------------------------------------------

class NumberField(Field):
    """A text input read with :func:`parse_number`; shows stored values as ``1234,5``.

    ``bounds`` come from the model column (the admin's form converter) or are given explicitly."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, bounds: Bounds = Bounds(), required: bool = False,
                 **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "decimal")
        render_kw.setdefault("autocomplete", "off")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.bounds = bounds
        self.required_number = required

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        try:
            return format_plain(Decimal(self.data), self.bounds.places)
        except (InvalidOperation, TypeError, ValueError):
            return str(self.data)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        label = str(self.label.text) if self.label else "Nilai"
        try:
            self.data = parse_number(valuelist[0], self.bounds, label, required=self.required_number)
        except NumberError as err:
            raise ValueError(str(err)) from None


# --- model-layer guard -----------------------------------------------------------------------------

def _guard(bounds: Bounds, label: str):
    def on_set(target, value, oldvalue, initiator):
        if value is None:
            return value
        number = to_decimal(value, label)
        if number is None:
            return None
        # decimals beyond the scale are rounded by the database as before; non-finite numbers and
        # magnitudes beyond the precision never reach it
        return check(number, bounds, label, places=False)

    return on_set


_installed: set = set()


def new_column_attrs(base, installed: set):
    """(class, column property) of every class mapped on `base` not yet in `installed` (added to it):
    the classes a model-level guard has still to be attached to."""
    for mapper in base.registry.mappers:
        cls = mapper.class_
        if cls in installed:
            continue
        installed.add(cls)
        for prop in mapper.column_attrs:
            yield cls, prop


def install_model_guard(base) -> None:
    """Attach a 'set' listener to every Numeric (not Float) column of every class mapped on `base`
    (once per class), converting floats/strings to Decimal and refusing NaN, Infinity and magnitudes
    beyond the column's precision with a NumberError."""
    from sqlalchemy import Float, Numeric, event

    for cls, prop in new_column_attrs(base, _installed):
        column = prop.columns[0]
        if isinstance(column.type, Numeric) and not isinstance(column.type, Float):
            label = f"Nilai {column.table.name}.{column.name}"
            event.listen(getattr(cls, prop.key), "set", _guard(column_bounds(column), label), retval=True)
