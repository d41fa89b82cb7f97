"""A person in a browser: logs in, finds employees, is refused what their role may not do."""
import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_login_wrong_password_then_right(server, page):
    page.goto(server["base"] + "/login")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "salah")
    page.click("button[type=submit]")
    assert "Nama pengguna atau kata sandi salah" in page.content()
    login(page, server["base"], "operator")
    assert "Keluar" in page.content()


def test_operator_searches_employee_list(server, page):
    login(page, server["base"], "operator")
    page.goto(server["base"] + "/admin/employee/")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() > 10
    first_name = rows.first.locator("td.col-name").inner_text().strip()
    page.fill("input[name=search]", first_name.split(",")[0])
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert first_name in page.locator("table.model-list").inner_text()


def test_pegawai_is_refused_master_data(server, page):
    login(page, server["base"], "pegawai")
    response = page.goto(server["base"] + "/admin/unit/")
    assert response.status == 403
    assert "Akses ditolak" in page.content()


def test_logout_button_ends_the_session(server, page):
    login(page, server["base"], "inspektur")
    page.click("text=Keluar")
    page.wait_for_url("**/login")
    response = page.goto(server["base"] + "/admin/employee/")
    assert "/login" in page.url and response.ok
