"""Indeks Kepuasan Masyarakat (PermenPANRB 14/2017) and the masyarakat rater role.

IKM = (mean of the 9 element means) x 25. The means are kept as exact fractions (the answers are
integers 1-4) and the index is rounded once, at the end, to 2 decimals (half up); the band (A..D)
is looked up in the ``ikm_band`` table with the rounded value, so 88.30 is B and 88.31 is A.

Named-employee ratings from the public feed the masyarakat rater role of that employee when the
unit where the feedback was given is public-facing and at least ``public.min_responses`` responses
name the employee in the period. The 1-4 answer scale is mapped linearly onto the period scheme's
behaviour scale: scaled = scale_min + (mean - 1) / 3 x (scale_max - scale_min), so 1 -> scale_min,
4 -> scale_max (on a 1-5 scheme: 2.5 -> 3; on 0-100: 3 -> 66.6667).

Only responses that count (``counted()``: accepted on arrival, or released by an operator after
burst moderation) enter the IKM and the masyarakat role; held and rejected ones never do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select

from kinerja_admin.settings import get_setting
from models import IkmBand, IkmElement, PublicFeedback, Unit

from .common import resolve_period
from .feedback import counted

ELEMENT_COLUMNS = [f"u{i}" for i in range(1, 10)]


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """Exact half-up rounding of a fraction (no binary floating point anywhere)."""
    scale = 10 ** places
    scaled = value * scale
    sign = -1 if scaled < 0 else 1
    q = (abs(scaled) + Fraction(1, 2)).__floor__() * sign
    return Decimal(q).scaleb(-places)


def ikm_exact(element_sums: list[int], responses: int) -> Fraction:
    """IKM as an exact fraction: the mean of the element means (sum / responses), times 25."""
    if responses <= 0 or not element_sums:
        raise ValueError("IKM membutuhkan minimal satu respons.")
    means = [Fraction(int(s), responses) for s in element_sums]
    return sum(means, Fraction(0)) / len(means) * 25


@dataclass
class IkmResult:
    unit_id: int | None
    unit_name: str
    responses: int
    element_means: dict[str, Fraction] = field(default_factory=dict)  # "U1" -> exact mean
    exact: Fraction | None = None
    value: Decimal | None = None  # rounded once, 2 decimals
    letter: str | None = None
    label: str | None = None

    def element_display(self, code: str) -> Decimal | None:
        mean = self.element_means.get(code)
        return None if mean is None else round_half_up(mean, 2)


def band_for(session, value: Decimal | None):
    """The IkmBand containing the (rounded) value, or None."""
    if value is None:
        return None
    return session.scalar(select(IkmBand).where(IkmBand.lower <= value, IkmBand.upper >= value)
                          .order_by(IkmBand.lower.desc()).limit(1))


def _codes(session) -> list[str]:
    codes = list(session.scalars(select(IkmElement.code).order_by(IkmElement.seq)))
    return codes if len(codes) == 9 else [f"U{i}" for i in range(1, 10)]


def ikm_from_sums(session, responses, element_sums, unit_id=None, unit_name: str = "") -> IkmResult:
    """The one IKM computation (exact means, rounded once to 2 decimals half up, then banded) from a
    count of responses and the 9 element sums: used here, by the portal and by the inspector workbook."""
    return _result(session, unit_id, unit_name, responses, element_sums, _codes(session))


def combine_ikm(session, parts: list[IkmResult], unit_id=None, unit_name: str = "") -> IkmResult:
    """One IKM over several units' responses (e.g. an OPD and its sub-units), exactly: the element sums
    are the parts' exact means times their responses."""
    codes = _codes(session)
    n = sum(p.responses for p in parts)
    sums = [sum((p.element_means.get(c, Fraction(0)) * p.responses for p in parts), Fraction(0)) for c in codes]
    return _result(session, unit_id, unit_name, n, [int(s) for s in sums], codes)


