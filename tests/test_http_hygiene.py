"""Request and response hygiene (issue 15): NUL bytes answer 400, HSTS when configured, no-store on
personal pages and exports, CSV exports neutralise formula prefixes, production refuses per-process
limits, ProxyFix keys the client on the trusted hop."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from kinerja_admin.extensions import db
from models import PublicFeedback, Unit
from tests.conftest import DEMO_PASSWORD, login_as


@pytest.mark.parametrize("url", ["/publik/u/%00", "/admin/employee/?search=ab%00cd",
                                 "/admin/employee/?flt0_0=%00", "/publik/?periode=%00"])
def test_nul_byte_in_url_is_400(client, demo, url):
    login_as(client, demo["users"]["operator"])
    assert client.get(url).status_code == 400


def test_nul_byte_in_login_form_is_400(client, demo):
    rv = client.post("/login", data={"username": "admin\x00", "password": DEMO_PASSWORD})
    assert rv.status_code == 400


def test_hsts_only_when_configured(app, client, demo):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["KINERJA_HSTS_SECONDS"] = 31536000
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_defaults_hsts_on():
    import importlib
    import os

    import config

    old = os.environ.get("KINERJA_ENV")
    os.environ["KINERJA_ENV"] = "production"
    try:
        assert importlib.reload(config).Config.KINERJA_HSTS_SECONDS == 365 * 24 * 3600
    finally:
        if old is None:
            os.environ.pop("KINERJA_ENV")
        else:
            os.environ["KINERJA_ENV"] = old
        importlib.reload(config)


@pytest.mark.parametrize("url", ["/admin/saya/", "/admin/cetak/", "/admin/employee/export/csv/",
                                 "/admin/employee/", "/login"])
def test_personal_pages_and_exports_are_no_store(client, published, url):
    login_as(client, published["users"]["pegawai"] if "saya" in url or "cetak" in url
             else published["users"]["operator"])
    rv = client.get(url)
    assert rv.status_code in (200, 302)
    assert rv.headers["Cache-Control"] == "no-store"


def test_public_portal_stays_cacheable(client, published):
    assert "public" in client.get("/publik/").headers["Cache-Control"]


def test_csv_export_neutralises_formulas(client, demo):
    unit = db.session.scalar(select(Unit).where(Unit.slug == "dinkes"))
    period = demo["periods"]["2025"]
    payloads = ['=HYPERLINK("http://evil.example","klik")', "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0",
                "+1+1", "\t=1+1"]
    for text in payloads:
        db.session.add(PublicFeedback(period_id=period.id, unit_id=unit.id, comment=text,
                                      **{f"u{i}": 3 for i in range(1, 10)}))
    db.session.commit()
    login_as(client, demo["users"]["operator"])
    rv = client.get("/admin/public_feedback/export/csv/")
    assert rv.status_code == 200
    rows = list(csv.reader(io.StringIO(rv.get_data(as_text=True))))
    header = rows[0]
    col = header.index("Komentar")
    cells = {r[col] for r in rows[1:]}
    for text in payloads:
        assert "'" + text in cells, text
        assert text not in cells


def test_production_refuses_memory_limiter_with_several_workers(app_config):
    from kinerja_admin import create_app

    class Prod(app_config):
        KINERJA_ENV = "production"
        RATELIMIT_STORAGE_URI = "memory://"
        KINERJA_SINGLE_WORKER = False

    with pytest.raises(RuntimeError, match="redis"):
        create_app(Prod)

    class OneWorker(Prod):
        KINERJA_SINGLE_WORKER = True

    assert create_app(OneWorker) is not None


def test_proxy_hops_key_the_real_client(app_config):
    from flask import request

    from kinerja_admin import create_app

    class Proxied(app_config):
        KINERJA_PROXY_HOPS = 1

    proxied = create_app(Proxied)

    @proxied.route("/_whoami")
    def whoami():
        return request.remote_addr

    c = proxied.test_client()
    assert c.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}).get_data(as_text=True) == "203.0.113.7"
    # a client-supplied hop in front of our proxy's is not trusted
    got = c.get("/_whoami", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.8"}).get_data(as_text=True)
    assert got == "203.0.113.8"
    plain = create_app(app_config).test_client()
    plain_app = plain.application

    @plain_app.route("/_whoami2")
    def whoami2():
        return request.remote_addr

    assert plain.get("/_whoami2", headers={"X-Forwarded-For": "203.0.113.7"}).get_data(as_text=True) == "127.0.0.1"
