"""Benchmark the set-based scoring engine against a hand-written SQL floor, a denormalised lower bound
and a naive ORM loop.

    python scripts/bench_scoring.py --employees 100000 [--database-url URL] [--naive-sample 1000]
    python scripts/bench_scoring.py --existing --database-url URL   # measure again, no generation

Generates (fast Core bulk inserts) one period under PERMENPANRB-6-2022 with 5 targets per employee
(one indicator + one realisation each) and 6 raters (1 atasan, 3 rekan, 2 bawahan) x 7 aspects per
employee. The naive loop is timed on a sample and extrapolated to N (said so in the output).
The lower bound is a single pass over the same volume already keyed by employee (its own tables, copied
untimed from the generated rows): per-employee weighted capped achievement, per-role averages, weighted
behaviour, final. It does less than the engine (no bands, no latest-realisation pick, no matrix): it is
what the machine needs to read and aggregate this many rows, not equal work.
The engine is timed twice over: the period's first scoring (its results all inserted), then each of
`--repeat` reruns (the results recomputed in place where the database allows, see
kinerja_admin.scoring.engine.write_results), the best of which is the engine's figure.
The last line of output is a JSON object with the figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# The floor: one hand-written statement computing, for this benchmark's data and the
# PERMENPANRB-6-2022 preset, exactly the figures the engine stores (SKP by the capaian_iki formula and
# its bands, mean per target then per plan; per rater role the mean of the per-aspect means (all
# BerAKHLAK aspects weigh 1); behaviour weighted over the roles present; categories from the
# thresholds; the matrix cell), each rounded to 4 decimals like the engine. What it does not have is
# what the engine adds for generality: rules read from tables, any formula/weights/aspects, the
# structural-only aspects, the public's ratings, the plan's own categories, approved results kept.
# The run checks that both give the same results, so the ratio compares equal work.
CAPAIAN = """CASE WHEN c >= 110.0 THEN 120.0
       WHEN c >= 101.0 AND c < 110.0 THEN 110.0 + (c - 101.0) * 10.0 / 9.0
       WHEN c >= 100.0 AND c < 101.0 THEN 109.0
       WHEN c >= 80.0 AND c < 100.0 THEN 70.0 + (c - 80.0) * 19.0 / 19.0
       WHEN c >= 60.0 AND c < 80.0 THEN 50.0 + (c - 60.0) * 19.0 / 19.0
       WHEN c >= 0.0 AND c < 60.0 THEN 0.0 + (c - 0.0) * 49.0 / 59.0 END"""
RAW = ("CASE WHEN i.lower_is_better THEN (2.0 * i.target_value - r.value) * 100.0 / i.target_value "
       "ELSE r.value * 100.0 / i.target_value END")
C = f"(CASE WHEN i.target_value = 0 THEN NULL WHEN ({RAW}) < 0.0 THEN 0.0 ELSE ({RAW}) END)"
FLOOR_SQL = f"""
INSERT INTO bench_floor (employee_id, skp, atasan, rekan, bawahan, behaviour, hasil, perilaku, predicate)
SELECT employee_id, skp, atasan, rekan, bawahan, beh, hasil, perilaku,
  CASE WHEN hasil = 'diatas' AND perilaku = 'diatas' THEN 'Sangat Baik'
       WHEN hasil = 'sesuai' AND perilaku = 'diatas' THEN 'Baik'
       WHEN hasil = 'dibawah' AND perilaku = 'diatas' THEN 'Butuh Perbaikan'
       WHEN hasil = 'diatas' AND perilaku = 'sesuai' THEN 'Baik'
       WHEN hasil = 'sesuai' AND perilaku = 'sesuai' THEN 'Baik'
       WHEN hasil = 'dibawah' AND perilaku = 'sesuai' THEN 'Butuh Perbaikan'
       WHEN hasil = 'diatas' AND perilaku = 'dibawah' THEN 'Kurang (Misconduct)'
       WHEN hasil = 'sesuai' AND perilaku = 'dibawah' THEN 'Kurang (Misconduct)'
       WHEN hasil = 'dibawah' AND perilaku = 'dibawah' THEN 'Sangat Kurang' END
