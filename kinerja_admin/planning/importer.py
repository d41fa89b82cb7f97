"""All-or-nothing import of the programs workbook (kinerja_admin.planning.template), validated like
the master-data import: read every sheet (formulas and wrong types refused cell by cell), check every
row against the file and the database together, and write in the caller's transaction only when no
error at all was found. Records are matched by their codes (agreement: period + OPD; goal: + goal
code; program and indicator: period + OPD + code; realisation: indicator + quarter), so importing the
same file twice changes nothing; rows missing from the file are never deleted.

Writes go through the ORM, so the closed-period lock and the audit trail apply to each row; a row
that would change a closed period is reported as an error before anything is written.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from kinerja_admin.audit import record
from kinerja_admin.excel.importer import RowError, WorkbookError
from kinerja_admin.excel.reader import check_container, open_source
from kinerja_admin.nip import NipError, normalise_nip
from kinerja_admin.orgtree import unit_tree
from kinerja_admin.workflow import trail
from models import (
    Employee,
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    Program,
    PublicService,
    StrategicGoal,
    Unit,
    db,
)
from models.planning import PARENT_LEVEL, PROGRAM_LEVELS

from .template import AGREEMENT, GOAL, INDICATOR, LEVEL_WORDS, PROGRAM, SHEETS, Column, normal_header

REALISATION = "Realisasi"  # counted apart: the TW columns of the Indikator sheet
EMPTY_RUN_LIMIT = 500
MAX_DATA_ROWS = 50_000
MAX_ERRORS = 5000
TEXT_LIMITS = {"code": 40, "name": 300, "unit_label": 40, "period": 20, "opd": 30, "goal": 40, "program": 40,
               "parent": 40, "service": 60}
TRUE_WORDS = {"ya", "y", "yes", "true", "1", "benar"}
FALSE_WORDS = {"tidak", "t", "no", "n", "false", "0", "salah"}
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


@dataclass
class PlanningImportReport:
    filename: str = ""
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: _zero_counts())
    rows_read: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SHEETS})
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return "; ".join(f"{sheet}: {c['created']} baru, {c['updated']} diubah, {c['unchanged']} tetap"
                         for sheet, c in self.counts.items())

    def as_dict(self) -> dict:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "counts": self.counts,
                "rows_read": self.rows_read, "errors": [str(e) for e in self.errors]}


def _zero_counts():
    return {s: {"created": 0, "updated": 0, "unchanged": 0} for s in (*SHEETS, REALISATION)}


@dataclass
class Row:
    row: int
    values: dict[str, Any]


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------
def _convert(col: Column, value):
    """Typed value of a cell; TypeError(message) when the cell does not fit the column."""
    if col.kind == "number":
        if isinstance(value, bool):
            raise TypeError("harus berupa angka")
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value)).quantize(Decimal("0.0001")).normalize()
        text = str(value).strip().replace(" ", "")
        if not NUMBER.match(text):
            raise TypeError("harus berupa angka (desimal dengan koma atau titik, tanpa pemisah ribuan)")
        try:
            return Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern already refused it
            raise TypeError("harus berupa angka") from None
    if col.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise TypeError("harus berupa tanggal (mis. 02/01/2025)")
    if col.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise TypeError("harus diisi Ya atau Tidak")
    if col.kind == "nip":
        if isinstance(value, float):
            raise TypeError("NIP harus diketik sebagai teks, bukan angka (Excel mengubahnya menjadi 1,96E+17)")
        if isinstance(value, (bool, dt.date, dt.datetime, dt.time)):
            raise TypeError("NIP harus berupa teks 18 digit")
        return str(value)
    if isinstance(value, bool):
        raise TypeError("berisi nilai benar/salah, bukan teks")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise TypeError("berisi tanggal/waktu, bukan teks")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


def read_workbook(source, report: PlanningImportReport) -> dict[str, list[Row]]:
    from openpyxl import load_workbook

    stream, name = open_source(source)
    report.filename = report.filename or name
    try:
        check_container(stream)  # the master-data import's checks, upload bombs included
        try:
            wb = load_workbook(stream, read_only=True, data_only=False, keep_links=False)
        except Exception:
            raise WorkbookError("Berkas Excel rusak atau tidak dapat dibaca; simpan ulang dari Excel lalu coba "
                                "lagi.") from None
        try:
            by_name = {" ".join(n.split()).lower(): n for n in wb.sheetnames}
            missing = [s for s in SHEETS if s.lower() not in by_name]
            if missing:
                raise WorkbookError("Lembar " + ", ".join(f"'{m}'" for m in missing) + " tidak ditemukan (lembar "
                                    "yang ada: " + ", ".join(f"'{n}'" for n in wb.sheetnames) + "). Jangan mengganti "
                                    "nama lembar templat.")
            return {sheet: _read_sheet(sheet, wb[by_name[sheet.lower()]], cols, report)
                    for sheet, cols in SHEETS.items()}
        finally:
            wb.close()
    finally:
        if isinstance(source, (str, os.PathLike)):
            stream.close()


def _read_sheet(sheet: str, ws, columns: tuple[Column, ...], report: PlanningImportReport) -> list[Row]:
    try:
        ws.reset_dimensions()
    except AttributeError:
        pass
    rows = ws.iter_rows(min_row=1, values_only=False)
    header = next(rows, None)
    if header is None:
        report.errors.append(RowError(sheet, 1, None, "Baris judul kolom tidak ditemukan (lembar kosong). Gunakan "
                                                      "templat yang disediakan."))
        return []
    wanted = {normal_header(c.header): c for c in columns}
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        col = wanted.get(normal_header(getattr(cell, "value", None)))
        if col is not None and col.key not in index:
            index[col.key] = i
    missing = [c for c in columns if c.required and c.key not in index]
    for col in missing:
        report.errors.append(RowError(sheet, 1, col.header, f"Kolom wajib '{col.header}' tidak ditemukan pada baris "
                                                            "judul. Jangan mengganti atau menghapus judul kolom."))
    if missing:
        return []
    present = [(c, index[c.key]) for c in columns if c.key in index]
    out: list[Row] = []
    empty_run = 0
    for rownum, cells in enumerate(rows, start=2):
        values: dict[str, Any] = {}
        empty = True
        for col, idx in present:
            cell = cells[idx] if idx < len(cells) else None
            raw = getattr(cell, "value", None)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[col.key] = None
                continue
            empty = False
            if getattr(cell, "data_type", None) == "f":
                report.errors.append(RowError(sheet, rownum, col.header, "Sel berisi rumus; isi dengan nilai (salin "
                                                                         "lalu tempel sebagai nilai).", str(raw)))
                values[col.key] = None
                continue
            try:
                values[col.key] = _convert(col, raw)
            except TypeError as err:
                report.errors.append(RowError(sheet, rownum, col.header, f"Isian {err}.", str(raw)))
                values[col.key] = None
        if empty:
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        if len(out) >= MAX_DATA_ROWS:
            report.errors.append(RowError(sheet, rownum, None, "Terlalu banyak baris; bagi berkas menjadi beberapa "
                                                               "bagian."))
            break
        values["_bad"] = {e.column for e in report.errors if e.sheet == sheet and e.row == rownum}
        out.append(Row(rownum, values))
    report.rows_read[sheet] = len(out)
    return out


# ------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------
class _Importer:
    def __init__(self, session, data: dict[str, list[Row]], report: PlanningImportReport, user=None):
        self.s, self.data, self.report, self.user = session, data, report, user
        self.headers = {sheet: {c.key: c.header for c in cols} for sheet, cols in SHEETS.items()}
        self.reason = f"Impor program: {report.filename}" if report.filename else "Impor program"

    def err(self, sheet, row, key, message, value=None) -> None:
        if len(self.report.errors) >= MAX_ERRORS:
            return
        header = self.headers[sheet].get(key, key) if key else None
        self.report.errors.append(RowError(sheet, row, header, message, "" if value is None else str(value)))

    # --- context from the database -----------------------------------------------------------
    def load(self) -> None:
        all_rows = [r for rows in self.data.values() for r in rows]
        period_codes = {r.values.get("period") for r in all_rows if r.values.get("period")}
        opd_codes = {r.values.get("opd") for r in all_rows if r.values.get("opd")}
        self.periods = {p.code: p for p in self.s.scalars(select(Period).where(Period.code.in_(sorted(period_codes))))}
        self.units = {u.code: u for u in self.s.scalars(select(Unit).where(Unit.code.in_(sorted(opd_codes))))}
        pids = [p.id for p in self.periods.values()]
        uids = [u.id for u in self.units.values() if u.parent_id is None]
        key_of = {(p.id, u.id): (p.code, u.code) for p in self.periods.values() for u in self.units.values()}

        def scoped(model):
            return list(self.s.scalars(select(model).where(model.period_id.in_(pids), model.unit_id.in_(uids))))

        self.db_agreements = {key_of[(a.period_id, a.unit_id)]: a for a in scoped(PerformanceAgreement)}
        self.db_goals = {}
        agreement_ids = {a.id: k for k, a in self.db_agreements.items()}
        if agreement_ids:
            for g in self.s.scalars(select(StrategicGoal).where(StrategicGoal.agreement_id.in_(sorted(agreement_ids)))):
                self.db_goals[(*agreement_ids[g.agreement_id], g.code)] = g
        self.db_programs = {(*key_of[(p.period_id, p.unit_id)], p.code): p for p in scoped(Program)}
        self.db_program_by_id = {p.id: p for p in self.db_programs.values()}
        self.db_children = defaultdict(int)
        for p in self.db_programs.values():
            if p.parent_id:
                self.db_children[p.parent_id] += 1
        self.db_indicators = {(*key_of[(i.period_id, i.unit_id)], i.code): i for i in scoped(OrgIndicator)}
        self.db_realisations = {}
        ind_ids = [i.id for i in self.db_indicators.values()]
        for i in range(0, len(ind_ids), 500):
            for r in self.s.scalars(select(OrgRealisation).where(OrgRealisation.indicator_id.in_(ind_ids[i:i + 500]))):
                self.db_realisations[(r.indicator_id, r.quarter)] = r
        self.services = {s.slug: s for s in self.s.scalars(select(PublicService))}
        self.tree = unit_tree(self.s)

    # --- shared row checks ------------------------------------------------------------------------
    def base(self, sheet, r: Row) -> tuple[str, str] | None:
        v = r.values
        ok = True
        for key in ("period", "opd"):
            if not v.get(key):
                if self.headers[sheet][key] not in self.headers_bad(r):  # else its reading error says why
                    self.err(sheet, r.row, key, f"{self.headers[sheet][key]} wajib diisi.")
                ok = False
        if not ok:
            return None
        if v["period"] not in self.periods:
            self.err(sheet, r.row, "period", f"Periode {v['period']} tidak ditemukan.", v["period"])
            ok = False
        unit = self.units.get(v["opd"])
        if unit is None:
            self.err(sheet, r.row, "opd", f"Unit dengan kode {v['opd']} tidak ditemukan.", v["opd"])
            ok = False
        elif unit.parent_id is not None:
            self.err(sheet, r.row, "opd", f"{unit.name} bukan perangkat daerah (unit teratas); isi kode OPD-nya.",
                     v["opd"])
            ok = False
        return (v["period"], v["opd"]) if ok else None

    @staticmethod
    def headers_bad(r: Row) -> set:
        return r.values.get("_bad", set())

    def required(self, sheet, r: Row, *keys) -> bool:
        ok = True
        for key in keys:
            if r.values.get(key) in (None, "") and self.headers[sheet][key] not in self.headers_bad(r):
                self.err(sheet, r.row, key, f"{self.headers[sheet][key]} wajib diisi.")
                ok = False
            elif r.values.get(key) in (None, ""):
                ok = False
        return ok

    def lengths(self, sheet, r: Row) -> bool:
        ok = True
        for key, limit in TEXT_LIMITS.items():
            value = r.values.get(key)
            if isinstance(value, str) and len(value) > limit:
                self.err(sheet, r.row, key, f"{self.headers[sheet].get(key, key)} paling panjang {limit} karakter.",
                         value[:60])
                ok = False
        return ok

    def unique(self, sheet, seen: dict, key, r: Row, label: str, column: str) -> bool:
        if key in seen:
            self.err(sheet, r.row, column, f"{label} ganda: sudah ada pada baris {seen[key].row}.", key[-1])
            return False
        seen[key] = r
        return True

    def nonneg(self, sheet, r: Row, *keys) -> bool:
        ok = True
        for key in keys:
            value = r.values.get(key)
            if value is not None and value < 0:
                self.err(sheet, r.row, key, f"{self.headers[sheet][key]} tidak boleh negatif.", value)
                ok = False
        return ok

    # --- per sheet -------------------------------------------------------------------------------------
    def validate(self) -> None:
        self.agreements: dict[tuple, Row] = {}
        for r in self.data[AGREEMENT]:
            base = self.base(AGREEMENT, r)
            if base is None or not self.lengths(AGREEMENT, r):
                continue
            if not self.unique(AGREEMENT, self.agreements, base, r, f"Perjanjian kinerja {base[1]} periode "
                               f"{base[0]}", "opd"):
                continue
            nip = r.values.get("signatory")
            r.values["signatory_id"] = None
            if nip:
                try:
                    nip = normalise_nip(nip)
                except NipError as err:
                    self.err(AGREEMENT, r.row, "signatory", str(err), nip)
                    continue
                emp = self.s.scalar(select(Employee.id).where(Employee.nip == nip))
                if emp is None:
                    self.err(AGREEMENT, r.row, "signatory", f"Pegawai dengan NIP {nip} tidak ditemukan.", nip)
                    continue
                r.values["signatory_id"] = emp

        self.goals: dict[tuple, Row] = {}
        for r in self.data[GOAL]:
            base = self.base(GOAL, r)
            if base is None or not self.required(GOAL, r, "code", "description") or not self.lengths(GOAL, r):
                continue
            key = (*base, r.values["code"])
            if not self.unique(GOAL, self.goals, key, r, f"Kode sasaran {key[2]}", "code"):
                continue
            if base not in self.agreements and base not in self.db_agreements:
                self.err(GOAL, r.row, "opd", f"Perjanjian kinerja {base[1]} periode {base[0]} belum ada (di sistem "
                         "maupun di lembar Perjanjian Kinerja).", base[1])

        self.programs: dict[tuple, Row] = {}
        for r in self.data[PROGRAM]:
            base = self.base(PROGRAM, r)
            if base is None or not self.required(PROGRAM, r, "level", "code", "name") or not self.lengths(PROGRAM, r):
                continue
            level = LEVEL_WORDS.get(normal_header(r.values["level"]))
            if level is None:
                self.err(PROGRAM, r.row, "level", "Tingkat harus Program, Kegiatan atau Sub Kegiatan.",
                         r.values["level"])
                continue
            r.values["level_code"] = level
            key = (*base, r.values["code"])
            self.unique(PROGRAM, self.programs, key, r, f"Kode {key[2]}", "code")
        for key, r in self.programs.items():
            self.check_program(key, r)

        self.indicators: dict[tuple, Row] = {}
        for r in self.data[INDICATOR]:
            base = self.base(INDICATOR, r)
            if base is None or not self.required(INDICATOR, r, "code", "description", "target_value") \
                    or not self.lengths(INDICATOR, r):
                continue
            key = (*base, r.values["code"])
            if self.unique(INDICATOR, self.indicators, key, r, f"Kode indikator {key[2]}", "code"):
                self.check_indicator(key, r)

    def program_level(self, key) -> str | None:
        if key in self.programs:
            return self.programs[key].values.get("level_code")
        p = self.db_programs.get(key)
        return p.level if p is not None else None

    def goal_known(self, key) -> bool:
        return key in self.goals or key in self.db_goals

    def check_program(self, key, r: Row) -> None:
        v, level = r.values, r.values["level_code"]
        wanted = PARENT_LEVEL[level]
        parent = v.get("parent")
        if wanted is None and parent:
            self.err(PROGRAM, r.row, "parent", "Program tidak berinduk; kosongkan Kode Induk.", parent)
        elif wanted is not None and not parent:
            self.err(PROGRAM, r.row, "parent", f"{PROGRAM_LEVELS[level]} wajib menyebut kode "
                     f"{PROGRAM_LEVELS[wanted].lower()} induknya.")
        elif wanted is not None:
            parent_level = self.program_level((key[0], key[1], parent))
            if parent_level is None:
                self.err(PROGRAM, r.row, "parent", f"Induk dengan kode {parent} tidak ditemukan (di sistem maupun di "
                         "lembar Program).", parent)
            elif parent_level != wanted:
                self.err(PROGRAM, r.row, "parent", f"Induk {PROGRAM_LEVELS[level].lower()} harus sebuah "
                         f"{PROGRAM_LEVELS[wanted].lower()}, bukan {PROGRAM_LEVELS[parent_level].lower()}.", parent)
        if v.get("goal") and not self.goal_known((key[0], key[1], v["goal"])):
            self.err(PROGRAM, r.row, "goal", f"Sasaran {v['goal']} tidak ditemukan (di sistem maupun di lembar "
                     "Sasaran).", v["goal"])
        if self.nonneg(PROGRAM, r, "budget_ceiling", "budget_realised"):
            if v.get("budget_ceiling") is not None and v.get("budget_realised") is not None \
                    and v["budget_realised"] > v["budget_ceiling"]:
                self.err(PROGRAM, r.row, "budget_realised", "Realisasi anggaran melebihi pagu.", v["budget_realised"])
        existing = self.db_programs.get(key)
        if existing is not None and existing.level != level and self.db_children.get(existing.id):
            self.err(PROGRAM, r.row, "level", f"Tingkat {key[2]} tidak dapat diubah karena sudah memiliki "
                     "kegiatan/sub kegiatan.", v["level"])

    def check_indicator(self, key, r: Row) -> None:
        v = r.values
        goal, program = v.get("goal"), v.get("program")
        if bool(goal) == bool(program):
            self.err(INDICATOR, r.row, "goal", "Isi tepat satu: Kode Sasaran (IKU) atau Kode Program/Kegiatan.")
        elif goal and not self.goal_known((key[0], key[1], goal)):
            self.err(INDICATOR, r.row, "goal", f"Sasaran {goal} tidak ditemukan (di sistem maupun di lembar "
                     "Sasaran).", goal)
        elif program and self.program_level((key[0], key[1], program)) is None:
            self.err(INDICATOR, r.row, "program", f"Program/kegiatan dengan kode {program} tidak ditemukan (di "
                     "sistem maupun di lembar Program).", program)
        self.nonneg(INDICATOR, r, "target_value", "q1", "q2", "q3", "q4")
        if v.get("weight") is not None and v["weight"] <= 0:
            self.err(INDICATOR, r.row, "weight", "Bobot harus lebih dari 0 (kosongkan untuk bobot 1).", v["weight"])
        if v.get("service"):
            service = self.services.get(v["service"])
            if service is None:
                self.err(INDICATOR, r.row, "service", f"Layanan dengan kode {v['service']} tidak ditemukan.",
                         v["service"])
            elif self.tree.root_of(service.unit_id) != self.units[key[1]].id:
                self.err(INDICATOR, r.row, "service", f"Layanan {service.name} bukan milik perangkat daerah "
                         f"{key[1]}.", v["service"])

    # --- counting and writing -----------------------------------------------------------------------
    def count(self, sheet, what) -> None:
        self.report.counts[sheet][what] += 1

    def changed(self, sheet, r: Row, obj, wanted: dict, key) -> bool:
        """Count the row (created / updated / unchanged); refuse a change to a closed period."""
        if obj is None:
            kind = "created"
        elif any(getattr(obj, k) != val for k, val in wanted.items()):
            kind = "updated"
        else:
            self.count(sheet, "unchanged")
            return False
        period = self.periods[key[0]]
        if period.status == "closed":
            where = INDICATOR if sheet == REALISATION else sheet
            self.err(where, r.row, "period", f"Periode {period.code} sudah ditutup; datanya tidak dapat diubah. "
                     "Hanya admin yang dapat membuka kembali periode.", period.code)
            return False
        self.count(sheet, kind)
        return True

    def _save(self, write: bool, obj, model, wanted: dict, **fixed):
        if not write:
            return obj
        if obj is None:
            obj = model(**fixed, **wanted)
            trail.note(obj, action="insert", reason=self.reason)
            self.s.add(obj)
        else:
            for k, val in wanted.items():
                setattr(obj, k, val)
            trail.note(obj, action="update", reason=self.reason)
        return obj

    def apply(self, write: bool) -> None:
        s = self.s
        ids = lambda key: (self.periods[key[0]].id, self.units[key[1]].id)  # noqa: E731
        agreements = dict(self.db_agreements)
        for key, r in self.agreements.items():
            v = r.values
            wanted = {"signed_on": v.get("signed_on"), "signatory_id": v.get("signatory_id"), "note": v.get("note")}
            obj = agreements.get(key)
            if self.changed(AGREEMENT, r, obj, wanted, key):
                pid, uid = ids(key)
                agreements[key] = self._save(write, obj, PerformanceAgreement, wanted, period_id=pid, unit_id=uid)
        if write:
            s.flush()
        goals = dict(self.db_goals)
        for key, r in self.goals.items():
            wanted = {"description": r.values["description"]}
            obj = goals.get(key)
            if self.changed(GOAL, r, obj, wanted, key):
                agreement = agreements.get(key[:2])
                goals[key] = self._save(write, obj, StrategicGoal, wanted, code=key[2],
                                        agreement_id=agreement.id if write else None)
        if write:
            s.flush()
        programs = dict(self.db_programs)
        order = {"program": 0, "kegiatan": 1, "subkegiatan": 2}
        for key, r in sorted(self.programs.items(), key=lambda kv: order[kv[1].values["level_code"]]):
            v = r.values
            wanted = {"level": v["level_code"], "name": v["name"],
                      "budget_ceiling": v.get("budget_ceiling"), "budget_realised": v.get("budget_realised")}
            obj = programs.get(key)
            parent = programs.get((key[0], key[1], v["parent"])) if v.get("parent") else None
            goal = goals.get((key[0], key[1], v["goal"])) if v.get("goal") else None
            if write or obj is not None:
                wanted["parent_id"] = parent.id if parent is not None else None
                wanted["goal_id"] = goal.id if goal is not None else None
            if obj is not None and not write:
                # dry run: compare references by code (new parents/goals have no id yet)
                wanted["parent_id"] = self._ref_id(parent, obj.parent_id)
                wanted["goal_id"] = self._ref_id(goal, obj.goal_id)
            if self.changed(PROGRAM, r, obj, wanted, key):
                pid, uid = ids(key)
                saved = self._save(write, obj, Program, wanted, period_id=pid, unit_id=uid, code=key[2])
                if write:
                    s.flush()  # children of this node need its id
                programs[key] = saved if saved is not None else _Pending()
        indicators = dict(self.db_indicators)
        for key, r in self.indicators.items():
            v = r.values
            goal = goals.get((key[0], key[1], v["goal"])) if v.get("goal") else None
            program = programs.get((key[0], key[1], v["program"])) if v.get("program") else None
            service = self.services.get(v["service"]) if v.get("service") else None
            obj = indicators.get(key)
            wanted = {"description": v["description"], "unit_label": v.get("unit_label") or "",
                      "target_value": v["target_value"], "lower_is_better": bool(v.get("lower_is_better")),
                      "weight": v.get("weight"), "service_id": service.id if service else None}
            wanted["goal_id"] = self._ref_id(goal, obj.goal_id if obj else None) if goal is not None else None
            wanted["program_id"] = self._ref_id(program, obj.program_id if obj else None) if program is not None \
                else None
            if self.changed(INDICATOR, r, obj, wanted, key):
                pid, uid = ids(key)
                indicators[key] = self._save(write, obj, OrgIndicator, wanted, period_id=pid, unit_id=uid, code=key[2])
        if write:
            s.flush()
        for key, r in self.indicators.items():
            stored = self.db_indicators.get(key)
            for q in (1, 2, 3, 4):
                value = r.values.get(f"q{q}")
                if value is None:
                    continue
                real = self.db_realisations.get((stored.id, q)) if stored is not None else None
                if self.changed(REALISATION, r, real, {"value": value}, key):
                    self._save(write, real, OrgRealisation, {"value": value}, indicator_id=indicators[key].id
                               if write else None, quarter=q, recorded_by_id=getattr(self.user, "id", None))
        if write:
            s.flush()

    @staticmethod
    def _ref_id(new, current):
        """The id a reference will have: the object's id, or (a row created by this file in a dry run)
        a value that differs from any stored id."""
        if new is None:
            return None
        rid = getattr(new, "id", None)
        return rid if rid is not None else -1 if current is not None else None


class _Pending:
    """A row this file creates, during a dry run (no id yet)."""

    id = None


def import_programs(source, *, session=None, dry_run: bool = False, user=None,
                    filename: str | None = None) -> PlanningImportReport:
    """Read, validate and (unless dry_run or any error) write. The caller commits on success and
    rolls back otherwise."""
    session = session or db.session
    report = PlanningImportReport(filename=filename or "", dry_run=dry_run)
    try:
        data = read_workbook(source, report)
    except WorkbookError as err:
        report.errors.append(RowError("(berkas)", None, None, str(err)))
        return report
    if any(e.row in (None, 1) for e in report.errors):
        return report
    with session.no_autoflush:
        imp = _Importer(session, data, report, user)
        imp.load()
        imp.validate()
        if report.errors:
            return report
        imp.apply(write=False)
        if report.errors or dry_run:
            return report
    report.counts = _zero_counts()
    imp.apply(write=True)
    if report.errors:  # pragma: no cover - the dry pass found every error already
        return report
    if any(c["created"] or c["updated"] for c in report.counts.values()):
        record("import", "planning_excel", None, changes={"counts": report.counts}, reason=imp.reason, user=user,
               session=session)
    session.flush()
    report.written = True
    return report
