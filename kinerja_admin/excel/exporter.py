"""The inspector-grade export of one period: xlsxwriter in constant_memory mode, rows streamed
from the database in batches (yield_per), restricted by the user's row scope (kinerja_admin.scope)
and by an optional extra condition (the admin list's current filters and search).

Sheets: Ringkasan, Nilai Pegawai, Rincian Sasaran, Penilaian Perilaku, Aturan, Jejak Audit.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter
from sqlalchemy import Float, func, or_, select, type_coerce
from sqlalchemy.orm import aliased

from models import (
    AuditLog,
    BehaviourAspect,
    Employee,
    IkmBand,
    Indicator,
    Period,
    Position,
    PublicFeedback,
    Rank,
    Realisation,
    ScoreDetail,
    ScoreResult,
    ScoringScheme,
    Target,
    Unit,
    UnitRating,
    User,
    WorkPlan,
    db,
)
from models.base import CATEGORIES, ORG_RATINGS, RATER_ROLES, SCORE_STATUSES, TARGET_ASPECTS

from ..rating.feedback import counted
from ..scope import scope_condition

BATCH = 2000  # rows per fetch (yield_per)

# colours per predicate label (any scheme); unknown labels get no colour
PREDICATE_COLOURS = {
    "sangat baik": "#63BE7B",
    "baik": "#C6EFCE",
    "cukup": "#FFEB9C",
    "butuh perbaikan": "#FFD966",
    "kurang": "#F4B183",
    "kurang (misconduct)": "#F4B183",
    "sangat kurang": "#FF7C80",
    "buruk": "#FF7C80",
}
PREDICATE_ORDER = ["sangat baik", "baik", "cukup", "butuh perbaikan", "kurang", "kurang (misconduct)",
                   "sangat kurang", "buruk"]

T, N, D, P, INT = "t", "n", "d", "p", "i"  # cell kinds: text, number, datetime, predicate, integer

# Nilai Pegawai: header, width, kind
EMPLOYEE_SHEET = [
    ("NIP", 21, T), ("Nama", 32, T), ("Jenis", 7, T), ("Golongan", 9, T), ("Pangkat", 22, T),
    ("Jabatan", 36, T), ("Unit Kerja", 36, T), ("Pejabat Penilai", 30, T), ("NIP Pejabat Penilai", 21, T),
    ("Nilai SKP", 10, N), ("Nilai Perilaku", 10, N), ("Rerata Atasan", 10, N), ("Rerata Rekan", 10, N),
    ("Rerata Bawahan", 10, N), ("Rerata Diri", 10, N), ("Rerata Masyarakat", 11, N), ("Nilai Akhir", 10, N),
    ("Rating Hasil Kerja", 20, T), ("Rating Perilaku", 20, T), ("Predikat", 18, P), ("Status", 11, T),
    ("Disetujui Oleh", 22, T), ("Disetujui Pada", 17, D), ("Dihitung Pada", 17, D), ("Versi Skema", 8, INT),
]
TARGET_SHEET = [
    ("NIP", 21, T), ("Nama", 30, T), ("No. RHK", 7, INT), ("Rencana Hasil Kerja", 50, T), ("Aspek", 11, T),
    ("Indikator", 46, T), ("Target", 11, N), ("Satuan", 12, T), ("Arah", 18, T), ("Rumus", 16, T),
    ("Realisasi", 11, N), ("Capaian (%)", 11, N), ("Bukti Dukung", 30, T), ("Umpan Balik", 30, T),
]
BEHAVIOUR_SHEET = [
    ("NIP", 21, T), ("Nama", 30, T), ("Peran Penilai", 14, T), ("Kode Aspek", 20, T), ("Aspek Perilaku", 32, T),
    ("Rerata", 10, N), ("Jumlah Penilai", 10, INT),
]
AUDIT_SHEET = [
    ("Waktu", 17, D), ("Pengguna", 16, T), ("Aksi", 12, T), ("Entitas", 16, T), ("ID", 10, T),
    ("Perubahan", 80, T), ("Alasan", 40, T),
]


def _f(col):
    """Numeric column read as float (xlsxwriter numbers are doubles anyway)."""
    return type_coerce(col, Float(asdecimal=False))


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook, predicates: Iterable[str]):
        self.head = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                   "text_wrap": True, "valign": "top", "border": 1})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.num = wb.add_format({"num_format": "0.00"})
        self.num4 = wb.add_format({"num_format": "0.0000"})
        self.int = wb.add_format({"num_format": "0"})
        self.pct = wb.add_format({"num_format": "0.0"})
        self.dt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.text = wb.add_format({"num_format": "@"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.warn = wb.add_format({"font_color": "#9C0006", "text_wrap": True})
        self.total = wb.add_format({"bold": True, "top": 1, "num_format": "0.00"})
        self.pred: dict[str, Any] = {}
        for label in predicates:
            self.predicate(wb, label)

    def predicate(self, wb, label: str):
        if label not in self.pred:
            colour = PREDICATE_COLOURS.get(label.strip().lower())
            self.pred[label] = wb.add_format({"bg_color": colour, "bold": True}) if colour else None
        return self.pred[label]


def write_rows(ws, start: int, rows: Iterable[tuple], kinds: list[str], fm: _Formats, wb=None) -> int:
    """Write typed rows (the one cell writer shared by the export and the benchmark floor)."""
    ws_string, ws_number, ws_datetime = ws.write_string, ws.write_number, ws.write_datetime
    numfmt, intfmt, dtfmt, preds = fm.num, fm.int, fm.dt, fm.pred
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
            elif kind is P:
                fmt = preds.get(v)
                if fmt is None and v not in preds and wb is not None:
                    fmt = fm.predicate(wb, v)
                ws_string(r, c, v, fmt)
            elif kind is D:
                ws_datetime(r, c, v, dtfmt)
            else:
                ws_number(r, c, v, intfmt)
        r += 1
    return r


def _header(ws, spec, fm: _Formats, row: int = 0) -> None:
    for c, (label, width, kind) in enumerate(spec):
        ws.set_column(c, c, width, fm.text if kind == T and label.startswith("NIP") else None)
        ws.write_string(row, c, label, fm.head)
    ws.freeze_panes(row + 1, 0)


def _finish(ws, spec, last_row: int, header_row: int = 0) -> None:
    ws.autofilter(header_row, 0, max(last_row - 1, header_row), len(spec) - 1)


def _pred_key(label: str) -> tuple:
    low = (label or "").strip().lower()
    return (PREDICATE_ORDER.index(low) if low in PREDICATE_ORDER else len(PREDICATE_ORDER), low)


def _dec(v) -> Decimal | None:
    if v is None:
        return None
    return v if isinstance(v, Decimal) else Decimal(str(v))


def ikm_value(sums: list, n: int) -> Decimal | None:
    """IKM = mean of the 9 element means x 25 (exact; rounded only by the caller, at the end)."""
    if not n:
        return None
    total = sum((_dec(s) or Decimal(0)) for s in sums)
    return total / (Decimal(len(sums)) * Decimal(n)) * Decimal(25)


def ikm_band(value: Decimal | None, bands: list) -> tuple[str, str] | None:
    if value is None:
        return None
    shown = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for b in bands:
        if _dec(b.lower) <= shown <= _dec(b.upper):
            return b.letter, b.label
    return None


def export_period(period: Period, out, *, session=None, user=None, result_filter=None, filter_desc: str = "",
                  generated_by: str | None = None, progress: Callable[[int], None] | None = None,
                  instance_name: str = "BKPSDM") -> dict:
    """Write the workbook of `period` to `out` (a path or a binary file object).

    `user`: apply that user's row scope (None: no scope, for the CLI); `result_filter`: an extra SQL
    condition on ScoreResult (the admin list's filters/search). Returns simple statistics."""
    session = session or db.session
    progress = progress or (lambda pct: None)
    started = dt.datetime.now()
    conds = [ScoreResult.period_id == period.id]
    restricted = False
    if user is not None:
        sc = scope_condition(ScoreResult, user)
        if sc is not None:
            conds.append(sc)
            restricted = True
    if result_filter is not None:
        conds.append(result_filter)
        restricted = True
    result_ids = select(ScoreResult.id).where(*conds)
    scheme = session.get(ScoringScheme, period.scheme_id) if period.scheme_id else None
    if generated_by is None:
        generated_by = getattr(user, "username", None) or "sistem"

    n_results = session.scalar(select(func.count()).select_from(ScoreResult).where(*conds)) or 0
    pred_counts = list(session.execute(
        select(ScoreResult.unit_id, ScoreResult.predicate, func.count()).where(*conds)
        .group_by(ScoreResult.unit_id, ScoreResult.predicate)))
    labels = {p for _, p, _ in pred_counts if p}
    if scheme is not None:
        labels.update(b.label for b in scheme.predicate_bands)
        labels.update(c.predicate for c in scheme.matrix_cells)
    labels = sorted(labels, key=_pred_key)

    tmpdir = tempfile.mkdtemp(prefix="kinerja-xlsx-")
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False,
                                   "default_date_format": "dd/mm/yyyy hh:mm"})
    try:
        fm = _Formats(wb, labels)
        title = f"Hasil Penilaian Kinerja ASN - Periode {period.code}"
        wb.set_properties({
            "title": title, "subject": f"Periode {period.code}: {period.name}", "author": generated_by,
            "company": instance_name, "category": "Laporan penilaian kinerja",
            "keywords": f"e-Kinerja, SKP, {period.code}",
            "comments": f"Dibuat {started:%d/%m/%Y %H:%M} oleh {generated_by}"
                        + (f"; {filter_desc}" if filter_desc else ""),
            "created": started,
        })
        wb.set_custom_property("Periode", period.code)
        wb.set_custom_property("Dibuat pada", started.strftime("%Y-%m-%d %H:%M:%S"))
        wb.set_custom_property("Dibuat oleh", generated_by)
        wb.set_custom_property("Jumlah pegawai", int(n_results))

        ws_sum = wb.add_worksheet("Ringkasan")
        ws_emp = wb.add_worksheet("Nilai Pegawai")
        ws_tgt = wb.add_worksheet("Rincian Sasaran")
        ws_beh = wb.add_worksheet("Penilaian Perilaku")
        ws_rules = wb.add_worksheet("Aturan")
        ws_audit = wb.add_worksheet("Jejak Audit")

        _summary_sheet(session, wb, ws_sum, fm, period, scheme, conds, pred_counts, labels, restricted,
                       title, started, generated_by, filter_desc, n_results)
        progress(5)
        n_emp = _employee_sheet(session, wb, ws_emp, fm, conds, n_results, progress)
        n_tgt = _target_sheet(session, ws_tgt, fm, result_ids)
        progress(75)
        n_beh = _behaviour_sheet(session, ws_beh, fm, period, result_ids)
        progress(90)
        _rules_sheet(ws_rules, fm, scheme)
        n_audit = _audit_sheet(session, ws_audit, fm, period, result_ids, restricted)
        # --- issue 17: sheet "Efektivitas Program" (kinerja_admin.planning.sheet), last in the workbook ---
        from kinerja_admin.planning.sheet import write_effectiveness_sheet

        write_effectiveness_sheet(wb, period, session=session, user=user)
        # --- end issue 17 ---
        ws_sum.activate()
        wb.close()
    finally:
        for name in os.listdir(tmpdir):
            try:
                os.remove(os.path.join(tmpdir, name))
            except OSError:
                pass
        os.rmdir(tmpdir)
    progress(100)
    return {"employees": n_emp, "targets": n_tgt, "behaviour_rows": n_beh, "audit_rows": n_audit,
            "period": period.code}


