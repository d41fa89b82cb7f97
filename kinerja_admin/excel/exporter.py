"""The inspector workbook of one period: xlsxwriter in constant_memory mode, rows streamed from the
database in batches (yield_per), restricted by the user's row scope (kinerja_admin.scope) and by an
optional extra condition (the admin list's current filters and search).

Sheets: Ringkasan (per OPD), Nilai Pegawai, Rincian Sasaran, Penilaian Perilaku, Periksa, Aturan,
Jejak Audit.

The workbook states every rule and input the engine used, as values: the formula applied to each
indicator (and its text), what happened to indicators without a value, the floored capaian, the
innovation flag, where each matrix category came from, the structural flag, the public's inputs, the
OPD of every row, the rounding rule and the missing-data policy, and where each rule value comes from
(regulation, one agency's practice, our default). "Periksa" recomputes, for every employee, SKP,
behaviour, the final value and the predicate with Excel formulas over Rincian Sasaran, Penilaian
Perilaku and Aturan, beside the stored values; A1/B1 hold the number of mismatches. Every formula is
written with its cached value (computed here in Python, with Decimal, from the same inputs), so readers
that do not calculate still see numbers.

All employee-level sheets follow one order (OPD, unit, name, result id), so an employee's rows in
Rincian Sasaran and Penilaian Perilaku are one contiguous block that Periksa's formulas address.
Every sheet is produced as a stream of rows and written through :func:`write_rows`; the benchmark's
floor (scripts/bench_export.py) writes the very same rows from prepared lists (see ``hook``).
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

import xlsxwriter
from sqlalchemy import Float, Numeric, String, case, func, literal, or_, select, type_coerce
from sqlalchemy.orm import aliased
from xlsxwriter.utility import xl_col_to_name

from models import (
    AuditLog,
    BehaviourAspect,
    Employee,
    IkmBand,
    Period,
    Position,
    Rank,
    ScoreDetail,
    ScoreResult,
    ScoringScheme,
    Unit,
    User,
    WorkPlan,
    db,
)
from models.base import (
    CATEGORIES,
    CATEGORY_SOURCES,
    MISSING_REALISATION,
    MISSING_SUPERIOR,
    ORG_RATINGS,
    PROVENANCE,
    RATER_ROLES,
    ROUNDING_MODES,
    SCORE_STATUSES,
    TARGET_ASPECTS,
)

from ..orgtree import unit_tree
from ..scope import scope_condition
from ..scoring import distribution
from ..scoring.expression import evaluate as evaluate_expression
from ..scoring.expression import to_excel
from ..scoring.formulas import FORMULAS, Exact
from ..scoring.rules import (
    PREDICATE_ORDER,
    Rules,
    band_value,
    load_rules,
    predicate_fill,
    provenance_pairs,
    ref_category,
    ref_predicate,
)

BATCH = 2000  # rows per fetch (yield_per)
Q4 = Decimal("0.0001")
Q2 = Decimal("0.01")
NAN = float("nan")
ROLES = list(RATER_ROLES)

T, N, N2, D, P, INT, F, FT = "t", "n", "n2", "d", "p", "i", "f", "ft"
# cell kinds: text, number (4 decimals), number (2 decimals), datetime, predicate (coloured text),
# integer, formula with a numeric result, formula with a text result; formula cells hold
# (formula, cached value)

ARAH_LOWER = "Makin kecil makin baik"
ARAH_HIGHER = "Makin besar makin baik"
POLICY_ZERO = "dihitung 0"
POLICY_BLOCK = "menahan nilai"
SUPERIOR_BLOCK = "menahan nilai perilaku"
SUPERIOR_ALLOW = "diizinkan"
YES, NO = "Ya", "Tidak"

# --- sheet layouts: (key, header, width, kind) ----------------------------------------------------------
EMPLOYEE_SHEET = [
    ("nip", "NIP", 21, T), ("name", "Nama", 32, T), ("type", "Jenis", 7, T), ("rank_code", "Golongan", 9, T),
    ("rank_name", "Pangkat", 22, T), ("position", "Jabatan", 36, T), ("opd", "OPD", 36, T),
    ("unit", "Unit Kerja", 36, T), ("rater", "Pejabat Penilai", 30, T), ("rater_nip", "NIP Pejabat Penilai", 21, T),
    ("skp", "Nilai SKP", 10, N), ("behaviour", "Nilai Perilaku", 10, N), ("atasan", "Rerata Atasan", 10, N),
    ("rekan", "Rerata Rekan", 10, N), ("bawahan", "Rerata Bawahan", 10, N), ("diri", "Rerata Diri", 10, N),
    ("masyarakat", "Rerata Masyarakat", 11, N), ("final", "Nilai Akhir", 10, N),
    ("hasil", "Rating Hasil Kerja", 20, T), ("hasil_src", "Sumber Rating Hasil Kerja", 22, T),
    ("perilaku", "Rating Perilaku", 20, T), ("perilaku_src", "Sumber Rating Perilaku", 22, T),
    ("predicate", "Predikat", 18, P), ("innovation", "Inovasi", 8, T), ("structural", "Jabatan Struktural", 10, T),
    ("pub_n", "Responden Masyarakat", 11, INT), ("pub_sum", "Jumlah Jawaban Masyarakat (1-4)", 13, INT),
    ("pub_mean", "Rerata Jawaban Masyarakat (1-4)", 13, N), ("note", "Catatan Perhitungan", 50, T),
    ("status", "Status", 11, T), ("approved_by", "Disetujui Oleh", 22, T), ("approved_at", "Disetujui Pada", 17, D),
    ("computed_at", "Dihitung Pada", 17, D), ("scheme_version", "Versi Skema", 8, INT),
]
TARGET_SHEET = [
    ("nip", "NIP", 21, T), ("name", "Nama", 30, T), ("seq", "No. RHK", 7, INT), ("rhk", "Rencana Hasil Kerja", 44, T),
    ("aspect", "Aspek", 11, T), ("indicator", "Indikator", 40, T), ("target", "Target", 11, N),
    ("unit_label", "Satuan", 12, T), ("arah", "Arah", 20, T), ("stored_formula", "Kode Rumus Tersimpan", 16, T),
    ("formula", "Kode Rumus Diterapkan", 16, T), ("formula_text", "Rumus Diterapkan", 60, T),
    ("realised", "Realisasi", 11, N), ("capaian", "Capaian (%)", 11, F), ("capaian_used", "Capaian Dipakai (%)", 11, F),
    ("band", "Pita Capaian", 8, F), ("value", "Nilai Indikator", 11, F), ("status", "Status Indikator", 36, T),
    ("target_value", "Nilai Sasaran", 11, F), ("evidence", "Bukti Dukung", 30, T), ("feedback", "Umpan Balik", 30, T),
]
BEHAVIOUR_SHEET = [
    ("nip", "NIP", 21, T), ("name", "Nama", 30, T), ("role", "Peran Penilai", 14, T), ("code", "Kode Aspek", 20, T),
    ("aspect", "Aspek Perilaku", 32, T), ("average", "Rerata", 10, N), ("raters", "Jumlah Penilai", 10, INT),
    ("weight", "Bobot Aspek", 9, F),
]
AUDIT_SHEET = [
    ("at", "Waktu", 17, D), ("user", "Pengguna", 16, T), ("action", "Aksi", 14, T), ("entity", "Entitas", 20, T),
    ("id", "ID", 10, T), ("field", "Kolom", 24, T), ("before", "Sebelum", 30, T), ("after", "Sesudah", 30, T),
    ("reason", "Alasan", 40, T),
]
CHECK_TITLE_ROWS = 3  # Periksa: A1/B1 count, a line of explanation, the weights row; header on row 4


def _kinds(spec):
    return [k for _, _, _, k in spec]


def _col(spec, key) -> str:
    return xl_col_to_name([k for k, _, _, _ in spec].index(key))


def _num(v) -> Optional[float]:
    """A number for a cell; None for none and for a non-finite value (legacy data: xlsxwriter refuses
    NaN/Infinity, and one such value must not fail the whole workbook)."""
    if v is None:
        return None
    f = float(v)
    return f if f - f == 0 else None


def _dec(v) -> Optional[Decimal]:
    if v is None:
        return None
    d = v if isinstance(v, Decimal) else Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    return d if d.is_finite() else None


def _q4(v: Optional[Decimal]) -> Optional[Decimal]:
    return None if v is None else v.quantize(Q4, rounding=ROUND_HALF_UP)


def _cached(v):
    """A formula's cached value: a number, or "" for an empty result."""
    return "" if v is None else float(v)


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook, predicates: Iterable[str]):
        self.head = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                   "text_wrap": True, "valign": "top", "border": 1})
        self.check_head = wb.add_format({"bold": True, "bg_color": "#7F6000", "font_color": "#FFFFFF",
                                         "text_wrap": True, "valign": "top", "border": 1})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.num = wb.add_format({"num_format": "0.0000"})
        self.num2 = wb.add_format({"num_format": "0.00"})
        self.int = wb.add_format({"num_format": "0"})
        self.pct = wb.add_format({"num_format": "0.0"})
        self.dt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        # stored times are UTC; the workbook shows the instance's zone (Indonesia keeps no daylight time,
        # so one offset serves every cell)
        self.utc_offset = dt.timedelta(0)
        self.zone_label = "UTC"
        self.text = wb.add_format({"num_format": "@"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.warn = wb.add_format({"font_color": "#9C0006", "text_wrap": True})
        self.total = wb.add_format({"bold": True, "top": 1, "num_format": "0.00"})
        self.big = wb.add_format({"bold": True, "font_size": 14, "num_format": "0"})
        self.pred: dict[str, Any] = {}
        self._wb = wb
        for label in predicates:
            self.predicate(label)

    def predicate(self, label: str):
        if label not in self.pred:
            colour = predicate_fill(label)
            self.pred[label] = self._wb.add_format({"bg_color": colour, "bold": True}) if colour else None
        return self.pred[label]

    def by_key(self, key):
        return None if key is None else getattr(self, key)


def write_rows(ws, start: int, rows: Iterable[tuple], kinds: list[str], fm: _Formats, wb=None) -> int:
    """Write typed rows (the one cell writer shared by the export and the benchmark floor)."""
    ws_string, ws_number, ws_datetime, ws_formula = ws.write_string, ws.write_number, ws.write_datetime, \
        ws.write_formula
    numfmt, num2fmt, intfmt, dtfmt, preds = fm.num, fm.num2, fm.int, fm.dt, fm.pred
    offset = fm.utc_offset
    datetime_class = dt.datetime
    r = start
    for row in rows:
        for c, kind in enumerate(kinds):
            v = row[c]
            if v is None:
                continue
            if kind is T:
                ws_string(r, c, v)
            elif kind is N:
                ws_number(r, c, v, numfmt)
            elif kind is F:
                if v.__class__ is tuple:
                    ws_formula(r, c, v[0], numfmt, v[1])
                else:  # the same column without its formula (a workbook without "Periksa")
                    ws_number(r, c, v, numfmt)
            elif kind is FT:
                if v.__class__ is tuple:
                    ws_formula(r, c, v[0], None, v[1])
                else:
                    ws_string(r, c, v)
            elif kind is P:
                fmt = preds.get(v)
                if fmt is None and v not in preds:
                    fmt = fm.predicate(v)
                ws_string(r, c, v, fmt)
            elif kind is D:
                ws_datetime(r, c, v + offset if v.__class__ is datetime_class else v, dtfmt)
            elif kind is N2:
                ws_number(r, c, v, num2fmt)
            else:
                ws_number(r, c, v, intfmt)
        r += 1
    return r


def write_cells(ws, cells: Iterable[tuple], fm: _Formats) -> None:
    """Write (row, col, kind, value, format key) cells of an irregular sheet (titles, sections)."""
    for r, c, kind, v, fkey in cells:
        fmt = fm.by_key(fkey)
        if kind == "formula":
            ws.write_formula(r, c, v[0], fmt, v[1])
        elif isinstance(v, str):
            ws.write_string(r, c, v, fmt)
        elif isinstance(v, (dt.datetime, dt.date)):
            ws.write_datetime(r, c, v, fmt or fm.dt)
        else:
            ws.write_number(r, c, float(v), fmt)


def _header(ws, spec, fm: _Formats, row: int = 0, fmt=None, from_col: int = 0) -> None:
    for c, (_, label, width, kind) in enumerate(spec):
        ws.set_column(c, c, width, fm.text if kind == T and label.startswith("NIP") else None)
        ws.write_string(row, c, label, fmt if (fmt is not None and c >= from_col) else fm.head)
    ws.freeze_panes(row + 1, 0)


def _finish(ws, spec, last_row: int, header_row: int = 0) -> None:
    ws.autofilter(header_row, 0, max(last_row - 1, header_row), len(spec) - 1)


def _pred_key(label: str) -> tuple:
    low = (label or "").strip().lower()
    return (PREDICATE_ORDER.index(low) if low in PREDICATE_ORDER else len(PREDICATE_ORDER), low)


def _stream(session, stmt):
    return session.execute(stmt.execution_options(yield_per=BATCH, stream_results=True))


class Sheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet whose formulas are written as given. xlsxwriter rewrites every formula through ~30
    regular expressions to prefix Excel 365's dynamic-array functions with _xlfn.; this workbook uses none
    of them (only functions of Excel 2007: IF, AND, OR, ROUND, INDEX, MATCH, SUMPRODUCT, ...), and those
    substitutions were half the time of writing it."""

    def _prepare_formula(self, formula, expand_future_functions=False):
        return formula[1:] if formula.startswith("=") else formula


def _direct(sheet: str, rows, write) -> None:
    write(rows)


def _lazy(make: Callable[[], Iterable]) -> Iterator:
    """The items of make(), computed when first asked for (inside the hook)."""
    yield from make()


class _Columns:
    """Per-result figures gathered while streaming, kept compactly in arrays: doubles (NaN: none) and
    integers (-1: none), so the workbook of 100 000 employees keeps a few MB of state."""

    def __init__(self, floats, ints):
        self.data = {n: array("d") for n in floats}
        self.data.update({n: array("i") for n in ints})
        self._ints = set(ints)

    def append(self, **values):
        for name, arr in self.data.items():
            v = values.get(name)
            if name in self._ints:
                arr.append(-1 if v is None else int(v))
            else:
                arr.append(NAN if v is None else float(v))

    def set(self, name, k, v):
        if name in self._ints:
            self.data[name][k] = -1 if v is None else int(v)
        else:
            self.data[name][k] = NAN if v is None else float(v)

    def get(self, name, k):
        v = self.data[name][k]
        if name in self._ints:
            return None if v < 0 else v
        return None if v != v else v


class _Labels:
    """Interned labels: a list of the distinct labels and a small code per result."""

    def __init__(self):
        self.labels: list = [None]
        self.codes: dict = {None: 0}

    def code(self, label) -> int:
        if label not in self.codes:
            self.codes[label] = len(self.labels)
            self.labels.append(label)
        return self.codes[label]


class _Order:
    """Result ids in the common order; later streams (same order) find a result's position by walking
    forward, without a dictionary of every id (a dictionary is built only if the order ever differs)."""

    def __init__(self):
        self.ids = array("q")
        self.pos = 0
        self._index: Optional[dict] = None

    def add(self, rid: int) -> None:
        self.ids.append(rid)

    def rewind(self) -> None:
        self.pos = 0

    def find(self, rid: int) -> Optional[int]:
        ids, n = self.ids, len(self.ids)
        k = self.pos
        while k < n and ids[k] != rid:
            k += 1
        if k < n:
            self.pos = k
            return k
        if self._index is None:
            self._index = {r: i for i, r in enumerate(ids)}
        return self._index.get(rid)


def _dget(cols: _Columns, name, k) -> Optional[Decimal]:
    v = cols.get(name, k)
    return None if v is None else Decimal(repr(v))


# =======================================================================================================
def export_period(period: Period, out, *, session=None, user=None, result_filter=None, filter_desc: str = "",
                  generated_by: str | None = None, progress: Callable[[int], None] | None = None,
                  instance_name: str = "BKPSDM", include_check: bool = True,
                  hook: Callable[[str, Iterator, Callable], None] | None = None) -> dict:
    """Write the workbook of `period` to `out` (a path or a binary file object).

    `user`: apply that user's row scope (None: no scope, for the CLI); `result_filter`: an extra SQL
    condition on ScoreResult (the admin list's filters/search); `include_check`: write "Periksa" (and
    the formula columns it relies on). `hook(sheet, rows, write)`: how each sheet's row stream reaches
    its writer (default: directly; the benchmark's floor prepares the rows first). Returns statistics."""
    return _Export(period, session or db.session, user, result_filter, filter_desc, generated_by, progress,
                   instance_name, include_check, hook or _direct).run(out)


class _Export:
    def __init__(self, period, session, user, result_filter, filter_desc, generated_by, progress, instance_name,
                 include_check, hook):
        self.period, self.session, self.user = period, session, user
        self.filter_desc, self.instance_name, self.include_check, self.hook = (filter_desc, instance_name,
                                                                               include_check, hook)
        self.progress = progress or (lambda pct: None)
        self.generated_by = generated_by or getattr(user, "username", None) or "sistem"
        from kinerja_admin.formatting import to_local

        self.started, self.zone_label = to_local(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        conds = [ScoreResult.period_id == period.id]
        self.restricted = False
        if user is not None:
            sc = scope_condition(ScoreResult, user)
            if sc is not None:
                conds.append(sc)
                self.restricted = True
        if result_filter is not None:
            conds.append(result_filter)
            self.restricted = True
        self.conds = conds
        self.result_ids = select(ScoreResult.id).where(*conds)
        self.scheme = session.get(ScoringScheme, period.scheme_id) if period.scheme_id else None
        self.rules: Optional[Rules] = load_rules(self.scheme) if self.scheme is not None else None
        self.tree = unit_tree(session, with_units=True)
        self.check = include_check and self.rules is not None
        # state filled sheet by sheet
        self.order = _Order()  # result ids in the common order (position k)
        self.predicates: list[Optional[str]] = []  # the stored predicate of result k (shared strings)
        self.labels_of = _Labels()  # category labels and their sources, as codes per result
        self.versions = array("i")
        self.vals = _Columns(["skp", "behaviour", "final", "py_skp", *[f"py_{r}" for r in ROLES]],
                             ["pub_n", "pub_sum", "t_first", "t_last", "innovation", "hasil", "hasil_src",
                              "perilaku", "perilaku_src", *[f"{r}_a" for r in ROLES], *[f"{r}_b" for r in ROLES]])
        self.role_aspect: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, 0])  # Ringkasan table
        self.mismatches = 0
        self.stats: dict[str, int] = {}

    # --- order ---------------------------------------------------------------------------------------
    def opd_of(self, unit_id) -> Optional[Unit]:
        root = self.tree.root_of(unit_id)
        return self.tree.units.get(root) if root is not None else None

    def unit_rank(self, unit_col):
        """SQL: the position of a unit in (OPD name, OPD first, unit name) order."""
        units = self.tree.units

        def key(u):
            opd = self.opd_of(u.id)
            return ((opd.name if opd else ""), 0 if u.parent_id is None else 1, u.name, u.id)

        ranks = {u.id: i for i, u in enumerate(sorted(units.values(), key=key))}
        if not ranks:
            return literal(0)
        return case(ranks, value=unit_col, else_=len(ranks))

    def result_order(self):
        unit = func.coalesce(ScoreResult.unit_id, Employee.unit_id)
        return [self.unit_rank(unit), Employee.name, ScoreResult.id]

    # --- run -----------------------------------------------------------------------------------------
    def run(self, out) -> dict:
        session = self.session
        period = self.period
        n_results = session.scalar(select(func.count()).select_from(ScoreResult).where(*self.conds)) or 0
        self.n_results = n_results
        labels = {p for p in session.scalars(select(ScoreResult.predicate).where(*self.conds).distinct()) if p}
        if self.scheme is not None:
            labels.update(b.label for b in self.scheme.predicate_bands)
            labels.update(c.predicate for c in self.scheme.matrix_cells)
        self.labels = sorted(labels, key=_pred_key)
        tmpdir = tempfile.mkdtemp(prefix="kinerja-xlsx-")
        wb = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False,
                                       "strings_to_formulas": False, "strings_to_urls": False,
                                       "default_date_format": "dd/mm/yyyy hh:mm"})
        try:
            self.wb = wb
            self.fm = _Formats(wb, self.labels)
            self.fm.utc_offset = self.started - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            self.fm.utc_offset = dt.timedelta(minutes=round(self.fm.utc_offset.total_seconds() / 60))
            self.fm.zone_label = self.zone_label
            self.title = f"Hasil Penilaian Kinerja ASN - Periode {period.code}"
            self._properties(wb, n_results)
            ws_sum = wb.add_worksheet("Ringkasan", Sheet)
            ws_emp = wb.add_worksheet("Nilai Pegawai", Sheet)
            ws_tgt = wb.add_worksheet("Rincian Sasaran", Sheet)
            ws_beh = wb.add_worksheet("Penilaian Perilaku", Sheet)
            ws_chk = wb.add_worksheet("Periksa", Sheet) if self.check else None
            ws_rules = wb.add_worksheet("Aturan", Sheet)
            ws_audit = wb.add_worksheet("Jejak Audit", Sheet)
            self.hook("Aturan", _lazy(self._rules_cells), lambda cells: write_cells(ws_rules, cells, self.fm))
            self._rules_layout(ws_rules)
            self.progress(5)
            self.stats["employees"] = self._employee_sheet(ws_emp)
            self.progress(35)
            self.stats["targets"] = self._target_sheet(ws_tgt)
            self.progress(60)
            self.stats["behaviour_rows"] = self._behaviour_sheet(ws_beh)
            self.progress(80)
            if ws_chk is not None:
                self.stats["check_rows"] = self._check_sheet(ws_chk)
            self.progress(90)
            self.hook("Ringkasan", _lazy(self._summary_cells), lambda cells: write_cells(ws_sum, cells, self.fm))
            self._summary_layout(ws_sum)
            self.stats["audit_rows"] = self._audit_sheet(ws_audit)
            # organisational performance of the period (kinerja_admin.planning.sheet), last in the workbook
            from kinerja_admin.planning.sheet import write_effectiveness_sheet

            write_effectiveness_sheet(wb, period, session=session, user=self.user)
            ws_sum.activate()
            wb.close()
        finally:
            for name in os.listdir(tmpdir):
                try:
                    os.remove(os.path.join(tmpdir, name))
                except OSError:
                    pass
            os.rmdir(tmpdir)
        self.progress(100)
        return {**self.stats, "period": period.code, "mismatches": self.mismatches}

    def _properties(self, wb, n_results) -> None:
        period, started, by = self.period, self.started, self.generated_by
        wb.set_properties({
            "title": self.title, "subject": f"Periode {period.code}: {period.name}", "author": by,
            "company": self.instance_name, "category": "Laporan penilaian kinerja",
            "keywords": f"e-Kinerja, SKP, {period.code}",
            "comments": f"Dibuat {started:%d/%m/%Y %H:%M} {self.zone_label} oleh {by}"
                        + (f"; {self.filter_desc}" if self.filter_desc else ""),
            "created": started,
        })
        wb.set_custom_property("Periode", period.code)
        wb.set_custom_property("Dibuat pada", started.strftime("%Y-%m-%d %H:%M:%S"))
        wb.set_custom_property("Dibuat oleh", by)
        wb.set_custom_property("Jumlah pegawai", int(n_results))

    def _table(self, ws, sheet: str, spec, rows, header_row: int = 0) -> int:
        """Stream `rows` of a table sheet through the hook into `ws` under its header; returns rows written."""
        _header(ws, spec, self.fm, header_row)
        kinds = _kinds(spec)
        pos = [header_row + 1]

        def write(batch):
            pos[0] = write_rows(ws, pos[0], batch, kinds, self.fm)

        self.hook(sheet, rows, write)
        _finish(ws, spec, pos[0], header_row)
        return pos[0] - header_row - 1

    # =================================================================================================
    # Aturan: the rules, with named cells the formulas of the other sheets use
    # =================================================================================================
    def _rules_cells(self) -> list[tuple]:
        """The Aturan sheet as cells; fills self.names_defined {name: 'Aturan!$B$3'} and self.cells."""
        cells: list[tuple] = []
        self.defined: dict[str, str] = {}
        self.band_cells: list[tuple] = []  # (lower ref, upper ref|None, label, innovation, below-all)
        self.threshold_cells: dict[str, list[tuple]] = {}
        scheme, rules = self.scheme, self.rules
        r = 0
        cells.append((0, 0, "s", "Aturan penilaian yang dipakai periode ini", "title"))
        if scheme is None:
            cells.append((2, 0, "s", "Periode ini belum memiliki skema penilaian.", None))
            return cells

        def ref(row, col, absolute=True) -> str:
            return f"Aturan!${xl_col_to_name(col)}${row + 1}" if absolute else f"{xl_col_to_name(col)}{row + 1}"

        def name(label, row, col, last_row=None, last_col=None):
            target = ref(row, col)
            if last_row is not None:
                target += f":${xl_col_to_name(last_col)}${last_row + 1}"
            self.defined[label] = "=" + target

        def section(title: str, header: list[str]) -> None:
            nonlocal r
            r += 2
            cells.append((r, 0, "s", title, "title"))
            r += 1
            for c, h in enumerate(header):
                cells.append((r, c, "s", h, "head"))

        def line(values: list, fmt=None) -> int:
            nonlocal r
            r += 1
            for c, v in enumerate(values):
                if v is None or v == "":
                    continue
                if isinstance(v, bool):
                    cells.append((r, c, "s", YES if v else NO, None))
                elif isinstance(v, (int, float, Decimal)):
                    cells.append((r, c, "n", float(v), None))
                else:
                    cells.append((r, c, "s", str(v), fmt or "wrap"))
            return r

        def src(obj) -> list:
            kind = getattr(obj, "source", None)
            return [PROVENANCE.get(kind, "belum dicatat") if kind else "belum dicatat",
                    getattr(obj, "source_note", None) or ""]

        regs = sorted({note for k, note in provenance_pairs(self._all_rule_rows()) if k == PROVENANCE["regulasi"]})
        defaults = [title for title, rel in _RULE_SECTIONS if any(getattr(x, "source", None) == "bawaan"
                                                                 for x in getattr(scheme, rel))]
        practice = sorted({note for k, note in provenance_pairs(self._all_rule_rows())
                           if k == PROVENANCE["praktik"]})
        section("Skema", ["Butir", "Nilai"])
        for k, v in [("Kode", scheme.code), ("Nama", scheme.name), ("Jenis", scheme.kind),
                     ("Regulasi yang diterapkan skema", scheme.regulation or "-"), ("Versi", scheme.version),
                     ("Dasar hukum (hanya nilai bersumber teks regulasi)", "; ".join(regs) or "-"),
                     ("Praktik instansi (bukan regulasi)", "; ".join(practice) or "-"),
                     ("Nilai bawaan aplikasi (bukan regulasi)", ", ".join(defaults) or "-"),
                     ("Keterangan", scheme.description or "")]:
            line([k, v])
        section("Ketentuan perhitungan", ["Butir", "Nilai", "", "Sumber", "Keterangan sumber"])
        r0 = line(["Skala nilai perilaku: minimal", rules.scale_min, "", *src(_Src(scheme, "scale"))])
        name("Skala_Min", r0, 1)
        r0 = line(["Skala nilai perilaku: maksimal", rules.scale_max])
        name("Skala_Maks", r0, 1)
        r0 = line(["Pembulatan sebelum predikat: jumlah desimal",
                   "" if rules.round_decimals is None else rules.round_decimals, "",
                   *src(_Src(scheme, "rounding"))])
        name("Pembulatan_Desimal", r0, 1)
        r0 = line(["Pembulatan sebelum predikat: cara", ROUNDING_MODES.get(rules.rounding_mode).lower()
                   if rules.round_decimals is not None else "tidak dibulatkan lagi"])
        name("Pembulatan_Cara", r0, 1)
        policy = POLICY_ZERO if rules.missing_realisation == "zero" else POLICY_BLOCK
        r0 = line(["Indikator tanpa realisasi", policy, "", *src(_Src(scheme, "missing")),
                   MISSING_REALISATION.get(rules.missing_realisation)])
        name("Kebijakan_Realisasi", r0, 1)
        sup = SUPERIOR_BLOCK if rules.missing_superior == "block" else SUPERIOR_ALLOW
        r0 = line(["Tanpa penilaian atasan", sup, "", "", "", MISSING_SUPERIOR.get(rules.missing_superior)])
        name("Kebijakan_Atasan", r0, 1)
        from kinerja_admin.settings import get_setting

        r0 = line(["Responden masyarakat minimal (pengaturan saat ekspor)",
                   max(1, int(get_setting("public.min_responses", self.session))), "",
                   "Pengaturan instansi", "Sistem > Pengaturan: public.min_responses"])
        name("Min_Responden", r0, 1)
        for text in RULE_SENTENCES:
            line(["", text.format(lo=_fmt_dec(rules.scale_min), hi=_fmt_dec(rules.scale_max))])
        # components
        section("Bobot komponen", ["Komponen", "Bobot", "", "Sumber", "Keterangan sumber"])
        weights = {c.component: c for c in scheme.component_weights}
        for comp in ("skp", "perilaku"):
            row = weights.get(comp)
            r0 = line([comp, 0 if row is None else row.weight, "", *(src(row) if row else ["", ""])])
            name(f"Bobot_{comp}", r0, 1)
        line(["Nilai akhir", scheme.final_expression or "(SKP x bobot SKP + perilaku x bobot perilaku) / jumlah bobot"
              if weights else "(skema matriks: tanpa nilai akhir angka)"])
        section("Bobot peran penilai", ["Peran", "Bobot", "", "Sumber", "Keterangan sumber"])
        rw = {w.role: w for w in scheme.rater_weights}
        for role in ROLES:
            row = rw.get(role)
            r0 = line([RATER_ROLES[role], 0 if row is None else row.weight, "", *(src(row) if row else ["", ""])])
            name(f"Bobot_{role}", r0, 1)
        section("Aspek perilaku", ["Kode", "Bobot", "Nama", "Khusus jabatan struktural", "Urutan", "Sumber",
                                   "Keterangan sumber", "Indikator perilaku"])
        first = r + 1
        for a in scheme.aspects:
            line([a.code, a.weight, a.name, bool(a.structural_only), a.seq, *src(a),
                  (a.indicators_text or "").replace("\n", " | ")])
        if scheme.aspects:
            name("Aspek_Kode", first, 0, r, 0)
            name("Aspek_Bobot", first, 1, r, 1)
        section("Rumus aspek sasaran (rumus yang diterapkan)", ["Aspek", "Kode rumus", "Bawaan aspek", "Sumber",
                                                               "Keterangan sumber", "Rumus"])
        for f in scheme.formulas:
            line([TARGET_ASPECTS.get(f.aspect, f.aspect), f.formula_code, bool(f.is_default), *src(f),
                  FORMULAS[f.formula_code].text if f.formula_code in FORMULAS else "-"])
        section("Tabel capaian (capaian % -> nilai, batas bawah <= capaian < batas atas)",
                ["Batas bawah", "Batas atas", "Nilai dari", "Nilai sampai", "Rentang sampai", "Sumber",
                 "Keterangan sumber", "Rumus"])
        first = r + 1
        for b in sorted(scheme.achievement_bands, key=lambda b: b.lower):
            linear = b.value_to is not None and b.span_to is not None and b.span_to != b.lower
            text = (f"{_fmt_dec(b.value_from)} + (c - {_fmt_dec(b.lower)}) x ({_fmt_dec(b.value_to)} - "
                    f"{_fmt_dec(b.value_from)}) / ({_fmt_dec(b.span_to)} - {_fmt_dec(b.lower)})"
                    if linear else _fmt_dec(b.value_from))
            line([b.lower, b.upper, b.value_from, b.value_to if linear else None, b.span_to if linear else None,
                  *src(b), text])
        if scheme.achievement_bands:
            for col, label in enumerate(("Capaian_Bawah", "Capaian_Atas", "Capaian_NilaiDari", "Capaian_NilaiSampai",
                                         "Capaian_RentangSampai")):
                name(label, first, col, r, col)
        section("Rentang predikat (urutan pemeriksaan; batas bawah <= nilai < batas atas)",
                ["Batas bawah", "Batas atas", "Predikat", "Syarat inovasi", "Prioritas", "Sumber",
                 "Keterangan sumber"])
        for b in sorted(scheme.predicate_bands, key=lambda b: (-(b.priority or 0), -int(bool(b.requires_innovation)),
                                                               -b.lower)):
            r0 = line([b.lower, b.upper, b.label, bool(b.requires_innovation), b.priority or 0, *src(b)])
            self.band_cells.append((ref(r0, 0), None if b.upper is None else ref(r0, 1), b.label,
                                    bool(b.requires_innovation)))
        low = rules.lowest_band()
        if low is not None:
            line(["", "", f"Nilai di bawah semua rentang (mis. nilai negatif PP 46/2011) mendapat predikat "
                          f"terendah: {low.label}."])
        section("Matriks predikat (baris: rating perilaku; kolom: rating hasil kerja)",
                ["", *[CATEGORIES[c] for c in CATEGORIES], "Sumber", "Keterangan sumber"])
        head_row = r
        matrix = {(c.hasil, c.perilaku): c for c in scheme.matrix_cells}
        first = r + 1
        for p in CATEGORIES:
            srcs = [src(matrix[(h, p)]) for h in CATEGORIES if (h, p) in matrix]
            line([CATEGORIES[p], *[matrix[(h, p)].predicate if (h, p) in matrix else "" for h in CATEGORIES],
                  *(srcs[0] if srcs else ["", ""])])
        name("Matriks_Perilaku", first, 0, r, 0)
        name("Matriks_Hasil", head_row, 1, head_row, len(CATEGORIES))
        name("Matriks_Predikat", first, 1, r, len(CATEGORIES))
        section("Ambang kategori (nilai >= batas; saran bila penilai belum menetapkan)",
                ["Dimensi", "Batas bawah", "Kategori", "Sumber", "Keterangan sumber"])
        for t in sorted(scheme.category_thresholds, key=lambda t: (t.dimension, -t.lower)):
            r0 = line([t.dimension, t.lower, CATEGORIES.get(t.category, t.category), *src(t)])
            self.threshold_cells.setdefault(t.dimension, []).append((ref(r0, 1), CATEGORIES.get(t.category)))
        section("Kurva distribusi per predikat organisasi (diperiksa per unit berpredikat beserta seluruh subunitnya)",
                ["Predikat organisasi", "Predikat pegawai", "Minimal %", "Maksimal %", "Minimal jumlah", "Sumber",
                 "Keterangan sumber"])
        for d in scheme.distribution_rules:
            line([ORG_RATINGS.get(d.org_rating, d.org_rating), d.predicates.replace("|", " + "), d.min_pct, d.max_pct,
                  d.min_count, *src(d)])
        section("Indeks Kepuasan Masyarakat (PermenPANRB 14/2017)", ["Batas bawah", "Batas atas", "Mutu", "Kinerja"])
        for b in self.session.scalars(select(IkmBand).order_by(IkmBand.lower.desc())):
            line([b.lower, b.upper, b.letter, b.label])
        line(["", "IKM = rerata nilai 9 unsur x 25 (rerata tiap unsur dihitung tepat); dibulatkan sekali ke 2 "
                  "desimal, setengah ke atas, lalu dicari mutunya (88,3075 -> 88,31 -> A)."])
        self.rules_rows = r
        return cells

    def _all_rule_rows(self):
        return [x for _, rel in _RULE_SECTIONS for x in getattr(self.scheme, rel)]

    def _rules_layout(self, ws) -> None:
        ws.set_column(0, 0, 34)
        ws.set_column(1, 4, 16)
        ws.set_column(5, 6, 26)
        ws.set_column(7, 7, 60)
        for label, target in getattr(self, "defined", {}).items():
            self.wb.define_name(label, target)

    # =================================================================================================
    # Nilai Pegawai
    # =================================================================================================
    def employee_rows_query(self):
        rater = aliased(Employee)
        approver = aliased(User)
        sr = ScoreResult
        hasil_src = func.coalesce(sr.hasil_source,
                                  case((WorkPlan.hasil_rating.is_not(None), literal("penilai", String)),
                                       (sr.hasil_category.is_not(None), literal("ambang", String))))
        perilaku_src = func.coalesce(sr.perilaku_source,
                                     case((WorkPlan.perilaku_rating.is_not(None), literal("penilai", String)),
                                          (sr.perilaku_category.is_not(None), literal("ambang", String))))
        return (
            select(sr.id, Employee.nip, Employee.name, Employee.employee_type, Rank.code, Rank.name, Position.name,
                   func.coalesce(sr.unit_id, Employee.unit_id), Unit.name, rater.name, rater.nip,
                   sr.skp_value, sr.behaviour_value, sr.atasan_avg, sr.rekan_avg, sr.bawahan_avg, sr.diri_avg,
                   sr.masyarakat_avg, sr.final_value, sr.hasil_category, hasil_src, sr.perilaku_category, perilaku_src,
                   sr.predicate, func.coalesce(sr.innovation, WorkPlan.innovation), sr.structural,
                   sr.public_responses, sr.public_score_sum, sr.note, sr.status,
                   func.coalesce(approver.full_name, approver.username), sr.approved_at, sr.computed_at,
                   sr.scheme_version)
            .select_from(sr)
            .join(Employee, Employee.id == sr.employee_id)
            .outerjoin(WorkPlan, WorkPlan.id == sr.work_plan_id)
            .outerjoin(Rank, Rank.id == Employee.rank_id)
            .outerjoin(Position, Position.id == func.coalesce(WorkPlan.position_id, Employee.position_id))
            .outerjoin(Unit, Unit.id == func.coalesce(sr.unit_id, Employee.unit_id))
            .outerjoin(rater, rater.id == WorkPlan.rater_id)
            .outerjoin(approver, approver.id == sr.approved_by_id)
            .where(*self.conds)
            .order_by(*self.result_order())
        )

    def employee_rows(self) -> Iterator[tuple]:
        cats, statuses, sources = CATEGORIES, SCORE_STATUSES, CATEGORY_SOURCES
        vals, order, predicates, code = self.vals, self.order, self.predicates, self.labels_of.code
        opd_cache: dict = {}
        for part in _stream(self.session, self.employee_rows_query()).partitions(BATCH):
            for (rid, nip, name, etype, rcode, rname, pos, unit_id, unit, rater, rater_nip, skp, beh, at, rk, bw, di,
                 ms, fin, hasil, hsrc, perilaku, psrc, pred, innov, struct, pub_n, pub_sum, note, status, appr,
                 appr_at, comp_at, version) in part:
                if unit_id not in opd_cache:
                    opd = self.opd_of(unit_id)
                    opd_cache[unit_id] = opd.name if opd else None
                opd = opd_cache[unit_id]
                order.add(rid)
                predicates.append(pred)
                self.versions.append(version or 0)
                hasil_label, perilaku_label = cats.get(hasil, hasil), cats.get(perilaku, perilaku)
                vals.append(skp=skp, behaviour=beh, final=fin, pub_n=pub_n, pub_sum=pub_sum, innovation=bool(innov),
                            hasil=code(hasil_label), hasil_src=code(sources.get(hsrc)),
                            perilaku=code(perilaku_label), perilaku_src=code(sources.get(psrc)))
                yield (nip, name, etype, rcode, rname, pos, opd, unit, rater, rater_nip, _num(skp), _num(beh),
                       _num(at), _num(rk), _num(bw), _num(di), _num(ms), _num(fin), hasil_label, sources.get(hsrc),
                       perilaku_label, sources.get(psrc), pred, YES if innov else NO,
                       None if struct is None else (YES if struct else NO), pub_n, pub_sum,
                       float(_q4(Decimal(pub_sum) / Decimal(pub_n))) if pub_n else None, note,
                       statuses.get(status, status), appr, appr_at, comp_at, version)

    def names_stream(self) -> Iterator[tuple]:
        """(result id, NIP, name, OPD name) in the order of Nilai Pegawai, read again (not kept in memory)."""
        unit = func.coalesce(ScoreResult.unit_id, Employee.unit_id)
        stmt = (select(ScoreResult.id, Employee.nip, Employee.name, unit)
                .select_from(ScoreResult).join(Employee, Employee.id == ScoreResult.employee_id)
                .where(*self.conds).order_by(*self.result_order()))
        opd_cache: dict = {}
        for part in _stream(self.session, stmt).partitions(BATCH):
            for rid, nip, name, unit_id in part:
                if unit_id not in opd_cache:
                    opd = self.opd_of(unit_id)
                    opd_cache[unit_id] = opd.name if opd else None
                yield rid, nip, name, opd_cache[unit_id]

    def _employee_sheet(self, ws) -> int:
        return self._table(ws, "Nilai Pegawai", EMPLOYEE_SHEET, self.employee_rows())

    # =================================================================================================
    # Rincian Sasaran: per target and indicator the engine's own value (kinerja_admin.scoring.engine)
    # =================================================================================================
    def target_rows_query(self):
        from ..scoring import engine

        rules = self.rules
        ex = Exact.for_session(self.session)
        tg, ind, real = engine.tg_t, engine.ind_t, engine.real_t
        iv = engine.indicator_rows(rules, self.period.id, ex, dialect=self.session.get_bind().dialect.name, extra=[
            tg.c.seq.label("seq"), tg.c.description.label("rhk"), ind.c.aspect.label("aspect"),
            ind.c.description.label("indicator"), ind.c.unit_label.label("unit_label"),
            ind.c.formula_code.label("stored_formula"), real.c.evidence_url.label("url"),
            real.c.evidence_note.label("evidence_note"), real.c.feedback.label("feedback")])
        # the engine's values as computed: SQLite's doubles whole (a Numeric(18,6) result type would cut
        # them to 6 decimals on the way to Python), the exact decimals of PostgreSQL and MariaDB
        exact = Float() if ex.sqlite else Numeric()
        cap = type_coerce(iv.c.c, exact) if "c" in iv.c else literal(None)
        return (select(ScoreResult.id, Employee.nip, Employee.name, iv.c.seq, iv.c.target_id, iv.c.rhk, iv.c.aspect,
                       iv.c.indicator, iv.c.t, iv.c.unit_label, iv.c.lib, iv.c.stored_formula, iv.c.formula, iv.c.r,
                       cap, type_coerce(iv.c.v, exact), iv.c.unrealised, iv.c.zero_target, iv.c.no_formula,
                       iv.c.no_indicator, iv.c.url, iv.c.evidence_note, iv.c.feedback)
                .select_from(ScoreResult)
                .join(iv, iv.c.wp_id == ScoreResult.work_plan_id)
                .join(Employee, Employee.id == ScoreResult.employee_id)
                .where(*self.conds)
                .order_by(*self.result_order(), iv.c.seq, iv.c.target_id, iv.c.ind_id))

    def target_rows(self, start_row: int) -> Iterator[tuple]:
        """Rows of Rincian Sasaran, one result's block at a time (the block's rows are known before its
        formulas are written: the target's mean addresses its indicator rows)."""
        if self.rules is None:
            return
        rules = self.rules
        bands = sorted(rules.bands, key=lambda b: b.lower)
        lowers = [b.lower for b in bands]
        policy_zero = rules.missing_realisation == "zero"
        aspects = TARGET_ASPECTS
        check = self.check
        col = {k: _col(TARGET_SHEET, k) for k, _, _, _ in TARGET_SHEET}
        excel = _TargetFormulas(col)
        row_no = start_row  # 0-based sheet row of the next row
        block: list = []
        block_rid = None

        def flush():
            nonlocal row_no
            if not block:
                return
            k = self.order.find(block_rid)
            first = row_no
            targets: dict = {}
            blocked = False
            for rec in block:
                targets.setdefault(rec[4], []).append(rec)
            out = []
            for tid, recs in targets.items():
                t_first = row_no
                values = []
                for rec in recs:
                    r1 = row_no + 1  # Excel row number
                    (rid, nip, name, seq, _tid, rhk, aspect, indicator, t, unit_label, lib, stored, code, real, c,
                     v, unrealised, zero_target, no_formula, no_indicator, url, ev_note, feedback) = rec
                    value = _dec(v)
                    values.append(value)
                    if value is None:
                        blocked = True
                    status = _status(unrealised, zero_target, no_formula, no_indicator, policy_zero)
                    cap = c_used = band = None
                    raw = None
                    if real is not None and t and not no_indicator:
                        td, rd = _dec(t), _dec(real)
                        raw = (2 - rd / td) * 100 if lib else rd * 100 / td
                    f = FORMULAS.get(code) if code else None
                    if check:
                        cap = (excel.capaian(r1), "" if raw is None else float(raw))
                        if f is not None and f.uses_capaian:
                            used = None if raw is None else max(raw, Decimal(0))
                            c_used = (excel.capaian_used(r1), "" if used is None else float(used))
                            idx = None if used is None else _band_index(lowers, used)
                            band = (excel.band(r1), "" if idx is None else idx)
                        value_cell = (excel.value(code, f, r1), _cached(value))
                    else:
                        cap = None if raw is None else float(raw)
                        value_cell = _num(value)
                    evidence = " ".join(x for x in (url, ev_note) if x) or None
                    out.append([nip, name, seq, rhk, aspects.get(aspect, aspect), indicator, _num(t), unit_label,
                                None if no_indicator else (ARAH_LOWER if lib else ARAH_HIGHER), stored, code,
                                f.text if f else None, _num(real), cap, c_used, band, value_cell, status,
                                None, evidence, feedback])
                    row_no += 1
                known = [x for x in values if x is not None]
                tv = sum(known) / len(known) if known else None
                mean_cell = (excel.target_mean(t_first + 1, row_no), _cached(tv)) if check else _num(tv)
                out[t_first - first][18] = mean_cell
                targets[tid] = tv
            if k is not None:
                skp = None
                if not blocked and targets:
                    tvs = [x for x in targets.values() if x is not None]
                    skp = _q4(sum(tvs) / len(tvs)) if tvs else None
                    if skp is not None and abs(skp) >= 1000:
                        skp = None
                self.vals.set("py_skp", k, skp)
                self.vals.set("t_first", k, first + 1)
                self.vals.set("t_last", k, row_no)
            yield from out
            block.clear()

        for part in _stream(self.session, self.target_rows_query()).partitions(BATCH):
            for rec in part:
                if rec[0] != block_rid:
                    yield from flush()
                    block_rid = rec[0]
                block.append(rec)
        yield from flush()

    def _target_sheet(self, ws) -> int:
        if self.rules is None:
            return self._table(ws, "Rincian Sasaran", TARGET_SHEET, iter(()))
        return self._table(ws, "Rincian Sasaran", TARGET_SHEET, self.target_rows(1))

    # =================================================================================================
    # Penilaian Perilaku: per result, role and aspect the averages behind the role averages
    # =================================================================================================
    def behaviour_rows(self, start_row: int) -> Iterator[tuple]:
        period = self.period
        if period.scheme_id is None:
            det = select(ScoreDetail.result_id, ScoreDetail.role, ScoreDetail.aspect_id, ScoreDetail.average,
                         ScoreDetail.raters).subquery("details")
        else:
            from kinerja_admin.scoring.engine import details_source

            det = details_source(self.session, period, self.rules)
        role_rank = case({r: i for i, r in enumerate(ROLES)}, value=det.c.role, else_=len(ROLES))
        stmt = (select(ScoreResult.id, Employee.nip, Employee.name, det.c.role, BehaviourAspect.code,
                       BehaviourAspect.name, det.c.average, det.c.raters)
                .select_from(det)
                .join(ScoreResult, ScoreResult.id == det.c.result_id)
                .join(Employee, Employee.id == ScoreResult.employee_id)
                .join(BehaviourAspect, BehaviourAspect.id == det.c.aspect_id)
                .where(*self.conds)
                .order_by(*self.result_order(), role_rank, BehaviourAspect.seq, BehaviourAspect.id))
        weights = {a[1]: a[3] for a in self.rules.aspects} if self.rules else {}
        roles = RATER_ROLES
        check = self.check
        acol = _col(BEHAVIOUR_SHEET, "code")
        weight_formula = f"INDEX(Aspek_Bobot,MATCH({acol}%d,Aspek_Kode,0))"
        row_no = start_row
        vals, order, agg = self.vals, self.order, self.role_aspect
        order.rewind()
        cur_rid, cur_role, sums = None, None, None

        def close_role():
            if cur_rid is None or cur_role is None:
                return
            k = order.find(cur_rid)
            if k is None:
                return
            s, w, a = sums
            vals.set(f"py_{cur_role}", k, _q4(s / w) if w else None)
            vals.set(f"{cur_role}_a", k, a)
            vals.set(f"{cur_role}_b", k, row_no)

        for part in _stream(self.session, stmt).partitions(BATCH):
            for rid, nip, name, role, code, aname, avg, raters in part:
                if rid != cur_rid or role != cur_role:
                    close_role()
                    cur_rid, cur_role, sums = rid, role, [Decimal(0), Decimal(0), row_no + 1]
                avg_d = _dec(avg)
                w = weights.get(code)
                if w is not None and avg_d is not None:
                    sums[0] += avg_d * w
                    sums[1] += w
                acc = agg[(role, aname)]
                if avg_d is not None:
                    acc[0] += avg_d
                    acc[1] += 1
                acc[2] += raters or 0
                r1 = row_no + 1
                weight = (weight_formula % r1, "" if w is None else float(w)) if check else _num(w)
                yield (nip, name, roles.get(role, role), code, aname, _num(avg), raters, weight)
                row_no += 1
        close_role()

    def _behaviour_sheet(self, ws) -> int:
        return self._table(ws, "Penilaian Perilaku", BEHAVIOUR_SHEET, self.behaviour_rows(1))

    # =================================================================================================
    # Periksa: Excel recomputes every employee's result from the raw sheets and Aturan
    # =================================================================================================
    def _check_spec(self):
        numeric = self.rules.kind != "matrix"
        spec = [("nip", "NIP", 21, T), ("name", "Nama", 30, T), ("opd", "OPD", 30, T),
                ("skp", "SKP (hitung ulang)", 11, F), ("skp_s", "SKP tersimpan", 11, N),
                *[(r, f"Rerata {RATER_ROLES[r]} (hitung ulang)", 11, F) for r in ROLES],
                ("beh", "Perilaku (hitung ulang)", 11, F), ("beh_s", "Perilaku tersimpan", 11, N),
                ("fin", "Nilai Akhir (hitung ulang)", 11, F), ("fin_s", "Nilai Akhir tersimpan", 11, N)]
        if numeric:
            spec.append(("band", "Nilai Dibandingkan dengan Rentang", 12, F))
        else:
            spec += [("hasil", "Rating Hasil Kerja (hitung ulang)", 20, FT),
                     ("perilaku", "Rating Perilaku (hitung ulang)", 20, FT)]
        spec += [("pred", "Predikat (hitung ulang)", 18, FT), ("pred_s", "Predikat tersimpan", 18, P),
                 ("bad", "Tidak Sesuai (1 = ya)", 10, F), ("remark", "Keterangan", 40, T)]
        return spec

    def _recompute(self, k: int) -> dict:
        """The Periksa figures of result k in Python (Decimal): the cached values of its formulas."""
        rules, vals = self.rules, self.vals
        skp = _dget(vals, "py_skp", k)
        roles = {r: _dget(vals, f"py_{r}", k) for r in ROLES}
        pub_n, pub_sum = vals.get("pub_n", k), vals.get("pub_sum", k)
        if roles["masyarakat"] is None and rules.rater_weights.get("masyarakat", 0) > 0 and pub_n:
            lo, hi = rules.scale_min, rules.scale_max
            mean = Decimal(int(pub_sum)) / Decimal(int(pub_n))
            if pub_n >= self.min_responses:
                roles["masyarakat"] = _q4(lo + (mean - 1) * (hi - lo) / 3)
        weights = {r: rules.rater_weights.get(r, Decimal(0)) for r in ROLES}
        beh = None
        den = sum((w for r, w in weights.items() if roles[r] is not None), Decimal(0))
        if den:
            beh = _q4(sum((roles[r] * w for r, w in weights.items() if roles[r] is not None), Decimal(0)) / den)
        if rules.missing_superior == "block" and weights["atasan"] > 0 and roles["atasan"] is None:
            beh = None
        fin = None
        if rules.final_expression:
            try:
                fin = evaluate_expression(rules.final_expression, {"skp": skp, "perilaku": beh, **roles})
            except ArithmeticError:
                fin = None
        elif rules.kind == "numeric":
            ws_, wb_ = rules.component_weights.get("skp", 0), rules.component_weights.get("perilaku", 0)
            if skp is not None and beh is not None and ws_ + wb_:
                fin = (skp * ws_ + beh * wb_) / (ws_ + wb_)
        fin = _q4(fin)
        if fin is not None and abs(fin) >= 1000:
            fin = None
        label = self.labels_of.labels
        innov = bool(vals.get("innovation", k))
        hasil_label, hasil_src = label[vals.get("hasil", k)], label[vals.get("hasil_src", k)]
        perilaku_label, perilaku_src = label[vals.get("perilaku", k)], label[vals.get("perilaku_src", k)]
        out = {"skp": skp, "roles": roles, "beh": beh, "fin": fin}
        if rules.kind == "matrix":
            by_rater = CATEGORY_SOURCES["penilai"]
            hasil = hasil_label if hasil_src == by_rater else CATEGORIES.get(ref_category(rules, "hasil", skp))
            perilaku = (perilaku_label if perilaku_src == by_rater
                        else CATEGORIES.get(ref_category(rules, "perilaku", beh)))
            code = {v: c for c, v in CATEGORIES.items()}
            pred = rules.matrix.get((code.get(hasil), code.get(perilaku))) if hasil and perilaku else None
            out.update(hasil=hasil, perilaku=perilaku, pred=pred)
        else:
            out.update(band=band_value(rules, fin), pred=ref_predicate(rules, fin, innov))
        stored = {"skp": _dget(vals, "skp", k), "beh": _dget(vals, "behaviour", k), "fin": _dget(vals, "final", k)}
        same = all(_same(out[key], stored[key]) for key in stored) and (out["pred"] or None) == \
            (self.predicates[k] or None)
        out["bad"] = 0 if same else 1
        return out

    def _prepare_check(self) -> None:
        """Every result's recomputed figures (the cached values of Periksa) and the mismatch count,
        before the sheet's first row (A1/B1) is written."""
        from kinerja_admin.settings import get_setting

        self.min_responses = max(1, int(get_setting("public.min_responses", self.session)))
        # counted here, recomputed again row by row when written (keeping every row's figures would cost
        # memory in proportion to the period)
        self.mismatches = sum(self._recompute(k)["bad"] for k in range(len(self.predicates)))

    def _check_title_cells(self) -> list[tuple]:
        """A1 the label, B1 the number of mismatches (a formula over the 'Tidak Sesuai' column, cached with
        the count recomputed here), a line of explanation, and the role weights (from Aturan)."""
        self._prepare_check()
        keys = [k for k, _, _, _ in self._check_spec()]
        col = xl_col_to_name(keys.index("bad"))
        first = CHECK_TITLE_ROWS + 2
        last = max(first, CHECK_TITLE_ROWS + 1 + len(self.predicates))
        cells = [(0, 0, "s", "Jumlah ketidaksesuaian", "bold"),
                 (0, 1, "formula", (f"SUM({col}{first}:{col}{last})", self.mismatches), "big"),
                 (0, 2, "s", "0 berarti setiap nilai tersimpan sama dengan hasil hitung ulang rumus Excel di lembar "
                             "ini (dari lembar Rincian Sasaran, Penilaian Perilaku dan Aturan).", "wrap"),
                 (1, 0, "s", "Bobot peran (dari Aturan):", "bold")]
        for r in ROLES:
            cells.append((1, keys.index(r), "formula", (f"Bobot_{r}", float(self.rules.rater_weights.get(r, 0))),
                          "num"))
        return cells

    def _check_sheet(self, ws) -> int:
        """Periksa: the title cells, then one row per result in the order of Nilai Pegawai."""
        fm = self.fm
        spec = self._check_spec()
        keys = [k for k, _, _, _ in spec]
        col = {k: xl_col_to_name(i) for i, k in enumerate(keys)}
        header = CHECK_TITLE_ROWS
        self.hook("Periksa (kop)", _lazy(self._check_title_cells), lambda cells: write_cells(ws, cells, fm))
        _header(ws, spec, fm, header, fm.check_head, 3)
        ws.set_row(header, 45)
        builder = _CheckFormulas(self, col)
        kinds = _kinds(spec)
        pos = [header + 1]

        def write(batch):
            pos[0] = write_rows(ws, pos[0], batch, kinds, fm)

        self.hook("Periksa", builder.rows(), write)
        _finish(ws, spec, pos[0], header)
        return pos[0] - header - 1

    # =================================================================================================
    # Ringkasan: per OPD (the top-level unit of the unit tree)
    # =================================================================================================
    def _summary_cells(self) -> list[tuple]:
        session, period, scheme, rules = self.session, self.period, self.scheme, self.rules
        from kinerja_admin.rating.ikm import combine_ikm, ikm_by_unit

        cells: list[tuple] = []
        agg = session.execute(
            select(ScoreResult.unit_id, ScoreResult.predicate, func.count(),
                   func.sum(ScoreResult.skp_value), func.count(ScoreResult.skp_value),
                   func.sum(ScoreResult.behaviour_value), func.count(ScoreResult.behaviour_value),
                   func.sum(ScoreResult.final_value), func.count(ScoreResult.final_value))
            .where(*self.conds).group_by(ScoreResult.unit_id, ScoreResult.predicate)).all()
        per_opd: dict = {}
        for unit_id, pred, n, ss, sn, bs, bn, fs, fn in agg:
            opd = self.opd_of(unit_id)
            key = opd.id if opd else None
            acc = per_opd.setdefault(key, {"n": 0, "pred": Counter(), "sums": [Decimal(0)] * 3, "counts": [0] * 3})
            acc["n"] += n
            acc["pred"][pred or "(belum ada)"] += n
            for i, (s, c) in enumerate(((ss, sn), (bs, bn), (fs, fn))):
                acc["sums"][i] += _dec(s) or Decimal(0)
                acc["counts"][i] += c or 0
        ikm_parts: dict = defaultdict(list)
        for res in ikm_by_unit(session, period):
            opd = self.opd_of(res.unit_id)
            ikm_parts[opd.id if opd else None].append(res)
        checks = distribution.distribution_checks(session, period, *self.conds[1:])
        check_of = {c.unit_id: c for c in checks}
        opd_ids = set(per_opd) | (set(ikm_parts) if not self.restricted else set())
        units = self.tree.units
        order = sorted(opd_ids, key=lambda u: (units[u].name if u in units else "~", u or 0))
        labels = self.labels
        cells.append((0, 0, "s", self.title, "title"))
        without = per_opd and sum(a["pred"].get("(belum ada)", 0) for a in per_opd.values())
        info = [
            ("Periode", f"{period.code} - {period.name}"),
            ("Skema penilaian", f"{scheme.name} (versi {scheme.version})" if scheme else "-"),
            ("Dibuat", f"{self.started:%d/%m/%Y %H:%M} {self.zone_label} oleh {self.generated_by} (semua waktu "
                       f"dalam {self.zone_label})"),
            ("Cakupan", self.filter_desc or ("Sesuai lingkup akses pengguna" if self.restricted else "Semua pegawai")),
            ("Jumlah pegawai", str(self.n_results)),
            ("Tanpa predikat", f"{without or 0} pegawai (alasan per pegawai: kolom Catatan Perhitungan di lembar "
                               "Nilai Pegawai)"),
        ]
        if rules is not None:
            from kinerja_admin.scoring.rules import missing_text, rounding_text

            info += [("Pembulatan", "Rerata aspek, rerata peran, nilai perilaku dan nilai akhir disimpan dengan 4 "
                                    "desimal (setengah ke atas); nilai SKP dihitung tanpa pembulatan antara dan "
                                    "dibulatkan 4 desimal di akhir. " + rounding_text(rules.round_decimals,
                                                                                      rules.rounding_mode)),
                     ("Data kosong", missing_text(rules.missing_realisation, rules.missing_superior))]
            if self.check:
                info.append(("Pemeriksaan ulang (lembar Periksa)",
                             f"{self.mismatches} ketidaksesuaian antara nilai tersimpan dan hitung ulang"))
        for i, (k, v) in enumerate(info, start=1):
            cells.append((i, 0, "s", k, "bold"))
            cells.append((i, 1, "s", v, "wrap"))
        hr = len(info) + 2
        head = (["Kode OPD", "OPD (beserta subunitnya)", "Jumlah Pegawai", "Rerata SKP", "Rerata Perilaku",
                 "Rerata Nilai Akhir"] + labels + ["Belum Berpredikat", "Responden IKM", "IKM", "Mutu IKM",
                                                   "Predikat Organisasi", "Peringatan Distribusi"])
        self.summary_head = (hr, len(head))
        for c, h in enumerate(head):
            cells.append((hr, c, "s", h, "head"))
        r = hr + 1
        total_pred: Counter = Counter()
        for opd_id in order:
            u = units.get(opd_id)
            acc = per_opd.get(opd_id, {"n": 0, "pred": Counter(), "sums": [Decimal(0)] * 3, "counts": [0] * 3})
            total_pred.update(acc["pred"])
            cells.append((r, 0, "s", u.code if u else "-", None))
            cells.append((r, 1, "s", u.name if u else "(tanpa unit)", None))
            cells.append((r, 2, "n", acc["n"], "int"))
            for i in range(3):
                if acc["counts"][i]:
                    cells.append((r, 3 + i, "n", (acc["sums"][i] / acc["counts"][i]).quantize(Q2, ROUND_HALF_UP),
                                  "num2"))
            for i, label in enumerate(labels):
                cells.append((r, 6 + i, "n", acc["pred"].get(label, 0), "int"))
            c = 6 + len(labels)
            cells.append((r, c, "n", acc["pred"].get("(belum ada)", 0), "int"))
            parts = ikm_parts.get(opd_id)
            if parts:
                res = combine_ikm(session, parts, opd_id, u.name if u else "")
                if res.responses:
                    cells.append((r, c + 1, "n", res.responses, "int"))
                    cells.append((r, c + 2, "n", res.value, "num2"))
                    if res.letter:
                        cells.append((r, c + 3, "s", f"{res.letter} ({res.label})", None))
            check = check_of.get(opd_id)
            if check is not None:
                cells.append((r, c + 4, "s", ORG_RATINGS.get(check.rating, check.rating), None))
                if check.findings:
                    cells.append((r, c + 5, "s", " ".join(check.findings), "warn"))
            r += 1
        self.summary_rows = (hr, r)
        cells.append((r, 1, "s", "Jumlah seluruh pegawai", "bold"))
        cells.append((r, 2, "n", self.n_results, "total"))
        tot = [sum((a["sums"][i] for a in per_opd.values()), Decimal(0)) for i in range(3)]
        cnt = [sum(a["counts"][i] for a in per_opd.values()) for i in range(3)]
        for i in range(3):
            if cnt[i]:
                cells.append((r, 3 + i, "n", (tot[i] / cnt[i]).quantize(Q2, ROUND_HALF_UP), "total"))
        # the distribution check of every rated unit (the same function the scoring summary uses)
        r += 2
        note = " (atas pegawai dalam berkas ini)" if self.restricted else ""
        cells.append((r, 0, "s", "Pemeriksaan distribusi predikat per unit berpredikat organisasi, beserta seluruh "
                                 "subunitnya" + note, "bold"))
        r += 1
        for c, h in enumerate(["Unit", "Predikat Organisasi", "Jumlah Pegawai", "Temuan"]):
            cells.append((r, c, "s", h, "head"))
        for check in checks:
            r += 1
            cells.append((r, 0, "s", check.name, None))
            cells.append((r, 1, "s", ORG_RATINGS.get(check.rating, check.rating), None))
            cells.append((r, 2, "n", check.total, "int"))
            cells.append((r, 3, "s", " ".join(check.findings) or "Sesuai kurva distribusi.",
                          "warn" if check.findings else None))
        # predicate distribution (chart data)
        r += 2
        cells.append((r, 0, "s", "Sebaran predikat", "bold"))
        r += 1
        for c, h in enumerate(["Predikat", "Jumlah", "Persen"]):
            cells.append((r, c, "s", h, "head"))
        self.chart_first = r + 1
        dist_labels = labels + [k for k in total_pred if k not in labels]
        self.dist_labels = dist_labels
        for label in dist_labels:
            r += 1
            cells.append((r, 0, "s", label, None))
            cells.append((r, 1, "n", total_pred.get(label, 0), "int"))
            pct = (Decimal(total_pred.get(label, 0)) * 100 / self.n_results).quantize(Decimal("0.1"), ROUND_HALF_UP) \
                if self.n_results else Decimal(0)
            cells.append((r, 2, "n", pct, "pct"))
        self.chart_last = r
        # behaviour per role and aspect (all employees of the export), from the Penilaian Perilaku rows
        r += 18 if dist_labels else 2
        cells.append((r, 0, "s", "Rerata perilaku per peran dan aspek", "bold"))
        r += 1
        for c, h in enumerate(["Peran", "Aspek", "Rerata", "Jumlah Pegawai", "Jumlah Penilai"]):
            cells.append((r, c, "s", h, "head"))
        aspect_seq = {a[2]: (a[0], i) for i, a in enumerate(self.rules.aspects)} if self.rules else {}
        for (role, aname), (total, count, raters) in sorted(
                self.role_aspect.items(), key=lambda kv: (ROLES.index(kv[0][0]) if kv[0][0] in ROLES else 9,
                                                          aspect_seq.get(kv[0][1], (0, 99))[1], kv[0][1])):
            r += 1
            cells.append((r, 0, "s", RATER_ROLES.get(role, role), None))
            cells.append((r, 1, "s", aname, None))
            if count:
                cells.append((r, 2, "n", (total / count).quantize(Q2, ROUND_HALF_UP), "num2"))
            cells.append((r, 3, "n", count, "int"))
            cells.append((r, 4, "n", raters, "int"))
        return cells

    def _summary_layout(self, ws) -> None:
        labels = self.labels
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 44)
        ws.set_column(2, 6 + len(labels), 11)
        ws.set_column(7 + len(labels), 10 + len(labels), 12)
        ws.set_column(11 + len(labels), 11 + len(labels), 70)
        hr, width = self.summary_head
        ws.freeze_panes(hr + 1, 2)
        first, last = self.summary_rows
        if last > first + 1:
            ws.autofilter(hr, 0, last - 1, width - 1)
        for label in self.dist_labels:
            self.fm.predicate(label)
        if self.dist_labels:
            chart = self.wb.add_chart({"type": "column"})
            from kinerja_admin.scoring.rules import predicate_colour

            points = [{"fill": {"color": predicate_colour(lb)}} for lb in self.dist_labels]
            chart.add_series({"name": "Jumlah pegawai", "categories": ["Ringkasan", self.chart_first, 0,
                                                                      self.chart_last, 0],
                              "values": ["Ringkasan", self.chart_first, 1, self.chart_last, 1], "points": points,
                              "data_labels": {"value": True}})
            chart.set_title({"name": f"Sebaran Predikat Periode {self.period.code}"})
            chart.set_legend({"none": True})
            chart.set_y_axis({"name": "Pegawai"})
            ws.insert_chart(self.chart_first - 2, 4, chart, {"x_scale": 1.4, "y_scale": 1.1})

    # =================================================================================================
    # Jejak Audit
    # =================================================================================================
    def audit_rows(self) -> Iterator[tuple]:
        """One row per changed field, in words (kinerja_admin.labels), never JSON: time, user, action,
        record, id, field, before, after, reason."""
        from kinerja_admin.labels import audit_action, audit_entity, change_rows

        session = self.session
        stmt = (select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.entity, AuditLog.entity_id,
                       AuditLog.changes, AuditLog.reason)
                .where(AuditLog.period_id == self.period.id).order_by(AuditLog.at, AuditLog.id))
        if self.restricted:
            # the trail of every record of the employees whose results are exported (plans, targets,
            # indicators, realisations, ratings, results, objections: the audit row's subject) and of the
            # period itself
            subjects = select(ScoreResult.employee_id).where(ScoreResult.id.in_(self.result_ids))
            stmt = stmt.where(or_(AuditLog.entity == "period", AuditLog.subject_id.in_(subjects)))
        for part in _stream(session, stmt).partitions(BATCH):
            for at, username, action, entity, entity_id, changes, reason in part:
                head = (at, username, audit_action(action), audit_entity(entity), entity_id)
                rows = change_rows(changes, entity) or [(None, None, None)]
                for field_label, before, after in rows:
                    yield (*head, field_label, _cut(before), _cut(after), reason)

    def _audit_sheet(self, ws) -> int:
        return self._table(ws, "Jejak Audit", AUDIT_SHEET, self.audit_rows())


