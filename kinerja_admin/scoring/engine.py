"""Set-based scoring of a whole period with SQLAlchemy Core, built from the period scheme's rule rows
(no per-employee Python loop).

Statements (all in the caller's transaction; the caller commits):
  1. delete any details stored for the period's results still in status 'computed';
  2. one statement writing a SELECT over the scorable work plans without an approved/published result
     into score_result (:func:`write_results`: the 'computed' results recomputed in place, or deleted
     and inserted again), the SELECT in layers:
       l1  SKP value (:func:`indicator_rows`: latest realisation per indicator -> formula -> mean per
           target -> mean over targets, with the scheme's missing-data policy) and per rater role the
           aspect-weighted mean of the per-aspect means of the submitted ratings (structural-only
           aspects only for structural positions; the public's ratings for 'masyarakat' unless raters
           of that role were assigned);
       l2  behaviour value (rater-role weights renormalised over the roles that rated; none without the
           superior's rating when the scheme says so); values a score column cannot hold become NULL;
       l3  final value (component weights or the scheme's final-score expression);
       l4  matrix categories (set by the rater on the work plan, else suggested from thresholds), or the
           final value as compared with the bands (rounded by the scheme's rule, in integer units);
       and the predicate (bands with the innovation condition, the lowest band below every band, or the
       matrix cell), the inputs used (innovation, structural position, category sources, the public's
       responses) and a note per employee saying why a value is missing or how it was decided.
Every stored number is ROUND(x, 4) in SQL and each layer reads the rounded values of the layer below.
Every branch decision is exact on all three databases (:class:`.formulas.Exact`: decimals rearranged
without division on PostgreSQL/MariaDB, integer units on SQLite), so a value exactly on a regulation's
edge lands on the regulation's side everywhere. Layers are fenced (see :func:`fenced`) so that a layer's
columns are computed once per row, not again for every reference in the layers above.

Nothing fails the whole period for one employee: missing data follows the scheme's policy with a
reason, a value beyond NUMERIC(7,4) is left out with a reason, and should the database still refuse a
value, the error names the employees (:func:`_overflow_message`) instead of a traceback.

The per-aspect means behind the role averages are not written while results are 'computed' (that
would be one row per employee, role and aspect); :func:`details_source` computes them from the
ratings on demand, and approving a result stores them (:func:`freeze_details`), so what the superior
signed off does not move when ratings change later.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.util import ClauseAdapter

from models import (
    BehaviourAspect,
    BehaviourRating,
    Employee,
    Indicator,
    Period,
    Position,
    PositionKind,
    RaterAssignment,
    Realisation,
    ScoreDetail,
    ScoreResult,
    ScoringScheme,
    Target,
    WorkPlan,
)
from models.base import RATER_ROLES, utcnow

from .expression import to_sql
from .formulas import FORMULAS, Exact, Row, num, sql_capaian
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


# --- SQL pieces ----------------------------------------------------------------------------------

def fenced(sel):
    """`sel` as a subquery the planner keeps as its own step (OFFSET 0: SQLite, PostgreSQL and MariaDB
    do not merge such a subquery into the outer query). Without it, every reference to a computed
    column in the outer layers repeats the column's whole expression: the predicate CASE would
    re-evaluate the behaviour value dozens of times per row."""
    return sel.offset(0)


# PostgreSQL settings for the scoring statement only (set_config(..., true) = this transaction; the
# previous values are put back right after it, also when it fails):
# - enable_hashagg off: the aggregates then stream over input already in group order (the ratings
#   from ix_behaviour_rating_scoring in (ratee, role) order) instead of
#   building hash tables of numeric averages (hundreds of MB at 100 000 employees, spilled to disk);
# - jit off: the statement has many expressions; compiling them costs more than one pass saves;
# - work_mem: the sorts that remain (per target and per plan) stay in memory up to a province.
# - enable_nestloop off: a nested loop over a period's plans re-runs whatever is on its inner side per
#   plan; when an estimate goes wrong (the planner guesses 200 groups for an aggregate over an
#   aggregate, or stale statistics say the period's plans all have kept results) that inner side is
#   a whole aggregate: minutes instead of seconds. Hash and merge joins cost little more on small
#   periods.
PG_SETTINGS = {"enable_hashagg": "off", "jit": "off", "work_mem": "256MB", "enable_nestloop": "off"}


@contextmanager
def statement_settings(session):
    """PostgreSQL: :data:`PG_SETTINGS` for the statements run inside (this transaction only), then the
    previous values. Enter it inside a savepoint: should a statement fail, rolling the savepoint back
    also undoes the settings (the aborted transaction accepts no command to restore them). Other
    databases: nothing."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = {n: session.scalar(select(func.current_setting(n))) for n in PG_SETTINGS}
    for name, value in PG_SETTINGS.items():
        session.execute(select(func.set_config(name, value, true())))
    yield
    for name, value in before.items():
        session.execute(select(func.set_config(name, value, true())))


# --- writing the results ----------------------------------------------------------------------------

# columns a rerun leaves as they are on a result it recomputes: the row's key, its status, the time it
# was first computed, and its plan and OPD (the plan key holds them equal to the one plan of the
# employee in the period, and carries a correction of its OPD); the version goes up by one; the
# sign-off columns are cleared as on a new row
RERUN_KEEPS = ("period_id", "employee_id", "work_plan_id", "unit_id", "status", "created_at", "version")
SIGN_OFF = ("approved_at", "approved_by_id", "published_at")


class MergeResults(Executable, ClauseElement):
    """PostgreSQL (15+): ``MERGE INTO score_result`` from the engine's SELECT, matched by (period,
    employee). See :func:`write_results`."""

    inherit_cache = False

    def __init__(self, source, period_id: int):
        self.source = source
        self.period_id = period_id


@compiles(MergeResults, "postgresql")
def _compile_merge_results(element, compiler, **kw):
    q = compiler.preparer.quote
    fields = list(element.source.selected_columns.keys())
    source = compiler.process(element.source.subquery("s"), asfrom=True, **kw)
    pid = compiler.process(literal(element.period_id, Integer), **kw)
    sets = [f"{q(c)} = s.{q(c)}" for c in fields if c not in RERUN_KEEPS]
    sets += [f"{q(c)} = NULL" for c in SIGN_OFF] + ["version = r.version + 1"]
    return (f"MERGE INTO {q(sr_t.name)} AS r USING {source} "
            f"ON r.period_id = {pid} AND r.employee_id = s.employee_id "
            f"WHEN MATCHED AND r.status = 'computed' THEN UPDATE SET {', '.join(sets)} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(q(c) for c in fields)}) "
            f"VALUES ({', '.join('s.' + q(c) for c in fields)})")


