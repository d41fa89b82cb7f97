"""The inspector workbook's sheet "Efektivitas Program": one row per organisation indicator of the
period, with values in words (never code names): target, quarterly and latest realisation, capaian,
whether it was reached, the RHKs cascading into it, the employees involved, the IKM concerned and
the budget of its program node.

``effectiveness_rows`` yields the header then the rows (plain Python values: str, Decimal, int, None);
``write_effectiveness_sheet`` writes them into an xlsxwriter workbook (constant_memory safe: rows in
order). The row scope of ``user`` applies (an OPD's people: their OPD only).
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from kinerja_admin.scope import is_unscoped, user_opd_id
from models import Period, db
from models.planning import QUARTERS

from .effectiveness import indicator_rows

SHEET_NAME = "Efektivitas Program"
HEADER = ["Periode", "Perangkat Daerah", "Jenis Indikator", "Sasaran / Program / Kegiatan", "Kode Indikator",
          "Indikator", "Satuan", "Bobot", "Target", *[f"Realisasi {QUARTERS[q]}" for q in QUARTERS],
          "Realisasi Terakhir", "Capaian (%)", "Status Capaian", "RHK Terhubung", "RHK dengan Realisasi",
          "Capaian RHK (%)", "Pegawai Terlibat", "IKM", "Responden IKM", "Lingkup IKM", "Pagu Anggaran (Rp)",
          "Realisasi Anggaran (Rp)"]
# column kinds for the writer: t text, n number (2 decimals), i integer
KINDS = ["t", "t", "t", "t", "t", "t", "t", "n", "n", "n", "n", "n", "n", "n", "n", "t", "i", "i", "n", "i", "n",
         "i", "t", "n", "n"]
assert len(KINDS) == len(HEADER)


def status_label(reached: bool | None) -> str:
    if reached is None:
        return "Belum ada realisasi"
    return "Tercapai" if reached else "Belum tercapai"


def _parent_label(indicator) -> str:
    if indicator.goal is not None:
        return f"{indicator.goal.code} {indicator.goal.description}"
    if indicator.program is not None:
        return f"{indicator.program.code} {indicator.program.name}"
    return ""


def effectiveness_rows(session, period: Period, user=None) -> Iterator[list]:
    """The header, then one list of values per organisation indicator (OPD, then code)."""
    yield list(HEADER)
    opd_ids = None
    if user is not None and not is_unscoped(user):
        own = user_opd_id(user)
        opd_ids = {own} if own is not None else set()
    rows = indicator_rows(session, period, opd_ids)
    rows.sort(key=lambda r: ((r.indicator.unit.name if r.indicator.unit else ""), r.indicator.code))
    for r in rows:
        ind = r.indicator
        program = ind.program
        yield [
            period.code, ind.unit.name if ind.unit else "", r.kind_label, _parent_label(ind), ind.code,
            ind.description, ind.unit_label or "", ind.weight if ind.weight is not None else Decimal(1),
            ind.target_value, *[r.quarters.get(q) for q in QUARTERS], r.realisation, r.capaian,
            status_label(r.reached), r.figures.rhk, r.figures.rhk_with_data, r.figures.achievement,
            r.figures.employees, r.ikm.value, r.ikm.responses, f"IKM {r.ikm_scope}",
            program.budget_ceiling if program is not None else None,
            program.budget_realised if program is not None else None,
        ]


def write_effectiveness_sheet(workbook, period: Period, *, session=None, user=None, name: str = SHEET_NAME) -> int:
    """Add the sheet to an xlsxwriter workbook and fill it; returns the number of indicator rows."""
    session = session or db.session
    ws = workbook.add_worksheet(name)
    head = workbook.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "text_wrap": True,
                                "valign": "top", "border": 1})
    num = workbook.add_format({"num_format": "#,##0.00"})
    integer = workbook.add_format({"num_format": "0"})
    widths = [9, 34, 22, 44, 14, 50, 12, 8, 12, 12, 12, 12, 12, 12, 11, 20, 10, 10, 11, 10, 9, 10, 22, 18, 18]
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    r = 0
    for r, values in enumerate(effectiveness_rows(session, period, user)):
        if r == 0:
            for c, label in enumerate(values):
                ws.write_string(0, c, label, head)
            ws.freeze_panes(1, 0)
            continue
        for c, (value, kind) in enumerate(zip(values, KINDS)):
            if value is None:
                continue
            if kind == "t":
                ws.write_string(r, c, str(value))
            elif kind == "i":
                ws.write_number(r, c, int(value), integer)
            else:
                ws.write_number(r, c, float(value), num)
    ws.autofilter(0, 0, max(r, 1), len(HEADER) - 1)
    return r
