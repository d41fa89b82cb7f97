"""Helpers for the scoring tests: small periods built on the demo city's employees."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal as D

from sqlalchemy import select

from models import (
    BehaviourRating,
    Indicator,
    Period,
    RaterAssignment,
    Realisation,
    ScoreResult,
    ScoringScheme,
    Target,
    WorkPlan,
    db,
)

_codes = itertools.count(1)


def scheme(code):
    return db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == code))


def make_period(scheme_obj, status="assessing"):
    p = Period(code=f"T{next(_codes)}", name="Uji", start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 12, 31),
               status=status, scheme_id=scheme_obj.id)
    db.session.add(p)
    db.session.flush()
    return p


def make_plan(period, emp, targets, ratings=None, innovation=False, hasil=None, perilaku=None, raters=None):
    """targets: list of lists of (aspect, target, realised|None, formula|None, lower_is_better).
    ratings: {role: [[value per aspect] per rater]}, aspects in scheme order."""
    plan = WorkPlan(period_id=period.id, employee_id=emp.id, unit_id=emp.unit_id, position_id=emp.position_id,
                    status="assessed", innovation=innovation, hasil_rating=hasil, perilaku_rating=perilaku)
    db.session.add(plan)
    db.session.flush()
    for seq, inds in enumerate(targets, start=1):
        t = Target(work_plan_id=plan.id, seq=seq, description=f"Sasaran {seq}")
        db.session.add(t)
        db.session.flush()
        for aspect, tv, rv, formula, lib in inds:
            i = Indicator(target_id=t.id, aspect=aspect, description=aspect, target_value=D(str(tv)),
                          formula_code=formula, lower_is_better=lib)
            db.session.add(i)
            db.session.flush()
            if rv is not None:
                db.session.add(Realisation(indicator_id=i.id, value=D(str(rv)) + 7))  # superseded
                db.session.flush()
                db.session.add(Realisation(indicator_id=i.id, value=D(str(rv))))
    aspects = scheme_of(period).aspects
    raters = raters or [e for e in db.session.scalars(select(__import__("models").Employee)
                                                        .where(__import__("models").Employee.id != emp.id)
                                                        .order_by(__import__("models").Employee.id).limit(8))]
    k = 0
    for role, per_rater in (ratings or {}).items():
        for values in per_rater:
            rater_id = emp.id if role == "diri" else raters[k].id  # a self-rating is by the ratee
            a = RaterAssignment(period_id=period.id, ratee_id=emp.id, rater_id=rater_id, role=role,
                                status="submitted")
            k += 1
            db.session.add(a)
            db.session.flush()
            for aspect, v in zip(aspects, values):
                if v is not None:
                    db.session.add(BehaviourRating(assignment_id=a.id, aspect_id=aspect.id, value=D(str(v))))
    db.session.flush()
    return plan


def scheme_of(period):
    return db.session.get(ScoringScheme, period.scheme_id)


def result_of(period, emp):
    return db.session.scalar(select(ScoreResult).where(ScoreResult.period_id == period.id,
                                                       ScoreResult.employee_id == emp.id))
