"""Indonesian UI: no untranslated Flask-Admin / WTForms string on the main admin pages (issue 7, item 5)."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from kinerja_admin.extensions import db
from models import Employee, Unit
from tests.conftest import login_as

# Flask-Admin's built-in English strings that show up on the list / create / edit / details pages.
# ("Filter" is not listed: the Indonesian UI keeps the loanword, as in "Tambah Filter".)
ENGLISH = [
    "Home", "List", "Create", "Edit", "Delete", "Details", "Save", "Cancel", "Search", "Export",
    "Apply", "Add Filter", "Reset Filters", "With selected", "Save and Continue Editing",
    "Save and Add Another", "Edit Record", "View Record", "Delete Record", "Create New Record",
    "Are you sure", "Select all records", "Select record", "Please select at least one record",
    "There are no items in the table", "items", "Previous", "Next", "Yes", "No", "Sort by",
    "This field is required", "Not a valid", "Record was successfully",
]
# Flask-Admin filter operation names (rendered as JSON in #filter-groups-data, shown in a select).
ENGLISH_FILTER_OPS = {
    "equals", "not equal", "contains", "not contains", "greater than", "smaller than", "empty",
    "in list", "not in list", "between", "not between",
}
# Attributes whose value the user sees (tooltips, placeholders, button captions).
VISIBLE_ATTRS = {"title", "placeholder", "aria-label", "alt", "data-original-title"}
BUTTON_TYPES = {"submit", "button", "reset"}


class _VisibleText(HTMLParser):
    """Collects the strings a user can read: text nodes (outside <script>/<style>), button captions,
    tooltips and placeholders, and the text of inline confirm() dialogs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs.items():
            if not value:
                continue
            if name in VISIBLE_ATTRS:
                self.chunks.append(value)
            elif name == "value" and tag == "input" and (attrs.get("type") or "").lower() in BUTTON_TYPES:
                self.chunks.append(value)
            elif name == "onclick":
                self.chunks.extend(re.findall(r"'((?:[^'\\]|\\.)*)'", value))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.chunks


def english_leftovers(html: str) -> list[tuple[str, str]]:
    found = []
    for chunk in visible_text(html):
        if chunk.startswith("{") or chunk.startswith("["):
            continue  # JSON payloads (filter definitions) are checked separately
        for word in ENGLISH:
            if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", chunk):
                found.append((word, chunk[:120]))
    return found


def filter_operations(html: str) -> set[str]:
    m = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', html, re.S)
    assert m, "list page renders no filter definitions"
    groups = json.loads(m.group(1))
    ops = set()
    for filters in groups.values():
        for flt in filters:
            ops.add(flt["operation"])
            for option in flt.get("options") or []:
                ops.add(option[1])
    return ops


@pytest.fixture
def admin_client(client, demo):
    login_as(client, demo["users"]["admin"])
    return client


def _pages(demo):
    emp = demo["employees"][0]
    unit = db.session.scalars(db.select(Unit).order_by(Unit.id)).first()
    return [
        "/admin/",
        "/admin/employee/",
        "/admin/employee/new/",
        f"/admin/employee/details/?id={emp.id}",
        f"/admin/employee/edit/?id={emp.id}",
        "/admin/unit/",
        "/admin/unit/new/",
        f"/admin/unit/details/?id={unit.id}",
        f"/admin/unit/edit/?id={unit.id}",
        "/admin/score_result/",
        "/admin/audit_log/",
    ]


def test_main_admin_pages_have_no_english_flask_admin_strings(admin_client, demo):
    problems = {}
    for url in _pages(demo):
        rv = admin_client.get(url)
        assert rv.status_code == 200, (url, rv.status_code)
        html = rv.get_data(as_text=True)
        leftovers = english_leftovers(html)
        if leftovers:
            problems[url] = leftovers
    assert not problems, f"untranslated UI text: {problems}"


def test_list_page_uses_indonesian_labels_and_filter_operations(admin_client, demo):
    html = admin_client.get("/admin/employee/").get_data(as_text=True)
    texts = visible_text(html)
    assert any(t.startswith("Daftar") for t in texts)  # "Daftar (60)"
    for expected in ["Tambah", "Tambah Data Baru", "Tambah Filter", "Ekspor", "Terapkan", "Lihat Data", "Ubah Data",
                     "Hapus Data", "Yakin ingin menghapus data ini?", "20 baris", "50 baris", "100 baris"]:
        assert expected in texts, expected
    assert any("Cari" in t for t in texts)  # search placeholder
    ops = filter_operations(html)
    assert ops, "no filter operations rendered"
    assert not ops & ENGLISH_FILTER_OPS, sorted(ops & ENGLISH_FILTER_OPS)
    assert "sama dengan" in ops


