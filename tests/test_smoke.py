from tests.conftest import login_as


def test_admin_pages_render_for_admin(client, demo):
    login_as(client, demo["users"]["admin"])
    for url in ["/admin/", "/admin/employee/", "/admin/unit/", "/admin/work_plan/", "/admin/score_result/",
                "/admin/audit_log/", "/admin/setting/", "/admin/user/", "/admin/employee/new/"]:
        rv = client.get(url)
        assert rv.status_code == 200, (url, rv.status_code)
