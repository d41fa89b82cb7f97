"""Progress of a running job, written to its row on a connection of its own (autocommit), never in
the job's transaction: the page sees it while the work runs, and a rollback of the work keeps it.

On SQLite a job that writes (scoring, a real import) holds the database's only write lock until it
commits; progress writes then cannot get through. They wait at most a moment (busy timeout 0.2 s)
and are kept for the next attempt instead of stalling the job; the stage written just before the
write phase tells the reader what is happening. PostgreSQL and MariaDB lock rows, not the database,
so there the figures move all the way.

A second SQLite rule: a transaction that has read cannot start writing once another connection has
committed since its first read (SQLITE_BUSY_SNAPSHOT). So for jobs that write, `guard` holds progress
writes back while the job's own transaction is open on SQLite; they go out between phases and at the end.
"""
from __future__ import annotations

import logging
import time

from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from models import Job
from models.base import utcnow

log = logging.getLogger(__name__)
job_t = Job.__table__


class Progress:
    """Callable ``progress(done=None, total=None, stage=None)``; throttled to one write per
    `interval` seconds unless the stage changes."""

    def __init__(self, engine, job_id: int, interval: float = 0.5):
        self.engine = engine
        self.job_id = job_id
        self.interval = interval
        self.guard = None  # callable: False while a write now would hurt the job (see above)
        self.values: dict = {}
        self.pending: dict = {}
        self._last = 0.0
        self.writes = 0

    def __call__(self, done: int | None = None, total: int | None = None, stage: str | None = None,
                 force: bool = False) -> None:
        changed = {}
        if done is not None:
            changed["done"] = int(done)
        if total is not None:
            changed["total"] = int(total)
        if stage is not None and stage != self.values.get("stage"):
            changed["stage"] = stage[:200]
            force = True
        self.values.update(changed)
        self.pending.update(changed)
        if self.pending and (force or time.monotonic() - self._last >= self.interval):
            if self.guard is None or self.guard():
                self.flush()

    def hold_while_writing(self, session) -> None:
        """Install the SQLite guard for a job that writes through `session`."""
        if session.get_bind().dialect.name == "sqlite":
            real = session() if callable(session) and hasattr(session, "registry") else session  # scoped
            self.guard = lambda: not real.in_transaction()

    def set(self, **values) -> bool:
        """Write `values` (status, message, ...) now, together with anything pending."""
        self.pending.update(values)
        return self.flush(wait=True)

    def flush(self, wait: bool = False) -> bool:
        if not self.pending:
            return True
        values = dict(self.pending, heartbeat_at=utcnow())
        try:
            with self.engine.connect() as conn:
                sqlite = conn.dialect.name == "sqlite"
                if sqlite and not wait:
                    conn.exec_driver_sql("PRAGMA busy_timeout=200")
                try:
                    conn.execute(update(job_t).where(job_t.c.id == self.job_id).values(**values))
                    conn.commit()
                finally:
                    if sqlite and not wait:
                        conn.exec_driver_sql("PRAGMA busy_timeout=30000")
        except OperationalError as err:
            if wait:
                raise
            log.debug("progress of job %s kept for later: %s", self.job_id, err)
            return False
        self.pending.clear()
        self._last = time.monotonic()
        self.writes += 1
        return True