# ------------------------------------------------------------------------------------------------
def _summary_sheet(session, wb, ws, fm, period, scheme, conds, pred_counts, labels, restricted, title,
                   started, generated_by, filter_desc, n_results) -> None:
    agg = list(session.execute(
        select(ScoreResult.unit_id, func.count(), func.avg(_f(ScoreResult.skp_value)),
               func.avg(_f(ScoreResult.behaviour_value)), func.avg(_f(ScoreResult.final_value)))
        .where(*conds).group_by(ScoreResult.unit_id)))
    fb_cols = [func.sum(getattr(PublicFeedback, f"u{i}")) for i in range(1, 10)]
    ikm_rows = {r[0]: r for r in session.execute(
        select(PublicFeedback.unit_id, func.count(), *fb_cols)
        .where(PublicFeedback.period_id == period.id, counted()).group_by(PublicFeedback.unit_id))}
    bands = list(session.scalars(select(IkmBand).order_by(IkmBand.lower.desc())))
    unit_ids = {u for u, *_ in agg if u is not None}
    if not restricted:
        unit_ids |= {u for u in ikm_rows if u is not None}
    units = {u.id: u for u in session.execute(select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(unit_ids)))} \
        if unit_ids else {}
    ratings = {r.unit_id: r.rating for r in session.execute(
        select(UnitRating.unit_id, UnitRating.rating).where(UnitRating.period_id == period.id))}
    rules = defaultdict(list)
    if scheme is not None:
        for d in scheme.distribution_rules:
            rules[d.org_rating].append(d)
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, pred, n in pred_counts:
        counts[unit_id][pred or "(belum ada)"] += n
    stats = {u: (n, skp, beh, fin) for u, n, skp, beh, fin in agg}

    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 5 + len(labels), 11)
    ws.set_column(6 + len(labels), 9 + len(labels), 12)
    ws.set_column(10 + len(labels), 10 + len(labels), 60)
    ws.write_string(0, 0, title, fm.title)
    info = [
        ("Periode", f"{period.code} - {period.name}"),
        ("Skema penilaian", f"{scheme.name} (versi {scheme.version})" if scheme else "-"),
        ("Dibuat", f"{started:%d/%m/%Y %H:%M} oleh {generated_by}"),
        ("Cakupan", filter_desc or ("Sesuai lingkup akses pengguna" if restricted else "Semua pegawai")),
        ("Jumlah pegawai", str(n_results)),
    ]
    for i, (k, v) in enumerate(info, start=1):
        ws.write_string(i, 0, k, fm.bold)
        ws.write_string(i, 1, v)
    hr = len(info) + 2
    head = (["Kode Unit", "Unit Kerja", "Jumlah Pegawai", "Rerata SKP", "Rerata Perilaku", "Rerata Nilai Akhir"]
            + labels + ["Responden IKM", "IKM", "Mutu IKM", "Predikat Organisasi", "Peringatan Distribusi"])
    for c, h in enumerate(head):
        ws.write_string(hr, c, h, fm.head)
    ws.freeze_panes(hr + 1, 2)
    order = sorted(set(stats) | (set(ikm_rows) if not restricted else set()),
                   key=lambda u: (units[u].name if u in units else "~", u or 0))
    r = hr + 1
    for unit_id in order:
        u = units.get(unit_id)
        ws.write_string(r, 0, u.code if u else "-")
        ws.write_string(r, 1, u.name if u else "(tanpa unit)")
        n, skp, beh, fin = stats.get(unit_id, (0, None, None, None))
        ws.write_number(r, 2, n, fm.int)
        for c, v in ((3, skp), (4, beh), (5, fin)):
            if v is not None:
                ws.write_number(r, c, float(v), fm.num)
        for i, label in enumerate(labels):
            ws.write_number(r, 6 + i, counts[unit_id].get(label, 0), fm.int)
        c = 6 + len(labels)
        fb = ikm_rows.get(unit_id)
        if fb is not None and fb[1]:
            value = ikm_value(list(fb[2:]), fb[1])
            ws.write_number(r, c, fb[1], fm.int)
            ws.write_number(r, c + 1, float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)), fm.num)
            band = ikm_band(value, bands)
            if band:
                ws.write_string(r, c + 2, f"{band[0]} ({band[1]})")
        rating = ratings.get(unit_id)
        if rating:
            ws.write_string(r, c + 3, ORG_RATINGS.get(rating, rating))
            warn = _distribution_warnings(rules.get(rating, []), counts[unit_id], n)
            if warn:
                ws.write_string(r, c + 4, "; ".join(warn), fm.warn)
        r += 1
    if order:
        ws.autofilter(hr, 0, r - 1, len(head) - 1)
    # totals
    ws.write_string(r, 1, "Jumlah / rerata seluruh pegawai", fm.bold)
    ws.write_number(r, 2, n_results, fm.total)
    if n_results:
        total = session.execute(select(func.avg(_f(ScoreResult.skp_value)), func.avg(_f(ScoreResult.behaviour_value)),
                                       func.avg(_f(ScoreResult.final_value))).where(*conds)).one()
        for c, v in ((3, total[0]), (4, total[1]), (5, total[2])):
            if v is not None:
                ws.write_number(r, c, float(v), fm.total)
    # predicate distribution + chart
    r += 2
    ws.write_string(r, 0, "Sebaran predikat", fm.bold)
    r += 1
    ws.write_string(r, 0, "Predikat", fm.head)
    ws.write_string(r, 1, "Jumlah", fm.head)
    ws.write_string(r, 2, "Persen", fm.head)
    first = r + 1
    overall: dict[str, int] = defaultdict(int)
    for per_unit in counts.values():
        for k, v in per_unit.items():
            overall[k] += v
    dist_labels = labels + [k for k in overall if k not in labels]
    for label in dist_labels:
        r += 1
        ws.write_string(r, 0, label, fm.pred.get(label))
        ws.write_number(r, 1, overall.get(label, 0), fm.int)
        ws.write_number(r, 2, (overall.get(label, 0) * 100.0 / n_results) if n_results else 0, fm.pct)
    if dist_labels:
        chart = wb.add_chart({"type": "column"})
        points = [{"fill": {"color": PREDICATE_COLOURS.get(lb.lower(), "#5B9BD5")}} for lb in dist_labels]
        chart.add_series({"name": "Jumlah pegawai", "categories": ["Ringkasan", first, 0, r, 0],
                          "values": ["Ringkasan", first, 1, r, 1], "points": points,
                          "data_labels": {"value": True}})
        chart.set_title({"name": f"Sebaran Predikat Periode {period.code}"})
        chart.set_legend({"none": True})
        chart.set_y_axis({"name": "Pegawai"})
        ws.insert_chart(first - 2, 4, chart, {"x_scale": 1.4, "y_scale": 1.1})
    # behaviour per role and aspect (all employees of the export)
    r += 18 if dist_labels else 2
    ws.write_string(r, 0, "Rerata perilaku per peran dan aspek", fm.bold)
    r += 1
    for c, h in enumerate(["Peran", "Aspek", "Rerata", "Jumlah Pegawai", "Jumlah Penilai"]):
        ws.write_string(r, c, h, fm.head)
    det = _details(session, period)
    for role, aspect, avg, n, raters in session.execute(
            select(det.c.role, BehaviourAspect.name, func.avg(_f(det.c.average)), func.count(),
                   func.sum(det.c.raters))
            .join(BehaviourAspect, BehaviourAspect.id == det.c.aspect_id)
            .where(det.c.result_id.in_(select(ScoreResult.id).where(*conds)))
            .group_by(det.c.role, BehaviourAspect.name, BehaviourAspect.seq)
            .order_by(det.c.role, BehaviourAspect.seq)):
        r += 1
        ws.write_string(r, 0, RATER_ROLES.get(role, role))
        ws.write_string(r, 1, aspect)
        ws.write_number(r, 2, float(avg), fm.num)
        ws.write_number(r, 3, n, fm.int)
        ws.write_number(r, 4, int(raters or 0), fm.int)