FROM (
  SELECT x.*,
    CASE WHEN skp >= 110.0 THEN 'diatas' WHEN skp >= 70.0 THEN 'sesuai' WHEN skp >= 0.0 THEN 'dibawah' END AS hasil,
    CASE WHEN beh >= 4.5 THEN 'diatas' WHEN beh >= 3.0 THEN 'sesuai' WHEN beh >= 1.0 THEN 'dibawah' END AS perilaku
  FROM (
    SELECT wp.employee_id, s.skp, b.atasan, b.rekan, b.bawahan,
      ROUND((COALESCE(b.atasan * 50.0, 0.0) + COALESCE(b.rekan * 20.0, 0.0) + COALESCE(b.bawahan * 15.0, 0.0)
             + COALESCE(b.masyarakat * 15.0, 0.0)) * 1.0
            / NULLIF(CASE WHEN b.atasan IS NOT NULL THEN 50.0 ELSE 0.0 END
                     + CASE WHEN b.rekan IS NOT NULL THEN 20.0 ELSE 0.0 END
                     + CASE WHEN b.bawahan IS NOT NULL THEN 15.0 ELSE 0.0 END
                     + CASE WHEN b.masyarakat IS NOT NULL THEN 15.0 ELSE 0.0 END, 0), 4) AS beh
    FROM work_plan wp
    LEFT JOIN (
      SELECT wp_id, ROUND(AVG(tv), 4) AS skp FROM (
        SELECT t.work_plan_id AS wp_id, AVG(v) AS tv FROM (
          SELECT target_id, {CAPAIAN} AS v FROM (
            SELECT i.target_id, {C} AS c
            FROM indicator i
            JOIN (SELECT indicator_id, MAX(id) AS rid FROM realisation GROUP BY indicator_id) lr
              ON lr.indicator_id = i.id
            JOIN realisation r ON r.id = lr.rid) ci) iv
        JOIN target t ON t.id = iv.target_id
        GROUP BY t.work_plan_id, t.id) tv
      GROUP BY wp_id
    ) s ON s.wp_id = wp.id
    LEFT JOIN (
      SELECT ratee_id,
        MAX(CASE WHEN role = 'atasan' THEN ravg END) AS atasan,
        MAX(CASE WHEN role = 'rekan' THEN ravg END) AS rekan,
        MAX(CASE WHEN role = 'bawahan' THEN ravg END) AS bawahan,
        MAX(CASE WHEN role = 'masyarakat' THEN ravg END) AS masyarakat
      FROM (
        SELECT ratee_id, role, ROUND(AVG(aavg), 4) AS ravg FROM (
          SELECT ra.ratee_id, ra.role, br.aspect_id, ROUND(AVG(br.value), 4) AS aavg
          FROM behaviour_rating br JOIN rater_assignment ra ON ra.id = br.assignment_id
          WHERE ra.period_id = :pid AND ra.status = 'submitted'
          GROUP BY ra.ratee_id, ra.role, br.aspect_id) a
        GROUP BY ratee_id, role) r
      GROUP BY ratee_id
    ) b ON b.ratee_id = wp.employee_id
    WHERE wp.period_id = :pid
  ) x
) y
"""
FLOOR_TABLE = ("CREATE TABLE bench_floor (employee_id INTEGER, skp NUMERIC(12,4), atasan NUMERIC(12,4), "
               "rekan NUMERIC(12,4), bawahan NUMERIC(12,4), behaviour NUMERIC(12,4), hasil VARCHAR(10), "
               "perilaku VARCHAR(10), predicate VARCHAR(60))")
DIFFERENT = """
SELECT COUNT(*) FROM bench_floor f LEFT JOIN score_result s ON s.employee_id = f.employee_id AND s.period_id = :pid
WHERE s.id IS NULL OR NOT (ABS(COALESCE(s.skp_value, -1) - COALESCE(f.skp, -1)) < 0.00005
  AND ABS(COALESCE(s.atasan_avg, -1) - COALESCE(f.atasan, -1)) < 0.00005
  AND ABS(COALESCE(s.rekan_avg, -1) - COALESCE(f.rekan, -1)) < 0.00005
  AND ABS(COALESCE(s.bawahan_avg, -1) - COALESCE(f.bawahan, -1)) < 0.00005
  AND ABS(COALESCE(s.behaviour_value, -1) - COALESCE(f.behaviour, -1)) < 0.00005
  AND COALESCE(s.hasil_category, '-') = COALESCE(f.hasil, '-')
  AND COALESCE(s.perilaku_category, '-') = COALESCE(f.perilaku, '-')
  AND COALESCE(s.predicate, '-') = COALESCE(f.predicate, '-'))
