"""The RHK cascade (PermenPANRB 6/2022): the OPD head's RHK realises an indicator of the OPD's
performance agreement (IKU) or of a program / kegiatan / sub kegiatan; every other RHK intervenes in
an RHK of the employee's superior (``Target.parent_target_id``, "RHK atasan yang diintervensi").

* ``check_cascade_link(session, target)``: whether a target's links are valid; the policy / guard
  and the Target form call it. It decides WHAT may be linked, not WHO may set the link (that is the
  record-integrity policy's decision: the employee while the plan is draft or returned).
* ``parent_candidates(user)`` / ``indicator_candidates(user)``: SQL conditions for the AJAX pickers:
  the RHKs of the approved SKPs of the user's raters (same period), the indicators of the user's OPD.
* ``cascade_tree(session, period, opd_id)``: goal -> IKU / program -> indicator -> head's RHK ->
  subordinates' RHK ..., with the roll-up figures; ``alignment(session, period)``: per OPD, the
  indicators no RHK supports and the RHKs linked to nothing.
* ``link_labels(session, targets)``: the "RHK atasan yang diintervensi" text of the printed SKP.

The OPD head is the employee whose plan has no rater inside the same OPD (no rater at all, or a
rater of another OPD such as the Sekretaris Daerah).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from kinerja_admin.orgtree import UnitTree, unit_tree
from kinerja_admin.reports.dashboard import APPROVED_OR_LATER
from kinerja_admin.scope import is_unscoped, scope_condition
from models import (
    Employee,
    OrgIndicator,
    PerformanceAgreement,
    Period,
    Position,
    Program,
    StrategicGoal,
    Target,
    Unit,
    WorkPlan,
)
from models.planning import INDICATOR_KINDS, PROGRAM_LEVELS

from . import PlanningError
from .rollup import CascadeFigures, cascade_figures, q2, rhk_achievement
from .rules import ref_id


def opd_of_unit(tree: UnitTree, unit_id: int | None) -> int | None:
    return tree.root_of(unit_id)


def is_opd_head(session, plan: WorkPlan, tree: UnitTree | None = None) -> bool:
    """Whether the plan's employee heads its OPD: no rater, or a rater outside the OPD."""
    if plan.rater_id is None:
        return True
    tree = tree or unit_tree(session)
    rater_unit = session.scalar(select(Employee.unit_id).where(Employee.id == plan.rater_id))
    return tree.root_of(rater_unit) != tree.root_of(plan.unit_id)


def _plan_of(session, target: Target) -> WorkPlan | None:
    plan = target.__dict__.get("work_plan")
    if plan is not None:
        return plan
    plan_id = target.work_plan_id
    return session.get(WorkPlan, plan_id) if plan_id is not None else None


def check_cascade_link(session, target: Target) -> None:
    """Raise PlanningError unless the target's cascade links are valid:

    * at most one link: an RHK atasan or an organisation indicator;
    * RHK atasan: an RHK of the SKP of the plan's rater (the Pejabat Penilai), in the same period,
      that SKP approved (or later), and no loop back to this RHK;
    * organisation indicator: only on the OPD head's RHK, an indicator of the same period and OPD.
    """
    parent_id = ref_id(target, "parent_target", "parent_target_id")
    indicator_id = ref_id(target, "org_indicator", "org_indicator_id")
    if parent_id is None and indicator_id is None:
        return
    if parent_id is not None and indicator_id is not None:
        raise PlanningError("Pilih salah satu: RHK atasan yang diintervensi, atau (untuk kepala perangkat daerah) "
                            "indikator kinerja organisasi; tidak keduanya.")
    with session.no_autoflush:
        plan = _plan_of(session, target)
        if plan is None:
            raise PlanningError("SKP rencana hasil kerja wajib diisi.")
        if parent_id is not None:
            _check_parent(session, target, plan, parent_id)
        else:
            _check_indicator_link(session, plan, indicator_id)