def write_results(session, sel, period_id: int, now) -> None:
    """Write the engine's SELECT (one row per employee, named like score_result's columns) over the
    period's results still 'computed'; approved and published results are never touched (the SELECT
    leaves their employees out, and the write checks the status again).

    PostgreSQL 15+ and SQLite recompute a result in place: the row keeps its id and its first
    computation time, takes the new figures, ``computed_at``, and a version one higher; an employee
    without a result gets a new row; then the period's 'computed' results this run did not write (their
    plan is no longer scorable) are deleted. Deleting and inserting every result instead costs a
    foreign-key check per row on both sides (details and objections refer to results; a result to its
    plan, scheme and approver) and every index entry twice; an update in place changes no key and,
    with room left on the page (``fillfactor`` 50 on PostgreSQL, migration 0016), touches no index.
    (PostgreSQL uses MERGE, not INSERT ... ON CONFLICT: that takes an id from the sequence for every
    row it then updates, and a nation's reruns would run an int4 key out.)

    MariaDB, and PostgreSQL before 15 (no MERGE): the period's 'computed' results are deleted and
    inserted again (new ids). A superior's tick on a result therefore never carries over to its
    recomputed figures on any database: see ``kinerja_admin.workflow.score`` (the page's time)."""
    before, main, after = write_statements(session.get_bind().dialect, sel, period_id, now)
    for stmt in (*before, main, *after):
        session.execute(stmt)


def write_statements(dialect, sel, period_id: int, now) -> tuple[list, Executable, list]:
    """(statements before, the statement writing `sel`, statements after) as :func:`write_results`
    runs them on `dialect` (scripts/explain_scoring.py explains the middle one)."""
    fields = list(sel.selected_columns.keys())
    computed = and_(sr_t.c.period_id == period_id, sr_t.c.status == "computed")
    not_rewritten = [delete(sr_t).where(computed, or_(sr_t.c.computed_at.is_(None), sr_t.c.computed_at != now))]
    if dialect.name == "postgresql" and (dialect.server_version_info or (0,)) >= (15,):
        return [], MergeResults(sel, period_id), not_rewritten
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        # (SQLite needs a WHERE in an INSERT ... SELECT with ON CONFLICT, to tell it from a join's ON)
        stmt = sqlite_insert(sr_t).from_select(fields, sel.where(true()))
        sets = {c: stmt.excluded[c] for c in fields if c not in RERUN_KEEPS}
        sets.update({c: null() for c in SIGN_OFF})
        sets["version"] = sr_t.c.version + 1
        return [], stmt.on_conflict_do_update(index_elements=["period_id", "employee_id"], set_=sets,
                                              where=sr_t.c.status == "computed"), not_rewritten
    return [delete(sr_t).where(computed)], insert(sr_t).from_select(fields, sel), []


def _effective_formula(rules: Rules, formula_code, aspect):
    defaults = {a: c for a, c in rules.default_formula.items()}
    default_expr = case(*[(aspect == a, literal(c, String)) for a, c in defaults.items()], else_=null())
    return case((formula_code.in_(rules.allowed_formulas), formula_code), else_=default_expr)


INDICATOR_FLAGS = ("unrealised", "zero_target", "no_formula", "no_indicator")


def indicator_rows(rules: Rules, period_id: int, ex: Exact = Exact(), extra=(), *, dialect: str = "",
                   scorable_only: bool = True):
    """One row per target and indicator of the period's scorable work plans (a target without
    indicators gives one row with ind_id NULL): the inputs (latest realisation), the effective formula,
    the floored capaian (when a formula maps it), the value ``v`` the engine averages, and 0/1 flags
    saying why a row has no value. `extra`: further labelled columns of target/indicator/realisation
    for the caller (the inspector workbook shows the same rows). The one home of an indicator's value.
    `dialect`: the database's (how the latest realisation is picked); `scorable_only=False`: the rows
    of every plan of the period, for a caller that joins them to scorable plans itself.

    Nothing is skipped silently: an indicator without realisation counts 0 or blocks the result (the
    scheme's ``missing_realisation``); a target of 0, a target without indicators or an indicator whose
    formula the scheme lacks always blocks it (the caller turns the flags into reasons)."""
    allowed = rules.allowed_formulas
    if not allowed:
        raise ScoringError(f"Skema {rules.code} belum memiliki rumus indikator.")
    # the latest realisation of an indicator (the highest id), instead of MAX(id) per indicator over a
    # join of the period's realisations, indicators, targets and plans, joined back by id:
    # - PostgreSQL: DISTINCT ON (indicator) over the period's realisations sorted once (0.8 s for
    #   500 000 realisations where an anti-join hashing them all took 1.1 s);
    # - SQLite and MariaDB: the one no later realisation of it follows (an index seek per realisation)
    if dialect == "postgresql":
        real = (select(real_t).where(real_t.c.period_id == period_id)
                .order_by(real_t.c.indicator_id, real_t.c.id.desc()).ext(distinct_on(real_t.c.indicator_id))
                .subquery("current_realisation"))
        extra = [ClauseAdapter(real).traverse(e) for e in extra]
        real_on = real.c.indicator_id == ind_t.c.id
    else:
        real = real_t
        later = real_t.alias("later")
        real_on = and_(real_t.c.indicator_id == ind_t.c.id, real_t.c.period_id == period_id,
                       ~exists(select(literal(1)).where(later.c.period_id == period_id,
                                                        later.c.indicator_id == real_t.c.indicator_id,
                                                        later.c.id > real_t.c.id)))
    r, t, lib = real.c.value, ind_t.c.target_value, ind_t.c.lower_is_better
    single = len(set(rules.default_formula.values()) | set(allowed)) == 1
    # stage 1: per target and indicator the inputs (plus their exact units on SQLite, and the floored
    # capaian once when a formula maps it)
    cols = [tg_t.c.work_plan_id.label("wp_id"), tg_t.c.id.label("target_id"), ind_t.c.id.label("ind_id"),
            r.label("r"), t.label("t"), lib.label("lib"), *extra]
    if single:
        cols.append(case((ind_t.c.id.is_not(None), literal(allowed[0], String)), else_=null()).label("formula"))
    else:
        cols.append(_effective_formula(rules, ind_t.c.formula_code, ind_t.c.aspect).label("formula"))
    capaian = any(FORMULAS[code].uses_capaian for code in allowed)
    ratio_edge = any(FORMULAS[code].uses_ratio_edge for code in allowed)
    if capaian or ratio_edge:  # the exact forms once per row (integer units on SQLite)
        cols.append(ex.exact(t).label("te"))
        if capaian:
            cols.append(ex.exact(Exact.numerator(r, t, lib)).label("xe"))
        if ratio_edge:
            cols.append(ex.exact(r).label("re"))
    if capaian:
        cols.append(sql_capaian(r, t, lib, ex).label("c"))
    # every row of an SKP's content carries its plan's period (held equal by the database): each table
    # is read for the period alone (on PostgreSQL only the period's realisation partition)
    source = (tg_t.outerjoin(ind_t, and_(ind_t.c.target_id == tg_t.c.id, ind_t.c.period_id == period_id))
              .outerjoin(real, real_on))
    where = [tg_t.c.period_id == period_id]
    if scorable_only:
        source = source.join(wp_t, wp_t.c.id == tg_t.c.work_plan_id)
        where += [wp_t.c.period_id == period_id, wp_t.c.status.in_(SCORABLE_PLAN_STATUSES)]
    inner = fenced(select(*cols).select_from(source).where(*where)).subquery("iv1")
    row = Row(inner.c.r, inner.c.t, inner.c.lib, inner.c.get("xe"), inner.c.get("re"), inner.c.get("te"),
              inner.c.get("c"))
    # stage 2: the formula's value; a missing realisation by the policy; a target of 0 has none
    values = {code: FORMULAS[code].sql(row, rules.bands, ex) for code in allowed}
    if single:
        value = values[allowed[0]]
        no_formula = false()
    else:
        value = case(*[(inner.c.formula == code, v) for code, v in values.items()], else_=null())
        no_formula = and_(inner.c.r.is_not(None), inner.c.t != 0, inner.c.formula.is_(None))
    missing = num(0) if rules.missing_realisation == "zero" else null()
    v = case((inner.c.ind_id.is_(None), null()), (inner.c.r.is_(None), missing), (inner.c.t == 0, null()),
             else_=value)

    def flag(cond):
        return case((cond, 1), else_=0)

    flags = {"unrealised": and_(inner.c.ind_id.is_not(None), inner.c.r.is_(None)),
             "zero_target": and_(inner.c.r.is_not(None), inner.c.t == 0),
             "no_formula": no_formula,
             "no_indicator": inner.c.ind_id.is_(None)}
    return select(inner, v.label("v"), *[flag(c).label(k) for k, c in flags.items()]).subquery("iv")


