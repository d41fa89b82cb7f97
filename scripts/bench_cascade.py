"""Benchmark the set-based roll-up of the RHK cascade against a hand-written SQL floor.

    python scripts/bench_cascade.py --employees 100000 [--database-url URL] [--repeat 3]

Generates (fast Core bulk inserts) one period of a city: 25 OPDs, each a 6-level hierarchy
(1 head, 4, 16, 64, 256 supervisors, the rest staff), every employee with an approved SKP of 5 RHKs,
one indicator each and one realisation for 90% of them (10% missing, 5% lower-is-better). The
head's 5 RHKs realise the OPD's 5 organisation indicators; every other RHK intervenes in an RHK of
the superior. The engine (kinerja_admin.planning.rollup.cascade_figures: one statement, a recursive
CTE) and the floor (the same figures in one hand-written statement) alternate ``--repeat`` times;
the best of each is compared and both must give identical figures for every indicator.
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

FLOOR_SQL = """
WITH RECURSIVE c (target_id, indicator_id, depth) AS (
  SELECT t.id, t.org_indicator_id, 1
  FROM target t JOIN org_indicator oi ON oi.id = t.org_indicator_id
  WHERE oi.period_id = :pid
  UNION ALL
  SELECT ch.id, c.indicator_id, c.depth + 1
  FROM target ch JOIN c ON ch.parent_target_id = c.target_id
  WHERE c.depth < 30
)
SELECT c.indicator_id, COUNT(c.target_id), COUNT(a.ach), SUM(a.ach), COUNT(DISTINCT wp.employee_id)
FROM c
JOIN target t ON t.id = c.target_id
JOIN work_plan wp ON wp.id = t.work_plan_id
LEFT JOIN (
  SELECT i.target_id, AVG(CASE WHEN i.target_value = 0 THEN NULL
                               WHEN i.lower_is_better THEN
                                 CASE WHEN (2.0 * i.target_value - r.value) * 100.0 / i.target_value < 0.0 THEN 0.0
                                      ELSE (2.0 * i.target_value - r.value) * 100.0 / i.target_value END
                               ELSE r.value * 100.0 / i.target_value END) AS ach
  FROM indicator i
  JOIN (SELECT indicator_id, MAX(id) AS rid FROM realisation GROUP BY indicator_id) lr ON lr.indicator_id = i.id
  JOIN realisation r ON r.id = lr.rid
  GROUP BY i.target_id
) a ON a.target_id = c.target_id
WHERE wp.period_id = :pid
GROUP BY c.indicator_id
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def levels_for(n: int) -> list[int]:
    sizes, k = [], 1
    for _ in range(5):
        sizes.append(min(k, max(n - sum(sizes), 0)))
        k *= 4
    sizes.append(max(n - sum(sizes), 0))
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--opds", type=int, default=25)
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.employees
    if not args.database_url:
        args.database_url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    os.environ["DATABASE_URL"] = args.database_url

    from sqlalchemy import insert, select, text

    from config import Config
    from kinerja_admin import create_app
    from kinerja_admin.cli import init_database
    from kinerja_admin.planning.rollup import cascade_figures
    from models import (
        Employee,
        Indicator,
        OrgIndicator,
        Period,
        Program,
        Realisation,
        Target,
        Unit,
        WorkPlan,
        db,
    )

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = args.database_url

    app = create_app(Cfg)
    rng = random.Random(args.seed)
    with app.app_context():
        t0 = time.perf_counter()
        init_database()
        s = db.session.execute
        if db.session.scalar(select(Period.id).where(Period.code == "BENCH")) is not None:
            sys.exit("database already holds a BENCH period: use an empty database")
        now = dt.datetime(2025, 12, 31)
        pid = s(insert(Period).values(code="BENCH", name="Bench", start_date=dt.date(2025, 1, 1),
                                      end_date=dt.date(2025, 12, 31), status="running",
                                      version=1)).inserted_primary_key[0]
        base = 10 ** 9
        per_opd = [n // args.opds + (1 if i < n % args.opds else 0) for i in range(args.opds)]
        emp_id = tid = iid = rid = base
        emps, plans, targets, inds, reals, programs, org_inds = [], [], [], [], [], [], []
        s(insert(Unit), [dict(id=base + o + 1, code=f"OPD{o + 1:03d}", name=f"OPD {o + 1}", kind="OPD",
                              public_facing=False, active=True, created_at=now, updated_at=now)
                         for o in range(args.opds)])

        def flush_rows():
            for model, rows in ((Employee, emps), (WorkPlan, plans), (Target, targets), (Indicator, inds),
                                (Realisation, reals)):
                for i in range(0, len(rows), 20000):
                    s(insert(model), rows[i:i + 20000])
                rows.clear()

        for o in range(args.opds):
            uid = prog = base + o + 1
            programs.append(dict(id=prog, period_id=pid, unit_id=uid, level="program", code="1.01",
                                 name="Program", version=1, created_at=now, updated_at=now))
            for k in range(5):
                org_inds.append(dict(id=base + o * 5 + k + 1, period_id=pid, unit_id=uid, program_id=prog,
                                     code=f"P-{k + 1}", description="Indikator", unit_label="%",
                                     target_value=Decimal(100), lower_is_better=False, version=1, created_at=now,
                                     updated_at=now))
        s(insert(Program), programs)
        s(insert(OrgIndicator), org_inds)
        for o, size in enumerate(per_opd):
            uid = base + o + 1
            org_ids = [base + o * 5 + k + 1 for k in range(5)]
            previous: list[list[int]] = []  # target ids of the level above, per employee
            for count in levels_for(size):
                current = []
                for j in range(count):
                    emp_id += 1
                    superior = previous[j % len(previous)] if previous else None
                    emps.append(dict(id=emp_id, nip=f"{emp_id:018d}", name=f"Pegawai {emp_id}", unit_id=uid,
                                     employee_type="PNS", active=True, created_at=now, updated_at=now))
                    plans.append(dict(id=emp_id, period_id=pid, employee_id=emp_id, unit_id=uid, status="approved",
                                      innovation=False, version=1, created_at=now, updated_at=now))
                    mine = []
                    for k in range(5):
                        tid += 1
                        iid += 1
                        mine.append(tid)
                        targets.append(dict(id=tid, work_plan_id=emp_id, seq=k + 1, description="RHK",
                                            parent_target_id=superior[rng.randrange(5)] if superior else None,
                                            org_indicator_id=None if superior else org_ids[k],
                                            created_at=now, updated_at=now))
                        tv = rng.randint(5, 50)
                        lower = rng.random() < 0.05
                        inds.append(dict(id=iid, target_id=tid, aspect="kuantitas", description="ind",
                                         target_value=Decimal(tv), unit_label="", lower_is_better=lower,
                                         formula_code="capaian_iki", created_at=now, updated_at=now))
                        if rng.random() < 0.9:
                            rid += 1
                            reals.append(dict(id=rid, indicator_id=iid, value=Decimal(max(0, tv + rng.randint(-8, 8))),
                                              created_at=now, updated_at=now))
                    current.append(mine)
                previous = current
            if len(targets) > 100000:
                flush_rows()
        flush_rows()
        db.session.commit()
        if db.engine.dialect.name in ("postgresql", "sqlite"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        gen_s = time.perf_counter() - t0
        n_targets = db.session.scalar(text("SELECT COUNT(*) FROM target t JOIN work_plan wp ON wp.id = t.work_plan_id "
                                           "WHERE wp.period_id = :pid"), {"pid": pid})
        print(f"generated N={n} employees ({n_targets} RHK, {args.opds} OPDs, 6 levels) in {gen_s:.1f}s "
              f"on {db.engine.dialect.name}", flush=True)

        engine_times, floor_times = [], []
        engine_res = floor_res = None
        for rep in range(args.repeat):
            t = time.perf_counter()
            engine_res = cascade_figures(db.session, pid)
            engine_times.append(time.perf_counter() - t)
            db.session.rollback()
            t = time.perf_counter()
            floor_res = {r[0]: r[1:] for r in db.session.execute(text(FLOOR_SQL), {"pid": pid})}
            floor_times.append(time.perf_counter() - t)
            db.session.rollback()
            print(f"run {rep + 1}: engine {engine_times[-1]:.2f}s ({len(engine_res)} indicators), "
                  f"floor (one hand-written SQL statement) {floor_times[-1]:.2f}s", flush=True)
        engine_s, floor_s = min(engine_times), min(floor_times)

        def same(ind_id) -> bool:
            e, f = engine_res.get(ind_id), floor_res.get(ind_id)
            if e is None or f is None:
                return False
            return (e.rhk, e.rhk_with_data, e.employees) == (int(f[0]), int(f[1]), int(f[3])) and \
                abs(float(e.ach_sum) - float(f[2])) < 1e-6 * max(1.0, abs(float(f[2])))

        ids = set(engine_res) | set(floor_res)
        different = sum(1 for i in ids if not same(i))
        covered = sum(e.rhk for e in engine_res.values())
        print(f"engine and floor agree on {len(ids) - different} of {len(ids)} indicators; "
              f"{covered} of {n_targets} RHK cascade into an indicator", flush=True)
        figures = {"N": n, "rhk": n_targets, "levels": 6, "database": db.engine.dialect.name,
                   "generate_s": round(gen_s, 2), "engine_s": round(engine_s, 3), "floor_s": round(floor_s, 3),
                   "engine_runs_s": [round(x, 3) for x in engine_times],
                   "floor_runs_s": [round(x, 3) for x in floor_times],
                   "engine_over_floor": round(engine_s / floor_s, 2) if floor_s else None,
                   "indicators": len(ids), "indicators_differing": different, "rhk_in_cascades": covered,
                   "peak_mb": round(peak_mb(), 1)}
        print(f"engine/floor = {figures['engine_over_floor']}x, peak memory {figures['peak_mb']} MB")
        print(json.dumps(figures))
        if different or covered != n_targets:
            sys.exit(f"{different} indicators differ between the engine and the floor")


if __name__ == "__main__":
    main()
