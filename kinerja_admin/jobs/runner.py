"""Running one job: the queue's task calls `run_job(app, job_id)` in a worker (a thread of the web
process in embedded mode, a separate process with Redis, the caller itself in immediate mode).

The work runs in ONE transaction of the worker's own session, committed only when it succeeded; any
error rolls it back and removes a half-written file, so a failed job leaves nothing behind. Status,
progress, result and the Indonesian error message go to the job row on a separate connection.

A job runs with the row scope of the user who started it, as recorded when it was queued (role and
employee): if the account has since been deactivated or given another role or employee, the job
stops instead of running with rights the user no longer has (or never had).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kinerja_admin.workflow import trail
from models import Job, User, db
from models.base import utcnow

from .progress import Progress

log = logging.getLogger(__name__)

GENERIC_ERROR = ("Terjadi kesalahan pada server saat menjalankan tugas ini. Tidak ada data yang diubah; "
                 "coba lagi atau hubungi administrator (nomor tugas {id}).")


class JobError(Exception):
    """A refusal with an Indonesian message for the job page (nothing was written)."""


@dataclass
class JobInfo:
    """The job row's plain values (the handlers never hold the row itself: see run_job)."""

    id: int
    kind: str
    title: str
    params: dict
    period_id: int | None
    user_id: int
    scope_role: str
    scope_employee_id: int | None


@dataclass
class Outcome:
    message: str
    result: dict = field(default_factory=dict)
    file_path: str | None = None
    file_name: str | None = None
    failed: bool = False  # work refused with a report (e.g. an import with errors): nothing written
    error: str | None = None


def job_user(session, job: JobInfo) -> User:
    """The user the job acts for, with the scope it was started with (see module docstring)."""
    user = session.get(User, job.user_id)
    if user is None or not user.active:
        raise JobError("Akun yang memulai tugas ini sudah tidak aktif; tugas dihentikan tanpa mengubah data.")
    if user.role != job.scope_role or user.employee_id != job.scope_employee_id:
        raise JobError("Hak akses akun yang memulai tugas ini berubah sejak tugas dimulai; tugas dihentikan "
                       "tanpa mengubah data. Mulai ulang tugas bila masih diperlukan.")
    return user


def _known_errors():
    from kinerja_admin.scoring.engine import ScoringError
    from kinerja_admin.workflow import WorkflowError

    return (JobError, ScoringError, WorkflowError)


def run_job(app, job_id: int) -> None:
    """Entry point of the queue's task."""
    from . import handlers

    with app.app_context():
        session = db.session
        progress = Progress(db.engine, job_id)
        row = session.get(Job, job_id)
        if row is None or row.status != "queued":
            session.remove()
            return  # deleted, or already taken by another worker
        job = JobInfo(id=row.id, kind=row.kind, title=row.title, params=dict(row.params or {}),
                      period_id=row.period_id, user_id=row.user_id, scope_role=row.scope_role,
                      scope_employee_id=row.scope_employee_id)
        # end this read before anything is written elsewhere: an SQLite transaction that has read
        # cannot write after another connection committed (see progress.py)
        session.rollback()
        outcome = None
        try:
            progress.set(status="running", started_at=utcnow(), stage="Dimulai")
            user = job_user(session, job)
            # the record policy and the audit trail see the job's user, not "sistem"
            trail.set_actor(session, user)
            handler = handlers.HANDLERS[job.kind]
            outcome = handler(app, session, job, user, progress)
        except _known_errors() as err:
            session.rollback()
            handlers.discard(outcome)
            _finish(progress, status="failed", error=str(err))
        except Exception:
            session.rollback()
            handlers.discard(outcome)
            log.exception("job %s (%s) failed", job_id, job.kind)
            _finish(progress, status="failed", error=GENERIC_ERROR.format(id=job_id))
        else:
            _finish(progress, status="failed" if outcome.failed else "done", message=outcome.message,
                    error=outcome.error, result=outcome.result, file_path=outcome.file_path,
                    file_name=outcome.file_name)
        finally:
            trail.set_actor(session, None)
            session.remove()


def _finish(progress: Progress, **values) -> None:
    values["finished_at"] = utcnow()
    if values.get("status") == "done":
        values.setdefault("stage", "Selesai")
    else:
        values.setdefault("stage", "Gagal")
    try:
        progress.set(**values)
    except Exception:  # pragma: no cover - the database went away between the work and its report
        log.exception("could not record the end of job %s", progress.job_id)
