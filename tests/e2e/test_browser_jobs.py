"""A background job in the browser, from start to download, on the README's default (huey on SQLite
with the consumer thread inside `flask run`): the operator filters the results by one OPD, starts the
inspector export, watches its progress on the job page (updated by kinerja-jobs.js, no reload by hand),
and downloads the workbook of that OPD. Also: the Indonesian date picker."""
from __future__ import annotations

import io
import sqlite3

import openpyxl
import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_export_of_one_opd_from_start_to_download(server, page):
    base = server["base"]
    con = sqlite3.connect(server["db"])
    dinkes = con.execute("SELECT id FROM unit WHERE code = 'DINKES'").fetchone()[0]
    con.close()
    runner = server["env"]
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT

    # results to export (the CLI shares the server's database file)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "kinerja", "score", "2025"], cwd=ROOT,
                   env=runner, check=True, capture_output=True)
    login(page, base, "operator")
    page.goto(base + "/admin/score_result/")
    # choose the OPD filter the way a clerk does: Tambah Filter > OPD > Dinas Kesehatan
    page.click("text=Tambah Filter")
    page.click("a.filter:has-text('OPD')")
    chosen = page.evaluate("""(name) => { const all = document.querySelectorAll('select.filter-val');
        const el = all[all.length - 1]; const opt = [...el.options].find(o => o.text === name);
        el.value = opt.value; el.dispatchEvent(new Event('change', {bubbles: true})); return opt.value; }""",
                           "Dinas Kesehatan")
    assert chosen == str(dinkes)
    page.click("button:has-text('Terapkan')")
    page.wait_for_load_state()
    assert "Dinas Kesehatan" in page.locator("table.model-list").inner_text()
    page.click("text=Ekspor Excel")
    page.wait_for_url("**/admin/jobs/*/")
    assert page.locator(".job-progress").count() == 1
    page.wait_for_selector("#unduh-hasil", timeout=60000)
    assert "Selesai" in page.locator(".job-stage").inner_text()
    with page.expect_download() as info:
        page.click("#unduh-hasil")
    assert "dinkes" in info.value.suggested_filename
    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()), read_only=True)
    units = {row[6] for row in wb["Nilai Pegawai"].iter_rows(min_row=2, values_only=True)}
    con = sqlite3.connect(server["db"])
    names = {r[0] for r in con.execute(
        "WITH RECURSIVE t(id) AS (SELECT ? UNION ALL SELECT u.id FROM unit u JOIN t ON u.parent_id = t.id) "
        "SELECT name FROM unit WHERE id IN (SELECT id FROM t)", (dinkes,))}
    con.close()
    assert units and units <= names
    # the job stays listed on the job page with its download
    page.goto(base + "/admin/jobs/")
    assert page.locator("#daftar-tugas a:has-text('Unduh')").count() >= 1


def test_date_picker_is_indonesian(server, page):
    login(page, server["base"], "operator")
    page.goto(server["base"] + "/admin/period/new/")
    page.click("#start_date")
    picker = page.locator(".daterangepicker").first
    picker.wait_for()
    text = picker.inner_text()
    assert "Sn" in text and "Mo" not in text and "Su" not in text
    assert "Mei" in text and "Agu" in text and "May" not in text and "Aug" not in text
    # the buttons (hidden on a single-date picker, shown on ranges) carry Indonesian captions
    assert page.locator(".daterangepicker .applyBtn").first.text_content().strip() == "Terapkan"
    assert page.locator(".daterangepicker .cancelBtn").first.text_content().strip() == "Batal"
