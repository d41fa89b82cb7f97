"""Work plan (SKP) state machine:

    draft -> submitted -> approved | returned (with reason) ; returned -> submitted
    approved -> realised -> assessed -> final ; approved | realised -> draft (revision, with reason)

Who: the employee (or an operator/admin on their behalf) submits and realises; the plan's rater
(pejabat penilai) or an operator/admin approves, returns and assesses; the rater, the rater's
superior or an operator/admin finalises (locks). Nobody acts outside their row scope, nothing
happens in a closed period. Every function raises WorkflowError (Indonesian message) and changes
nothing when refused; on WorkflowError the caller rolls the transaction back.
"""
from __future__ import annotations

from sqlalchemy import func, or_, select

from kinerja_admin.policy.rules import PLAN_TRANSITIONS
from models import Employee, Period, ScoringScheme, Target, WorkPlan
from models.base import PLAN_STATUSES

from . import engine
from .base import BulkResult, scope_flag

OPS = PLAN_TRANSITIONS  # who may move a plan from where to where, when: kinerja_admin.policy.rules
# what each transition stamps on the plan besides its status
VALUES = {
    "submit": lambda now, actor, reason: {"submitted_at": now, "return_reason": None},
    "approve": lambda now, actor, reason: {"approved_at": now, "approved_by_id": actor.id},
    "return": lambda now, actor, reason: {"return_reason": reason},
    "revise": lambda now, actor, reason: {"return_reason": reason, "approved_at": None, "approved_by_id": None},
}
BEFORE_FIELDS = ("submitted_at", "approved_at", "approved_by_id", "return_reason")


def _load_rows(session, actor, ids):
    cond = WorkPlan.id.in_(ids)
    stmt = (select(WorkPlan.id, WorkPlan.status, WorkPlan.version, WorkPlan.period_id, WorkPlan.employee_id,
                   WorkPlan.rater_id, WorkPlan.rater_superior_id, WorkPlan.unit_id,
                   *(getattr(WorkPlan, f) for f in BEFORE_FIELDS),
                   Period.code.label("period_code"), Period.status.label("period_status"),
                   Employee.name.label("employee_name"), scope_flag(WorkPlan, actor).label("in_scope"))
            .join(Period, Period.id == WorkPlan.period_id)
            .join(Employee, Employee.id == WorkPlan.employee_id)
            .where(cond))
    rows = []
    for r in session.execute(stmt).mappings():
        d = dict(r)
        d["in_scope"] = bool(d["in_scope"])
        d["label"] = f"SKP {d['period_code']} - {d['employee_name']}"
        rows.append(d)
    return rows


NOT_JUDGED = ("pejabat penilai belum menetapkan rating hasil kerja dan rating perilaku (halaman Penilaian "
              "SKP), yang menurut skema periode ini menentukan predikat")


def _judgement_check(session, rows):
    """Assessing a plan whose period's scheme lets the rater decide (penentu rating: pejabat penilai)
    needs the rater's judgement of hasil kerja and perilaku on it."""
    ids = [r["id"] for r in rows]
    missing = set(session.scalars(
        select(WorkPlan.id).join(Period, Period.id == WorkPlan.period_id)
        .join(ScoringScheme, ScoringScheme.id == Period.scheme_id)
        .where(WorkPlan.id.in_(ids), ScoringScheme.kind == "matrix", ScoringScheme.rating_decider == "penilai",
               or_(WorkPlan.hasil_rating.is_(None), WorkPlan.perilaku_rating.is_(None)))))
    return lambda row: NOT_JUDGED if row["id"] in missing else None


def _extra_check(session, op, rows):
    if op.name == "assess" and rows:
        return _judgement_check(session, rows)
    if op.name != "submit" or not rows:
        return None
    ids = [r["id"] for r in rows]
    with_targets = set(session.execute(
        select(Target.work_plan_id).where(Target.work_plan_id.in_(ids)).group_by(Target.work_plan_id)
        .having(func.count() > 0)).scalars())
    return lambda row: None if row["id"] in with_targets else "SKP belum memiliki sasaran (RHK)"


def bulk(session, actor, op: str, ids, reason: str | None = None, now=None, seen_at=None) -> BulkResult:
    """Apply transition `op` to the plans `ids` (list of ids, or a SELECT of ids); per-row report.
    (`seen_at`: see kinerja_admin.workflow.engine.run; a plan's rows carry no ``changed_at``.)"""
    if op not in OPS:
        raise KeyError(op)
    result = engine.run(session, actor, model=WorkPlan, op=OPS[op], ids=ids, reason=reason, load_rows=_load_rows,
                        status_labels=PLAN_STATUSES, values=VALUES.get(op), extra_check=_extra_check, now=now,
                        seen_at=seen_at)
    if result.done:
        from kinerja_admin.notify import events

        events.plan_transition(session, op, result.done, actor, reason)  # same transaction
    return result


def available(session, actor, plan_id: int) -> dict[str, str | None]:
    """The transitions `actor` may take on the plan now, by the same checks `bulk` runs: name -> None
    (may) or the reason an extra check still blocks it (e.g. no RHK yet, no judgement yet). Transitions
    the actor may not take at all (role, relation, status, period) are left out. For pages that offer
    exactly the actions their viewer has."""
    if actor is None or not getattr(actor, "is_active", False) or getattr(actor, "role", None) == "inspektur":
        return {}
    rows = _load_rows(session, actor, [plan_id])
    if not rows:
        return {}
    out: dict[str, str | None] = {}
    for name, op in OPS.items():
        if engine.check_row(op, actor, rows[0], PLAN_STATUSES, None) is not None:
            continue
        extra = _extra_check(session, op, rows)
        out[name] = extra(rows[0]) if extra is not None else None
    return out


def _one(session, actor, op, plan, reason=None, now=None) -> BulkResult:
    result = bulk(session, actor, op, [plan.id], reason=reason, now=now)
    engine.single(result, OPS[op].verb, "SKP")
    return result


def submit(session, actor, plan, now=None):
    return _one(session, actor, "submit", plan, now=now)


def approve(session, actor, plan, now=None):
    return _one(session, actor, "approve", plan, now=now)


def return_plan(session, actor, plan, reason, now=None):
    return _one(session, actor, "return", plan, reason=reason, now=now)


def revise(session, actor, plan, reason, now=None):
    """Perubahan SKP: the rater reopens an approved plan for changes (back to draft), with a reason."""
    return _one(session, actor, "revise", plan, reason=reason, now=now)


def realise(session, actor, plan, now=None):
    return _one(session, actor, "realise", plan, now=now)


def assess(session, actor, plan, now=None):
    return _one(session, actor, "assess", plan, now=now)


def finalise(session, actor, plan, now=None):
    return _one(session, actor, "finalise", plan, now=now)
