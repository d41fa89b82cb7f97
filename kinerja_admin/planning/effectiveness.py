"""Effectiveness of programs: for each organisation indicator, side by side,

* its own realisation against its target (the latest quarter recorded; quarterly realisations are
  cumulative "s.d. triwulan"), the capaian (kinerja_admin.scoring.formulas.ref_capaian) and whether
  the target was reached (capaian >= 100, decided on exact Decimals);
* the achievement of the RHKs that cascade into it (kinerja_admin.planning.rollup) and the number
  of employees involved;
* the IKM of the service it concerns (OrgIndicator.service), or of its OPD when none is set;

and per program (with its kegiatan and sub kegiatan) and per goal the indicators' weighted means.
``trend`` gives the same figures over several periods, matching indicators by their code.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kinerja_admin.orgtree import unit_tree
from kinerja_admin.rating.ikm import ELEMENT_COLUMNS
from kinerja_admin.reports.public import Ikm
from kinerja_admin.scoring.formulas import ref_capaian
from models import (
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    Program,
    PublicFeedback,
    StrategicGoal,
    Unit,
)
from models.planning import INDICATOR_KINDS, PROGRAM_LEVELS

from .rollup import CascadeFigures, cascade_figures, q2

HUNDRED = Decimal(100)


def weighted_mean(pairs: Iterable[tuple[Decimal | None, Decimal | None]]) -> Decimal | None:
    """Sum(w x v) / sum(w) over the pairs whose value is not None (an empty weight counts as 1),
    rounded half up to 2 decimals; None when no pair has a value."""
    num, den = Decimal(0), Decimal(0)
    for value, weight in pairs:
        if value is None:
            continue
        w = Decimal(1) if weight is None else Decimal(str(weight))
        num += w * Decimal(str(value))
        den += w
    return q2(num / den) if den else None


def own_capaian(indicator: OrgIndicator, value) -> Decimal | None:
    """Capaian (%) of an organisation indicator's realisation, unrounded (None without one)."""
    if value is None:
        return None
    return ref_capaian(Decimal(str(value)), Decimal(str(indicator.target_value)), bool(indicator.lower_is_better))


def quarterly(session, indicator_ids) -> dict[int, dict[int, Decimal]]:
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    ids = sorted(indicator_ids)
    for i in range(0, len(ids), 500):
        for ind_id, quarter, value in session.execute(
                select(OrgRealisation.indicator_id, OrgRealisation.quarter, OrgRealisation.value)
                .where(OrgRealisation.indicator_id.in_(ids[i:i + 500]))):
            out[ind_id][int(quarter)] = value
    return out


class IkmLookup:
    """IKM of a service or of a set of units in given periods, from one grouped query."""

    def __init__(self, session, period_ids):
        self.session = session
        self.rows = session.execute(
            select(PublicFeedback.period_id, PublicFeedback.unit_id, PublicFeedback.service_id,
                   func.count(PublicFeedback.id), *[func.sum(getattr(PublicFeedback, c)) for c in ELEMENT_COLUMNS])
            .where(PublicFeedback.period_id.in_(sorted(period_ids)))
            .group_by(PublicFeedback.period_id, PublicFeedback.unit_id, PublicFeedback.service_id)).all()

    def _ikm(self, keep) -> Ikm:
        ikm = Ikm()
        for pid, unit_id, service_id, n, *sums in self.rows:
            if keep(pid, unit_id, service_id):
                ikm.add(n, sums)
        return ikm.finish(self.session)

    def service(self, period_id: int, service_id: int) -> Ikm:
        return self._ikm(lambda p, u, s: p == period_id and s == service_id)

    def units(self, period_id: int, unit_ids: set[int]) -> Ikm:
        return self._ikm(lambda p, u, s: p == period_id and u in unit_ids)


@dataclass
class IndicatorRow:
    indicator: OrgIndicator
    kind: str
    quarters: dict
    realisation: Decimal | None
    last_quarter: int | None
    capaian_exact: Decimal | None
    figures: CascadeFigures
    ikm: Ikm
    ikm_scope: str
    trend: list = field(default_factory=list)

    @property
    def capaian(self) -> Decimal | None:
        """Capaian (%) rounded half up to 2 decimals, for display."""
        return q2(self.capaian_exact)

    @property
    def reached(self) -> bool | None:
        """Target reached: the exact capaian is at least 100 (realisation >= target, or <= when lower
        is better); None without a realisation."""
        return None if self.capaian_exact is None else self.capaian_exact >= HUNDRED

    @property
    def kind_label(self) -> str:
        return INDICATOR_KINDS.get(self.kind, self.kind)

    @property
    def weight(self):
        return self.indicator.weight


