"""Notifications: in the app and by e-mail through a real SMTP server (aiosmtpd on 127.0.0.1, a free
port), sent by the background task after the workflow's commit: Indonesian content, one message per
event and recipient, none after opting out, a daily digest, nothing without SMTP; deadline reminders
at most once."""
from __future__ import annotations

import datetime as dt
import email
import socket
import time
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select, update

from kinerja_admin.clock import today
from kinerja_admin.notify import events, inbox, reminders, sender
from kinerja_admin.workflow import plan as plan_flow
from models import Employee, Notification, Period, User, WorkPlan, db
from tests.conftest import login_as
from tests.skp_helpers import plan_of, set_state


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(KINERJA_SMTP_HOST="127.0.0.1", KINERJA_SMTP_PORT=port, KINERJA_SMTP_SECURITY="none",
                      KINERJA_MAIL_FROM="e-kinerja@binjaikota.go.id", KINERJA_BASE_URL="https://kinerja.example")
    yield handler
    controller.stop()


def _wait(handler, n, timeout=5.0):
    end = time.time() + timeout
    while len(handler.messages) < n and time.time() < end:
        time.sleep(0.05)
    return handler.messages


@pytest.fixture
def scene(demo):
    users = demo["users"]
    for i, u in enumerate(users.values()):
        if u.employee_id:
            db.session.execute(update(Employee).where(Employee.id == u.employee_id)
                               .values(email=f"{u.username}{i}@binjaikota.go.id"))
    db.session.commit()
    plan = plan_of(demo)
    set_state(plan, "draft", "running")
    return {"users": users, "plan": db.session.get(WorkPlan, plan.id)}


def _body(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def test_submitted_plan_emails_the_rater_once_in_indonesian(client, smtp, scene):
    users, plan = scene["users"], scene["plan"]
    login_as(client, users["pegawai"])
    rv = client.post(f"/admin/skp/{plan.id}/aksi", data={"op": "submit"})
    assert rv.status_code == 302
    messages = _wait(smtp, 1)
    assert len(messages) == 1
    to, msg = messages[0]
    rater = users["penilai"]
    assert to == [rater.employee.email]
    assert "menunggu persetujuan Anda" in msg["Subject"] and users["pegawai"].employee.name in msg["Subject"]
    text = _body(msg)
    assert f"Yth. {rater.full_name}" in text and "mengajukan SKP periode 2026" in text
    assert f"https://kinerja.example/admin/skp/{plan.id}" in text and "Atur pemberitahuan" in text
    # in the app: the bell of the rater shows it, and it is marked sent
    row = db.session.scalar(select(Notification).where(Notification.user_id == rater.id))
    assert row.email_state == "sent" and row.read_at is None
    login_as(client, rater)
    html = client.get("/admin/notifikasi/").get_data(as_text=True)
    assert 'id="lonceng-jumlah">1<' in html and "menunggu persetujuan Anda" in html
    # the same event again (e.g. a retried hook) creates nothing and sends nothing
    events.plan_transition(db.session, "submit", [plan.id], users["pegawai"])
    db.session.commit()
    sender.send_pending(db.session, client.application)
    time.sleep(0.2)
    assert len(smtp.messages) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == rater.id)) == 1
    # opening it marks it read and leads to the SKP
    rv = client.post(f"/admin/notifikasi/{row.id}/buka")
    assert rv.headers["Location"].endswith(f"/admin/skp/{plan.id}")
    assert 'id="lonceng-jumlah">0<' in client.get("/admin/notifikasi/").get_data(as_text=True)


def test_return_and_approve_mail_the_employee_and_opting_out_stops_it(client, smtp, scene):
    users, plan = scene["users"], scene["plan"]
    pegawai = users["pegawai"]
    # the employee keeps returns in the app only, and wants nothing about approvals
    login_as(client, pegawai)
    form = {"email_mode": "segera", "event-skp.dikembalikan": "aplikasi", "event-skp.disetujui": "tidak"}
    assert client.post("/admin/notifikasi/pengaturan", data=form).status_code == 302
    set_state(plan, "submitted")
    plan_flow.return_plan(db.session, users["penilai"], db.session.get(WorkPlan, plan.id), "Target belum terukur")
    db.session.commit()
    set_state(plan, "submitted")
    plan_flow.approve(db.session, users["penilai"], db.session.get(WorkPlan, plan.id))
    db.session.commit()
    time.sleep(0.3)
    assert [m for to, m in smtp.messages if pegawai.employee.email in to] == []
    kinds = set(db.session.scalars(select(Notification.event).where(Notification.user_id == pegawai.id)))
    assert kinds == {"skp.dikembalikan"}  # in the app only; approvals not at all
    row = db.session.scalar(select(Notification).where(Notification.user_id == pegawai.id))
    assert row.email_state == "none" and "Target belum terukur" in row.body
    # back to e-mail for returns: the next return is mailed, in Indonesian, with the reason
    form["event-skp.dikembalikan"] = "semua"
    client.post("/admin/notifikasi/pengaturan", data=form)
    set_state(plan, "submitted")
    plan_flow.return_plan(db.session, users["penilai"], db.session.get(WorkPlan, plan.id), "Lengkapi indikator")
    db.session.commit()
    mine = [m for to, m in _wait(smtp, 1) if pegawai.employee.email in to]
    assert len(mine) == 1 and "dikembalikan" in mine[0]["Subject"] and "Lengkapi indikator" in _body(mine[0])


