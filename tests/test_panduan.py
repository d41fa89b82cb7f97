"""Panduan (sosialisasi): public pages without login, role pages after login, the period's real
dates and the reader's own next step, text edited by an admin without code and rendered safely,
contextual help on the SKP, assessment and rating pages, participation per OPD on the dashboard."""
from __future__ import annotations

from sqlalchemy import select

from kinerja_admin.extensions import db
from kinerja_admin.formatting import tanggal
from kinerja_admin.guidance import render
from models import GuidePage, WorkPlan
from tests.conftest import login_as


def test_public_guidance_without_login(client, demo):
    rv = client.get("/panduan/")
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200
    for title in ("Siklus penilaian kinerja", "Apa yang terbuka dan apa yang dirahasiakan",
                  "Cara mengajukan keberatan", "Suara masyarakat"):
        assert title in html
    assert "/panduan/pegawai" not in html and "tersedia setelah masuk" in html  # role pages after login
    page = client.get("/panduan/siklus").get_data(as_text=True)
    period = demo["periods"]["2026"]  # the running period is the default
    assert tanggal(period.start_date) in page and tanggal(period.end_date) in page and "{mulai}" not in page
    privacy = client.get("/panduan/transparansi").get_data(as_text=True)
    assert "NIP" in privacy and "rerata" in privacy
    rv = client.get("/panduan/pegawai")
    assert rv.status_code == 302 and "/login" in rv.headers["Location"]
    assert client.get("/panduan/tidak-ada").status_code == 404


def test_employee_sees_own_next_step(client, demo):
    pegawai = demo["users"]["pegawai"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == pegawai.employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id))
    plan.status = "returned"
    plan.return_reason = "Indikator kedua belum terukur"
    db.session.commit()
    login_as(client, pegawai)
    html = client.get("/panduan/").get_data(as_text=True)
    assert 'id="langkah-saya"' in html and "Indikator kedua belum terukur" in html and "Perbaiki SKP" in html
    assert "Panduan untuk pegawai" in html
    assert client.get("/panduan/pegawai").status_code == 200


def test_penilai_is_told_about_plans_to_approve(client, demo):
    penilai = demo["users"]["penilai"]
    n = len(db.session.scalars(select(WorkPlan.id).where(WorkPlan.rater_id == penilai.employee_id,
                                                         WorkPlan.period_id == demo["periods"]["2026"].id,
                                                         WorkPlan.status == "submitted")).all())
    assert n > 0
    login_as(client, penilai)
    assert f"{n} SKP bawahan menunggu persetujuan Anda" in client.get("/panduan/").get_data(as_text=True)


def test_admin_edits_the_text_without_code_and_it_is_rendered_safely(client, demo):
    page = db.session.scalar(select(GuidePage).where(GuidePage.slug == "keberatan"))
    login_as(client, demo["users"]["admin"])
    body = ("## Langkah baru\n\nAjukan dalam **{hari_keberatan} hari**. <script>alert(1)</script>"
            "<img src=x onerror=alert(2)> [tautan](javascript:alert(3)) [resmi](https://binjaikota.go.id)")
    rv = client.post(f"/admin/guide_page/edit/?id={page.id}", data={
        "title": page.title, "slug": page.slug, "audience": page.audience, "public": "y", "seq": str(page.seq),
        "body": body})
    assert rv.status_code == 302, rv.get_data(as_text=True)[:800]
    html = client.get("/panduan/keberatan").get_data(as_text=True)
    article = html[html.index('id="isi-panduan"'):]
    assert "<h2>Langkah baru</h2>" in article and "<strong>14 hari</strong>" in article
    assert "<script>alert(1)" not in article and "onerror" not in article and "javascript:" not in article
    assert 'href="https://binjaikota.go.id"' in article
    db.session.expire_all()
    assert db.session.get(GuidePage, page.id).updated_by_id == demo["users"]["admin"].id


def test_guide_page_rights(client, demo):
    page = db.session.scalar(select(GuidePage).where(GuidePage.slug == "siklus"))
    login_as(client, demo["users"]["operator"])
    assert client.get(f"/admin/guide_page/edit/?id={page.id}").status_code == 200  # BKPSDM edits the text
    assert client.get("/admin/guide_page/new/").status_code == 403
    login_as(client, demo["users"]["pegawai"])
    assert client.get("/admin/guide_page/").status_code == 403


def test_render_whitelist():
    html = render('<a href="/x" onclick="y()">a</a> <iframe src="https://x"></iframe> *b* {periode}',
                  {"periode": "2026"})
    assert 'onclick' not in html and "<iframe" not in html and "<em>b</em>" in html and "2026" in html


def test_contextual_help_on_skp_assessment_and_rating_pages(client, demo):
    login_as(client, demo["users"]["pegawai"])
    assert 'id="bantuan-bantuan-skp"' in client.get("/admin/work_plan/").get_data(as_text=True)
    assert 'id="bantuan-bantuan-rating"' in client.get("/admin/my_ratings/").get_data(as_text=True)
    login_as(client, demo["users"]["operator"])
    assert 'id="bantuan-bantuan-penilaian"' in client.get("/admin/score_result/").get_data(as_text=True)


def test_dashboard_shows_participation_per_opd(client, demo):
    login_as(client, demo["users"]["operator"])
    html = client.get("/admin/?periode=2026").get_data(as_text=True)
    card = html[html.index('id="partisipasi-opd"'):]
    card = card[:card.index("</table>")]
    assert "Dinas Kesehatan" in card and "Menunggu persetujuan" in card
    # the links open the plan list of that OPD filtered by status
    assert "/admin/work_plan/?" in card and "flt" in card
    login_as(client, demo["users"]["pegawai"])
    assert 'id="partisipasi-opd"' not in client.get("/admin/?periode=2026").get_data(as_text=True)
