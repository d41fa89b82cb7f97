#!/usr/bin/env python
"""Benchmark of the inspector export against, in the same run:
  floor   - raw xlsxwriter (constant_memory) writing the same Nilai Pegawai rows from a prepared list;
  builtin - Flask-Admin's built-in xlsx export (tablib) of the same score result list, once with the
            list's own 8 columns and once (builtin_same) with the 25 columns of our sheet: the goal
            compares equal work, the same rows and cells.

    python scripts/bench_export.py --employees 100000 [--database-url URL] [--keep DIR]

A fresh demo city (kinerja_admin.demo) with synthetic score results is built in a temporary SQLite
file unless --database-url names a server database (it is emptied first!). Each measurement runs in
its own subprocess so that its peak RSS (getrusage maxrss) is its own. The last line of the output is
one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PERIOD = "2025"


def _app(url: str):
    from config import Config
    from kinerja_admin import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-only"
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        TESTING = True
        KINERJA_QUEUE_URL = "immediate"  # the admin URL's export job runs in this process (timed as one)

    return create_app(BenchConfig)


def _peak_mb() -> float:
    """Peak RSS of this process. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a
    worker would report its parent's high-water mark."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:  # not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# Flask-Admin export columns giving the same cells as our Nilai Pegawai sheet (position and unit by the
# employee's own relationships, the closest the built-in export can follow).
SAME_COLUMNS = [
    "employee.nip", "employee.name", "employee.employee_type", "employee.rank.code", "employee.rank.name",
    "employee.position.name", "unit.name", "work_plan.rater.name", "work_plan.rater.nip", "skp_value",
    "behaviour_value", "atasan_avg", "rekan_avg", "bawahan_avg", "diri_avg", "masyarakat_avg", "final_value",
    "hasil_category", "perilaku_category", "predicate", "status", "approved_by.username", "approved_at",
    "computed_at", "scheme_version",
]


# --- setup -------------------------------------------------------------------------------------------
def setup(url: str, employees: int) -> dict:
    from sqlalchemy import func, insert, literal, select

    from kinerja_admin.dbtools import fresh_database
    from kinerja_admin.demo import build_demo
    from kinerja_admin.extensions import db
    from models import BehaviourAspect, Period, ScoreDetail, ScoreResult, WorkPlan

    app = _app(url)
    with app.app_context():
        fresh_database()
        t = time.perf_counter()
        build_demo(db.session, employees=employees, seed=11, password="Bench#Password2026")
        db.session.commit()
        demo_s = time.perf_counter() - t
        period = db.session.scalar(select(Period).where(Period.code == PERIOD))
        # synthetic results, set-based (independent of the scoring engine)
        t = time.perf_counter()
        m = WorkPlan.id % 40
        db.session.execute(insert(ScoreResult).from_select(
            ["period_id", "employee_id", "work_plan_id", "unit_id", "scheme_id", "scheme_version", "skp_value",
             "behaviour_value", "atasan_avg", "final_value", "hasil_category", "perilaku_category", "predicate",
             "status", "computed_at", "version", "created_at", "updated_at"],
            select(WorkPlan.period_id, WorkPlan.employee_id, WorkPlan.id, WorkPlan.unit_id, literal(period.scheme_id),
                   literal(1), 70 + m, 75 + WorkPlan.id % 25, 75 + WorkPlan.id % 25, 72 + m * 0.7,
                   literal("sesuai"), literal("diatas"),
                   func.coalesce(None, literal("Baik")), literal("computed"), func.now(), literal(1), func.now(),
                   func.now()).where(WorkPlan.period_id == period.id)))
        for label, mod in (("Sangat Baik", 0), ("Butuh Perbaikan", 1), ("Kurang", 2)):
            db.session.execute(ScoreResult.__table__.update().where(ScoreResult.id % 7 == mod).values(predicate=label))
        aspects = select(BehaviourAspect.id).where(BehaviourAspect.scheme_id == period.scheme_id).subquery()
        db.session.execute(insert(ScoreDetail).from_select(
            ["result_id", "role", "aspect_id", "average", "raters"],
            select(ScoreResult.id, literal("atasan"), aspects.c.id, 3 + ScoreResult.id % 2, literal(1))
            .select_from(ScoreResult).join(aspects, literal(True)).where(ScoreResult.period_id == period.id)))
        db.session.commit()
        n = db.session.scalar(select(func.count()).select_from(ScoreResult))
        return {"demo_seconds": round(demo_s, 2), "results_seconds": round(time.perf_counter() - t, 2),
                "score_results": n}


