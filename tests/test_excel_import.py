"""Excel master-data import: template round trip, validation of every row, all-or-nothing,
upsert by NIP (idempotent, audited), dry run, bad files, CLI and the upload page."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from kinerja_admin.excel.importer import EMPTY_RUN_LIMIT, import_workbook
from kinerja_admin.excel.template import SHEETS, build_template
from kinerja_admin.extensions import db
from models import AuditLog, Employee, Position, Unit
from tests.conftest import login_as

BOSS = "196711101992031001"
STAFF = "197001011995032002"
CLERK = "198505152010011003"
PPPK = "199001012021211001"  # digit 13 = 2: PPPK

UNITS = [["X1", "Dinas Uji", "Dinas", None, "Ya"],
         ["X1-A", "Bidang Uji A", "Bidang", "X1", "Tidak"]]
POSITIONS = [["X1", "Kepala Dinas Uji", "JPT", None, None],
             ["X1-A", "Kepala Bidang A", "ADMINISTRATOR", "X1", "Kepala Dinas Uji"],
             ["X1-A", "Pelaksana Bidang A", "PELAKSANA", None, "Kepala Bidang A"]]
EMPLOYEES = [[BOSS, "Budi Santoso", "PNS", "IV/c", "X1", "Kepala Dinas Uji", None, "budi@binjai.go.id", "Ya"],
             [STAFF, "Sari Dewi", "PNS", "IV/a", "X1-A", "Kepala Bidang A", BOSS, None, None],
             [CLERK, "Rudi Hartono", "PNS", "III/a", "X1-A", "Pelaksana Bidang A", STAFF, None, "Ya"],
             [PPPK, "Nina Lestari", "PPPK", "IX", "X1-A", "Pelaksana Bidang A", STAFF, None, None]]


def workbook(units=UNITS, positions=POSITIONS, employees=EMPLOYEES, *, from_template=True, edit=None) -> bytes:
    """A filled workbook (through the downloadable template by default), as bytes."""
    if from_template:
        wb = openpyxl.load_workbook(io.BytesIO(build_template(db.session)))
    else:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for sheet, cols in SHEETS.items():
            wb.create_sheet(sheet).append([c.header for c in cols])
    for sheet, rows in (("Unit", units), ("Jabatan", positions), ("Pegawai", employees)):
        ws = wb[sheet]
        for i, row in enumerate(rows, start=2):
            for j, v in enumerate(row, start=1):
                ws.cell(i, j, v)
    if edit:
        edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, Position, Employee, AuditLog)}


def run(data, **kw):
    report = import_workbook(data, session=db.session, **kw)
    if report.ok and not kw.get("dry_run"):
        db.session.commit()
    else:
        db.session.rollback()
    return report


def messages(report):
    return [str(e) for e in report.errors]


# --- template -------------------------------------------------------------------------------------
def test_template_has_sheets_lists_and_text_nip(app):
    wb = openpyxl.load_workbook(io.BytesIO(build_template(db.session)))
    assert wb.sheetnames == ["Petunjuk", "Referensi", "Unit", "Jabatan", "Pegawai"]
    ws = wb["Pegawai"]
    assert [c.value for c in ws[1]][:3] == ["NIP *", "Nama *", "Jenis Pegawai *"]
    # NIP column formatted as text, a validation list on the employee type and the rank
    assert ws.column_dimensions["A"].number_format == "@"
    sources = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert any("Referensi" in (f or "") for f in sources.values())
    assert "III/a" in [c.value for c in wb["Referensi"]["B"]]


# --- round trip -------------------------------------------------------------------------------------
def test_round_trip_template_fill_import(app):
    before = counts()
    report = run(workbook())
    assert report.ok, messages(report)
    assert report.counts == {"Unit": {"created": 2, "updated": 0, "unchanged": 0},
                             "Jabatan": {"created": 3, "updated": 0, "unchanged": 0},
                             "Pegawai": {"created": 4, "updated": 0, "unchanged": 0}}
    after = counts()
    assert after["Employee"] - before["Employee"] == 4
    sari = db.session.scalar(select(Employee).where(Employee.nip == STAFF))
    assert sari.superior.nip == BOSS and sari.unit.code == "X1-A" and sari.rank.code == "IV/a"
    assert sari.position.name == "Kepala Bidang A" and sari.position.parent.name == "Kepala Dinas Uji"
    assert db.session.scalar(select(Unit).where(Unit.code == "X1-A")).parent.code == "X1"
    nina = db.session.scalar(select(Employee).where(Employee.nip == PPPK))
    assert nina.employee_type == "PPPK" and nina.rank.code == "IX" and nina.superior.nip == STAFF
    # every created record is audited
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "employee",
                                                                              AuditLog.action == "insert")) == 4


def test_reimport_same_file_changes_nothing(app):
    data = workbook()
    assert run(data).ok
    before = counts()
    report = run(data)
    assert report.ok
    assert all(c["created"] == 0 and c["updated"] == 0 for c in report.counts.values())
    assert report.counts["Pegawai"]["unchanged"] == 4
    assert counts() == before  # not even an audit row


def test_changed_row_updates_and_is_audited(app):
    assert run(workbook()).ok
    rows = [list(r) for r in EMPLOYEES]
    rows[2][1] = "Rudi Hartono, S.E."
    rows[2][3] = "III/b"
    report = run(workbook(employees=rows))
    assert report.ok
    assert report.counts["Pegawai"] == {"created": 0, "updated": 1, "unchanged": 3}
    rudi = db.session.scalar(select(Employee).where(Employee.nip == CLERK))
    assert rudi.name == "Rudi Hartono, S.E." and rudi.rank.code == "III/b"
    log = db.session.scalar(select(AuditLog).where(AuditLog.entity == "employee", AuditLog.action == "update"))
    assert log.entity_id == str(rudi.id)
    assert log.changes["name"] == ["Rudi Hartono", "Rudi Hartono, S.E."]
    assert "Impor Excel" in log.reason


def test_dry_run_counts_and_writes_nothing(app):
    before = counts()
    report = run(workbook(), dry_run=True)
    assert report.ok and not report.written
    assert report.counts["Pegawai"]["created"] == 4 and report.counts["Unit"]["created"] == 2
    assert counts() == before
    assert run(workbook()).ok
    rows = [list(r) for r in EMPLOYEES] + [["198001012005011004", "Baru", "PNS", "III/c", "X1", None, BOSS, None, None]]
    rows[0][1] = "Budi Santoso, M.Si."
    report = run(workbook(employees=rows), dry_run=True)
    assert report.counts["Pegawai"] == {"created": 1, "updated": 1, "unchanged": 3}
    assert db.session.scalar(select(Employee.name).where(Employee.nip == BOSS)) == "Budi Santoso"


def test_upsert_against_existing_database_employee(app, demo):
    existing = demo["employees"][5]
    rows = [[existing.nip, existing.name + " (ubah)", existing.employee_type, existing.rank.code if existing.rank else None,
             existing.unit.code, existing.position.name if existing.position else None,
             existing.superior.nip if existing.superior else None, None, "Ya"]]
    n = counts()["Employee"]
    report = run(workbook(units=[], positions=[], employees=rows))
    assert report.ok, messages(report)
    assert report.counts["Pegawai"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert counts()["Employee"] == n
    db.session.refresh(existing)
    assert existing.name.endswith("(ubah)")


# --- validation: nothing is written, a clear message per sheet/row/column ---------------------------
def _assert_rejected(data, *needles, sheet="Pegawai"):
    before = counts()
    report = run(data)
    assert not report.ok and not report.written
    text = "\n".join(messages(report))
    for needle in needles:
        assert needle in text, text
    assert counts() == before, "nothing may be written when any row is wrong"
    return report


def test_invalid_nip_rejects_the_whole_file(app):
    rows = [list(r) for r in EMPLOYEES]
    rows[3][0] = "19900101202121100"  # 17 digits
    report = _assert_rejected(workbook(employees=rows), "NIP harus 18 digit")
    err = report.errors[0]
    assert (err.sheet, err.row, err.column) == ("Pegawai", 5, "NIP")


def test_nip_typed_as_number_is_refused(app):
    rows = [list(r) for r in EMPLOYEES]
    rows[2][0] = float(CLERK)
    _assert_rejected(workbook(employees=rows), "bukan angka")


def test_duplicate_nip_in_file(app):
    rows = [list(r) for r in EMPLOYEES] + [list(EMPLOYEES[1])]
    _assert_rejected(workbook(employees=rows), f"NIP {STAFF} ganda: sudah ada pada baris 3")


def test_unknown_rank_unit_position_and_superior(app):
    rows = [list(r) for r in EMPLOYEES]
    rows[1][3] = "V/z"
    rows[2][4] = "TIDAKADA"
    rows[3][5] = "Jabatan Fiktif"
    rows[0][6] = "197501012000011999"
    _assert_rejected(workbook(employees=rows), "Pangkat/golongan 'V/z' tidak ada", "Unit dengan kode TIDAKADA",
                     "Jabatan 'Jabatan Fiktif' tidak ditemukan", "Atasan dengan NIP 197501012000011999 tidak ditemukan")


def test_rank_of_the_other_employee_type(app):
    rows = [list(r) for r in EMPLOYEES]
    rows[3][3] = "III/a"  # a PNS rank on a PPPK employee
    _assert_rejected(workbook(employees=rows), "tidak berlaku untuk jenis pegawai PPPK")


def test_superior_cycle_inside_the_file(app):
    rows = [list(r) for r in EMPLOYEES]
    rows[0][6] = CLERK  # boss -> clerk -> staff -> boss
    _assert_rejected(workbook(employees=rows), "melingkar")


def test_superior_cycle_through_the_database(app):
    assert run(workbook()).ok
    # the boss (in the database: no superior) now reports to the clerk, who reports to staff -> boss
    _assert_rejected(workbook(units=[], positions=[], employees=[
        [BOSS, "Budi Santoso", "PNS", "IV/c", "X1", "Kepala Dinas Uji", CLERK, "budi@binjai.go.id", "Ya"]]), "melingkar")


def test_unit_parent_cycle_and_missing_parent(app):
    _assert_rejected(workbook(units=[["A", "Unit A", None, "B", None], ["B", "Unit B", None, "A", None],
                                     ["C", "Unit C", None, "ZZ", None]], positions=[], employees=[]),
                     "melingkar", "Unit induk dengan kode ZZ tidak ditemukan", sheet="Unit")


def test_position_references(app):
    _assert_rejected(workbook(positions=POSITIONS + [["X1", "Staf", "BUKANJENIS", None, None],
                                                     ["X1", "Staf Dua", "PELAKSANA", None, "Tidak Ada"]],
                              employees=[]),
                     "Jenis jabatan 'BUKANJENIS'", "Jabatan atasan 'Tidak Ada'", sheet="Jabatan")


def test_required_values_and_wrong_types(app):
    rows = [list(r) for r in EMPLOYEES]
    rows[1][1] = None  # name
    rows[2][8] = "mungkin"  # active flag
    rows[3][2] = "Honorer"

    def put_date(wb):
        import datetime as dt
        wb["Pegawai"]["B2"] = dt.datetime(2024, 1, 1)

    _assert_rejected(workbook(employees=rows, edit=put_date), "Nama pegawai wajib diisi", "harus diisi Ya atau Tidak",
                     "Jenis pegawai harus PNS atau PPPK", "tanggal")


def test_formula_cells_are_refused(app):
    def formula(wb):
        wb["Pegawai"]["B3"] = '=UPPER("sari dewi")'

    report = _assert_rejected(workbook(edit=formula), "rumus")
    assert any(e.row == 3 and e.column == "Nama" for e in report.errors)


def test_missing_required_header(app):
    def rename(wb):
        wb["Pegawai"]["A1"] = "Nomor Pegawai"

    _assert_rejected(workbook(edit=rename), "Kolom wajib 'NIP' tidak ditemukan pada baris judul")


def test_renamed_sheet(app):
    def rename(wb):
        wb["Pegawai"].title = "Data Pegawai"

    _assert_rejected(workbook(edit=rename), "Lembar 'Pegawai' tidak ditemukan", "Data Pegawai")


def test_columns_in_another_order_and_empty_rows_ignored(app):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, cols in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append([c.header for c in reversed(cols)])
    ws = wb["Pegawai"]
    ws.append([None] * 9)
    ws.append(["Ya", None, None, None, "KODE", "III/a", "PNS", "Tanpa Unit", CLERK])
    report = run(_save(wb))
    assert "Unit dengan kode KODE tidak ditemukan" in "\n".join(messages(report))
    assert report.errors[0].row == 3  # the empty row 2 was skipped, row numbers stay Excel's


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("payload,needle", [
    (b"NIP;Nama\n196711101992031001;Budi\n", "bukan berkas Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "dilindungi kata sandi"),
    (b"", "Berkas kosong"),
])
def test_not_an_xlsx_or_protected(app, payload, needle):
    _assert_rejected(payload, needle)


def test_corrupt_xlsx(app):
    data = workbook()
    _assert_rejected(data[: len(data) // 2], "rusak")
    # a valid zip that is not a workbook
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "bukan excel")
    _assert_rejected(buf.getvalue(), "bukan berkas Excel")


def test_a_million_empty_rows_do_not_hang(app):
    """Rows that exist but are empty (formatted) stop the reading after a run of empty rows."""
    data = workbook()
    src = zipfile.ZipFile(io.BytesIO(data))
    target = _sheet_path(src, "Pegawai")
    xml = src.read(target).decode()
    last = int(re.findall(r'<row r="(\d+)"', xml)[-1])
    filler = "".join(f'<row r="{r}"><c r="A{r}" s="0"/></row>' for r in range(last + 1, last + 1_000_001))
    xml = xml.replace("</sheetData>", filler + "</sheetData>")
    xml = re.sub(r'<dimension ref="[^"]+"/>', f'<dimension ref="A1:I{last + 1_000_000}"/>', xml)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, xml if item.filename == target else src.read(item.filename))
    report = run(out.getvalue(), dry_run=True)
    assert report.ok, messages(report)
    assert report.rows_read["Pegawai"] == 4
    assert report.counts["Pegawai"]["created"] == 4
    assert EMPTY_RUN_LIMIT < 1_000_000


def _sheet_path(zf, name):
    wbxml = zf.read("xl/workbook.xml").decode()
    rid = re.search(rf'<sheet[^>]*name="{name}"[^>]*r:id="([^"]+)"', wbxml).group(1)
    rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'<Relationship[^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    path = target.group(1).lstrip("/")
    return path if path.startswith("xl/") else "xl/" + path


# --- CLI ------------------------------------------------------------------------------------------------
def test_cli_import_dry_run_then_import(app, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(workbook())
    runner = app.test_cli_runner()
    res = runner.invoke(args=["kinerja", "import", str(path), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "Uji coba" in res.output and "Pegawai: 4 baru" in res.output
    assert db.session.scalar(select(Employee.id).where(Employee.nip == BOSS)) is None
    res = runner.invoke(args=["kinerja", "import", str(path)])
    assert res.exit_code == 0, res.output
    db.session.expire_all()
    assert db.session.scalar(select(Employee.id).where(Employee.nip == BOSS)) is not None


def test_cli_import_errors_exit_nonzero_with_error_workbook(app, tmp_path):
    rows = [list(r) for r in EMPLOYEES]
    rows[1][0] = "123"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook(employees=rows))
    errors = tmp_path / "err.xlsx"
    res = app.test_cli_runner().invoke(args=["kinerja", "import", str(path), "--errors-out", str(errors)])
    assert res.exit_code == 1
    assert "Lembar Pegawai, baris 3, kolom NIP" in res.output
    ws = openpyxl.load_workbook(errors)["Kesalahan"]
    assert [c.value for c in ws[2]][:3] == ["Pegawai", 3, "NIP"]
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 0


# --- upload page ------------------------------------------------------------------------------------------
def _operator(app):
    from models import User

    u = User(username="op_excel", role="operator", full_name="Operator Uji")
    u.set_password("Sandi#Panjang2026")
    db.session.add(u)
    db.session.commit()
    return u


def test_upload_page_dry_run_and_import(app, client):
    login_as(client, _operator(app))
    page = client.get("/admin/excel_import/")
    assert page.status_code == 200 and "Unduh templat" in page.get_data(as_text=True)
    tpl = client.get("/admin/excel_import/templat/")
    assert tpl.status_code == 200 and openpyxl.load_workbook(io.BytesIO(tpl.data)).sheetnames[-1] == "Pegawai"
    rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook()), "pegawai.xlsx"), "dry_run": "1"},
                     content_type="multipart/form-data", follow_redirects=True)
    html = rv.get_data(as_text=True)  # the job page of the (background) import
    assert rv.status_code == 200 and "Uji coba berhasil" in html
    assert db.session.scalar(select(Employee.id).where(Employee.nip == BOSS)) is None
    rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook()), "pegawai.xlsx")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "Impor berhasil" in rv.get_data(as_text=True)
    assert db.session.scalar(select(Employee.id).where(Employee.nip == BOSS)) is not None


def test_upload_page_errors_on_screen_and_as_workbook(app, client):
    login_as(client, _operator(app))
    rows = [list(r) for r in EMPLOYEES]
    rows[2][3] = "Z/z"
    rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook(employees=rows)), "x.xlsx")},
                     content_type="multipart/form-data", follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert "Tidak ada data yang disimpan" in html and "Pangkat/golongan &#39;Z/z&#39; tidak ada" in html
    link = re.search(r'href="(/admin/jobs/\d+/unduh)"', html).group(1)
    err = client.get(link)
    assert err.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(err.data))["Kesalahan"]
    assert ws["A2"].value == "Pegawai" and ws["B2"].value == 4 and "Z/z" in ws["E2"].value
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 0
    # a user who may not import (an inspector reads the import page only) cannot fetch it
    from models import User

    inspector = User(username="insp_excel", role="inspektur", full_name="Inspektur Uji")
    inspector.set_password("Sandi#Panjang2026")
    db.session.add(inspector)
    db.session.commit()
    login_as(client, inspector)
    assert client.get(link).status_code == 404


def test_oversized_upload_is_refused_and_app_keeps_serving(app, client):
    from models import Setting

    login_as(client, _operator(app))
    db.session.get(Setting, "upload.max_mb").value = "1"
    db.session.commit()
    big = workbook() + b"\0" * (1024 * 1024 + 10)
    rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(big), "besar.xlsx")},
                     content_type="multipart/form-data")
    assert rv.status_code == 413
    assert "Berkas terlalu besar" in rv.get_data(as_text=True) and "1 MB" in rv.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/excel_import/").status_code == 200


def test_upload_rights(app, client, demo):
    login_as(client, demo["users"]["penilai"])
    assert client.get("/admin/excel_import/").status_code == 403
    login_as(client, demo["users"]["inspektur"])
    assert client.get("/admin/excel_import/").status_code == 200
    rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook()), "x.xlsx")},
                     content_type="multipart/form-data")
    assert rv.status_code == 403


def test_upload_requires_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        login_as(client, _operator(app))
        rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook()), "x.xlsx")},
                         content_type="multipart/form-data")
        assert rv.status_code == 400
        from tests.conftest import csrf_from

        token = csrf_from(client.get("/admin/excel_import/").get_data(as_text=True))
        rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook()), "x.xlsx"),
                                                       "csrf_token": token}, content_type="multipart/form-data",
                         follow_redirects=True)
        assert rv.status_code == 200 and "Impor berhasil" in rv.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
