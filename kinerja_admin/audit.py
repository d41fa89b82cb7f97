"""Audit trail helpers. Rows are written in the caller's transaction (never committed here)."""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from models import AuditLog, db


def _actor(user=None):
    if user is not None:
        return user
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user
    return None


def record(action: str, entity: str, entity_id: Any = None, *, changes: dict | None = None,
           reason: str | None = None, user=None, period_id: int | None = None, subject_id: int | None = None,
           session=None) -> AuditLog:
    actor = _actor(user)
    row = AuditLog(
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        changes=changes,
        reason=reason,
        period_id=period_id,
        subject_id=subject_id,
        user_id=getattr(actor, "id", None),
        username=getattr(actor, "username", None) or "sistem",
    )
    (session or db.session).add(row)
    return row
