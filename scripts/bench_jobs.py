#!/usr/bin/env python
"""Benchmark of the inspector workbook as a background job, as a clerk runs it:

  * the web app is served by gunicorn (2 workers) and a SEPARATE job worker process runs
    `flask kinerja worker` on the queue (Redis db --redis-db if reachable, else huey's SQLite storage);
  * the export of the whole city is started through the admin URL (the request returns at once with
    the job page), then the job's status.json is polled until it is done;
  * meanwhile a client keeps loading a list page (score results, 20 rows), and the same is measured
    for the same time before the job (baseline), so the ratio tells how much the job slows the web.

Figures: time for the start request, time to the first progress update written by the worker,
time to the first rows reported, total job time, peak RSS of the worker process (VmHWM), list-page
p50/p95 before and during the job, and a check of the downloaded workbook (rows).

    python scripts/bench_jobs.py --employees 100000 [--database-url URL] [--keep DIR]

A fresh demo city with synthetic results is built (scripts/bench_export.py's setup) in a temporary
SQLite file unless --database-url names a server database (emptied first!). Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
PASSWORD = "Bench#Password2026"  # bench_export.setup builds the demo with it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _tree_rss_mb(pid: int) -> float:
    """Current RSS of a process and its children (the worker may use process workers)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running()) / 1e6
    except psutil.Error:
        return 0.0


