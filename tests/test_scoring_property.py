"""The set-based engine equals a straightforward Python reference on randomised data."""
from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kinerja_admin.scoring.engine import result_details, score_period
from kinerja_admin.scoring.formulas import reference_value
from kinerja_admin.scoring.rules import load_rules, ref_predicate
from models import Position, PositionKind, db

from .scoring_helpers import make_period, make_plan, result_of, scheme

Q = D("0.0001")


def q(v):
    return None if v is None else D(v).quantize(Q, rounding=ROUND_HALF_UP)


indicator = st.tuples(st.sampled_from(["kuantitas", "kualitas", "waktu"]), st.integers(1, 50),
                      st.one_of(st.none(), st.integers(0, 70)), st.booleans())
employee = st.fixed_dictionaries({
    "targets": st.lists(st.lists(indicator, min_size=1, max_size=3), min_size=1, max_size=3),
    "ratings": st.dictionaries(st.sampled_from(["atasan", "rekan", "bawahan", "diri"]),
                               st.lists(st.lists(st.integers(40, 120), min_size=5, max_size=5),
                                        min_size=1, max_size=2), max_size=3)
    # an employee rates themself once
    .map(lambda ratings: {role: (raters[:1] if role == "diri" else raters) for role, raters in ratings.items()}),
    "innovation": st.booleans(),
})


def reference(rules, emp_spec, structural):
    # the preset's policy: an indicator without realisation counts 0; no superior rating, no behaviour
    assert rules.missing_realisation == "zero" and rules.missing_superior == "block"
    target_values = []
    for inds in emp_spec["targets"]:
        vals = [D(0) if r is None else reference_value(rules.formula_for("capaian_iki", a), D(r), D(t), lib,
                                                         rules.bands)
                for a, t, r, lib in inds]
        target_values.append(sum(vals) / len(vals))
    skp = q(sum(target_values) / len(target_values)) if target_values else None
    role_avg = {}
    for role, per_rater in emp_spec["ratings"].items():
        num = den = D(0)
        for idx, (_aid, _code, _name, weight, structural_only) in enumerate(rules.aspects):
            if structural_only and not structural:
                continue
            avg = q(sum(D(r[idx]) for r in per_rater) / len(per_rater))
            num += avg * weight
            den += weight
        role_avg[role] = q(num / den)
    present = [(role_avg[r], w) for r, w in rules.rater_weights.items() if w > 0 and r in role_avg]
    beh = q(sum(a * w for a, w in present) / sum(w for _, w in present)) if present else None
    if "atasan" not in role_avg:
        beh = None
    w = rules.component_weights
    final = None if skp is None or beh is None else q((skp * w["skp"] + beh * w["perilaku"]) / (w["skp"] + w["perilaku"]))
    return skp, role_avg, beh, final


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(specs=st.lists(employee, min_size=1, max_size=4))
def test_engine_matches_reference(demo, specs):
    s = scheme("PP30-2019-360")
    rules = load_rules(s)
    period = make_period(s)
    kinds = {k.id: k.structural for k in db.session.scalars(select(PositionKind))}
    structural_of = {p.id: kinds[p.kind_id] for p in db.session.scalars(select(Position))}
    emps = demo["employees"][40:40 + len(specs)]
    for emp, spec in zip(emps, specs):
        make_plan(period, emp, [[(a, t, r, "capaian_iki", lib) for a, t, r, lib in inds] for inds in spec["targets"]],
                  ratings=spec["ratings"], innovation=spec["innovation"])
    score_period(db.session, period)
    for emp, spec in zip(emps, specs):
        skp, roles, beh, final = reference(rules, spec, bool(emp.position_id and structural_of[emp.position_id]))
        r = result_of(period, emp)
        assert r.skp_value == skp
        for role in ("atasan", "rekan", "bawahan", "diri"):
            assert getattr(r, f"{role}_avg") == roles.get(role)
        assert r.behaviour_value == beh
        assert r.final_value == final
        assert r.predicate == ref_predicate(rules, final, spec["innovation"])
        # the per-aspect details shown to the employee and the inspector reproduce each role average
        weight = {a[0]: a[3] for a in rules.aspects}
        details = result_details(db.session, r)
        for role in ("atasan", "rekan", "bawahan", "diri"):
            rows = [(aspect, avg) for rl, aspect, avg, _ in details if rl == role]
            expected = q(sum(weight[a] * v for a, v in rows) / sum(weight[a] for a, _ in rows)) if rows else None
            assert getattr(r, f"{role}_avg") == expected
    db.session.rollback()