def test_edit_form_buttons_are_indonesian(admin_client, demo):
    emp = demo["employees"][0]
    html = admin_client.get(f"/admin/employee/edit/?id={emp.id}").get_data(as_text=True)
    texts = visible_text(html)
    for expected in ["Simpan", "Simpan dan Lanjutkan Mengubah", "Batal", "Rincian", "Daftar", "Ubah"]:
        assert expected in texts, (expected, [t for t in texts if len(t) < 60])


def test_required_field_error_on_admin_form_is_indonesian(admin_client):
    before = db.session.scalar(db.select(db.func.count()).select_from(Unit))
    rv = admin_client.post("/admin/unit/new/", data={}, follow_redirects=True)
    assert rv.status_code == 200
    html = rv.get_data(as_text=True)
    assert "Isian ini wajib diisi." in html
    assert "This field is required" not in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == before


def test_wtforms_catalogue_is_used_by_flask_admin_and_flask_wtf_forms(app):
    from flask_admin.babel import Translations as AdminTranslations
    from flask_wtf.form import FlaskForm

    with app.test_request_context("/admin/unit/"):
        admin_tr = AdminTranslations()  # what flask_admin.form.BaseForm hands to WTForms
        assert admin_tr.gettext("Not a valid integer value.") == "Bukan bilangan bulat yang valid."
        assert admin_tr.gettext("Not a valid choice.") == "Pilihan tidak valid."
        assert admin_tr.ngettext("Field must be at least %(min)d character long.",
                                 "Field must be at least %(min)d characters long.", 3) \
            == "Isian minimal %(min)d karakter."

        # Flask-WTF forms (e.g. the login form) use the same catalogue while WTF_I18N_ENABLED is on.
        wtf_tr = FlaskForm.Meta().get_translations(None)
        assert wtf_tr.gettext("This field is required.") == "Isian ini wajib diisi."


def test_missing_csrf_token_shows_indonesian_error_page(app, app_config):
    """Flask-WTF's CSRF reasons ('The CSRF token is missing.') are plain English strings; CSRFProtect
    rejects the request before any form renders them and our 400 page is shown instead."""
    from kinerja_admin import create_app

    class CsrfOn(app_config):
        WTF_CSRF_ENABLED = True

    csrf_app = create_app(CsrfOn)
    rv = csrf_app.test_client().post("/login", data={"username": "admin", "password": "x"})
    assert rv.status_code == 400
    html = rv.get_data(as_text=True)
    assert "Permintaan tidak valid" in html
    assert "CSRF" not in html


def test_flash_message_after_create_is_indonesian(admin_client, demo):
    """The success message Flask-Admin flashes after saving a record."""
    emp = db.session.scalars(db.select(Employee).order_by(Employee.id)).first()
    rv = admin_client.get(f"/admin/employee/edit/?id={emp.id}")
    assert rv.status_code == 200
    # Re-post the edit form unchanged: the exact field set is taken from the rendered form.
    html = rv.get_data(as_text=True)
    data = _form_values(html)
    rv = admin_client.post(f"/admin/employee/edit/?id={emp.id}", data=data, follow_redirects=True)
    assert rv.status_code == 200
    page = rv.get_data(as_text=True)
    assert "Record was successfully saved" not in page
    assert "Data berhasil disimpan." in page, [t for t in visible_text(page) if "alert" in t or len(t) < 80][:40]


