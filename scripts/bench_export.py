#!/usr/bin/env python
"""Benchmark of the inspector export against, in the same run:
  floor        - raw xlsxwriter (constant_memory) writing the same Nilai Pegawai rows from a prepared list;
  floor_full   - raw xlsxwriter writing the same cells of ALL sheets (with "Periksa") from prepared lists:
                 the export runs with a hook that fetches and prepares each sheet's rows in chunks of
                 20 000 outside the clock, and only the writing (plus headers, names and the final zip)
                 is timed;
  ours_full    - the whole workbook as the CLI writes it, with and (ours_nocheck) without "Periksa";
  builtin      - Flask-Admin's built-in xlsx export (tablib) of the same score result list, once with the
                 list's own 8 columns and once (builtin_same) with the 34 columns of our sheet (equal work).

    python scripts/bench_export.py --employees 20000 [--repeat 2] [--database-url URL] [--keep DIR]
                                   [--skip-builtin] [--skip-http]

A fresh demo city (kinerja_admin.demo) is built in a temporary SQLite file unless --database-url names a
server database (it is emptied first!), scored by the engine and approved (behaviour details stored), as
an inspector finds it. Each measurement runs in its own subprocess so that its peak RSS is its own. The
last line of the output is one JSON object with the figures; the Periksa sheet's mismatch count (the
exporter's own recomputation) is reported too and must be 0.
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
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PERIOD = "2025"
CHUNK = 20000


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
    "employee.position.name", "unit.parent.name", "unit.name", "work_plan.rater.name", "work_plan.rater.nip",
    "skp_value", "behaviour_value", "atasan_avg", "rekan_avg", "bawahan_avg", "diri_avg", "masyarakat_avg",
    "final_value", "hasil_category", "hasil_source", "perilaku_category", "perilaku_source", "predicate",
    "innovation", "structural", "public_responses", "public_score_sum", "unit.code", "note", "status",
    "approved_by.username", "approved_at", "computed_at", "scheme_version",
]


# --- setup -------------------------------------------------------------------------------------------
def setup(url: str, employees: int) -> dict:
    from sqlalchemy import func, select, update

    from kinerja_admin.dbtools import fresh_database
    from kinerja_admin.demo import build_demo
    from kinerja_admin.extensions import db
    from kinerja_admin.scoring.engine import freeze_details, score_period
    from models import Period, ScoreResult

    app = _app(url)
    with app.app_context():
        fresh_database()
        t = time.perf_counter()
        build_demo(db.session, employees=employees, seed=11, password="Bench#Password2026")
        db.session.commit()
        demo_s = time.perf_counter() - t
        period = db.session.scalar(select(Period).where(Period.code == PERIOD))
        t = time.perf_counter()
        summary = score_period(db.session, period)
        db.session.commit()
        score_s = time.perf_counter() - t
        # approved, with the behaviour details stored, as an inspector finds a period
        t = time.perf_counter()
        ids = list(db.session.scalars(select(ScoreResult.id).where(ScoreResult.period_id == period.id)))
        db.session.execute(update(ScoreResult).where(ScoreResult.period_id == period.id).values(status="approved"))
        freeze_details(db.session, ids)
        db.session.commit()
        n = db.session.scalar(select(func.count()).select_from(ScoreResult))
        return {"demo_seconds": round(demo_s, 2), "score_seconds": round(score_s, 2),
                "approve_seconds": round(time.perf_counter() - t, 2), "score_results": n,
                "without_predicate": summary["without_predicate"]}


# --- workers (each in its own process) ----------------------------------------------------------------
class Floor:
    """The export's hook for the floor: each sheet's rows are fetched and prepared in chunks outside the
    clock; only writing them (and everything else the export does around them) is timed."""

    def __init__(self):
        self.prepare_seconds = 0.0

    def __call__(self, sheet, rows, write):
        it = iter(rows)
        while True:
            t = time.perf_counter()
            chunk = list(islice(it, CHUNK))
            self.prepare_seconds += time.perf_counter() - t
            if not chunk:
                return
            write(chunk)


def worker(mode: str, url: str, out: str) -> dict:
    from sqlalchemy import select

    from kinerja_admin.extensions import db
    from models import Period, User

    app = _app(url)
    with app.app_context():
        period = db.session.scalar(select(Period).where(Period.code == PERIOD))
        if mode in ("ours_full", "ours_nocheck", "floor_full", "floor_nocheck"):
            from kinerja_admin.excel.exporter import export_period

            floor = Floor() if mode.startswith("floor") else None
            t = time.perf_counter()
            stats = export_period(period, out, session=db.session, generated_by="bench", hook=floor,
                                  include_check=mode.endswith("full"))
            seconds = time.perf_counter() - t - (floor.prepare_seconds if floor else 0.0)
            return {"seconds": seconds, "rows": stats["employees"], "peak_mb": _peak_mb(),
                    "bytes": os.path.getsize(out), "sheets_rows": stats, "mismatches": stats["mismatches"],
                    "prepare_seconds": floor.prepare_seconds if floor else None}
        if mode in ("ours_sheet", "floor"):
            import xlsxwriter

            from kinerja_admin.excel import exporter as ex

            export = ex._Export(period, db.session, None, None, "", "bench", None, "BKPSDM", False,
                                Floor() if mode == "floor" else ex._direct)
            wb = xlsxwriter.Workbook(out, {"constant_memory": True})
            export.wb, export.fm = wb, ex._Formats(wb, ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang",
                                                        "Sangat Kurang"])
            ws = wb.add_worksheet("Nilai Pegawai")
            t = time.perf_counter()
            rows = export._employee_sheet(ws)
            wb.close()
            seconds = time.perf_counter() - t - (export.hook.prepare_seconds if mode == "floor" else 0.0)
            return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb(), "bytes": os.path.getsize(out)}
        if mode in ("builtin", "builtin_same", "ours_http"):
            view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "score_result")
            view.export_types = ["csv", "xlsx"]
            if mode == "builtin_same":
                # the same 34 columns as our Nilai Pegawai sheet (the list itself shows 8)
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
    ap.add_argument("--repeat", type=int, default=2, help="runs of each floor/ours pair; the best of each counts")
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
    print(f"  demo {info['demo_seconds']} s, hitung nilai {info['score_seconds']} s, setujui "
          f"{info['approve_seconds']} s, {info['score_results']} hasil penilaian ({info['without_predicate']} tanpa "
          "predikat)", flush=True)
    figures: dict = {"employees": a.employees, "score_results": info["score_results"],
                     "database": url.split(":")[0]}
    # floor and ours alternate `--repeat` times per pair; the best time of each is compared (the machine is
    # shared: the minimum is the least disturbed run), the highest peak is reported
    pairs = [("floor", "ours_sheet"), ("floor_full", "ours_full"), ("floor_nocheck", "ours_nocheck")]
    order = [m for _ in range(a.repeat) for pair in pairs for m in pair]
    order += ([] if a.skip_http else ["ours_http"]) + ([] if a.skip_builtin else ["builtin", "builtin_same"])
    for mode in order:
        r = run_worker(mode, url, tmp)
        runs = figures.setdefault(mode, {"runs_s": []})["runs_s"]
        runs.append(round(r["seconds"], 2))
        figures[mode].update({"seconds": min(runs), "peak_mb": max(round(r["peak_mb"], 1),
                                                                   figures[mode].get("peak_mb", 0)),
                              "rows": r["rows"], "mb": round(r["bytes"] / 1e6, 2)})
        if "mismatches" in r:
            figures[mode]["mismatches"] = r["mismatches"]
        print(f"  {mode:13s} {r['seconds']:8.2f} s  peak RSS {r['peak_mb']:7.1f} MB  {r['bytes'] / 1e6:7.2f} MB"
              f"  rows {r['rows']}" + (f"  Periksa: {r['mismatches']} tidak sesuai" if r.get("mismatches") is not None
                                       and mode.endswith("full") else ""), flush=True)
    ratio_sheet = figures["ours_sheet"]["seconds"] / max(figures["floor"]["seconds"], 1e-9)
    ratio_whole = figures["ours_full"]["seconds"] / max(figures["floor_full"]["seconds"], 1e-9)
    ratio_nocheck = figures["ours_nocheck"]["seconds"] / max(figures["floor_nocheck"]["seconds"], 1e-9)
    figures["ratio_sheet_vs_floor"] = round(ratio_sheet, 2)
    figures["ratio_whole_vs_floor"] = round(ratio_whole, 2)
    figures["ratio_whole_without_periksa_vs_floor"] = round(ratio_nocheck, 2)
    figures["periksa_adds_seconds"] = round(figures["ours_full"]["seconds"] - figures["ours_nocheck"]["seconds"], 2)
    figures["periksa_adds_mb"] = round(figures["ours_full"]["mb"] - figures["ours_nocheck"]["mb"], 2)
    figures["goal_sheet_vs_floor_le_1_3"] = ratio_sheet <= 1.3
    figures["goal_whole_vs_floor_le_1_5"] = ratio_whole <= 1.5
    figures["goal_peak_full_le_150mb"] = figures["ours_full"]["peak_mb"] <= 150
    figures["goal_peak_sheet_le_150mb"] = figures["ours_sheet"]["peak_mb"] <= 150
    figures["periksa_mismatches"] = figures["ours_full"].get("mismatches")
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
