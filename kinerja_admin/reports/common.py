"""Shared helpers of the reports: unit roll-up, predicate order, exact means."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from kinerja_admin.orgtree import UnitTree
from kinerja_admin.orgtree import unit_tree as _unit_tree
from models import PredicateBand, PredicateMatrixCell, ScoringScheme
from models.base import CATEGORIES

TWO = Decimal("0.01")
_CATEGORY_RANK = {code: i for i, code in enumerate(("dibawah", "sesuai", "diatas"))}
assert set(_CATEGORY_RANK) == set(CATEGORIES)


def quantize2(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(TWO, rounding=ROUND_HALF_UP)


def mean(total, count) -> Decimal | None:
    """Mean of a SQL SUM and COUNT, rounded half up to 2 decimals (None when nothing counted)."""
    if not count or total is None:
        return None
    return quantize2(Decimal(str(total)) / Decimal(int(count)))


def unit_tree(session) -> UnitTree:
    return _unit_tree(session, with_units=True)


PERIOD_ARG = "periode"  # the query parameter that names a period on every page (admin and portal)


def pick_period(periods, code: str | None, *, strict: bool = False):
    """The period whose code is `code`; without a code the newest period that is neither closed nor
    a draft, else the newest (`periods` newest first). An unknown code gives None when `strict`
    (the caller answers 404), else the default."""
    if code:
        for p in periods:
            if p.code == code:
                return p
        if strict:
            return None
    for p in periods:
        if p.status not in ("closed", "draft"):
            return p
    return periods[0] if periods else None


def predicate_order(session, scheme_id: int | None) -> list[str]:
    """Predicate labels of a scheme, best first.

    Numeric schemes: by band (priority, innovation, lower bound) as the engine orders them.
    Matrix schemes: by the mean rank of the cells that give the label (hasil + perilaku), ties
    broken by the perilaku rank (so Butuh Perbaikan comes before Kurang, as in the regulation).
    """
    if scheme_id is None:
        return []
    scheme = session.get(ScoringScheme, scheme_id)
    if scheme is None:
        return []
    if scheme.kind == "matrix":
        ranks: dict[str, list[tuple[int, int]]] = {}
        for cell in session.scalars(select(PredicateMatrixCell).where(PredicateMatrixCell.scheme_id == scheme_id)):
            h = _CATEGORY_RANK.get(cell.hasil, 0)
            p = _CATEGORY_RANK.get(cell.perilaku, 0)
            ranks.setdefault(cell.predicate, []).append((h + p, p))

        def key(label):
            cells = ranks[label]
            return (-sum(c[0] for c in cells) / len(cells), -sum(c[1] for c in cells) / len(cells), label)

        return sorted(ranks, key=key)
    bands = session.scalars(select(PredicateBand).where(PredicateBand.scheme_id == scheme_id)).all()
    ordered = sorted(bands, key=lambda b: (-b.priority, -int(b.requires_innovation), -b.lower))
    out: list[str] = []
    for b in ordered:
        if b.label not in out:
            out.append(b.label)
    return out


def ordered_counts(order: list[str], counts: dict[str, int]) -> list[tuple[str, int]]:
    """(label, count) in scheme order; labels unknown to the scheme (e.g. set by an objection
    decision) follow alphabetically; a missing predicate is shown as 'Belum berpredikat'."""
    out = [(label, int(counts.get(label, 0))) for label in order]
    extra = sorted(k for k in counts if k not in order and k is not None)
    out += [(label, int(counts[label])) for label in extra]
    if counts.get(None):
        out.append(("Belum berpredikat", int(counts[None])))
    return out


@dataclass
class Tally:
    """Counts and sums of one group of results (a unit, a period, the city)."""

    count: int = 0
    final_sum: Decimal = Decimal(0)
    final_n: int = 0
    skp_sum: Decimal = Decimal(0)
    skp_n: int = 0
    predicates: dict = field(default_factory=dict)

    def add(self, n, final_sum, final_n, skp_sum, skp_n, predicate) -> None:
        self.count += int(n or 0)
        self.final_sum += Decimal(str(final_sum or 0))
        self.final_n += int(final_n or 0)
        self.skp_sum += Decimal(str(skp_sum or 0))
        self.skp_n += int(skp_n or 0)
        self.predicates[predicate] = self.predicates.get(predicate, 0) + int(n or 0)

    @property
    def mean_final(self) -> Decimal | None:
        return mean(self.final_sum, self.final_n)

    @property
    def mean_skp(self) -> Decimal | None:
        return mean(self.skp_sum, self.skp_n)

    @property
    def score(self) -> Decimal | None:
        """The headline mean: the final value where the scheme has one, else the SKP value."""
        return self.mean_final if self.final_n else self.mean_skp

    @property
    def score_label(self) -> str:
        return "Rata-rata nilai akhir" if self.final_n else "Rata-rata nilai SKP"
