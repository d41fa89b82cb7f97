"""Helpers for the SKP page tests: the demo's plans in chosen states, and reading the page."""
from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select, update

from models import Employee, Period, User, WorkPlan, db


def plan_of(demo, who="pegawai", code="2026") -> WorkPlan:
    return db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == demo["users"][who].employee_id,
                                                    WorkPlan.period_id == demo["periods"][code].id))


def set_state(plan, status, period_status=None) -> None:
    db.session.execute(update(WorkPlan).where(WorkPlan.id == plan.id).values(status=status))
    if period_status:
        db.session.execute(update(Period).where(Period.id == plan.period_id).values(status=period_status))
    db.session.commit()
    db.session.expire_all()


def users_around(demo, plan) -> dict:
    """The people around a plan as logged-in users: the demo's accounts plus the rater's superior and a
    stranger (a penilai whose scope does not hold the plan)."""
    users = dict(demo["users"])
    atasan = User(username="atasan", role="penilai", full_name="Atasan Penilai", employee_id=plan.rater_superior_id,
                  password_hash="x")
    related = {plan.employee_id, plan.rater_id, plan.rater_superior_id, users["operator"].employee_id}
    stranger = db.session.scalar(select(Employee).where(Employee.id.not_in(related),
                                                        Employee.superior_id.not_in(related)).order_by(Employee.id))
    lain = User(username="lain", role="penilai", full_name="Orang Lain", employee_id=stranger.id, password_hash="x")
    db.session.add_all([atasan, lain])
    db.session.commit()
    users.update(atasan=atasan, lain=lain)
    return users


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def flashes(html: str) -> str:
    """The text of the page's flash messages."""
    return " ".join(text_of(m) for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


def offered_actions(html: str) -> set[str]:
    """The workflow actions the SKP page offers (enabled)."""
    block = html.split('id="tindakan"')[1].split('id="rhk"')[0]
    return set(re.findall(r'name="op" value="([a-z]+)"', block))