def _distribution_warnings(rules, counts: dict[str, int], total: int) -> list[str]:
    out = []
    if not total:
        return out
    for rule in rules:
        names = [p.strip() for p in rule.predicates.split("|") if p.strip()]
        n = sum(counts.get(p, 0) for p in names)
        share = Decimal(n) * 100 / Decimal(total)
        label = " + ".join(names)
        if rule.max_pct is not None and share > _dec(rule.max_pct):
            out.append(f"{label} {share:.1f}% melebihi batas {_dec(rule.max_pct):.0f}%")
        if rule.min_pct is not None and share < _dec(rule.min_pct):
            out.append(f"{label} {share:.1f}% di bawah minimal {_dec(rule.min_pct):.0f}%")
        if rule.min_count is not None and n < rule.min_count:
            out.append(f"{label} {n} pegawai, minimal {rule.min_count}")
    return out


def employee_rows_query(conds):
    rater = aliased(Employee)
    approver = aliased(User)
    return (
        select(Employee.nip, Employee.name, Employee.employee_type, Rank.code, Rank.name, Position.name, Unit.name,
               rater.name, rater.nip, _f(ScoreResult.skp_value), _f(ScoreResult.behaviour_value),
               _f(ScoreResult.atasan_avg), _f(ScoreResult.rekan_avg), _f(ScoreResult.bawahan_avg),
               _f(ScoreResult.diri_avg), _f(ScoreResult.masyarakat_avg), _f(ScoreResult.final_value),
               ScoreResult.hasil_category, ScoreResult.perilaku_category, ScoreResult.predicate, ScoreResult.status,
               func.coalesce(approver.full_name, approver.username), ScoreResult.approved_at,
               ScoreResult.computed_at, ScoreResult.scheme_version)
        .select_from(ScoreResult)
        .join(Employee, Employee.id == ScoreResult.employee_id)
        .outerjoin(WorkPlan, WorkPlan.id == ScoreResult.work_plan_id)
        .outerjoin(Rank, Rank.id == Employee.rank_id)
        .outerjoin(Position, Position.id == func.coalesce(WorkPlan.position_id, Employee.position_id))
        .outerjoin(Unit, Unit.id == func.coalesce(ScoreResult.unit_id, Employee.unit_id))
        .outerjoin(rater, rater.id == WorkPlan.rater_id)
        .outerjoin(approver, approver.id == ScoreResult.approved_by_id)
        .where(*conds)
        .order_by(Unit.name, Employee.name, ScoreResult.id)
    )


