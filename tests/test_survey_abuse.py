"""Ballot stuffing on the citizen survey (issue 15): replayed nonces and cookies, one voice per
device, bursts held back for moderation and kept out of IKM and the masyarakat role, the portal
showing counted and held responses."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from kinerja_admin.rating.feedback import feedback_period
from kinerja_admin.rating.ikm import ikm_for, masyarakat_scores
from models import AuditLog, Employee, PublicFeedback, Unit
from tests.conftest import login_as

URL = "/publik/u/dinkes"


def _count(**where):
    q = select(func.count()).select_from(PublicFeedback)
    for k, v in where.items():
        q = q.where(getattr(PublicFeedback, k) == v)
    db.session.rollback()  # see what other requests committed
    return db.session.scalar(q)


def _nonce(html):
    m = re.search(r'<input[^>]*name="nonce"[^>]*>', html)
    return re.search(r'value="([^"]+)"', m.group(0)).group(1)


def _answers(value="3", **extra):
    return {f"u{i}": value for i in range(1, 10)} | extra


@pytest.fixture
def dinkes(demo):
    return db.session.scalar(select(Unit).where(Unit.slug == "dinkes"))


def _device(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _send(client, **answers):
    data = _answers(**answers) | {"nonce": _nonce(client.get(URL).get_data(as_text=True))}
    return client.post(URL, data=data)


def test_replaying_the_pre_submit_cookies_and_form_stores_nothing(app, dinkes):
    client = _device(app, "10.20.0.1")
    html = client.get(URL).get_data(as_text=True)
    saved = {c.key: c.value for c in client._cookies.values()}
    data = _answers() | {"nonce": _nonce(html)}
    before = _count()
    assert client.post(URL, data=data).status_code == 302
    for _ in range(3):  # the attack of the issue: put the pre-submit cookies back and post again
        for key, value in saved.items():
            client.set_cookie(key, value, path="/publik/" if key == "kinerja_responden" else "/")
        rv = client.post(URL, data=data, follow_redirects=True)
        assert "sudah dikirim atau kedaluwarsa" in rv.get_data(as_text=True)
    # the same nonce from another browser (another respondent token) is refused too
    other = _device(app, "10.20.0.2")
    other.get(URL)
    assert "kedaluwarsa" in other.post(URL, data=data, follow_redirects=True).get_data(as_text=True)
    # a nonce nobody issued (forged) is refused
    assert "kedaluwarsa" in other.post(URL, data=_answers() | {"nonce": "x" * 40},
                                       follow_redirects=True).get_data(as_text=True)
    assert _count() == before + 1


def test_one_voice_per_device_per_survey_and_per_officer(app, dinkes):
    officer = db.session.scalar(select(Employee).where(Employee.unit_id == dinkes.id, Employee.active.is_(True)))
    client = _device(app, "10.21.0.1")
    before = _count()
    assert _send(client, employee=str(officer.id), employee_score="4").status_code == 302
    rv = _send(client, u1="1")
    assert rv.status_code == 302 and _count() == before + 1
    assert "sudah mengirim survei" in client.get(rv.headers["Location"]).get_data(as_text=True)
    # another device (another citizen) is counted
    assert _send(_device(app, "10.21.0.2"), employee=str(officer.id), employee_score="4").status_code == 302
    assert _count() == before + 2


def test_a_burst_is_held_back_and_ikm_does_not_move_until_released(app, client, dinkes, demo):
    period = feedback_period(db.session)
    officer = db.session.scalar(select(Employee).where(Employee.unit_id == dinkes.id, Employee.active.is_(True)))
    ikm_before = ikm_for(db.session, period, unit_id=dinkes.id)
    public_before = masyarakat_scores(db.session, period).get(officer.id)
    # 8 "citizens" (fresh devices, different addresses) send the same worst answers within a minute
    for i in range(8):
        rv = _send(_device(app, f"10.22.0.{i}"), value="1", employee=str(officer.id), employee_score="1")
        assert rv.status_code == 302
    assert _count(status="held") == 8  # the first ones too, once the burst was recognised
    db.session.rollback()
    ikm_after = ikm_for(db.session, period, unit_id=dinkes.id)
    assert (ikm_after.responses, ikm_after.value) == (ikm_before.responses, ikm_before.value)
    assert masyarakat_scores(db.session, period).get(officer.id) == public_before
    # a different, ordinary response still counts at once
    assert _send(_device(app, "10.22.1.1"), value="4").status_code == 302
    assert _count(status="accepted") >= 1

    # the operator sees them in the moderation list and releases two, rejects the rest
    login_as(client, demo["users"]["operator"])
    page = client.get("/admin/feedback_moderation/")
    assert page.status_code == 200 and "Lonjakan" in page.get_data(as_text=True)
    held = db.session.scalars(select(PublicFeedback.id).where(PublicFeedback.status == "held")
                              .order_by(PublicFeedback.id)).all()
    rv = client.post("/admin/feedback_moderation/action/", data={"action": "release", "rowid": held[:2]})
    assert rv.status_code == 302
    client.post("/admin/feedback_moderation/action/", data={"action": "reject", "rowid": held[2:]})
    assert (_count(status="released"), _count(status="rejected"), _count(status="held")) == (2, 6, 0)
    released = ikm_for(db.session, period, unit_id=dinkes.id)
    assert released.responses == ikm_before.responses + 3  # two released + the ordinary one
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action.in_(["feedback_release", "feedback_reject"]))) == 8


def test_many_responses_from_one_client_are_held(app, dinkes):
    """Different answers, fresh respondent tokens, one address and browser: held at the threshold
    (the setting `public.client_burst`, here 4; kept under the survey's rate limit of 5 a minute)."""
    from models import Setting

    db.session.merge(Setting(key="public.client_burst", value="4", value_type="int", description="uji"))
    db.session.commit()
    client = _device(app, "10.23.0.1")
    for i in range(5):
        client.delete_cookie("kinerja_responden", path="/publik/")
        rv = _send(client, value=str(1 + i % 4), u1=str(1 + (i // 4) % 4), u2=str(1 + (i // 2) % 4))
        assert rv.status_code == 302
    assert _count(status="held") == 5  # all five, the first three too


def test_portal_shows_counted_and_held(published, client):
    period = published["periods"]["2025"]
    unit = db.session.scalar(select(Unit).where(Unit.slug == "dinkes"))
    counted = _count(period_id=period.id, unit_id=unit.id)
    held = PublicFeedback(period_id=period.id, unit_id=unit.id, status="held", held_reason="Lonjakan: uji",
                          **{f"u{i}": 1 for i in range(1, 10)})
    db.session.add(held)
    db.session.commit()
    html = client.get(f"/publik/unit/{unit.code}?periode={period.code}").get_data(as_text=True)
    assert f"dari {counted} respons terhitung; 1 respons ditahan" in html
