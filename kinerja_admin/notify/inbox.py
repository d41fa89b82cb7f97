"""A user's own notifications (the bell and /admin/notifikasi/) and their preferences. Every function
acts on the given user's rows only."""
from __future__ import annotations

from sqlalchemy import delete, func, select, update

from models import Notification, NotificationOptout, NotificationSetting
from models.base import utcnow
from models.year import EMAIL_MODES, OPTOUT_SCOPES

from . import EVENTS

CHOICES = {"semua": "Aplikasi dan surel", "aplikasi": "Hanya di aplikasi", "tidak": "Tidak menerima"}


def unread_count(session, user) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def cached_unread(user) -> int:
    """unread_count once per request (the bell of every admin page)."""
    from flask import has_request_context, request

    from models import db

    if not getattr(user, "is_authenticated", False):
        return 0
    if not has_request_context():
        return unread_count(db.session, user)
    key = "kinerja.unread"
    if key not in request.environ:
        request.environ[key] = unread_count(db.session, user)
    return request.environ[key]


def page(session, user, *, page: int = 1, per_page: int = 30, unread_only: bool = False):
    q = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(Notification.read_at.is_not(None), Notification.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def open_one(session, user, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read and return it (None: not theirs)."""
    row = session.scalar(select(Notification).where(Notification.id == notification_id,
                                                    Notification.user_id == user.id))
    if row is not None and row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session, user) -> int:
    res = session.execute(update(Notification).where(Notification.user_id == user.id,
                                                     Notification.read_at.is_(None)).values(read_at=utcnow()))
    return res.rowcount or 0


def preferences(session, user) -> dict:
    setting = session.get(NotificationSetting, user.id)
    opts = {o.event: o.scope for o in session.scalars(select(NotificationOptout).where(
        NotificationOptout.user_id == user.id))}
    events = {code: {"label": label, "choice": {"email": "aplikasi", "semua": "tidak"}.get(opts.get(code), "semua")}
              for code, label in EVENTS.items()}
    return {"email_mode": setting.email_mode if setting else "segera", "events": events}


class PreferenceError(ValueError):
    pass


def save_preferences(session, user, email_mode: str, choices: dict[str, str]) -> None:
    """Store the user's choices (the caller commits). `choices`: event -> semua / aplikasi / tidak."""
    if email_mode not in EMAIL_MODES:
        raise PreferenceError("Pilihan surel tidak dikenal.")
    bad = [c for c in choices.values() if c not in CHOICES]
    if bad or any(e not in EVENTS for e in choices):
        raise PreferenceError("Pilihan pemberitahuan tidak dikenal.")
    setting = session.get(NotificationSetting, user.id)
    if setting is None:
        session.add(NotificationSetting(user_id=user.id, email_mode=email_mode))
    else:
        setting.email_mode = email_mode
    session.execute(delete(NotificationOptout).where(NotificationOptout.user_id == user.id))
    for event, choice in choices.items():
        scope = {"aplikasi": "email", "tidak": "semua"}.get(choice)
        if scope is not None:
            assert scope in OPTOUT_SCOPES
            session.add(NotificationOptout(user_id=user.id, event=event, scope=scope))
    session.flush()