def _check_parent(session, target: Target, plan: WorkPlan, parent_id: int) -> None:
    if target.id is not None and parent_id == target.id:
        raise PlanningError("RHK tidak dapat mengintervensi dirinya sendiri.")
    parent = session.get(Target, parent_id)
    if parent is None:
        raise PlanningError("RHK atasan tidak ditemukan.")
    parent_plan = session.get(WorkPlan, parent.work_plan_id)
    if plan.rater_id is None:
        raise PlanningError("SKP ini tidak memiliki pejabat penilai, sehingga tidak ada RHK atasan untuk diintervensi. "
                            "Kepala perangkat daerah mengaitkan RHK dengan indikator kinerja organisasi.")
    if parent_plan.period_id != plan.period_id:
        raise PlanningError("RHK atasan harus berasal dari periode yang sama.")
    if parent_plan.employee_id != plan.rater_id:
        rater = session.get(Employee, plan.rater_id)
        raise PlanningError(f"RHK atasan harus dipilih dari SKP pejabat penilai ({rater.name if rater else '-'}).")
    if parent_plan.status not in APPROVED_OR_LATER:
        raise PlanningError("SKP atasan belum disetujui; RHK atasan dapat dipilih setelah SKP atasan disetujui.")
    seen = {target.id} if target.id is not None else set()
    cur, steps = parent, 0
    while cur is not None and steps < 100:
        if cur.id in seen:
            raise PlanningError("Kaitan RHK membentuk lingkaran; pilih RHK atasan yang lain.")
        seen.add(cur.id)
        cur = session.get(Target, cur.parent_target_id) if cur.parent_target_id else None
        steps += 1


def _check_indicator_link(session, plan: WorkPlan, indicator_id: int) -> None:
    indicator = session.get(OrgIndicator, indicator_id)
    if indicator is None:
        raise PlanningError("Indikator kinerja organisasi tidak ditemukan.")
    tree = unit_tree(session)
    if not is_opd_head(session, plan, tree):
        raise PlanningError("Hanya RHK kepala perangkat daerah yang dikaitkan langsung dengan indikator kinerja "
                            "organisasi; RHK lain dikaitkan dengan RHK atasan yang diintervensi.")
    if indicator.period_id != plan.period_id:
        raise PlanningError("Indikator kinerja organisasi harus dari periode yang sama dengan SKP.")
    if indicator.unit_id != tree.root_of(plan.unit_id):
        raise PlanningError("Indikator kinerja organisasi harus milik perangkat daerah pegawai.")


def parent_candidates(user):
    """Condition on Target: the RHKs the user may pick as RHK atasan."""
    approved = WorkPlan.status.in_(APPROVED_OR_LATER)
    if is_unscoped(user):
        return Target.work_plan_id.in_(select(WorkPlan.id).where(approved))
    own = aliased(WorkPlan, name="own_plan")
    superiors = (select(WorkPlan.id)
                 .join(own, and_(own.rater_id == WorkPlan.employee_id, own.period_id == WorkPlan.period_id))
                 .where(own.employee_id == user.employee_id, approved))
    return Target.work_plan_id.in_(superiors)


def indicator_candidates(user):
    """Condition on OrgIndicator (None: no restriction): the indicators of the user's OPD."""
    return scope_condition(OrgIndicator, user)


def _indicator_label(ind: OrgIndicator) -> str:
    kind = "IKU" if ind.goal_id is not None else PROGRAM_LEVELS.get(ind.program.level if ind.program else "program")
    return f"{kind} {ind.code}: {ind.description}"


def link_labels(session, targets) -> dict[int, str]:
    """target id -> the 'RHK atasan yang diintervensi' text (the superior's RHK and its owner, or
    the organisation indicator for the OPD head); targets without a link are absent."""
    targets = list(targets)
    parent_ids = {t.parent_target_id for t in targets if t.parent_target_id}
    indicator_ids = {t.org_indicator_id for t in targets if t.org_indicator_id}
    parents = {}
    if parent_ids:
        for tid, desc, name in session.execute(
                select(Target.id, Target.description, Employee.name)
                .join(WorkPlan, WorkPlan.id == Target.work_plan_id)
                .join(Employee, Employee.id == WorkPlan.employee_id)
                .where(Target.id.in_(sorted(parent_ids)))):
            parents[tid] = f"{desc} ({name})"
    indicators = {}
    if indicator_ids:
        for ind in session.scalars(select(OrgIndicator).where(OrgIndicator.id.in_(sorted(indicator_ids)))):
            indicators[ind.id] = _indicator_label(ind)
    out = {}
    for t in targets:
        if t.parent_target_id in parents:
            out[t.id] = parents[t.parent_target_id]
        elif t.org_indicator_id in indicators:
            out[t.id] = indicators[t.org_indicator_id]
    return out


# --- the cascade tree of one OPD --------------------------------------------------------------------

@dataclass
class RhkNode:
    target_id: int
    seq: int
    description: str
    plan_id: int
    employee: str
    position: str
    status: str
    achievement: object = None
    children: list = field(default_factory=list)
    hidden: bool = False  # the viewer may not read this employee's achievement (not in their plan scope)

    def count(self) -> int:
        return 1 + sum(c.count() for c in self.children)


@dataclass
class IndicatorNode:
    indicator: OrgIndicator
    kind: str
    figures: CascadeFigures
    rhks: list = field(default_factory=list)