class Client:
    """A logged-in browser-like HTTP client (cookies, CSRF token from the login form)."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())
        html = self.get("/login")[1].decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
        status, _body, headers = self.post("/login", {"username": username, "password": PASSWORD,
                                                      "csrf_token": token})
        if status != 302:
            raise SystemExit(f"login failed: HTTP {status}")

    def get(self, path: str, timeout: float = 600):
        return self._open(urllib.request.Request(self.base + path), timeout)

    def post(self, path: str, data: dict, timeout: float = 600):
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body), timeout)

    def _open(self, req, timeout):
        try:
            with self.opener.open(req, timeout=timeout) as rv:
                return rv.status, rv.read(), rv.headers
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def list_latencies(base: str, stop: threading.Event, out: list, path: str, errors: list) -> None:
    client = Client(base, "inspektur")
    while not stop.is_set():
        t = time.perf_counter()
        status, _body, _h = client.get(path, timeout=120)
        if status == 200:
            out.append(time.perf_counter() - t)
        else:
            errors.append(status)


def pct(values: list, q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--keep", default=None, help="keep the work directory (database, workbook, logs) here")
    ap.add_argument("--redis-db", type=int, default=3, help="Redis database for the queue (emptied)")
    ap.add_argument("--baseline-seconds", type=float, default=20.0)
    ap.add_argument("--reuse", action="store_true", help="keep the database already in --keep / --database-url")
    a = ap.parse_args()

    import bench_export

    tmp = a.keep or tempfile.mkdtemp(prefix="bench-jobs-")
    Path(tmp).mkdir(parents=True, exist_ok=True)
    url = a.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    if a.reuse:
        from sqlalchemy import create_engine, text

        with create_engine(url).connect() as conn:
            conn.execute(text("DELETE FROM job"))
            conn.commit()
            info = {"score_results": conn.execute(text("SELECT count(*) FROM score_result")).scalar()}
        print(f"Memakai basis data yang ada: {info['score_results']} hasil penilaian", flush=True)
    else:
        print(f"Menyiapkan kota demo dengan {a.employees} pegawai di {url.split('@')[-1]} ...", flush=True)
        info = bench_export.setup(url, a.employees)
        print(f"  demo {info['demo_seconds']} s, {info['score_results']} hasil penilaian", flush=True)

    queue = f"redis://127.0.0.1:6379/{a.redis_db}"
    try:
        import redis

        redis.Redis.from_url(queue, socket_connect_timeout=1).flushdb()
    except Exception:
        queue = f"sqlite:///{Path(tmp) / 'queue.db'}"
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-jobs-secret", KINERJA_QUEUE_URL=queue,
               KINERJA_JOB_DIR=str(Path(tmp) / "jobs"), RATELIMIT_ENABLED="0", PYTHONPATH=str(ROOT))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    logs = open(Path(tmp) / "servers.log", "w")
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                           cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "kinerja", "worker", "--workers", "1"],
                              cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)
    figures: dict = {"employees": a.employees, "score_results": info["score_results"],
                     "database": url.split(":")[0], "queue": queue.split(":")[0]}
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        list_path = "/admin/score_result/?page_size=20"
        warm = Client(base, "inspektur")
        for _ in range(6):  # both gunicorn workers compile templates and fill caches before measuring
            warm.get(list_path)
        # baseline: the list page with no job running
        stop, before, errors = threading.Event(), [], []
        th = threading.Thread(target=list_latencies, args=(base, stop, before, list_path, errors))
        th.start()
        time.sleep(a.baseline_seconds)
        stop.set()
        th.join()

        clerk = Client(base, "operator")
        during: list = []
        stop = threading.Event()
        th = threading.Thread(target=list_latencies, args=(base, stop, during, list_path, errors))
        th.start()
        t0 = time.perf_counter()
        status, _body, headers = clerk.get("/admin/score_result/export-xlsx/")
        start_request = time.perf_counter() - t0
        job = re.search(r"/admin/jobs/(\d+)/", headers.get("Location", "") or "")
        if status != 302 or not job:
            raise SystemExit(f"the export did not start a job: HTTP {status}")
        job_id = int(job.group(1))
        first_progress = first_rows = None
        peak_tree = 0.0
        last = None
        while True:
            s = json.loads(clerk.get(f"/admin/jobs/{job_id}/status.json")[1])
            now = time.perf_counter() - t0
            peak_tree = max(peak_tree, _tree_rss_mb(worker.pid))
            if first_progress is None and s["status"] != "queued" and s["total"]:
                first_progress = now
            if first_rows is None and (s["done"] or 0) > 0:
                first_rows = now
            if (s["stage"], s["done"]) != last:
                last = (s["stage"], s["done"])
                print(f"  {now:7.1f} s  {s['status_label']}: {s['stage']} {s['done']}/{s['total']}", flush=True)
            if not s["active"]:
                break
            time.sleep(0.1)
        total = time.perf_counter() - t0
        stop.set()
        th.join()
        if s["status"] != "done":
            raise SystemExit(f"job failed: {s['error']}")
        t = time.perf_counter()
        status, data, _h = clerk.get(s["download_url"])
        download = time.perf_counter() - t
        out = Path(tmp) / "hasil.xlsx"
        out.write_bytes(data)
        import openpyxl

        wb = openpyxl.load_workbook(out, read_only=True)
        rows = sum(1 for _ in wb["Nilai Pegawai"].iter_rows(min_row=2, max_col=1, values_only=True))
        wb.close()
        hwm = _vm_hwm_mb(worker.pid)
        figures.update({
            "start_request_s": round(start_request, 3),
            "first_progress_s": None if first_progress is None else round(first_progress, 2),
            "first_rows_s": None if first_rows is None else round(first_rows, 2),
            "job_total_s": round(total, 1),
            "download_s": round(download, 2), "workbook_mb": round(len(data) / 1e6, 1), "workbook_rows": rows,
            "worker_peak_rss_mb": None if hwm is None else round(hwm, 1),
            "worker_tree_peak_rss_sampled_mb": round(peak_tree, 1),
            "list_before_n": len(before), "list_before_p50_ms": round(1000 * pct(before, .5), 1),
            "list_before_p95_ms": round(1000 * pct(before, .95), 1),
            "list_during_n": len(during), "list_during_p50_ms": round(1000 * pct(during, .5), 1),
            "list_during_p95_ms": round(1000 * pct(during, .95), 1),
        })
        figures["list_p95_ratio_during_vs_before"] = round(figures["list_during_p95_ms"]
                                                           / max(figures["list_before_p95_ms"], 1e-9), 2)
        figures["rows_match"] = rows == info["score_results"]
        figures["list_errors"] = len(errors)
        print(f"  mulai {figures['start_request_s']} s, kemajuan pertama {figures['first_progress_s']} s, "
              f"baris pertama {figures['first_rows_s']} s, selesai {figures['job_total_s']} s, "
              f"RSS puncak pekerja {figures['worker_peak_rss_mb']} MB", flush=True)
        print(f"  daftar p95 {figures['list_before_p95_ms']} ms sebelum, {figures['list_during_p95_ms']} ms selama "
              f"tugas ({figures['list_during_n']} permintaan)", flush=True)
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
