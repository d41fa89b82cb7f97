"""Validated, all-or-nothing import of master data (units, positions, employees) from xlsx.

Three modules, one direction: ``reader`` (the archive judged from the zip central directory, then
openpyxl read-only with formulas kept so they can be refused), ``validator`` (every row against the
file and the database together, kinerja_admin.masterdata rules, lengths from the models) and
``writer`` (diff, count and write in one pass, in the caller's transaction, only when there is no
error at all). Records are matched (upsert) by unit code, by (unit code, position name) and by NIP,
so re-importing the same file changes nothing.
"""
from __future__ import annotations

import io

from models import db

from ..audit import record
from .reader import EMPTY_RUN_LIMIT, MAX_COLUMNS, MAX_DATA_ROWS, read_workbook
from .report import MAX_ERRORS, ImportReport, RowError, SheetRow, WorkbookError, show
from .validator import CHUNK, Validator
from .writer import Writer

__all__ = ["CHUNK", "EMPTY_RUN_LIMIT", "MAX_COLUMNS", "MAX_DATA_ROWS", "MAX_ERRORS", "ImportReport", "RowError",
           "SheetRow", "WorkbookError", "error_workbook", "import_workbook", "read_workbook"]


def import_workbook(source, *, session=None, dry_run: bool = False, user=None,
                    filename: str | None = None, progress=None) -> ImportReport:
    """Read, validate and (unless dry_run or any error) write. The caller commits on success
    and rolls back otherwise (report.ok false: whatever the writer flushed is undone). `progress(stage,
    done, total)` is told each phase with the rows handled (background jobs and the CLI show it)."""
    session = session or db.session
    progress = progress or (lambda stage, done, total: None)
    report = ImportReport(filename=filename or "", dry_run=dry_run)
    progress("Membaca berkas", 0, 0)
    try:
        data = read_workbook(source, report)
    except WorkbookError as err:
        report.errors.append(RowError("(berkas)", None, None, str(err)))
        return report
    if any(e.row in (None, 1) for e in report.errors):
        return report  # a missing sheet or header: row checks would only add noise
    total = sum(len(rows) for rows in data.values())
    progress("Memeriksa data", 0, total)
    with session.no_autoflush:
        val = Validator(session, data, report)
        val.run()
        if report.errors:
            return report
        # one pass: diff, count and (unless a dry run) write; an error found while writing (an
        # ambiguous position) leaves report.ok false and the caller rolls the writes back
        progress("Memeriksa perubahan" if dry_run else "Menyimpan data", 0, total)
        w = Writer(session, val, report, write=not dry_run, user=user)
        w.units()
        w.positions()
        w.employees()
        if report.errors or dry_run:
            progress("Pemeriksaan selesai", total, total)
            return report
    if any(c["created"] or c["updated"] for c in report.counts.values()):
        record("import", "excel", None, changes={"counts": report.counts}, reason=w.reason, user=user, session=session)
    session.flush()
    report.written = True
    progress("Data tersimpan", total, total)
    return report


def error_workbook(report: ImportReport) -> bytes:
    """The errors of a report as a downloadable workbook (sheet, row, column, value, message)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": f"Kesalahan impor {report.filename}".strip()})
    ws = wb.add_worksheet("Kesalahan")
    head = wb.add_format({"bold": True, "bg_color": "#F8CBAD", "border": 1})
    text = wb.add_format({"num_format": "@"})
    ws.write_row(0, 0, ["Lembar", "Baris", "Kolom", "Nilai", "Pesan"], head)
    for r, e in enumerate(report.errors, start=1):
        ws.write_string(r, 0, e.sheet)
        if e.row:
            ws.write_number(r, 1, e.row)
        ws.write_string(r, 2, e.column or "")
        ws.write_string(r, 3, show(e.value), text)
        ws.write_string(r, 4, e.message)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(report.errors), 1), 4)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 8)
    ws.set_column(2, 2, 24)
    ws.set_column(3, 3, 24)
    ws.set_column(4, 4, 100)
    wb.close()
    return buf.getvalue()
