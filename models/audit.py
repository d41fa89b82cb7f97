"""Audit trail (append-only) and instance settings."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow


class AuditLog(db.Model):
    """Who did what to which record, when, with before/after of the changed fields and why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    username: Mapped[Optional[str]] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(20), index=True)  # insert/update/delete/transition/...
    entity: Mapped[str] = mapped_column(String(60), index=True)
    entity_id: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    period_id: Mapped[Optional[int]] = mapped_column(index=True)
    # the employee whose record this is (the SKP's owner, the ratee, the objector): scopes the trail
    subject_id: Mapped[Optional[int]] = mapped_column(index=True)
    changes: Mapped[Optional[Any]] = mapped_column(JSON)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    # an action taken under a delegation (Plt/Plh): the delegation and, in words, on whose behalf
    delegation_id: Mapped[Optional[int]] = mapped_column(Integer)
    acting_for: Mapped[Optional[str]] = mapped_column(String(300))

    # the account, for showing a name instead of a username (peer/subordinate rows have none)
    user = relationship("User")


class Setting(db.Model):
    """Instance settings an operator may change (objection window, anonymity threshold, ...)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    value_type: Mapped[str] = mapped_column(String(10), default="str")  # str/int/decimal/bool
    description: Mapped[str] = mapped_column(String(300), default="")