def _form_values(html: str) -> dict:
    """Current values of the inputs, selects and textareas of the first <form class="admin-form">."""

    class _Form(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.data: dict = {}
            self._select = None
            self._textarea = None
            self._in_form = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and "admin-form" in (a.get("class") or ""):
                self._in_form = True
            if not self._in_form:
                return
            if tag == "input" and a.get("name"):
                kind = (a.get("type") or "text").lower()
                if kind in ("submit", "button", "reset", "file"):
                    return
                if kind in ("checkbox", "radio"):
                    if "checked" in a:
                        self.data[a["name"]] = a.get("value") or "y"
                    return
                self.data[a["name"]] = a.get("value") or ""
            elif tag == "select" and a.get("name"):
                self._select = a["name"]
            elif tag == "option" and self._select is not None and "selected" in a:
                self.data[self._select] = a.get("value") or ""
            elif tag == "textarea" and a.get("name"):
                self._textarea = a["name"]
                self.data[self._textarea] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self._select = None
            elif tag == "textarea":
                self._textarea = None
            elif tag == "form":
                self._in_form = False

        def handle_data(self, data):
            if self._textarea is not None:
                self.data[self._textarea] += data

    parser = _Form()
    parser.feed(html)
    return parser.data


# --- issue 14: one Indonesian voice on the new pages, statuses, numbers, times, names ------------------
# Codes and English words that must never reach a reader: statuses, audit actions and entities, setting
# types and boolean values, scheme kinds and category codes.
CODES = ["submitted", "pending", "insert", "update", "transition", "work_plan", "score_result", "rater_assignment",
         "matrix", "numeric", "dibawah", "diatas", "computed", "approved", "published", "draft", "returned",
         "int", "bool", "str", "true", "false", "queued", "running", "done", "failed"]
# Numbers a reader must not see: 3+ decimals after a comma (92,066), 4 decimals after a dot
# (92.0658, 50.0000) and a decimal point before a percent sign (60.0%).
BAD_NUMBERS = [re.compile(r"\d,\d{3,}\b"), re.compile(r"\d\.\d{4}\b"), re.compile(r"\d\.\d+\s?%")]


def _code_leftovers(html: str) -> list[tuple[str, str]]:
    found = []
    for chunk in visible_text(html):
        if chunk.startswith("{") or chunk.startswith("["):
            continue
        if chunk == "Versi":  # the optimistic-lock counter ("Versi 3") is not for readers
            found.append(("Versi", chunk))
        for word in CODES:
            if re.search(rf"(?<![\w./-]){re.escape(word)}(?![\w./-])", chunk):
                found.append((word, chunk[:120]))
        for pattern in BAD_NUMBERS:
            if pattern.search(chunk):
                found.append((pattern.pattern, chunk[:120]))
    return found


@pytest.fixture
def voice(published, client):
    """The published demo city with an import job, an export job and a failed job of the operator."""
    import io as _io

    from tests.test_excel_import import workbook

    login_as(client, published["users"]["operator"])
    client.post("/admin/excel_import/", data={"file": (_io.BytesIO(workbook()), "pegawai.xlsx"), "dry_run": "1"},
                content_type="multipart/form-data")
    client.get("/admin/score_result/export-xlsx/")
    from models import Job

    jobs = db.session.scalars(db.select(Job).order_by(Job.id)).all()
    assert len(jobs) == 2 and all(j.status == "done" for j in jobs), [(j.status, j.error) for j in jobs]
    return {**published, "jobs": jobs}


def _voice_pages(voice):
    from models import AuditLog, GuidePage, Period, RaterAssignment, ScoreResult, Setting, WorkPlan

    result = db.session.scalar(db.select(ScoreResult).order_by(ScoreResult.id))
    plan = db.session.scalar(db.select(WorkPlan).order_by(WorkPlan.id))
    audit = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "transition").order_by(AuditLog.id))
    setting = db.session.get(Setting, "login.max_delay_seconds")
    guide = db.session.scalar(db.select(GuidePage).order_by(GuidePage.id))
    period = db.session.scalar(db.select(Period).where(Period.code == "2025"))
    assignment = db.session.scalar(db.select(RaterAssignment).order_by(RaterAssignment.id))
    pages = [
        "/admin/", "/admin/?periode=2025", "/admin/jobs/", "/admin/jobs/?semua=1",
        *[f"/admin/jobs/{j.id}/" for j in voice["jobs"]],
        "/admin/score_result/", f"/admin/score_result/details/?id={result.id}",
        f"/admin/score_result/explain/?id={result.id}",
        "/admin/work_plan/", f"/admin/work_plan/details/?id={plan.id}",
        "/admin/rater_assignment/", f"/admin/rater_assignment/details/?id={assignment.id}",
        "/admin/period/", f"/admin/period/details/?id={period.id}", f"/admin/period/status/?id={period.id}",
        "/admin/audit_log/", f"/admin/audit_log/details/?id={audit.id}",
        "/admin/setting/", f"/admin/setting/edit/?id={setting.key}", "/admin/setting/edit/?id=rating.self_enabled",
        "/admin/guide_page/", f"/admin/guide_page/edit/?id={guide.id}", "/admin/excel_import/",
        "/admin/objection/", "/admin/employee/?page_size=500", "/panduan/", "/panduan/siklus", "/panduan/operator",
        f"/admin/scoring_scheme/details/?id={period.scheme_id}", "/admin/rating_completeness/",
        "/admin/unit/", "/admin/position/", "/admin/behaviour_rating/", f"/admin/cetak/evaluasi/{result.id}",
        f"/admin/cetak/skp/{plan.id}", "/publik/",
    ]
    return pages


