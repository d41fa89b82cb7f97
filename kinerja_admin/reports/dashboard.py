"""Aggregates of the operator dashboard (the admin index), always inside the viewer's row scope.

``funnel`` counts a period's progress (plans, ratings, scores, objections); ``unit_progress``
rolls the same counts up to top-level units; ``curve`` compares each rated unit's predicate
distribution with the scheme's distribution rules (warnings from kinerja_admin.scoring).
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import case, func, select

from kinerja_admin.scope import scope_condition
from models import (
    DistributionRule,
    Employee,
    Objection,
    Period,
    RaterAssignment,
    ScoreResult,
    Unit,
    UnitRating,
    WorkPlan,
)
from models.base import ORG_RATINGS

from .common import ordered_counts, predicate_order, unit_tree

SUBMITTED_OR_LATER = ("submitted", "approved", "realised", "assessed", "final")
APPROVED_OR_LATER = ("approved", "realised", "assessed", "final")


def _where(stmt, model, user):
    cond = scope_condition(model, user)
    return stmt if cond is None else stmt.where(cond)


def periods(session) -> list[Period]:
    return list(session.scalars(select(Period).order_by(Period.start_date.desc(), Period.id.desc())))


def _rating_counts(session, period, user):
    """(ratees with assignments, ratees whose every assignment is submitted) in scope."""
    per_ratee = (select(RaterAssignment.ratee_id.label("ratee_id"), func.count(RaterAssignment.id).label("n"),
                        func.sum(case((RaterAssignment.status == "submitted", 1), else_=0)).label("done"))
                 .where(RaterAssignment.period_id == period.id))
    cond = scope_condition(WorkPlan, user)
    if cond is not None:  # personal roles: the ratees whose plans they may see
        per_ratee = per_ratee.where(RaterAssignment.ratee_id.in_(
            select(WorkPlan.employee_id).where(WorkPlan.period_id == period.id, cond)))
    sub = per_ratee.group_by(RaterAssignment.ratee_id).subquery()
    row = session.execute(select(func.count(sub.c.ratee_id),
                                 func.sum(case((sub.c.done == sub.c.n, 1), else_=0)))).one()
    return int(row[0] or 0), int(row[1] or 0)


def funnel(session, period: Period, user) -> dict:
    plan_status = dict(session.execute(_where(
        select(WorkPlan.status, func.count(WorkPlan.id)).where(WorkPlan.period_id == period.id)
        .group_by(WorkPlan.status), WorkPlan, user)).all())
    score_status = dict(session.execute(_where(
        select(ScoreResult.status, func.count(ScoreResult.id)).where(ScoreResult.period_id == period.id)
        .group_by(ScoreResult.status), ScoreResult, user)).all())
    objections = session.scalar(_where(
        select(func.count(Objection.id)).join(ScoreResult, ScoreResult.id == Objection.result_id)
        .where(ScoreResult.period_id == period.id, Objection.status == "filed"), Objection, user)) or 0
    ratees, rated = _rating_counts(session, period, user)
    plans = sum(plan_status.values())
    return {
        "plans": plans,
        "plan_status": plan_status,
        "plans_draft": int(plan_status.get("draft", 0)),
        "plans_returned": int(plan_status.get("returned", 0)),
        "plans_submitted": sum(int(plan_status.get(s, 0)) for s in SUBMITTED_OR_LATER),
        "plans_approved": sum(int(plan_status.get(s, 0)) for s in APPROVED_OR_LATER),
        "ratees": ratees,
        "ratings_complete": rated,
        "scores_computed": sum(int(v) for v in score_status.values()),
        "scores_approved": int(score_status.get("approved", 0)) + int(score_status.get("published", 0)),
        "scores_published": int(score_status.get("published", 0)),
        "objections_open": int(objections),
    }


def unit_progress(session, period: Period, user) -> list[dict]:
    """Per top-level unit: active employees, plans (made, approved), ratings complete, results
    (computed, published) and a completeness percentage (published results / plans)."""
    tree = unit_tree(session)
    rows: dict[int, dict] = {}

    def row(unit_id):
        root = tree.root_of(unit_id)
        if root not in rows:
            unit = tree.units.get(root)
            rows[root] = {"unit": unit, "employees": 0, "plans": 0, "approved": 0, "ratees": 0,
                          "rated": 0, "computed": 0, "published": 0}
        return rows[root]

    for unit_id, n in session.execute(_where(
            select(Employee.unit_id, func.count(Employee.id)).where(Employee.active.is_(True))
            .group_by(Employee.unit_id), Employee, user)):
        row(unit_id)["employees"] += int(n)
    for unit_id, status, n in session.execute(_where(
            select(WorkPlan.unit_id, WorkPlan.status, func.count(WorkPlan.id)).where(WorkPlan.period_id == period.id)
            .group_by(WorkPlan.unit_id, WorkPlan.status), WorkPlan, user)):
        r = row(unit_id)
        r["plans"] += int(n)
        if status in APPROVED_OR_LATER:
            r["approved"] += int(n)
    # ratees per plan unit: all assignments submitted or not
    per_ratee = (select(RaterAssignment.ratee_id.label("ratee_id"), func.count(RaterAssignment.id).label("n"),
                        func.sum(case((RaterAssignment.status == "submitted", 1), else_=0)).label("done"))
                 .where(RaterAssignment.period_id == period.id).group_by(RaterAssignment.ratee_id).subquery())
    stmt = (select(WorkPlan.unit_id, func.count(per_ratee.c.ratee_id),
                   func.sum(case((per_ratee.c.done == per_ratee.c.n, 1), else_=0)))
            .join(per_ratee, per_ratee.c.ratee_id == WorkPlan.employee_id)
            .where(WorkPlan.period_id == period.id).group_by(WorkPlan.unit_id))
    for unit_id, n, done in session.execute(_where(stmt, WorkPlan, user)):
        r = row(unit_id)
        r["ratees"] += int(n or 0)
        r["rated"] += int(done or 0)
    for unit_id, status, n in session.execute(_where(
            select(ScoreResult.unit_id, ScoreResult.status, func.count(ScoreResult.id))
            .where(ScoreResult.period_id == period.id)
            .group_by(ScoreResult.unit_id, ScoreResult.status), ScoreResult, user)):
        r = row(unit_id)
        r["computed"] += int(n)
        if status == "published":
            r["published"] += int(n)
    out = []
    for r in rows.values():
        if r["unit"] is None:
            continue
        r["pct"] = (Decimal(r["published"]) * 100 / r["plans"]).quantize(Decimal("0.1")) if r["plans"] else None
        out.append(r)
    return sorted(out, key=lambda r: r["unit"].name)


def distribution(session, period: Period, user) -> list[tuple[str, int]]:
    counts = dict(session.execute(_where(
        select(ScoreResult.predicate, func.count(ScoreResult.id)).where(ScoreResult.period_id == period.id)
        .group_by(ScoreResult.predicate), ScoreResult, user)).all())
    return ordered_counts(predicate_order(session, period.scheme_id), counts)


def curve(session, period: Period) -> dict:
    """Rated units' distributions against the curve of their organisation rating.

    Uses the scoring helper (kinerja_admin.scoring.distribution) for the per-unit counts and the
    warnings, so the dashboard and the scoring run always agree. Not scoped: only the all-rows
    roles are shown this section.
    """
    from kinerja_admin.scoring.distribution import check_distribution, unit_distributions

    if period.scheme_id is None:
        return {"units": [], "warnings": []}
    rules = session.scalars(select(DistributionRule).where(DistributionRule.scheme_id == period.scheme_id)
                            .order_by(DistributionRule.id)).all()
    ratings = dict(session.execute(select(UnitRating.unit_id, UnitRating.rating)
                                   .where(UnitRating.period_id == period.id)).all())
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(ratings) or [0]))).all())
    order = predicate_order(session, period.scheme_id)
    units = []
    for unit_id, counter in unit_distributions(session, period).items():
        counter = Counter(counter)
        total = sum(counter.values())
        rating = ratings.get(unit_id)
        checks = []
        for rule in (r for r in rules if r.org_rating == rating):
            labels = [p.strip() for p in rule.predicates.split("|") if p.strip()]
            n = sum(counter.get(lab, 0) for lab in labels)
            pct = (Decimal(n) * 100 / total).quantize(Decimal("0.1")) if total else None
            ok = True
            if pct is not None:
                if rule.max_pct is not None and pct > rule.max_pct:
                    ok = False
                if rule.min_pct is not None and pct < rule.min_pct:
                    ok = False
                if rule.min_count is not None and n < rule.min_count:
                    ok = False
            checks.append({"predicates": " atau ".join(labels), "count": n, "pct": pct,
                           "min_pct": rule.min_pct, "max_pct": rule.max_pct, "min_count": rule.min_count,
                           "ok": ok})
        limits = {}
        for rule in (r for r in rules if r.org_rating == rating):
            labels = [p.strip() for p in rule.predicates.split("|") if p.strip()]
            if len(labels) == 1:
                limits[labels[0]] = (rule.min_pct, rule.max_pct)
        units.append({"unit_id": unit_id, "name": names.get(unit_id, str(unit_id)),
                      "rating": ORG_RATINGS.get(rating, rating), "total": total,
                      "distribution": ordered_counts(order, dict(counter)), "checks": checks, "limits": limits})
    units.sort(key=lambda u: u["name"])
    return {"units": units, "warnings": check_distribution(session, period)}


def personal(session, period: Period, user) -> dict:
    """A short personal summary for accounts linked to an employee: own plan and own result."""
    me = getattr(user, "employee_id", None)
    if me is None:
        return {}
    plan = session.scalar(select(WorkPlan).where(WorkPlan.period_id == period.id, WorkPlan.employee_id == me))
    result = session.scalar(select(ScoreResult).where(ScoreResult.period_id == period.id,
                                                      ScoreResult.employee_id == me))
    to_approve = session.scalar(select(func.count(WorkPlan.id)).where(
        WorkPlan.period_id == period.id, WorkPlan.rater_id == me, WorkPlan.status == "submitted")) or 0
    pending_ratings = session.scalar(select(func.count(RaterAssignment.id)).where(
        RaterAssignment.period_id == period.id, RaterAssignment.rater_id == me,
        RaterAssignment.status == "pending")) or 0
    return {"plan": plan, "result": result, "to_approve": int(to_approve), "pending_ratings": int(pending_ratings)}


__all__ = ["curve", "distribution", "funnel", "periods", "personal", "unit_progress"]