"""

# The denormalised lower bound (issue 19): the same distribution as the generated data, keyed by employee,
# no joins but the 4-row role weights. Filled untimed with INSERT ... SELECT from the generated rows.
LB_TABLES = (
    "CREATE TABLE bench_lb_target (emp INTEGER, weight NUMERIC(12,4), real_ NUMERIC(18,4), tgt NUMERIC(18,4))",
    "CREATE TABLE bench_lb_rating (emp INTEGER, role VARCHAR(20), score NUMERIC(12,4))",
    "CREATE TABLE bench_lb_role_weight (role VARCHAR(20), w NUMERIC(12,4))",
    "CREATE TABLE bench_lb_result (emp INTEGER, skp NUMERIC(18,4), beh NUMERIC(18,4), final NUMERIC(18,4))",
)
LB_FILL = (
    """INSERT INTO bench_lb_target (emp, weight, real_, tgt)
       SELECT wp.employee_id, 1, r.value, i.target_value
       FROM work_plan wp JOIN target t ON t.work_plan_id = wp.id JOIN indicator i ON i.target_id = t.id
       JOIN realisation r ON r.indicator_id = i.id WHERE wp.period_id = :pid""",
    """INSERT INTO bench_lb_rating (emp, role, score)
       SELECT ra.ratee_id, ra.role, br.value FROM rater_assignment ra
       JOIN behaviour_rating br ON br.assignment_id = ra.id WHERE ra.period_id = :pid""",
    "INSERT INTO bench_lb_role_weight (role, w) VALUES ('atasan', 50), ('rekan', 20), ('bawahan', 15), "
    "('masyarakat', 15)",
)


def lower_bound_sql(dialect: str) -> str:
    """The issue's statement, materialised into bench_lb_result so the work is really done."""
    if dialect == "sqlite":  # NUMERIC affinity stores whole numbers as integers: divide as reals
        capped = "min(CAST(real_ AS REAL) / tgt, 1.2)"
    else:
        capped = "least(real_ / tgt, 1.2)"
    return f"""
INSERT INTO bench_lb_result (emp, skp, beh, final)
WITH skp AS (SELECT emp, SUM(weight * {capped} * 100) / SUM(weight) AS s FROM bench_lb_target GROUP BY emp),
per_role AS (SELECT emp, role, AVG(score) AS s FROM bench_lb_rating GROUP BY emp, role),
beh AS (SELECT p.emp, SUM(p.s * w.w) / SUM(w.w) AS s FROM per_role p JOIN bench_lb_role_weight w USING (role)
        GROUP BY p.emp)
SELECT skp.emp, skp.s, beh.s, 0.6 * skp.s + 0.4 * beh.s FROM skp JOIN beh USING (emp)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    ap.add_argument("--naive-sample", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="engine/floor runs; the best of each is compared")
    ap.add_argument("--existing", action="store_true",
                    help="measure the BENCH period an earlier run generated in --database-url (no generation; "
                         "an hour at 1 000 000 employees): the baselines' tables are rebuilt from it")
    args = ap.parse_args()
    n = args.employees
    tmp = None
    if not args.database_url:
        tmp = tempfile.mkdtemp()
        args.database_url = f"sqlite:///{tmp}/bench.db"
    os.environ["DATABASE_URL"] = args.database_url

    from sqlalchemy import insert, select, text

    from config import Config
    from kinerja_admin import create_app
    from kinerja_admin.cli import init_database
    from kinerja_admin.scoring.engine import score_period  # now: a long generation must not pick up newer code
    from models import (
        BehaviourAspect,
        BehaviourRating,
        Employee,
        Indicator,
        Period,
        RaterAssignment,
        Realisation,
        ScoreResult,
        ScoringScheme,
        Target,
        Unit,
        WorkPlan,
        db,
    )

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = args.database_url

    app = create_app(Cfg)
    rng = random.Random(args.seed)

    def refresh_statistics():
        """What a production database holds by the time a period is scored: statistics, and on PostgreSQL
        the visibility map that autovacuum sets on tables written weeks before (insert-only tables are
        vacuumed too since PostgreSQL 13). Without it, an index-only scan of the freshly generated
        ratings still visits the table for every row (0.4 s more at 100 000 employees)."""
        name = db.engine.dialect.name
        if name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        elif name == "sqlite":
            db.session.execute(text("ANALYZE"))
            db.session.commit()

    with app.app_context():
        t0 = time.perf_counter()
        init_database()
        from kinerja_admin.scoring.presets import seed_presets

        seed_presets(db.session)
        db.session.commit()
        s = db.session.execute  # noqa: E731
        existing = db.session.scalar(select(Period.id).where(Period.code == "BENCH"))
        if args.existing:
            if existing is None:
                sys.exit("--existing: the database holds no BENCH period")
            pid = existing
            emp_ids = db.session.scalars(select(WorkPlan.employee_id).where(WorkPlan.period_id == pid)
                                         .order_by(WorkPlan.employee_id)).all()
            n = len(emp_ids)
            for table in ("bench_floor", "bench_lb_target", "bench_lb_rating", "bench_lb_role_weight", "bench_lb_result"):
                db.session.execute(text(f"DROP TABLE IF EXISTS {table}"))
            db.session.commit()
            gen_s = None
            print(f"measuring the existing BENCH period: N={n} employees on {db.engine.dialect.name}", flush=True)
        elif existing is not None:
            sys.exit("database already holds a BENCH period: use an empty database (or --existing)")
        if not args.existing:
            scheme = db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == "PERMENPANRB-6-2022"))
            # The plans here carry no rater's judgement and the floor takes the categories from the thresholds:
            # this (bench-only) database lets the thresholds decide, the engine's fuller path (penentu rating).
            scheme.rating_decider = "ambang"
            db.session.commit()
            aspects = db.session.scalars(select(BehaviourAspect.id).where(BehaviourAspect.scheme_id == scheme.id)).all()
            now = dt.datetime(2025, 12, 31)
            unit_id = s(insert(Unit).values(code="BENCH", name="Unit Bench", kind="OPD")).inserted_primary_key[0]
            pid = s(insert(Period).values(code="BENCH", name="Bench", start_date=dt.date(2025, 1, 1),
                                          end_date=dt.date(2025, 12, 31), status="assessing", scheme_id=scheme.id,
                                          version=1)).inserted_primary_key[0]
            base = 10 ** 9

            def chunks(rows, size=20000):
                for i in range(0, len(rows), size):
                    yield rows[i:i + size]

            emp_ids = list(range(base + 1, base + n + 1))
            for c in chunks([dict(id=e, nip=f"{e:018d}", name=f"Pegawai {e}", unit_id=unit_id, employee_type="PNS",
                                  active=True, created_at=now, updated_at=now) for e in emp_ids]):
                s(insert(Employee), c)
            for c in chunks([dict(id=e, period_id=pid, employee_id=e, unit_id=unit_id, status="assessed",
                                  innovation=False, version=1, created_at=now, updated_at=now) for e in emp_ids]):
                s(insert(WorkPlan), c)
            tid = iid = rid = aid = brid = base
            for block in chunks(emp_ids, 5000):
                targets, inds, reals, assigns, ratings = [], [], [], [], []
                for e in block:
                    for k in range(5):
                        tid += 1
                        iid += 1
                        rid += 1
                        targets.append(dict(id=tid, work_plan_id=e, period_id=pid, seq=k + 1, description="RHK",
                                            created_at=now, updated_at=now))
                        tv = rng.randint(5, 50)
                        inds.append(dict(id=iid, target_id=tid, period_id=pid, aspect="kuantitas", description="ind",
                                         target_value=Decimal(tv), unit_label="", lower_is_better=False,
                                         formula_code="capaian_iki", created_at=now, updated_at=now))
                        reals.append(dict(id=rid, indicator_id=iid, period_id=pid,
                                          value=Decimal(max(0, tv + rng.randint(-8, 8))),
                                          created_at=now, updated_at=now))
                    for j, role in enumerate(["atasan", "rekan", "rekan", "rekan", "bawahan", "bawahan"]):
                        aid += 1
                        rater = base + 1 + ((e - base + j + 1) % n)
                        assigns.append(dict(id=aid, period_id=pid, ratee_id=e, rater_id=rater, role=role,
                                            status="submitted", created_at=now, updated_at=now))
                        for a in aspects:
                            brid += 1
                            ratings.append(dict(id=brid, assignment_id=aid, period_id=pid, assignment_status="submitted",
                                                ratee_id=e, role=role, aspect_id=a,
                                                value=Decimal(rng.randint(1, 5)), created_at=now, updated_at=now))
                for model, rows in ((Target, targets), (Indicator, inds), (Realisation, reals),
                                    (RaterAssignment, assigns), (BehaviourRating, ratings)):
                    for c in chunks(rows):
                        s(insert(model), c)
            db.session.commit()
            refresh_statistics()
            gen_s = time.perf_counter() - t0
            print(f"generated N={n} employees in {gen_s:.1f}s on {db.engine.dialect.name}", flush=True)

        # Engine and floor alternate `--repeat` times; the best time of each is compared (timings on a
        # shared machine vary by tens of percent from run to run; the minimum is the least disturbed).
        db.session.execute(text(FLOOR_TABLE))
        for ddl in LB_TABLES:
            db.session.execute(text(ddl))
        for fill in LB_FILL:
            db.session.execute(text(fill), {"pid": pid})
        db.session.commit()
        refresh_statistics()
        lb_sql = lower_bound_sql(db.engine.dialect.name)
        # The period's first scoring (no results yet: every result inserted), then `--repeat` reruns (a
        # clerk scores a period again and again as ratings come in: the results recomputed in place)
        db.session.execute(text("DELETE FROM score_result WHERE period_id = :pid"), {"pid": pid})
        db.session.commit()
        refresh_statistics()  # as a period never scored: no dead rows of earlier results
        t = time.perf_counter()
        summary = score_period(db.session, db.session.get(Period, pid))
        db.session.commit()
        first_s = time.perf_counter() - t
        print(f"first scoring (no results yet): engine {first_s:.2f}s ({summary['computed']} results)", flush=True)
        engine_times, floor_times, lb_times = [], [], []
        for rep in range(args.repeat):
            period = db.session.get(Period, pid)
            t = time.perf_counter()
            summary = score_period(db.session, period)
            db.session.commit()
            engine_times.append(time.perf_counter() - t)
            db.session.execute(text("DELETE FROM bench_floor"))
            db.session.commit()
            t = time.perf_counter()
            db.session.execute(text(FLOOR_SQL), {"pid": pid})
            db.session.commit()
            floor_times.append(time.perf_counter() - t)
            db.session.execute(text("DELETE FROM bench_lb_result"))
            db.session.commit()
            t = time.perf_counter()
            db.session.execute(text(lb_sql))
            db.session.commit()
            lb_times.append(time.perf_counter() - t)
            print(f"run {rep + 1}: engine rerun {engine_times[-1]:.2f}s ({summary['computed']} results), "
                  f"floor (one hand-written SQL statement) {floor_times[-1]:.2f}s, "
                  f"lower bound (denormalised single pass) {lb_times[-1]:.2f}s", flush=True)
        engine_s, floor_s, lb_s = min(engine_times), min(floor_times), min(lb_times)
        lb_rows = db.session.scalar(text("SELECT COUNT(*) FROM bench_lb_result"))
        if lb_rows != n:
            sys.exit(f"the lower bound produced {lb_rows} rows for {n} employees")
        floor_rows = db.session.scalar(text("SELECT COUNT(*) FROM bench_floor"))
        different = db.session.scalar(text(DIFFERENT), {"pid": pid})
        print(f"engine and floor agree on {floor_rows - different} of {floor_rows} results", flush=True)

        # naive per-employee ORM loop on a sample (no writes to score_result: computed in Python)
        sample = emp_ids[: min(n, args.naive_sample)]
        weights = {"atasan": 50, "rekan": 20, "bawahan": 15, "masyarakat": 15}
        t = time.perf_counter()
        for e in sample:
            plan = db.session.scalar(select(WorkPlan).where(WorkPlan.period_id == pid, WorkPlan.employee_id == e))
            tvals = []
            for target in plan.targets:
                vals = []
                for ind in target.indicators:
                    if ind.realisations:
                        c = ind.realisations[-1].value * 100 / ind.target_value
                        vals.append(c)
                if vals:
                    tvals.append(sum(vals) / len(vals))
            per_role = {}
            for a in db.session.scalars(select(RaterAssignment).where(RaterAssignment.period_id == pid,
                                                                      RaterAssignment.ratee_id == e)):
                per_role.setdefault(a.role, []).extend(r.value for r in a.ratings)
            num = sum(sum(v) / len(v) * weights.get(r, 0) for r, v in per_role.items())
            den = sum(weights.get(r, 0) for r in per_role)
            _ = (sum(tvals) / len(tvals) if tvals else None, num / den if den else None)
            db.session.expunge_all()
        naive_sample_s = time.perf_counter() - t
        naive_s = naive_sample_s * n / len(sample)
        extrapolated = len(sample) < n
        print(f"naive ORM loop: {naive_sample_s:.2f}s for {len(sample)} employees"
              + (f", extrapolated to {naive_s:.1f}s for {n}" if extrapolated else ""), flush=True)
        check = db.session.scalar(select(ScoreResult.id).where(ScoreResult.period_id == pid).limit(1))
        assert check is not None
        figures = {"N": n, "database": db.engine.dialect.name, "generate_s": None if gen_s is None else round(gen_s, 2),
                   "engine_first_s": round(first_s, 3), "engine_s": round(engine_s, 3), "floor_s": round(floor_s, 3),
                   "lower_bound_s": round(lb_s, 3),
                   "engine_runs_s": [round(x, 3) for x in engine_times], "floor_runs_s": [round(x, 3) for x in floor_times],
                   "lower_bound_runs_s": [round(x, 3) for x in lb_times], "naive_s": round(naive_s, 2),
                   "naive_extrapolated_from": len(sample) if extrapolated else None,
                   "engine_over_floor": round(engine_s / floor_s, 2) if floor_s else None,
                   "engine_over_lower_bound": round(engine_s / lb_s, 2) if lb_s else None,
                   "engine_first_over_lower_bound": round(first_s / lb_s, 2) if lb_s else None,
                   "naive_over_engine": round(naive_s / engine_s, 1) if engine_s else None,
                   "results_differing_from_floor": different,
                   "peak_mb": round(peak_mb(), 1)}
        print(f"engine/floor = {figures['engine_over_floor']}x, "
              f"engine/lower bound = {figures['engine_over_lower_bound']}x "
              f"(first scoring {figures['engine_first_over_lower_bound']}x), naive/engine = {figures['naive_over_engine']}x, "
              f"peak memory {figures['peak_mb']} MB")
        print(json.dumps(figures))
        if different:
            sys.exit(f"{different} results differ between the engine and the floor")


if __name__ == "__main__":
    main()