def indicator_rows(session, period: Period, opd_ids: set[int] | None = None, *, indicator_ids=None,
                   ikm: IkmLookup | None = None) -> list[IndicatorRow]:
    """One row per organisation indicator of the period (optionally of some OPDs / indicators)."""
    conds = [OrgIndicator.period_id == period.id]
    if opd_ids is not None:
        conds.append(OrgIndicator.unit_id.in_(sorted(opd_ids)))
    if indicator_ids is not None:
        conds.append(OrgIndicator.id.in_(sorted(indicator_ids)))
    indicators = list(session.scalars(
        select(OrgIndicator).where(*conds).order_by(OrgIndicator.unit_id, OrgIndicator.code)
        .options(selectinload(OrgIndicator.program), selectinload(OrgIndicator.goal),
                 selectinload(OrgIndicator.unit), selectinload(OrgIndicator.service))))
    if not indicators:
        return []
    ids = [i.id for i in indicators]
    figures = cascade_figures(session, period.id, ids if opd_ids is not None or indicator_ids is not None else None)
    quarters = quarterly(session, ids)
    ikm = ikm or IkmLookup(session, [period.id])
    tree = unit_tree(session)
    subtrees: dict[int, set[int]] = {}
    rows = []
    for ind in indicators:
        q = quarters.get(ind.id, {})
        last = max(q) if q else None
        value = q[last] if last else None
        if ind.service_id is not None:
            ikm_value, scope = ikm.service(period.id, ind.service_id), ind.service.name if ind.service else "layanan"
        else:
            if ind.unit_id not in subtrees:
                subtrees[ind.unit_id] = tree.subtree(ind.unit_id)
            ikm_value, scope = ikm.units(period.id, subtrees[ind.unit_id]), "perangkat daerah"
        kind = "iku" if ind.goal_id is not None else (ind.program.level if ind.program else "program")
        rows.append(IndicatorRow(ind, kind, q, value, last, own_capaian(ind, value),
                                 figures.get(ind.id, CascadeFigures()), ikm_value, scope))
    return rows


@dataclass
class NodeSummary:
    capaian: Decimal | None
    achievement: Decimal | None
    indicators: int
    reached: int
    not_reached: int
    no_data: int


def summarise(rows: list[IndicatorRow]) -> NodeSummary:
    """Weighted means of a group of indicator rows (rule 4 of kinerja_admin.planning.rollup)."""
    return NodeSummary(
        capaian=weighted_mean((r.capaian_exact, r.weight) for r in rows),
        achievement=weighted_mean((r.figures.exact, r.weight) for r in rows),
        indicators=len(rows),
        reached=sum(1 for r in rows if r.reached is True),
        not_reached=sum(1 for r in rows if r.reached is False),
        no_data=sum(1 for r in rows if r.reached is None))


