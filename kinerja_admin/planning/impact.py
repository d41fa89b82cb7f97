"""Before and after a recorded policy or program change.

The periods compared: the policy's baseline period (before) and comparison period (after) when an
operator chose them; otherwise before = the latest period that ended before the effective date and
after = the period containing the date (else the first period starting after it).

The groups compared: the units concerned (each chosen unit with its sub-units) against all other
units. For each group: the IKM before and after from the per-respondent scores, the size of the
change, Welch's t-test and Mann-Whitney U (kinerja_admin.planning.significance); the difference in
differences (change of the units concerned minus change of the others) says how much more the units
concerned moved. For the OPDs of the units concerned: their organisation indicators before and
after, matched by indicator code.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from kinerja_admin.orgtree import unit_tree
from kinerja_admin.rating.ikm import ELEMENT_COLUMNS
from models import Period, PolicyChange, PublicFeedback

from .effectiveness import IkmLookup, indicator_rows
from .significance import Comparison, compare, respondent_score, settings


def resolve_periods(session, policy: PolicyChange) -> tuple[Period | None, Period | None]:
    before, after = policy.baseline_period, policy.comparison_period
    date = policy.effective_date
    if before is None and date is not None:
        before = session.scalar(select(Period).where(Period.end_date < date)
                                .order_by(Period.end_date.desc(), Period.id.desc()).limit(1))
    if after is None and date is not None:
        after = session.scalar(select(Period).where(Period.start_date <= date, Period.end_date >= date)
                               .order_by(Period.start_date.desc(), Period.id.desc()).limit(1)) \
            or session.scalar(select(Period).where(Period.start_date > date)
                              .order_by(Period.start_date, Period.id).limit(1))
    return before, after


def respondent_scores(session, period_id: int, unit_ids: set[int] | None = None,
                      exclude: set[int] | None = None) -> list[Fraction]:
    """Per-respondent IKM scores of a period (units in ``unit_ids`` and not in ``exclude``)."""
    q = select(PublicFeedback.unit_id, *[getattr(PublicFeedback, c) for c in ELEMENT_COLUMNS]) \
        .where(PublicFeedback.period_id == period_id)
    if unit_ids is not None:
        q = q.where(PublicFeedback.unit_id.in_(sorted(unit_ids)))
    out = []
    for unit_id, *answers in session.execute(q):
        if exclude is not None and unit_id in exclude:
            continue
        out.append(respondent_score(answers))
    return out


@dataclass
class GroupChange:
    label: str
    comparison: Comparison


@dataclass
class IndicatorChange:
    code: str
    description: str
    opd: str
    unit_label: str
    before_target: Decimal | None
    before_value: Decimal | None
    before_capaian: Decimal | None
    after_target: Decimal | None
    after_value: Decimal | None
    after_capaian: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.before_capaian is None or self.after_capaian is None:
            return None
        return self.after_capaian - self.before_capaian


def concerned_units(session, policy: PolicyChange) -> set[int]:
    tree = unit_tree(session)
    out: set[int] = set()
    for unit in policy.units:
        out |= tree.subtree(unit.id)
    return out


def policy_impact(session, policy: PolicyChange, *, alpha: Decimal | None = None, test: str | None = None,
                  with_indicators: bool = True) -> dict:
    """The before/after picture of a policy (see the module docstring)."""
    default_alpha, default_test = settings(session)
    alpha = default_alpha if alpha is None else alpha
    test = test or default_test
    before, after = resolve_periods(session, policy)
    concerned = concerned_units(session, policy)
    out = {"policy": policy, "before": before, "after": after, "groups": [], "did": None, "indicators": [],
           "alpha": alpha, "test": test}
    if before is None or after is None:
        return out
    mine = compare(respondent_scores(session, before.id, concerned), respondent_scores(session, after.id, concerned),
                   alpha=alpha, test=test)
    others = compare(respondent_scores(session, before.id, exclude=concerned),
                     respondent_scores(session, after.id, exclude=concerned), alpha=alpha, test=test)
    out["groups"] = [GroupChange("Unit terdampak", mine), GroupChange("Unit lain (pembanding)", others)]
    if mine.change is not None and others.change is not None:
        out["did"] = mine.change - others.change
    if with_indicators:
        out["indicators"] = indicator_changes(session, before, after, _opds(session, policy))
    return out


def _opds(session, policy: PolicyChange) -> set[int]:
    tree = unit_tree(session)
    return {tree.root_of(u.id) for u in policy.units}


def indicator_changes(session, before: Period, after: Period, opd_ids: set[int]) -> list[IndicatorChange]:
    if not opd_ids:
        return []
    ikm = IkmLookup(session, [before.id, after.id])
    rows_b = {(r.indicator.unit_id, r.indicator.code): r for r in indicator_rows(session, before, opd_ids, ikm=ikm)}
    rows_a = {(r.indicator.unit_id, r.indicator.code): r for r in indicator_rows(session, after, opd_ids, ikm=ikm)}
    out = []
    for key in sorted(set(rows_b) | set(rows_a), key=lambda k: (k[0], k[1])):
        b, a = rows_b.get(key), rows_a.get(key)
        ref = a or b
        out.append(IndicatorChange(
            ref.indicator.code, ref.indicator.description, ref.indicator.unit.name if ref.indicator.unit else "",
            ref.indicator.unit_label,
            b.indicator.target_value if b else None, b.realisation if b else None, b.capaian if b else None,
            a.indicator.target_value if a else None, a.realisation if a else None, a.capaian if a else None))
    return out


def policies_for_opd(session, opd_id: int) -> list[PolicyChange]:
    """Recorded policies concerning an OPD (one of their units lies in the OPD's subtree)."""
    tree = unit_tree(session)
    out = []
    for policy in session.scalars(select(PolicyChange).order_by(PolicyChange.effective_date.desc(),
                                                                 PolicyChange.id.desc())):
        if any(tree.root_of(u.id) == opd_id for u in policy.units):
            out.append(policy)
    return out
