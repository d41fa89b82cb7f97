"""Background jobs (scoring, inspector export, master-data import): one row per job in our own
database, for progress, result and error, whatever queue runs it (kinerja_admin.jobs)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, in_check, utcnow

JOB_KINDS = {"score": "Hitung nilai", "export": "Ekspor Excel", "import": "Impor data induk",
             "periodic": "Ekspor evaluasi periodik"}
JOB_STATUSES = {"queued": "Menunggu giliran", "running": "Berjalan", "done": "Selesai", "failed": "Gagal"}


class Job(db.Model):
    """A unit of long work started by a user. Progress is written by the worker on its own
    connection (never in the job's transaction), so the page shows it while the work runs."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(in_check("kind", JOB_KINDS), name="kind"),
        CheckConstraint(in_check("status", JOB_STATUSES), name="status"),
        # the job page lists a user's jobs newest first
        Index("ix_job_user_id_id", "user_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[Optional[int]] = mapped_column(Integer)
    # what to do: period, filters of the list it was started from, OPD, dry run, uploaded file
    params: Mapped[Optional[Any]] = mapped_column(JSON)
    period_id: Mapped[Optional[int]] = mapped_column(ForeignKey("period.id"), index=True)
    # who started it and the row scope it runs with (never more than that user could see)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    scope_role: Mapped[str] = mapped_column(String(20))
    scope_employee_id: Mapped[Optional[int]] = mapped_column(Integer)
    # outcome
    message: Mapped[Optional[str]] = mapped_column(Text)  # Indonesian summary
    error: Mapped[Optional[str]] = mapped_column(Text)  # Indonesian error message
    result: Mapped[Optional[Any]] = mapped_column(JSON)  # figures (counts, import report)
    file_path: Mapped[Optional[str]] = mapped_column(String(500))  # under the job folder
    file_name: Mapped[Optional[str]] = mapped_column(String(200))  # download name
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    heartbeat_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    user = relationship("User")
    period = relationship("Period")

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent(self) -> int | None:
        if self.status == "done":
            return 100
        if not self.total:
            return None
        return max(0, min(100, int(self.done * 100 / self.total)))

    def __str__(self) -> str:
        return self.title
