"""An employee's own page ("Kinerja Saya") and the printable SKP / evaluation documents.

Strengths and weaknesses come from the stored result's explanation (kinerja_admin.scoring.explain)
for targets, and from the 360 role averages as the anonymity rules allow them
(kinerja_admin.rating.anonymity: peers and subordinates only as averages, only from k raters on).
The explanation's per-role details are never shown to the employee directly, because they do not
apply the anonymity threshold.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from models import (
    BehaviourAspect,
    Indicator,
    Objection,
    Period,
    Realisation,
    ScoreResult,
    SpecialExpectation,
    Target,
    WorkPlan,
)
from models.base import CATEGORIES, OBJECTION_STATUSES, SCORE_STATUSES, utcnow

from .common import quantize2

# roles whose aspect averages describe the employee's behaviour (self-assessment excluded)
STRENGTH_ROLES = ("atasan", "rekan", "bawahan")


def history(session, employee_id: int) -> list[dict]:
    """Every result of the employee across periods (newest first), one query."""
    rows = session.execute(
        select(ScoreResult, Period).join(Period, Period.id == ScoreResult.period_id)
        .where(ScoreResult.employee_id == employee_id)
        .order_by(Period.start_date.desc(), Period.id.desc())).all()
    return [{"result": r, "period": p, "status": SCORE_STATUSES.get(r.status, r.status)} for r, p in rows]


def own_plans(session, employee_id: int) -> list[tuple[WorkPlan, Period]]:
    """The employee's work plans across periods (newest first), one query."""
    return [tuple(r) for r in session.execute(
        select(WorkPlan, Period).join(Period, Period.id == WorkPlan.period_id)
        .where(WorkPlan.employee_id == employee_id)
        .order_by(Period.start_date.desc(), Period.id.desc())).all()]


def own_result(session, employee_id: int | None, result_id) -> ScoreResult | None:
    """The result with this id only if it belongs to the employee (else None: the caller 404s)."""
    try:
        rid = int(result_id)
    except (TypeError, ValueError):
        return None
    if employee_id is None:
        return None
    return session.scalar(select(ScoreResult).where(ScoreResult.id == rid, ScoreResult.employee_id == employee_id))


def role_averages(session, result, viewer) -> dict:
    """Role averages as the anonymity helper allows the viewer to see them ({} if not allowed)."""
    from kinerja_admin.rating.anonymity import role_averages_for
    from kinerja_admin.rating.common import RatingError

    try:
        return role_averages_for(session, result.period_id, result.employee_id, viewer)
    except RatingError:
        return {}


@dataclass
class Ranked:
    label: str
    value: Decimal
    detail: str = ""