def _stream(session, stmt):
    return session.execute(stmt.execution_options(yield_per=BATCH, stream_results=True))


def _employee_sheet(session, wb, ws, fm, conds, total, progress) -> int:
    _header(ws, EMPLOYEE_SHEET, fm)
    kinds = [k for _, _, k in EMPLOYEE_SHEET]
    cats, statuses = CATEGORIES, SCORE_STATUSES
    result = _stream(session, employee_rows_query(conds))
    r = 1
    step = max(total // 14, 1)
    for part in result.partitions(BATCH):
        rows = []
        for row in part:
            row = list(row)
            row[17] = cats.get(row[17], row[17])
            row[18] = cats.get(row[18], row[18])
            row[20] = statuses.get(row[20], row[20])
            rows.append(row)
        r = write_rows(ws, r, rows, kinds, fm, wb)
        if (r - 1) % step < BATCH:
            progress(5 + int(60 * (r - 1) / max(total, 1)))
    _finish(ws, EMPLOYEE_SHEET, r)
    return r - 1


def _target_sheet(session, ws, fm, result_ids) -> int:
    _header(ws, TARGET_SHEET, fm)
    kinds = [k for _, _, k in TARGET_SHEET]
    latest = (select(Realisation.indicator_id.label("iid"), func.max(Realisation.id).label("rid"))
              .group_by(Realisation.indicator_id).subquery())
    stmt = (
        select(Employee.nip, Employee.name, Target.seq, Target.description, Indicator.aspect, Indicator.description,
               _f(Indicator.target_value), Indicator.unit_label, Indicator.lower_is_better, Indicator.formula_code,
               _f(Realisation.value), Realisation.evidence_url, Realisation.evidence_note, Realisation.feedback)
        .select_from(WorkPlan)
        .join(Employee, Employee.id == WorkPlan.employee_id)
        .join(Target, Target.work_plan_id == WorkPlan.id)
        .join(Indicator, Indicator.target_id == Target.id)
        .outerjoin(latest, latest.c.iid == Indicator.id)
        .outerjoin(Realisation, Realisation.id == latest.c.rid)
        .where(WorkPlan.id.in_(select(ScoreResult.work_plan_id).where(ScoreResult.id.in_(result_ids))))
        .order_by(WorkPlan.id, Target.seq, Indicator.id)
    )
    aspects = TARGET_ASPECTS
    r = 1
    for part in _stream(session, stmt).partitions(BATCH):
        rows = []
        for (nip, name, seq, rhk, aspect, ind, target, unit_label, lower, formula, real, url, note,
             feedback) in part:
            achievement = None
            if real is not None and target:
                ratio = real / target
                achievement = (2 - ratio) * 100 if lower else ratio * 100
            evidence = " ".join(x for x in (url, note) if x) or None
            rows.append((nip, name, seq, rhk, aspects.get(aspect, aspect), ind, target, unit_label,
                         "Makin kecil makin baik" if lower else "Makin besar makin baik", formula, real,
                         achievement, evidence, feedback))
        r = write_rows(ws, r, rows, kinds, fm)
    _finish(ws, TARGET_SHEET, r)
    return r - 1


def _details(session, period):
    """(result_id, role, aspect_id, average, raters): the behaviour details behind the period's results."""
    if period.scheme_id is None:
        return select(ScoreDetail.result_id, ScoreDetail.role, ScoreDetail.aspect_id, ScoreDetail.average,
                      ScoreDetail.raters).subquery("details")
    from kinerja_admin.scoring.engine import details_source

    return details_source(session, period)


def _behaviour_sheet(session, ws, fm, period, result_ids) -> int:
    _header(ws, BEHAVIOUR_SHEET, fm)
    det = _details(session, period)
    kinds = [k for _, _, k in BEHAVIOUR_SHEET]
    stmt = (
        select(Employee.nip, Employee.name, det.c.role, BehaviourAspect.code, BehaviourAspect.name,
               _f(det.c.average), det.c.raters)
        .select_from(det)
        .join(ScoreResult, ScoreResult.id == det.c.result_id)
        .join(Employee, Employee.id == ScoreResult.employee_id)
        .join(BehaviourAspect, BehaviourAspect.id == det.c.aspect_id)
        .where(det.c.result_id.in_(result_ids))
        .order_by(det.c.result_id, det.c.role, BehaviourAspect.seq)
    )
    roles = RATER_ROLES
    r = 1
    for part in _stream(session, stmt).partitions(BATCH):
        rows = [(nip, name, roles.get(role, role), code, aname, avg, raters)
                for nip, name, role, code, aname, avg, raters in part]
        r = write_rows(ws, r, rows, kinds, fm)
    _finish(ws, BEHAVIOUR_SHEET, r)
    return r - 1


def _num(v) -> float | None:
    return None if v is None else float(v)


def _rules_sheet(ws, fm, scheme) -> None:
    """Everything needed to recompute a result by hand, as key/value sections."""
    ws.set_column(0, 0, 30)
    ws.set_column(1, 6, 18)
    ws.set_column(7, 7, 50)
    r = 0

    def section(title: str, header: list[str]) -> None:
        nonlocal r
        r += 1
        ws.write_string(r, 0, title, fm.title)
        r += 1
        for c, h in enumerate(header):
            ws.write_string(r, c, h, fm.head)

    def line(values: list) -> None:
        nonlocal r
        r += 1
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_string(r, c, "Ya" if v else "Tidak")
            elif isinstance(v, (int, float, Decimal)):
                ws.write_number(r, c, float(v), fm.num4)
            else:
                ws.write_string(r, c, str(v), fm.wrap)

    ws.write_string(0, 0, "Aturan penilaian yang dipakai periode ini", fm.title)
    if scheme is None:
        ws.write_string(2, 0, "Periode ini belum memiliki skema penilaian.")
        return
    section("Skema", ["Butir", "Nilai"])
    for k, v in [("Kode", scheme.code), ("Nama", scheme.name), ("Jenis", scheme.kind),
                 ("Dasar hukum", scheme.regulation or "-"), ("Versi", scheme.version),
                 ("Skala nilai perilaku", f"{_num(scheme.scale_min):g} - {_num(scheme.scale_max):g}"),
                 ("Ekspresi nilai akhir", scheme.final_expression or "(jumlah bobot komponen x nilai komponen)"),
                 ("Pembulatan sebelum dibandingkan dengan rentang predikat",
                  "tidak dibulatkan" if scheme.round_decimals is None else f"{scheme.round_decimals} desimal"),
                 ("Keterangan", scheme.description or "")]:
        line([k, v])
    section("Rumus", ["Komponen", "Rumus"])
    line(["Nilai akhir", scheme.final_expression
          or " + ".join(f"{_num(w.weight):g} x {w.component}" for w in scheme.component_weights) or "-"])
    line(["Nilai perilaku", "Rerata tertimbang aspek perilaku; nilai tiap aspek = jumlah (bobot peran x rerata "
          "peran) / jumlah bobot peran yang memiliki penilai"])
    line(["Capaian indikator", "Realisasi / Target x 100 (makin besar makin baik) atau (2 - Realisasi / Target) x 100 "
          "(makin kecil makin baik); dipetakan ke nilai dengan tabel capaian di bawah"])
    line(["Nilai SKP", "Rerata nilai sasaran; nilai sasaran = rerata nilai indikatornya"])
    section("Bobot komponen", ["Komponen", "Bobot"])
    for w in scheme.component_weights:
        line([w.component, w.weight])
    section("Bobot peran penilai", ["Peran", "Bobot"])
    for w in scheme.rater_weights:
        line([RATER_ROLES.get(w.role, w.role), w.weight])
    section("Aspek perilaku", ["Kode", "Nama", "Bobot", "Urutan", "Khusus struktural", "", "", "Indikator perilaku"])
    for a in scheme.aspects:
        line([a.code, a.name, a.weight, a.seq, bool(a.structural_only), None, None,
              (a.indicators_text or "").replace("\n", " | ")])
    section("Rumus aspek sasaran", ["Aspek", "Kode rumus", "Bawaan"])
    for f in scheme.formulas:
        line([TARGET_ASPECTS.get(f.aspect, f.aspect), f.formula_code, bool(f.is_default)])
    section("Tabel capaian (capaian % -> nilai)", ["Batas bawah", "Batas atas", "Nilai dari", "Nilai sampai",
                                                   "Rentang sampai", "", "", "Rumus"])
    for b in scheme.achievement_bands:
        formula = (f"{_num(b.value_from):g}" if b.span_to is None or b.span_to == b.lower or b.value_to is None else
                   f"{_num(b.value_from):g} + (c - {_num(b.lower):g}) x ({_num(b.value_to):g} - {_num(b.value_from):g})"
                   f" / ({_num(b.span_to):g} - {_num(b.lower):g})")
        line([b.lower, b.upper, b.value_from, b.value_to, b.span_to, None, None, formula])
    section("Rentang predikat (batas bawah <= nilai < batas atas)", ["Batas bawah", "Batas atas", "Predikat",
                                                                     "Syarat inovasi", "Prioritas"])
    for b in scheme.predicate_bands:
        line([b.lower, b.upper, b.label, bool(b.requires_innovation), b.priority])
    section("Matriks predikat (perilaku x hasil kerja)", ["Perilaku", "Hasil kerja", "Predikat"])
    for c in sorted(scheme.matrix_cells, key=lambda c: (c.perilaku, c.hasil)):
        line([CATEGORIES.get(c.perilaku, c.perilaku), CATEGORIES.get(c.hasil, c.hasil), c.predicate])
    section("Ambang kategori (nilai >= batas)", ["Dimensi", "Kategori", "Batas bawah"])
    for t in scheme.category_thresholds:
        line([t.dimension, CATEGORIES.get(t.category, t.category), t.lower])
    section("Kurva distribusi per predikat organisasi", ["Predikat organisasi", "Predikat pegawai", "Minimal %",
                                                         "Maksimal %", "Minimal jumlah"])
    for d in scheme.distribution_rules:
        line([ORG_RATINGS.get(d.org_rating, d.org_rating), d.predicates.replace("|", " + "), d.min_pct, d.max_pct,
              d.min_count])


def _audit_sheet(session, ws, fm, period, result_ids, restricted) -> int:
    _header(ws, AUDIT_SHEET, fm)
    kinds = [k for _, _, k in AUDIT_SHEET]
    stmt = (select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.entity, AuditLog.entity_id,
                   AuditLog.changes, AuditLog.reason)
            .where(AuditLog.period_id == period.id).order_by(AuditLog.at, AuditLog.id))
    if restricted:
        # the trail of the records of the employees whose results are exported (every appraisal entity:
        # plans, targets, indicators, realisations, ratings, results, objections) and of the period itself
        subjects = select(ScoreResult.employee_id).where(ScoreResult.id.in_(result_ids))
        stmt = stmt.where(or_(AuditLog.entity == "period", AuditLog.subject_id.in_(subjects)))
    r = 1
    for part in _stream(session, stmt).partitions(BATCH):
        rows = []
        for at, username, action, entity, entity_id, changes, reason in part:
            text = json.dumps(changes, ensure_ascii=False, default=str) if changes else None
            if text and len(text) > 32000:
                text = text[:32000] + "..."
            rows.append((at, username, action, entity, entity_id, text, reason))
        r = write_rows(ws, r, rows, kinds, fm)
    _finish(ws, AUDIT_SHEET, r)
    return r - 1