def test_new_pages_speak_indonesian_only(voice, client):
    login_as(client, voice["users"]["admin"])
    problems = {}
    for url in _voice_pages(voice):
        rv = client.get(url)
        assert rv.status_code == 200, (url, rv.status_code)
        html = rv.get_data(as_text=True)
        # printed documents number their rows "No" (the Indonesian form's own heading): codes and
        # numbers are checked there, Flask-Admin's English words cannot appear
        leftovers = ([] if "/cetak/" in url else english_leftovers(html)) + _code_leftovers(html)
        if leftovers:
            problems[url] = leftovers
    assert not problems, f"untranslated UI text: {problems}"


def test_pages_of_employee_and_superior_speak_indonesian(voice, client):
    for role, pages in (("pegawai", ["/admin/saya/", "/admin/my_ratings/", "/admin/work_plan/", "/panduan/",
                                     "/admin/score_result/", "/admin/jobs/"]),
                        ("penilai", ["/admin/", "/admin/work_plan/", "/admin/rater_assignment/", "/panduan/"])):
        login_as(client, voice["users"][role])
        for url in pages:
            html = client.get(url).get_data(as_text=True)
            assert not english_leftovers(html) + _code_leftovers(html), (role, url)


def test_scores_have_two_decimals_and_weights_none_or_few(voice, client):
    from models import ScoreResult

    result = db.session.scalar(db.select(ScoreResult).where(ScoreResult.skp_value.is_not(None))
                               .order_by(ScoreResult.id))
    login_as(client, voice["users"]["admin"])
    shown = f"{result.skp_value:.2f}".replace(".", ",")  # ROUND_HALF_UP matters only on exact halves
    from kinerja_admin.formatting import skor

    assert skor(result.skp_value) == shown or abs(float(skor(result.skp_value).replace(",", ".")) -
                                                   float(result.skp_value)) <= 0.005
    for url in ("/admin/score_result/?page_size=100", f"/admin/score_result/details/?id={result.id}",
                f"/admin/score_result/explain/?id={result.id}"):
        text = " ".join(visible_text(client.get(url).get_data(as_text=True)))
        assert skor(result.skp_value) in text, url
    explain = " ".join(visible_text(client.get(f"/admin/score_result/explain/?id={result.id}").get_data(as_text=True)))
    assert re.search(r"SKP 60%|SKP 70%|Perilaku 40%|Perilaku 30%", explain) or "bobot" in explain
    assert not re.search(r"\d\.0+%", explain)


def test_formatting_rules():
    from decimal import Decimal

    from kinerja_admin.formatting import bobot, skor

    assert skor(Decimal("92.0658")) == "92,07" and skor(Decimal("82.6316")) == "82,63" and skor(Decimal("85.125")) \
        == "85,13"
    assert bobot(Decimal("50.0000")) == "50" and bobot(Decimal("47.5")) == "47,5" and bobot(Decimal("33.3333")) \
        == "33,33" and bobot(Decimal("1500")) == "1.500"


def test_times_are_shown_in_the_instance_zone(voice, client):
    import datetime as dt

    from models import AuditLog, Setting

    row = AuditLog(at=dt.datetime(2026, 11, 28, 23, 30), action="update", entity="setting", entity_id="x",
                   username="admin")
    db.session.add(row)
    db.session.commit()
    login_as(client, voice["users"]["admin"])
    html = client.get(f"/admin/audit_log/details/?id={row.id}").get_data(as_text=True)
    assert "29 November 2026 pukul 06.30 WIB" in html  # UTC+7
    db.session.get(Setting, "tampilan.zona_waktu").value = "Asia/Jayapura"
    db.session.commit()
    html = client.get(f"/admin/audit_log/details/?id={row.id}").get_data(as_text=True)
    assert "29 November 2026 pukul 08.30 WIT" in html


def test_names_not_usernames(voice, client):
    from models import AuditLog, ScoreResult

    operator = voice["users"]["operator"]
    result = db.session.scalar(db.select(ScoreResult).order_by(ScoreResult.id))
    login_as(client, voice["users"]["admin"])
    details = client.get(f"/admin/score_result/details/?id={result.id}").get_data(as_text=True)
    approver = db.session.get(type(operator), result.approved_by_id)
    assert approver.full_name and approver.full_name != approver.username
    assert approver.full_name in details
    assert f">{approver.username}<" not in details.replace(" ", "").replace("\n", "")
    audit = db.session.scalar(db.select(AuditLog).where(AuditLog.user_id == approver.id).order_by(AuditLog.id))
    html = client.get(f"/admin/audit_log/details/?id={audit.id}").get_data(as_text=True)
    assert approver.full_name in html


