"""Named built-in indicator formulas, in two forms that must agree:

* a plain-Python reference over Decimal (used by tests, the explanation page and inspectors), and
* a SQLAlchemy Core expression builder (used by the set-based engine), portable to SQLite,
  PostgreSQL and MariaDB.

Portability notes: SQLite stores integral NUMERIC values as INTEGER, so every division is written
as ``a * 100.0 / b`` (a decimal literal first) to avoid integer division. Every branch decision (the
PP 46/2011 24% efficiency edge, the capaian bands, the floor at 0) is made by :class:`Exact` on the
stored inputs, never on a computed float: "exactly 24%" with RW 9.12 of TW 12 is decided exactly on
SQLite (binary doubles), PostgreSQL and MariaDB (decimals) alike.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Optional

from sqlalchemy import BigInteger, Numeric, case, cast, func, literal_column, null

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


# --- exact decisions in SQL ---------------------------------------------------------------------

@dataclass(frozen=True)
class Exact:
    """Branch decisions (the PP 46/2011 24% edge, capaian bands, the floor at 0) decided exactly on
    every database.

    Capaian is c = 100 x / t with the numerator x = r (higher is better) or 2t - r (lower is better),
    so ``c >= L``  <=>  ``x >= (L / 100) t`` (t > 0): no division. PostgreSQL and MariaDB compare these
    decimals as they are. SQLite keeps NUMERIC values as binary doubles (9.12 * 100 < 912 there), so it
    compares integers: every stored value has at most 4 decimals, so ROUND(v * 10000) is its exact
    count of 1/10000 units (X, T), and the edge L/100 is a reduced fraction a/b (80% -> 4/5):
    ``c >= L``  <=>  ``b X >= a T``. The engine computes X and T once per indicator row.
    """

    sqlite: bool = False

    @classmethod
    def for_session(cls, session) -> "Exact":
        return cls(session.get_bind().dialect.name == "sqlite")

    @staticmethod
    def units(v):
        """The exact number of 1/10000 units of a value with at most 4 decimals (an integer)."""
        return cast(func.round(v * literal_column("10000")), BigInteger)

    @staticmethod
    def numerator(r, t, lower_is_better=None):
        """x of c = 100 x / t: the realisation, or 2t - r where lower is better (a SQL boolean)."""
        if lower_is_better is None:
            return r
        return case((lower_is_better, num(2) * t - r), else_=r)

    def exact(self, v):
        """The form :meth:`ge` compares: units on SQLite, the value elsewhere."""
        return self.units(v) if self.sqlite else v

    def ge(self, x, t, edge):
        """Exactly ``100 x / t >= edge`` for x, t in :meth:`exact` form (t > 0 is the caller's)."""
        edge = Fraction(str(edge))
        if self.sqlite:
            f = edge / 100
            return _int(f.denominator) * x >= _int(f.numerator) * t
        # x >= (edge / 100) t: one multiplication per band tested instead of two (edge / 100 is an exact
        # decimal: band edges are stored decimals)
        return x >= num((Decimal(edge.numerator) / Decimal(edge.denominator)).scaleb(-2)) * t

    def ratio_ge(self, r, t, edge, lower_is_better=None):
        """Exactly ``c >= edge`` for c = r/t x 100, or (2 - r/t) x 100 where `lower_is_better`."""
        return self.ge(self.exact(self.numerator(r, t, lower_is_better)), self.exact(t), edge)


def _int(value: int):
    return literal_column(str(int(value)), BigInteger)


def sql_ratio(r, t):
    return case((t == 0, null()), else_=r * num(100) / t)


def sql_pp46_time(r, t, ex: Exact = Exact(), exact=None):
    """EW <= 24  <=>  RW/TW x 100 >= 76: decided by :class:`Exact` (`exact`: precomputed (R, T))."""
    base = (num("1.76") * t - r) * num(100) / t
    er, et = exact if exact is not None else (ex.exact(r), ex.exact(t))
    return case(
        (t == 0, null()),
        (ex.ge(er, et, 76), base),
        else_=num(76) - (base - num(100)),
    )


def sql_capaian(r, t, lower_is_better, ex: Exact = Exact(), exact=None):
    """Capaian in percent, floored at 0. The floor is the sign of the numerator x (t > 0), which is exact
    even in binary doubles: 2t - r of two 4-decimal values is 0 exactly when they are equal and otherwise
    at least 0.0001 away from it, far beyond the rounding of doubles below 10^11."""
    x = Exact.numerator(r, t, lower_is_better)
    return case((t == 0, null()), (x < num(0), num(0)), else_=x * num(100) / t)


def sql_map_bands(c, bands: Sequence[Band], ge=None):
    """The band value of capaian `c`. `ge(edge)`: the exact condition ``c >= edge`` (None: compare `c`
    itself). Bands are contiguous (validated), so the first band from the top whose lower edge is
    reached is the one; values from a closed top band's upper edge on have none; a capaian below the
    first band (only the floored 0) maps as 0 does."""
    if not bands:
        return c
    ge = ge or (lambda edge: c >= num(edge))
    ordered = sorted(bands, key=lambda b: b.lower)
    whens = []
    top = ordered[-1]
    if top.upper is not None:
        whens.append((ge(top.upper), null()))
    for b in reversed(ordered):
        whens.append((ge(b.lower), _band_value(c, b)))
    zero = next((b for b in ordered if b.lower <= 0 and (b.upper is None or 0 < b.upper)), None)
    return case(*whens, else_=null() if zero is None else _band_value(num(0), zero))


def _band_value(c, b: Band):
    if b.linear:
        return num(b.value_from) + (c - num(b.lower)) * num(b.value_to - b.value_from) / num(b.span_to - b.lower)
    return num(b.value_from)


@dataclass(frozen=True)
class Row:
    """The columns one indicator row offers the formulas: realisation, target, lower-is-better, and
    (when the engine computed them once for the row) the exact forms of the capaian numerator, of the
    realisation and of the target (:meth:`Exact.exact`) and the floored capaian."""

    r: object
    t: object
    lib: object
    x_exact: object = None
    r_exact: object = None
    t_exact: object = None
    c: object = None

    def capaian_forms(self, ex: Exact):
        if self.x_exact is not None:
            return self.x_exact, self.t_exact
        return ex.exact(Exact.numerator(self.r, self.t, self.lib)), ex.exact(self.t)

    def ratio_forms(self, ex: Exact):
        if self.r_exact is not None:
            return self.r_exact, self.t_exact
        return ex.exact(self.r), ex.exact(self.t)


def _capaian_sql(row: Row, bands, ex: Exact):
    forms = row.capaian_forms(ex)
    c = row.c if row.c is not None else sql_capaian(row.r, row.t, row.lib, ex, forms)
    return case((row.t == 0, null()), else_=sql_map_bands(c, bands, lambda edge: ex.ge(*forms, edge)))


@dataclass(frozen=True)
class Formula:
    code: str
    label: str
    text: str  # the formula as an inspector reads it (workbook "Rumus diterapkan", explanation)
    ref: Callable  # (realised, target, lower_is_better, bands) -> Decimal | None
    sql: Callable  # (Row, bands, Exact) -> SQL expression
    uses_capaian: bool = False
    uses_ratio_edge: bool = False  # decides on r/t (the PP 46/2011 24% edge)


_PP46_TIME = ("efisiensi EW = 100 - {r}/{t} x 100; bila EW <= 24 (yaitu {r}/{t} x 100 >= 76): "
              "(1,76 x {t} - {r}) / {t} x 100; bila EW > 24: 76 - ((1,76 x {t} - {r}) / {t} x 100 - 100)")
FORMULAS: dict[str, Formula] = {
    "pp46_kuantitas": Formula("pp46_kuantitas", "PP 46/2011 kuantitas: RO/TO x 100",
                              "PP 46/2011 kuantitas = RO / TO x 100",
                              lambda r, t, lib, b: ref_ratio(r, t), lambda row, b, ex: sql_ratio(row.r, row.t)),
    "pp46_kualitas": Formula("pp46_kualitas", "PP 46/2011 kualitas: RK/TK x 100",
                             "PP 46/2011 kualitas = RK / TK x 100",
                             lambda r, t, lib, b: ref_ratio(r, t), lambda row, b, ex: sql_ratio(row.r, row.t)),
    "pp46_waktu": Formula("pp46_waktu", "PP 46/2011 waktu (batas efisiensi 24%)",
                          "PP 46/2011 waktu: " + _PP46_TIME.format(r="RW", t="TW"),
                          lambda r, t, lib, b: ref_pp46_time(r, t),
                          lambda row, b, ex: sql_pp46_time(row.r, row.t, ex, row.ratio_forms(ex)),
                          uses_ratio_edge=True),
    "pp46_biaya": Formula("pp46_biaya", "PP 46/2011 biaya (batas efisiensi 24%)",
                          "PP 46/2011 biaya: " + _PP46_TIME.format(r="RB", t="TB"),
                          lambda r, t, lib, b: ref_pp46_time(r, t),
                          lambda row, b, ex: sql_pp46_time(row.r, row.t, ex, row.ratio_forms(ex)),
                          uses_ratio_edge=True),
    "capaian_iki": Formula("capaian_iki", "Capaian IKI PermenPANRB 8/2021 (dipetakan ke nilai)",
                           "PermenPANRB 8/2021 capaian = R / T x 100 (makin kecil makin baik: (2 - R / T) x 100), "
                           "paling rendah 0; dipetakan ke nilai dengan tabel capaian (lembar Aturan)",
                           ref_capaian_iki, _capaian_sql, uses_capaian=True),
}

FORMULA_CHOICES = [(f.code, f.label) for f in FORMULAS.values()]
