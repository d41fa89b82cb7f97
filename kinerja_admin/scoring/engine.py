"""Set-based scoring of a whole period: a handful of INSERT ... SELECT / UPDATE statements built
with SQLAlchemy Core from the period scheme's rule rows (no per-employee Python loop).

Statements (all in the caller's transaction; the caller commits):
  1. delete the period's results still in status 'computed' (and their details);
  2. INSERT score_result ... SELECT: one row per scorable work plan without an approved/published
     result, with the SKP value (latest realisation per indicator -> formula -> mean per target ->
     mean over targets);
  3. INSERT score_detail ... SELECT: per result, rater role and aspect the mean of the submitted
     ratings and the number of raters (structural-only aspects only for structural positions);
  4. UPDATE role averages (aspect-weighted mean of the stored details);
  5. UPDATE behaviour value (rater-role weights renormalised over the roles that rated);
  6. UPDATE final value (component weights or the scheme's final-score expression);
  7. UPDATE predicate (bands with the innovation condition, or the matrix: categories set by the
     rater on the work plan, else suggested from thresholds, then a second UPDATE for the cell).
Every stored number is ROUND(x, 4) in SQL, so SQLite (floats), PostgreSQL and MariaDB (decimals)
store the same values, and each later step reads the stored, rounded values: an inspector can
recompute every figure from what is stored.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Optional

from sqlalchemy import (
    DateTime, Integer, String, and_, case, delete, exists, func, insert, literal, literal_column, null,
    or_, select, true, update,
)

from models import (
    BehaviourAspect, BehaviourRating, Employee, Indicator, Period, Position, PositionKind, RaterAssignment,
    Realisation, ScoreDetail, ScoreResult, ScoringScheme, Target, WorkPlan,
)
from models.base import RATER_ROLES, utcnow

from .expression import to_sql
from .formulas import FORMULAS, num
from .rules import Rules, load_rules

SCORABLE_PLAN_STATUSES = ("approved", "realised", "assessed", "final")
KEPT_STATUSES = ("approved", "published")
ROLE_COLUMNS = {role: f"{role}_avg" for role in RATER_ROLES}

wp_t = WorkPlan.__table__
tg_t = Target.__table__
ind_t = Indicator.__table__
real_t = Realisation.__table__
ra_t = RaterAssignment.__table__
br_t = BehaviourRating.__table__
ba_t = BehaviourAspect.__table__
sr_t = ScoreResult.__table__
sd_t = ScoreDetail.__table__
emp_t = Employee.__table__
pos_t = Position.__table__
pk_t = PositionKind.__table__


class ScoringError(ValueError):
    """Scoring cannot run; the message (Indonesian) is shown to the user."""


def r4(expr):
    return func.round(expr, literal_column("4"))


# --- SQL pieces (also used by the benchmark's checks) ---------------------------------------------

def indicator_value_sql(rules: Rules, realised, target, lower_is_better, formula_code, aspect):
    """The value of one indicator by its effective formula (CASE over the scheme's formulas)."""
    allowed = rules.allowed_formulas
    if not allowed:
        raise ScoringError(f"Skema {rules.code} belum memiliki rumus indikator.")
    defaults = {a: c for a, c in rules.default_formula.items()}
    if len(set(defaults.values()) | set(allowed)) == 1:
        code = allowed[0]
        return FORMULAS[code].sql(realised, target, lower_is_better, rules.bands)
    default_expr = case(*[(aspect == a, literal(c, String)) for a, c in defaults.items()], else_=null())
    effective = case((formula_code.in_(allowed), formula_code), else_=default_expr)
    return case(*[(effective == code, FORMULAS[code].sql(realised, target, lower_is_better, rules.bands))
                  for code in allowed], else_=null())


def skp_subquery(rules: Rules, period_id: int):
    """(wp_id, skp): mean over targets of the mean of their indicator values."""
    latest = (select(real_t.c.indicator_id, func.max(real_t.c.id).label("rid"))
              .select_from(real_t.join(ind_t, ind_t.c.id == real_t.c.indicator_id)
                           .join(tg_t, tg_t.c.id == ind_t.c.target_id)
                           .join(wp_t, wp_t.c.id == tg_t.c.work_plan_id))
              .where(wp_t.c.period_id == period_id)
              .group_by(real_t.c.indicator_id).subquery("latest"))
    value = indicator_value_sql(rules, real_t.c.value, ind_t.c.target_value, ind_t.c.lower_is_better,
                                ind_t.c.formula_code, ind_t.c.aspect)
    iv = (select(tg_t.c.work_plan_id.label("wp_id"), ind_t.c.target_id.label("target_id"), value.label("v"))
          .select_from(ind_t.join(latest, latest.c.indicator_id == ind_t.c.id)
                       .join(real_t, real_t.c.id == latest.c.rid)
                       .join(tg_t, tg_t.c.id == ind_t.c.target_id))
          .subquery("iv"))
    tv = (select(iv.c.wp_id, func.avg(iv.c.v).label("tv"))
          .group_by(iv.c.wp_id, iv.c.target_id).subquery("tv"))
    return select(tv.c.wp_id, func.avg(tv.c.tv).label("skp")).group_by(tv.c.wp_id).subquery("skp")


def _final_sql(rules: Rules):
    cols = {"skp": sr_t.c.skp_value, "perilaku": sr_t.c.behaviour_value}
    cols.update({role: sr_t.c[col] for role, col in ROLE_COLUMNS.items()})
    if rules.final_expression:
        return to_sql(rules.final_expression, cols)
    if rules.kind != "numeric":
        return None
    w_skp = rules.component_weights.get("skp", 0)
    w_beh = rules.component_weights.get("perilaku", 0)
    total = w_skp + w_beh
    if not total:
        return None
    return (sr_t.c.skp_value * num(w_skp) + sr_t.c.behaviour_value * num(w_beh)) / num(total)


def _band_predicate_sql(rules: Rules, innovation):
    fv = sr_t.c.final_value
    if rules.round_decimals is not None:
        fv = func.round(fv, literal_column(str(int(rules.round_decimals))))
    whens = []
    for b in rules.ordered_predicate_bands():
        conds = [fv >= num(b.lower)]
        if b.upper is not None:
            conds.append(fv < num(b.upper))
        if b.requires_innovation:
            conds.append(innovation == true())
        whens.append((and_(*conds), literal(b.label, String)))
    if not whens:
        return null()
    return case(*whens, else_=null())


def _category_sql(rules: Rules, dimension: str, value_col):
    ts = rules.thresholds.get(dimension, [])
    if not ts:
        return null()
    return case(*[(value_col >= num(lower), literal(cat, String)) for lower, cat in ts], else_=null())


# --- the run ---------------------------------------------------------------------------------------

def score_period(session, period: Period, *, user=None) -> dict:
    """Compute every scorable employee of the period set-based. Returns a summary dict.

    Results already approved or published are never touched (reported as skipped). Idempotent:
    a rerun replaces the 'computed' results with freshly computed ones.
    """
    from kinerja_admin.audit import record

    started = time.perf_counter()
    if period.status == "closed":
        raise ScoringError(f"Periode {period.code} sudah ditutup; nilai tidak dapat dihitung ulang.")
    if period.scheme_id is None:
        raise ScoringError(f"Periode {period.code} belum memiliki skema penilaian.")
    session.flush()
    scheme = session.get(ScoringScheme, period.scheme_id)
    from .validation import SchemeError, validate_scheme

    try:
        validate_scheme(scheme)
    except SchemeError as err:
        raise ScoringError(f"Skema {scheme.code} tidak sah: {err}") from err
    rules = load_rules(scheme)
    pid = period.id
    now = utcnow()

    # 1. drop the period's recomputable results
    computed_ids = select(sr_t.c.id).where(sr_t.c.period_id == pid, sr_t.c.status == "computed")
    session.execute(delete(sd_t).where(sd_t.c.result_id.in_(computed_ids)))
    session.execute(delete(sr_t).where(sr_t.c.period_id == pid, sr_t.c.status == "computed"))

    # 2. results with the SKP value
    skp = skp_subquery(rules, pid)
    kept = sr_t.alias("kept")
    sel = (select(literal(pid, Integer), wp_t.c.employee_id, wp_t.c.id, wp_t.c.unit_id,
                  literal(rules.scheme_id, Integer), literal(rules.version, Integer), r4(skp.c.skp),
                  literal("computed", String), literal(now, DateTime), literal(1, Integer),
                  literal(now, DateTime), literal(now, DateTime))
           .select_from(wp_t.outerjoin(skp, skp.c.wp_id == wp_t.c.id)
                        .outerjoin(kept, and_(kept.c.period_id == pid, kept.c.employee_id == wp_t.c.employee_id)))
           .where(wp_t.c.period_id == pid, wp_t.c.status.in_(SCORABLE_PLAN_STATUSES), kept.c.id.is_(None)))
    session.execute(insert(sr_t).from_select(
        ["period_id", "employee_id", "work_plan_id", "unit_id", "scheme_id", "scheme_version", "skp_value",
         "status", "computed_at", "version", "created_at", "updated_at"], sel))

    # 3. details: per result, role and aspect (aggregate the ratings first, then attach results)
    agg = (select(ra_t.c.ratee_id, ra_t.c.role, br_t.c.aspect_id, ba_t.c.structural_only,
                  func.avg(br_t.c.value).label("avg"), func.count().label("n"))
           .select_from(br_t.join(ra_t, ra_t.c.id == br_t.c.assignment_id)
                        .join(ba_t, ba_t.c.id == br_t.c.aspect_id))
           .where(ra_t.c.period_id == pid, ra_t.c.status == "submitted", ba_t.c.scheme_id == rules.scheme_id)
           .group_by(ra_t.c.ratee_id, ra_t.c.role, br_t.c.aspect_id, ba_t.c.structural_only)
           .subquery("agg"))
    conds = []
    if rules.has_structural_only:
        wp2 = wp_t.alias("wp2")
        structural = exists(
            select(literal(1)).select_from(
                wp2.join(emp_t, emp_t.c.id == wp2.c.employee_id)
                .join(pos_t, pos_t.c.id == func.coalesce(wp2.c.position_id, emp_t.c.position_id))
                .join(pk_t, pk_t.c.id == pos_t.c.kind_id))
            .where(wp2.c.id == sr_t.c.work_plan_id, pk_t.c.structural == true()))
        conds.append(or_(agg.c.structural_only == false_(), structural))
    details = (select(sr_t.c.id, agg.c.role, agg.c.aspect_id, r4(agg.c.avg), agg.c.n)
               .select_from(agg.join(sr_t, and_(sr_t.c.period_id == pid, sr_t.c.employee_id == agg.c.ratee_id,
                                                sr_t.c.status == "computed")))
               .where(*conds))
    session.execute(insert(sd_t).from_select(["result_id", "role", "aspect_id", "average", "raters"], details))

    mine = and_(sr_t.c.period_id == pid, sr_t.c.status == "computed")
    # 4. role averages (aspect weights)
    role_values = {}
    for role, col in ROLE_COLUMNS.items():
        role_values[col] = (
            select(r4(func.sum(sd_t.c.average * ba_t.c.weight) * num(1) / func.nullif(func.sum(ba_t.c.weight), 0)))
            .select_from(sd_t.join(ba_t, ba_t.c.id == sd_t.c.aspect_id))
            .where(sd_t.c.result_id == sr_t.c.id, sd_t.c.role == role)
            .scalar_subquery())
    session.execute(update(sr_t).where(mine).values(**role_values))

    # 4b. masyarakat: citizens' ratings of named employees (kinerja_admin.rating.ikm decides which
    # count), mapped linearly from the 1-4 scale onto the scheme scale, unless raters of that role
    # were assigned explicitly.
    if rules.rater_weights.get("masyarakat", 0) > 0:
        from kinerja_admin.rating.ikm import masyarakat_query
        from kinerja_admin.settings import get_setting

        mq = masyarakat_query(pid, max(1, int(get_setting("public.min_responses", session)))).subquery("mq")
        lo, hi = scheme.scale_min, scheme.scale_max
        public = (select(r4(num(lo) + (mq.c.score_sum * num(1) / mq.c.responses - num(1)) * num(hi - lo) / num(3)))
                  .where(mq.c.employee_id == sr_t.c.employee_id).scalar_subquery())
        session.execute(update(sr_t).where(mine, sr_t.c.masyarakat_avg.is_(None)).values(masyarakat_avg=public))

    # 5. behaviour value: weighted mean over the roles present (weights renormalised)
    weighted = [(sr_t.c[ROLE_COLUMNS[r]], w) for r, w in rules.rater_weights.items() if w > 0]
    if weighted:
        numer = None
        denom = None
        for col, w in weighted:
            n_term = func.coalesce(col * num(w), num(0))
            d_term = case((col.is_not(None), num(w)), else_=num(0))
            numer = n_term if numer is None else numer + n_term
            denom = d_term if denom is None else denom + d_term
        session.execute(update(sr_t).where(mine).values(
            behaviour_value=r4(numer * num(1) / func.nullif(denom, 0))))

    # 6. final value
    final = _final_sql(rules)
    if final is not None:
        session.execute(update(sr_t).where(mine).values(final_value=r4(final)))

    # 7. predicate
    if rules.kind == "matrix":
        rating = lambda col: (select(wp_t.c[col]).where(wp_t.c.id == sr_t.c.work_plan_id)  # noqa: E731
                              .scalar_subquery())
        session.execute(update(sr_t).where(mine).values(
            hasil_category=func.coalesce(rating("hasil_rating"), _category_sql(rules, "hasil", sr_t.c.skp_value)),
            perilaku_category=func.coalesce(rating("perilaku_rating"),
                                            _category_sql(rules, "perilaku", sr_t.c.behaviour_value))))
        cells = [(and_(sr_t.c.hasil_category == h, sr_t.c.perilaku_category == p), literal(label, String))
                 for (h, p), label in sorted(rules.matrix.items())]
        if cells:
            session.execute(update(sr_t).where(mine).values(predicate=case(*cells, else_=null())))
    else:
        innovation = (select(wp_t.c.innovation).where(wp_t.c.id == sr_t.c.work_plan_id).scalar_subquery())
        session.execute(update(sr_t).where(mine).values(predicate=_band_predicate_sql(rules, innovation)))

    summary = _summary(session, period, rules)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    record("score", "period", pid, user=user, period_id=pid, session=session,
           changes={k: v for k, v in summary.items() if k != "warnings"},
           reason=f"Hitung nilai dengan skema {rules.code} v{rules.version}")
    session.flush()
    session.expire_all()
    return summary


def false_():
    from sqlalchemy import false

    return false()


def _summary(session, period: Period, rules: Rules) -> dict:
    pid = period.id
    rows = session.execute(
        select(sr_t.c.status, sr_t.c.predicate, func.count(),
               func.sum(case((sr_t.c.skp_value.is_(None), 1), else_=0)),
               func.sum(case((sr_t.c.behaviour_value.is_(None), 1), else_=0)))
        .where(sr_t.c.period_id == pid).group_by(sr_t.c.status, sr_t.c.predicate)).all()
    computed = sum(r[2] for r in rows if r[0] == "computed")
    skipped = sum(r[2] for r in rows if r[0] != "computed")
    predicates = Counter()
    for status, pred, n, _, _ in rows:
        if status == "computed":
            predicates[pred or "-"] += n
    unscorable = session.scalar(
        select(func.count()).select_from(wp_t)
        .where(wp_t.c.period_id == pid, wp_t.c.status.not_in(SCORABLE_PLAN_STATUSES))) or 0
    summary = {
        "period": period.code,
        "scheme": rules.code,
        "scheme_version": rules.version,
        "computed": int(computed),
        "skipped_final": int(skipped),
        "plans_not_ready": int(unscorable),
        "without_skp": int(sum(r[3] or 0 for r in rows if r[0] == "computed")),
        "without_behaviour": int(sum(r[4] or 0 for r in rows if r[0] == "computed")),
        "without_predicate": int(predicates.get("-", 0)),
        "predicates": dict(sorted(predicates.items())),
    }
    if rules.kind == "matrix":
        from .distribution import check_distribution

        summary["warnings"] = check_distribution(session, period)
    else:
        summary["warnings"] = []
    return summary


def summary_message(summary: dict) -> str:
    """One Indonesian sentence for flash messages and the CLI."""
    parts = [f"Periode {summary['period']}: {summary['computed']} nilai dihitung dengan skema "
             f"{summary['scheme']} v{summary['scheme_version']}"]
    if summary["skipped_final"]:
        parts.append(f"{summary['skipped_final']} dilewati karena sudah disetujui/diumumkan")
    if summary["plans_not_ready"]:
        parts.append(f"{summary['plans_not_ready']} SKP belum siap dinilai")
    if summary["without_predicate"]:
        parts.append(f"{summary['without_predicate']} belum berpredikat (data belum lengkap)")
    return "; ".join(parts) + "."


def find_period(session, code: str) -> Optional[Period]:
    return session.scalar(select(Period).where(Period.code == code))