# --- helpers ------------------------------------------------------------------------------------------------

def _cut(text, limit: int = 32000):
    """An Excel cell holds at most 32 767 characters."""
    return text if text is None or len(text) <= limit else text[:limit] + "..."


_RULE_SECTIONS = [("bobot komponen", "component_weights"), ("bobot peran penilai", "rater_weights"),
                  ("aspek perilaku", "aspects"), ("rumus indikator", "formulas"),
                  ("tabel capaian", "achievement_bands"),
                  ("rentang predikat", "predicate_bands"), ("matriks predikat", "matrix_cells"),
                  ("ambang kategori", "category_thresholds"), ("kurva distribusi", "distribution_rules")]

RULE_SENTENCES = [
    "Nilai indikator: rumus yang diterapkan (lembar Rincian Sasaran, kolom Rumus Diterapkan); capaian paling "
    "rendah 0. Indikator tanpa realisasi mengikuti kebijakan di atas; target 0, sasaran tanpa indikator atau rumus "
    "yang tidak ada di skema menahan nilai SKP pegawai itu (alasannya di kolom Catatan Perhitungan).",
    "Nilai sasaran = rerata nilai indikatornya; nilai SKP = rerata nilai sasaran, dibulatkan 4 desimal di akhir.",
    "Rerata tiap aspek = rerata nilai para penilai satu peran (4 desimal); aspek khusus jabatan struktural hanya "
    "dihitung bagi pejabat struktural (kolom Jabatan Struktural); rerata peran = rerata tertimbang bobot aspek "
    "(4 desimal).",
    "Nilai perilaku = jumlah (rerata peran x bobot peran) / jumlah bobot peran yang memiliki penilaian (4 desimal).",
    "Peran masyarakat (bila berbobot dan tidak ada penilai masyarakat yang ditugaskan): jawaban warga 1-4 atas "
    "pegawai yang disebut namanya di unit pelayanan publik, bila jumlah respons >= minimal; dipetakan lurus: "
    "{lo} + (rerata - 1) / 3 x ({hi} - {lo}), 4 desimal.",
    "Nilai akhir disimpan 4 desimal; nilai di luar -999,9999 sampai 999,9999 tidak dapat disimpan dan pegawai itu "
    "tidak mendapat nilai (alasan di Catatan Perhitungan).",
]


