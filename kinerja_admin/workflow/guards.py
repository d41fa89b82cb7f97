"""Model-layer guards, below every view, action, CLI command and import:

* the closed-period lock: no insert/update/delete of a closed period's plans, targets, indicators,
  realisations, rater assignments, behaviour ratings, score results and details, special
  expectations, public feedback and organisational performance (agreements, goals, programs,
  organisation indicators and their quarterly realisations); a closed period itself only changes
  through `reopen_period`;
* the audit log is append-only: an AuditLog row is never updated or deleted through the ORM.

Both run in a `before_flush` listener on every SQLAlchemy Session (registered once by `install()`,
called from `create_app`). Raising there aborts the flush: nothing of it reaches the database.
Set-based writes that bypass the unit of work (Core UPDATE/INSERT) check the lock themselves with
`assert_periods_open`, as the workflow bulk transitions do.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    BehaviourRating,
    Indicator,
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    Program,
    PublicFeedback,
    RaterAssignment,
    Realisation,
    ScoreDetail,
    ScoreResult,
    SpecialExpectation,
    StrategicGoal,
    Target,
    WorkPlan,
)

from .base import PeriodLockedError, WorkflowError

REOPEN_KEY = "kinerja.reopen_period_ids"

# models that carry period_id themselves
DIRECT = (WorkPlan, RaterAssignment, ScoreResult, PublicFeedback, PerformanceAgreement, Program, OrgIndicator)
# child model -> (foreign-key attribute, relationship attribute, parent model)
PARENT = {
    Target: ("work_plan_id", "work_plan", WorkPlan),
    SpecialExpectation: ("work_plan_id", "work_plan", WorkPlan),
    Indicator: ("target_id", "target", Target),
    Realisation: ("indicator_id", "indicator", Indicator),
    BehaviourRating: ("assignment_id", "assignment", RaterAssignment),
    ScoreDetail: ("result_id", "result", ScoreResult),
    StrategicGoal: ("agreement_id", "agreement", PerformanceAgreement),
    OrgRealisation: ("indicator_id", "indicator", OrgIndicator),
}
GUARDED = DIRECT + tuple(PARENT)
PERIOD_FREE_FIELDS = {"status", "version", "updated_at"}


def locked_message(code: str | None) -> str:
    return (f"Periode {code or ''} sudah ditutup dan terkunci: data SKP, realisasi, penilaian dan hasilnya "
            "tidak dapat diubah. Hanya admin yang dapat membuka kembali periode dengan alasan.").replace("  ", " ")


def _values(obj, attr) -> set:
    """Current and committed values of a column attribute (both matter when a row moves)."""
    state = inspect(obj)
    hist = state.attrs[attr].history
    vals = set(hist.added) | set(hist.unchanged) | set(hist.deleted)
    if not vals and not state.transient and not state.pending:
        vals = {getattr(obj, attr)}
    return {v for v in vals if v is not None}


def _period_id_queries():
    return {
        WorkPlan: lambda ids: select(WorkPlan.period_id).where(WorkPlan.id.in_(ids)),
        RaterAssignment: lambda ids: select(RaterAssignment.period_id).where(RaterAssignment.id.in_(ids)),
        ScoreResult: lambda ids: select(ScoreResult.period_id).where(ScoreResult.id.in_(ids)),
        PerformanceAgreement: lambda ids: select(PerformanceAgreement.period_id)
        .where(PerformanceAgreement.id.in_(ids)),
        OrgIndicator: lambda ids: select(OrgIndicator.period_id).where(OrgIndicator.id.in_(ids)),
        Target: lambda ids: select(WorkPlan.period_id).join(Target, Target.work_plan_id == WorkPlan.id)
        .where(Target.id.in_(ids)),
        Indicator: lambda ids: select(WorkPlan.period_id).join(Target, Target.work_plan_id == WorkPlan.id)
        .join(Indicator, Indicator.target_id == Target.id).where(Indicator.id.in_(ids)),
    }


def collect_period_ids(session, objects) -> set[int]:
    """Period ids the given guarded objects belong to (in memory first, then a few batch queries)."""
    period_ids: set[int] = set()
    pending: dict[type, set] = defaultdict(set)
    seen: set[int] = set()

    def visit(obj):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        cls = type(obj)
        if isinstance(obj, DIRECT):
            period_ids.update(_values(obj, "period_id"))
            parent = obj.__dict__.get("period")
            if parent is not None and parent.id is not None:
                period_ids.add(parent.id)
            return
        spec = PARENT.get(cls)
        if spec is None:
            return
        fk, rel, parent_cls = spec
        parent = obj.__dict__.get(rel)
        if parent is not None:
            visit(parent)
        pending[parent_cls].update(_values(obj, fk))

    for obj in objects:
        visit(obj)
    queries = _period_id_queries()
    for cls, ids in pending.items():
        if ids:
            period_ids.update(v for v in session.execute(queries[cls](sorted(ids))).scalars() if v is not None)
    return period_ids


def closed_periods(session, period_ids) -> dict[int, str]:
    """{period id: code} of the given periods that are closed (as this session sees them)."""
    if not period_ids:
        return {}
    reopened = session.info.get(REOPEN_KEY, set())
    rows = session.execute(select(Period.id, Period.code, Period.status).where(Period.id.in_(sorted(period_ids))))
    out = {}
    for pid, code, status in rows:
        in_memory = session.identity_map.get(inspect(Period).identity_key_from_primary_key((pid,)))
        mem_status = in_memory.__dict__.get("status") if in_memory is not None else None
        if mem_status == "closed" or (status == "closed" and pid not in reopened):
            out[pid] = code
    return out


def assert_periods_open(session, period_ids) -> None:
    closed = closed_periods(session, set(period_ids))
    if closed:
        raise PeriodLockedError(locked_message(", ".join(sorted(closed.values()))))


def _check_period_rows(session, objs) -> None:
    reopened = session.info.get(REOPEN_KEY, set())
    for obj in objs:
        if not isinstance(obj, Period):
            continue
        state = inspect(obj)
        if state.pending:
            continue
        hist = state.attrs.status.history
        committed = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else obj.status)
        if committed != "closed":
            continue
        if obj in session.deleted:  # one Period object: a single set build is fine
            raise PeriodLockedError(locked_message(obj.code))
        changed = {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
        if obj.id not in reopened or not changed <= PERIOD_FREE_FIELDS:
            raise PeriodLockedError(locked_message(obj.code))


def _before_flush(session, flush_context, instances) -> None:
    touched = []
    # session.new/dirty/deleted build a fresh set on every access: read them once (a large flush
    # would otherwise be quadratic).
    new, dirty, deleted = set(session.new), set(session.dirty), set(session.deleted)
    for obj in new | dirty | deleted:
        if isinstance(obj, AuditLog):
            if obj in deleted or (obj not in new and session.is_modified(obj)):
                raise WorkflowError("Jejak audit hanya dapat ditambah; tidak dapat diubah atau dihapus.")
            continue
        if obj in dirty and obj not in deleted and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, GUARDED):
            touched.append(obj)
        elif isinstance(obj, Period):
            _check_period_rows(session, [obj])
    if touched:
        assert_periods_open(session, collect_period_ids(session, touched))


def _after_commit_or_rollback(session, *args) -> None:
    session.info.pop(REOPEN_KEY, None)


_INSTALLED = False


def install() -> None:
    """Register the listeners on every Session (idempotent: create_app may run many times)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from . import trail

    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_commit", _after_commit_or_rollback)
    event.listen(Session, "after_soft_rollback", _after_commit_or_rollback)
    trail.install()
    _INSTALLED = True
