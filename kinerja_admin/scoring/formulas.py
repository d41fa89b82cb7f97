"""Named built-in indicator formulas, in two forms that must agree:

* a plain-Python reference over Decimal (used by tests, the explanation page and inspectors), and
* a SQLAlchemy Core expression builder (used by the set-based engine), portable to SQLite,
  PostgreSQL and MariaDB.

Portability notes: SQLite stores integral NUMERIC values as INTEGER, so every division is written
as ``a * 100.0 / b`` (a decimal literal first) to avoid integer division; comparisons at regulatory
boundaries (the PP 46/2011 24% efficiency edge) are rearranged to avoid division altogether, so
"exactly 24%" is decided exactly on every database.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from sqlalchemy import Numeric, and_, case, literal_column, null

D = Decimal
HUNDRED = D(100)


def num(value) -> "literal_column":
    """An inline decimal literal (always with a decimal point, typed Numeric)."""
    d = D(str(value))
    text = format(d, "f")
    if "." not in text:
        text += ".0"
    return literal_column(text, Numeric(18, 6))


# --- plain-Python reference -------------------------------------------------------------------

def ref_ratio(realised: Decimal, target: Decimal) -> Optional[Decimal]:
    if target is None or realised is None or target == 0:
        return None
    return D(realised) * HUNDRED / D(target)


def ref_pp46_time(realised: Decimal, target: Decimal) -> Optional[Decimal]:
    """PP 46/2011 waktu (and biaya with TB/RB): efficiency EW = 100 - RW/TW*100.

    EW <= 24: (1.76*TW - RW)/TW*100; EW > 24: 76 - ((1.76*TW - RW)/TW*100 - 100).
    """
    if target is None or realised is None or target == 0:
        return None
    tw, rw = D(target), D(realised)
    base = (D("1.76") * tw - rw) * HUNDRED / tw
    # EW <= 24  <=>  RW*100 >= 76*TW (TW > 0): decided without division
    if rw * HUNDRED >= D(76) * tw:
        return base
    return D(76) - (base - HUNDRED)


def ref_capaian(realised: Decimal, target: Decimal, lower_is_better: bool) -> Optional[Decimal]:
    """Capaian IKI in percent: r/t*100, or (2 - r/t)*100 when lower is better; never below 0."""
    if target is None or realised is None or target == 0:
        return None
    t, r = D(target), D(realised)
    c = (2 * t - r) * HUNDRED / t if lower_is_better else r * HUNDRED / t
    return max(c, D(0))


@dataclass(frozen=True)
class Band:
    """AchievementBand as plain data: [lower, upper) -> value_from .. value_to over lower..span_to."""

    lower: Decimal
    upper: Optional[Decimal]
    value_from: Decimal
    value_to: Optional[Decimal] = None
    span_to: Optional[Decimal] = None

    @property
    def linear(self) -> bool:
        return self.value_to is not None and self.span_to is not None and self.span_to != self.lower


def bands_from_rows(rows) -> list[Band]:
    return [Band(D(r.lower), None if r.upper is None else D(r.upper), D(r.value_from),
                 None if r.value_to is None else D(r.value_to), None if r.span_to is None else D(r.span_to))
            for r in sorted(rows, key=lambda r: r.lower)]


def ref_map_bands(c: Optional[Decimal], bands: Sequence[Band]) -> Optional[Decimal]:
    """Map an achievement to a value through the bands; the raw achievement when there are none."""
    if c is None:
        return None
    if not bands:
        return c
    for b in bands:
        if c >= b.lower and (b.upper is None or c < b.upper):
            if b.linear:
                return b.value_from + (c - b.lower) * (b.value_to - b.value_from) / (b.span_to - b.lower)
            return b.value_from
    return None


def ref_capaian_iki(realised, target, lower_is_better, bands) -> Optional[Decimal]:
    return ref_map_bands(ref_capaian(realised, target, lower_is_better), bands)


def reference_value(code: str, realised, target, lower_is_better: bool, bands: Sequence[Band]):
    """Indicator value by the named formula (None when it cannot be computed)."""
    fn = FORMULAS[code].ref
    return fn(realised, target, lower_is_better, bands)


# --- SQL builders ---------------------------------------------------------------------------

def sql_ratio(r, t):
    return case((t == 0, null()), else_=r * num(100) / t)


def sql_pp46_time(r, t):
    base = (num("1.76") * t - r) * num(100) / t
    return case(
        (t == 0, null()),
        (r * num(100) >= num(76) * t, base),
        else_=num(76) - (base - num(100)),
    )


def sql_capaian(r, t, lower_is_better):
    raw = case((lower_is_better, (num(2) * t - r) * num(100) / t), else_=r * num(100) / t)
    return case((t == 0, null()), (raw < num(0), num(0)), else_=raw)


def sql_map_bands(c, bands: Sequence[Band]):
    if not bands:
        return c
    whens = []
    for b in bands:
        cond = c >= num(b.lower) if b.upper is None else and_(c >= num(b.lower), c < num(b.upper))
        if b.linear:
            value = num(b.value_from) + (c - num(b.lower)) * num(b.value_to - b.value_from) / num(b.span_to - b.lower)
        else:
            value = num(b.value_from)
        whens.append((cond, value))
    return case(*whens, else_=null())


@dataclass(frozen=True)
class Formula:
    code: str
    label: str
    ref: Callable
    sql: Callable  # (realised_col, target_col, lower_is_better_col, bands) -> SQL expression
    # Optional two-stage form of `sql` for set-based use: post(pre(r, t, lib), bands) == sql(r, t, lib, bands).
    # The engine computes `pre` once per indicator in an inner query and maps it in an outer one, instead
    # of repeating the inner expression in every branch of the band CASE.
    pre: Optional[Callable] = None  # (realised_col, target_col, lower_is_better_col) -> SQL expression
    post: Optional[Callable] = None  # (pre_col, bands) -> SQL expression


FORMULAS: dict[str, Formula] = {
    "pp46_kuantitas": Formula("pp46_kuantitas", "PP 46/2011 kuantitas: RO/TO x 100",
                              lambda r, t, lib, b: ref_ratio(r, t), lambda r, t, lib, b: sql_ratio(r, t)),
    "pp46_kualitas": Formula("pp46_kualitas", "PP 46/2011 kualitas: RK/TK x 100",
                             lambda r, t, lib, b: ref_ratio(r, t), lambda r, t, lib, b: sql_ratio(r, t)),
    "pp46_waktu": Formula("pp46_waktu", "PP 46/2011 waktu (batas efisiensi 24%)",
                          lambda r, t, lib, b: ref_pp46_time(r, t), lambda r, t, lib, b: sql_pp46_time(r, t)),
    "pp46_biaya": Formula("pp46_biaya", "PP 46/2011 biaya (batas efisiensi 24%)",
                          lambda r, t, lib, b: ref_pp46_time(r, t), lambda r, t, lib, b: sql_pp46_time(r, t)),
    "capaian_iki": Formula("capaian_iki", "Capaian IKI PermenPANRB 8/2021 (dipetakan ke nilai)",
                           ref_capaian_iki, lambda r, t, lib, b: sql_map_bands(sql_capaian(r, t, lib), b),
                           pre=sql_capaian, post=sql_map_bands),
}

FORMULA_CHOICES = [(f.code, f.label) for f in FORMULAS.values()]
