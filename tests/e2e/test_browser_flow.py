"""The year of an employee, in a browser: the pegawai writes and submits a plan, the penilai
bulk-approves from the list through the confirm dialog, the operator computes scores, publishes
them and downloads the inspector workbook, a citizen answers the survey, and the pegawai sees the
result in Kinerja Saya. One test, because each step needs the previous one."""
from __future__ import annotations

import io
import sqlite3

import openpyxl
import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _db(server):
    return sqlite3.connect(server["db"])


def _pick(page, select_id, value):
    """Flask-Admin hides its <select>s behind select2: set the value the way select2 does."""
    page.evaluate("""([id, value]) => { const el = document.getElementById(id); el.value = value;
                      el.dispatchEvent(new Event('change', {bubbles: true})); }""", [select_id, str(value)])


def _action(page, label):
    """Run a bulk action on the ticked rows, accepting the confirm dialog."""
    page.once("dialog", lambda d: d.accept())
    page.click("text=Dengan yang dipilih")
    page.click(f"a.dropdown-item:has-text('{label}')")
    page.wait_for_load_state()


def test_plan_to_result_in_the_browser(server, browser):
    base = server["base"]
    con = _db(server)
    pegawai_emp, penilai_emp = [con.execute("SELECT employee_id FROM user_account WHERE username = ?", (u,)).fetchone()[0]
                                for u in ("pegawai", "penilai")]
    plan_id = con.execute("SELECT wp.id FROM work_plan wp JOIN period p ON p.id = wp.period_id "
                          "WHERE p.code = '2026' AND wp.employee_id = ?", (pegawai_emp,)).fetchone()[0]
    con.close()

    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    try:
        # 1. the pegawai adds a target to the draft plan and submits it
        login(page, base, "pegawai")
        page.goto(base + "/admin/target/new/")
        _pick(page, "work_plan", plan_id)
        page.fill("#seq", "9")
        page.fill("#description", "Terlaksananya imunisasi dasar lengkap di wilayah kerja")
        page.click("form.admin-form input[type=submit]")
        page.wait_for_load_state()
        assert "berhasil" in page.content().lower()
        page.goto(base + "/admin/work_plan/")
        page.check(f"input.action-checkbox[value='{plan_id}']")
        _action(page, "Ajukan")
        assert "1 diajukan" in page.content().lower() or "diajukan" in page.locator(".alert").first.inner_text().lower()
        con = _db(server)
        assert con.execute("SELECT status FROM work_plan WHERE id = ?", (plan_id,)).fetchone()[0] == "submitted"
        con.close()
        page.click("text=Keluar")

        # 2. the penilai ticks every plan of the page and approves, through the confirm dialog
        login(page, base, "penilai")
        page.goto(base + "/admin/work_plan/?search=")
        page.check("input.action-rowtoggle")
        _action(page, "Setujui")
        flash = page.locator(".alert").first.inner_text()
        assert "disetujui" in flash.lower()
        con = _db(server)
        assert con.execute("SELECT status FROM work_plan WHERE id = ?", (plan_id,)).fetchone()[0] == "approved"
        con.close()
        page.click("text=Keluar")

        # 3. the operator computes the 2025 scores (a background job), approves and publishes them
        #    through the confirmation page, and downloads the workbook from the job page
        login(page, base, "operator")
        page.goto(base + "/admin/period/")
        con = _db(server)
        p2025 = con.execute("SELECT id FROM period WHERE code = '2025'").fetchone()[0]
        con.close()
        page.check(f"input.action-checkbox[value='{p2025}']")
        _action(page, "Hitung nilai")
        page.wait_for_url("**/admin/jobs/*/")
        page.wait_for_selector("#pesan-selesai", timeout=60000)  # the page polls and reloads when done
        assert "dihitung" in page.locator("#pesan-selesai").inner_text().lower()
        for label in ("Setujui", "Umumkan"):
            page.goto(base + "/admin/score_result/")
            page.click("text=Semua sesuai filter")
            page.click(f"#bulk-all-form button:has-text('{label} semua')")
            page.wait_for_selector("#konfirmasi-semua")
            assert "Tanpa filter" in page.locator("#filter-kata").inner_text()
            page.click("form button.btn-warning")
            page.wait_for_load_state()
        page.goto(base + "/admin/score_result/")
        page.click("text=Ekspor Excel")
        page.wait_for_url("**/admin/jobs/*/")
        page.wait_for_selector("#unduh-hasil", timeout=60000)
        with page.expect_download() as info:
            page.click("#unduh-hasil")
        data = open(info.value.path(), "rb").read()
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        assert {"Ringkasan", "Nilai Pegawai", "Aturan"} <= set(wb.sheetnames)
        con = _db(server)
        assert con.execute("SELECT count(*) FROM score_result WHERE status = 'published'").fetchone()[0] > 0
        con.close()
        page.click("text=Keluar")

        # 4. a citizen answers the survey of a public-facing unit
        con = _db(server)
        slug = con.execute("SELECT slug FROM unit WHERE public_facing = 1 AND slug IS NOT NULL ORDER BY id").fetchone()[0]
        before = con.execute("SELECT count(*) FROM public_feedback").fetchone()[0]
        con.close()
        page.goto(f"{base}/publik/u/{slug}")
        for i in range(1, 10):
            page.check(f"input[name=u{i}][value='4']")
        page.fill("textarea[name=comment]", "Pelayanan cepat <b>dan</b> ramah.")
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        assert "terima kasih" in page.content().lower()
        con = _db(server)
        assert con.execute("SELECT count(*) FROM public_feedback").fetchone()[0] == before + 1
        con.close()

        # 5. the pegawai sees the published result in Kinerja Saya
        login(page, base, "pegawai")
        page.goto(base + "/admin/saya/")
        text = page.locator("body").inner_text()
        assert "2025" in text and "Belum ada hasil" not in text
    except Exception:
        from tests.e2e.conftest import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "plan_to_result.png"), full_page=True)
        raise
    finally:
        ctx.close()
    del penilai_emp
