"""The programs workbook: performance agreements, strategic goals, programs / kegiatan / sub kegiatan
and their indicators with quarterly realisations (shared by the template, the importer and the
error report). Headers are matched case-insensitively, ignoring a trailing ``*`` (required)."""
from __future__ import annotations

import io
from dataclasses import dataclass

import xlsxwriter
from sqlalchemy import select

from kinerja_admin.excel.template import normal_header, start_template
from models import Period, PublicService, Unit, db
from models.planning import PROGRAM_LEVELS

__all__ = ["SHEETS", "build_template", "normal_header"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    kind: str = "text"  # text | number | date | bool | nip
    width: int = 18
    help: str = ""


def _base(*cols: Column) -> tuple[Column, ...]:
    return (Column("period", "Periode", True, width=10, help="Kode periode, mis. 2025"),
            Column("opd", "Kode OPD", True, width=14, help="Kode unit teratas (perangkat daerah), mis. DINKES"),
            *cols)


AGREEMENT = "Perjanjian Kinerja"
GOAL = "Sasaran"
PROGRAM = "Program"
INDICATOR = "Indikator"

SHEETS: dict[str, tuple[Column, ...]] = {
    AGREEMENT: _base(
        Column("signed_on", "Tanggal Penandatanganan", False, "date", 16, "Tanggal (format tanggal Excel)"),
        Column("signatory", "NIP Kepala", False, "nip", 22, "NIP kepala perangkat daerah (teks 18 digit)"),
        Column("note", "Catatan", False, width=40)),
    GOAL: _base(
        Column("code", "Kode Sasaran", True, width=14, help="Unik per perjanjian, mis. SS1"),
        Column("description", "Uraian Sasaran Strategis", True, width=60)),
    PROGRAM: _base(
        Column("level", "Tingkat", True, width=14, help="Program / Kegiatan / Sub Kegiatan"),
        Column("code", "Kode", True, width=22, help="Kode nomenklatur, mis. 1.02.02 atau 1.02.02.2.01"),
        Column("name", "Nama", True, width=60),
        Column("parent", "Kode Induk", False, width=22, help="Kegiatan: kode program; sub kegiatan: kode kegiatan"),
        Column("goal", "Kode Sasaran", False, width=14, help="Sasaran strategis yang didukung (program)"),
        Column("budget_ceiling", "Pagu Anggaran", False, "number", 18, "Rupiah"),
        Column("budget_realised", "Realisasi Anggaran", False, "number", 18, "Rupiah")),
    INDICATOR: _base(
        Column("code", "Kode Indikator", True, width=16, help="Unik per OPD dan periode; sama antarperiode untuk tren"),
        Column("goal", "Kode Sasaran", False, width=14, help="Isi untuk IKU (indikator sasaran strategis)"),
        Column("program", "Kode Program/Kegiatan", False, width=22, help="Isi untuk indikator program/kegiatan/"
                                                                          "sub kegiatan (bukan keduanya)"),
        Column("description", "Uraian Indikator", True, width=60),
        Column("unit_label", "Satuan", False, width=12),
        Column("target_value", "Target", True, "number", 12),
        Column("lower_is_better", "Makin Kecil Makin Baik", False, "bool", 12, "Ya / Tidak (bawaan: Tidak)"),
        Column("weight", "Bobot", False, "number", 8, "Kosong = 1"),
        Column("service", "Kode Layanan", False, width=18, help="Kode layanan publik terkait (untuk IKM)"),
        *[Column(f"q{q}", f"Realisasi TW {r}", False, "number", 12, f"Realisasi kumulatif s.d. triwulan {r}")
          for q, r in ((1, "I"), (2, "II"), (3, "III"), (4, "IV"))]),
}
LEVEL_WORDS = {normal_header(label): code for code, label in PROGRAM_LEVELS.items()} | {
    "subkegiatan": "subkegiatan", "sub-kegiatan": "subkegiatan"}

INSTRUCTIONS = [
    "Petunjuk pengisian impor program dan indikator kinerja organisasi",
    "",
    "1. Isi lembar Perjanjian Kinerja, Sasaran, Program dan Indikator mulai baris 2. Jangan mengganti nama "
    "lembar atau judul kolom; urutan kolom boleh diubah.",
    "2. Setiap baris menyebut Periode (kode, mis. 2025) dan Kode OPD (unit teratas, mis. DINKES).",
    "3. Program berjenjang: Program > Kegiatan > Sub Kegiatan. Kegiatan menyebut kode program induknya, sub "
    "kegiatan menyebut kode kegiatan induknya. Induk boleh ada di sistem atau di berkas ini.",
    "4. Indikator milik tepat satu: sasaran strategis (IKU: isi Kode Sasaran) atau program/kegiatan/sub "
    "kegiatan (isi Kode Program/Kegiatan).",
    "5. Realisasi TW I-IV bersifat kumulatif sampai triwulan tersebut; realisasi periode adalah triwulan terakhir "
    "yang terisi. Sel kosong tidak menghapus realisasi yang sudah ada.",
    "6. Angka ditulis sebagai angka (desimal boleh dengan koma, tanpa pemisah ribuan); jangan memakai rumus.",
    "7. Data yang sudah ada dicocokkan dengan kodenya dan diperbarui; mengimpor berkas yang sama dua kali tidak "
    "mengubah apa pun. Baris yang tidak ada di berkas tidak dihapus.",
    "8. Semua baris diperiksa lebih dulu. Bila ada satu kesalahan saja, tidak ada data yang disimpan; perbaiki "
    "sesuai daftar kesalahan (lembar, baris, kolom) lalu impor ulang. Periode yang sudah ditutup tidak dapat diubah.",
]
MAX_TEMPLATE_ROWS = 2000


def build_template(session=None) -> bytes:
    session = session or db.session
    periods = list(session.scalars(select(Period.code).order_by(Period.start_date.desc())))
    opds = list(session.scalars(select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.code)))
    services = list(session.scalars(select(PublicService.slug).order_by(PublicService.slug)))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    formats = start_template(wb, "Templat impor program dan indikator kinerja organisasi", "Petunjuk",
                         INSTRUCTIONS, SHEETS)
    bold, head_req, head_opt = formats["bold"], formats["head_req"], formats["head_opt"]
    text_fmt, date_fmt = formats["text"], formats["date"]

    ref = wb.add_worksheet("Referensi")
    lists = {0: periods, 1: opds, 2: list(PROGRAM_LEVELS.values()), 3: ["Ya", "Tidak"], 4: services}
    ref.write_row(0, 0, ["Periode", "Kode OPD", "Tingkat", "Ya/Tidak", "Kode Layanan"], bold)
    for c, values in lists.items():
        for r, v in enumerate(values, start=1):
            ref.write_string(r, c, v)
    ref.set_column(0, 4, 18)

    def ref_range(col: int) -> str:
        letter = chr(ord("A") + col)
        return f"=Referensi!${letter}$2:${letter}${max(len(lists[col]), 1) + 1}"

    lists_of = {"period": 0, "opd": 1, "level": 2, "lower_is_better": 3, "service": 4}
    for sheet, cols in SHEETS.items():
        ws = wb.add_worksheet(sheet)
        ws.freeze_panes(1, 0)
        for c, col in enumerate(cols):
            ws.write_string(0, c, col.header + (" *" if col.required else ""), head_req if col.required else head_opt)
            fmt = text_fmt if col.kind in ("text", "nip") else (date_fmt if col.kind == "date" else None)
            ws.set_column(c, c, col.width, fmt)
            if col.help:
                ws.write_comment(0, c, col.help)
            if col.key in lists_of:
                ws.data_validation(1, c, MAX_TEMPLATE_ROWS, c, {
                    "validate": "list", "source": ref_range(lists_of[col.key]), "error_type": "warning",
                    "error_title": "Nilai tidak ada di daftar", "error_message": "Pilih nilai dari daftar."})
    wb.get_worksheet_by_name(PROGRAM).activate()
    wb.close()
    return buf.getvalue()
