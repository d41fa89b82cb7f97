"""Benchmark the deadline reminders: which users get which reminder on a day, for a period of N
employees, as one set-based statement (kinerja_admin.notify.reminders.query), against a hand-written
SQL floor computing the same (user, reminder) pairs in the same run.

    python scripts/bench_reminders.py --employees 100000 [--database-url URL] [--repeat 3]

Generates (Core bulk inserts) one running period of a city: 25 OPDs, supervisors for every 10
employees, an account per employee, SKPs in every state (draft 10%, returned 5%, submitted 10%, approved
45%, realised 20%, assessed 10%) with 2 RHK of one indicator each, one open quarterly window with
periodic realisations for 70% of the indicators and judgements for 60% of the RHK, a pending 360 rating
for every third employee, and 5 Plt/Plh delegations in force. Every deadline of the period (planning,
realisation, assessment, the window's due date) falls within the reminder days, so every branch runs.
Engine and floor alternate ``--repeat`` times; the best of each is compared and both must give the
same set of (user, reminder key). The last line is a JSON object with the figures.
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

# the same pairs by hand: one SELECT per deadline, UNION ALL (the bench's units have no sub-units, so a
# delegation covers exactly the plans of its unit)
FLOOR_SQL = """
SELECT u.id, 'tenggat.perencanaan:' || :pid || ':' || :planning || ':' || 'pegawai'
  FROM work_plan wp JOIN user_account u ON u.employee_id = wp.employee_id
 WHERE wp.period_id = :pid AND wp.status IN ('draft', 'returned') AND u.active
UNION ALL
SELECT DISTINCT u.id, 'tenggat.perencanaan:' || :pid || ':' || :planning || ':' || 'penilai'
  FROM work_plan wp JOIN user_account u ON u.employee_id = wp.rater_id
 WHERE wp.period_id = :pid AND wp.status = 'submitted' AND u.active
UNION ALL
SELECT DISTINCT u.id, 'tenggat.perencanaan:' || :pid || ':' || :planning || ':' || 'penilai'
  FROM work_plan wp JOIN delegation d ON d.principal_id = wp.rater_id AND d.unit_id = wp.unit_id
       JOIN user_account u ON u.employee_id = d.holder_id
 WHERE wp.period_id = :pid AND wp.status = 'submitted' AND u.active AND d.start_date <= :day AND d.end_date >= :day
   AND wp.employee_id <> d.holder_id AND (wp.rater_superior_id IS NULL OR wp.rater_superior_id <> d.holder_id)
UNION ALL
SELECT u.id, 'tenggat.realisasi:' || :pid
  FROM work_plan wp JOIN user_account u ON u.employee_id = wp.employee_id
 WHERE wp.period_id = :pid AND wp.status = 'approved' AND u.active
UNION ALL
SELECT DISTINCT u.id, 'tenggat.penilaian:' || :pid || ':' || :assessment || ':' || 'skp'
  FROM work_plan wp JOIN user_account u ON u.employee_id = wp.rater_id
 WHERE wp.period_id = :pid AND wp.status = 'realised' AND u.active
UNION ALL
SELECT DISTINCT u.id, 'tenggat.penilaian:' || :pid || ':' || :assessment || ':' || 'skp'
  FROM work_plan wp JOIN delegation d ON d.principal_id = wp.rater_id AND d.unit_id = wp.unit_id
       JOIN user_account u ON u.employee_id = d.holder_id
 WHERE wp.period_id = :pid AND wp.status = 'realised' AND u.active AND d.start_date <= :day AND d.end_date >= :day
   AND wp.employee_id <> d.holder_id AND (wp.rater_superior_id IS NULL OR wp.rater_superior_id <> d.holder_id)
UNION ALL
SELECT DISTINCT u.id, 'tenggat.penilaian:' || :pid || ':' || :assessment || ':' || 'perilaku'
  FROM rater_assignment ra JOIN user_account u ON u.employee_id = ra.rater_id
 WHERE ra.period_id = :pid AND ra.status = 'pending' AND u.active
UNION ALL
SELECT u.id, 'tenggat.realisasi_periodik:' || :wid
  FROM work_plan wp JOIN user_account u ON u.employee_id = wp.employee_id
 WHERE wp.period_id = :pid AND wp.status IN ('approved', 'realised') AND u.active
   AND EXISTS (SELECT 1 FROM target t JOIN indicator i ON i.target_id = t.id
                WHERE t.work_plan_id = wp.id AND NOT EXISTS (SELECT 1 FROM periodic_realisation pr
                                                             WHERE pr.indicator_id = i.id AND pr.sub_period_id = :wid))
