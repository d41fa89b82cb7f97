"""Sending the e-mail of notifications, off the request (a background task, jobs/queue.py).

At most once: a sender first claims the rows waiting for it with one UPDATE (pending -> sending, with
its own token), so two senders never take the same row; a message the server accepted is marked sent,
one it refused is marked failed and never tried again. When the server cannot be reached at all, the
rows not yet tried go back to pending for the next run (nothing of them was sent)."""
from __future__ import annotations

import logging
import secrets
import smtplib
from collections import OrderedDict

from sqlalchemy import select, update

from models import Notification, User
from models.base import utcnow

from .mail import Mailer, configured

log = logging.getLogger(__name__)
N = Notification.__table__


def _claim(session, state: str) -> str:
    token = secrets.token_hex(10)
    session.execute(update(N).where(N.c.email_state == state).values(email_state="sending", claim=token))
    session.commit()
    return token


def _rows(session, token):
    return session.execute(
        select(N.c.id, N.c.user_id, N.c.email_to, N.c.title, N.c.body, N.c.url, User.full_name, User.username)
        .join(User, User.id == N.c.user_id).where(N.c.claim == token, N.c.email_state == "sending")
        .order_by(N.c.user_id, N.c.id)).all()


def _link(app, url) -> str:
    base = (app.config.get("KINERJA_BASE_URL") or "").rstrip("/")
    return f"{base}{url}" if url else (base or "")


def _footer(app) -> str:
    instance = app.config.get("KINERJA_INSTANCE_NAME", "")
    return ("\n--\nPesan otomatis e-Kinerja " + instance + ". Jangan membalas surel ini.\n"
            "Atur pemberitahuan yang Anda terima: " + _link(app, "/admin/notifikasi/pengaturan") + "\n")


def message_text(app, name: str, title: str, body: str | None, url: str | None) -> str:
    parts = [f"Yth. {name},", "", title]
    if body:
        parts += ["", body]
    if url:
        parts += ["", "Buka: " + _link(app, url)]
    return "\n".join(parts) + "\n" + _footer(app)


def _finish(session, sent, failed, back) -> None:
    now = utcnow()
    if sent:
        session.execute(update(N).where(N.c.id.in_(sent)).values(email_state="sent", emailed_at=now))
    for nid, error in failed:
        session.execute(update(N).where(N.c.id == nid).values(email_state="failed", email_error=error[:300]))
    if back:
        session.execute(update(N).where(N.c.id.in_(back)).values(email_state="pending", claim=None))
    session.commit()


def send_pending(session, app) -> dict:
    """Send every notification waiting to be e-mailed at once; returns counts."""
    if not configured(app):
        return {"sent": 0, "failed": 0, "retry": 0}
    token = _claim(session, "pending")
    rows = _rows(session, token)
    sent, failed, back = [], [], []
    if rows:
        todo = list(rows)
        in_flight = False
        try:
            with Mailer(app) as mailer:
                while todo:
                    r = todo[0]
                    in_flight = True
                    try:
                        mailer.send(r.email_to, f"[e-Kinerja] {r.title}",
                                    message_text(app, r.full_name or r.username, r.title, r.body, r.url))
                        sent.append(r.id)
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused,
                            ValueError) as err:
                        failed.append((r.id, f"Ditolak server surel: {err}"))
                    todo.pop(0)
                    in_flight = False
        except (OSError, smtplib.SMTPException) as err:
            log.warning("SMTP unavailable: %s", err)
            if todo and in_flight:  # the message in flight may have been accepted: never tried again
                failed.append((todo.pop(0).id, f"Koneksi ke server surel terputus: {err}"))
            back = [r.id for r in todo]
        _finish(session, sent, failed, back)
    return {"sent": len(sent), "failed": len(failed), "retry": len(back)}


def send_digests(session, app) -> dict:
    """One message per user listing their notifications waiting for the digest."""
    if not configured(app):
        return {"sent": 0, "users": 0}
    token = _claim(session, "digest")
    rows = _rows(session, token)
    by_user: OrderedDict[int, list] = OrderedDict()
    for r in rows:
        by_user.setdefault(r.user_id, []).append(r)
    sent, failed, back = [], [], []
    users = list(by_user.items())
    done_users = 0
    in_flight = False
    try:
        with Mailer(app) as mailer:
            while users:
                uid, items = users[0]
                in_flight = True
                first = items[0]
                lines = [f"Yth. {first.full_name or first.username},", "",
                         f"Ada {len(items)} pemberitahuan baru untuk Anda di e-Kinerja:", ""]
                for i, r in enumerate(items, 1):
                    lines.append(f"{i}. {r.title}")
                    if r.body:
                        lines.append(f"   {r.body}")
                    if r.url:
                        lines.append(f"   {_link(app, r.url)}")
                try:
                    mailer.send(first.email_to, f"[e-Kinerja] Ringkasan: {len(items)} pemberitahuan baru",
                                "\n".join(lines) + "\n" + _footer(app))
                    sent.extend(r.id for r in items)
                    done_users += 1
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused,
                        ValueError) as err:
                    failed.extend((r.id, f"Ditolak server surel: {err}") for r in items)
                users.pop(0)
                in_flight = False
    except (OSError, smtplib.SMTPException) as err:
        log.warning("SMTP unavailable: %s", err)
        if users and in_flight:
            failed.extend((r.id, f"Koneksi ke server surel terputus: {err}") for r in users.pop(0)[1])
        back = [r.id for _uid, items in users for r in items]
    if back:  # digest rows not tried wait for the next digest
        session.execute(update(N).where(N.c.id.in_(back)).values(email_state="digest", claim=None))
    _finish(session, sent, failed, [])
    return {"sent": len(sent), "users": done_users}