# --- workers (each in its own process) ----------------------------------------------------------------
def worker(mode: str, url: str, out: str) -> dict:
    from sqlalchemy import select

    from kinerja_admin.extensions import db
    from models import Period, ScoreResult, User

    app = _app(url)
    with app.app_context():
        period = db.session.scalar(select(Period).where(Period.code == PERIOD))
        if mode == "ours_full":
            from kinerja_admin.excel.exporter import export_period

            t = time.perf_counter()
            stats = export_period(period, out, session=db.session, generated_by="bench")
            return {"seconds": time.perf_counter() - t, "rows": stats["employees"], "peak_mb": _peak_mb(),
                    "bytes": os.path.getsize(out), "sheets_rows": stats}
        if mode in ("ours_sheet", "floor"):
            import xlsxwriter

            from kinerja_admin.excel import exporter as ex

            conds = [ScoreResult.period_id == period.id]
            total = db.session.scalar(select(db.func.count()).select_from(ScoreResult).where(*conds))
            prepared = None
            if mode == "floor":  # the same rows, fetched and converted beforehand (not timed)
                prepared = []
                for row in db.session.execute(ex.employee_rows_query(conds)):
                    row = list(row)
                    row[17] = ex.CATEGORIES.get(row[17], row[17])
                    row[18] = ex.CATEGORIES.get(row[18], row[18])
                    row[20] = ex.SCORE_STATUSES.get(row[20], row[20])
                    prepared.append(row)
            t = time.perf_counter()
            wb = xlsxwriter.Workbook(out, {"constant_memory": True})
            fm = ex._Formats(wb, ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"])
            ws = wb.add_worksheet("Nilai Pegawai")
            if mode == "floor":
                ex._header(ws, ex.EMPLOYEE_SHEET, fm)
                r = ex.write_rows(ws, 1, prepared, [k for _, _, k in ex.EMPLOYEE_SHEET], fm, wb)
                ex._finish(ws, ex.EMPLOYEE_SHEET, r)
                rows = r - 1
            else:
                rows = ex._employee_sheet(db.session, wb, ws, fm, conds, total, lambda pct: None)
            wb.close()
            return {"seconds": time.perf_counter() - t, "rows": rows, "peak_mb": _peak_mb(),
                    "bytes": os.path.getsize(out)}
        if mode in ("builtin", "builtin_same", "ours_http"):
            view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "score_result")
            view.export_types = ["csv", "xlsx"]
            if mode == "builtin_same":
                # the same 25 columns as our Nilai Pegawai sheet (the list itself shows 8)
                view.column_export_list = SAME_COLUMNS
                view._export_columns = view.get_export_columns()  # Flask-Admin caches it at init
            key = next(k for k, (_, flt) in view._filter_args.items()
                       if getattr(flt.column, "key", None) == "code" and type(flt).__name__ == "FilterEqual")
            admin = db.session.scalar(select(User).where(User.username == "admin"))
            client = app.test_client()
            with client.session_transaction() as sess:  # logged in as admin (Flask-Login's session keys)
                sess["_user_id"] = admin.get_id()
                sess["_fresh"] = True
            url_ = (f"/admin/score_result/export/xlsx/?flt0_{key}={PERIOD}" if mode != "ours_http"
                    else f"/admin/score_result/export-xlsx/?flt0_{key}={PERIOD}")
            t = time.perf_counter()
            rv = client.get(url_)
            if mode == "ours_http":  # a background job (immediate mode here): download it from its page
                import re

                job = re.search(r"/admin/jobs/(\d+)/", rv.headers.get("Location", ""))
                rv = client.get(f"/admin/jobs/{job.group(1)}/unduh") if job else rv
            data = rv.get_data()
            secs = time.perf_counter() - t
            if rv.status_code != 200 or not data.startswith(b"PK"):
                raise SystemExit(f"{mode}: HTTP {rv.status_code} {data[:200]!r}")
            Path(out).write_bytes(data)
            import openpyxl

            wb = openpyxl.load_workbook(out, read_only=True)
            ws = wb["Nilai Pegawai"] if "Nilai Pegawai" in wb.sheetnames else wb.worksheets[0]
            rows = sum(1 for _ in ws.iter_rows(min_row=2, max_col=1, values_only=True))
            wb.close()
            return {"seconds": secs, "rows": rows, "peak_mb": _peak_mb(), "bytes": len(data)}
    raise SystemExit(f"unknown mode {mode}")


