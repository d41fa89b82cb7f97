"""The task queue behind the jobs: huey (a small, well-kept queue with one API over several storages).

``KINERJA_QUEUE_URL`` chooses the storage:

* unset (the default, what the README's first command runs): huey's SQLite storage in a file of
  the instance folder (``instance/kinerja-queue.db``, separate from the app's database so that the
  queue never waits for a job's transaction) and a consumer thread inside the web process, started
  when the first job is queued. No extra service. Several gunicorn workers may each run one: the
  SQLite storage hands each task to exactly one of them.
* ``redis://host:port/db``: huey's Redis storage; jobs run in separate worker processes started with
  ``flask --app wsgi kinerja worker`` (production). The web process never runs jobs then.
* ``immediate``: huey's immediate mode, the task runs at once in the caller's thread (the test
  suite's default; tests/test_jobs.py runs the real consumer on SQLite and on Redis).

One task is registered, ``kinerja.run_job(job_id)``; what it does is in the job row
(kinerja_admin.jobs.runner).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

log = logging.getLogger(__name__)
EXTENSION = "kinerja_jobs"


class EmbeddedConsumer(Consumer):
    """huey's consumer run from a background thread of the web process: the workers are threads,
    and the process's signal handlers stay the server's own (huey sets them only from a main loop)."""

    def _set_signal_handlers(self):
        pass


class JobQueue:
    """Per-app holder of the huey instance, its task and (embedded mode) the consumer thread."""

    def __init__(self, app):
        self.app = app
        url = (app.config.get("KINERJA_QUEUE_URL") or "").strip()
        self.mode = "redis" if url.startswith(("redis://", "rediss://", "unix://")) else (
            "immediate" if url == "immediate" else "sqlite")
        name = app.config.get("KINERJA_QUEUE_NAME", "kinerja")
        if self.mode == "redis":
            self.huey = RedisHuey(name, url=url, blocking=True, read_timeout=1, results=False)
        elif self.mode == "immediate":
            self.huey = MemoryHuey(name, immediate=True, results=False)
        else:
            path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else str(
                Path(app.instance_path) / "kinerja-queue.db")
            self.huey = SqliteHuey(name, filename=path, results=False, timeout=30)
        self.embedded = self.mode == "sqlite"
        self._consumer: EmbeddedConsumer | None = None
        self._lock = threading.Lock()

        from .runner import run_job

        app_ref = app

        @self.huey.task(name="kinerja.run_job", retries=0, context=False)
        def run_job_task(job_id: int) -> None:
            run_job(app_ref, job_id)

        self.task = run_job_task

        from kinerja_admin.notify.tasks import run_notify

        @self.huey.task(name="kinerja.notify", retries=0, context=False)
        def notify_task(what: str) -> None:
            run_notify(app_ref, what)

        self.notify_task = notify_task
        if self.mode == "redis":
            # the workers create the deadline reminders and send the digests every day (times in UTC:
            # 06.00 and 16.00 WIB); embedded deployments run `flask kinerja notify ...` from cron
            from huey import crontab

            self.huey.periodic_task(crontab(minute="0", hour="23"), name="kinerja.reminders")(
                lambda: run_notify(app_ref, "pengingat"))
            self.huey.periodic_task(crontab(minute="0", hour="9"), name="kinerja.digest")(
                lambda: run_notify(app_ref, "ringkasan"))

    # --- producer side ------------------------------------------------------------------------
    def enqueue(self, job_id: int) -> None:
        """Queue the job. In embedded mode a consumer thread is started in this process if none
        runs yet."""
        if self.embedded:
            self.ensure_consumer()
        self.task(job_id)

    def enqueue_notify(self, what: str) -> None:
        """Queue a notification task (kinerja_admin.notify.tasks)."""
        if self.embedded:
            self.ensure_consumer()
        self.notify_task(what)

    # --- embedded consumer ----------------------------------------------------------------------
    def ensure_consumer(self) -> None:
        if not self.embedded or self._consumer is not None:
            return
        with self._lock:
            if self._consumer is not None:
                return
            workers = int(self.app.config.get("KINERJA_EMBEDDED_WORKERS", 1))
            consumer = EmbeddedConsumer(self.huey, workers=workers, periodic=False, worker_type="thread",
                                        initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                        check_worker_health=False)
            consumer.start()  # starts daemon threads and returns
            self._consumer = consumer
            self._sweep()
            log.info("embedded job consumer started (%s thread(s), queue %s)", workers, self.huey.name)

    def _sweep(self) -> None:
        """Jobs a dead worker left 'running' are reported failed (kinerja_admin.jobs.fail_stale_jobs)."""
        from models import db

        from . import fail_stale_jobs

        try:
            with self.app.app_context():
                fail_stale_jobs(db.session)
                db.session.remove()
        except Exception:  # pragma: no cover - never block a consumer start on the sweep
            log.exception("could not check for stale jobs")

    def stop_consumer(self, graceful: bool = True) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=graceful)

    def consumer(self, workers: int = 2, worker_type: str = "thread") -> Consumer:
        """A consumer for a separate worker process (``flask kinerja worker``)."""
        return Consumer(self.huey, workers=workers, periodic=self.mode == "redis", worker_type=worker_type,
                        initial_delay=0.1, backoff=1.15, max_delay=2.0)

    def pending(self) -> int:
        try:
            return int(self.huey.pending_count())
        except Exception:  # pragma: no cover - storage unreachable
            return -1


def get_queue(app=None) -> JobQueue:
    from flask import current_app

    app = app or current_app._get_current_object()
    queue = app.extensions.get(EXTENSION)
    if queue is None:
        queue = app.extensions[EXTENSION] = JobQueue(app)
    return queue