def program_summaries(programs: list[Program], rows: list[IndicatorRow]) -> dict[int, NodeSummary]:
    """program id -> summary over the indicators of the program and of all its descendants."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for p in programs:
        children[p.parent_id].append(p.id)
    by_program: dict[int, list[IndicatorRow]] = defaultdict(list)
    for r in rows:
        if r.indicator.program_id is not None:
            by_program[r.indicator.program_id].append(r)

    def collect(pid):
        out = list(by_program.get(pid, []))
        for child in children.get(pid, []):
            out += collect(child)
        return out

    return {p.id: summarise(collect(p.id)) for p in programs}


def opd_page(session, period: Period, opd_id: int, trend_periods: list[Period]) -> dict:
    """Everything the OPD page shows for one period, with the trend over ``trend_periods``."""
    tree = unit_tree(session)
    subtree = tree.subtree(opd_id)
    periods = sorted({p.id: p for p in [period, *trend_periods]}.values(), key=lambda p: (p.start_date, p.id))
    ikm = IkmLookup(session, [p.id for p in periods])
    rows = indicator_rows(session, period, {opd_id}, ikm=ikm)
    programs = list(session.scalars(select(Program).where(Program.period_id == period.id, Program.unit_id == opd_id)
                                    .order_by(Program.code)))
    agreement = session.scalar(select(PerformanceAgreement).where(
        PerformanceAgreement.period_id == period.id, PerformanceAgreement.unit_id == opd_id))
    goals = list(session.scalars(select(StrategicGoal).where(StrategicGoal.agreement_id == agreement.id)
                                 .order_by(StrategicGoal.code))) if agreement else []
    attach_trend(session, rows, opd_id, periods, ikm)
    by_goal = defaultdict(list)
    for r in rows:
        if r.indicator.goal_id is not None:
            by_goal[r.indicator.goal_id].append(r)
    return {"period": period, "opd": session.get(Unit, opd_id), "agreement": agreement, "rows": rows,
            "goals": [(g, by_goal.get(g.id, []), summarise(by_goal.get(g.id, []))) for g in goals],
            "programs": programs, "program_summary": program_summaries(programs, rows),
            "summary": summarise(rows), "ikm": ikm.units(period.id, subtree),
            "ikm_trend": [(p, ikm.units(p.id, subtree)) for p in periods], "periods": periods,
            "levels": PROGRAM_LEVELS}


def program_page(session, program: Program, trend_periods: list[Period]) -> dict:
    period = program.period
    periods = sorted({p.id: p for p in [period, *trend_periods]}.values(), key=lambda p: (p.start_date, p.id))
    ikm = IkmLookup(session, [p.id for p in periods])
    all_programs = list(session.scalars(select(Program).where(Program.period_id == period.id,
                                                              Program.unit_id == program.unit_id)
                                        .order_by(Program.code)))
    children: dict[int | None, list[Program]] = defaultdict(list)
    for p in all_programs:
        children[p.parent_id].append(p)
    nodes, stack = [], [(program, 0)]
    while stack:
        node, depth = stack.pop()
        nodes.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(node.id, [])))
    ids = {n.id for n, _ in nodes}
    rows = [r for r in indicator_rows(session, period, {program.unit_id}, ikm=ikm) if r.indicator.program_id in ids]
    attach_trend(session, rows, program.unit_id, periods, ikm)
    by_program = defaultdict(list)
    for r in rows:
        by_program[r.indicator.program_id].append(r)
    summaries = program_summaries(all_programs, rows)
    return {"program": program, "period": period, "opd": program.unit, "nodes": nodes, "rows": rows,
            "by_program": by_program, "summary": summaries.get(program.id), "summaries": summaries,
            "periods": periods, "levels": PROGRAM_LEVELS}


@dataclass
class TrendPoint:
    period: Period
    capaian: Decimal | None
    achievement: Decimal | None
    ikm: Decimal | None
    present: bool


def attach_trend(session, rows: list[IndicatorRow], opd_id: int, periods: list[Period], ikm: IkmLookup) -> None:
    """Fill each row's ``trend``: the indicator with the same code in each period (oldest first)."""
    codes = {r.indicator.code for r in rows}
    if not codes:
        return
    per_period: dict[int, dict[str, IndicatorRow]] = {}
    own_period = rows[0].indicator.period_id
    for p in periods:
        found = rows if p.id == own_period else indicator_rows(session, p, {opd_id}, ikm=ikm)
        per_period[p.id] = {r.indicator.code: r for r in found if r.indicator.code in codes}
    for r in rows:
        r.trend = []
        for p in periods:
            hit = per_period[p.id].get(r.indicator.code)
            r.trend.append(TrendPoint(p, hit.capaian if hit else None, hit.figures.achievement if hit else None,
                                      hit.ikm.value if hit else None, hit is not None))


@dataclass
class OpdSummary:
    opd: Unit
    summary: NodeSummary
    ikm: Ikm
    programs: int = 0
    budget_ceiling: Decimal | None = None
    budget_realised: Decimal | None = None


def opd_summaries(session, period: Period, opd_ids: set[int] | None = None) -> list[OpdSummary]:
    """One line per OPD having indicators in the period: reached / not reached, weighted means, IKM,
    top-level programs and their budget."""
    tree = unit_tree(session, with_units=True)
    ikm = IkmLookup(session, [period.id])
    rows = indicator_rows(session, period, opd_ids, ikm=ikm)
    grouped: dict[int, list[IndicatorRow]] = defaultdict(list)
    for r in rows:
        grouped[r.indicator.unit_id].append(r)
    budget = {uid: (n, c, rl) for uid, n, c, rl in session.execute(
        select(Program.unit_id, func.count(Program.id), func.sum(Program.budget_ceiling),
               func.sum(Program.budget_realised))
        .where(Program.period_id == period.id, Program.level == "program").group_by(Program.unit_id))}
    out = []
    for uid, group in grouped.items():
        n, ceiling, realised = budget.get(uid, (0, None, None))
        out.append(OpdSummary(tree.units[uid], summarise(group), ikm.units(period.id, tree.subtree(uid)), int(n),
                              ceiling, realised))
    return sorted(out, key=lambda s: s.opd.name)


def planning_periods(session, opd_id: int | None = None) -> list[Period]:
    """Periods holding organisation indicators (of one OPD), oldest first."""
    q = select(OrgIndicator.period_id).group_by(OrgIndicator.period_id)
    if opd_id is not None:
        q = q.where(OrgIndicator.unit_id == opd_id)
    return list(session.scalars(select(Period).where(Period.id.in_(q)).order_by(Period.start_date, Period.id)))
