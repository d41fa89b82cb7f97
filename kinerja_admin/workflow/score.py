"""Score result state machine: computed -> approved -> published.

The rater's superior (atasan pejabat penilai, from the work plan) or an operator/admin approves;
only an operator/admin publishes. Publishing sets ``published_at``, which opens the objection
window (setting ``objection.window_days``).
"""
from __future__ import annotations

from sqlalchemy import select

from kinerja_admin.policy.rules import SCORE_TRANSITIONS
from models import Employee, Period, ScoreResult, WorkPlan
from models.base import SCORE_STATUSES

from . import engine
from .base import BulkResult, scope_flag

OPS = SCORE_TRANSITIONS  # kinerja_admin.policy.rules
VALUES = {
    "approve": lambda now, actor, reason: {"approved_at": now, "approved_by_id": actor.id},
    "publish": lambda now, actor, reason: {"published_at": now},
}


def _load_rows(session, actor, ids):
    # changed_at: a rerun of the scoring engine recomputes a 'computed' result in place (same id, new
    # figures): a tick given on a page made before that must not sign the new figures off unseen
    stmt = (select(ScoreResult.id, ScoreResult.status, ScoreResult.version, ScoreResult.period_id,
                   ScoreResult.computed_at.label("changed_at"),
                   ScoreResult.employee_id, ScoreResult.approved_at, ScoreResult.approved_by_id,
                   ScoreResult.published_at, WorkPlan.rater_id, WorkPlan.rater_superior_id, WorkPlan.unit_id,
                   WorkPlan.status.label("plan_status"),
                   Period.code.label("period_code"), Period.status.label("period_status"),
                   Employee.name.label("employee_name"), scope_flag(ScoreResult, actor).label("in_scope"))
            .join(Period, Period.id == ScoreResult.period_id)
            .join(Employee, Employee.id == ScoreResult.employee_id)
            .outerjoin(WorkPlan, WorkPlan.id == ScoreResult.work_plan_id)
            .where(ScoreResult.id.in_(ids)))
    rows = []
    for r in session.execute(stmt).mappings():
        d = dict(r)
        d["in_scope"] = bool(d["in_scope"])
        d["label"] = f"Hasil {d['period_code']} - {d['employee_name']}"
        rows.append(d)
    return rows


STALE = ("penilaian perilaku berubah setelah nilai dihitung; hitung ulang nilai periode ini "
         "sebelum menyetujui")


def _extra_check(session, op, rows):
    """A result whose ratings changed after it was computed is not approved (what would be signed
    off, and frozen, must be what the ratings say)."""
    if op.name != "approve" or not rows:
        return None
    from kinerja_admin.scoring.engine import stale_results

    stale = stale_results(session, [r["id"] for r in rows])
    return lambda row: STALE if row["id"] in stale else None


def bulk(session, actor, op: str, ids, reason: str | None = None, now=None, seen_at=None) -> BulkResult:
    """`seen_at`: when the page the results were ticked on was made; results computed again since are
    skipped (:func:`kinerja_admin.workflow.engine.check_row`)."""
    if op not in OPS:
        raise KeyError(op)
    result = engine.run(session, actor, model=ScoreResult, op=OPS[op], ids=ids, reason=reason,
                        load_rows=_load_rows, status_labels=SCORE_STATUSES, values=VALUES.get(op),
                        extra_check=_extra_check, now=now, seen_at=seen_at)
    if op == "approve" and result.done:
        # What the superior signs off is frozen: the per-aspect behaviour figures are stored now
        # (the scoring engine keeps only the per-role averages of results still 'computed').
        from kinerja_admin.scoring.engine import freeze_details

        freeze_details(session, result.done)
    if op == "publish" and result.done:
        from kinerja_admin.notify import events

        events.result_published(session, result.done)  # same transaction
    return result


def approve(session, actor, result, now=None):
    r = bulk(session, actor, "approve", [result.id], now=now)
    engine.single(r, OPS["approve"].verb, "Hasil penilaian")
    return r


def publish(session, actor, result, now=None):
    r = bulk(session, actor, "publish", [result.id], now=now)
    engine.single(r, OPS["publish"].verb, "Hasil penilaian")
    return r
