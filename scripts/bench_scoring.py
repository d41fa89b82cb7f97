"""Benchmark the set-based scoring engine against a hand-written SQL floor and a naive ORM loop.

    python scripts/bench_scoring.py --employees 100000 [--database-url URL] [--naive-sample 1000]

Generates (fast Core bulk inserts) one period under PERMENPANRB-6-2022 with 5 targets per employee
(one indicator + one realisation each) and 6 raters (1 atasan, 3 rekan, 2 bawahan) x 7 aspects per
employee. The naive loop is timed on a sample and extrapolated to N (said so in the output).
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


FLOOR_SQL = """
INSERT INTO bench_floor (employee_id, skp, behaviour, predicate)
SELECT wp.employee_id, s.skp, b.beh,
  CASE WHEN s.skp >= 110 AND b.beh >= 4.5 THEN 'Sangat Baik'
       WHEN s.skp < 70 AND b.beh < 3 THEN 'Sangat Kurang'
       WHEN b.beh < 3 THEN 'Kurang (Misconduct)'
       WHEN s.skp < 70 THEN 'Butuh Perbaikan' ELSE 'Baik' END
FROM work_plan wp
LEFT JOIN (
  SELECT t.work_plan_id AS wp_id, AVG(
    CASE WHEN i.target_value = 0 THEN NULL ELSE
      CASE WHEN r.value * 100.0 / i.target_value >= 110 THEN 120.0
           WHEN r.value * 100.0 / i.target_value >= 101 THEN 110.0 + (r.value * 100.0 / i.target_value - 101) * 10.0 / 9.0
           WHEN r.value * 100.0 / i.target_value >= 100 THEN 109.0
           WHEN r.value * 100.0 / i.target_value >= 80 THEN 70.0 + (r.value * 100.0 / i.target_value - 80)
           WHEN r.value * 100.0 / i.target_value >= 60 THEN 50.0 + (r.value * 100.0 / i.target_value - 60)
           ELSE r.value * 100.0 / i.target_value * 49.0 / 59.0 END END) AS skp
  FROM indicator i JOIN target t ON t.id = i.target_id
  JOIN (SELECT indicator_id, MAX(id) AS rid FROM realisation GROUP BY indicator_id) lr ON lr.indicator_id = i.id
  JOIN realisation r ON r.id = lr.rid
  GROUP BY t.work_plan_id
) s ON s.wp_id = wp.id
LEFT JOIN (
  SELECT ratee_id, SUM(ravg * w) / SUM(w) AS beh FROM (
    SELECT ra.ratee_id, ra.role, AVG(br.value) AS ravg,
           CASE ra.role WHEN 'atasan' THEN 50.0 WHEN 'rekan' THEN 20.0 WHEN 'bawahan' THEN 15.0
                        WHEN 'masyarakat' THEN 15.0 ELSE 0.0 END AS w
    FROM behaviour_rating br JOIN rater_assignment ra ON ra.id = br.assignment_id
    WHERE ra.period_id = :pid AND ra.status = 'submitted'
    GROUP BY ra.ratee_id, ra.role) x
  WHERE w > 0 GROUP BY ratee_id
) b ON b.ratee_id = wp.employee_id
WHERE wp.period_id = :pid
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    ap.add_argument("--naive-sample", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
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
    from models import (
        BehaviourAspect, BehaviourRating, Employee, Indicator, Period, RaterAssignment, Realisation,
        ScoreResult, ScoringScheme, Target, Unit, WorkPlan, db,
    )

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = args.database_url

    app = create_app(Cfg)
    rng = random.Random(args.seed)
    with app.app_context():
        t0 = time.perf_counter()
        init_database()
        from kinerja_admin.scoring.presets import seed_presets

        seed_presets(db.session)
        db.session.commit()
        s = db.session.execute  # noqa: E731
        if db.session.scalar(select(Period.id).where(Period.code == "BENCH")) is not None:
            sys.exit("database already holds a BENCH period: use an empty database")
        scheme = db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == "PERMENPANRB-6-2022"))
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
                    targets.append(dict(id=tid, work_plan_id=e, seq=k + 1, description="RHK",
                                        created_at=now, updated_at=now))
                    tv = rng.randint(5, 50)
                    inds.append(dict(id=iid, target_id=tid, aspect="kuantitas", description="ind",
                                     target_value=Decimal(tv), unit_label="", lower_is_better=False,
                                     formula_code="capaian_iki", created_at=now, updated_at=now))
                    reals.append(dict(id=rid, indicator_id=iid, value=Decimal(max(0, tv + rng.randint(-8, 8))),
                                      created_at=now, updated_at=now))
                for j, role in enumerate(["atasan", "rekan", "rekan", "rekan", "bawahan", "bawahan"]):
                    aid += 1
                    rater = base + 1 + ((e - base + j + 1) % n)
                    assigns.append(dict(id=aid, period_id=pid, ratee_id=e, rater_id=rater, role=role,
                                        status="submitted", created_at=now, updated_at=now))
                    for a in aspects:
                        brid += 1
                        ratings.append(dict(id=brid, assignment_id=aid, aspect_id=a,
                                            value=Decimal(rng.randint(1, 5)), created_at=now, updated_at=now))
            for model, rows in ((Target, targets), (Indicator, inds), (Realisation, reals),
                                (RaterAssignment, assigns), (BehaviourRating, ratings)):
                for c in chunks(rows):
                    s(insert(model), c)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        elif db.engine.dialect.name == "sqlite":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        gen_s = time.perf_counter() - t0
        print(f"generated N={n} employees in {gen_s:.1f}s on {db.engine.dialect.name}", flush=True)

        from kinerja_admin.scoring.engine import score_period

        period = db.session.get(Period, pid)
        t = time.perf_counter()
        summary = score_period(db.session, period)
        db.session.commit()
        engine_s = time.perf_counter() - t
        print(f"engine: {engine_s:.2f}s ({summary['computed']} results)", flush=True)

        db.session.execute(text("CREATE TABLE bench_floor (employee_id INTEGER, skp NUMERIC(9,4), "
                                "behaviour NUMERIC(9,4), predicate VARCHAR(60))"))
        db.session.commit()
        t = time.perf_counter()
        db.session.execute(text(FLOOR_SQL), {"pid": pid})
        db.session.commit()
        floor_s = time.perf_counter() - t
        print(f"floor (one hand-written SQL statement): {floor_s:.2f}s", flush=True)

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
        figures = {"N": n, "database": db.engine.dialect.name, "generate_s": round(gen_s, 2),
                   "engine_s": round(engine_s, 3), "floor_s": round(floor_s, 3), "naive_s": round(naive_s, 2),
                   "naive_extrapolated_from": len(sample) if extrapolated else None,
                   "engine_over_floor": round(engine_s / floor_s, 2) if floor_s else None,
                   "naive_over_engine": round(naive_s / engine_s, 1) if engine_s else None,
                   "peak_mb": round(peak_mb(), 1)}
        print(f"engine/floor = {figures['engine_over_floor']}x, naive/engine = {figures['naive_over_engine']}x, "
              f"peak memory {figures['peak_mb']} MB")
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
