"""The roll-up of employees' results into organisation indicators, as one set-based computation.

The rules (the scoring schemes carry no RHK weight; they weigh every target of an SKP and every
indicator of a target equally, kinerja_admin.scoring.engine.skp_subquery, and so does this):

1. Capaian of an employee indicator: realisation / target x 100, or (2 - realisation / target) x 100
   when lower is better, never below 0 (kinerja_admin.scoring.formulas.ref_capaian, the capaian IKI
   of PermenPANRB 8/2021), from the indicator's latest realisation (as the engine scores it).
   An indicator without a realisation, or with target 0, has no capaian.
2. Achievement of an RHK: the mean capaian of its indicators that have one (equal weights). An RHK
   none of whose indicators has a capaian has no achievement ("belum ada realisasi").
3. The cascade of an organisation indicator: the OPD head's RHKs linked to it
   (Target.org_indicator_id) and every RHK below them through Target.parent_target_id, at any depth.
   Its achievement is the mean over the RHKs of the cascade that have an achievement: every RHK
   weighs the same, whatever its level; RHKs without an achievement are left out of the mean (not
   counted as 0) and reported as the difference between ``rhk`` and ``rhk_with_data``.
4. Above the indicators (a program with its kegiatan and sub kegiatan, a goal with its IKU), values
   are combined with the indicators' weights (OrgIndicator.weight, empty = 1), leaving out the
   indicators without a value: kinerja_admin.planning.effectiveness.weighted_mean.

``cascade_statement`` is the single SQL statement (a recursive CTE) behind rule 3; the benchmark
scripts/bench_cascade.py times it against a hand-written floor.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import distinct, func, literal_column, select
from sqlalchemy.orm import aliased

from kinerja_admin.scoring.formulas import sql_capaian
from models import Employee, Indicator, OrgIndicator, Position, Realisation, Target, WorkPlan

# deeper than any supervisor chain; stops a cycle that bypassed the link checks from looping
MAX_DEPTH = 30
TWO = Decimal("0.01")


def q2(value) -> Decimal | None:
    if value is None:
        return None
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(TWO, rounding=ROUND_HALF_UP)


def rhk_achievement(period_id: int | None, targets=None):
    """Subquery (target_id, ach): rule 2 for the RHKs of the period that have an achievement; only
    for the RHKs whose ids the SELECT ``targets`` gives (a page about one OPD or one indicator
    computes its own RHKs, not the whole city's); or, with ``period_id`` None, for every RHK of
    every period (cheapest when the caller joins the result to one period's RHKs anyway: one
    index-ordered pass over the realisations instead of joining them to their plans)."""
    if targets is not None:
        scope = [Indicator.target_id.in_(targets)]
        joins = Realisation.__table__.join(Indicator, Indicator.id == Realisation.indicator_id)
    elif period_id is None:
        scope = []
        joins = Realisation.__table__
    else:
        scope = [WorkPlan.period_id == period_id]
        joins = (Realisation.__table__.join(Indicator, Indicator.id == Realisation.indicator_id)
                 .join(Target, Target.id == Indicator.target_id)
                 .join(WorkPlan, WorkPlan.id == Target.work_plan_id))
    latest = (select(Realisation.indicator_id, func.max(Realisation.id).label("rid"))
              .select_from(joins).where(*scope)
              .group_by(Realisation.indicator_id).subquery("latest"))
    capaian = sql_capaian(Realisation.value, Indicator.target_value, Indicator.lower_is_better)
    per_indicator = (select(Indicator.target_id.label("target_id"), capaian.label("c"))
                     .join(latest, latest.c.indicator_id == Indicator.id)
                     .join(Realisation, Realisation.id == latest.c.rid)).subquery("ic")
    return (select(per_indicator.c.target_id, func.avg(per_indicator.c.c).label("ach"))
            .group_by(per_indicator.c.target_id).subquery("rhk_ach"))


def cascade_cte(period_id: int, indicator_ids=None):
    """Recursive CTE (target_id, indicator_id, depth): rule 3's RHKs of each organisation indicator
    of the period (depth 1 = the head's RHK linked to the indicator)."""
    anchor = (select(Target.id.label("target_id"), Target.org_indicator_id.label("indicator_id"),
                     literal_column("1").label("depth"))
              .where(Target.org_indicator_id.in_(select(OrgIndicator.id).where(OrgIndicator.period_id == period_id))))
    if indicator_ids is not None:
        anchor = anchor.where(Target.org_indicator_id.in_(sorted(indicator_ids)))
    cte = anchor.cte("cascade", recursive=True)
    child = aliased(Target, name="child")
    step = (select(child.id, cte.c.indicator_id, cte.c.depth + literal_column("1"))
            .join(cte, child.parent_target_id == cte.c.target_id)
            .where(cte.c.depth < MAX_DEPTH))
    return cte.union_all(step)


def cascade_rhks(period_id: int, indicator_ids=None):
    """(cte, achievement subquery, joined FROM) of the cascades: one row per RHK with its plan. The
    whole period's achievements are computed once when every indicator is asked for; for some
    indicators only the RHKs of their cascades are computed."""
    cte = cascade_cte(period_id, indicator_ids)
    # some indicators: only their cascades' RHKs; every indicator: every RHK (the join below keeps
    # the period's), see rhk_achievement
    ach = rhk_achievement(None, select(cte.c.target_id) if indicator_ids is not None else None)
    joined = (cte.join(Target, Target.id == cte.c.target_id)
              .join(WorkPlan, WorkPlan.id == Target.work_plan_id)
              .outerjoin(ach, ach.c.target_id == cte.c.target_id))
    return cte, ach, joined


def cascade_statement(period_id: int, indicator_ids=None):
    """(indicator_id, rhk, rhk_with_data, ach_sum, employees) per organisation indicator."""
    cte, ach, joined = cascade_rhks(period_id, indicator_ids)
    return (select(cte.c.indicator_id, func.count(cte.c.target_id).label("rhk"),
                   func.count(ach.c.ach).label("rhk_with_data"), func.sum(ach.c.ach).label("ach_sum"),
                   func.count(distinct(WorkPlan.employee_id)).label("employees"))
            .select_from(joined)
            .where(WorkPlan.period_id == period_id)
            .group_by(cte.c.indicator_id))


@dataclass
class CascadeFigures:
    rhk: int = 0
    rhk_with_data: int = 0
    ach_sum: Decimal | None = None
    employees: int = 0

    @property
    def exact(self) -> Decimal | None:
        """Mean achievement (%) of the RHKs with data, unrounded (for further roll-ups)."""
        if not self.rhk_with_data or self.ach_sum is None:
            return None
        return Decimal(str(self.ach_sum)) / Decimal(self.rhk_with_data)

    @property
    def achievement(self) -> Decimal | None:
        """Mean achievement (%) of the RHKs with data, rounded half up to 2 decimals; None without any."""
        return q2(self.exact)

    @property
    def rhk_missing(self) -> int:
        return self.rhk - self.rhk_with_data


def cascade_figures(session, period_id: int, indicator_ids=None) -> dict[int, CascadeFigures]:
    """indicator id -> its cascade figures (indicators without a linked RHK are absent)."""
    out = {}
    for ind_id, rhk, with_data, ach_sum, employees in session.execute(cascade_statement(period_id, indicator_ids)):
        out[ind_id] = CascadeFigures(int(rhk), int(with_data), ach_sum, int(employees))
    return out


def cascade_people(session, period_id: int, indicator_id: int) -> list[dict]:
    """The employees whose RHKs cascade into one indicator: name, position, level (1 = the head),
    number of RHKs and their mean achievement, head first then by level and name."""
    cte, ach, joined = cascade_rhks(period_id, [indicator_id])
    rows = session.execute(
        select(Employee.id, Employee.name, Position.name, func.min(cte.c.depth), func.count(cte.c.target_id),
               func.count(ach.c.ach), func.sum(ach.c.ach))
        .select_from(joined.join(Employee, Employee.id == WorkPlan.employee_id)
                     .outerjoin(Position, Position.id == WorkPlan.position_id))
        .where(WorkPlan.period_id == period_id)
        .group_by(Employee.id, Employee.name, Position.name)
        .order_by(func.min(cte.c.depth), Employee.name)).all()
    return [{"employee_id": r[0], "name": r[1], "position": r[2] or "", "level": int(r[3]), "rhk": int(r[4]),
             "achievement": q2(Decimal(str(r[6])) / Decimal(int(r[5]))) if r[5] else None} for r in rows]
