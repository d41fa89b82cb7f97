"""The master-data workbook layout (shared by the template, the importer and its error report).

Sheets Unit, Jabatan and Pegawai each have a header row (row 1) and one record per row. Headers
are matched case-insensitively, ignoring a trailing ``*`` (required marker), so a clerk may reorder
columns; a missing required header or a renamed sheet is reported with a clear message.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import xlsxwriter
from sqlalchemy import select

from models import PositionKind, Rank, Unit, db
from models.base import EMPLOYEE_TYPES

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    kind: str = "text"  # text | bool | nip | number (read by kinerja_admin.numbers)
    width: int = 20
    help: str = ""


UNIT_COLUMNS = (
    Column("code", "Kode Unit", True, width=16, help="Kode unik unit kerja, mis. DINKES"),
    Column("name", "Nama Unit", True, width=48),
    Column("kind", "Jenis Unit", False, width=16, help="Dinas, Badan, Bidang, Seksi, ... (bawaan: OPD)"),
    Column("parent_code", "Kode Unit Induk", False, width=18, help="Kosong untuk OPD (unit teratas)"),
    Column("public_facing", "Melayani Publik", False, "bool", 16, help="Ya / Tidak"),
)
POSITION_COLUMNS = (
    Column("unit_code", "Kode Unit", True, width=16),
    Column("name", "Nama Jabatan", True, width=44, help="Unik per unit kerja"),
    Column("kind", "Jenis Jabatan", True, width=22, help="Kode jenis jabatan dari daftar"),
    Column("parent_unit_code", "Kode Unit Jabatan Atasan", False, width=24),
    Column("parent_name", "Nama Jabatan Atasan", False, width=40),
)
EMPLOYEE_COLUMNS = (
    Column("nip", "NIP", True, "nip", 22, help="18 digit sebagai TEKS, mis. 196711101992031001"),
    Column("name", "Nama", True, width=36),
    Column("employee_type", "Jenis Pegawai", True, width=14, help="PNS / PPPK"),
    Column("rank", "Pangkat/Golongan", False, width=18, help="Kode golongan: III/a (PNS) atau IX (PPPK)"),
    Column("unit_code", "Kode Unit", True, width=16),
    Column("position", "Nama Jabatan", False, width=40, help="Jabatan pada unit pegawai"),
    Column("superior_nip", "NIP Atasan", False, "nip", 22, help="NIP atasan langsung (teks)"),
    Column("email", "Surel", False, width=28),
    Column("active", "Aktif", False, "bool", 8, help="Ya / Tidak (bawaan: Ya)"),
)

SHEETS: dict[str, tuple[Column, ...]] = {
    "Unit": UNIT_COLUMNS,
    "Jabatan": POSITION_COLUMNS,
    "Pegawai": EMPLOYEE_COLUMNS,
}
INSTRUCTIONS_SHEET = "Petunjuk"
REFERENCE_SHEET = "Referensi"
MAX_TEMPLATE_ROWS = 5000  # rows pre-formatted (text NIP, validation lists); data may go further

INSTRUCTIONS = [
    "Petunjuk pengisian impor data induk e-Kinerja",
    "",
    "1. Isi lembar Unit, Jabatan dan Pegawai mulai baris 2. Jangan mengganti nama lembar atau judul kolom.",
    "2. Kolom bertanda * wajib diisi. Urutan kolom boleh diubah; kolom tambahan diabaikan.",
    "3. NIP diketik sebagai TEKS 18 digit (kolom sudah berformat teks). Jangan biarkan Excel mengubahnya "
    "menjadi angka (1,96711E+17): nilai seperti itu ditolak.",
    "4. Jangan memakai rumus; isi nilai saja. Sel berisi rumus ditolak.",
    "5. Unit, jabatan dan atasan boleh merujuk data yang sudah ada di sistem atau baris lain dalam berkas ini.",
    "6. NIP yang sudah terdaftar berarti data pegawai tersebut diperbarui (bukan dibuat ganda). "
    "Mengimpor berkas yang sama dua kali tidak mengubah apa pun.",
    "7. Semua baris diperiksa lebih dulu. Bila ada satu kesalahan saja, tidak ada data yang disimpan; "
    "perbaiki kesalahan sesuai daftar (lembar, baris, kolom) lalu impor ulang.",
    "8. Baris kosong diabaikan; pembacaan berhenti setelah banyak baris kosong berturut-turut.",
    "9. Gunakan 'uji coba' (dry run) untuk melihat jumlah data yang akan dibuat, diubah dan tetap.",
]


def normal_header(text) -> str:
    return " ".join(str(text or "").replace("*", " ").split()).lower()


def start_template(wb, title: str, instructions_sheet: str, instructions, sheets) -> dict:
    """The start every import template shares: properties, the formats of its headers and cells, and
    the instructions sheet listing each sheet's columns (required ones marked). Returns the formats."""
    wb.set_properties({"title": title, "company": "BKPSDM"})
    fmt = {"bold": wb.add_format({"bold": True}),
           "title": wb.add_format({"bold": True, "font_size": 14}),
           "head_req": wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1}),
           "head_opt": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
           "text": wb.add_format({"num_format": "@"}),
           "date": wb.add_format({"num_format": "dd/mm/yyyy"})}
    ws = wb.add_worksheet(instructions_sheet)
    ws.set_column(0, 0, 110)
    for i, line in enumerate(instructions):
        ws.write_string(i, 0, line, fmt["title"] if i == 0 else None)
    row = len(instructions) + 1
    ws.write_string(row, 0, "Kolom per lembar:", fmt["bold"])
    for sheet, cols in sheets.items():
        for col in cols:
            row += 1
            mark = " (wajib)" if col.required else ""
            ws.write_string(row, 0, f"{sheet} / {col.header}{mark}: {col.help}".rstrip(": "))
    return fmt


