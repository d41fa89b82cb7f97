"""The year of an employee, in a browser, through the SKP page and the assessment page: the pegawai
writes an RHK with its indicator on the SKP page and submits it, the penilai approves it there, the
pegawai records the realisation with an evidence file and marks it realised, the penilai judges each
RHK and the whole SKP on the assessment page (the matrix predicate shown before saving) and assesses
it, the operator computes the scores (a background job), approves and publishes the result and
downloads the inspector workbook from its job page, a citizen answers the survey, and the pegawai sees the result in Kinerja Saya. One test,
because each step needs the previous one."""
from __future__ import annotations

import io
import sqlite3

import openpyxl
import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _db(server):
    return sqlite3.connect(server["db"])


def _one(server, sql, *args):
    con = _db(server)
    try:
        return con.execute(sql, args).fetchone()
    finally:
        con.close()


def _action(page, label):
    """Run a bulk action on the ticked rows, accepting the confirm dialog."""
    page.once("dialog", lambda d: d.accept())
    page.click("text=Dengan yang dipilih")
    page.click(f"a.dropdown-item:has-text('{label}')")
    page.wait_for_load_state()


def _confirmed(page, selector):
    """Click a button that asks for confirmation (static/skp.js) and accept."""
    page.once("dialog", lambda d: d.accept())
    page.click(selector)
    page.wait_for_load_state()


def _alert(page) -> str:
    return page.locator(".alert").first.inner_text().lower()


def _logout(page):
    page.click("text=Keluar")
    page.wait_for_load_state()