@dataclass
class ProgramNode:
    program: Program
    indicators: list = field(default_factory=list)
    children: list = field(default_factory=list)


@dataclass
class GoalNode:
    goal: StrategicGoal | None
    indicators: list = field(default_factory=list)
    programs: list = field(default_factory=list)


def _rhk_rows(session, period_id: int, unit_ids):
    mine = (select(Target.id).join(WorkPlan, WorkPlan.id == Target.work_plan_id)
            .where(WorkPlan.period_id == period_id, WorkPlan.unit_id.in_(sorted(unit_ids))))
    achievement = rhk_achievement(period_id, mine)
    return session.execute(
        select(Target.id, Target.seq, Target.description, Target.parent_target_id, Target.org_indicator_id,
               WorkPlan.id, Employee.name, Position.name, WorkPlan.status, achievement.c.ach)
        .join(WorkPlan, WorkPlan.id == Target.work_plan_id)
        .join(Employee, Employee.id == WorkPlan.employee_id)
        .outerjoin(Position, Position.id == WorkPlan.position_id)
        .outerjoin(achievement, achievement.c.target_id == Target.id)
        .where(WorkPlan.period_id == period_id, WorkPlan.unit_id.in_(sorted(unit_ids)))
        .order_by(Employee.name, Target.seq)).all()


def readable_plans(session, actor, plan_ids) -> set[int]:
    """The plans among `plan_ids` whose figures `actor` may read: the WorkPlan row scope decides (an
    employee their own and those they judge; all-rows roles every one). A colleague's RHK text is part
    of the OPD's shared cascade; their achievement is not."""
    from kinerja_admin.scope import scope_query

    ids = sorted(set(plan_ids))
    out: set[int] = set()
    for i in range(0, len(ids), 1000):
        out.update(session.scalars(scope_query(select(WorkPlan.id).where(WorkPlan.id.in_(ids[i:i + 1000])),
                                               WorkPlan, actor)))
    return out


def hide_unreadable_people(session, actor, period_id: int, people: list[dict]) -> list[dict]:
    """`people` (cascade_people) with the achievement of those whose plan `actor` may not read blanked."""
    employees = [p["employee_id"] for p in people]
    plans = dict(session.execute(select(WorkPlan.employee_id, WorkPlan.id).where(
        WorkPlan.period_id == period_id, WorkPlan.employee_id.in_(employees))).all()) if employees else {}
    readable = readable_plans(session, actor, plans.values())
    for p in people:
        if plans.get(p["employee_id"]) not in readable:
            p["achievement"], p["hidden"] = None, True
    return people


def cascade_tree(session, period: Period, opd_id: int, actor=None) -> dict:
    """The cascade of one OPD in one period, ready to render (for `actor`: achievements of plans outside
    their scope hidden)."""
    tree = unit_tree(session)
    subtree = tree.subtree(opd_id)
    agreement = session.scalar(select(PerformanceAgreement).where(
        PerformanceAgreement.period_id == period.id, PerformanceAgreement.unit_id == opd_id))
    goals = list(session.scalars(select(StrategicGoal).where(StrategicGoal.agreement_id == agreement.id)
                                 .order_by(StrategicGoal.code))) if agreement else []
    programs = list(session.scalars(select(Program).where(Program.period_id == period.id, Program.unit_id == opd_id)
                                    .order_by(Program.code)))
    indicators = list(session.scalars(select(OrgIndicator).where(OrgIndicator.period_id == period.id,
                                                                 OrgIndicator.unit_id == opd_id)
                                      .order_by(OrgIndicator.code)))
    figures = cascade_figures(session, period.id, [i.id for i in indicators]) if indicators else {}

    nodes: dict[int, RhkNode] = {}
    parent_of: dict[int, int | None] = {}
    root_indicator: dict[int, int] = {}
    for tid, seq, desc, parent_id, ind_id, plan_id, emp, pos, status, ach in _rhk_rows(session, period.id, subtree):
        nodes[tid] = RhkNode(tid, seq, desc, plan_id, emp, pos or "", status, q2(ach))
        parent_of[tid] = parent_id
        if ind_id is not None:
            root_indicator[tid] = ind_id
    if actor is not None:
        readable = readable_plans(session, actor, [n.plan_id for n in nodes.values()])
        for node in nodes.values():
            if node.plan_id not in readable:
                node.achievement, node.hidden = None, True
    unlinked, dangling = [], []
    for tid, node in nodes.items():
        pid = parent_of[tid]
        if pid is not None and pid in nodes:
            nodes[pid].children.append(node)
        elif pid is not None:
            dangling.append(node)  # its superior's RHK is outside this OPD's plans of the period
        elif tid not in root_indicator:
            unlinked.append(node)

    ind_nodes = {}
    for ind in indicators:
        kind = "iku" if ind.goal_id is not None else (ind.program.level if ind.program else "program")
        ind_nodes[ind.id] = IndicatorNode(ind, kind, figures.get(ind.id, CascadeFigures()))
    for tid, ind_id in root_indicator.items():
        if ind_id in ind_nodes:
            ind_nodes[ind_id].rhks.append(nodes[tid])

    prog_nodes = {p.id: ProgramNode(p) for p in programs}
    for ind in indicators:
        if ind.program_id in prog_nodes:
            prog_nodes[ind.program_id].indicators.append(ind_nodes[ind.id])
    roots = []
    for p in programs:
        if p.parent_id in prog_nodes:
            prog_nodes[p.parent_id].children.append(prog_nodes[p.id])
        else:
            roots.append(prog_nodes[p.id])
    goal_nodes = {g.id: GoalNode(g) for g in goals}
    for ind in indicators:
        if ind.goal_id in goal_nodes:
            goal_nodes[ind.goal_id].indicators.append(ind_nodes[ind.id])
    loose = GoalNode(None)
    for node in roots:
        target = goal_nodes.get(node.program.goal_id)
        (target or loose).programs.append(node)
    goal_list = list(goal_nodes.values()) + ([loose] if loose.programs else [])
    return {"period": period, "opd": session.get(Unit, opd_id), "agreement": agreement, "goals": goal_list,
            "unlinked": sorted(unlinked, key=lambda n: (n.employee, n.seq)),
            "dangling": sorted(dangling, key=lambda n: (n.employee, n.seq)),
            "unsupported": [n for n in ind_nodes.values() if not n.rhks],
            "rhk_total": len(nodes), "kinds": INDICATOR_KINDS}


