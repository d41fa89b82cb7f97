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
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    BehaviourRating,
    Indicator,
    Objection,
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    PolicyChange,
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
from models.base import utcnow

ACTOR_KEY = "kinerja.actor"
NOTE_ATTR = "_kinerja_audit_note"
AUDITED = (Period, WorkPlan, Target, Indicator, Realisation, RaterAssignment, BehaviourRating,
           SpecialExpectation, ScoreResult, ScoreDetail, Objection,
           # organisational performance (issue 17)
           PerformanceAgreement, StrategicGoal, Program, OrgIndicator, OrgRealisation, PolicyChange)
# Citizen feedback is anonymous input: its insert is the record itself; moderation is audited.
AUDITED_NO_INSERT = (PublicFeedback,)
SKIP_FIELDS = {"created_at", "updated_at", "version", "password_hash", "session_token"}


def is_audited(cls) -> bool:
    return issubclass(cls, AUDITED + AUDITED_NO_INSERT)


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
              at=None) -> dict:
    actor = resolve_actor(session, actor)
    return {
        "at": at or utcnow(),
        "user_id": getattr(actor, "id", None),
        "username": getattr(actor, "username", None) or "sistem",
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "period_id": period_id,
        "changes": changes,
        "reason": reason,
    }


def insert_rows(session, rows: list[dict]) -> None:
    """Insert audit rows with ONE executemany statement in the session's transaction."""
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def _period_id(obj):
    if isinstance(obj, Period):
        return obj.id
    pid = obj.__dict__.get("period_id")
    if pid is not None:
        return pid
    for rel in ("work_plan", "result", "assignment", "target", "indicator", "agreement"):
        parent = obj.__dict__.get(rel)
        if parent is not None:
            return _period_id(parent)
    return None


def _snapshot(obj) -> dict:
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        if attr.key in SKIP_FIELDS:
            continue
        value = state.dict.get(attr.key)
        if value is not None:
            out[attr.key] = jsonable(value)
    return out


def _diff(obj) -> dict:
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        if attr.key in SKIP_FIELDS:
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


ANONYMOUS_ROLES = {"rekan", "bawahan"}
HIDDEN = "(dirahasiakan)"


def _anonymous(obj) -> bool:
    """Peer and subordinate ratings are anonymous: their audit rows name neither rater nor author."""
    if isinstance(obj, RaterAssignment):
        return obj.role in ANONYMOUS_ROLES
    if isinstance(obj, BehaviourRating):
        assignment = obj.__dict__.get("assignment")
        if assignment is None and obj.assignment_id is not None:
            assignment = inspect(obj).session.get(RaterAssignment, obj.assignment_id)
        return assignment is not None and assignment.role in ANONYMOUS_ROLES
    return False


def _after_flush(session, flush_context) -> None:
    rows = []
    now = utcnow()
    deleted = set(session.deleted)
    for kind, objs in (("insert", set(session.new)), ("update", set(session.dirty)), ("delete", deleted)):
        for obj in objs:
            if not isinstance(obj, AUDITED + AUDITED_NO_INSERT):
                continue
            if kind == "insert" and isinstance(obj, AUDITED_NO_INSERT):
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
            row = audit_row(session, action=action, entity=type(obj).__tablename__, entity_id=_pk(obj),
                            changes=changes, reason=info.get("reason"), period_id=_period_id(obj),
                            actor=info.get("actor"), at=now)
            if _anonymous(obj):
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
