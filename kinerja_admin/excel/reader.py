"""Reading the master-data workbook: the archive is judged from the zip central directory before
anything is decompressed (member count, sizes, compression ratio, shared strings, sheet
dimensions), then openpyxl reads the three sheets in read-only mode with formulas kept (so they can
be refused), one typed row per record. File-level problems raise WorkbookError; cell-level problems
are added to the report.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from typing import Any

from .report import MAX_ERRORS, ImportReport, RowError, SheetRow, WorkbookError
from .report import show as _show
from .template import SHEETS, Column, normal_header

EMPTY_RUN_LIMIT = 1000  # stop reading a sheet after this many empty rows in a row
MAX_DATA_ROWS = 200_000  # per sheet

# Archive limits, decided from the central directory (no decompression). A 10 000-employee workbook
# is about 3 MB uncompressed in all (sheet ~2 MB, shared strings ~1 MB), ratios 5-20.
MB = 1024 * 1024
MAX_MEMBERS = 500
MAX_TOTAL_UNCOMPRESSED = 400 * MB
MAX_MEMBER_UNCOMPRESSED = 200 * MB
MAX_SHARED_STRINGS = 24 * MB  # openpyxl holds every shared string in memory: about 100 000 employees
MAX_RATIO = 200  # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 1 * MB
MAX_COLUMNS = 256  # the template has 9; extra columns are allowed, a 10 000-column sheet is not
DIMENSION_PEEK = 64 * 1024  # bytes of a sheet read to find its <dimension>

TRUE_WORDS = {"ya", "y", "yes", "true", "1", "benar", "aktif"}
FALSE_WORDS = {"tidak", "t", "no", "n", "false", "0", "salah", "nonaktif"}

TOO_BIG = ("Berkas Excel terlalu besar atau tidak wajar ({detail}); berkas ditolak sebelum dibuka. Simpan "
           "ulang dari templat, hapus lembar dan kolom yang tidak perlu, atau bagi menjadi beberapa berkas.")


def open_source(source) -> tuple[Any, str]:
    """Return a seekable binary stream and a display name."""
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), os.path.basename(str(source))
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source), "unggahan.xlsx"
    name = getattr(source, "filename", None) or getattr(source, "name", None) or "unggahan.xlsx"
    stream = getattr(source, "stream", source)
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    return stream, os.path.basename(str(name))


def check_container(stream) -> None:
    """Refuse anything but a sane .xlsx before it is opened (also used by the programs import)."""
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise WorkbookError("Berkas kosong.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookError(
            "Berkas dilindungi kata sandi atau berformat Excel lama (.xls). Buka di Excel, hapus kata "
            "sandinya, lalu simpan sebagai Excel Workbook (.xlsx)."
        )
    if not head.startswith(b"PK"):
        raise WorkbookError("Berkas bukan berkas Excel .xlsx. Gunakan templat yang disediakan.")
    try:
        with zipfile.ZipFile(stream) as zf:
            check_archive(zf)
    except zipfile.BadZipFile:
        raise WorkbookError("Berkas Excel rusak atau tidak lengkap; simpan ulang dari Excel lalu coba lagi.") from None
    finally:
        stream.seek(0)


def check_archive(zf: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from the central directory alone (sizes and counts as declared there;
    zipfile's reader then refuses a member whose data runs past its declared size), plus the
    <dimension> at the head of each sheet (at most DIMENSION_PEEK bytes decompressed per sheet)."""
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise WorkbookError("Berkas bukan berkas Excel .xlsx (isi arsip tidak dikenali).")
    if len(infos) > MAX_MEMBERS:
        raise WorkbookError(TOO_BIG.format(detail=f"{len(infos)} bagian, paling banyak {MAX_MEMBERS}"))
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > MAX_MEMBER_UNCOMPRESSED:
            raise WorkbookError(TOO_BIG.format(detail=f"bagian {info.filename} {size // MB} MB setelah dibuka"))
        if info.filename.lower().endswith("sharedstrings.xml") and size > MAX_SHARED_STRINGS:
            raise WorkbookError(TOO_BIG.format(
                detail=f"teks bersama {size // MB} MB, paling banyak {MAX_SHARED_STRINGS // MB} MB"))
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookError(TOO_BIG.format(
                detail=f"bagian {info.filename} memampat {size // max(info.compress_size, 1)} kali"))
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise WorkbookError(TOO_BIG.format(detail=f"{total // MB} MB setelah dibuka"))
    for info in infos:
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            columns = _dimension_columns(zf, info)
            if columns > MAX_COLUMNS:
                raise WorkbookError(TOO_BIG.format(
                    detail=f"lembar selebar {columns} kolom, paling banyak {MAX_COLUMNS}"))


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?([A-Z]+)\d*"')


def _dimension_columns(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    with zf.open(info) as fh:
        head = fh.read(DIMENSION_PEEK)
    m = _DIMENSION.search(head)
    if not m:
        return 0
    n = 0
    for ch in m.group(1).decode():
        n = n * 26 + (ord(ch) - 64)
    return n


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("berisi nilai benar/salah, bukan teks")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise TypeError("berisi tanggal/waktu, bukan teks")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return str(value)
    text = " ".join(str(value).split())
    return text or None


def _bool(value) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise TypeError("harus diisi Ya atau Tidak")


def _convert(col: Column, value):
    if col.kind == "bool":
        return _bool(value)
    if col.kind == "nip":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, float):
            raise TypeError("NIP harus diketik sebagai teks, bukan angka (Excel mengubahnya menjadi 1,96E+17)")
        if isinstance(value, (bool, dt.date, dt.datetime, dt.time)):
            raise TypeError("NIP harus berupa teks 18 digit")
        return str(value)
    return _text(value)


