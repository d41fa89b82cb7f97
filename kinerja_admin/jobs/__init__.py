"""Background jobs: scoring a period, the inspector export and the master-data import run off the
request, on a task queue (kinerja_admin.jobs.queue: huey, SQLite storage embedded by default, Redis
with separate workers in production), with progress, result file and Indonesian error in the `job`
table (models.jobs.Job) shown on /admin/jobs/.

    job = start_job("export", "Ekspor ...", {...}, user=current_user, period_id=...)

creates the row (committed), queues it and returns it; the caller redirects to the job page.
"""
from __future__ import annotations

import logging

from models import Job, db
from models.base import utcnow

from .queue import get_queue

log = logging.getLogger(__name__)

QUEUE_DOWN = ("Antrean tugas tidak dapat dihubungi, sehingga tugas tidak dimulai. Tidak ada data yang "
              "diubah; coba lagi sebentar lagi atau hubungi administrator.")


def active_duplicate(session, user, kind: str, params: dict) -> Job | None:
    """The user's own queued/running job of the same kind and parameters (a double click)."""
    for job in session.scalars(db.select(Job).where(Job.user_id == user.id, Job.kind == kind,
                                                    Job.status.in_(("queued", "running")))):
        if (job.params or {}) == params:
            return job
    return None


def start_job(kind: str, title: str, params: dict, *, user, period_id: int | None = None,
              session=None) -> tuple[Job, bool]:
    """Create and queue a job. Returns (job, started); `started` is False when the same job of this
    user was already waiting or running (that one is returned) or the queue could not be reached."""
    session = session or db.session
    purge_old_files(session)
    same = active_duplicate(session, user, kind, params)
    if same is not None:
        return same, False
    job = Job(kind=kind, title=title[:300], params=params, status="queued", stage="Menunggu giliran", done=0,
              period_id=period_id, user_id=user.id, scope_role=user.role,
              scope_employee_id=getattr(user, "employee_id", None), created_at=utcnow())
    session.add(job)
    session.commit()
    job_id = job.id
    try:
        get_queue().enqueue(job_id)
    except Exception:
        log.exception("could not queue job %s", job_id)
        job = session.get(Job, job_id)
        job.status, job.stage, job.error, job.finished_at = "failed", "Gagal", QUEUE_DOWN, utcnow()
        session.commit()
        return job, False
    # a new transaction (not just expired objects): under REPEATABLE READ (MariaDB) the old one would
    # keep showing the row as queued after an immediate-mode job finished on its own session
    session.rollback()
    return session.get(Job, job_id), True


STALE_AFTER_HOURS = 2
STALE_MESSAGE = ("Tugas terhenti: pekerja yang menjalankannya berhenti (misalnya server dimulai ulang). "
                 "Tidak ada data yang diubah; jalankan ulang tugas ini.")


def fail_stale_jobs(session, hours: float = STALE_AFTER_HOURS) -> int:
    """Jobs left 'running' by a worker that died (no progress for `hours`) are marked failed; their
    work was one transaction, so nothing of it was kept. Called when a consumer starts."""
    import datetime as dt

    limit = utcnow() - dt.timedelta(hours=hours)
    stale = session.scalars(db.select(Job).where(
        Job.status == "running", db.func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at) < limit)).all()
    for job in stale:
        job.status, job.stage, job.error, job.finished_at = "failed", "Gagal", STALE_MESSAGE, utcnow()
    if stale:
        session.commit()
    return len(stale)


def purge_old_files(session, days: int | None = None) -> int:
    """Remove the files of jobs finished more than KINERJA_JOB_KEEP_DAYS days ago (exports are large);
    the job row stays, saying the file was removed."""
    import datetime as dt
    import os

    from flask import current_app

    days = days if days is not None else int(current_app.config.get("KINERJA_JOB_KEEP_DAYS", 7))
    limit = utcnow() - dt.timedelta(days=days)
    old = session.scalars(db.select(Job).where(Job.file_path.is_not(None), Job.finished_at < limit)).all()
    for job in old:
        try:
            os.unlink(job.file_path)
        except OSError:
            pass
        job.file_path = None
        job.message = ((job.message or "") + f" Berkas hasil sudah dihapus (disimpan {days} hari).").strip()
    if old:
        session.commit()
    return len(old)


def user_jobs(session, user, *, everyone: bool = False, limit: int = 50) -> list[Job]:
    stmt = db.select(Job).order_by(Job.id.desc()).limit(limit)
    if not everyone:
        stmt = stmt.where(Job.user_id == user.id)
    return list(session.scalars(stmt))


def active_jobs(session, user) -> list[Job]:
    return list(session.scalars(db.select(Job).where(Job.user_id == user.id, Job.status.in_(("queued", "running")))
                                .order_by(Job.id.desc()).limit(5)))


def init_app(app) -> None:
    """Create the app's queue (the embedded consumer starts with the first job) and the template
    helper behind the running-jobs banner of the admin pages."""
    get_queue(app)

    def my_active_jobs():
        from flask_login import current_user

        if not getattr(current_user, "is_authenticated", False):
            return []
        return active_jobs(db.session, current_user)

    app.jinja_env.globals["my_active_jobs"] = my_active_jobs
