"""Acting superiors (Plt / Plh) inside the record policy.

A delegation (models.Delegation) in force on a day (start_date <= day <= end_date) gives its holder
the relations of the superior it stands in for to the plans it covers: a plan of the delegation's
unit or one of its sub-units (any unit when the delegation names none) whose rater, rater's superior
or objection decider is the principal. A delegation without a principal stands in for a vacant post:
it covers the plans of its unit that have no rater (or no rater's superior). Nothing else changes:
the policy's rules name relations (``rater``, ``rater_superior``, ``decider``), and
`kinerja_admin.policy.check.relations`, the workflow engine's `who_allowed`, the row scope
(`kinerja_admin.scope`) and the SKP pages ask this module which of them a user holds through a
delegation. Before the start and after the end the holder has none of them.

Separation of duties holds through a delegation too: nobody acts on their own record through one, and a
delegated relation is not given to someone who already holds the other side of the same plan (the
rater's superior does not become its rater, the rater does not become its superior or the decider of an
objection against their own judgement).

An action taken under a delegation records both people in the audit trail: the row's user is the
holder, and ``delegation_id`` / ``acting_for`` say on whose behalf (`acting_text`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from models import Delegation, Employee, ScoreResult, Unit, WorkPlan

CACHE_KEY = "kinerja.delegations"
KIND_PREFIX = {"plt": "Plt.", "plh": "Plh."}
REL_TEXT = {"rater": "pejabat penilai", "rater_superior": "atasan pejabat penilai",
            "decider": "pemutus keberatan"}


@dataclass(frozen=True)
class Acting:
    """One delegation in force, as plain data (cached per transaction)."""

    id: int
    kind: str
    holder_id: int
    holder_name: str
    principal_id: int | None
    principal_name: str | None
    unit_id: int | None
    unit_name: str | None
    units: frozenset | None  # the unit and its sub-units; None = any unit
    start_date: dt.date
    end_date: dt.date

    def covers(self, unit_id) -> bool:
        return self.units is None or unit_id in self.units

    @property
    def label(self) -> str:
        return f"{KIND_PREFIX.get(self.kind, 'Plt.')} {self.holder_name}"

    @property
    def for_whom(self) -> str:
        if self.principal_id is not None:
            return self.principal_name or f"pegawai #{self.principal_id}"
        return f"jabatan lowong {self.unit_name or ''}".strip()


def _session(session):
    if session is not None:
        return session
    from models import db

    return db.session


def _read_in_force(session, day: dt.date, holder_id: int | None = None) -> list[Acting]:
    """The delegations in force on `day` (of one holder when given), with names and unit subtrees."""
    from .orgtree import unit_tree

    principal = aliased(Employee)
    holder = aliased(Employee)
    stmt = (select(Delegation.id, Delegation.kind, Delegation.holder_id, holder.name, Delegation.principal_id,
                   principal.name, Delegation.unit_id, Unit.name, Delegation.start_date, Delegation.end_date)
            .join(holder, holder.id == Delegation.holder_id)
            .outerjoin(principal, principal.id == Delegation.principal_id)
            .outerjoin(Unit, Unit.id == Delegation.unit_id)
            .where(Delegation.start_date <= day, Delegation.end_date >= day).order_by(Delegation.id))
    if holder_id is not None:
        stmt = stmt.where(Delegation.holder_id == holder_id)
    rows = session.execute(stmt).all()
    tree = unit_tree(session) if any(r[6] is not None for r in rows) else None
    return [Acting(id=r[0], kind=r[1], holder_id=r[2], holder_name=r[3], principal_id=r[4], principal_name=r[5],
                   unit_id=r[6], unit_name=r[7], units=frozenset(tree.subtree(r[6])) if r[6] is not None else None,
                   start_date=r[8], end_date=r[9]) for r in rows]


def in_force(employee_id: int | None, day: dt.date | None = None, session=None) -> tuple[Acting, ...]:
    """The delegations `employee_id` holds on `day` (today in the instance's zone by default)."""
    if employee_id is None:
        return ()
    session = _session(session)
    if day is None:
        from .clock import today

        day = today(session)
    cache = session.info.setdefault(CACHE_KEY, {})
    key = (employee_id, day)
    if key not in cache:
        cache[key] = tuple(_read_in_force(session, day, employee_id))
    return cache[key]


def forget(session) -> None:
    """Drop what this session knows of delegations and of today (after a commit, a rollback, or a
    write of a delegation)."""
    from .clock import KEY

    session.info.pop(CACHE_KEY, None)
    session.info.pop(KEY, None)


def relations_for(emp: int | None, *, subject_id, rater_id, rater_superior_id, decider_id=None, unit_id=None,
                  day: dt.date | None = None, session=None, held=None) -> dict[str, Acting]:
    """{relation: delegation} that employee `emp` holds to a plan's record through delegations in
    force (never to their own record, never both sides of one plan)."""
    if emp is None or subject_id is None or subject_id == emp:
        return {}
    held = in_force(emp, day, session) if held is None else held
    if not held:
        return {}
    out: dict[str, Acting] = {}
    for d in held:
        if not d.covers(unit_id):
            continue
        for rel, value in (("rater", rater_id), ("rater_superior", rater_superior_id), ("decider", decider_id)):
            if d.principal_id is not None:
                match = value == d.principal_id
            elif rel == "rater":  # a vacant post: the plans of the unit without a rater ...
                match = value is None and d.units is not None
            elif rel == "rater_superior":  # ... or with a rater but without the rater's superior
                match = value is None and rater_id is not None and d.units is not None
            else:
                match = False
            if match:
                out.setdefault(rel, d)
    # one person is never both sides of a plan (the same rules as plan_condition's SQL)
    principals = {d.principal_id for d in held if d.principal_id is not None}
    if emp == rater_superior_id:
        out.pop("rater", None)
    if emp == rater_id:
        out.pop("rater_superior", None)
        out.pop("decider", None)
    if rater_id is not None and rater_id in principals:
        out.pop("rater_superior", None)
    return out


def relations(actor, ctx, session=None) -> dict[str, Acting]:
    """Delegated relations of a user to a row of the record policy (its Ctx)."""
    return relations_for(getattr(actor, "employee_id", None), subject_id=ctx.subject_id, rater_id=ctx.rater_id,
                         rater_superior_id=ctx.rater_superior_id, decider_id=ctx.decider_id,
                         unit_id=ctx.unit_id, session=session)


def row_relations(actor, row: dict, session=None) -> dict[str, Acting]:
    """The same for a workflow row (employee_id, rater_id, rater_superior_id, unit_id)."""
    return relations_for(getattr(actor, "employee_id", None), subject_id=row.get("employee_id"),
                         rater_id=row.get("rater_id"), rater_superior_id=row.get("rater_superior_id"),
                         decider_id=row.get("decider_id"), unit_id=row.get("unit_id"), session=session)


def acting_text(d: Acting, rel: str) -> str:
    """'Plh. Budi Santoso atas nama Ir. Andi (pejabat penilai), surat perintah 1-31 Maret 2026'."""
    from .formatting import tanggal

    return (f"{d.label} atas nama {d.for_whom} ({REL_TEXT.get(rel, rel)}), "
            f"berlaku {tanggal(d.start_date)} s.d. {tanggal(d.end_date)}")[:300]


def audit_fields(actor, ctx, session=None) -> dict:
    """delegation_id / acting_for of an audit row written by `actor` on a row with context `ctx`."""
    if actor is None or ctx is None or getattr(actor, "employee_id", None) is None:
        return {}
    rels = relations(actor, ctx, session)
    for rel in ("rater", "rater_superior", "decider"):
        if rel in rels:
            return {"delegation_id": rels[rel].id, "acting_for": acting_text(rels[rel], rel)}
    return {}


# --- SQL: the same relations as conditions (row scope, worklists, reminders) ----------------------------

def _column_condition(d: Acting, column, unit_column, rel: str):
    if d.principal_id is not None:
        cond = column == d.principal_id
    elif d.units is None:
        return None
    elif rel == "rater":
        cond = column.is_(None)
    else:
        cond = and_(column.is_(None), WorkPlan.rater_id.is_not(None))
    if d.units is not None:
        cond = and_(cond, unit_column.in_(sorted(d.units)))
    return cond


def plan_condition(employee_id: int | None, rel: str, day: dt.date | None = None, session=None):
    """WorkPlan rows on which `employee_id` holds `rel` ('rater' or 'rater_superior') through a
    delegation in force (None when they hold none): the SQL twin of `relations_for`."""
    return conditions_of(in_force(employee_id, day, session), employee_id, rel)


def conditions_of(held, employee_id: int | None, rel: str):
    """plan_condition for given delegations `held` (all of one holder)."""
    if not held or employee_id is None:
        return None
    column = WorkPlan.rater_id if rel == "rater" else WorkPlan.rater_superior_id
    other = WorkPlan.rater_superior_id if rel == "rater" else WorkPlan.rater_id
    parts = [c for c in (_column_condition(d, column, WorkPlan.unit_id, rel) for d in held) if c is not None]
    if not parts:
        return None
    cond = and_(or_(*parts), WorkPlan.employee_id != employee_id, or_(other.is_(None), other != employee_id))
    principals = sorted({d.principal_id for d in held if d.principal_id is not None})
    if rel == "rater_superior" and principals:
        cond = and_(cond, or_(WorkPlan.rater_id.is_(None), WorkPlan.rater_id.not_in(principals)))
    return cond


def all_in_force(session, day: dt.date) -> dict[int, tuple[Acting, ...]]:
    """{holder: delegations} of every delegation in force on `day`, read now (never cached: the
    notification hooks run the same statements however many rows they cover)."""
    out: dict[int, list] = {}
    for acting in _read_in_force(session, day):
        out.setdefault(acting.holder_id, []).append(acting)
    return {k: tuple(v) for k, v in out.items()}


def objection_condition(employee_id: int | None, day: dt.date | None = None, session=None):
    """Objection rows `employee_id` decides through a delegation in force (None when none)."""
    from models import Objection

    held = [d for d in in_force(employee_id, day, session) if d.principal_id is not None]
    if not held:
        return None
    parts = []
    for d in held:
        cond = Objection.decider_id == d.principal_id
        plans = select(ScoreResult.id).join(WorkPlan, WorkPlan.id == ScoreResult.work_plan_id).where(
            WorkPlan.rater_id.is_distinct_from(employee_id))
        if d.units is not None:
            plans = plans.where(WorkPlan.unit_id.in_(sorted(d.units)))
        parts.append(and_(cond, Objection.result_id.in_(plans)))
    return and_(or_(*parts), Objection.employee_id != employee_id)


def scope_plan_condition(employee_id: int | None, session=None):
    """Plans a delegation in force lets `employee_id` see (as rater or rater's superior)."""
    parts = [c for c in (plan_condition(employee_id, rel, session=session) for rel in ("rater", "rater_superior"))
             if c is not None]
    return or_(*parts) if parts else None


# --- who stands in for whom on a plan (the SKP page, notifications) -----------------------------------------

def standing_in(session, plan, day: dt.date | None = None) -> list[tuple[str, Acting]]:
    """(relation, delegation) of every delegation in force on `plan` (any holder)."""
    from .clock import today

    day = day or today(session)
    holders = session.scalars(select(Delegation.holder_id).where(
        Delegation.start_date <= day, Delegation.end_date >= day,
        or_(Delegation.principal_id.in_([i for i in (plan.rater_id, plan.rater_superior_id) if i is not None]
                                        or [-1]),
            Delegation.principal_id.is_(None))).distinct()).all()
    out = []
    for holder in holders:
        rels = relations_for(holder, subject_id=plan.employee_id, rater_id=plan.rater_id,
                             rater_superior_id=plan.rater_superior_id, unit_id=plan.unit_id, day=day,
                             session=session)
        out.extend((rel, d) for rel, d in rels.items() if rel != "decider")
    return sorted(out, key=lambda x: (x[0] != "rater", x[1].id))


def holders_for(session, plans: list[dict], rel: str, day: dt.date | None = None) -> dict[int, set[int]]:
    """{plan id: employee ids of the holders of `rel` through a delegation in force}, for workflow rows
    (dicts with id, employee_id, rater_id, rater_superior_id, unit_id). One query in all."""
    from .clock import today

    if not plans:
        return {}
    day = day or today(session)
    holders = session.scalars(select(Delegation.holder_id).where(
        Delegation.start_date <= day, Delegation.end_date >= day).distinct()).all()
    out: dict[int, set[int]] = {}
    for holder in holders:
        for p in plans:
            if rel in row_relations(_Emp(holder), p, session):
                out.setdefault(p["id"], set()).add(holder)
    return out


class _Emp:
    def __init__(self, employee_id):
        self.employee_id = employee_id


__all__ = ["Acting", "acting_text", "audit_fields", "forget", "holders_for", "in_force", "objection_condition",
           "plan_condition", "relations", "relations_for", "row_relations", "scope_plan_condition", "standing_in"]
