"""Distribution check (PermenPANRB 6/2022, SE MenPANRB 3/2023): per unit with an organisation
rating, compare the predicate distribution of the period's results with the rating's curve
(DistributionRule rows of the period's scheme). A guide: returns warnings, never blocks."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from kinerja_admin.orgtree import unit_tree
from models import DistributionRule, Period, ScoreResult, Unit, UnitRating
from models.base import ORG_RATINGS


def _unit_roots(session) -> dict[int, list[int]]:
    """unit id -> [itself and its ancestors]."""
    tree = unit_tree(session)
    return {uid: tree.ancestors(uid) for uid in tree.parent}


def unit_distributions(session, period: Period) -> dict[int, Counter]:
    """For each rated unit of the period: Counter of predicates of results in the unit's subtree."""
    rated = dict(session.execute(select(UnitRating.unit_id, UnitRating.rating)
                                 .where(UnitRating.period_id == period.id)).all())
    if not rated:
        return {}
    chains = _unit_roots(session)
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = session.execute(select(ScoreResult.unit_id, ScoreResult.predicate, func.count())
                           .where(ScoreResult.period_id == period.id, ScoreResult.predicate.is_not(None))
                           .group_by(ScoreResult.unit_id, ScoreResult.predicate)).all()
    for unit_id, predicate, n in rows:
        for u in chains.get(unit_id, [unit_id]):
            if u in rated:
                counts[u][predicate] += n
    return {u: counts.get(u, Counter()) for u in rated}


def check_distribution(session, period: Period) -> list[str]:
    """Indonesian warnings, one per violated rule and unit (empty when all is within the curve)."""
    if period.scheme_id is None:
        return []
    rules = session.scalars(select(DistributionRule).where(DistributionRule.scheme_id == period.scheme_id)
                            .order_by(DistributionRule.id)).all()
    if not rules:
        return []
    by_rating = defaultdict(list)
    for r in rules:
        by_rating[r.org_rating].append(r)
    ratings = dict(session.execute(select(UnitRating.unit_id, UnitRating.rating)
                                   .where(UnitRating.period_id == period.id)).all())
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(ratings) or [0]))).all())
    warnings = []
    from kinerja_admin.formatting import persen  # Indonesian figures: "75%", "33,3%"

    for unit_id, counter in sorted(unit_distributions(session, period).items(), key=lambda kv: names.get(kv[0], "")):
        total = sum(counter.values())
        if total == 0:
            continue
        rating = ratings[unit_id]
        for rule in by_rating.get(rating, []):
            labels = [p.strip() for p in rule.predicates.split("|") if p.strip()]
            n = sum(counter.get(lab, 0) for lab in labels)
            pct = Decimal(n) * 100 / total
            shown = " atau ".join(labels)
            head = f"{names.get(unit_id, unit_id)} (predikat organisasi {ORG_RATINGS.get(rating, rating)})"
            if rule.max_pct is not None and pct > rule.max_pct:
                warnings.append(f"{head}: {shown} {persen(pct)} dari {total} pegawai, melebihi batas "
                                f"{persen(rule.max_pct, 2)}.")
            if rule.min_pct is not None and pct < rule.min_pct:
                warnings.append(f"{head}: {shown} {persen(pct)} dari {total} pegawai, kurang dari minimal "
                                f"{persen(rule.min_pct, 2)}.")
            if rule.min_count is not None and n < rule.min_count:
                warnings.append(f"{head}: {shown} hanya {n} pegawai, minimal {rule.min_count}.")
    return warnings