# --- alignment checks -------------------------------------------------------------------------------

@dataclass
class Alignment:
    opd: Unit
    indicators: int = 0
    unsupported: list = field(default_factory=list)  # (id, code, description)
    rhk: int = 0
    unlinked: int = 0

    @property
    def ok(self) -> bool:
        return not self.unsupported and not self.unlinked


def alignment(session, period: Period, opd_ids: set[int] | None = None) -> list[Alignment]:
    """Per OPD with planning data or plans in the period: the organisation indicators that no RHK
    supports (no RHK of the period links to them) and the RHKs linked to nothing (neither an RHK
    atasan nor an indicator). ``opd_ids`` limits the OPDs (None: all)."""
    tree = unit_tree(session, with_units=True)
    rows: dict[int, Alignment] = {}

    def row(opd_id):
        if opd_id not in rows:
            rows[opd_id] = Alignment(tree.units[opd_id])
        return rows[opd_id]

    ind_conds = [OrgIndicator.period_id == period.id]
    if opd_ids is not None:
        ind_conds.append(OrgIndicator.unit_id.in_(sorted(opd_ids)))
    supported = exists(select(Target.id).where(Target.org_indicator_id == OrgIndicator.id))
    for unit_id, n in session.execute(select(OrgIndicator.unit_id, func.count(OrgIndicator.id))
                                      .where(*ind_conds).group_by(OrgIndicator.unit_id)):
        row(unit_id).indicators = int(n)
    for ind_id, unit_id, code, desc in session.execute(
            select(OrgIndicator.id, OrgIndicator.unit_id, OrgIndicator.code, OrgIndicator.description)
            .where(*ind_conds, ~supported).order_by(OrgIndicator.code)):
        row(unit_id).unsupported.append((ind_id, code, desc))
    unlinked = case((and_(Target.parent_target_id.is_(None), Target.org_indicator_id.is_(None)), 1), else_=0)
    for unit_id, n, loose in session.execute(
            select(WorkPlan.unit_id, func.count(Target.id), func.sum(unlinked))
            .join(Target, Target.work_plan_id == WorkPlan.id)
            .where(WorkPlan.period_id == period.id).group_by(WorkPlan.unit_id)):
        opd_id = tree.root_of(unit_id)
        if opd_id is None or (opd_ids is not None and opd_id not in opd_ids):
            continue
        r = row(opd_id)
        r.rhk += int(n)
        r.unlinked += int(loose or 0)
    return sorted(rows.values(), key=lambda r: r.opd.name)


def opd_choices(session, user) -> list[Unit]:
    """The OPDs a user may open on the cascade / effectiveness pages (their own for OPD roles)."""
    from kinerja_admin.scope import user_opd_id

    opds = session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)).all()
    if is_unscoped(user):
        return list(opds)
    own = user_opd_id(user)
    return [u for u in opds if u.id == own]
