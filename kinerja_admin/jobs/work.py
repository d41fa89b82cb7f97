"""The long work itself, shared by the background jobs and the CLI (which shows the same progress
as a progress bar). Each function takes `progress(done=None, total=None, stage=None)`; it calls the
owners' functions (scoring engine, exporter, importer) and does not restructure them."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from models import Period, ScoreResult, WorkPlan

Progress = Callable[..., None]


def _noop(*_a, **_k) -> None:
    return None


# --- scoring ------------------------------------------------------------------------------------------
def score(session, period: Period, *, user=None, progress: Progress | None = None) -> dict:
    """Score a period (one set-based run of kinerja_admin.scoring.engine). The engine computes every
    employee in one statement (kinerja_admin.scoring.engine.write_results), so the rows are reported
    before (to do) and after (done)."""
    from kinerja_admin.scoring.engine import SCORABLE_PLAN_STATUSES, score_period

    progress = progress or _noop
    total = session.scalar(select(func.count(WorkPlan.id)).where(
        WorkPlan.period_id == period.id, WorkPlan.status.in_(SCORABLE_PLAN_STATUSES))) or 0
    kept = session.scalar(select(func.count(ScoreResult.id)).where(
        ScoreResult.period_id == period.id, ScoreResult.status != "computed")) or 0
    # end the read before the write phase (SQLite, see jobs/progress.py); nothing was written yet
    session.commit()
    progress(0, int(total), f"Menghitung dan menyimpan nilai {int(total)} SKP periode {period.code}"
             + (f" ({int(kept)} hasil yang sudah disetujui/diumumkan tidak diubah)" if kept else ""))
    summary = score_period(session, period, user=user)
    progress(int(summary["computed"]) + int(summary.get("skipped_final", 0)), None, "Nilai tersimpan")
    return summary


def scoring_message(summary: dict) -> str:
    from kinerja_admin.scoring.engine import summary_message

    text = summary_message(summary)
    warnings = summary.get("warnings") or []
    if warnings:
        text += " Peringatan distribusi: " + "; ".join(warnings[:5]) + (" ..." if len(warnings) > 5 else "")
    return text


def jsonable_summary(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if isinstance(v, (int, float, str, list, dict, type(None)))}


# --- inspector export -----------------------------------------------------------------------------------
EXPORT_STAGES = [(5, "Menulis lembar Ringkasan"), (65, "Menulis lembar Nilai Pegawai"),
                 (75, "Menulis lembar Rincian Sasaran"), (90, "Menulis lembar Penilaian Perilaku"),
                 (100, "Menulis lembar Aturan dan Jejak Audit")]


def export(session, period: Period, out, *, user=None, result_filter=None, filter_desc: str = "",
           generated_by: str | None = None, progress: Progress | None = None, instance_name: str = "BKPSDM"):
    """The inspector workbook (kinerja_admin.excel.exporter.export_period), with its percentage turned
    into rows of the employee sheet written and the sheet being written."""
    from kinerja_admin.excel.exporter import export_period
    from kinerja_admin.scope import scope_condition

    progress = progress or _noop
    conds = [ScoreResult.period_id == period.id]
    if user is not None and scope_condition(ScoreResult, user) is not None:
        conds.append(scope_condition(ScoreResult, user))
    if result_filter is not None:
        conds.append(result_filter)
    total = int(session.scalar(select(func.count(ScoreResult.id)).where(*conds)) or 0)
    progress(0, total, EXPORT_STAGES[0][1])

    def on_percent(pct: int) -> None:
        stage = next((label for limit, label in EXPORT_STAGES if pct < limit), "Menutup berkas")
        if pct >= 100:
            stage = "Menutup berkas"
        done = total if pct >= 65 else max(0, round((pct - 5) * total / 60)) if pct > 5 else 0
        progress(done, total, stage)

    return export_period(period, out, session=session, user=user, result_filter=result_filter,
                         filter_desc=filter_desc, generated_by=generated_by, progress=on_percent,
                         instance_name=instance_name)


# --- master-data import -----------------------------------------------------------------------------------
def import_file(session, source, *, dry_run: bool, user=None, filename: str | None = None,
                progress: Progress | None = None):
    from kinerja_admin.excel.importer import import_workbook

    progress = progress or _noop

    def on_stage(stage: str, done: int, total: int) -> None:
        progress(done, total or None, stage)

    return import_workbook(source, session=session, dry_run=dry_run, user=user, filename=filename,
                           progress=on_stage)


def report_dict(report) -> dict:
    """An import report for the job row (the first 500 errors; all of them are in the error workbook)."""
    errors = [{"sheet": e.sheet, "row": e.row, "column": e.column, "value": None if e.value is None else str(e.value),
               "message": e.message} for e in report.errors[:500]]
    return {"filename": report.filename, "dry_run": report.dry_run, "ok": report.ok, "written": report.written,
            "counts": report.counts, "rows_read": report.rows_read, "errors": errors,
            "error_count": len(report.errors)}


def error_workbook(report) -> bytes:
    from kinerja_admin.excel.importer import error_workbook as build

    return build(report)
