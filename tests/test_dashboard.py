"""Operator dashboard (admin index): renders for every role, inside each role's row scope."""
from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import func, or_, select

from kinerja_admin.reports import dashboard as reports
from kinerja_admin.reports.common import pick_period
from models import Employee, WorkPlan, db
from tests.conftest import login_as

ROLES = ["admin", "operator", "inspektur", "penilai", "pegawai"]


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_renders_for_every_role_and_period(client, published, role):
    login_as(client, published["users"][role])
    for url in ("/admin/", "/admin/?periode=2025", "/admin/?periode=2026"):
        r = client.get(url)
        assert r.status_code == 200, (role, url)
        html = r.get_data(as_text=True)
        assert "Selamat datang" in html
        if role in ("admin", "operator", "inspektur"):
            assert 'id="funnel"' in html and 'id="kelengkapan-unit"' in html
        if role == "penilai":
            assert 'id="funnel"' in html and "Kemajuan tim saya" in html
            assert "Sebaran predikat terhadap kurva" not in html
        if role == "pegawai":
            assert 'id="funnel"' not in html and 'id="kelengkapan-unit"' not in html
        if role in ("penilai", "pegawai"):
            assert 'id="ringkasan-pribadi"' in html and "/admin/saya/" in html


def test_dashboard_without_periods(client, app):
    from models import User

    user = User(username="adm", full_name="Adm", role="admin", password_hash="x")
    db.session.add(user)
    db.session.commit()
    login_as(client, user)
    r = client.get("/admin/")
    assert r.status_code == 200 and "Belum ada periode penilaian" in r.get_data(as_text=True)


def test_dashboard_requires_login(client, published):
    r = client.get("/admin/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_distribution_warnings_from_scoring_helper(client, published):
    from kinerja_admin.scoring.distribution import check_distribution

    period = published["periods"]["2025"]
    assert check_distribution(db.session, period) == [], "the demo's raters keep their units' curves"
    # a unit whose organisation rating its predicates do not fit
    from models import UnitRating

    rating = db.session.scalar(select(UnitRating).where(UnitRating.period_id == period.id).order_by(UnitRating.id))
    rating.rating = "sangat_kurang"
    db.session.commit()
    warnings = check_distribution(db.session, period)
    assert warnings
    login_as(client, published["users"]["operator"])
    html = htmllib.unescape(client.get("/admin/?periode=2025").get_data(as_text=True))
    assert 'id="peringatan-distribusi"' in html
    for w in warnings:
        assert w in html


def _rows_on_list(client, url):
    html = client.get(url + ("&" if "?" in url else "?") + "page_size=100").get_data(as_text=True)
    return len(re.findall(r'name="rowid"', html))


def test_funnel_links_open_matching_filtered_lists(client, published):
    login_as(client, published["users"]["admin"])
    html = client.get("/admin/?periode=2026").get_data(as_text=True)
    period = published["periods"]["2026"]
    f = reports.funnel(db.session, period, published["users"]["admin"])
    links = dict(re.findall(r'<a href="(/admin/work_plan/\?[^"]+)">(\d+)', html))
    assert links, "funnel should link into the work plan list"
    checked = 0
    for url, shown in links.items():
        url = htmllib.unescape(url)
        if int(shown) <= 100:  # one list page
            assert _rows_on_list(client, url) == int(shown), url
            checked += 1
    assert checked >= 2
    returned = re.search(r'<a href="([^"]+)">(\d+) dikembalikan', html)
    assert int(returned.group(2)) == f["plans_returned"] > 0
    assert _rows_on_list(client, htmllib.unescape(returned.group(1))) == f["plans_returned"]


def test_funnel_counts(published):
    admin = published["users"]["admin"]
    f25 = reports.funnel(db.session, published["periods"]["2025"], admin)
    assert f25["plans"] == f25["plans_approved"] == f25["scores_computed"] == f25["scores_published"] == 60
    assert f25["ratings_complete"] == f25["ratees"] > 0
    assert f25["objections_open"] == 0
    f26 = reports.funnel(db.session, published["periods"]["2026"], admin)
    statuses = dict(db.session.execute(select(WorkPlan.status, func.count()).where(
        WorkPlan.period_id == published["periods"]["2026"].id).group_by(WorkPlan.status)).all())
    assert f26["plans_draft"] == statuses.get("draft", 0)
    assert f26["plans_submitted"] == f26["plans"] - statuses.get("draft", 0) - statuses.get("returned", 0)
    assert f26["scores_computed"] == 0


def test_penilai_dashboard_is_scoped(client, published):
    penilai = published["users"]["penilai"]
    period = published["periods"]["2025"]
    me = penilai.employee_id
    team = select(Employee.id).where(or_(Employee.id == me, Employee.superior_id == me))
    expected = db.session.scalar(select(func.count(WorkPlan.id)).where(
        WorkPlan.period_id == period.id,
        or_(WorkPlan.employee_id.in_(team), WorkPlan.rater_id == me, WorkPlan.rater_superior_id == me)))
    f = reports.funnel(db.session, period, penilai)
    assert 0 < f["plans"] == expected < 60
    units = reports.unit_progress(db.session, period, penilai)
    assert sum(u["plans"] for u in units) == expected
    login_as(client, penilai)
    html = client.get("/admin/?periode=2025").get_data(as_text=True)
    assert f">{expected}</a>" in html
    # nobody outside the team is named on the page
    outsiders = db.session.scalars(select(Employee.name).where(Employee.id.not_in(team),
                                                               Employee.superior_id.is_not(None))).all()
    assert not any(name in html for name in outsiders)


def test_dashboard_period_default_and_unknown(published):
    periods = reports.periods(db.session)
    assert pick_period(periods, None).code == "2026"  # newest open period
    assert pick_period(periods, "2025").code == "2025"
    assert pick_period(periods, "nope").code == "2026"
    assert pick_period(periods, "nope", strict=True) is None  # the portal answers 404