def test_digest_sends_one_message_per_user(client, smtp, scene):
    users, plan = scene["users"], scene["plan"]
    rater = users["penilai"]
    login_as(client, rater)
    client.post("/admin/notifikasi/pengaturan", data={"email_mode": "ringkasan"})
    plan_flow.submit(db.session, users["pegawai"], db.session.get(WorkPlan, plan.id))
    db.session.commit()
    set_state(plan, "realised", "running")
    events.plan_transition(db.session, "realise", [plan.id], users["pegawai"])
    db.session.commit()
    time.sleep(0.3)
    assert smtp.messages == []  # waiting for the digest
    assert sender.send_digests(db.session, client.application)["sent"] == 2
    messages = _wait(smtp, 1)
    assert len(messages) == 1 and "Ringkasan: 2 pemberitahuan baru" in messages[0][1]["Subject"]
    assert "siap dinilai" in _body(messages[0][1]) and "menunggu persetujuan" in _body(messages[0][1])
    assert sender.send_digests(db.session, client.application)["sent"] == 0


def test_without_smtp_nothing_is_sent(client, scene):
    users, plan = scene["users"], scene["plan"]
    assert not client.application.config.get("KINERJA_SMTP_HOST")
    plan_flow.submit(db.session, users["pegawai"], db.session.get(WorkPlan, plan.id))
    db.session.commit()
    row = db.session.scalar(select(Notification).where(Notification.user_id == users["penilai"].id))
    assert row.email_state == "none" and row.email_to is None
    assert sender.send_pending(db.session, client.application) == {"sent": 0, "failed": 0, "retry": 0}


def test_unreachable_server_keeps_mail_pending_for_the_next_run(client, smtp, scene):
    users, plan = scene["users"], scene["plan"]
    app = client.application
    good = app.config["KINERJA_SMTP_PORT"]
    app.config["KINERJA_SMTP_PORT"] = _free_port()  # nobody listens there
    plan_flow.submit(db.session, users["pegawai"], db.session.get(WorkPlan, plan.id))
    db.session.commit()
    row = db.session.scalar(select(Notification).where(Notification.user_id == users["penilai"].id))
    db.session.refresh(row)
    assert row.email_state == "pending"
    app.config["KINERJA_SMTP_PORT"] = good
    assert sender.send_pending(db.session, app)["sent"] == 1
    assert len(_wait(smtp, 1)) == 1


def test_deadline_reminders_are_due_n_days_before_and_sent_once(client, smtp, scene):
    users, plan = scene["users"], scene["plan"]
    day = today(db.session)
    db.session.execute(update(Period).where(Period.id == plan.period_id)
                       .values(planning_until=day + dt.timedelta(days=10)))
    db.session.commit()
    assert reminders.generate(db.session, day) == 0  # 10 days ahead, the setting says 7
    db.session.execute(update(Period).where(Period.id == plan.period_id)
                       .values(planning_until=day + dt.timedelta(days=3)))
    db.session.commit()
    drafts = db.session.scalar(select(func.count()).select_from(WorkPlan).join(User, User.employee_id ==
                                                                               WorkPlan.employee_id)
                               .where(WorkPlan.period_id == plan.period_id,
                                      WorkPlan.status.in_(("draft", "returned"))))
    created = reminders.generate(db.session, day)
    db.session.commit()
    assert created >= drafts >= 1
    mine = db.session.scalar(select(Notification).where(Notification.user_id == users["pegawai"].id,
                                                        Notification.event == "tenggat.perencanaan"))
    assert "Batas perencanaan SKP 2026" in mine.title
    assert reminders.generate(db.session, day) == 0  # at most once
    db.session.commit()
    sender.send_pending(db.session, client.application)
    subjects = [m["Subject"] for to, m in _wait(smtp, 1) if users["pegawai"].employee.email in to]
    assert subjects == [f"[e-Kinerja] {mine.title}"]


def test_preferences_refuse_unknown_choices(scene):
    with pytest.raises(inbox.PreferenceError):
        inbox.save_preferences(db.session, scene["users"]["pegawai"], "kadang", {})