def test_the_year_through_the_skp_page_in_the_browser(server, browser):
    base = server["base"]
    pegawai_emp, nip = _one(server, "SELECT e.id, e.nip FROM user_account u JOIN employee e ON e.id = u.employee_id "
                                    "WHERE u.username = 'pegawai'")
    plan_id = _one(server, "SELECT wp.id FROM work_plan wp JOIN period p ON p.id = wp.period_id "
                           "WHERE p.code = '2026' AND wp.employee_id = ?", pegawai_emp)[0]
    skp = f"{base}/admin/skp/{plan_id}"

    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    # Nothing on the SKP page and the assessment page is blocked by the Content-Security-Policy (their
    # confirmations and the live predicate come from static/skp.js). Flask-Admin's list pages still
    # carry `href="javascript:void(0)"` dropdown toggles, which the policy blocks harmlessly: not checked here.
    blocked = []
    page.on("console", lambda msg: blocked.append((page.url, msg.text))
            if "Content Security Policy" in msg.text and "/admin/skp/" in page.url else None)
    try:
        # 1. the pegawai writes an RHK and its indicator on the SKP page and submits the plan
        login(page, base, "pegawai")
        page.goto(base + "/admin/skp/")
        page.click(f"a[href='/admin/skp/{plan_id}']")
        assert page.locator("#status-skp").get_attribute("data-status") == "draft"
        page.click("#rhk-baru summary")
        page.fill("#rhk-baru-teks", "Terlaksananya imunisasi dasar lengkap di wilayah kerja")
        page.click("#rhk-baru button[type=submit]")
        page.wait_for_load_state()
        assert "rhk ditambahkan" in _alert(page)
        target_id = _one(server, "SELECT id FROM target WHERE work_plan_id = ? ORDER BY seq DESC", plan_id)[0]
        form = f"#indikator-baru-{target_id}"  # open: the new RHK has no indicator yet
        page.select_option(f"{form} select[name=aspect]", "kuantitas")
        page.fill(f"{form} input[name=description]", "Cakupan imunisasi dasar lengkap")
        page.fill(f"{form} input[name=target_value]", "95")
        page.fill(f"{form} input[name=unit_label]", "%")
        page.click(f"{form} button[type=submit]")
        page.wait_for_load_state()
        assert "indikator ditambahkan" in _alert(page)
        assert "Cakupan imunisasi dasar lengkap" in page.locator(f"#rhk-{target_id}").inner_text()
        _confirmed(page, "#aksi-submit button")
        assert "sudah diajukan" in _alert(page)
        assert _one(server, "SELECT status FROM work_plan WHERE id = ?", plan_id)[0] == "submitted"
        _logout(page)

        # 2. the penilai approves it from the same page, seeing the RHK and its indicator there
        login(page, base, "penilai")
        page.goto(skp)
        assert "Cakupan imunisasi dasar lengkap" in page.inner_text("body")
        _confirmed(page, "#aksi-approve button")
        assert "disetujui" in _alert(page)
        assert _one(server, "SELECT status FROM work_plan WHERE id = ?", plan_id)[0] == "approved"
        _logout(page)

        # 3. the pegawai records the realisation with an evidence file, then marks the plan realised
        login(page, base, "pegawai")
        page.goto(skp)
        indicator_id = _one(server, "SELECT id FROM indicator WHERE target_id = ?", target_id)[0]
        form = f"#realisasi-{indicator_id}"
        page.click(f"{form} summary")
        page.fill(f"{form} input[name=value]", "96")
        page.fill(f"{form} textarea[name=evidence_note]", "Rekap imunisasi puskesmas")
        page.set_input_files(f"{form} input[name=file]", files=[
            {"name": "rekap-imunisasi.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        page.click(f"{form} button[type=submit]")
        page.wait_for_load_state()
        assert "realisasi dicatat" in _alert(page)
        link = page.locator("a.berkas-bukti:has-text('rekap-imunisasi.pdf')")
        with page.expect_download() as info:
            link.click()
        assert open(info.value.path(), "rb").read() == PDF
        _confirmed(page, "#aksi-realise button")
        assert _one(server, "SELECT status FROM work_plan WHERE id = ?", plan_id)[0] == "realised"
        _logout(page)

        # 4. the penilai judges each RHK and the SKP on the assessment page and assesses it
        login(page, base, "penilai")
        page.goto(skp)
        page.click("#tautan-penilaian")
        page.wait_for_url(f"**/admin/skp/{plan_id}/nilai")
        targets = [r[0] for r in _db(server).execute("SELECT id FROM target WHERE work_plan_id = ?", (plan_id,))]
        for tid in targets:
            page.check(f"#rhk-{tid}-sesuai")
        page.fill(f"textarea[name=rhk-feedback-{target_id}]", "Cakupan tercapai, bukti lengkap.")
        assert page.locator("#predikat").inner_text() == "-"
        page.check("#hasil_rating-diatas")
        page.check("#perilaku_rating-diatas")
        assert page.locator("#predikat").inner_text() == "Sangat Baik"  # the matrix, before saving
        page.check("#hasil_rating-sesuai")
        assert page.locator("#predikat").inner_text() == "Baik"
        page.fill("textarea[name=feedback]", "Pertahankan ketepatan laporan.")
        _confirmed(page, "#simpan-tetapkan")
        assert "berstatus dinilai" in _alert(page)
        row = _one(server, "SELECT status, hasil_rating, perilaku_rating FROM work_plan WHERE id = ?", plan_id)
        assert row == ("assessed", "sesuai", "diatas")
        assert _one(server, "SELECT count(*) FROM target_judgement j JOIN target t ON t.id = j.target_id "
                            "WHERE t.work_plan_id = ?", plan_id)[0] == len(targets)
        _logout(page)

        # 5. the operator computes 2026, approves and publishes this result, downloads the workbook
        login(page, base, "operator")
        page.goto(base + "/admin/period/")
        p2026 = _one(server, "SELECT id FROM period WHERE code = '2026'")[0]
        page.check(f"input.action-checkbox[value='{p2026}']")
        _action(page, "Hitung nilai")  # a background job: its page polls and reloads when done
        page.wait_for_url("**/admin/jobs/*/")
        page.wait_for_selector("#pesan-selesai", timeout=60000)
        assert "dihitung" in page.locator("#pesan-selesai").inner_text().lower()
        result_id, predicate = _one(server, "SELECT id, predicate FROM score_result WHERE work_plan_id = ?", plan_id)
        assert predicate == "Baik"
        for label in ("Setujui", "Umumkan"):
            page.goto(f"{base}/admin/score_result/?search={nip}")
            page.check(f"input.action-checkbox[value='{result_id}']")
            _action(page, label)
        assert _one(server, "SELECT status FROM score_result WHERE id = ?", result_id)[0] == "published"
        page.goto(f"{base}/admin/score_result/?search={nip}")
        page.click("text=Ekspor Excel")  # a job too: the workbook is downloaded from its page
        page.wait_for_url("**/admin/jobs/*/")
        page.wait_for_selector("#unduh-hasil", timeout=60000)
        with page.expect_download() as info:
            page.click("#unduh-hasil")
        wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()), read_only=True)
        assert {"Ringkasan", "Nilai Pegawai", "Aturan"} <= set(wb.sheetnames)
        _logout(page)

        # 6. a citizen answers the survey of a public-facing unit
        slug = _one(server, "SELECT slug FROM unit WHERE public_facing = 1 AND slug IS NOT NULL ORDER BY id")[0]
        before = _one(server, "SELECT count(*) FROM public_feedback")[0]
        page.goto(f"{base}/publik/u/{slug}")
        for i in range(1, 10):
            page.check(f"input[name=u{i}][value='4']")
        page.fill("textarea[name=comment]", "Pelayanan cepat <b>dan</b> ramah.")
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        assert "terima kasih" in page.content().lower()
        assert _one(server, "SELECT count(*) FROM public_feedback")[0] == before + 1

        # 7. the pegawai sees the published result in Kinerja Saya, and the judgement on the SKP page
        login(page, base, "pegawai")
        page.goto(base + "/admin/saya/")
        card = page.locator("#hasil-saya").inner_text()
        assert "2026" in card and "Baik" in card
        page.click("#hasil-saya a:has-text('Buka halaman SKP')")
        assert "Cakupan tercapai, bukti lengkap." in page.locator(f"#rhk-{target_id}").inner_text()
        assert not blocked, f"blocked by the Content-Security-Policy: {blocked}"
    except Exception:
        from tests.e2e.conftest import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "year_through_skp_page.png"), full_page=True)
        raise
    finally:
        ctx.close()
