"""Validated, all-or-nothing import of master data (units, positions, employees) from xlsx.

Three phases: read (openpyxl read-only, formulas kept so they can be refused), validate every row
against the file and the database together (kinerja_admin.masterdata rules), then write in the
caller's transaction only when there is no error at all. Records are matched (upsert) by unit code,
by (unit code, position name) and by NIP, so re-importing the same file changes nothing.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from models import Employee, Position, PositionKind, Rank, Unit, db
from models.base import EMPLOYEE_TYPES

from ..audit import record
from ..masterdata import (
    DomainRuleError,
    check_nip_format,
    check_position_in_unit,
    check_rank_for_type,
    find_superior_cycle,
    nip_rules,
)
from ..nip import NipError, normalise_nip
from .template import SHEETS, Column, normal_header

EMPTY_RUN_LIMIT = 1000  # stop reading a sheet after this many empty rows in a row
MAX_DATA_ROWS = 200_000  # per sheet
MAX_ERRORS = 5000  # keep the report readable; reading stops collecting beyond this
CHUNK = 500  # IN-list size for database lookups (portable across SQLite/PostgreSQL/MariaDB)

TRUE_WORDS = {"ya", "y", "yes", "true", "1", "benar", "aktif"}
FALSE_WORDS = {"tidak", "t", "no", "n", "false", "0", "salah", "nonaktif"}


class WorkbookError(ValueError):
    """The file as a whole cannot be read; str(err) is an Indonesian message."""


@dataclass
class RowError:
    sheet: str
    row: int | None
    column: str | None
    message: str
    value: Any = None

    def where(self) -> str:
        parts = [f"Lembar {self.sheet}"]
        if self.row:
            parts.append(f"baris {self.row}")
        if self.column:
            parts.append(f"kolom {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass
class ImportReport:
    filename: str = ""
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {s: {"created": 0, "updated": 0, "unchanged": 0} for s in SHEETS}
    )
    rows_read: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SHEETS})
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        parts = []
        for sheet, c in self.counts.items():
            parts.append(f"{sheet}: {c['created']} baru, {c['updated']} diubah, {c['unchanged']} tetap")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "counts": self.counts,
                "rows_read": self.rows_read, "errors": [str(e) for e in self.errors]}


@dataclass
class SheetRow:
    row: int
    values: dict[str, Any]


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------
def _open_source(source) -> tuple[Any, str]:
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


def _check_container(stream) -> None:
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
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                raise WorkbookError("Berkas bukan berkas Excel .xlsx (isi arsip tidak dikenali).")
            bad = zf.testzip()
            if bad is not None:
                raise WorkbookError("Berkas Excel rusak; simpan ulang dari Excel lalu coba lagi.")
    except zipfile.BadZipFile:
        raise WorkbookError("Berkas Excel rusak atau tidak lengkap; simpan ulang dari Excel lalu coba lagi.") from None
    finally:
        stream.seek(0)


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
    if col.kind == "number":  # the app-wide number reader: "47,5", "1.234,5", finite and bounded
        from sqlalchemy import Numeric

        from ..numbers import Bounds, NumberError, parse_number

        try:
            return parse_number(value, Bounds.of_type(Numeric(18, 4)), "nilai")
        except NumberError as err:
            raise TypeError(str(err).rstrip(".")) from None
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

    stream, name = _open_source(source)
    report.filename = report.filename or name
    try:
        _check_container(stream)
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


def _show(v) -> str:
    return "" if v is None else str(v)


# ------------------------------------------------------------------------------------------------
# Validation and planning
# ------------------------------------------------------------------------------------------------
@dataclass
class _Plan:
    units: list[dict] = field(default_factory=list)
    positions: list[dict] = field(default_factory=list)
    employees: list[dict] = field(default_factory=list)


def _chunks(seq: list, n: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


class _Validator:
    def __init__(self, session, data: dict[str, list[SheetRow]], report: ImportReport):
        self.s = session
        self.data = data
        self.report = report
        self.plan = _Plan()
        self.col = {sheet: {c.key: c.header for c in cols} for sheet, cols in SHEETS.items()}
        self.cells_reported = {(e.sheet, e.row, e.column) for e in report.errors}

    def err(self, sheet: str, row: int | None, key: str | None, message: str, value=None) -> None:
        if len(self.report.errors) >= MAX_ERRORS:
            return
        header = self.col[sheet].get(key, key) if key else None
        if (sheet, row, header) in self.cells_reported:
            return  # the cell already has a reading error (wrong type, formula)
        self.report.errors.append(RowError(sheet, row, header, message, _show(value)))

    # --- units -------------------------------------------------------------------------------
    def units(self) -> None:
        rows = self.data["Unit"]
        file_units: dict[str, SheetRow] = {}
        for r in rows:
            v = r.values
            if not v.get("code"):
                self.err("Unit", r.row, "code", "Kode unit wajib diisi.")
                continue
            if not v.get("name"):
                self.err("Unit", r.row, "name", "Nama unit wajib diisi.")
            if len(v["code"]) > 30:
                self.err("Unit", r.row, "code", "Kode unit paling panjang 30 karakter.", v["code"])
            if v.get("name") and len(v["name"]) > 200:
                self.err("Unit", r.row, "name", "Nama unit paling panjang 200 karakter.")
            if v["code"] in file_units:
                self.err("Unit", r.row, "code",
                         f"Kode unit {v['code']} ganda: sudah ada pada baris {file_units[v['code']].row}.", v["code"])
                continue
            file_units[v["code"]] = r
        codes = set(file_units)
        for r in self.data["Jabatan"]:
            codes.update(c for c in (r.values.get("unit_code"), r.values.get("parent_unit_code")) if c)
        for r in self.data["Pegawai"]:
            if r.values.get("unit_code"):
                codes.add(r.values["unit_code"])
        codes.update(r.values["parent_code"] for r in file_units.values() if r.values.get("parent_code"))
        self.db_units: dict[str, Any] = {}
        for part in _chunks(sorted(codes)):
            for u in self.s.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                           Unit.public_facing).where(Unit.code.in_(part))):
                self.db_units[u.code] = u
        self.file_units = file_units
        # parent existence and cycles over file + database
        parent_code_of_id: dict[int, str | None] = {}

        def db_parent(code: str) -> str | None:
            u = self.db_units.get(code)
            if u is None or u.parent_id is None:
                return None
            if u.parent_id not in parent_code_of_id:
                p = self.s.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                          Unit.public_facing).where(Unit.id == u.parent_id)).one()
                self.db_units.setdefault(p.code, p)
                parent_code_of_id[u.parent_id] = p.code
            return parent_code_of_id[u.parent_id]

        def parent_of(code: str) -> str | None:
            r = file_units.get(code)
            if r is not None:
                return r.values.get("parent_code") if "parent_code" in r.values["_present"] else db_parent(code)
            return db_parent(code)

        reported: set[str] = set()
        for code, r in file_units.items():
            pc = r.values.get("parent_code")
            if pc:
                if pc == code:
                    self.err("Unit", r.row, "parent_code", "Unit tidak boleh menjadi induk bagi dirinya sendiri.", pc)
                    continue
                if pc not in file_units and pc not in self.db_units:
                    self.err("Unit", r.row, "parent_code", f"Unit induk dengan kode {pc} tidak ditemukan "
                             "(tidak ada di sistem maupun di lembar Unit).", pc)
                    continue
            cycle = find_superior_cycle(code, parent_of)
            if cycle and code in cycle and code not in reported:
                reported.update(cycle)
                self.err("Unit", r.row, "parent_code", "Unit induk membuat struktur unit melingkar: "
                         + " -> ".join(cycle + [cycle[0]]) + ".", pc)
        for code, r in file_units.items():
            self.plan.units.append({"row": r.row, "code": code, "values": r.values, "db": self.db_units.get(code)})

    def unit_known(self, code: str | None) -> bool:
        return bool(code) and (code in self.file_units or code in self.db_units)

    # --- positions ---------------------------------------------------------------------------
    def positions(self) -> None:
        kinds = {}
        for k in self.s.execute(select(PositionKind.id, PositionKind.code, PositionKind.name, PositionKind.level)):
            kinds[k.code.lower()] = k
            kinds[k.name.lower()] = k
        self.kinds = kinds
        unit_ids = [u.id for u in self.db_units.values()]
        self.db_positions: dict[tuple[str, str], list] = defaultdict(list)
        code_of = {u.id: u.code for u in self.db_units.values()}
        for part in _chunks(unit_ids):
            for p in self.s.execute(select(Position.id, Position.name, Position.kind_id, Position.level,
                                           Position.unit_id, Position.parent_id)
                                    .where(Position.unit_id.in_(part)).order_by(Position.id)):
                self.db_positions[(code_of[p.unit_id], p.name.lower())].append(p)
        self.db_position_by_id = {p.id: (key, p) for key, ps in self.db_positions.items() for p in ps}
        file_pos: dict[tuple[str, str], SheetRow] = {}
        for r in self.data["Jabatan"]:
            v = r.values
            ok = True
            for key in ("unit_code", "name", "kind"):
                if not v.get(key):
                    self.err("Jabatan", r.row, key, f"{self.col['Jabatan'][key]} wajib diisi.")
                    ok = False
            if v.get("name") and len(v["name"]) > 200:
                self.err("Jabatan", r.row, "name", "Nama jabatan paling panjang 200 karakter.")
                ok = False
            if v.get("unit_code") and not self.unit_known(v["unit_code"]):
                self.err("Jabatan", r.row, "unit_code", f"Unit dengan kode {v['unit_code']} tidak ditemukan "
                         "(tidak ada di sistem maupun di lembar Unit).", v["unit_code"])
                ok = False
            if v.get("kind") and v["kind"].lower() not in kinds:
                self.err("Jabatan", r.row, "kind", f"Jenis jabatan '{v['kind']}' tidak ada di tabel referensi "
                         "(pilih dari daftar: " + ", ".join(sorted({k.code for k in kinds.values()})) + ").", v["kind"])
                ok = False
            if not ok:
                continue
            key = (v["unit_code"], v["name"].lower())
            if key in file_pos:
                self.err("Jabatan", r.row, "name", f"Jabatan '{v['name']}' pada unit {v['unit_code']} ganda: sudah "
                         f"ada pada baris {file_pos[key].row}.", v["name"])
                continue
            file_pos[key] = r
        self.file_positions = file_pos

        def parent_key(v) -> tuple[str, str] | None:
            if not v.get("parent_name"):
                return None
            return (v.get("parent_unit_code") or v["unit_code"], v["parent_name"].lower())

        def parent_of(key):
            r = file_pos.get(key)
            if r is not None:
                return parent_key(r.values)
            ps = self.db_positions.get(key)
            if not ps or ps[0].parent_id is None:
                return None
            hit = self.db_position_by_id.get(ps[0].parent_id)
            return hit[0] if hit else None

        reported: set = set()
        for key, r in file_pos.items():
            v = r.values
            if v.get("parent_unit_code") and not v.get("parent_name"):
                self.err("Jabatan", r.row, "parent_name", "Nama jabatan atasan wajib diisi bila kode unit jabatan "
                         "atasan diisi.")
                continue
            pk = parent_key(v)
            if pk is not None:
                if pk == key:
                    self.err("Jabatan", r.row, "parent_name",
                             "Jabatan tidak boleh menjadi atasan bagi dirinya sendiri.")
                    continue
                if not self.unit_known(pk[0]):
                    self.err("Jabatan", r.row, "parent_unit_code", f"Unit dengan kode {pk[0]} tidak ditemukan.", pk[0])
                    continue
                if pk not in file_pos and pk not in self.db_positions:
                    self.err("Jabatan", r.row, "parent_name", f"Jabatan atasan '{v['parent_name']}' pada unit {pk[0]} "
                             "tidak ditemukan (tidak ada di sistem maupun di lembar Jabatan).", v["parent_name"])
                    continue
            cycle = find_superior_cycle(key, parent_of)
            if cycle and key in cycle and key not in reported:
                reported.update(cycle)
                self.err("Jabatan", r.row, "parent_name", "Jabatan atasan membuat struktur jabatan melingkar: "
                         + " -> ".join(n for _, n in cycle) + ".", v.get("parent_name"))
        for key, r in file_pos.items():
            v = r.values
            existing = self.db_positions.get(key, [])
            self.plan.positions.append({"row": r.row, "key": key, "values": v, "db": existing,
                                        "kind": kinds[v["kind"].lower()], "parent": parent_key(v)})

    def position_known(self, unit_code: str, name: str) -> bool:
        key = (unit_code, name.lower())
        return key in self.file_positions or key in self.db_positions

    # --- employees ---------------------------------------------------------------------------
    def employees(self) -> None:
        rules = nip_rules(self.s)
        ranks: dict[tuple[str, str], Any] = {}
        ranks_any: dict[str, list] = defaultdict(list)
        for rk in self.s.execute(select(Rank.id, Rank.employee_type, Rank.code, Rank.name)):
            ranks[(rk.employee_type, rk.code.lower())] = rk
            ranks_any[rk.code.lower()].append(rk)
        file_emp: dict[str, SheetRow] = {}
        for r in self.data["Pegawai"]:
            v = r.values
            etype = (v.get("employee_type") or "").upper() or None
            if etype is None:
                self.err("Pegawai", r.row, "employee_type", "Jenis pegawai wajib diisi (PNS atau PPPK).")
            elif etype not in EMPLOYEE_TYPES:
                self.err("Pegawai", r.row, "employee_type", "Jenis pegawai harus PNS atau PPPK.",
                         v.get("employee_type"))
                etype = None
            v["employee_type"] = etype
            nip = None
            try:
                nip = check_nip_format(v.get("nip"), etype, rules)
            except (DomainRuleError, NipError) as err:
                self.err("Pegawai", r.row, "nip", str(err), v.get("nip"))
            if not v.get("name"):
                self.err("Pegawai", r.row, "name", "Nama pegawai wajib diisi.")
            elif len(v["name"]) > 150:
                self.err("Pegawai", r.row, "name", "Nama pegawai paling panjang 150 karakter.")
            if v.get("rank"):
                code = v["rank"].split(" - ")[0].strip().lower()
                rk = ranks.get((etype, code)) if etype else None
                if rk is None and etype:
                    others = ranks_any.get(code)
                    if others:
                        try:
                            check_rank_for_type(others[0].employee_type, others[0].code, etype)
                        except DomainRuleError as err:
                            self.err("Pegawai", r.row, "rank", str(err), v["rank"])
                    else:
                        self.err("Pegawai", r.row, "rank", f"Pangkat/golongan '{v['rank']}' tidak ada di tabel "
                                 "referensi (contoh: III/a untuk PNS, IX untuk PPPK).", v["rank"])
                v["rank_id"] = rk.id if rk is not None else None
            else:
                v["rank_id"] = None
            unit_code = v.get("unit_code")
            if not unit_code:
                self.err("Pegawai", r.row, "unit_code", "Kode unit wajib diisi.")
            elif not self.unit_known(unit_code):
                self.err("Pegawai", r.row, "unit_code", f"Unit dengan kode {unit_code} tidak ditemukan "
                         "(tidak ada di sistem maupun di lembar Unit).", unit_code)
            elif v.get("position") and not self.position_known(unit_code, v["position"]):
                elsewhere = [k for k in (*self.file_positions, *self.db_positions) if k[1] == v["position"].lower()]
                if elsewhere:
                    try:
                        check_position_in_unit(v["position"], elsewhere[0][0], unit_code, unit_code)
                    except DomainRuleError as err:
                        self.err("Pegawai", r.row, "position", str(err), v["position"])
                else:
                    self.err("Pegawai", r.row, "position", f"Jabatan '{v['position']}' tidak ditemukan pada unit "
                             f"{unit_code} (tidak ada di sistem maupun di lembar Jabatan).", v["position"])
            if v.get("email") and ("@" not in v["email"] or len(v["email"]) > 120):
                self.err("Pegawai", r.row, "email", "Alamat surel tidak valid.", v["email"])
            if v.get("superior_nip"):
                try:
                    v["superior_nip"] = normalise_nip(v["superior_nip"])
                except NipError as err:
                    self.err("Pegawai", r.row, "superior_nip", str(err), v["superior_nip"])
                    v["superior_nip"] = None
            if nip is None:
                continue
            v["nip"] = nip
            if nip in file_emp:
                self.err("Pegawai", r.row, "nip", f"NIP {nip} ganda: sudah ada pada baris {file_emp[nip].row}.", nip)
                continue
            file_emp[nip] = r
        # database lookups: employees of the file and the superiors they name
        wanted = set(file_emp) | {r.values["superior_nip"] for r in file_emp.values() if r.values.get("superior_nip")}
        db_emp: dict[str, Any] = {}
        cols = (Employee.id, Employee.nip, Employee.name, Employee.employee_type, Employee.rank_id,
                Employee.position_id, Employee.unit_id, Employee.superior_id, Employee.email, Employee.active)
        for part in _chunks(sorted(wanted)):
            for e in self.s.execute(select(*cols).where(Employee.nip.in_(part))):
                db_emp[e.nip] = e
        nip_of_id: dict[int, str] = {e.id: e.nip for e in db_emp.values()}

        def fetch_ids(ids: set[int]) -> None:
            missing = sorted(i for i in ids if i not in nip_of_id)
            for part in _chunks(missing):
                for e in self.s.execute(select(*cols).where(Employee.id.in_(part))):
                    db_emp.setdefault(e.nip, e)
                    nip_of_id[e.id] = e.nip

        # pre-load database superior chains level by level (a handful of queries, not one per row)
        frontier = {e.superior_id for e in db_emp.values() if e.superior_id is not None}
        while frontier - set(nip_of_id):
            before = set(nip_of_id)
            fetch_ids(frontier)
            frontier = {db_emp[nip_of_id[i]].superior_id for i in frontier if i in nip_of_id} - {None}
            if set(nip_of_id) == before:
                break

        def superior_of(nip: str) -> str | None:
            r = file_emp.get(nip)
            if r is not None and "superior_nip" in r.values["_present"]:
                return r.values.get("superior_nip")
            e = db_emp.get(nip)
            if e is None or e.superior_id is None:
                return None
            if e.superior_id not in nip_of_id:
                fetch_ids({e.superior_id})
            return nip_of_id.get(e.superior_id)

        reported: set[str] = set()
        for nip, r in file_emp.items():
            sup = r.values.get("superior_nip")
            if sup:
                if sup == nip:
                    self.err("Pegawai", r.row, "superior_nip",
                             "Pegawai tidak boleh menjadi atasan bagi dirinya sendiri.", sup)
                    continue
                if sup not in file_emp and sup not in db_emp:
                    self.err("Pegawai", r.row, "superior_nip", f"Atasan dengan NIP {sup} tidak ditemukan (tidak ada di "
                             "sistem maupun di lembar Pegawai).", sup)
                    continue
            cycle = find_superior_cycle(nip, superior_of)
            if cycle and nip in cycle and nip not in reported:
                reported.update(cycle)
                self.err("Pegawai", r.row, "superior_nip",
                         "Atasan yang diisi membuat rantai atasan melingkar (siklus): "
                         + " -> ".join(cycle + [cycle[0]]) + ".", sup)
        self.db_emp = db_emp
        for nip, r in file_emp.items():
            self.plan.employees.append({"row": r.row, "nip": nip, "values": r.values, "db": db_emp.get(nip)})


# ------------------------------------------------------------------------------------------------
# Diff and write
# ------------------------------------------------------------------------------------------------
def _unit_target(item, old) -> dict:
    v, present = item["values"], item["values"]["_present"]
    t = {"name": v["name"]}
    if "kind" in present and v.get("kind"):
        t["kind"] = v["kind"]
    elif old is None:
        t["kind"] = "OPD"
    if "public_facing" in present and v.get("public_facing") is not None:
        t["public_facing"] = v["public_facing"]
    elif old is None:
        t["public_facing"] = False
    if "parent_code" in present or old is None:
        t["parent"] = v.get("parent_code")
    return t


def _diff(old, target: dict, current: dict) -> dict:
    """Fields whose target differs from the current value: {field: [before, after]}."""
    changes = {}
    for k, new in target.items():
        before = current.get(k)
        if before != new:
            changes[k] = [before, new]
    return changes


def _jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


class _Writer:
    """Computes created/updated/unchanged (also for a dry run) and, when asked, writes."""

    def __init__(self, session, val: _Validator, report: ImportReport, write: bool, user=None):
        self.s, self.val, self.report, self.write, self.user = session, val, report, write, user
        self.reason = f"Impor Excel: {report.filename}" if report.filename else "Impor Excel"
        self.unit_id: dict[str, int] = {c: u.id for c, u in val.db_units.items()}
        self.unit_code_of_id = {u.id: c for c, u in val.db_units.items()}

    def count(self, sheet, what):
        self.report.counts[sheet][what] += 1

    FLUSH_EVERY = 500

    def tick(self) -> None:
        """Flush every FLUSH_EVERY changed objects: session-wide flush listeners (period guard,
        audit trail) then work on small batches instead of one flush of the whole file."""
        self._ops = getattr(self, "_ops", 0) + 1
        if self._ops % self.FLUSH_EVERY == 0:
            self.s.flush()

    def audit(self, action, entity, entity_id, changes):
        if self.write:
            record(action, entity, entity_id,
                   changes={k: [_jsonable(a), _jsonable(b)] for k, (a, b) in changes.items()},
                   reason=self.reason, user=self.user, session=self.s)
            self.tick()

    # units ---------------------------------------------------------------------------------
    def units(self) -> None:
        pending_parent: list[tuple[Any, str, dict]] = []
        for item in self.val.plan.units:
            old = item["db"]
            target = _unit_target(item, old)
            if old is None:
                self.count("Unit", "created")
                if self.write:
                    u = Unit(code=item["code"], name=target["name"], kind=target["kind"],
                             public_facing=target["public_facing"], active=True)
                    self.tick()
                    self.s.add(u)
                    pending_parent.append((u, target.get("parent"), {"code": item["code"], **target}))
                continue
            current = {"name": old.name, "kind": old.kind, "public_facing": bool(old.public_facing),
                       "parent": self.unit_code_of_id.get(old.parent_id) if old.parent_id else None}
            if old.parent_id and current["parent"] is None:
                current["parent"] = self.s.scalar(select(Unit.code).where(Unit.id == old.parent_id))
            changes = _diff(old, target, current)
            if not changes:
                self.count("Unit", "unchanged")
                continue
            self.count("Unit", "updated")
            if self.write:
                u = self.s.get(Unit, old.id)
                for k, (_, new) in changes.items():
                    if k != "parent":
                        setattr(u, k, new)
                if "parent" in changes:
                    pending_parent.append((u, changes["parent"][1], None))
                self.audit("update", "unit", old.id, changes)
        if not self.write:
            return
        self.s.flush()
        for u, _, _ in pending_parent:
            self.unit_id[u.code] = u.id
        for u, parent_code, created in pending_parent:
            u.parent_id = self._unit_id(parent_code) if parent_code else None
            if created is not None:
                self.audit("insert", "unit", u.id, {k: [None, v] for k, v in created.items()})
        self.s.flush()

    def _unit_id(self, code: str) -> int:
        if code not in self.unit_id:
            self.unit_id[code] = self.s.scalar(select(Unit.id).where(Unit.code == code))
        return self.unit_id[code]

    # positions -----------------------------------------------------------------------------
    def positions(self) -> None:
        self.pos_id: dict[tuple[str, str], int] = {k: ps[0].id for k, ps in self.val.db_positions.items()}
        pending: list[tuple[Any, tuple | None, dict | None]] = []
        for item in self.val.plan.positions:
            v, kind, parent = item["values"], item["kind"], item["parent"]
            target = {"kind": kind.code, "parent": parent}
            existing = item["db"]
            if not existing:
                self.count("Jabatan", "created")
                if self.write:
                    p = Position(name=v["name"], kind_id=kind.id, level=kind.level,
                                 unit_id=self._unit_id(item["key"][0]))
                    self.tick()
                    self.s.add(p)
                    pending.append((p, parent, {"unit": item["key"][0], "name": v["name"], "kind": kind.code,
                                                "parent": None if parent is None else f"{parent[0]}/{parent[1]}"}))
                    item["obj"] = p
                continue
            kind_code_of = {k.id: k.code for k in self.val.kinds.values()}

            def state(p):
                hit = self.val.db_position_by_id.get(p.parent_id) if p.parent_id else None
                return {"kind": kind_code_of.get(p.kind_id), "parent": hit[0] if hit else None}  # noqa: B023

            # several positions may share a name in one unit (formasi): one matching is enough
            if any(not _diff(None, target, state(p)) for p in existing):
                self.count("Jabatan", "unchanged")
                continue
            if len(existing) > 1:
                self.val.err("Jabatan", item["row"], "name", f"Ada {len(existing)} jabatan bernama '{v['name']}' pada "
                             f"unit {item['key'][0]}; ubah jenis/atasannya melalui menu Jabatan.", v["name"])
                continue
            old = existing[0]
            changes = _diff(None, target, state(old))
            self.count("Jabatan", "updated")
            if self.write:
                p = self.s.get(Position, old.id)
                if "kind" in changes:
                    p.kind_id, p.level = kind.id, kind.level
                if "parent" in changes:
                    pending.append((p, parent, None))
                self.audit("update", "position", old.id, {k: [str(a) if a else a, str(b) if b else b]
                                                          for k, (a, b) in changes.items()})
        if not self.write:
            return
        self.s.flush()
        for item in self.val.plan.positions:
            if "obj" in item:
                self.pos_id[item["key"]] = item["obj"].id
        for p, parent, created in pending:
            p.parent_id = self.pos_id[parent] if parent else None
            if created is not None:
                self.audit("insert", "position", p.id, {k: [None, val] for k, val in created.items()})
        self.s.flush()

    def _position_id(self, unit_code: str, name: str | None, current_id: int | None) -> int | None:
        if not name:
            return None
        key = (unit_code, name.lower())
        existing = self.val.db_positions.get(key, [])
        if current_id is not None and any(p.id == current_id for p in existing):
            return current_id  # keep the one the employee already holds
        if key in self.pos_id:
            return self.pos_id[key]
        return existing[0].id if existing else None

    # employees -----------------------------------------------------------------------------
    def employees(self) -> None:
        nip_to_id = {nip: e.id for nip, e in self.val.db_emp.items()}
        id_to_nip = {i: n for n, i in nip_to_id.items()}
        pending_sup: list[tuple[Any, str | None, dict | None]] = []
        for item in self.val.plan.employees:
            v, old = item["values"], item["db"]
            present = v["_present"]
            unit_code = v["unit_code"]
            unit_id = self.unit_id.get(unit_code) if unit_code in self.unit_id else None
            target: dict[str, Any] = {"name": v["name"], "employee_type": v["employee_type"], "unit": unit_code}
            if "rank" in present or old is None:
                target["rank_id"] = v.get("rank_id")
            if "position" in present or old is None:
                target["position"] = v.get("position")
            if "superior_nip" in present or old is None:
                target["superior"] = v.get("superior_nip")
            if "email" in present or old is None:
                target["email"] = v.get("email")
            if v.get("active") is not None:
                target["active"] = v["active"]
            elif old is None:
                target["active"] = True
            if old is None:
                self.count("Pegawai", "created")
                if self.write:
                    e = Employee(nip=item["nip"], name=v["name"], employee_type=v["employee_type"],
                                 rank_id=target["rank_id"], unit_id=unit_id or self._unit_id(unit_code),
                                 position_id=self._position_id(unit_code, target["position"], None),
                                 email=target["email"], active=target["active"])
                    self.tick()
                    self.s.add(e)
                    pending_sup.append((e, target["superior"], {"nip": item["nip"], **target}))
                continue
            cur_pos = None
            if old.position_id is not None:
                hit = self.val.db_position_by_id.get(old.position_id)
                same_unit = hit and hit[0][0] == self.unit_code_of_id.get(old.unit_id)
                cur_pos = hit[1].name if same_unit else f"#{old.position_id}"
            current = {"name": old.name, "employee_type": old.employee_type,
                       "unit": self.unit_code_of_id.get(old.unit_id) or f"#{old.unit_id}",
                       "rank_id": old.rank_id, "position": cur_pos,
                       "superior": id_to_nip.get(old.superior_id) if old.superior_id else None,
                       "email": old.email, "active": bool(old.active)}
            if old.superior_id and current["superior"] is None:
                current["superior"] = self.s.scalar(select(Employee.nip).where(Employee.id == old.superior_id))
            if (current["position"] and target.get("position")
                    and current["position"].lower() == target["position"].lower()):
                target["position"] = current["position"]
            changes = _diff(old, target, current)
            if not changes:
                self.count("Pegawai", "unchanged")
                continue
            self.count("Pegawai", "updated")
            if self.write:
                e = self.s.get(Employee, old.id)
                for k, (_, new) in changes.items():
                    if k in ("name", "employee_type", "rank_id", "email", "active"):
                        setattr(e, k, new)
                if "unit" in changes:
                    e.unit_id = self._unit_id(unit_code)
                if "unit" in changes or "position" in changes:
                    e.position_id = self._position_id(unit_code, target.get("position", cur_pos),
                                                      old.position_id if "unit" not in changes else None)
                if "superior" in changes:
                    pending_sup.append((e, changes["superior"][1], None))
                self.audit("update", "employee", old.id, changes)
        if not self.write:
            return
        self.s.flush()
        for e, _, _ in pending_sup:
            nip_to_id[e.nip] = e.id
        for e, sup, created in pending_sup:
            e.superior_id = nip_to_id[sup] if sup else None
            if created is not None:
                self.audit("insert", "employee", e.id, {k: [None, val] for k, val in created.items()})
        self.s.flush()


def import_workbook(source, *, session=None, dry_run: bool = False, user=None,
                    filename: str | None = None) -> ImportReport:
    """Read, validate and (unless dry_run or any error) write. The caller commits on success
    and rolls back otherwise; nothing is flushed while an error is known."""
    session = session or db.session
    report = ImportReport(filename=filename or "", dry_run=dry_run)
    try:
        data = read_workbook(source, report)
    except WorkbookError as err:
        report.errors.append(RowError("(berkas)", None, None, str(err)))
        return report
    if any(e.row in (None, 1) for e in report.errors):
        return report  # a missing sheet or header: row checks would only add noise
    with session.no_autoflush:
        val = _Validator(session, data, report)
        val.units()
        val.positions()
        val.employees()
        if report.errors:
            return report
        # first pass: counts only (also reports ambiguous positions) - nothing written yet
        _Writer(session, val, report, write=False).units()
        w = _Writer(session, val, report, write=False)
        w.pos_id = {}
        w.positions()
        w.employees()
        if report.errors or dry_run:
            return report
    report.counts = {s: {"created": 0, "updated": 0, "unchanged": 0} for s in SHEETS}
    w = _Writer(session, val, report, write=True, user=user)
    w.units()
    w.positions()
    w.employees()
    if any(c["created"] or c["updated"] for c in report.counts.values()):
        record("import", "excel", None, changes={"counts": report.counts}, reason=w.reason, user=user, session=session)
    session.flush()
    report.written = True
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
        ws.write_string(r, 3, _show(e.value), text)
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