UNION ALL
SELECT DISTINCT u.id, 'tenggat.penilaian_periodik:' || :wid
  FROM work_plan wp JOIN user_account u ON u.employee_id = wp.rater_id
 WHERE wp.period_id = :pid AND wp.status IN ('approved', 'realised') AND u.active
   AND EXISTS (SELECT 1 FROM target t WHERE t.work_plan_id = wp.id AND NOT EXISTS (
               SELECT 1 FROM periodic_judgement pj WHERE pj.target_id = t.id AND pj.sub_period_id = :wid
                                                    AND pj.category IS NOT NULL))
UNION ALL
SELECT DISTINCT u.id, 'tenggat.penilaian_periodik:' || :wid
  FROM work_plan wp JOIN delegation d ON d.principal_id = wp.rater_id AND d.unit_id = wp.unit_id
       JOIN user_account u ON u.employee_id = d.holder_id
 WHERE wp.period_id = :pid AND wp.status IN ('approved', 'realised') AND u.active
   AND d.start_date <= :day AND d.end_date >= :day
   AND wp.employee_id <> d.holder_id AND (wp.rater_superior_id IS NULL OR wp.rater_superior_id <> d.holder_id)
   AND EXISTS (SELECT 1 FROM target t WHERE t.work_plan_id = wp.id AND NOT EXISTS (
               SELECT 1 FROM periodic_judgement pj WHERE pj.target_id = t.id AND pj.sub_period_id = :wid
                                                    AND pj.category IS NOT NULL))
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


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

    from sqlalchemy import func, insert, select, text

    from config import Config
    from kinerja_admin import create_app
    from kinerja_admin.cli import init_database
    from kinerja_admin.clock import today
    from kinerja_admin.notify import reminders
    from models import (
        Delegation,
        Employee,
        Indicator,
        Notification,
        Period,
        PeriodicJudgement,
        PeriodicRealisation,
        RaterAssignment,
        SubPeriod,
        Target,
        Unit,
        User,
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
        day = today(db.session)
        now = dt.datetime.now()
        pid = s(insert(Period).values(code="BENCH", name="Bench", start_date=day - dt.timedelta(days=300),
                                      end_date=day + dt.timedelta(days=6), status="running", version=1,
                                      planning_until=day + dt.timedelta(days=3),
                                      assessment_until=day + dt.timedelta(days=5))).inserted_primary_key[0]
        wid = s(insert(SubPeriod).values(period_id=pid, frequency="triwulanan", seq=1, name="Triwulan IV",
                                         start_date=day - dt.timedelta(days=60), end_date=day,
                                         due_date=day + dt.timedelta(days=2), created_at=now,
                                         updated_at=now)).inserted_primary_key[0]
        base = 10 ** 8
        s(insert(Unit), [dict(id=base + o, code=f"OPD{o:03d}", name=f"OPD {o}", kind="OPD", public_facing=False,
                              active=True, created_at=now, updated_at=now) for o in range(args.opds)])
        statuses = (["draft"] * 10 + ["returned"] * 5 + ["submitted"] * 10 + ["approved"] * 45 + ["realised"] * 20
                    + ["assessed"] * 10)
        emps, users, plans, targets, inds, preals, pjudg, assigns = [], [], [], [], [], [], [], []
        tid = iid = base
        for k in range(n):
            eid = base + k
            unit = base + (k % args.opds)
            group = k // 10
            sup = base + group * 10 if k % 10 else (base + (group // 10) * 10 if group else None)
            if sup == eid:
                sup = None
            emps.append(dict(id=eid, nip=f"{eid:018d}", name=f"Pegawai {eid}", unit_id=unit, employee_type="PNS",
                             active=True, created_at=now, updated_at=now))
            users.append(dict(id=eid, username=f"p{eid}", full_name=f"Pegawai {eid}", role="pegawai", employee_id=eid,
                              password_hash="x", active=True, session_token=f"{eid:032x}", failed_logins=0,
                              created_at=now, updated_at=now))
            status = rng.choice(statuses)
            # the rater is a supervisor of the same OPD (k % 10 == 0 rows of the same residue)
            rater = base + (k // (10 * args.opds)) * 10 * args.opds + (k % args.opds) if k % 10 else None
            if rater == eid:
                rater = None
            plans.append(dict(id=eid, period_id=pid, employee_id=eid, unit_id=unit, rater_id=rater, status=status,
                              innovation=False, version=1, created_at=now, updated_at=now))
            for _ in range(2):
                tid += 1
                iid += 1
                targets.append(dict(id=tid, work_plan_id=eid, seq=_ + 1, description="RHK", version=1,
                                    created_at=now, updated_at=now))
                inds.append(dict(id=iid, target_id=tid, aspect="kuantitas", description="ind", target_value=Decimal(10),
                                 unit_label="", lower_is_better=False, version=1, created_at=now, updated_at=now))
                if rng.random() < 0.7:
                    preals.append(dict(indicator_id=iid, sub_period_id=wid, value=Decimal(3), version=1,
                                       created_at=now, updated_at=now))
                if rng.random() < 0.6:
                    pjudg.append(dict(target_id=tid, sub_period_id=wid, category="sesuai", version=1,
                                      created_at=now, updated_at=now))
            if k % 3 == 0 and k:
                assigns.append(dict(period_id=pid, ratee_id=eid, rater_id=base + k - 1, role="rekan", status="pending",
                                    created_at=now, updated_at=now))
        for model, rows in ((Employee, emps), (User, users), (WorkPlan, plans), (Target, targets), (Indicator, inds),
                            (PeriodicRealisation, preals), (PeriodicJudgement, pjudg), (RaterAssignment, assigns)):
            for i in range(0, len(rows), 20000):
                s(insert(model), rows[i:i + 20000])
        raters = sorted({p["rater_id"] for p in plans if p["rater_id"]})
        dels = []
        for j in range(5):
            principal = raters[j * 7]
            unit = next(p["unit_id"] for p in plans if p["rater_id"] == principal)
            holder = base + n - 1 - j
            dels.append(dict(kind="plh", holder_id=holder, principal_id=principal, unit_id=unit,
                             start_date=day - dt.timedelta(days=1), end_date=day + dt.timedelta(days=9),
                             created_at=now, updated_at=now))
        s(insert(Delegation), dels)
        db.session.commit()
        if db.engine.dialect.name in ("postgresql", "sqlite"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"generated N={n} employees, {len(targets)} RHK, {len(preals)} periodic realisations, "
              f"{len(assigns)} pending ratings, 5 delegations in {time.perf_counter() - t0:.1f}s on "
              f"{db.engine.dialect.name}", flush=True)

        params = {"pid": pid, "wid": wid, "day": day, "planning": str(day + dt.timedelta(days=3)),
                  "assessment": str(day + dt.timedelta(days=5))}
        engine_times, floor_times = [], []
        engine_set = floor_set = None
        for _rep in range(args.repeat):
            t = time.perf_counter()
            q = reminders.query(db.session, day, 7).subquery()
            engine_set = {(r[0], r[1]) for r in db.session.execute(select(q.c.user_id, q.c.key))}
            engine_times.append(time.perf_counter() - t)
            db.session.rollback()
            t = time.perf_counter()
            floor_set = {(r[0], r[1]) for r in db.session.execute(text(FLOOR_SQL), params)}
            floor_times.append(time.perf_counter() - t)
            db.session.rollback()
        same = engine_set == floor_set
        e, f = min(engine_times), min(floor_times)
        by_event: dict[str, int] = {}
        for _u, key in engine_set:
            ev = key.split(":")[0]
            by_event[ev] = by_event.get(ev, 0) + 1
        print(f"engine (reminders.query, one statement): best {e:.2f}s of {[round(x, 2) for x in engine_times]}")
        print(f"floor (hand-written SQL):                best {f:.2f}s of {[round(x, 2) for x in floor_times]}")
        print(f"ratio engine/floor: {e / f:.2f}x; {len(engine_set)} reminders ({by_event}); identical sets: {same}")
        t = time.perf_counter()
        created = reminders.generate(db.session, day, 7)
        db.session.commit()
        insert_s = time.perf_counter() - t
        again = reminders.generate(db.session, day, 7)
        db.session.rollback()
        stored = db.session.scalar(select(func.count()).select_from(Notification))
        print(f"insert with preferences (INSERT ... SELECT): {created} rows in {insert_s:.2f}s; a second run adds "
              f"{again}; peak {peak_mb():.0f} MB")
        print(json.dumps({"employees": n, "database": db.engine.dialect.name, "reminders": len(engine_set),
                          "engine_s": round(e, 3), "floor_s": round(f, 3), "ratio": round(e / f, 2),
                          "identical": same, "insert_s": round(insert_s, 3), "inserted": created,
                          "second_run": again, "stored": stored, "peak_mb": round(peak_mb(), 1)}))
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
