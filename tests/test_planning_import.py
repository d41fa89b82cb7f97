"""The programs workbook: template, all-or-nothing import with every kind of error reported by
sheet / row / column, upserts by code (re-import changes nothing), dry run, closed periods, audit."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from kinerja_admin.planning.importer import import_programs
from kinerja_admin.planning.template import SHEETS, build_template
from models import (
    AuditLog,
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
from tests.conftest import csrf_from, login_as

D = Decimal
HEADERS = {sheet: {c.key: c.header for c in cols} for sheet, cols in SHEETS.items()}


def _setup():
    s = db.session
    p = Period(code="2030", name="Periode 2030", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31),
               status="planning")
    old = Period(code="2029", name="Periode 2029", start_date=dt.date(2029, 1, 1), end_date=dt.date(2029, 12, 31),
                 status="closed")
    opd = Unit(code="DINAS-X", name="Dinas X", public_facing=True)
    other = Unit(code="DINAS-Y", name="Dinas Y", public_facing=True)
    s.add_all([p, old, opd, other])
    s.flush()
    s.add(Unit(code="DINAS-X-B1", name="Bidang X", parent_id=opd.id))
    s.add(PublicService(unit_id=opd.id, name="Layanan X", slug="layanan-x"))
    s.add(PublicService(unit_id=other.id, name="Layanan Y", slug="layanan-y"))
    s.add(Employee(nip="197001012000031001", name="Kepala X", unit_id=opd.id, employee_type="PNS"))
    s.commit()


def good_rows():
    return {
        "Perjanjian Kinerja": [{"period": "2030", "opd": "DINAS-X", "signed_on": dt.date(2030, 1, 31),
                                "signatory": "197001012000031001"}],
        "Sasaran": [{"period": "2030", "opd": "DINAS-X", "code": "SS1", "description": "Meningkatnya layanan"}],
        "Program": [
            {"period": "2030", "opd": "DINAS-X", "level": "Program", "code": "1.02.02", "name": "Program Pelayanan",
             "goal": "SS1", "budget_ceiling": 1000000, "budget_realised": 900000},
            {"period": "2030", "opd": "DINAS-X", "level": "Kegiatan", "code": "1.02.02.2.01", "name": "Kegiatan A",
             "parent": "1.02.02"},
            {"period": "2030", "opd": "DINAS-X", "level": "Sub Kegiatan", "code": "1.02.02.2.01.0001",
             "name": "Sub Kegiatan A", "parent": "1.02.02.2.01", "budget_ceiling": "250000,50"},
        ],
        "Indikator": [
            {"period": "2030", "opd": "DINAS-X", "code": "IKU-1", "goal": "SS1", "description": "IKM layanan",
             "unit_label": "indeks", "target_value": 80, "q4": 82.5, "service": "layanan-x"},
            {"period": "2030", "opd": "DINAS-X", "code": "P-1", "program": "1.02.02", "description": "Persentase",
             "unit_label": "%", "target_value": 90, "weight": 2, "q1": 40, "q2": "70,5"},
            {"period": "2030", "opd": "DINAS-X", "code": "K-1", "program": "1.02.02.2.01",
             "description": "Waktu layanan", "unit_label": "hari", "target_value": 5, "lower_is_better": "Ya"},
        ],
    }


def workbook(rows, *, drop_sheet=None, drop_header=None, formula=None) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, cols in SHEETS.items():
        if sheet == drop_sheet:
            continue
        ws = wb.create_sheet(sheet)
        keys = [c.key for c in cols if (sheet, c.key) != drop_header]
        ws.append([HEADERS[sheet][k] + (" *" if next(c for c in cols if c.key == k).required else "") for k in keys])
        for r in rows.get(sheet, []):
            ws.append([r.get(k) for k in keys])
    if formula:
        sheet, row, key, text = formula
        ws = wb[sheet]
        col = [c.key for c in SHEETS[sheet]].index(key) + 1
        ws.cell(row=row, column=col, value=text)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def counts():
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in
            (PerformanceAgreement, StrategicGoal, Program, OrgIndicator, OrgRealisation)}


def test_template_has_every_sheet_and_header(app):
    _setup()
    wb = openpyxl.load_workbook(io.BytesIO(build_template(db.session)))
    for sheet, cols in SHEETS.items():
        header = [c.value for c in wb[sheet][1]]
        assert header == [c.header + (" *" if c.required else "") for c in cols]
    assert "DINAS-X" in [c.value for c in wb["Referensi"]["B"]]


def test_import_writes_everything_and_reimport_changes_nothing(app):
    _setup()
    report = import_programs(workbook(good_rows()), filename="program.xlsx")
    assert report.ok, [str(e) for e in report.errors]
    db.session.commit()
    assert counts() == {"performance_agreement": 1, "strategic_goal": 1, "program": 3, "org_indicator": 3,
                        "org_realisation": 3}
    assert report.counts["Program"]["created"] == 3 and report.counts["Realisasi"]["created"] == 3
    sub = db.session.scalar(select(Program).where(Program.code == "1.02.02.2.01.0001"))
    assert sub.level == "subkegiatan" and sub.parent.code == "1.02.02.2.01" and sub.budget_ceiling == D("250000.50")
    p1 = db.session.scalar(select(OrgIndicator).where(OrgIndicator.code == "P-1"))
    assert (p1.weight, p1.program.code, p1.unit.code, p1.period.code) == (D(2), "1.02.02", "DINAS-X", "2030")
    assert {r.quarter: r.value for r in p1.realisations} == {1: D(40), 2: D("70.5")}
    k1 = db.session.scalar(select(OrgIndicator).where(OrgIndicator.code == "K-1"))
    assert k1.lower_is_better is True and k1.weight is None
    agreement = db.session.scalar(select(PerformanceAgreement))
    assert agreement.signatory.name == "Kepala X" and agreement.signed_on == dt.date(2030, 1, 31)
    # every row written is in the audit trail, plus one summary row
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "org_indicator", AuditLog.action == "insert")) == 3
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "planning_excel")) == 1

    again = import_programs(workbook(good_rows()))
    assert again.ok and all(c["created"] == 0 and c["updated"] == 0 for c in again.counts.values())
    db.session.commit()
    changed = good_rows()
    changed["Indikator"][1]["target_value"] = 95
    changed["Indikator"][1]["q2"] = 75
    report = import_programs(workbook(changed))
    assert report.ok and report.counts["Indikator"]["updated"] == 1 and report.counts["Realisasi"]["updated"] == 1
    db.session.commit()
    db.session.expire_all()
    p1 = db.session.scalar(select(OrgIndicator).where(OrgIndicator.code == "P-1"))
    assert p1.target_value == D(95) and {r.quarter: r.value for r in p1.realisations} == {1: D(40), 2: D(75)}


def test_dry_run_counts_but_writes_nothing(app):
    _setup()
    report = import_programs(workbook(good_rows()), dry_run=True)
    assert report.ok and not report.written and report.counts["Indikator"]["created"] == 3
    db.session.rollback()
    assert counts() == {"performance_agreement": 0, "strategic_goal": 0, "program": 0, "org_indicator": 0,
                        "org_realisation": 0}


def _errors(rows=None, **kw):
    report = import_programs(workbook(rows or good_rows(), **kw))
    db.session.rollback()
    assert not report.ok and not report.written
    assert counts()["org_indicator"] == 0 and counts()["program"] == 0  # all or nothing
    return [(e.sheet, e.row, e.column, e.message) for e in report.errors]


def _mutate(sheet, index, **changes):
    rows = good_rows()
    rows[sheet][index].update(changes)
    return rows


@pytest.mark.parametrize("sheet, index, changes, column, message", [
    ("Program", 0, {"period": None}, "Periode", "wajib diisi"),
    ("Program", 0, {"period": "1999"}, "Periode", "Periode 1999 tidak ditemukan"),
    ("Program", 0, {"opd": "TIDAK-ADA"}, "Kode OPD", "tidak ditemukan"),
    ("Program", 0, {"opd": "DINAS-X-B1"}, "Kode OPD", "bukan perangkat daerah"),
    ("Program", 0, {"level": "Bidang"}, "Tingkat", "Program, Kegiatan atau Sub Kegiatan"),
    ("Program", 1, {"parent": None}, "Kode Induk", "wajib menyebut kode program induknya"),
    ("Program", 1, {"parent": "9.99"}, "Kode Induk", "tidak ditemukan"),
    ("Program", 2, {"parent": "1.02.02"}, "Kode Induk", "harus sebuah kegiatan, bukan program"),
    ("Program", 0, {"parent": "1.02.02.2.01"}, "Kode Induk", "Program tidak berinduk"),
    ("Program", 0, {"goal": "SS9"}, "Kode Sasaran", "Sasaran SS9 tidak ditemukan"),
    ("Program", 0, {"budget_ceiling": -5}, "Pagu Anggaran", "tidak boleh negatif"),
    ("Program", 0, {"budget_realised": 2000000}, "Realisasi Anggaran", "melebihi pagu"),
    ("Program", 0, {"budget_ceiling": "satu juta"}, "Pagu Anggaran", "harus berupa angka"),
    ("Program", 0, {"name": "x" * 301}, "Nama", "paling panjang 300"),
    ("Program", 0, {"code": dt.date(2030, 1, 1)}, "Kode", "tanggal"),
    ("Sasaran", 0, {"opd": "DINAS-Y"}, "Kode OPD", "Perjanjian kinerja DINAS-Y periode 2030 belum ada"),
    ("Sasaran", 0, {"description": None}, "Uraian Sasaran Strategis", "wajib diisi"),
    ("Perjanjian Kinerja", 0, {"signatory": "196001012000031999"}, "NIP Kepala", "tidak ditemukan"),
    ("Perjanjian Kinerja", 0, {"signatory": 197001012000031001.0}, "NIP Kepala", "bukan angka"),
    ("Perjanjian Kinerja", 0, {"signed_on": "besok"}, "Tanggal Penandatanganan", "harus berupa tanggal"),
    ("Indikator", 0, {"program": "1.02.02"}, "Kode Sasaran", "Isi tepat satu"),
    ("Indikator", 1, {"program": None}, "Kode Sasaran", "Isi tepat satu"),
    ("Indikator", 1, {"program": "7.77"}, "Kode Program/Kegiatan", "tidak ditemukan"),
    ("Indikator", 0, {"goal": "SS2"}, "Kode Sasaran", "Sasaran SS2 tidak ditemukan"),
    ("Indikator", 1, {"target_value": -1}, "Target", "tidak boleh negatif"),
    ("Indikator", 1, {"target_value": None}, "Target", "wajib diisi"),
    ("Indikator", 1, {"q3": -2}, "Realisasi TW III", "tidak boleh negatif"),
    ("Indikator", 1, {"weight": 0}, "Bobot", "lebih dari 0"),
    ("Indikator", 2, {"lower_is_better": "mungkin"}, "Makin Kecil Makin Baik", "Ya atau Tidak"),
    ("Indikator", 0, {"service": "tidak-ada"}, "Kode Layanan", "tidak ditemukan"),
    ("Indikator", 0, {"service": "layanan-y"}, "Kode Layanan", "bukan milik perangkat daerah"),
])
def test_each_kind_of_row_error_is_reported_where_it_is(app, sheet, index, changes, column, message):
    _setup()
    errors = _errors(_mutate(sheet, index, **changes))
    row = index + 2
    assert any(e[0] == sheet and e[1] == row and e[2] == column and message in e[3] for e in errors), errors


def test_duplicates_in_the_file(app):
    _setup()
    rows = good_rows()
    rows["Indikator"].append(dict(rows["Indikator"][1]))
    rows["Program"].append(dict(rows["Program"][0]))
    errors = _errors(rows)
    assert ("Indikator", 5, "Kode Indikator", "Kode indikator P-1 ganda: sudah ada pada baris 3.") in errors
    assert ("Program", 5, "Kode", "Kode 1.02.02 ganda: sudah ada pada baris 2.") in errors


def test_file_level_errors(app):
    _setup()
    report = import_programs(b"bukan excel")
    assert [e.sheet for e in report.errors] == ["(berkas)"] and "bukan berkas Excel" in report.errors[0].message
    errors = _errors(drop_sheet="Sasaran")
    assert errors[0][0] == "(berkas)" and "'Sasaran' tidak ditemukan" in errors[0][3]
    errors = _errors(drop_header=("Indikator", "target_value"))
    assert errors == [("Indikator", 1, "Target", "Kolom wajib 'Target' tidak ditemukan pada baris judul. Jangan "
                                                 "mengganti atau menghapus judul kolom.")]


def test_formula_cells_are_refused(app):
    _setup()
    errors = _errors(formula=("Indikator", 3, "target_value", "=80+10"))
    assert any(e[:3] == ("Indikator", 3, "Target") and "rumus" in e[3] for e in errors), errors


def test_a_change_to_a_closed_period_is_refused(app):
    _setup()
    rows = good_rows()
    for sheet in rows.values():
        for r in sheet:
            r["period"] = "2029"
    errors = _errors(rows)
    assert any(e[0] == "Perjanjian Kinerja" and "2029 sudah ditutup" in e[3] for e in errors)


def test_program_level_cannot_change_under_its_children(app):
    _setup()
    assert import_programs(workbook(good_rows())).ok
    db.session.commit()
    rows = good_rows()
    rows["Program"][0]["level"] = "Kegiatan"
    rows["Program"][0]["parent"] = None
    report = import_programs(workbook(rows))
    db.session.rollback()
    assert any("tidak dapat diubah karena sudah memiliki" in e.message for e in report.errors)


def test_upload_page_imports_and_offers_the_error_list(app, client, demo):
    _setup()
    login_as(client, demo["users"]["operator"])
    page = client.get("/admin/impor-program/")
    assert page.status_code == 200 and "Unduh templat" in page.get_data(as_text=True)
    bad = _mutate("Indikator", 1, weight=0)
    rv = client.post("/admin/impor-program/", data={"file": (io.BytesIO(workbook(bad)), "program.xlsx"),
                                                    "csrf_token": csrf_from(page.get_data(as_text=True))},
                     content_type="multipart/form-data")
    html = rv.get_data(as_text=True)
    assert "Bobot harus lebih dari 0" in html and 'id="unduh-kesalahan"' in html
    rv = client.post("/admin/impor-program/", data={"file": (io.BytesIO(workbook(good_rows())), "program.xlsx")},
                     content_type="multipart/form-data")
    assert "Impor berhasil" in rv.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OrgIndicator).join(Unit).where(
        Unit.code == "DINAS-X")) == 3
    login_as(client, demo["users"]["pegawai"])
    assert client.post("/admin/impor-program/", data={}).status_code == 403