def skp_subquery(rules: Rules, period_id: int, ex: Exact = Exact(), *, dialect: str = ""):
    """(wp_id, skp, n_unrealised, n_zero_target, n_no_formula, n_no_indicator) per work plan of the
    period (the caller keeps the scorable ones): the mean over targets of the mean of their indicator
    values (:func:`indicator_rows`), and the number of rows of each flag."""
    iv = indicator_rows(rules, period_id, ex, dialect=dialect, scorable_only=False)
    tv = (select(iv.c.wp_id, func.avg(iv.c.v).label("tv"), *[func.sum(iv.c[k]).label(k) for k in INDICATOR_FLAGS])
          .group_by(iv.c.wp_id, iv.c.target_id).subquery("tv"))
    return (select(tv.c.wp_id, func.avg(tv.c.tv).label("skp"),
                   *[func.sum(tv.c[k]).label(f"n_{k}") for k in INDICATOR_FLAGS])
            .group_by(tv.c.wp_id).subquery("skp"))


SCORE_LIMIT = Decimal(1000)  # what NUMERIC(7,4) holds after rounding to 4 decimals: |value| < 1000


def bounded(x):
    """`x` when a score column can store it, else NULL (the caller records why)."""
    return case((and_(x > num(-SCORE_LIMIT), x < num(SCORE_LIMIT)), x), else_=null())


def _final_sql(rules: Rules, cols: dict):
    """The final value from the component columns `cols` (skp, perilaku and the role averages)."""
    if rules.final_expression:
        return to_sql(rules.final_expression, cols)
    if rules.kind != "numeric":
        return None
    w_skp = rules.component_weights.get("skp", 0)
    w_beh = rules.component_weights.get("perilaku", 0)
    total = w_skp + w_beh
    if not total:
        return None
    return (cols["skp"] * num(w_skp) + cols["perilaku"] * num(w_beh)) / num(total)


def band_units(rules: Rules, value):
    """The value compared with the predicate bands, as an exact integer count of 1/10000 units:
    rounded to the scheme's decimals (half up = away from zero, like ROUND; or half to even) with
    integer arithmetic, identical on SQLite, PostgreSQL and MariaDB. `value` has at most 4 decimals."""
    x = Exact.units(value)
    d = rules.round_decimals
    if d is None or d >= 4:
        return x
    m = 10 ** (4 - d)
    big_m = literal_column(str(m), BigInteger)
    rem = x % big_m  # sign of x (C semantics on all three databases)
    whole = (x - rem) / big_m  # exact: x - rem is a multiple of m
    twice = func.abs(rem) * literal_column("2", BigInteger)
    if rules.rounding_mode == "half_even":
        up = or_(twice > big_m, and_(twice == big_m, func.abs(whole) % literal_column("2", BigInteger) == 1))
    else:
        up = twice >= big_m
    away = case((up, case((x < 0, -1), else_=1)), else_=0)
    return (whole + away) * big_m


def _units(value) -> int:
    return int((Decimal(value) * 10000).to_integral_value())


def _band_predicate_sql(rules: Rules, units, innovation):
    """The predicate from the banded value (:func:`band_units`); below every band: the lowest band."""
    whens = []
    for b in rules.ordered_predicate_bands():
        conds = [units >= _units(b.lower)]
        if b.upper is not None:
            conds.append(units < _units(b.upper))
        if b.requires_innovation:
            conds.append(innovation == true())
        whens.append((and_(*conds), literal(b.label, String)))
    low = rules.lowest_band()
    if low is not None:
        whens.append((units < _units(low.lower), literal(low.label, String)))
    if not whens:
        return null()
    return case(*whens, else_=null())


def _category_sql(rules: Rules, dimension: str, value_col):
    ts = rules.thresholds.get(dimension, [])
    if not ts:
        return null()
    return case(*[(value_col >= num(lower), literal(cat, String)) for lower, cat in ts], else_=null())


def _structural_plan(period_id: int, employee_id):
    """True when the employee's work plan of the period is on a structural position."""
    return exists(
        select(literal(1)).select_from(
            wp_t.join(emp_t, emp_t.c.id == wp_t.c.employee_id)
            .join(pos_t, pos_t.c.id == func.coalesce(wp_t.c.position_id, emp_t.c.position_id))
            .join(pk_t, pk_t.c.id == pos_t.c.kind_id))
        .where(wp_t.c.period_id == period_id, wp_t.c.employee_id == employee_id, pk_t.c.structural == true()))