def test_settings_show_names_types_and_yes_no(voice, client):
    login_as(client, voice["users"]["admin"])
    texts = visible_text(client.get("/admin/setting/?page_size=100").get_data(as_text=True))
    for expected in ("Jeda terlama setelah gagal masuk (detik)", "Bilangan bulat", "Ya/Tidak", "Tidak", "Zona waktu tampilan"):
        assert expected in texts, expected
    html = client.get("/admin/setting/edit/?id=rating.self_enabled").get_data(as_text=True)
    assert '<option selected value="false">Tidak</option>' in html or 'value="false" selected' in html
    rv = client.post("/admin/setting/edit/?id=rating.self_enabled", data={"value": "true"})
    assert rv.status_code == 302
    from models import Setting

    db.session.expire_all()
    assert db.session.get(Setting, "rating.self_enabled").value == "true"
    rv = client.post("/admin/setting/edit/?id=tampilan.zona_waktu", data={"value": "Mars/Olympus"},
                     follow_redirects=True)
    assert "Zona waktu &#39;Mars/Olympus&#39; tidak dikenal" in rv.get_data(as_text=True)


def test_audit_labels_are_shared_with_the_workbook():
    from kinerja_admin.labels import audit_action, audit_entity, change_rows, changes_text

    assert audit_action("transition") == "Ubah status" and audit_entity("work_plan") == "SKP"
    assert change_rows({"status": ["submitted", "approved"]}, "work_plan") == [("Status", "Diajukan", "Disetujui")]
    assert change_rows({"status": ["pending", "submitted"]}, "rater_assignment") == [
        ("Status", "Belum diisi", "Sudah dikirim")]
    assert changes_text({"status": ["computed", "approved"], "predicate": [None, "Baik"]}, "score_result") == \
        "Status: Dihitung \u2192 Disetujui; Predikat: - \u2192 Baik"


def test_spaced_nip_is_accepted_in_the_form(admin_client, demo):
    from models import Employee, Unit

    unit = db.session.scalar(db.select(Unit).order_by(Unit.id))
    html = admin_client.get("/admin/employee/new/").get_data(as_text=True)
    assert re.search(r'id="nip"[^>]*maxlength="30"', html) or re.search(r'maxlength="30"[^>]*id="nip"', html)
    rv = admin_client.post("/admin/employee/new/", data={"nip": "19950505 202012 1 001", "name": "Pegawai Tempel",
                                                          "employee_type": "PNS", "unit": str(unit.id), "active": "y"})
    assert rv.status_code == 302, [t for t in visible_text(rv.get_data(as_text=True)) if "NIP" in t][:5]
    assert db.session.scalar(db.select(Employee.nip).where(Employee.name == "Pegawai Tempel")) == "199505052020121001"
    # and the display form finds the employee in the list search
    html = admin_client.get("/admin/employee/?search=19950505 202012 1 001").get_data(as_text=True)
    assert "Pegawai Tempel" in html


def test_favicon_and_indonesian_date_picker(client, admin_client):
    rv = client.get("/favicon.ico")
    assert rv.status_code == 200 and rv.mimetype == "image/vnd.microsoft.icon" and rv.data[:4] == b"\x00\x00\x01\x00"
    html = admin_client.get("/admin/period/new/").get_data(as_text=True)
    assert "/static/js/kinerja-id.js" in html and 'rel="icon"' in html
    js = client.get("/static/js/kinerja-id.js").get_data(as_text=True)
    assert "Terapkan" in js and "'Mei'" in js and "'Sn'" in js


def test_workbook_headers_are_indonesian(voice, client):
    import io as _io

    import openpyxl

    login_as(client, voice["users"]["operator"])
    export = next(j for j in voice["jobs"] if j.kind == "export")
    data = client.get(f"/admin/jobs/{export.id}/unduh").data
    wb = openpyxl.load_workbook(_io.BytesIO(data), read_only=True)
    english = {"Name", "Score", "Date", "User", "Action", "Entity", "Changes", "Reason", "Period", "Value",
               "Weight", "Employee", "Result", "Rater", "Summary"}
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=12, values_only=True):
            for cell in row:
                if isinstance(cell, str):
                    assert cell.strip() not in english, (ws.title, cell)
