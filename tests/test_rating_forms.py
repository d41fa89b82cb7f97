"""The rater's rating form: pending ratees, one final submission, server-side refusals."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from kinerja_admin.rating.assignment import generate_assignments
from kinerja_admin.rating.common import RatingError
from kinerja_admin.rating.service import form_spec, submit_ratings
from models import AuditLog, BehaviourRating, RaterAssignment
from tests.conftest import login_as


@pytest.fixture
def rated(demo):
    period = demo["periods"]["2026"]
    generate_assignments(db.session, period)
    db.session.commit()
    pegawai = demo["users"]["pegawai"]
    mine = db.session.scalar(select(RaterAssignment).where(
        RaterAssignment.period_id == period.id, RaterAssignment.rater_id == pegawai.employee_id,
        RaterAssignment.role == "bawahan"))
    assert mine is not None and mine.ratee_id == demo["users"]["penilai"].employee_id
    return demo, period, mine


def _n_ratings():
    return db.session.scalar(select(func.count()).select_from(BehaviourRating))


def _form(spec, value="4"):
    return {f"aspect-{a.id}": value for a in spec.aspects}


def test_rater_sees_pending_and_submits_once(client, rated):
    demo, period, mine = rated
    login_as(client, demo["users"]["pegawai"])
    html = client.get("/admin/my_ratings/").get_data(as_text=True)
    assert mine.ratee.name in html and "Belum dinilai" in html
    spec = form_spec(db.session, mine)
    assert spec.aspects and spec.choices == [1, 2, 3, 4, 5]
    page = client.get(f"/admin/my_ratings/nilai/{mine.id}")
    assert page.status_code == 200 and spec.aspects[0].name in page.get_data(as_text=True)

    before = _n_ratings()
    data = _form(spec) | {f"comment-{spec.aspects[0].id}": "Sangat membantu tim."}
    rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=data | {"confirm": "1"})
    assert rv.status_code == 302
    db.session.expire_all()
    assert _n_ratings() == before + len(spec.aspects)
    assert db.session.get(RaterAssignment, mine.id).status == "submitted"

    # a second submission (double click, replay) stores nothing and says why
    rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=_form(spec, "1") | {"confirm": "1"},
                     follow_redirects=True)
    assert "sudah dikirim" in rv.get_data(as_text=True)
    db.session.expire_all()
    assert _n_ratings() == before + len(spec.aspects)
    values = set(db.session.scalars(select(BehaviourRating.value).where(BehaviourRating.assignment_id == mine.id)))
    assert values == {4}
    # the audit entry of a subordinate's rating does not name the rater
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "rater_assignment",
                                                     AuditLog.action == "submit",
                                                     AuditLog.entity_id == str(mine.id)))
    assert entry.username == "(anonim)" and entry.user_id is None
    pegawai = demo["users"]["pegawai"]
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.period_id == period.id, AuditLog.user_id == pegawai.id)) == 0


@pytest.mark.parametrize("value,message", [("6", "harus antara 1 dan 5"), ("0", "harus antara 1 dan 5"),
                                           ("2.5", "bilangan bulat"), ("abc", "harus berupa angka"),
                                           ("", "wajib diisi"), ("NaN", "harus berupa angka")])
def test_bad_values_are_refused(client, rated, value, message):
    demo, period, mine = rated
    login_as(client, demo["users"]["pegawai"])
    spec = form_spec(db.session, mine)
    data = _form(spec)
    data[f"aspect-{spec.aspects[-1].id}"] = value
    before = _n_ratings()
    rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=data)
    assert rv.status_code == 400
    assert message in rv.get_data(as_text=True)
    db.session.expire_all()
    assert _n_ratings() == before
    assert db.session.get(RaterAssignment, mine.id).status == "pending"


def test_comment_is_capped(rated):
    demo, period, mine = rated
    spec = form_spec(db.session, mine)
    values = {a.id: "3" for a in spec.aspects}
    with pytest.raises(RatingError, match="1000 karakter"):
        submit_ratings(db.session, mine.id, mine.rater_id, values, {spec.aspects[0].id: "x" * 1001})


def test_nobody_rates_outside_their_assignments(client, rated):
    demo, period, mine = rated
    other = db.session.scalar(select(RaterAssignment).where(
        RaterAssignment.period_id == period.id, RaterAssignment.rater_id != mine.rater_id,
        RaterAssignment.status == "pending"))
    login_as(client, demo["users"]["pegawai"])
    spec = form_spec(db.session, other)
    before = _n_ratings()
    rv = client.post(f"/admin/my_ratings/nilai/{other.id}", data=_form(spec), follow_redirects=True)
    assert "tidak ditugaskan" in rv.get_data(as_text=True)
    rv = client.post("/admin/my_ratings/nilai/999999", data=_form(spec), follow_redirects=True)
    assert "tidak ditugaskan" in rv.get_data(as_text=True)
    db.session.expire_all()
    assert _n_ratings() == before
    assert db.session.get(RaterAssignment, other.id).status == "pending"
    # an account without an employee record has no form at all
    login_as(client, demo["users"]["admin"])
    assert "tidak terkait" in client.get("/admin/my_ratings/").get_data(as_text=True)
    rv = client.post(f"/admin/my_ratings/nilai/{other.id}", data=_form(spec), follow_redirects=True)
    assert "tidak ditugaskan" in rv.get_data(as_text=True)


def test_self_as_peer_and_foreign_aspects_are_refused(rated):
    demo, period, mine = rated
    me = mine.rater_id
    # an assignment that should never exist (e.g. imported): rating oneself as a peer
    db.session.execute(RaterAssignment.__table__.insert().values(
        period_id=period.id, ratee_id=me, rater_id=me, role="rekan", status="pending"))
    db.session.commit()
    bad = db.session.scalar(select(RaterAssignment).where(RaterAssignment.ratee_id == me,
                                                          RaterAssignment.rater_id == me))
    spec = form_spec(db.session, bad)
    with pytest.raises(RatingError, match="diri sendiri sebagai rekan"):
        submit_ratings(db.session, bad.id, me, {a.id: "3" for a in spec.aspects})
    db.session.rollback()
    values = {a.id: "3" for a in form_spec(db.session, mine).aspects} | {987654: "3"}
    with pytest.raises(RatingError, match="tidak termasuk skema"):
        submit_ratings(db.session, mine.id, me, values)
    db.session.rollback()
    assert _n_ratings() == db.session.scalar(select(func.count()).select_from(BehaviourRating))


def test_closed_or_draft_period_refuses(rated):
    from sqlalchemy import update

    from models import Period

    demo, period, mine = rated
    db.session.execute(update(Period).where(Period.id == period.id).values(status="planning"))
    db.session.commit()
    db.session.expire_all()
    mine = db.session.get(RaterAssignment, mine.id)
    spec = form_spec(db.session, mine)
    with pytest.raises(RatingError, match="tidak sedang dalam tahap penilaian"):
        submit_ratings(db.session, mine.id, mine.rater_id, {a.id: "3" for a in spec.aspects})


def test_rating_form_needs_csrf(app, client, rated):
    demo, period, mine = rated
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        login_as(client, demo["users"]["pegawai"])
        spec = form_spec(db.session, mine)
        rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=_form(spec))
        assert rv.status_code == 400
        db.session.expire_all()
        assert db.session.get(RaterAssignment, mine.id).status == "pending"
        from tests.conftest import csrf_from

        token = csrf_from(client.get(f"/admin/my_ratings/nilai/{mine.id}").get_data(as_text=True))
        rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=_form(spec) | {"csrf_token": token, "confirm": "1"})
        assert rv.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_form_shows_guides_and_scale_meanings_and_asks_to_confirm(client, rated):
    """Each aspect with its BerAKHLAK guide sentences and the meaning of every scale point; the first
    POST only shows the values for confirmation (nothing stored); "Ubah" goes back with the values."""
    from kinerja_admin.scoring.presets import BERAKHLAK

    demo, period, mine = rated
    login_as(client, demo["users"]["pegawai"])
    spec = form_spec(db.session, mine)
    html = client.get(f"/admin/my_ratings/nilai/{mine.id}").get_data(as_text=True)
    for _code, name, sentences in BERAKHLAK:
        assert name in html and all(sentence in html for sentence in sentences)
    assert "Sesuai ekspektasi: perilaku ini ditunjukkan sebagaimana diharapkan" in html  # point 3
    assert "Sangat baik: perilaku ini selalu ditunjukkan" in html  # point 5

    before = _n_ratings()
    data = _form(spec, "5")
    rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=data)
    page = rv.get_data(as_text=True)
    assert rv.status_code == 200 and "Kirim penilaian (final)" in page and "belum dikirim" in page
    db.session.expire_all()
    assert _n_ratings() == before and db.session.get(RaterAssignment, mine.id).status == "pending"
    rv = client.post(f"/admin/my_ratings/nilai/{mine.id}", data=data | {"edit": "1"})
    import re

    form = rv.get_data(as_text=True)
    assert rv.status_code == 200 and all(
        re.search(rf'id="a{a.id}-5" value="5"\s+checked', form) for a in spec.aspects)
    db.session.expire_all()
    assert _n_ratings() == before


def test_a_submitted_rating_opens_read_only_with_its_date(client, rated):
    demo, period, mine = rated
    login_as(client, demo["users"]["pegawai"])
    spec = form_spec(db.session, mine)
    values = {a.id: str(i % 5 + 1) for i, a in enumerate(spec.aspects)}
    submit_ratings(db.session, mine.id, mine.rater_id, values, {spec.aspects[0].id: "Catatan saya."})
    db.session.commit()
    stamp = db.session.get(RaterAssignment, mine.id).submitted_at
    rv = client.get(f"/admin/my_ratings/nilai/{mine.id}")
    html = rv.get_data(as_text=True)
    from kinerja_admin.formatting import tanggal

    assert rv.status_code == 200 and "sudah dikirim" in html.lower() and tanggal(stamp, with_time=True) in html
    assert "<form" not in html.split('id="nilai-terkirim"')[1].split("</table>")[0]
    assert 'type="radio"' not in html and "Catatan saya." in html
    # the values as given, with their meanings
    assert "Sangat kurang: perilaku ini hampir tidak pernah ditunjukkan" in html


def test_an_inspector_linked_to_a_rater_reads_but_never_rates(client, rated):
    """The record policy, not the form, decides who stores a rating: an account whose role is
    inspektur stays read-only even when its employee is someone's assigned rater."""
    demo, period, mine = rated
    user = demo["users"]["pegawai"]
    user.role = "inspektur"
    db.session.commit()
    spec = form_spec(db.session, mine)
    before = _n_ratings()
    login_as(client, user)
    client.post(f"/admin/my_ratings/nilai/{mine.id}", data=_form(spec) | {"confirm": "1"})
    db.session.expire_all()
    assert _n_ratings() == before
    assert db.session.get(RaterAssignment, mine.id).status == "pending"
    with pytest.raises(RatingError, match="Nilai perilaku dapat ditambahkan hanya"):
        submit_ratings(db.session, mine.id, user.employee_id, {a.id: "4" for a in spec.aspects}, user=user)
    db.session.rollback()
    assert db.session.get(RaterAssignment, mine.id).status == "pending"