def run_worker(mode: str, url: str, tmp: str) -> dict:
    out = os.path.join(tmp, f"{mode}.xlsx")
    cmd = [sys.executable, __file__, "--worker", mode, "--database-url", url, "--out", out]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
    if res.returncode != 0:
        raise SystemExit(f"worker {mode} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--keep", default=None, help="keep the work directory (database and workbooks) here")
    ap.add_argument("--skip-builtin", action="store_true", help="do not run Flask-Admin's tablib export")
    ap.add_argument("--skip-http", action="store_true", help="do not time the workbook through the admin URL")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.database_url, a.out), default=str))
        return
    tmp = a.keep or tempfile.mkdtemp(prefix="bench-export-")
    Path(tmp).mkdir(parents=True, exist_ok=True)
    url = a.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    print(f"Menyiapkan kota demo dengan {a.employees} pegawai di {url.split('@')[-1]} ...", flush=True)
    info = setup(url, a.employees)
    print(f"  demo {info['demo_seconds']} s, hasil sintetis {info['results_seconds']} s, "
          f"{info['score_results']} hasil penilaian", flush=True)
    figures: dict = {"employees": a.employees, "score_results": info["score_results"],
                     "database": url.split(":")[0]}
    order = (["floor", "ours_sheet", "ours_full"] + ([] if a.skip_http else ["ours_http"])
             + ([] if a.skip_builtin else ["builtin", "builtin_same"]))
    for mode in order:
        r = run_worker(mode, url, tmp)
        figures[mode] = {"seconds": round(r["seconds"], 2), "peak_mb": round(r["peak_mb"], 1), "rows": r["rows"],
                         "mb": round(r["bytes"] / 1e6, 2)}
        print(f"  {mode:11s} {r['seconds']:8.2f} s  peak RSS {r['peak_mb']:7.1f} MB  rows {r['rows']}", flush=True)
    ratio_floor = figures["ours_sheet"]["seconds"] / max(figures["floor"]["seconds"], 1e-9)
    figures["ratio_sheet_vs_floor"] = round(ratio_floor, 2)
    figures["goal_sheet_vs_floor_le_1_3"] = ratio_floor <= 1.3
    figures["goal_peak_full_le_150mb"] = figures["ours_full"]["peak_mb"] <= 150
    if "builtin" in figures:
        figures["speedup_sheet_vs_builtin"] = round(figures["builtin"]["seconds"] / figures["ours_sheet"]["seconds"], 2)
        if "ours_http" in figures:
            figures["speedup_http_full_vs_builtin"] = round(
                figures["builtin"]["seconds"] / figures["ours_http"]["seconds"], 2)
        figures["speedup_sheet_vs_builtin_same_columns"] = round(
            figures["builtin_same"]["seconds"] / figures["ours_sheet"]["seconds"], 2)
        figures["goal_speedup_ge_2_5"] = figures["speedup_sheet_vs_builtin_same_columns"] >= 2.5
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
