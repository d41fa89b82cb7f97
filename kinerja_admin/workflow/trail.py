"""Audit trail of appraisal data, written by an ORM session listener in the SAME transaction.

Every insert, update and delete of an audited model that goes through the unit of work gets one
AuditLog row (who, when, entity, id, before/after of the changed fields, reason). Workflow code
attaches the action ("transition") and the reason to an object with `note()`; set-based workflow
writes (bulk transitions) insert their audit rows themselves with `insert_rows()` in one statement.
A rollback of the transaction leaves no audit row behind.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import has_request_context
from sqlalchemy import LargeBinary, event, inspect
from sqlalchemy.orm import Session

from models import AuditLog, BehaviourRating, RaterAssignment
from models.base import utcnow

ACTOR_KEY = "kinerja.actor"
NOTE_ATTR = "_kinerja_audit_note"
SKIP_FIELDS = {"created_at", "updated_at", "version", "password_hash", "session_token"}


def _lists():
    """Audited models, from the record policy (one list for the lock, the trail and the scope)."""
    from kinerja_admin.policy import AUDITED, AUDITED_CHANGES_ONLY

    return AUDITED, AUDITED_CHANGES_ONLY


def is_audited(cls) -> bool:
    audited, changes_only = _lists()
    return issubclass(cls, audited + changes_only)


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)


def note(obj, *, action: str = "transition", reason: str | None = None, actor=None) -> None:
    """Attach action/reason/actor to the next audit row written for `obj`."""
    setattr(obj, NOTE_ATTR, {"action": action, "reason": reason, "actor": actor})


def set_actor(session, actor) -> None:
    """The user that writes with this session from now on (CLI, workflows); falls back to current_user."""
    session.info[ACTOR_KEY] = actor


def resolve_actor(session, actor=None):
    if actor is not None:
        return actor
    actor = session.info.get(ACTOR_KEY)
    if actor is not None:
        return actor
    if has_request_context():
        from flask_login import current_user

        if current_user and getattr(current_user, "is_authenticated", False):
            return current_user
    return None


def audit_row(session, *, action, entity, entity_id, changes=None, reason=None, period_id=None, actor=None,
              at=None, subject_id=None, delegation_id=None, acting_for=None) -> dict:
    """One audit row. `delegation_id` / `acting_for`: the action was taken under a Plt/Plh delegation
    (the row's user is its holder; these name on whose behalf: kinerja_admin.delegation)."""
    actor = resolve_actor(session, actor)
    return {
        "at": at or utcnow(),
        "user_id": getattr(actor, "id", None),
        "username": getattr(actor, "username", None) or "sistem",
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "period_id": period_id,
        "subject_id": subject_id,
        "changes": changes,
        "reason": reason,
        "delegation_id": delegation_id,
        "acting_for": acting_for,
    }


def insert_rows(session, rows: list[dict]) -> None:
    """Insert audit rows with ONE executemany statement in the session's transaction."""
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def _skipped(attr) -> bool:
    """Technical fields, secrets and file contents (an evidence file's bytes) stay out of the trail."""
    return attr.key in SKIP_FIELDS or isinstance(attr.columns[0].type, LargeBinary)


def _private(obj) -> frozenset:
    """Fields of a private record whose values never enter the trail (a coaching note's text)."""
    from kinerja_admin.policy import BY_MODEL

    pol = BY_MODEL.get(type(obj))
    return pol.private if pol is not None else frozenset()


def _snapshot(obj) -> dict:
    state = inspect(obj)
    private = _private(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        if _skipped(attr):
            continue
        value = state.dict.get(attr.key)
        if value is not None:
            out[attr.key] = HIDDEN if attr.key in private else jsonable(value)
    return out


def _diff(obj) -> dict:
    state = inspect(obj)
    private = _private(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        if _skipped(attr):
            continue
        if attr.key in private:
            if state.attrs[attr.key].history.has_changes():
                out[attr.key] = [HIDDEN, HIDDEN]
            continue
        hist = state.attrs[attr.key].history
        if hist.added or hist.deleted:
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                out[attr.key] = [jsonable(before), jsonable(after)]
    return out


def _pk(obj):
    ident = inspect(obj).identity
    if ident:
        return ident[0] if len(ident) == 1 else ",".join(map(str, ident))
    return getattr(obj, "id", None)


HIDDEN = "(dirahasiakan)"


def _anonymous(obj, ctx) -> bool:
    """Peer and subordinate ratings are anonymous (the policy's masked roles): their audit rows name
    neither rater nor author."""
    from kinerja_admin.policy import BY_MODEL

    if isinstance(obj, RaterAssignment):
        return obj.role in BY_MODEL[RaterAssignment].masked_roles
    if isinstance(obj, BehaviourRating):
        return ctx is not None and ctx.assignment_role in BY_MODEL[RaterAssignment].masked_roles
    return False


def _after_flush(session, flush_context) -> None:
    from kinerja_admin.policy.check import CONTEXT_KEY

    audited, changes_only = _lists()
    ctxs = session.info.pop(CONTEXT_KEY, None) or {}
    rows = []
    now = utcnow()
    deleted = set(session.deleted)
    for kind, objs in (("insert", set(session.new)), ("update", set(session.dirty)), ("delete", deleted)):
        for obj in objs:
            if not isinstance(obj, audited + changes_only):
                continue
            if kind == "insert" and isinstance(obj, changes_only):
                continue
            if kind == "update":
                if obj in deleted:
                    continue
                changes = _diff(obj)
                if not changes:
                    continue
            else:
                changes = _snapshot(obj)
            info = obj.__dict__.pop(NOTE_ATTR, None) or {}
            action = info.get("action") if kind == "update" and info.get("action") else kind
            ctx = ctxs.get(id(obj))
            actor = resolve_actor(session, info.get("actor"))
            from kinerja_admin.delegation import audit_fields

            row = audit_row(session, action=action, entity=type(obj).__tablename__, entity_id=_pk(obj),
                            changes=changes, reason=info.get("reason"),
                            period_id=ctx.period_id if ctx is not None else obj.__dict__.get("period_id"),
                            subject_id=ctx.subject_id if ctx is not None else None,
                            actor=actor, at=now, **audit_fields(actor, ctx, session))
            if _anonymous(obj, ctx):
                if "rater_id" in changes:
                    changes["rater_id"] = HIDDEN
                if isinstance(obj, BehaviourRating):
                    row.update(user_id=None, username=HIDDEN)
            rows.append(row)
    insert_rows(session, rows)


_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        event.listen(Session, "after_flush", _after_flush)
        _INSTALLED = True
