"""Where a row stands: its period, its subject, the people around it and the states that decide what
may be changed (policy/rules.py). Loaded for many rows at once: one SELECT per anchor kind, plus one
per parent level for rows whose parents are not in memory."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import exists, inspect, select

from models import Objection, Period, RaterAssignment, ScoreResult, WorkPlan

from .rules import POLICIES

BY_MODEL = {p.model: p for p in POLICIES}


@dataclass(frozen=True)
class Ctx:
    period_id: int | None = None
    period_code: str | None = None
    period_status: str | None = None
    period_scheme_id: int | None = None
    has_results: bool = False
    plan_id: int | None = None
    plan_status: str | None = None
    subject_id: int | None = None
    rater_id: int | None = None
    rater_superior_id: int | None = None
    result_status: str | None = None
    assignment_status: str | None = None
    assignment_rater_id: int | None = None
    assignment_role: str | None = None
    decider_id: int | None = None
    unit_id: int | None = None            # the plan's unit (which delegations cover it)
    window_state: str | None = None       # a periodic window: before / open / closed (today)


EMPTY = Ctx()


def committed(obj, attr):
    """The value of a column as stored before this flush (the current one for a new row)."""
    state = inspect(obj)
    if state.transient or state.pending:
        return getattr(obj, attr)
    hist = state.attrs[attr].history
    if hist.deleted:
        return hist.deleted[0]
    if hist.unchanged:
        return hist.unchanged[0]
    return state.dict.get(attr, getattr(obj, attr, None))


def _period_select():
    return (Period.code, Period.status, Period.scheme_id)


def _load_plans(session, ids):
    stmt = (select(WorkPlan.id, WorkPlan.status, WorkPlan.employee_id, WorkPlan.rater_id,
                   WorkPlan.rater_superior_id, WorkPlan.period_id, *_period_select(), WorkPlan.unit_id)
            .join(Period, Period.id == WorkPlan.period_id).where(WorkPlan.id.in_(ids)))
    return {r[0]: Ctx(plan_id=r[0], plan_status=r[1], subject_id=r[2], rater_id=r[3], rater_superior_id=r[4],
                      period_id=r[5], period_code=r[6], period_status=r[7], period_scheme_id=r[8], unit_id=r[9])
            for r in session.execute(stmt)}


def _load_results(session, ids):
    stmt = (select(ScoreResult.id, ScoreResult.status, ScoreResult.employee_id, ScoreResult.period_id,
                   WorkPlan.id, WorkPlan.status, WorkPlan.rater_id, WorkPlan.rater_superior_id, *_period_select(),
                   WorkPlan.unit_id)
            .join(Period, Period.id == ScoreResult.period_id)
            .outerjoin(WorkPlan, WorkPlan.id == ScoreResult.work_plan_id).where(ScoreResult.id.in_(ids)))
    return {r[0]: Ctx(result_status=r[1], subject_id=r[2], period_id=r[3], plan_id=r[4], plan_status=r[5],
                      rater_id=r[6], rater_superior_id=r[7], period_code=r[8], period_status=r[9],
                      period_scheme_id=r[10], unit_id=r[11])
            for r in session.execute(stmt)}


def _load_assignments(session, ids):
    stmt = (select(RaterAssignment.id, RaterAssignment.status, RaterAssignment.ratee_id, RaterAssignment.rater_id,
                   RaterAssignment.role, RaterAssignment.period_id, *_period_select())
            .join(Period, Period.id == RaterAssignment.period_id).where(RaterAssignment.id.in_(ids)))
    return {r[0]: Ctx(assignment_status=r[1], subject_id=r[2], assignment_rater_id=r[3], assignment_role=r[4],
                      period_id=r[5], period_code=r[6], period_status=r[7], period_scheme_id=r[8])
            for r in session.execute(stmt)}


def _load_periods(session, ids):
    has = exists().where(ScoreResult.period_id == Period.id)
    stmt = select(Period.id, *_period_select(), has).where(Period.id.in_(ids))
    return {r[0]: Ctx(period_id=r[0], period_code=r[1], period_status=r[2], period_scheme_id=r[3],
                      has_results=bool(r[4]))
            for r in session.execute(stmt)}


LOADERS = {"plan": _load_plans, "result": _load_results, "assignment": _load_assignments, "period": _load_periods}
ANCHOR_MODEL = {"plan": WorkPlan, "result": ScoreResult, "assignment": RaterAssignment, "period": Period}


def _own(obj, pol, base: Ctx) -> Ctx:
    """An anchor row's context from its own (committed) values, for rows not yet in the database."""
    if pol.anchor == "plan":
        return replace(base, plan_id=obj.id, plan_status=committed(obj, "status") or "draft",
                       subject_id=committed(obj, "employee_id"), rater_id=committed(obj, "rater_id"),
                       rater_superior_id=committed(obj, "rater_superior_id"), unit_id=committed(obj, "unit_id"))
    if pol.anchor == "result":
        return replace(base, result_status=committed(obj, "status") or "computed",
                       subject_id=committed(obj, "employee_id"))
    if pol.anchor == "assignment":
        return replace(base, assignment_status=committed(obj, "status") or "pending",
                       subject_id=committed(obj, "ratee_id"), assignment_rater_id=committed(obj, "rater_id"),
                       assignment_role=committed(obj, "role"))
    return base


