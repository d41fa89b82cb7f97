"""How a stored result was reached, recomputed in Python from the stored inputs and rule rows."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select

from models import BehaviourAspect, Indicator, Realisation, ScoringScheme, Target, WorkPlan, db
from models.base import CATEGORIES, RATER_ROLES

from .formulas import FORMULAS, reference_value
from .rules import load_rules, missing_text, ref_below_bands, ref_predicate, rounding_text

ANONYMOUS_ROLES = ("rekan", "bawahan")


def explain_result(session, result, *, anonymity_k: int | None = None) -> dict:
    scheme = session.get(ScoringScheme, result.scheme_id)
    rules = load_rules(scheme)
    out = {"scheme": scheme.code, "scheme_name": scheme.name, "scheme_version_used": result.scheme_version,
           "scheme_version_now": scheme.version, "kind": scheme.kind, "targets": [], "roles": [],
           "component_weights": {k: str(v) for k, v in rules.component_weights.items()},
           "rater_weights": {k: str(v) for k, v in rules.rater_weights.items()},
           "final_expression": rules.final_expression, "round_decimals": rules.round_decimals,
           "rounding": rounding_text(rules.round_decimals, rules.rounding_mode),
           "missing_policy": missing_text(rules.missing_realisation, rules.missing_superior),
           "note": result.note,
           "skp_value": result.skp_value, "behaviour_value": result.behaviour_value,
           "final_value": result.final_value, "predicate": result.predicate}
    if result.work_plan_id:
        latest = (select(Realisation.indicator_id, func.max(Realisation.id).label("rid"))
                  .group_by(Realisation.indicator_id).subquery())
        targets = session.scalars(select(Target).where(Target.work_plan_id == result.work_plan_id)
                                  .order_by(Target.seq)).all()
        for t in targets:
            rows = session.execute(
                select(Indicator, Realisation.value).outerjoin(latest, latest.c.indicator_id == Indicator.id)
                .outerjoin(Realisation, Realisation.id == latest.c.rid)
                .where(Indicator.target_id == t.id).order_by(Indicator.id)).all()
            inds, values = [], []
            for ind, realised in rows:
                code = rules.formula_for(ind.formula_code, ind.aspect)
                value, status = indicator_value(rules, code, realised, ind.target_value, ind.lower_is_better)
                values.append(value)
                inds.append({"description": ind.description, "aspect": ind.aspect, "target": ind.target_value,
                             "realised": realised, "unit": ind.unit_label, "lower_is_better": ind.lower_is_better,
                             "formula": code, "formula_label": FORMULAS[code].label if code else "-",
                             "formula_text": FORMULAS[code].text if code else "-", "status": status,
                             "value": None if value is None else round(value, 4)})
            known = [v for v in values if v is not None]
            out["targets"].append({"seq": t.seq, "description": t.description, "indicators": inds,
                                   "value": round(sum(known) / len(known), 4)
                                   if known and len(known) == len(values) else None})
    aspects = {a.id: a for a in session.scalars(select(BehaviourAspect)
                                                .where(BehaviourAspect.scheme_id == scheme.id))}
    from types import SimpleNamespace

    from .engine import result_details, stale_results

    # Ratings changed after scoring: the stored averages are out of date, and per-aspect figures from
    # the ratings as they are now would not explain them (nor respect the anonymity threshold the
    # stored averages were shown under), so peer and subordinate details are withheld until rescored.
    out["stale"] = bool(stale_results(session, [result.id]))
    details = [SimpleNamespace(role=r, aspect_id=a, average=v, raters=n)
               for r, a, v, n in result_details(session, result)]
    for role in RATER_ROLES:
        rows = [d for d in details if d.role == role]
        if not rows:
            continue
        rows.sort(key=lambda d: aspects[d.aspect_id].seq if d.aspect_id in aspects else 0)
        if role in ANONYMOUS_ROLES and (out["stale"] or (anonymity_k is not None
                                                         and max(d.raters for d in rows) < anonymity_k)):
            # Fewer peers/subordinates than the anonymity threshold: nothing per role is shown.
            out["roles"].append({"role": role, "label": RATER_ROLES[role], "hidden": True,
                                 "weight": str(rules.rater_weights.get(role, Decimal(0))),
                                 "average": None, "aspects": []})
            continue
        out["roles"].append({"role": role, "label": RATER_ROLES[role],
                             "weight": str(rules.rater_weights.get(role, Decimal(0))),
                             "average": getattr(result, f"{role}_avg"),
                             "aspects": [{"aspect": aspects[d.aspect_id].name if d.aspect_id in aspects
                                          else d.aspect_id, "average": d.average, "raters": d.raters}
                                         for d in rows]})
    if scheme.kind == "matrix":
        out["matrix_cell"] = {"hasil": CATEGORIES.get(result.hasil_category, result.hasil_category),
                              "perilaku": CATEGORIES.get(result.perilaku_category, result.perilaku_category),
                              "predicate": rules.matrix.get((result.hasil_category, result.perilaku_category))}
        plan = session.get(WorkPlan, result.work_plan_id) if result.work_plan_id else None
        out["categories_set_by_rater"] = bool(plan and plan.hasil_rating and plan.perilaku_rating)
    else:
        plan = session.get(WorkPlan, result.work_plan_id) if result.work_plan_id else None
        innovation = bool(plan and plan.innovation)
        label = ref_predicate(rules, result.final_value, innovation)
        band = next((b for b in rules.ordered_predicate_bands() if b.label == label), None)
        out["band"] = None if band is None else {
            "label": band.label, "lower": band.lower, "upper": band.upper,
            "requires_innovation": band.requires_innovation, "innovation": innovation,
            "below_all": ref_below_bands(rules, result.final_value)}
    return out


def indicator_value(rules, code, realised, target, lower_is_better) -> tuple[Optional[Decimal], str]:
    """An indicator's value as the engine takes it, and what happened (Indonesian): the formula's value;
    for a missing realisation 0 or none by the scheme's policy; none for a target of 0 or no formula."""
    if realised is None:
        if rules.missing_realisation == "zero":
            return Decimal(0), "Belum ada realisasi: dihitung 0 (kebijakan skema)"
        return None, "Belum ada realisasi: menahan nilai SKP (kebijakan skema)"
    if target is None or Decimal(target) == 0:
        return None, "Target 0: capaian tidak dapat dihitung; menahan nilai SKP"
    if not code:
        return None, "Rumus indikator tidak ada di skema; menahan nilai SKP"
    return reference_value(code, realised, target, lower_is_better, rules.bands), "Dihitung"


__all__ = ["explain_result", "db"]