class _Src:
    """The provenance of a scheme-level setting as a rule-row-like object."""

    def __init__(self, scheme, key):
        self.source = getattr(scheme, f"{key}_source")
        self.source_note = getattr(scheme, f"{key}_source_note")


def _fmt_dec(v) -> str:
    from kinerja_admin.numbers import format_id

    return "-" if v is None else format_id(Decimal(v))


def _status(unrealised, zero_target, no_formula, no_indicator, policy_zero) -> str:
    if no_indicator:
        return "Sasaran tanpa indikator: menahan nilai SKP"
    if unrealised:
        return ("Belum ada realisasi: dihitung 0 (kebijakan skema)" if policy_zero
                else "Belum ada realisasi: menahan nilai SKP (kebijakan skema)")
    if zero_target:
        return "Target 0: capaian tidak dapat dihitung; menahan nilai SKP"
    if no_formula:
        return "Rumus tidak ada di skema: menahan nilai SKP"
    return "Dihitung"


def _band_index(lowers: list[Decimal], c: Decimal) -> Optional[int]:
    """1-based position of the band whose lower edge is the largest <= c (Excel MATCH(c, lowers, 1))."""
    idx = None
    for i, lo in enumerate(lowers, start=1):
        if c >= lo:
            idx = i
    return idx