def _anchor_key(obj, pol):
    """(anchor kind, id to load by) of an anchor row: its own id, or its period's when it is new."""
    state = inspect(obj)
    if pol.anchor == "period" and pol.model is Period:
        return ("period", obj.id) if not (state.pending or state.transient) else (None, None)
    if not (state.pending or state.transient) and pol.model is ANCHOR_MODEL.get(pol.anchor):
        return pol.anchor, obj.id
    return "period", committed(obj, "period_id") or getattr(obj.__dict__.get("period"), "id", None)


def contexts(session, objects) -> dict[int, Ctx]:
    """{id(obj): Ctx} for governed ORM objects (in memory or stored), a few batch queries in all."""
    out: dict[int, Ctx] = {}
    # walk each object up to its anchor row: (obj, chain of parents in memory or (model, id) to load)
    wanted: dict[str, set] = defaultdict(set)
    plans: dict[int, tuple] = {}

    def resolve(obj):
        pol = BY_MODEL.get(type(obj))
        if pol is None or (pol.anchor is None and pol.parent is None):
            return ("none", None)
        if pol.parent is None:
            kind, key = _anchor_key(obj, pol)
            if kind is not None and key is not None:
                wanted[kind].add(key)
            return ("anchor", obj, pol, kind, key)
        fk, rel, parent_model = pol.parent
        parent = obj.__dict__.get(rel)
        if parent is not None:
            return ("via", resolve(parent), obj, pol)
        pid = committed(obj, fk)
        if pid is None:
            return ("none", None)
        return ("load", parent_model, pid, obj, pol)

    plans = {id(o): resolve(o) for o in objects}
    # parents to load by id, level by level (Realisation -> Indicator -> Target -> WorkPlan)
    pending: dict[type, set] = defaultdict(set)

    def collect(node):
        if node[0] == "via":
            collect(node[1])
        elif node[0] == "load":
            pending[node[1]].add(node[2])

    for node in plans.values():
        collect(node)
    parent_of: dict[tuple, tuple] = {}  # (model, id) -> (anchor kind, anchor id)
    level = dict(pending)
    while level:
        nxt: dict[type, set] = defaultdict(set)
        for model, ids in level.items():
            pol = BY_MODEL[model]
            if pol.parent is None:
                if model is ANCHOR_MODEL.get(pol.anchor):
                    for i in ids:
                        parent_of[(model, i)] = (pol.anchor, i)
                        wanted[pol.anchor].add(i)
                else:  # a row that carries period_id itself (a performance agreement, ...)
                    for rid, pid in session.execute(select(model.id, model.period_id).where(
                            model.id.in_(sorted(ids)))):
                        parent_of[(model, rid)] = ("period", pid)
                        wanted["period"].add(pid)
                continue
            fk = pol.parent[0]
            pmodel = pol.parent[2]
            col = getattr(model, fk)
            for rid, pid in session.execute(select(model.id, col).where(model.id.in_(sorted(ids)))):
                parent_of[(model, rid)] = ("parent", pmodel, pid)
                nxt[pmodel].add(pid)
        level = nxt
    loaded = {kind: LOADERS[kind](session, sorted(ids)) for kind, ids in wanted.items() if ids}

    def anchor_ctx(kind, key):
        return loaded.get(kind, {}).get(key, EMPTY)

    def stored(model, rid):
        link = parent_of.get((model, rid))
        if link is None:
            return EMPTY
        if link[0] == "parent":
            return stored(link[1], link[2])
        return anchor_ctx(link[0], link[1])

    def ctx_of(node):
        if node[0] == "none":
            return EMPTY
        if node[0] == "anchor":
            _, obj, pol, kind, key = node
            base = anchor_ctx(kind, key) if kind is not None else EMPTY
            state = inspect(obj)
            if state.pending or state.transient or kind == "period":
                return _own(obj, pol, base)
            return base
        if node[0] == "via":
            return _with_own(node[2], node[3], ctx_of(node[1]))
        _, model, pid, obj, pol = node
        return _with_own(obj, pol, stored(model, pid))

    for key, node in plans.items():
        out[key] = ctx_of(node)
    _windows(session, objects, out)
    return out


def _windows(session, objects, out: dict) -> None:
    """The state of the periodic window of rows that have one (policy `window`), today: before its
    start, open (start to due date) or closed. One SELECT for all of them."""
    from models import SubPeriod

    rows = [(o, BY_MODEL[type(o)].window) for o in objects
            if type(o) in BY_MODEL and BY_MODEL[type(o)].window is not None]
    if not rows:
        return
    ids = {getattr(o, col) for o, col in rows if getattr(o, col) is not None}
    dates = dict((r[0], (r[1], r[2])) for r in session.execute(
        select(SubPeriod.id, SubPeriod.start_date, SubPeriod.due_date).where(SubPeriod.id.in_(sorted(ids))))) \
        if ids else {}
    from kinerja_admin.clock import today

    day = today(session)
    for obj, col in rows:
        span = dates.get(getattr(obj, col))
        state = None if span is None else ("before" if day < span[0] else "closed" if day > span[1] else "open")
        out[id(obj)] = replace(out[id(obj)], window_state=state)


def _with_own(obj, pol, ctx: Ctx) -> Ctx:
    if isinstance(obj, Objection):
        return replace(ctx, decider_id=committed(obj, "decider_id"))
    return ctx


def context_of(session, obj) -> Ctx:
    return contexts(session, [obj])[id(obj)]