def detail_select(rules: Rules, period_id: int, *result_conditions, ratees=None):
    """(result_id, role, aspect_id, average, raters) of the period's results matching
    `result_conditions`, computed from the submitted ratings: per result, rater role and aspect of the
    scheme the mean of the ratings (ROUND 4) and their number. Aspects for structural positions only
    count for employees whose work plan of the period is on a structural position.

    The behaviour details behind a result (explanation, export, what approval stores); the engine
    computes the same role averages without materialising them (:func:`role_sums`). The ratings are
    reached from the results by the (period, ratee) they carry (so a few results read only their own
    ratings), grouped with the result's id, and joined to the scheme's aspects per group. `ratees`
    (ids) further limits the ratings read."""
    agg = (select(sr_t.c.id.label("result_id"), sr_t.c.employee_id.label("ratee_id"), br_t.c.role,
                  br_t.c.aspect_id, type_coerce(r4(func.avg(br_t.c.value)), sd_t.c.average.type).label("average"),
                  func.count().label("raters"))
           .select_from(sr_t.join(br_t, and_(br_t.c.period_id == sr_t.c.period_id,
                                             br_t.c.ratee_id == sr_t.c.employee_id)))
           .where(sr_t.c.period_id == period_id, br_t.c.assignment_status == "submitted", *result_conditions,
                  *([] if ratees is None else [br_t.c.ratee_id.in_(ratees)]))
           .group_by(sr_t.c.id, sr_t.c.employee_id, br_t.c.role, br_t.c.aspect_id)
           .subquery("agg"))
    sel = (select(agg.c.result_id, agg.c.role, agg.c.aspect_id, agg.c.average, agg.c.raters)
           .select_from(agg.join(ba_t, and_(ba_t.c.id == agg.c.aspect_id, ba_t.c.scheme_id == rules.scheme_id))))
    if rules.has_structural_only:
        sel = sel.where(or_(ba_t.c.structural_only == false(), _structural_plan(period_id, agg.c.ratee_id)))
    return sel


def freeze_details(session, result_ids) -> None:
    """Store the behaviour details of these results where they are approved/published and have none
    yet (called when results are approved), so later changes of ratings do not alter what was signed
    off. Only the ratings of those results' employees are read: the results are addressed by their
    (period, employee), which is unique, so the ratings are reached through the rater assignments'
    ratee index (an IN list on the result ids would be walked for every rating on SQLite)."""
    ids = sorted(set(result_ids))
    for i in range(0, len(ids), 2000):
        chunk = ids[i:i + 2000]
        groups: dict[tuple, list[int]] = {}
        for pid, scheme_id, employee_id in session.execute(
                select(sr_t.c.period_id, sr_t.c.scheme_id, sr_t.c.employee_id).where(sr_t.c.id.in_(chunk))):
            groups.setdefault((pid, scheme_id), []).append(employee_id)
        for (pid, scheme_id), employees in groups.items():
            rules = load_rules(session.get(ScoringScheme, scheme_id))
            stored = exists(select(literal(1)).where(sd_t.c.result_id == sr_t.c.id))
            sel = detail_select(rules, pid, sr_t.c.scheme_id == scheme_id, sr_t.c.status.in_(KEPT_STATUSES),
                                ~stored, ratees=employees)
            rows = sel.subquery("frozen")
            session.execute(insert(sd_t).from_select(
                ["result_id", "period_id", "role", "aspect_id", "average", "raters"],
                select(rows.c.result_id, literal(pid, Integer), rows.c.role, rows.c.aspect_id, rows.c.average,
                       rows.c.raters)))


def role_sums(rules: Rules, period_id: int, aggregate_filter: bool = False):
    """(ratee_id, then per role: <role>_s, <role>_w and, when the scheme has structural-only aspects,
    <role>_ss, <role>_ws): sums of aspect average x aspect weight and of the weights of the aspects
    rated, apart for the structural-only aspects, which count only for ratees on a structural position
    (decided once per work plan by the caller instead of once per aspect row). A role without ratings
    has none (NULL); a role rated only on aspects outside the scheme has weight 0 (no average either).

    The ratings are grouped once, by (ratee, role): each aspect of the scheme is a conditional average
    (the mean of that aspect's ratings, ROUND 4, as a group per aspect would give), its weight inlined
    from the loaded rules. A rating carries its assignment's period, status, ratee and role, so they
    are read from the covering index ix_behaviour_rating_scoring (period, assignment status, ratee,
    role, ...) alone, in group order, and aggregated as they stream: no join to the assignments, no
    sort, no hash table of one group per employee, role and aspect. `aggregate_filter`: write the
    conditional averages as ``AVG(value) FILTER (WHERE aspect_id = ...)`` (PostgreSQL, SQLite; about 10%
    faster than a CASE per aspect), else with CASE (MariaDB has no FILTER clause)."""
    # per (ratee, role) the mean of each aspect, computed once (fenced: the sums below refer to each
    # mean twice, and SQLite would otherwise aggregate it again for every reference)
    means = []
    for aspect_id in sorted({a[0] for a in rules.aspects}):
        if aggregate_filter:
            mean = func.avg(br_t.c.value).filter(br_t.c.aspect_id == aspect_id)
        else:
            mean = func.avg(case((br_t.c.aspect_id == aspect_id, br_t.c.value), else_=null()))
        means.append(r4(mean).label(f"a{aspect_id}"))
    aspect_means = fenced(select(br_t.c.ratee_id, br_t.c.role, *means)
                          .where(br_t.c.period_id == period_id, br_t.c.assignment_status == "submitted")
                          .group_by(br_t.c.ratee_id, br_t.c.role)).subquery("aspect_means")

    def sums(structural_only: bool):
        chosen = sorted((a[0], a[3]) for a in rules.aspects if a[4] == structural_only)
        if not chosen:
            none = cast(null(), Numeric(18, 6))
            return none, none
        s = w = None
        for aspect_id, weight in chosen:
            average = aspect_means.c[f"a{aspect_id}"]
            # (most schemes weigh every aspect 1: no multiplication then, 300 000 rows at 100 000 ratees)
            s_term = func.coalesce(average if weight == 1 else average * num(weight), num(0))
            w_term = case((average.is_not(None), num(weight)), else_=num(0))
            s = s_term if s is None else s + s_term
            w = w_term if w is None else w + w_term
        return s, w

    parts = dict(zip(("s", "w"), sums(False)))
    if rules.has_structural_only:
        parts.update(zip(("ss", "ws"), sums(True)))
    per_role = (select(aspect_means.c.ratee_id, aspect_means.c.role, *[v.label(k) for k, v in parts.items()])
                .subquery("per_role"))
    return (select(per_role.c.ratee_id,
                   *[func.max(case((per_role.c.role == role, per_role.c[k]), else_=null())).label(f"{role}_{k}")
                     for role in ROLE_COLUMNS for k in parts])
            .group_by(per_role.c.ratee_id).subquery("roles"))


