"""Row scope: the one function that decides which rows of a model a user may see or touch.

Every list, count, get_one, ajax lookup, bulk action and export goes through `scope_query` (or
`scope_condition`), in the spirit of Django admin's ``get_queryset``. Roles admin, operator and
inspektur see every row (what they may *do* is decided by kinerja_admin.permissions); a penilai sees
their own records, their direct subordinates' records and the plans they were assigned to rate; a
pegawai sees only their own records. Peer and subordinate ratings stay anonymous: outside the
all-rows roles, a rating is visible only to the rater who gave it. Organisational performance
(agreements, goals, programs, their indicators and realisations) is scoped by OPD: a penilai or
pegawai sees the rows of the OPD (top-level unit) their employee record belongs to.
"""
from __future__ import annotations

from sqlalchemy import false, or_, select

from models import (
    Employee,
    Objection,
    OrgIndicator,
    PerformanceAgreement,
    Program,
    RaterAssignment,
    ScoreResult,
    User,
    WorkPlan,
)

UNSCOPED_ROLES = {"admin", "operator", "inspektur"}


def _employee_ids(user):
    """Employees whose records the user may see (a subquery)."""
    me = user.employee_id
    if user.role == "penilai":
        return select(Employee.id).where(or_(Employee.id == me, Employee.superior_id == me))
    return select(Employee.id).where(Employee.id == me)


def _delegated_plans(user):
    """Plans an acting superior (Plt/Plh in force) holds as rater or rater's superior, or None."""
    from kinerja_admin.delegation import scope_plan_condition

    return scope_plan_condition(user.employee_id)


def _plan_condition(user):
    cond = WorkPlan.employee_id.in_(_employee_ids(user))
    if user.role == "penilai":
        cond = or_(cond, WorkPlan.rater_id == user.employee_id, WorkPlan.rater_superior_id == user.employee_id)
    delegated = _delegated_plans(user)
    return cond if delegated is None else or_(cond, delegated)


def _result_condition(user):
    cond = ScoreResult.employee_id.in_(_employee_ids(user))
    if user.role == "penilai" or _delegated_plans(user) is not None:
        cond = or_(cond, ScoreResult.work_plan_id.in_(select(WorkPlan.id).where(_plan_condition(user))))
    return cond


def _objection_condition(user):
    from kinerja_admin.delegation import objection_condition

    cond = or_(Objection.employee_id.in_(_employee_ids(user)), Objection.decider_id == user.employee_id)
    delegated = objection_condition(user.employee_id)
    return cond if delegated is None else or_(cond, delegated)


def _private_condition(model, user):
    """Private records (a coaching note): the employee and the plan's rater, or its author, only,
    whatever the role (BKPSDM and auditors included); an acting rater in force too."""
    me = getattr(user, "employee_id", None)
    if me is None:
        return false()
    from kinerja_admin.delegation import plan_condition

    plans = or_(WorkPlan.employee_id == me, WorkPlan.rater_id == me)
    rater = plan_condition(me, "rater")
    if rater is not None:
        plans = or_(plans, rater)
    return or_(model.work_plan_id.in_(select(WorkPlan.id).where(plans)), model.recorded_by_id == user.id)


def user_opd_id(user) -> int | None:
    """The OPD (top-level unit) of the user's employee record, or None."""
    from kinerja_admin.orgtree import unit_tree
    from models import db

    employee = getattr(user, "employee", None)
    if employee is None or employee.unit_id is None:
        return None
    return unit_tree(db.session).root_of(employee.unit_id)


def _opd(column, user):
    opd = user_opd_id(user)
    return column == opd if opd is not None else false()


# Rows that carry their own scope; every other appraisal row is in scope when its parent is (the
# parent chain of the record policy: Realisation -> Indicator -> Target -> WorkPlan, ...).
_ROOTS = {
    Employee: lambda u: Employee.id.in_(_employee_ids(u)),
    WorkPlan: _plan_condition,
    ScoreResult: _result_condition,
    Objection: _objection_condition,
    # peer and subordinate ratings stay anonymous: an assignment (and its ratings) only for its rater
    RaterAssignment: lambda u: RaterAssignment.rater_id == u.employee_id,
    User: lambda u: User.id == u.id,
    # organisational performance: the OPD of the user's employee record (strategic goals and quarterly
    # realisations follow their agreement / indicator through the policy's parent chain)
    PerformanceAgreement: lambda u: _opd(PerformanceAgreement.unit_id, u),
    Program: lambda u: _opd(Program.unit_id, u),
    OrgIndicator: lambda u: _opd(OrgIndicator.unit_id, u),
}


def _builder(model, user):
    root = _ROOTS.get(model)
    if root is not None:
        return root(user)
    from kinerja_admin.policy.context import BY_MODEL

    pol = BY_MODEL.get(model)
    if pol is None or pol.parent is None or not pol.period_bound:
        return None
    fk, _rel, parent = pol.parent
    parent_cond = _builder(parent, user)
    if parent_cond is None:
        return None
    return getattr(model, fk).in_(select(parent.id).where(parent_cond))


def is_unscoped(user) -> bool:
    return user is not None and getattr(user, "role", None) in UNSCOPED_ROLES


def _private_models():
    from models import CoachingNote

    return (CoachingNote,)


def scope_condition(model, user):
    """SQL condition restricting `model` to `user`'s rows, or None when no restriction applies."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if model in _private_models():
        return _private_condition(model, user)
    if is_unscoped(user):
        return None
    cond = _builder(model, user)
    if cond is None:
        # Reference and configuration tables carry no personal rows: what a role may do with
        # them is decided by the permission table alone.
        return None
    if user.employee_id is None:
        return false()
    return cond


def scope_query(query, model, user):
    """Apply the row scope to a legacy Query or a 2.0 Select."""
    cond = scope_condition(model, user)
    if cond is None:
        return query
    return query.filter(cond) if hasattr(query, "filter") else query.where(cond)


def in_scope(obj, user, session) -> bool:
    """Whether one loaded object is inside the user's scope (for create/update checks)."""
    model = type(obj)
    cond = scope_condition(model, user)
    if cond is None:
        return True
    pk = model.__mapper__.primary_key[0]
    return session.scalar(select(pk).where(pk == getattr(obj, pk.key), cond)) is not None
