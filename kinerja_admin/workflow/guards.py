"""Model-layer guards, below every view, action, CLI command and import:

* the closed-period lock: no insert/update/delete of a closed period's records (the period-bound
  models of the record policy: kinerja_admin.policy.PERIOD_BOUND); a closed period itself only
  changes through `reopen_period`;
* the record policy (kinerja_admin.policy): invariants on every write, and who may set which field
  in which state on every write made for a user (forms, actions, imports, scripts with an actor);
* the audit log is append-only: an AuditLog row is never updated or deleted through the ORM.

All run in a `before_flush` listener on every SQLAlchemy Session (registered once by `install()`,
called from `create_app`). Raising there aborts the flush: nothing of it reaches the database.
Set-based writes that bypass the unit of work (Core UPDATE/INSERT) are the workflows' and the
scoring engine's: they check the lock themselves with `assert_periods_open` and take their rules
from the policy.
"""
from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from models import AuditLog, Delegation, Period

from .base import PeriodLockedError, WorkflowError

REOPEN_KEY = "kinerja.reopen_period_ids"
PERIOD_FREE_FIELDS = {"status", "version", "updated_at"}


def locked_message(code: str | None) -> str:
    return (f"Periode {code or ''} sudah ditutup dan terkunci: data SKP, realisasi, penilaian dan hasilnya "
            "tidak dapat diubah. Hanya admin yang dapat membuka kembali periode dengan alasan.").replace("  ", " ")


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


def _period_ids(objs, ctxs) -> set[int]:
    """The periods the written rows belong to, as stored and, where a row moves, as written."""
    out = set()
    for obj in objs:
        ctx = ctxs.get(id(obj))
        if ctx is not None and ctx.period_id is not None:
            out.add(ctx.period_id)
        pid = obj.__dict__.get("period_id")
        if pid is not None:
            out.add(pid)
    return out


def _before_flush(session, flush_context, instances) -> None:
    from kinerja_admin.policy import PERIOD_BOUND, check_flush, flush_contexts
    from kinerja_admin.policy.check import CONTEXT_KEY

    # session.new/dirty/deleted build a fresh set on every access: read them once (a large flush
    # would otherwise be quadratic).
    new, dirty, deleted = set(session.new), set(session.dirty), set(session.deleted)
    if any(isinstance(o, Delegation) for o in new | dirty | deleted):
        from kinerja_admin.delegation import forget

        forget(session)  # rights follow the delegations as this flush writes them
    for obj in new | dirty | deleted:
        if isinstance(obj, AuditLog) and (obj in deleted or (obj not in new and session.is_modified(obj))):
            raise WorkflowError("Jejak audit hanya dapat ditambah; tidak dapat diubah atau dihapus.")
    dirty = {o for o in dirty if o not in deleted and session.is_modified(o, include_collections=False)}
    for obj in dirty:
        if isinstance(obj, Period):
            _check_period_rows(session, [obj])
    ctxs = flush_contexts(session, new, dirty, deleted)
    session.info[CONTEXT_KEY] = ctxs
    bound = [o for o in new | dirty | deleted if isinstance(o, PERIOD_BOUND)]
    if bound:
        assert_periods_open(session, _period_ids(bound, ctxs))
    check_flush(session, new, dirty, deleted, ctxs)


def _after_commit_or_rollback(session, *args) -> None:
    from kinerja_admin.delegation import forget

    session.info.pop(REOPEN_KEY, None)
    forget(session)  # delegations in force and today's date are read again by the next transaction


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