def _has_aggregate_filter(session) -> bool:
    """Whether the database takes ``aggregate(...) FILTER (WHERE ...)``: PostgreSQL, SQLite >= 3.30."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return True
    if dialect.name == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 30, 0)
    return False


def _role_average(rules: Rules, roles, role: str, structural):
    """ROUND 4 of the aspect-weighted mean of one role from :func:`role_sums` columns."""
    s, w = roles.c[f"{role}_s"], roles.c[f"{role}_w"]
    if not rules.has_structural_only:
        return r4(s * num(1) / func.nullif(w, 0))
    ss, ws = roles.c[f"{role}_ss"], roles.c[f"{role}_ws"]
    numer = func.coalesce(s, num(0)) + case((structural, func.coalesce(ss, num(0))), else_=num(0))
    denom = func.coalesce(w, num(0)) + case((structural, func.coalesce(ws, num(0))), else_=num(0))
    return r4(numer * num(1) / func.nullif(denom, 0))


# --- the run ---------------------------------------------------------------------------------------

def _text(value: str):
    return literal(value, String)


def _note_piece(cond, *parts):
    """(cond, a sentence of the result's note when `cond` holds); parts: text literals and SQL integers."""
    text = None
    for part in parts:
        piece = _text(part) if isinstance(part, str) else cast(part, String)
        text = piece if text is None else text + piece
    return cond, case((cond, text + _text(" ")), else_=_text(""))


def _policy_sentences(rules: Rules) -> list[str]:
    from models.base import MISSING_REALISATION, MISSING_SUPERIOR

    out = [MISSING_REALISATION.get(rules.missing_realisation, rules.missing_realisation) + "."]
    if rules.rater_weights.get("atasan", 0) > 0:
        out.append(MISSING_SUPERIOR.get(rules.missing_superior, rules.missing_superior) + ".")
    return out


def score_period(session, period: Period, *, user=None) -> dict:
    """Compute every scorable employee of the period set-based. Returns a summary dict.

    Results already approved or published are never touched (reported as skipped). Idempotent:
    a rerun replaces the 'computed' results with freshly computed ones. An employee whose data give
    no value (missing data under the scheme's policy, a value beyond what a score column holds) gets a
    result without it and a note saying why; the period is still scored (the summary lists them).
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
    ex = Exact.for_session(session)
    pid = period.id
    now = utcnow()

    # 1. no details are stored for results still 'computed' (approving stores them); any left are dropped
    computed_ids = select(sr_t.c.id).where(sr_t.c.period_id == pid, sr_t.c.status == "computed")
    session.execute(delete(sd_t).where(sd_t.c.result_id.in_(computed_ids)))

    # 2. one statement writing the SELECT, layer by layer so that each figure is computed from the
    # rounded figures before it, exactly as stored (see :func:`write_results`)
    sel = _result_select(session, rules, pid, ex, now)
    if ex.sqlite:  # SQLite stores any number: the bounds above are the only check, and they hold
        write_results(session, sel, pid, now)
    else:
        savepoint = session.begin_nested()
        try:
            with statement_settings(session):
                write_results(session, sel, pid, now)
        except DBAPIError as err:
            savepoint.rollback()
            raise ScoringError(_overflow_message(session, sel, period)) from err
        savepoint.commit()

    summary = _summary(session, period, rules)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    record("score", "period", pid, user=user, period_id=pid, session=session,
           changes={k: v for k, v in summary.items() if k not in ("warnings", "failed", "not_judged_plans")},
           reason=f"Hitung nilai dengan skema {rules.code} v{rules.version}")
    session.flush()
    session.expire_all()
    return summary


def _result_select(session, rules: Rules, pid: int, ex: Exact, now):
    """The SELECT whose rows the engine inserts into score_result (named like its columns)."""
    skp = skp_subquery(rules, pid, ex, dialect=session.get_bind().dialect.name)
    roles = role_sums(rules, pid, aggregate_filter=_has_aggregate_filter(session))
    plan_pos = pos_t.alias("plan_pos")
    plan_kind = pk_t.alias("plan_kind")
    plan_emp = emp_t.alias("plan_emp")
    # the structural flag decides (and is recorded) only where the scheme has structural-only aspects
    structural = func.coalesce(plan_kind.c.structural, false()) == true()
    kept = sr_t.alias("kept")
    role_cols = {}
    public = None
    if rules.rater_weights.get("masyarakat", 0) > 0:
        from kinerja_admin.rating.ikm import masyarakat_query
        from kinerja_admin.settings import get_setting

        public = masyarakat_query(pid, max(1, int(get_setting("public.min_responses", session)))).subquery("mq")
        lo, hi = rules.scale_min, rules.scale_max
    for role, col in ROLE_COLUMNS.items():
        role_cols[col] = _role_average(rules, roles, role, structural if rules.has_structural_only else None)
        if role == "masyarakat" and public is not None:
            # citizens' ratings of named employees, mapped linearly from 1-4 onto the scheme scale,
            # unless raters of that role were assigned explicitly
            role_cols[col] = func.coalesce(role_cols[col], r4(
                num(lo) + (public.c.score_sum * num(1) / public.c.responses - num(1)) * num(hi - lo) / num(3)))
    frm = (wp_t.outerjoin(skp, skp.c.wp_id == wp_t.c.id)
           .outerjoin(roles, roles.c.ratee_id == wp_t.c.employee_id))
    # results kept (approved/published): an anti-join. (As LEFT JOIN ... WHERE kept.id IS NULL,
    # PostgreSQL cannot tell it is one, estimates 0.5% of the plans and joins the rest in nested loops.)
    # (The status test is implied, the period's other results were just deleted, but it keeps the
    # estimate right: statistics gathered while the period's results were still 'computed' would
    # otherwise tell the planner every plan has a kept result, and it would nest the aggregates in a
    # loop over the "one" plan left: minutes instead of seconds at 100 000.)
    kept_exists = exists(select(literal(1)).where(kept.c.period_id == pid, kept.c.status.in_(KEPT_STATUSES),
                                                  kept.c.employee_id == wp_t.c.employee_id))
    if rules.has_structural_only:
        frm = (frm.outerjoin(plan_emp, plan_emp.c.id == wp_t.c.employee_id)
               .outerjoin(plan_pos, plan_pos.c.id == func.coalesce(wp_t.c.position_id, plan_emp.c.position_id))
               .outerjoin(plan_kind, plan_kind.c.id == plan_pos.c.kind_id))
    public_cols = [cast(null(), Integer).label("public_responses"), cast(null(), Integer).label("public_score_sum")]
    if public is not None:
        frm = frm.outerjoin(public, public.c.employee_id == wp_t.c.employee_id)
        public_cols = [public.c.responses.label("public_responses"),
                       cast(public.c.score_sum, Integer).label("public_score_sum")]
    blocked = or_(func.coalesce(skp.c.n_zero_target, 0) > 0, func.coalesce(skp.c.n_no_indicator, 0) > 0,
                  func.coalesce(skp.c.n_no_formula, 0) > 0)
    if rules.missing_realisation == "block":
        blocked = or_(blocked, func.coalesce(skp.c.n_unrealised, 0) > 0)
    l1 = (select(wp_t.c.id.label("work_plan_id"), wp_t.c.employee_id, wp_t.c.unit_id, wp_t.c.innovation,
                 wp_t.c.hasil_rating, wp_t.c.perilaku_rating,
                 # a NULL the databases type as boolean (PostgreSQL types a bare NULL column as text)
                 (structural if rules.has_structural_only else case((false(), false()), else_=null()))
                 .label("structural"),
                 (skp.c.wp_id.is_not(None)).label("has_targets"),
                 func.coalesce(skp.c.n_unrealised, 0).label("n_unrealised"),
                 func.coalesce(skp.c.n_zero_target, 0).label("n_zero_target"),
                 func.coalesce(skp.c.n_no_formula, 0).label("n_no_formula"),
                 func.coalesce(skp.c.n_no_indicator, 0).label("n_no_indicator"),
                 r4(case((blocked, null()), else_=skp.c.skp)).label("skp4"),
                 *public_cols, *[c.label(col) for col, c in role_cols.items()])
          .select_from(frm)
          .where(wp_t.c.period_id == pid, wp_t.c.status.in_(SCORABLE_PLAN_STATUSES), ~kept_exists))
    l1 = fenced(l1).subquery("l1")
    # behaviour: weighted mean over the roles present (weights renormalised); without the superior's
    # rating none when the scheme says so
    weighted = [(l1.c[ROLE_COLUMNS[r]], w) for r, w in rules.rater_weights.items() if w > 0]
    behaviour = cast(null(), sr_t.c.behaviour_value.type)
    superior_blocks = rules.missing_superior == "block" and rules.rater_weights.get("atasan", 0) > 0
    if weighted:
        numer = denom = None
        for col, w in weighted:
            n_term = func.coalesce(col * num(w), num(0))
            d_term = case((col.is_not(None), num(w)), else_=num(0))
            numer = n_term if numer is None else numer + n_term
            denom = d_term if denom is None else denom + d_term
        behaviour = r4(numer * num(1) / func.nullif(denom, 0))
        if superior_blocks:
            behaviour = case((l1.c.atasan_avg.is_(None), null()), else_=behaviour)
    l2 = fenced(select(l1, bounded(l1.c.skp4).label("skp_value"), bounded(behaviour).label("behaviour_value"))
                ).subquery("l2")
    cols = {"skp": l2.c.skp_value, "perilaku": l2.c.behaviour_value}
    cols.update({role: l2.c[col] for role, col in ROLE_COLUMNS.items()})
    final = _final_sql(rules, cols)
    final_col = cast(null(), sr_t.c.final_value.type) if final is None else r4(final)
    l3 = fenced(select(l2, final_col.label("final4"))).subquery("l3")
    extra = [bounded(l3.c.final4).label("final_value")]
    if rules.kind == "matrix":
        if rules.rater_decides:
            # penentu rating = pejabat penilai (PermenPANRB 6/2022): the rater's judgement is the category;
            # without it there is none, and no predicate ("belum dinilai atasan", a note per employee)
            hasil_cat, perilaku_cat = l3.c.hasil_rating, l3.c.perilaku_rating
        else:
            hasil_cat = func.coalesce(l3.c.hasil_rating, _category_sql(rules, "hasil", l3.c.skp_value))
            perilaku_cat = func.coalesce(l3.c.perilaku_rating, _category_sql(rules, "perilaku", l3.c.behaviour_value))
        extra += [hasil_cat.label("hasil_category"), perilaku_cat.label("perilaku_category")]
    else:
        extra.append(band_units(rules, bounded(l3.c.final4)).label("band_units"))
    top = fenced(select(l3, *extra)).subquery("l4")
    notes = [
        _note_piece(~top.c.has_targets, "SKP tidak dihitung: rencana kerja belum memiliki sasaran."),
        _note_piece(top.c.n_no_indicator > 0, "SKP tidak dihitung: ", top.c.n_no_indicator,
                    " sasaran belum memiliki indikator."),
        _note_piece(top.c.n_zero_target > 0, "SKP tidak dihitung: ", top.c.n_zero_target,
                    " indikator bertarget 0 sehingga capaiannya tidak dapat dihitung."),
        _note_piece(top.c.n_no_formula > 0, "SKP tidak dihitung: ", top.c.n_no_formula,
                    " indikator memakai rumus yang tidak ada di skema."),
    ]
    if rules.missing_realisation == "block":
        notes.append(_note_piece(top.c.n_unrealised > 0, "SKP tidak dihitung: ", top.c.n_unrealised,
                                 " indikator belum memiliki realisasi (kebijakan skema: menahan nilai)."))
    else:
        notes.append(_note_piece(top.c.n_unrealised > 0, "", top.c.n_unrealised,
                                 " indikator tanpa realisasi dihitung 0 (kebijakan skema)."))
    notes.append(_note_piece(and_(top.c.skp4.is_not(None), top.c.skp_value.is_(None)),
                             "Nilai SKP di luar rentang yang dapat disimpan (-999,9999 sampai 999,9999): "
                             "periksa realisasi dan target."))
    any_role = or_(*[top.c[col].is_not(None) for col, w in ((ROLE_COLUMNS[r], w) for r, w in
                                                               rules.rater_weights.items()) if w > 0]) \
        if weighted else false()
    if superior_blocks:
        notes.append(_note_piece(top.c.atasan_avg.is_(None),
                                 "Nilai perilaku tidak dihitung: atasan belum menilai (kebijakan skema)."))
    elif weighted:
        notes.append(_note_piece(~any_role, "Nilai perilaku tidak dihitung: belum ada penilaian perilaku."))
    if final is not None:
        notes.append(_note_piece(and_(top.c.final4.is_not(None), top.c.final_value.is_(None)),
                                 "Nilai akhir di luar rentang yang dapat disimpan: periksa rumus nilai akhir."))
        notes.append(_note_piece(and_(top.c.final4.is_(None), top.c.skp_value.is_not(None),
                                      top.c.behaviour_value.is_not(None)),
                                 "Nilai akhir tidak dapat dihitung dengan rumus nilai akhir skema "
                                 "(misalnya pembagian dengan nol)."))
    if rules.kind == "matrix" and rules.rater_decides:
        notes.append(_note_piece(or_(top.c.hasil_rating.is_(None), top.c.perilaku_rating.is_(None)),
                                 "Belum dinilai atasan: pejabat penilai belum menetapkan rating hasil kerja dan "
                                 "rating perilaku (skema: penentu rating pejabat penilai)."))
    if rules.kind == "matrix":
        cells = [(and_(top.c.hasil_category == h, top.c.perilaku_category == p), literal(label, String))
                 for (h, p), label in sorted(rules.matrix.items())]
        predicate = case(*cells, else_=null()) if cells else null()
        hasil, perilaku = top.c.hasil_category, top.c.perilaku_category
        hasil_source = case((top.c.hasil_rating.is_not(None), _text("penilai")),
                            (top.c.hasil_category.is_not(None), _text("ambang")), else_=null())
        perilaku_source = case((top.c.perilaku_rating.is_not(None), _text("penilai")),
                               (top.c.perilaku_category.is_not(None), _text("ambang")), else_=null())
        notes.append(_note_piece(top.c.hasil_category.is_(None),
                                 "Rating hasil kerja belum ada: belum ditetapkan penilai dan nilai SKP tidak ada."))
        notes.append(_note_piece(top.c.perilaku_category.is_(None),
                                 "Rating perilaku belum ada: belum ditetapkan penilai dan nilai perilaku tidak ada."))
    else:
        predicate = _band_predicate_sql(rules, top.c.band_units, top.c.innovation)
        hasil = perilaku = hasil_source = perilaku_source = null()
        low = rules.lowest_band()
        if low is not None:
            notes.append(_note_piece(top.c.band_units < _units(low.lower),
                                     f"Nilai akhir di bawah rentang predikat terendah ({_fmt(low.lower)}); "
                                     f"diberi predikat terendah {low.label}."))
    note = None
    for _, piece in notes:
        note = piece if note is None else note + piece
    # most results have nothing to say: one test instead of concatenating empty sentences
    note = case((or_(*[cond for cond, _ in notes]), func.nullif(func.trim(note), _text(""))), else_=null())
    fields = {"period_id": literal(pid, Integer), "employee_id": top.c.employee_id,
              "work_plan_id": top.c.work_plan_id, "unit_id": top.c.unit_id,
              "scheme_id": literal(rules.scheme_id, Integer), "scheme_version": literal(rules.version, Integer),
              "skp_value": top.c.skp_value, "behaviour_value": top.c.behaviour_value,
              "final_value": top.c.final_value, "predicate": predicate,
              "hasil_category": hasil, "perilaku_category": perilaku,
              **{col: bounded(top.c[col]) for col in ROLE_COLUMNS.values()},
              "innovation": top.c.innovation, "structural": top.c.structural,
              "hasil_source": hasil_source, "perilaku_source": perilaku_source,
              "public_responses": top.c.public_responses, "public_score_sum": top.c.public_score_sum,
              "note": note,
              "status": literal("computed", String), "computed_at": literal(now, DateTime),
              "version": literal(1, Integer), "created_at": literal(now, DateTime),
              "updated_at": literal(now, DateTime)}
    return select(*[v.label(k) for k, v in fields.items()])


def _fmt(value) -> str:
    from kinerja_admin.numbers import format_id

    return format_id(Decimal(value))


def _overflow_message(session, sel, period: Period) -> str:
    """The database refused a value (beyond a score column): name the employees and values. Only
    reached if a value escaped the bounds checked in SQL."""
    limit = Decimal("999.9999")
    numeric = ["skp_value", "behaviour_value", "final_value", *ROLE_COLUMNS.values()]
    bad = []
    for row in session.execute(select(*[sel.selected_columns[c] for c in ["employee_id", *numeric]])):
        over = [(c, v) for c, v in zip(numeric, row[1:]) if v is not None and abs(Decimal(str(v))) > limit]
        if over:
            bad.append((row[0], over))
    names = dict(session.execute(select(emp_t.c.id, emp_t.c.name + _text(" (NIP ") + emp_t.c.nip + _text(")"))
                                 .where(emp_t.c.id.in_([b[0] for b in bad[:20]] or [0]))).all())
    labels = {"skp_value": "nilai SKP", "behaviour_value": "nilai perilaku", "final_value": "nilai akhir"}
    parts = [f"{names.get(eid, eid)}: " + ", ".join(f"{labels.get(c, c.replace('_avg', ''))} {_fmt(v)}"
                                                    for c, v in over) for eid, over in bad[:20]]
    if not parts:
        return (f"Periode {period.code}: basis data menolak menyimpan hasil penilaian. Tidak ada nilai yang "
                "disimpan; hubungi administrator.")
    more = f" dan {len(bad) - 20} pegawai lain" if len(bad) > 20 else ""
    return (f"Periode {period.code}: nilai berikut melebihi yang dapat disimpan (paling besar 999,9999), tidak ada "
            f"nilai yang disimpan: {'; '.join(parts)}{more}. Periksa realisasi dan target pegawai tersebut.")


FAILED_LISTED = 200  # employees listed by name in a summary (all are counted)


def _summary(session, period: Period, rules: Rules) -> dict:
    pid = period.id
    rows = session.execute(
        select(sr_t.c.status, sr_t.c.predicate, func.count(),
               func.sum(case((sr_t.c.skp_value.is_(None), 1), else_=0)),
               func.sum(case((sr_t.c.behaviour_value.is_(None), 1), else_=0)),
               func.sum(case((sr_t.c.note.is_not(None), 1), else_=0)))
        .where(sr_t.c.period_id == pid).group_by(sr_t.c.status, sr_t.c.predicate)).all()
    computed = sum(r[2] for r in rows if r[0] == "computed")
    skipped = sum(r[2] for r in rows if r[0] != "computed")
    predicates = Counter()
    for status, pred, n, _, _, _ in rows:
        if status == "computed":
            predicates[pred or "-"] += n
    unscorable = session.scalar(
        select(func.count()).select_from(wp_t)
        .where(wp_t.c.period_id == pid, wp_t.c.status.not_in(SCORABLE_PLAN_STATUSES))) or 0
    failed_rows = session.execute(
        select(emp_t.c.nip, emp_t.c.name, sr_t.c.note).join(emp_t, emp_t.c.id == sr_t.c.employee_id)
        .where(sr_t.c.period_id == pid, sr_t.c.status == "computed", sr_t.c.predicate.is_(None))
        .order_by(emp_t.c.name, emp_t.c.nip).limit(FAILED_LISTED))
    failed = [{"nip": nip, "name": name, "reason": note or "Data belum lengkap."} for nip, name, note in failed_rows]
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
        "with_note": int(sum(r[5] or 0 for r in rows if r[0] == "computed")),
        "predicates": dict(sorted(predicates.items())),
        "policy": " ".join(_policy_sentences(rules)),
        "failed": failed,
    }
    summary["not_judged"], summary["not_judged_plans"] = _not_judged(session, pid, rules)
    if rules.kind == "matrix":
        from .distribution import check_distribution

        summary["warnings"] = check_distribution(session, period)
    else:
        summary["warnings"] = []
    return summary


NOT_JUDGED = "belum dinilai atasan"


def _not_judged(session, period_id: int, rules: Rules, shown: int = 10) -> tuple[int, list[str]]:
    """Computed results left without a predicate because the rater has not judged the plan (only when
    the scheme's penentu rating is the rater): how many, and the first few employees' names."""
    if not rules.rater_decides:
        return 0, []
    cond = and_(sr_t.c.period_id == period_id, sr_t.c.status == "computed", sr_t.c.predicate.is_(None),
                or_(sr_t.c.hasil_category.is_(None), sr_t.c.perilaku_category.is_(None)))
    count = session.scalar(select(func.count()).select_from(sr_t).where(cond)) or 0
    names = session.scalars(select(emp_t.c.name).select_from(sr_t.join(emp_t, emp_t.c.id == sr_t.c.employee_id))
                            .where(cond).order_by(emp_t.c.name).limit(shown)).all() if count else []
    return int(count), list(names)


def summary_message(summary: dict, *, listed: int = 5) -> str:
    """Indonesian sentences for flash messages and the CLI (the first `listed` employees without a
    predicate named with the reason)."""
    parts = [f"Periode {summary['period']}: {summary['computed']} nilai dihitung dengan skema "
             f"{summary['scheme']} v{summary['scheme_version']}"]
    if summary["skipped_final"]:
        parts.append(f"{summary['skipped_final']} dilewati karena sudah disetujui/diumumkan")
    if summary["plans_not_ready"]:
        parts.append(f"{summary['plans_not_ready']} SKP belum siap dinilai")
    not_judged = summary.get("not_judged", 0)
    if not_judged:
        names = ", ".join(summary.get("not_judged_plans", []))
        more = " dan lainnya" if not_judged > len(summary.get("not_judged_plans", [])) else ""
        parts.append(f"{not_judged} {NOT_JUDGED} (tanpa predikat: {names}{more})")
    if summary["without_predicate"] - not_judged > 0:
        parts.append(f"{summary['without_predicate'] - not_judged} pegawai belum berpredikat karena data "
                     "(alasan per pegawai di bawah)")
    text = "; ".join(parts) + "."
    if summary.get("policy"):
        text += f" Kebijakan data kosong: {summary['policy']}"
    failed = summary.get("failed") or []
    if failed and listed:
        shown = "; ".join(f"{f['name']} ({f['nip']}): {f['reason']}" for f in failed[:listed])
        more = summary["without_predicate"] - min(listed, len(failed))
        text += f" Belum berpredikat: {shown}" + (f"; dan {more} pegawai lain." if more > 0 else "")
    return text


def find_period(session, code: str) -> Optional[Period]:
    return session.scalar(select(Period).where(Period.code == code))


def details_source(session, period: Period, rules: Optional[Rules] = None):
    """A subquery (result_id, role, aspect_id, average, raters) of every result of the period: the
    details stored when a result was approved, and for results still 'computed' the same figures
    computed from the ratings (the engine stores only the per-role averages of those)."""
    if rules is None:
        rules = load_rules(session.get(ScoringScheme, period.scheme_id))
    stored = (select(sd_t.c.result_id, sd_t.c.role, sd_t.c.aspect_id, sd_t.c.average, sd_t.c.raters)
              .join(sr_t, sr_t.c.id == sd_t.c.result_id)
              .where(sr_t.c.period_id == period.id, sr_t.c.status != "computed"))
    live = detail_select(rules, period.id, sr_t.c.status == "computed")
    return stored.union_all(live).subquery("details")


def result_details(session, result) -> list:
    """[(role, aspect_id, average, raters)] behind one result (see :func:`details_source`)."""
    if result.status != "computed":
        rows = session.execute(select(sd_t.c.role, sd_t.c.aspect_id, sd_t.c.average, sd_t.c.raters)
                               .where(sd_t.c.result_id == result.id)).all()
        return [tuple(r) for r in rows]
    rules = load_rules(session.get(ScoringScheme, result.scheme_id))
    sel = detail_select(rules, result.period_id, sr_t.c.id == result.id, ratees=[result.employee_id])
    return [(r.role, r.aspect_id, r.average, r.raters) for r in session.execute(sel)]


def stale_results(session, result_ids) -> set[int]:
    """The 'computed' results among `result_ids` whose employee's rater assignments or ratings of the
    period changed after the result was computed: their stored averages no longer match the ratings,
    so they must be recomputed before anyone signs them off (or reads their details)."""
    changed = exists(
        select(literal(1)).select_from(ra_t.outerjoin(br_t, br_t.c.assignment_id == ra_t.c.id))
        .where(ra_t.c.period_id == sr_t.c.period_id, ra_t.c.ratee_id == sr_t.c.employee_id,
               or_(ra_t.c.updated_at > sr_t.c.computed_at, br_t.c.updated_at > sr_t.c.computed_at)))
    ids = sorted(set(result_ids))
    out: set[int] = set()
    for i in range(0, len(ids), 2000):
        out.update(session.scalars(select(sr_t.c.id).where(sr_t.c.id.in_(ids[i:i + 2000]),
                                                             sr_t.c.status == "computed", changed)))
    return out