def _same(a: Optional[Decimal], b: Optional[Decimal]) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < Decimal("0.00005")


class _TargetFormulas:
    """Excel formulas of one Rincian Sasaran row (row numbers substituted), written once per template."""

    def __init__(self, col: dict):
        R, T, A = col["realised"], col["target"], col["arah"]
        cap, used, band, val = col["capaian"], col["capaian_used"], col["band"], col["value"]
        self.t_capaian = (f'IF(OR(ISBLANK({R}%(r)d),ISBLANK({T}%(r)d)),"",IF({T}%(r)d=0,"",'
                          f'IF({A}%(r)d="{ARAH_LOWER}",(2-{R}%(r)d/{T}%(r)d)*100,{R}%(r)d/{T}%(r)d*100)))')
        # the floored capaian, rounded to 9 decimals only to clear binary error before the band lookup
        self.t_used = f'IF({cap}%(r)d="","",MAX(0,ROUND({cap}%(r)d,9)))'
        self.t_band = f'IF({used}%(r)d="","",MATCH({used}%(r)d,Capaian_Bawah,1))'
        missing = f'IF(ISBLANK({T}%(r)d),"",IF(Kebijakan_Realisasi="{POLICY_ZERO}",0,""))'
        head = f'IF(ISBLANK({R}%(r)d),{missing},IF({T}%(r)d=0,"",'
        self.t_ratio = head + f"{R}%(r)d/{T}%(r)d*100))"
        self.t_time = head + (f"IF(ROUND({R}%(r)d*100,4)>=ROUND(76*{T}%(r)d,4),(1.76*{T}%(r)d-{R}%(r)d)/{T}%(r)d*100,"
                              f"76-((1.76*{T}%(r)d-{R}%(r)d)/{T}%(r)d*100-100))))")
        idx = f"{band}%(r)d"
        lower, upper = f"INDEX(Capaian_Bawah,{idx})", f"INDEX(Capaian_Atas,{idx})"
        vf, vt, span = f"INDEX(Capaian_NilaiDari,{idx})", f"INDEX(Capaian_NilaiSampai,{idx})", \
            f"INDEX(Capaian_RentangSampai,{idx})"
        mapped = (f'IF(AND({upper}<>"",{used}%(r)d>={upper}),"",IF(OR({vt}="",{span}=""),{vf},'
                  f"{vf}+({used}%(r)d-{lower})*({vt}-{vf})/({span}-{lower})))")
        self.t_capaian_value = head + f'IF({idx}="","",{mapped})))'
        self.t_mean = f'IFERROR(AVERAGE({val}%(a)d:{val}%(b)d),"")'

    def capaian(self, r):
        return self.t_capaian % {"r": r}

    def capaian_used(self, r):
        return self.t_used % {"r": r}

    def band(self, r):
        return self.t_band % {"r": r}

    def value(self, code, f, r):
        if f is None:
            return '""'
        if f.uses_capaian:
            return self.t_capaian_value % {"r": r}
        if code in ("pp46_waktu", "pp46_biaya"):
            return self.t_time % {"r": r}
        return self.t_ratio % {"r": r}

    def target_mean(self, a, b):
        return self.t_mean % {"a": a, "b": b}