def strengths_weaknesses(explanation: dict, roles: dict, n: int = 3) -> dict:
    """Best and worst targets (by target value) and behaviour aspects (mean of the visible
    atasan/rekan/bawahan aspect averages). With a single item there is no 'worst'."""
    targets = [Ranked(t["description"], Decimal(str(t["value"])), f"Sasaran {t['seq']}")
               for t in explanation.get("targets", []) if t.get("value") is not None]
    per_aspect: dict[str, list[Decimal]] = {}
    for role in STRENGTH_ROLES:
        ra = roles.get(role)
        if ra is None or not ra.visible:
            continue
        for name, value in ra.aspects.items():
            per_aspect.setdefault(name, []).append(Decimal(str(value)))
    aspects = [Ranked(name, quantize2(sum(vals) / len(vals))) for name, vals in per_aspect.items()]

    def split(items):
        ordered = sorted(items, key=lambda r: (-r.value, r.label))
        k = min(n, len(ordered) // 2) if len(ordered) > 1 else len(ordered)
        best = ordered[:k] if len(ordered) > 1 else ordered
        worst = list(reversed(ordered[-k:])) if len(ordered) > 1 and k else []
        return best, worst

    best_t, worst_t = split(targets)
    best_a, worst_a = split(aspects)
    for r in targets:
        r.value = quantize2(r.value)
    return {"best_targets": best_t, "worst_targets": worst_t, "best_aspects": best_a, "worst_aspects": worst_a}


def rater_feedback(session, plan: WorkPlan | None) -> list[dict]:
    """The rater's feedback: on the plan, and on each realisation (evidence) that has some."""
    if plan is None:
        return []
    out = []
    if plan.feedback:
        out.append({"about": "Umpan balik atas SKP", "text": plan.feedback})
    rows = session.execute(
        select(Indicator.description, Realisation.feedback, Realisation.updated_at)
        .join(Indicator, Indicator.id == Realisation.indicator_id)
        .join(Target, Target.id == Indicator.target_id)
        .where(Target.work_plan_id == plan.id, Realisation.feedback.is_not(None), Realisation.feedback != "")
        .order_by(Target.seq, Indicator.id, Realisation.id)).all()
    for desc, text, at in rows:
        out.append({"about": f"Realisasi: {desc}", "text": text, "at": at})
    return out


def local_time(value, tz_name: str | None):
    """A naive UTC datetime as local time of ``tz_name`` (e.g. Asia/Jakarta), with its zone name."""
    if value is None:
        return None, ""
    import datetime as dt
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(tz_name or "UTC")
    except Exception:  # unknown zone name: show UTC
        zone = ZoneInfo("UTC")
    local = value.replace(tzinfo=dt.timezone.utc).astimezone(zone)
    return local.replace(tzinfo=None), local.tzname() or ""


def objection_state(session, result, tz_name: str | None = None) -> dict:
    """The existing objection (if any) and whether the employee may still file one now."""
    from kinerja_admin.workflow.objection import deadline, window_days

    objection = session.scalar(select(Objection).where(Objection.result_id == result.id))
    end = deadline(session, result)
    period = session.get(Period, result.period_id)
    open_ = (objection is None and result.status == "published" and end is not None and utcnow() <= end
             and period.status != "closed")
    local, zone = local_time(end, tz_name)
    return {"objection": objection, "deadline": end, "deadline_local": local, "zone": zone, "open": open_,
            "window_days": window_days(session),
            "status_label": OBJECTION_STATUSES.get(objection.status, objection.status) if objection else None}


def result_page(session, result, viewer, tz_name: str | None = None) -> dict:
    from kinerja_admin.scoring.explain import explain_result

    explanation = explain_result(session, result)
    roles = role_averages(session, result, viewer)
    plan = session.get(WorkPlan, result.work_plan_id) if result.work_plan_id else None
    return {"result": result, "plan": plan, "explain": explanation, "roles": roles,
            "sw": strengths_weaknesses(explanation, roles), "feedback": rater_feedback(session, plan),
            "objection": objection_state(session, result, tz_name),
            "status": SCORE_STATUSES.get(result.status, result.status), "categories": CATEGORIES}


# --- printable documents ---------------------------------------------------------------------------

def _person(emp, position=None, unit=None):
    if emp is None:
        return None
    pos = position or emp.position
    return {"name": emp.name, "nip": emp.nip_display, "rank": str(emp.rank) if emp.rank else "",
            "position": pos.name if pos else "", "unit": (unit or emp.unit).name if (unit or emp.unit) else ""}


def skp_document(session, plan: WorkPlan) -> dict:
    period = session.get(Period, plan.period_id)
    aspects = []
    if period.scheme_id is not None:
        expectations = {s.aspect_id: s.text for s in session.scalars(
            select(SpecialExpectation).where(SpecialExpectation.work_plan_id == plan.id))}
        for a in session.scalars(select(BehaviourAspect).where(BehaviourAspect.scheme_id == period.scheme_id)
                                 .order_by(BehaviourAspect.seq)):
            guides = [line.strip() for line in (a.indicators_text or "").splitlines() if line.strip()]
            aspects.append({"name": a.name, "guides": guides, "expectation": expectations.get(a.id, "")})
    from kinerja_admin.planning.cascade import link_labels

    return {"plan": plan, "period": period,
            "employee": _person(plan.employee, plan.position, plan.unit),
            "rater": _person(plan.rater), "rater_superior": _person(plan.rater_superior),
            "targets": plan.targets, "aspects": aspects,
            # "RHK atasan yang diintervensi" per target (or the OPD head's organisation indicator)
            "links": link_labels(session, plan.targets)}


def evaluation_document(session, result: ScoreResult, viewer) -> dict:
    page = result_page(session, result, viewer)
    plan = page["plan"]
    period = session.get(Period, result.period_id)
    page.update({
        "period": period,
        "employee": _person(result.employee, plan.position if plan else None, result.unit),
        "rater": _person(plan.rater) if plan else None,
        "rater_superior": _person(plan.rater_superior) if plan else None,
        "hasil": CATEGORIES.get(result.hasil_category, result.hasil_category),
        "perilaku": CATEGORIES.get(result.perilaku_category, result.perilaku_category),
    })
    # through the year (issue 18): the periodic evaluations and the feedback threads (never the private
    # coaching notes)
    from kinerja_admin import feedback
    from kinerja_admin.periodic import record as periodic

    page["periodic"] = periodic.overview(session, plan) if plan else []
    page["threads"] = feedback.threads(session, plan) if plan else {}
    page["rhk_names"] = {t.id: f"{t.seq}. {t.description}" for t in plan.targets} if plan else {}
    return page
