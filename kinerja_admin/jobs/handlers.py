"""What each kind of job does. The work itself is the same code the CLI runs
(kinerja_admin.jobs.work); a handler adds the job's scope, progress reporting and its result file."""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from models import Period

from .. import permissions
from . import work
from .runner import JobError, JobInfo, Outcome


def job_dir(app) -> Path:
    """Where job files live (exports, import uploads and error lists); the web process and the
    workers must share it (same machine, or a shared volume): KINERJA_JOB_DIR."""
    path = Path(app.config.get("KINERJA_JOB_DIR") or Path(app.instance_path) / "jobs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_file(app, prefix: str, suffix: str = ".xlsx") -> Path:
    return job_dir(app) / f"{prefix}-{secrets.token_hex(12)}{suffix}"


def discard(outcome: Outcome | None) -> None:
    if outcome is not None and outcome.file_path:
        _unlink(outcome.file_path)


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _require(user, endpoint: str, right: str) -> None:
    if not permissions.can(endpoint, user.role, right):
        raise JobError("Peran Anda tidak berhak menjalankan tugas ini.")


# --- scoring ------------------------------------------------------------------------------------------
def score(app, session, job: JobInfo, user, progress) -> Outcome:
    _require(user, "period", "a")
    period = session.get(Period, job.params.get("period_id"))
    if period is None:
        raise JobError("Periode tugas ini sudah tidak ada.")
    progress.hold_while_writing(session)
    summary = work.score(session, period, user=user, progress=progress)
    session.commit()
    return Outcome(message=work.scoring_message(summary), result=work.jsonable_summary(summary))


# --- inspector export -----------------------------------------------------------------------------------
def export(app, session, job: JobInfo, user, progress) -> Outcome:
    """The inspector workbook with the filters and search of the list the job was started from,
    evaluated by the list view itself under the starting user's row scope."""
    from flask import current_app, g

    _require(user, "score_result", "x")
    view = _admin_view(app, job.params.get("endpoint", "score_result"))
    args = job.params.get("args") or {}
    path = new_file(app, f"ekspor-{job.id}")
    with app.test_request_context(view.url.rstrip("/") + "/", query_string=args):
        g._login_user = user  # Flask-Login's current_user for get_query's row scope
        try:
            spec = view.export_spec()
            if spec is None:
                raise JobError("Tidak ada hasil penilaian untuk diekspor dengan penyaringan ini.")
            period, selected, desc = spec
            try:
                stats = work.export(session, period, str(path), user=user, result_filter=selected,
                                    filter_desc="Penyaringan: " + "; ".join(desc) if desc else "",
                                    generated_by=user.full_name or user.username, progress=progress,
                                    instance_name=current_app.config.get("KINERJA_INSTANCE_NAME", "BKPSDM"))
            except BaseException:
                _unlink(path)
                raise
        finally:
            g.pop("_login_user", None)
    session.rollback()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    scope = job.params.get("opd_slug")
    name = f"hasil-penilaian-{period.code}{'-' + scope if scope else ''}-{stamp}.xlsx"
    return Outcome(message=f"Buku kerja periode {period.code} siap diunduh: {stats['employees']} pegawai, "
                           f"{stats['targets']} baris sasaran, {stats['behaviour_rows']} baris perilaku.",
                   result=stats, file_path=str(path), file_name=name)


def _admin_view(app, endpoint: str):
    for v in app.extensions["admin"][0]._views:
        if getattr(v, "endpoint", None) == endpoint:
            return v
    raise JobError("Halaman asal tugas ini tidak ditemukan.")


# --- master-data import -----------------------------------------------------------------------------------
def import_(app, session, job: JobInfo, user, progress) -> Outcome:
    _require(user, "excel_import", "c")
    upload = job.params.get("upload")
    if not upload or not os.path.isfile(upload):
        raise JobError("Berkas unggahan tugas ini sudah tidak ada; unggah ulang berkasnya.")
    dry_run = bool(job.params.get("dry_run"))
    if not dry_run:
        progress.hold_while_writing(session)
    try:
        report = work.import_file(session, upload, dry_run=dry_run, user=user,
                                  filename=job.params.get("filename"), progress=progress)
        result = work.report_dict(report)
        if not report.ok:
            session.rollback()
            path = new_file(app, f"kesalahan-{job.id}")
            path.write_bytes(work.error_workbook(report))
            return Outcome(message="", failed=True, result=result, file_path=str(path),
                           file_name="kesalahan-impor.xlsx",
                           error=f"Impor dibatalkan: {len(report.errors)} kesalahan ditemukan. "
                                 "Tidak ada data yang disimpan.")
        if dry_run:
            session.rollback()
            return Outcome(message=f"Uji coba berhasil, tidak ada data yang disimpan. {report.summary()}.",
                           result=result)
        session.commit()
        return Outcome(message=f"Impor berhasil. {report.summary()}.", result=result)
    finally:
        _unlink(upload)


# --- periodic evaluation export (allowances) -------------------------------------------------------------
def periodic(app, session, job: JobInfo, user, progress) -> Outcome:
    """One evaluation window's results for allowance calculation (kinerja_admin.periodic.export)."""
    from models import SubPeriod

    from ..periodic import export as periodic_export

    _require(user, "periodik", "x")
    window = session.get(SubPeriod, job.params.get("window_id"))
    if window is None:
        raise JobError("Jendela evaluasi tugas ini sudah tidak ada.")
    path = new_file(app, f"periodik-{job.id}")
    try:
        stats = periodic_export.write(session, window, str(path), opd_id=job.params.get("opd"), progress=progress)
    except BaseException:
        _unlink(path)
        raise
    name = window.name.lower().replace(" ", "-")
    session.rollback()
    return Outcome(message=f"Ekspor evaluasi periodik {window.name} siap diunduh: {stats['employees']} pegawai, "
                           f"{stats['indicators']} baris indikator.", result=stats, file_path=str(path),
                   file_name=f"evaluasi-periodik-{name}.xlsx")


HANDLERS = {"score": score, "export": export, "import": import_, "periodic": periodic}
