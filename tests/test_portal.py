"""Public transparency portal: aggregates only, no personal data by default, cache headers."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from kinerja_admin.charts import bar_chart, line_chart
from kinerja_admin.reports import public as reports
from kinerja_admin.reports.common import unit_tree
from models import Employee, Period, PublicFeedback, ScoreResult, Setting, Unit, db

NIP18 = re.compile(r"(?<!\d)\d{18}(?!\d)")
NIP_SPACED = re.compile(r"\d{8} \d{6} \d \d{3}")


def _portal_pages(client):
    """Every portal page of the demo city for every public period: index and each unit."""
    pages = {}
    codes = db.session.scalars(select(Unit.code)).all()
    periods = [p.code for p in reports.public_periods(db.session)] or [None]
    for period in periods:
        q = f"?periode={period}" if period else ""
        pages[f"/publik/{q}"] = client.get(f"/publik/{q}")
        for code in codes:
            pages[f"/publik/unit/{code}{q}"] = client.get(f"/publik/unit/{code}{q}")
    return pages


def _comments():
    return [c for c in db.session.scalars(select(PublicFeedback.comment).where(PublicFeedback.comment.is_not(None)))
            if c]


def _set_show_individual(value: str):
    row = db.session.get(Setting, "public.show_individual")
    row.value = value
    db.session.commit()


def test_portal_without_published_results(client, demo):
    # the demo publishes the organisational data of its baseline year 2024: withdrawn for this case
    db.session.execute(update(Period).values(published_at=None))
    db.session.commit()
    r = client.get("/publik/")
    assert r.status_code == 200
    assert "Belum ada hasil penilaian kinerja yang diumumkan" in r.get_data(as_text=True)
    assert client.get("/publik/unit/DINKES").status_code == 200


def test_portal_shows_no_personal_data_by_default(client, published):
    names = [e.name for e in published["employees"]]
    nips = [e.nip for e in published["employees"]]
    comments = _comments()
    assert comments, "the demo city should have public comments to check against"
    pages = _portal_pages(client)
    assert len(pages) > 10
    for url, r in pages.items():
        assert r.status_code == 200, url
        html = r.get_data(as_text=True)
        assert "<svg" in html, url
        for name in names:
            assert name not in html, (url, name)
        for nip in nips:
            assert nip not in html and nip[:8] not in html, (url, nip)
        assert not NIP18.search(html), url
        assert not NIP_SPACED.search(html), url
        for comment in comments:
            assert comment not in html, (url, comment)
        assert 'id="daftar-pegawai"' not in html


def test_portal_with_individual_setting_shows_names_but_no_nip_or_comments(client, published):
    _set_show_individual("true")
    comments = _comments()
    r = client.get("/publik/unit/DINKES")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="daftar-pegawai"' in html
    dinkes = db.session.scalar(select(Unit).where(Unit.code == "DINKES"))
    subtree = unit_tree(db.session).subtree(dinkes.id)
    emps = db.session.scalars(select(Employee).where(Employee.unit_id.in_(subtree))).all()
    assert emps
    for e in emps:
        assert e.name in html
    others = db.session.scalars(select(Employee).where(Employee.unit_id.not_in(subtree))).all()
    assert others and not any(e.name in html for e in others)
    for url, page in _portal_pages(client).items():
        text = page.get_data(as_text=True)
        assert page.status_code == 200, url
        assert not NIP18.search(text), url
        assert not NIP_SPACED.search(text), url
        for comment in comments:
            assert comment not in text, (url, comment)


def test_only_published_results_count(client, published):
    period = published["periods"]["2025"]
    total = db.session.scalar(select(db.func.count(ScoreResult.id)).where(ScoreResult.period_id == period.id))
    html = client.get("/publik/").get_data(as_text=True)
    assert re.search(r'id="jumlah-pegawai">\s*' + str(total) + r"\s*<", html)
    # take one result back to 'approved': the public count drops by one and the name disappears
    victim = db.session.scalar(select(ScoreResult).where(ScoreResult.period_id == period.id).order_by(ScoreResult.id))
    name = victim.employee.name
    db.session.execute(update(ScoreResult).where(ScoreResult.id == victim.id).values(status="approved"))
    db.session.commit()
    _set_show_individual("true")
    html = client.get("/publik/").get_data(as_text=True)
    assert re.search(r'id="jumlah-pegawai">\s*' + str(total - 1) + r"\s*<", html)
    root = victim.unit
    while root.parent is not None:
        root = root.parent
    unit_html = client.get(f"/publik/unit/{root.code}").get_data(as_text=True)
    assert name not in unit_html


def test_city_overview_adds_up(published):
    period = published["periods"]["2025"]
    data = reports.city_overview(db.session, period)
    assert data["city"].count == 60
    assert sum(row.tally.count for row in data["units"]) == data["city"].count
    assert sum(n for _label, n in data["distribution"]) == data["city"].count
    labels = [label for label, _ in data["distribution"]]
    assert labels.index("Sangat Baik") < labels.index("Baik") < labels.index("Butuh Perbaikan") \
        < labels.index("Kurang (Misconduct)") < labels.index("Sangat Kurang")
    ikm = data["city_ikm"]
    assert ikm.responses == db.session.scalar(select(db.func.count(PublicFeedback.id))
                                              .where(PublicFeedback.period_id == period.id))
    assert ikm.value is not None and ikm.letter in {"A", "B", "C", "D"}


def test_cache_headers_and_etag(client, published):
    r = client.get("/publik/")
    assert r.headers["Cache-Control"] == "public, max-age=300"
    etag = r.headers["ETag"]
    assert etag
    again = client.get("/publik/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "public, max-age=300"
    unit = client.get("/publik/unit/DINKES")
    assert unit.headers["Cache-Control"] == "public, max-age=300" and unit.headers["ETag"] != etag
    # the data changes: the old validator no longer matches
    _set_show_individual("true")
    changed = client.get("/publik/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_unknown_period_or_unit_is_404(client, published):
    assert client.get("/publik/?periode=1999").status_code == 404
    assert client.get("/publik/unit/TIDAK-ADA").status_code == 404


def test_portal_links_to_feedback_survey(client, published):
    html = client.get("/publik/unit/DINKES").get_data(as_text=True)
    assert 'href="/publik/u/dinkes"' in html
    assert client.get("/publik/u/dinkes").status_code == 200


@pytest.mark.parametrize("label", ['<script>alert(1)</script>', 'A & B "quoted"'])
def test_charts_escape_labels(label):
    bars = str(bar_chart([(label, 3), ("Baik", 1)], title=label))
    line = str(line_chart([(label, 80), ("2026", None), ("2027", 90)], title=label))
    for svg in (bars, line):
        assert "<script>" not in svg
        assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "&lt;script&gt;" in bars or "&amp;" in bars


def test_bar_chart_scales_with_counts():
    svg = str(bar_chart([("Baik", 30), ("Kurang", 10)], title="x"))
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[0] == pytest.approx(3 * widths[1], abs=0.5)
    assert "75" in svg and "25" in svg  # shares
