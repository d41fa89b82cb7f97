"""Distribution check (PermenPANRB 6/2022, SE MenPANRB 3/2023): per unit with an organisation rating
(in practice the OPD), compare the predicate distribution of the results in the unit's whole subtree
with the rating's curve (DistributionRule rows of the period's scheme). A guide: returns warnings,
never blocks.

The one home of this rule: the scoring summary (:func:`check_distribution`) and the inspector
workbook (``excel/exporter.py``, Ringkasan) both call :func:`distribution_checks`.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from kinerja_admin.orgtree import unit_tree
from models import DistributionRule, Period, ScoreResult, Unit, UnitRating
from models.base import ORG_RATINGS


@dataclass
class UnitCheck:
    """One rated unit: its predicate counts over its subtree and the curve's findings."""

    unit_id: int
    name: str
    rating: str
    counts: Counter = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)  # sentences without the unit's name

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def head(self) -> str:
        return f"{self.name} (predikat organisasi {ORG_RATINGS.get(self.rating, self.rating)})"

    def warnings(self) -> list[str]:
        return [f"{self.head}: {f}" for f in self.findings]


def _fmt(v) -> str:
    return f"{Decimal(v).normalize():f}"


def curve_findings(rules, counter: Counter) -> list[str]:
    """Indonesian findings of one unit's predicate counts against the rules of its organisation rating."""
    total = sum(counter.values())
    out: list[str] = []
    if total == 0:
        return out
    for rule in rules:
        labels = [p.strip() for p in rule.predicates.split("|") if p.strip()]
        n = sum(counter.get(lab, 0) for lab in labels)
        pct = Decimal(n) * 100 / total
        shown = " atau ".join(labels)
        if rule.max_pct is not None and pct > rule.max_pct:
            out.append(f"{shown} {pct:.1f}% dari {total} pegawai, melebihi batas {_fmt(rule.max_pct)}%.")
        if rule.min_pct is not None and pct < rule.min_pct:
            out.append(f"{shown} {pct:.1f}% dari {total} pegawai, kurang dari minimal {_fmt(rule.min_pct)}%.")
        if rule.min_count is not None and n < rule.min_count:
            out.append(f"{shown} hanya {n} pegawai, minimal {rule.min_count}.")
    return out


def distribution_checks(session, period: Period, *result_conditions) -> list[UnitCheck]:
    """Every unit rated in the period, with the predicates of the results in its subtree (optionally
    only results matching `result_conditions`) and the findings against the scheme's curve; by name."""
    if period.scheme_id is None:
        return []
    ratings = dict(session.execute(select(UnitRating.unit_id, UnitRating.rating)
                                   .where(UnitRating.period_id == period.id)).all())
    if not ratings:
        return []
    rules_by_rating = defaultdict(list)
    for r in session.scalars(select(DistributionRule).where(DistributionRule.scheme_id == period.scheme_id)
                             .order_by(DistributionRule.id)):
        rules_by_rating[r.org_rating].append(r)
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(ratings)))).all())
    tree = unit_tree(session)
    checks = {u: UnitCheck(u, names.get(u, str(u)), rating) for u, rating in ratings.items()}
    rows = session.execute(select(ScoreResult.unit_id, ScoreResult.predicate, func.count())
                           .where(ScoreResult.period_id == period.id, ScoreResult.predicate.is_not(None),
                                  *result_conditions)
                           .group_by(ScoreResult.unit_id, ScoreResult.predicate)).all()
    for unit_id, predicate, n in rows:
        for u in tree.ancestors(unit_id) or [unit_id]:
            if u in checks:
                checks[u].counts[predicate] += n
    for check in checks.values():
        check.findings = curve_findings(rules_by_rating.get(check.rating, []), check.counts)
    return sorted(checks.values(), key=lambda c: (c.name, c.unit_id))


def unit_distributions(session, period: Period) -> dict[int, Counter]:
    """For each rated unit of the period: Counter of predicates of results in the unit's subtree."""
    return {c.unit_id: c.counts for c in distribution_checks(session, period)}


def check_distribution(session, period: Period) -> list[str]:
    """Indonesian warnings, one per violated rule and unit (empty when all is within the curve)."""
    return [w for check in distribution_checks(session, period) for w in check.warnings()]
