"""The notification tasks on the background-job queue (kinerja_admin.jobs.queue registers them):
``kirim`` sends the e-mail waiting to be sent, ``ringkasan`` the daily digests, ``pengingat`` creates the
deadline reminders due today and sends them. The Redis worker runs ``pengingat`` and ``ringkasan``
daily (periodic tasks); `flask kinerja notify ...` runs each at once (cron on embedded deployments)."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def queue_send() -> None:
    """Queue the sending task (after a commit that created e-mail notifications)."""
    try:
        from kinerja_admin.jobs.queue import get_queue

        get_queue().enqueue_notify("kirim")
    except Exception:  # a queue down must never undo or fail the user's committed action
        log.exception("could not queue the e-mail task")


def run_notify(app, what: str) -> dict:
    """Entry point of the queue's notify task."""
    from models import db

    from . import reminders, sender

    with app.app_context():
        session = db.session
        try:
            if what == "kirim":
                return sender.send_pending(session, app)
            if what == "ringkasan":
                return sender.send_digests(session, app)
            if what == "pengingat":
                created = reminders.generate(session)
                session.commit()
                out = sender.send_pending(session, app)
                out["created"] = created
                return out
            raise ValueError(what)
        except Exception:
            session.rollback()
            log.exception("notify task %s failed", what)
            raise
        finally:
            session.remove()