class _CheckFormulas:
    """The rows of Periksa: formulas over Rincian Sasaran (the employee's block), Penilaian Perilaku (each
    role's block), Nilai Pegawai (the employee's row: inputs) and Aturan (named cells), with cached values."""

    def __init__(self, export: _Export, col: dict):
        self.x = export
        self.col = col
        rules = export.rules
        self.rules = rules
        np_ = {k: _col(EMPLOYEE_SHEET, k) for k, _, _, _ in EMPLOYEE_SHEET}
        self.np = np_
        rs_v, rs_t = _col(TARGET_SHEET, "value"), _col(TARGET_SHEET, "target_value")
        self.t_skp = (f"IF(COUNT('Rincian Sasaran'!{rs_v}%(a)d:{rs_v}%(b)d)<ROWS('Rincian Sasaran'!{rs_v}%(a)d:"
                      f"{rs_v}%(b)d),\"\",IF(ABS(ROUND(AVERAGE('Rincian Sasaran'!{rs_t}%(a)d:{rs_t}%(b)d),4))>=1000,"
                      f"\"\",ROUND(AVERAGE('Rincian Sasaran'!{rs_t}%(a)d:{rs_t}%(b)d),4)))")
        pa, pw = _col(BEHAVIOUR_SHEET, "average"), _col(BEHAVIOUR_SHEET, "weight")
        self.t_role = (f"ROUND(SUMPRODUCT('Penilaian Perilaku'!{pa}%(a)d:{pa}%(b)d,'Penilaian Perilaku'!{pw}%(a)d:"
                       f"{pw}%(b)d)/SUM('Penilaian Perilaku'!{pw}%(a)d:{pw}%(b)d),4)")
        n_resp, n_sum = np_["pub_n"], np_["pub_sum"]
        self.t_public = (f"IF(AND(Bobot_masyarakat>0,ISNUMBER('Nilai Pegawai'!{n_resp}%(e)d),"
                         f"'Nilai Pegawai'!{n_resp}%(e)d>=Min_Responden),ROUND(Skala_Min+('Nilai Pegawai'!{n_sum}%(e)d/"
                         f"'Nilai Pegawai'!{n_resp}%(e)d-1)*(Skala_Maks-Skala_Min)/3,4),\"\")")
        roles = f"{col[ROLES[0]]}%(r)d:{col[ROLES[-1]]}%(r)d"
        weights = f"${col[ROLES[0]]}$2:${col[ROLES[-1]]}$2"
        den = f"SUMPRODUCT(--ISNUMBER({roles}),{weights})"
        num = " + ".join(f'IF(ISNUMBER({col[r]}%(r)d),{col[r]}%(r)d*Bobot_{r},0)' for r in ROLES)
        self.t_beh = (f'IF(AND(Kebijakan_Atasan="{SUPERIOR_BLOCK}",Bobot_atasan>0,NOT(ISNUMBER({col["atasan"]}%(r)d))),'
                      f'"",IF({den}=0,"",ROUND(({num})/{den},4)))')
        skp, beh = f"{col['skp']}%(r)d", f"{col['beh']}%(r)d"
        if rules.final_expression:
            refs = {"skp": skp, "perilaku": beh, **{r: f"{col[r]}%(r)d" for r in ROLES}}
            expr, used = to_excel(rules.final_expression, refs)
            guard = ",".join(f'{refs[u]}=""' for u in sorted(used)) or "FALSE"
            self.t_fin = (f'IF(OR({guard},FALSE),"",IFERROR(IF(ABS(ROUND({expr},4))>=1000,"",'
                          f'ROUND({expr},4)),""))')
        elif rules.kind == "numeric":
            self.t_fin = (f'IF(OR({skp}="",{beh}=""),"",ROUND(({skp}*Bobot_skp+{beh}*Bobot_perilaku)/'
                          f'(Bobot_skp+Bobot_perilaku),4))')
        else:
            self.t_fin = None
        fin = f"{col['fin']}%(r)d"
        if rules.kind == "numeric":
            d = rules.round_decimals
            if d is None:
                self.t_band = f'IF({fin}="","",{fin})'
            elif rules.rounding_mode == "half_even":
                y = f"ROUND(ABS({fin})*10^Pembulatan_Desimal,6)"
                self.t_band = (f'IF({fin}="","",SIGN({fin})*IF(ABS({y}-TRUNC({y})-0.5)<0.0000001,'
                               f"TRUNC({y})+IF(ISODD(TRUNC({y})),1,0),ROUND({y},0))/10^Pembulatan_Desimal)")
            else:
                self.t_band = f'IF({fin}="","",ROUND({fin},Pembulatan_Desimal))'
            v = f"{col['band']}%(r)d"
            innov = f"'Nilai Pegawai'!{np_['innovation']}%(e)d=\"{YES}\""
            expr = '""'
            low = rules.lowest_band()
            if low is not None:
                low_ref = next(b[0] for b in export.band_cells if b[2] == low.label and not b[3])
                expr = f'IF({v}<{low_ref},"{_q(low.label)}","")'
            for lower, upper, label, needs in reversed(export.band_cells):
                conds = [f"{v}>={lower}"]
                if upper is not None:
                    conds.append(f"{v}<{upper}")
                if needs:
                    conds.append(innov)
                expr = f'IF(AND({",".join(conds)}),"{_q(label)}",{expr})'
            self.t_pred = f'IF({v}="","",{expr})'
        else:
            by_rater = CATEGORY_SOURCES["penilai"]

            def category(dim, value_cell, label_col, src_col):
                expr = '""'
                for ref_cell, label in reversed(export.threshold_cells.get(dim, [])):
                    expr = f'IF({value_cell}>={ref_cell},"{label}",{expr})'
                return (f"IF('Nilai Pegawai'!{src_col}%(e)d=\"{by_rater}\",'Nilai Pegawai'!{label_col}%(e)d,"
                        f'IF({value_cell}="","",{expr}))')

            self.t_hasil = category("hasil", skp, np_["hasil"], np_["hasil_src"])
            self.t_perilaku = category("perilaku", beh, np_["perilaku"], np_["perilaku_src"])
            h, p = f"{col['hasil']}%(r)d", f"{col['perilaku']}%(r)d"
            self.t_pred = (f'IF(OR({h}="",{p}=""),"",IFERROR(INDEX(Matriks_Predikat,MATCH({p},Matriks_Perilaku,0),'
                           f'MATCH({h},Matriks_Hasil,0)),""))')

        def eq(a, b):
            return f'IF(ISNUMBER({a}),IF(ISNUMBER({b}),ABS({a}-{b})<0.00005,FALSE),NOT(ISNUMBER({b})))'

        pairs = [("skp", "skp_s"), ("beh", "beh_s"), ("fin", "fin_s")]
        conds = [eq(f"{col[a]}%(r)d", f"{col[b]}%(r)d") for a, b in pairs]
        conds.append(f"{col['pred']}%(r)d={col['pred_s']}%(r)d")
        self.t_bad = f"IF(AND({','.join(conds)}),0,1)"

    def rows(self) -> Iterator[tuple]:
        x, rules, vals = self.x, self.rules, self.x.vals
        numeric = rules.kind != "matrix"
        current = rules.version
        header = CHECK_TITLE_ROWS
        names = x.names_stream()
        for k in range(len(x.predicates)):
            res = x._recompute(k)
            r = header + 2 + k  # Excel row of this result in Periksa
            e = k + 2  # Excel row of this result in Nilai Pegawai
            rid, nip, name, opd = next(names)
            if rid != x.order.ids[k]:  # pragma: no cover - the same query order as Nilai Pegawai
                raise RuntimeError("Periksa: urutan pegawai berbeda dari lembar Nilai Pegawai")
            a, b = vals.get("t_first", k), vals.get("t_last", k)
            skp = (self.t_skp % {"a": a, "b": b}, _cached(res["skp"])) if a is not None else ('""', "")
            row = [nip, name, opd, skp, _num(vals.get("skp", k))]
            for role in ROLES:
                ra, rb = vals.get(f"{role}_a", k), vals.get(f"{role}_b", k)
                if ra is not None:
                    row.append((self.t_role % {"a": ra, "b": rb}, _cached(res["roles"][role])))
                elif role == "masyarakat":
                    row.append((self.t_public % {"e": e}, _cached(res["roles"][role])))
                else:
                    row.append(None)
            row += [(self.t_beh % {"r": r}, _cached(res["beh"])), _num(vals.get("behaviour", k))]
            row += [(self.t_fin % {"r": r}, _cached(res["fin"])) if self.t_fin else None, _num(vals.get("final", k))]
            if numeric:
                row.append((self.t_band % {"r": r}, _cached(res["band"])))
            else:
                row += [(self.t_hasil % {"e": e, "r": r}, res["hasil"] or ""),
                        (self.t_perilaku % {"e": e, "r": r}, res["perilaku"] or "")]
            row += [(self.t_pred % {"r": r, "e": e}, res["pred"] or ""), x.predicates[k],
                    (self.t_bad % {"r": r}, res["bad"])]
            version = x.versions[k]
            row.append(None if version == current else
                       f"Dihitung dengan skema versi {version}; lembar Aturan memuat versi {current}.")
            yield row


def _q(label: str) -> str:
    """A label inside a formula template: Excel's doubled quotes, and % doubled for the row substitution."""
    return label.replace('"', '""').replace("%", "%%")