def read_workbook(source, report: ImportReport) -> dict[str, list[SheetRow]]:
    """Read the three data sheets into typed rows; file-level problems raise WorkbookError,
    cell-level problems are appended to report.errors."""
    from openpyxl import load_workbook

    stream, name = open_source(source)
    report.filename = report.filename or name
    try:
        check_container(stream)
        try:
            wb = load_workbook(stream, read_only=True, data_only=False, keep_links=False)
        except WorkbookError:
            raise
        except Exception:
            raise WorkbookError("Berkas Excel rusak atau tidak dapat dibaca; simpan ulang dari Excel lalu "
                                "coba lagi.") from None
        try:
            return _read_sheets(wb, report)
        finally:
            wb.close()
    finally:
        if isinstance(source, (str, os.PathLike)):
            stream.close()


def _read_sheets(wb, report: ImportReport) -> dict[str, list[SheetRow]]:
    by_name = {" ".join(n.split()).lower(): n for n in wb.sheetnames}
    missing = [s for s in SHEETS if s.lower() not in by_name]
    if missing:
        raise WorkbookError(
            "Lembar " + ", ".join(f"'{m}'" for m in missing) + " tidak ditemukan (lembar yang ada: "
            + ", ".join(f"'{n}'" for n in wb.sheetnames) + "). Jangan mengganti nama lembar templat."
        )
    out: dict[str, list[SheetRow]] = {}
    for sheet, columns in SHEETS.items():
        ws = wb[by_name[sheet.lower()]]
        out[sheet] = _read_sheet(sheet, ws, columns, report)
    return out


def _read_sheet(sheet: str, ws, columns: tuple[Column, ...], report: ImportReport) -> list[SheetRow]:
    errors = report.errors
    try:
        ws.reset_dimensions()  # ignore a stale/huge <dimension>; read only the rows present
    except AttributeError:
        pass
    rows = ws.iter_rows(min_row=1, values_only=False)
    header = next(rows, None)
    if header is None:
        errors.append(RowError(sheet, 1, None, "Baris judul kolom tidak ditemukan (lembar kosong). "
                                              "Gunakan templat yang disediakan."))
        return []
    if len(header) > MAX_COLUMNS:
        raise WorkbookError(TOO_BIG.format(detail=f"lembar {sheet} selebar {len(header)} kolom, paling banyak "
                                                  f"{MAX_COLUMNS}"))
    index: dict[str, int] = {}
    wanted = {normal_header(c.header): c for c in columns}
    for i, cell in enumerate(header):
        key = normal_header(getattr(cell, "value", None))
        if key in wanted and wanted[key].key not in index:
            index[wanted[key].key] = i
    bad_header = False
    for col in columns:
        if col.required and col.key not in index:
            errors.append(RowError(sheet, 1, col.header,
                                   f"Kolom wajib '{col.header}' tidak ditemukan pada baris judul. "
                                   "Jangan mengganti atau menghapus judul kolom."))
            bad_header = True
    if bad_header:
        return []
    present = [(c, index[c.key]) for c in columns if c.key in index]
    result: list[SheetRow] = []
    empty_run = 0
    for rownum, cells in enumerate(rows, start=2):
        if len(cells) > MAX_COLUMNS:
            raise WorkbookError(TOO_BIG.format(detail=f"lembar {sheet} baris {rownum} selebar {len(cells)} kolom, "
                                                      f"paling banyak {MAX_COLUMNS}"))
        values: dict[str, Any] = {}
        empty = True
        row_errors = []
        for col, idx in present:
            cell = cells[idx] if idx < len(cells) else None
            raw = getattr(cell, "value", None)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[col.key] = None
                continue
            empty = False
            if getattr(cell, "data_type", None) == "f" or (isinstance(raw, str) and raw.startswith("=")
                                                            and getattr(cell, "data_type", None) == "f"):
                row_errors.append(RowError(sheet, rownum, col.header,
                                           "Sel berisi rumus; isi dengan nilai (salin lalu tempel sebagai nilai).",
                                           str(raw)))
                values[col.key] = None
                continue
            try:
                values[col.key] = _convert(col, raw)
            except TypeError as err:
                row_errors.append(RowError(sheet, rownum, col.header, f"Isian {err}.", _show(raw)))
                values[col.key] = None
        if empty:
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        if len(result) >= MAX_DATA_ROWS:
            errors.append(RowError(sheet, rownum, None,
                                   f"Terlalu banyak baris (lebih dari {MAX_DATA_ROWS:,}); "
                                   "bagi berkas menjadi beberapa bagian."
                                   .replace(",", ".")))
            break
        if len(errors) < MAX_ERRORS:
            errors.extend(row_errors)
        values["_present"] = {c.key for c, _ in present}
        result.append(SheetRow(rownum, values))
    report.rows_read[sheet] = len(result)
    return result
