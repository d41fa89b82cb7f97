#!/usr/bin/env python
"""Benchmark: bulk-approve submitted work plans through the admin's "all rows matching the filter"
action (POST /admin/work_plan/bulk-all/?<period filter>), i.e. the same code path a clerk uses:
confirmation page (not timed), then the confirmed POST: the count checked against the confirmed one
-> filtered query inside the row scope -> kinerja_admin.workflow.plan.bulk -> one executemany UPDATE
with version check + one executemany INSERT of audit rows -> commit.

Baseline 1 000 plans, then 10 000 plans, in the same run. Prints the time, the ratio (should be
close to linear, <= 12x) and the number of SQL statements of each request (counted with a
before_cursor_execute listener; it should be the same for both). The last line is a JSON object.

    python scripts/bench_workflow.py [--database-url URL] [--small N] [--large N]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("KINERJA_BENCH_DATABASE_URL"))
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=10000)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"

    from sqlalchemy import event, func, insert, select

    from config import TestConfig
    from kinerja_admin import create_app
    from kinerja_admin.dbtools import fresh_database
    from kinerja_admin.demo import build_demo
    from kinerja_admin.extensions import db
    from models import AuditLog, Employee, Period, Unit, User, WorkPlan
    from models.base import utcnow

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Cfg)
    with app.app_context():
        fresh_database()
        build_demo(db.session, employees=60, seed=1, password="Bench#Binjai2026")
        db.session.commit()
        # synthetic employees and two running periods full of submitted plans
        unit_id = db.session.scalar(select(Unit.id).order_by(Unit.id))
        boss = db.session.scalar(select(Employee.id).order_by(Employee.id))
        start = (db.session.scalar(select(func.max(Employee.id))) or 0) + 1
        now = utcnow()
        n = max(args.small, args.large)
        emps = [dict(id=start + i, nip=f"19800101200501{(i % 2) + 1}{i:03d}"[:14] + f"{i:04d}", name=f"Pegawai {i}",
                     employee_type="PNS", unit_id=unit_id, superior_id=boss, active=True, created_at=now,
                     updated_at=now) for i in range(n)]
        for i, e in enumerate(emps):
            e["nip"] = f"1980010120050110{i:02d}"[:8] + f"{i:010d}"  # 18 unique digits
        db.session.execute(insert(Employee), emps)
        pid0 = (db.session.scalar(select(func.max(Period.id))) or 0) + 1
        periods = {"small": ("B1K", args.small), "large": ("B10K", args.large)}
        plan_id = (db.session.scalar(select(func.max(WorkPlan.id))) or 0) + 1
        for k, (code, count) in enumerate(periods.values()):
            db.session.execute(insert(Period), [dict(id=pid0 + k, code=code, name=f"Bench {code}",
                                                     start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31),
                                                     status="running", version=1, created_at=now, updated_at=now)])
            rows = [dict(id=plan_id + i, period_id=pid0 + k, employee_id=start + i, rater_id=boss, unit_id=unit_id,
                         status="submitted", submitted_at=now, version=1, innovation=False, created_at=now,
                         updated_at=now) for i in range(count)]
            for c in range(0, len(rows), 5000):
                db.session.execute(insert(WorkPlan), rows[c:c + 5000])
            plan_id += count
        from kinerja_admin.demo import _fix_sequences

        _fix_sequences(db.session, [Employee, Period, WorkPlan])
        db.session.commit()
        operator = db.session.scalar(select(User).where(User.username == "operator"))
        login_id = operator.get_id()
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "work_plan")
        key = next(k for k, (_i, f) in view._filter_args.items()
                   if str(f.name) == "Periode" and str(f.operation()).lower() in ("equals", "sama dengan"))
        engine = db.engine
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = login_id
        s["_fresh"] = True

    figures = {}
    for label, (code, count) in periods.items():
        statements = [0]

        def count_stmt(*_a, **_k):
            statements[0] += 1  # noqa: B023 (listener removed before the next iteration)

        url_ = f"/admin/work_plan/bulk-all/?flt0_{key}={code}"
        # the confirmation page (count and filters in words) comes first, as for a clerk; not timed
        page = client.post(url_, data={"op": "approve"}).get_data(as_text=True)
        expected = re.search(r'name="expected" value="(\d+)"', page).group(1)
        event.listen(engine, "before_cursor_execute", count_stmt)
        t0 = time.perf_counter()
        rv = client.post(url_, data={"op": "approve", "confirm": "1", "expected": expected})
        elapsed = time.perf_counter() - t0
        event.remove(engine, "before_cursor_execute", count_stmt)
        assert rv.status_code == 302, rv.status_code
        with app.app_context():
            approved = db.session.scalar(select(func.count()).select_from(WorkPlan).join(Period).where(
                Period.code == code, WorkPlan.status == "approved"))
            audited = db.session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "transition", AuditLog.period_id == select(Period.id).where(
                    Period.code == code).scalar_subquery()))
        assert approved == count and audited == count, (approved, audited, count)
        figures[label] = {"n": count, "seconds": round(elapsed, 3), "statements": statements[0],
                          "rows_per_second": round(count / elapsed)}
        print(f"{label:>5}: {count:>6} SKP disetujui (+{audited} baris audit) dalam {elapsed:.3f} s, "
              f"{statements[0]} pernyataan SQL")
    ratio = figures["large"]["seconds"] / figures["small"]["seconds"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rasio waktu {args.large}/{args.small}: {ratio:.2f}x (batas 12x); pernyataan SQL: "
          f"{figures['small']['statements']} vs {figures['large']['statements']}; puncak memori {peak_mb:.0f} MB")
    out = {"benchmark": "workflow_bulk_approve", "database": url.split(":", 1)[0],
           "n_small": figures["small"]["n"], "n_large": figures["large"]["n"],
           "seconds_small": figures["small"]["seconds"], "seconds_large": figures["large"]["seconds"],
           "ratio": round(ratio, 2), "statements_small": figures["small"]["statements"],
           "statements_large": figures["large"]["statements"], "peak_mb": round(peak_mb, 1)}
    tmp.cleanup()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
