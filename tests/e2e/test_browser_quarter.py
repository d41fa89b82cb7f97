"""One quarter of the year in a browser: the pegawai records the quarter's realisation on the window
page, the penilai sees the bell and Tugas Saya count it, opens the item from Tugas Saya and gives the
periodic judgement and feedback, and the pegawai finds it through the bell."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _sql(server, sql, *args, write=False):
    con = sqlite3.connect(server["db"])
    try:
        cur = con.execute(sql, args)
        if write:
            con.commit()
            return cur.lastrowid
        return cur.fetchone()
    finally:
        con.close()


def _logout(page):
    page.click("text=Keluar")
    page.wait_for_load_state()


def test_one_quarter_in_the_browser(server, page):
    base = server["base"]
    emp = _sql(server, "SELECT employee_id FROM user_account WHERE username = 'pegawai'")[0]
    plan_id = _sql(server, "SELECT wp.id FROM work_plan wp JOIN period p ON p.id = wp.period_id "
                           "WHERE p.code = '2026' AND wp.employee_id = ?", emp)[0]
    indicator = _sql(server, "SELECT i.id FROM indicator i JOIN target t ON t.id = i.target_id "
                             "WHERE t.work_plan_id = ? ORDER BY t.seq, i.id", plan_id)
    if indicator is None:  # the demo's draft may lack an indicator: give its first RHK one
        target = _sql(server, "SELECT id FROM target WHERE work_plan_id = ? ORDER BY seq", plan_id)[0]
        _sql(server, "INSERT INTO indicator (target_id, aspect, description, target_value, unit_label, "
                     "lower_is_better, version, created_at, updated_at) VALUES (?, 'kuantitas', 'Laporan', 12, "
                     "'laporan', 0, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", target, write=True)
    # the SKP is approved and a quarter is open today, whatever the date the test runs on
    _sql(server, "UPDATE work_plan SET status = 'approved' WHERE id = ?", plan_id, write=True)
    period_id = _sql(server, "SELECT period_id FROM work_plan WHERE id = ?", plan_id)[0]
    today = dt.date.today()
    wid = _sql(server, "INSERT INTO sub_period (period_id, frequency, seq, name, start_date, end_date, due_date, "
                       "created_at, updated_at) VALUES (?, 'triwulanan', 99, 'Triwulan Uji', ?, ?, ?, "
                       "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", period_id, str(today - dt.timedelta(days=20)),
               str(today), str(today + dt.timedelta(days=10)), write=True)
    window_url = f"{base}/admin/skp/{plan_id}/periodik/{wid}"

    # 1. the pegawai records the quarter's realisation with its evidence note
    login(page, base, "pegawai")
    page.goto(f"{base}/admin/skp/{plan_id}")
    page.click(f"#periodik-{wid} a:has-text('Buka')")
    assert page.locator("#jendela").get_attribute("data-state") == "open"
    page.locator("details[id^='catat-'] summary").first.click()
    form = page.locator("details[id^='catat-'] form").first
    form.locator("input[name=value]").fill("3")
    form.locator("textarea[name=evidence_note]").fill("Tiga laporan triwulan ini")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "disimpan" in page.locator(".alert").first.inner_text()
    assert "3" in page.locator(".realisasi-periodik").first.inner_text()
    _logout(page)

    # 2. the penilai: the bell and Tugas Saya show it; the item opens the window page; the judgement is given
    login(page, base, "penilai")
    assert int(page.locator("#lonceng-jumlah").inner_text()) >= 1
    assert int(page.locator("#nav-tugas-jumlah").inner_text()) >= 1
    page.click("#lonceng")
    page.wait_for_load_state()
    assert page.locator(".pemberitahuan.belum-dibaca .judul", has_text="Triwulan Uji").count() == 1
    page.click("#nav-tugas")
    page.wait_for_load_state()
    page.click("#tugas-periodik")
    page.wait_for_load_state()
    count = int(page.locator("#tugas-periodik .jumlah").get_attribute("data-count"))
    assert page.locator("tr.tugas").count() == count >= 1
    page.locator(f"tr.tugas a[href='/admin/skp/{plan_id}/periodik/{wid}']").click()
    page.wait_for_load_state()
    assert page.url == window_url
    judge = page.locator("details[id^='nilai-'] form").first
    if not judge.is_visible():
        page.locator("details[id^='nilai-'] summary").first.click()
    judge.locator("select[name=category]").select_option("sesuai")
    judge.locator("textarea[name=feedback]").fill("Bagus, pertahankan ritme laporan bulanan.")
    judge.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Sesuai Ekspektasi" in page.locator(".penilaian-periodik").first.inner_text()
    _logout(page)

    # 3. the pegawai finds the feedback through the bell
    login(page, base, "pegawai")
    assert int(page.locator("#lonceng-jumlah").inner_text()) >= 1
    page.click("#lonceng")
    page.wait_for_load_state()
    item = page.locator(".pemberitahuan.belum-dibaca", has_text="dari pejabat penilai").first
    item.locator("button:has-text('Buka')").click()
    page.wait_for_load_state()
    assert page.url == window_url
    assert "pertahankan ritme laporan bulanan" in page.locator(".umpan-balik-periodik").first.inner_text()