def build_template(session=None) -> bytes:
    """The downloadable template: instructions, three data sheets, validation lists."""
    session = session or db.session
    ranks = list(session.execute(select(Rank.employee_type, Rank.code, Rank.name).order_by(
        Rank.employee_type, Rank.order)))
    kinds = list(session.execute(select(PositionKind.code, PositionKind.name).order_by(PositionKind.level)))
    units = list(session.scalars(select(Unit.code).order_by(Unit.code)))

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    formats = start_template(wb, "Templat impor data induk e-Kinerja", INSTRUCTIONS_SHEET, INSTRUCTIONS, SHEETS)
    bold, head_req, head_opt, text_fmt = formats["bold"], formats["head_req"], formats["head_opt"], formats["text"]

    ref = wb.add_worksheet(REFERENCE_SHEET)
    ref.write_row(0, 0, ["Jenis Pegawai", "Golongan PNS", "Golongan PPPK", "Jenis Jabatan", "Ya/Tidak",
                         "Kode Unit (sistem)"], bold)
    lists = {
        0: list(EMPLOYEE_TYPES),
        1: [code for t, code, _ in ranks if t == "PNS"],
        2: [code for t, code, _ in ranks if t == "PPPK"],
        3: [code for code, _ in kinds],
        4: ["Ya", "Tidak"],
        5: units,
    }
    for c, values in lists.items():
        for r, v in enumerate(values, start=1):
            ref.write_string(r, c, v)
    ref.set_column(0, 5, 20)

    def ref_range(col: int) -> str:
        letter = chr(ord("A") + col)
        n = max(len(lists[col]), 1)
        return f"={REFERENCE_SHEET}!${letter}$2:${letter}${n + 1}"

    all_ranks = ref_range(1)
    validations = {
        ("Pegawai", "employee_type"): ref_range(0),
        ("Pegawai", "active"): ref_range(4),
        ("Unit", "public_facing"): ref_range(4),
        ("Jabatan", "kind"): ref_range(3),
    }
    for sheet, cols in SHEETS.items():
        ws = wb.add_worksheet(sheet)
        ws.freeze_panes(1, 0)
        for c, col in enumerate(cols):
            ws.write_string(0, c, col.header + (" *" if col.required else ""),
                            head_req if col.required else head_opt)
            ws.set_column(c, c, col.width, text_fmt if col.kind in ("nip", "text") else None)
            if col.help:
                ws.write_comment(0, c, col.help)
            source = validations.get((sheet, col.key))
            if source:
                ws.data_validation(1, c, MAX_TEMPLATE_ROWS, c, {
                    "validate": "list", "source": source, "error_type": "warning",
                    "error_title": "Nilai tidak ada di daftar", "error_message": "Pilih nilai dari daftar.",
                })
            elif sheet == "Pegawai" and col.key == "rank":
                # PNS and PPPK grades: the list shows PNS; PPPK grades are accepted (warning only)
                ws.data_validation(1, c, MAX_TEMPLATE_ROWS, c, {
                    "validate": "list", "source": all_ranks, "error_type": "information",
                    "error_title": "Golongan", "error_message": "PPPK: isi golongan I s.d. XVII.",
                })
            elif col.kind == "nip":
                ws.data_validation(1, c, MAX_TEMPLATE_ROWS, c, {
                    "validate": "length", "criteria": "==", "value": 18, "error_type": "warning",
                    "error_title": "NIP", "error_message": "NIP harus 18 digit (teks).",
                })
    wb.get_worksheet_by_name("Pegawai").activate()
    wb.close()
    return buf.getvalue()