def _result(session, unit_id, unit_name, n, sums, codes) -> IkmResult:
    res = IkmResult(unit_id, unit_name, int(n or 0))
    if res.responses:
        ints = [int(s) for s in sums]
        res.element_means = {code: Fraction(s, res.responses) for code, s in zip(codes, ints)}
        res.exact = ikm_exact(ints, res.responses)
        res.value = round_half_up(res.exact, 2)
        band = band_for(session, res.value)
        if band is not None:
            res.letter, res.label = band.letter, band.label
    return res


def _sum_columns():
    return [func.sum(getattr(PublicFeedback, c)) for c in ELEMENT_COLUMNS]


def ikm_for(session, period, unit_id: int | None = None, service_id: int | None = None) -> IkmResult:
    """IKM of one unit (or one public service, or the whole city when both are None)."""
    period = resolve_period(session, period)
    q = select(func.count(PublicFeedback.id), *_sum_columns()).where(PublicFeedback.period_id == period.id,
                                                                      counted())
    name = "Seluruh unit"
    if unit_id is not None:
        q = q.where(PublicFeedback.unit_id == unit_id)
        unit = session.get(Unit, unit_id)
        name = unit.name if unit else str(unit_id)
    if service_id is not None:
        q = q.where(PublicFeedback.service_id == service_id)
    row = session.execute(q).one()
    return _result(session, unit_id, name, row[0], row[1:], _codes(session))


def ikm_by_unit(session, period) -> list[IkmResult]:
    """IKM of every unit that received feedback in the period (one grouped query), by unit name."""
    period = resolve_period(session, period)
    codes = _codes(session)
    rows = session.execute(
        select(Unit.id, Unit.name, func.count(PublicFeedback.id), *_sum_columns())
        .join(Unit, Unit.id == PublicFeedback.unit_id)
        .where(PublicFeedback.period_id == period.id, counted())
        .group_by(Unit.id, Unit.name).order_by(Unit.name)
    ).all()
    return [_result(session, r[0], r[1], r[2], r[3:], codes) for r in rows]


# --- masyarakat rater role -------------------------------------------------------------------------

@dataclass
class PublicScore:
    employee_id: int
    responses: int
    mean: Fraction  # on the 1-4 answer scale
    scaled: Decimal  # on the scheme's behaviour scale, 4 decimals


def masyarakat_query(period_id: int, min_responses: int):
    """Set-based form for the scoring engine: (employee_id, responses, score_sum) of every employee
    whose public rating counts in the period. Map with ``scale_public_score``."""
    n = func.count(PublicFeedback.id)
    return (select(PublicFeedback.employee_id, n.label("responses"),
                   func.sum(PublicFeedback.employee_score).label("score_sum"))
            .join(Unit, Unit.id == PublicFeedback.unit_id)
            .where(PublicFeedback.period_id == period_id, PublicFeedback.employee_id.is_not(None),
                   PublicFeedback.employee_score.is_not(None), Unit.public_facing.is_(True), counted())
            .group_by(PublicFeedback.employee_id)
            .having(n >= min_responses))


def scale_public_score(mean: Fraction, scale_min: Decimal, scale_max: Decimal) -> Decimal:
    """Map a 1-4 mean linearly onto [scale_min, scale_max] (rounded once, 4 decimals)."""
    lo, hi = Fraction(str(scale_min)), Fraction(str(scale_max))
    return round_half_up(lo + (mean - 1) / 3 * (hi - lo), 4)


def masyarakat_scores(session, period, employee_ids=None) -> dict[int, PublicScore]:
    """employee id -> PublicScore for the masyarakat rater role of the period."""
    period = resolve_period(session, period)
    min_responses = max(1, int(get_setting("public.min_responses", session)))
    scheme = period.scheme
    lo = Decimal(scheme.scale_min) if scheme is not None else Decimal(1)
    hi = Decimal(scheme.scale_max) if scheme is not None else Decimal(4)
    q = masyarakat_query(period.id, min_responses)
    if employee_ids is not None:
        q = q.where(PublicFeedback.employee_id.in_(list(employee_ids)))
    out = {}
    for eid, n, total in session.execute(q):
        mean = Fraction(int(total), int(n))
        out[eid] = PublicScore(eid, int(n), mean, scale_public_score(mean, lo, hi))
    return out
