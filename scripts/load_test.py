"""Load test: the app under gunicorn (4 workers) against PostgreSQL with a demo city, driven from
loopback by a bounded mix of list pages, filters, details, bulk approve, the public portal and
public feedback, for a fixed time. Prints requests/s, p50/p95/p99 latency per kind and errors,
then checks that no write was lost, and ends with one line holding a JSON object of the figures.

    python scripts/load_test.py                       # 10 000 employees, 60 s, 8 clients
    python scripts/load_test.py --employees 2000 --duration 20 --reuse

Only 127.0.0.1 is ever contacted. The rate limiter is switched off for the run (every request
comes from one address, which the limiter would rightly throttle); tests/test_public_feedback.py
shows the limiter holding.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Muat#Uji2026"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NONCE_RE = re.compile(r'name="nonce"[^>]*value="([^"]*)"')
# (kind, weight)
MIX = [("list", 30), ("filter", 15), ("details", 20), ("bulk_approve", 5), ("portal", 15), ("feedback", 15)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One browser-like client: a keep-alive connection and a small cookie jar (session, the survey's
    respondent token)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def forget(self, name: str) -> None:
        self.cookies.pop(name, None)

    def request(self, method: str, path: str, body: dict | list | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = rest
        return resp.status, text, dict(resp.getheaders())

    def login(self, username: str) -> None:
        _, html, _ = self.request("GET", "/login")
        token = CSRF_RE.search(html).group(1)
        status, _, _ = self.request("POST", "/login", {"username": username, "password": PASSWORD,
                                                       "csrf_token": token})
        if status != 302:
            raise SystemExit(f"login as {username} failed ({status})")


def prepare(args, env) -> None:
    url = args.database_url
    if url.startswith("postgresql"):
        import psycopg

        dbname = url.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "kinerja"]
    t = time.perf_counter()
    subprocess.run(flask + ["demo", "--employees", str(args.employees), "--password", PASSWORD],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"demo city of {args.employees} employees built in {time.perf_counter() - t:.1f} s", flush=True)


def snapshot(env) -> dict:
    """Counts and ids read straight from the database (the truth the load is checked against)."""
    code = (
        "import json; from kinerja_admin import create_app; from models import *; from sqlalchemy import select, func\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    p = db.session.scalar(select(Period).where(Period.code == '2026'))\n"
        "    sub = db.session.scalars(select(WorkPlan.id).where(WorkPlan.period_id == p.id, WorkPlan.status == 'submitted')).all()\n"
        "    appr = db.session.scalar(select(func.count()).select_from(WorkPlan).where(WorkPlan.period_id == p.id, WorkPlan.status == 'approved'))\n"
        "    fb = db.session.scalar(select(func.count()).select_from(PublicFeedback))\n"
        "    emp = db.session.execute(select(func.min(Employee.id), func.max(Employee.id))).one()\n"
        "    slugs = db.session.scalars(select(Unit.slug).where(Unit.public_facing.is_(True), Unit.slug.is_not(None))).all()\n"
        "    codes = db.session.scalars(select(Unit.code).where(Unit.parent_id.is_(None))).all()\n"
        "    print(json.dumps({'submitted': sub, 'approved': appr, 'feedback': fb, 'emp': list(emp), 'slugs': slugs, 'codes': codes}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def approved_status(env, ids: list[int]) -> int:
    code = (
        "import json, sys; from kinerja_admin import create_app; from models import *; from sqlalchemy import select, func\n"
        "ids = json.loads(sys.stdin.read())\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    n = 0\n"
        "    for i in range(0, len(ids), 500):\n"
        "        n += db.session.scalar(select(func.count()).select_from(WorkPlan).where(WorkPlan.id.in_(ids[i:i+500]), WorkPlan.status == 'approved'))\n"
        "    print(n)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, input=json.dumps(ids))
    return int(out.stdout.strip().splitlines()[-1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def run(args) -> dict:
    env = dict(os.environ, DATABASE_URL=args.database_url, SECRET_KEY="load-test-secret-key",
               RATELIMIT_ENABLED="0", SESSION_COOKIE_SECURE="0", KINERJA_ENV="development")
    if not args.reuse:
        prepare(args, env)
    before = snapshot(env)
    port = free_port()
    log = open(ROOT / "instance" / "load_test_gunicorn.log", "w") if (ROOT / "instance").exists() else subprocess.DEVNULL
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                               "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        return drive(args, port, env, before)
    finally:
        server.terminate()
        server.wait(timeout=20)


def drive(args, port, env, before) -> dict:
    rng = random.Random(args.seed)
    batches: queue.Queue = queue.Queue()
    submitted = list(before["submitted"])
    rng.shuffle(submitted)
    for i in range(0, len(submitted), 10):
        batches.put(submitted[i:i + 10])
    emp_lo, emp_hi = before["emp"]
    lat: dict[str, list[float]] = {k: [] for k, _ in MIX}
    errors: list[tuple[str, int, str]] = []
    sent_approvals: list[int] = []
    feedback_ok = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + args.duration
    kinds = [k for k, w in MIX for _ in range(w)]

    def worker(n: int) -> None:
        r = random.Random(args.seed * 100 + n)
        staff = Client(port)
        staff.login("operator")
        citizen = Client(port)
        list_token = None
        while time.monotonic() < deadline:
            kind = r.choice(kinds)
            t0 = time.perf_counter()
            ok_status = (200,)
            try:
                if kind == "list":
                    path = r.choice([f"/admin/work_plan/?page={r.randrange(0, 100)}",
                                     f"/admin/employee/?page={r.randrange(0, 100)}",
                                     "/admin/score_result/"])
                    status, html, _ = staff.request("GET", path)
                    m = CSRF_RE.search(html)
                    list_token = m.group(1) if m else list_token
                elif kind == "filter":
                    term = r.choice(["Siregar", "Nasution", "Lubis", "Ginting", "Dewi", "Pratama"])
                    status, _, _ = staff.request("GET", f"/admin/employee/?search={term}")
                elif kind == "details":
                    status, _, _ = staff.request("GET", f"/admin/employee/details/?id={r.randint(emp_lo, emp_hi)}")
                elif kind == "bulk_approve":
                    try:
                        ids = batches.get_nowait()
                    except queue.Empty:
                        continue
                    if list_token is None:
                        _, html, _ = staff.request("GET", "/admin/work_plan/")
                        list_token = CSRF_RE.search(html).group(1)
                    status, _, _ = staff.request("POST", "/admin/work_plan/action/", [
                        ("action", "approve"), ("url", "/admin/work_plan/"), ("csrf_token", list_token)]
                        + [("rowid", str(i)) for i in ids])
                    ok_status = (302,)
                    if status == 302:
                        with lock:
                            sent_approvals.extend(ids)
                elif kind == "portal":
                    path = r.choice(["/publik/", f"/publik/unit/{r.choice(before['codes'])}"])
                    status, _, _ = citizen.request("GET", path)
                else:  # feedback
                    slug = r.choice(before["slugs"])
                    citizen.forget("kinerja_responden")  # every response from another citizen's device
                    status, html, _ = citizen.request("GET", f"/publik/u/{slug}")
                    if status == 200:
                        token, nonce = CSRF_RE.search(html), NONCE_RE.search(html)
                        form = {f"u{i}": str(r.randint(2, 4)) for i in range(1, 10)}
                        form.update({"csrf_token": token.group(1) if token else "",
                                     "nonce": nonce.group(1) if nonce else "", "website": "",
                                     "comment": "Pelayanan baik (uji beban)."})
                        status, _, hdrs = citizen.request("POST", f"/publik/u/{slug}", form)
                        ok_status = (302,)
                        if status == 302 and "terima-kasih" in hdrs.get("Location", ""):
                            with lock:
                                feedback_ok[0] += 1
            except Exception as exc:  # network error: count it, keep going
                with lock:
                    errors.append((kind, -1, repr(exc)[:120]))
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                lat[kind].append(elapsed)
                if status not in ok_status:
                    errors.append((kind, status, ""))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start

    after = snapshot(env)
    approved_now = approved_status(env, sent_approvals) if sent_approvals else 0
    lost_approvals = len(sent_approvals) - approved_now
    lost_feedback = feedback_ok[0] - (after["feedback"] - before["feedback"])
    total = sum(len(v) for v in lat.values())
    figures = {
        "employees": args.employees, "duration_s": round(wall, 1), "clients": args.clients,
        "workers": args.workers, "requests": total, "rps": round(total / wall, 1),
        "errors": len(errors), "lost_writes": lost_approvals + abs(lost_feedback),
        "approvals_sent": len(sent_approvals), "feedback_stored": feedback_ok[0],
    }
    for kind, values in lat.items():
        figures[f"{kind}_n"] = len(values)
        figures[f"{kind}_p50_ms"] = round(percentile(values, 50), 1)
        figures[f"{kind}_p95_ms"] = round(percentile(values, 95), 1)
        figures[f"{kind}_p99_ms"] = round(percentile(values, 99), 1)
    all_values = [v for vs in lat.values() for v in vs]
    figures.update(p50_ms=round(percentile(all_values, 50), 1), p95_ms=round(percentile(all_values, 95), 1),
                   p99_ms=round(percentile(all_values, 99), 1),
                   mean_ms=round(statistics.fmean(all_values), 1) if all_values else 0)
    print(f"{total} requests in {wall:.1f} s: {figures['rps']} req/s, {len(errors)} errors, "
          f"{figures['lost_writes']} lost writes")
    print(f"{'kind':<14}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, values in lat.items():
        print(f"{kind:<14}{len(values):>7}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}"
              f"{percentile(values, 99):>10.1f}")
    for e in errors[:10]:
        print("error:", e)
    list_p95 = max(figures["list_p95_ms"], figures["filter_p95_ms"])
    print(f"goal: zero errors, zero lost writes, list p95 < 300 ms -> "
          f"{'met' if not errors and not figures['lost_writes'] and list_p95 < 300 else 'NOT met'}")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description="kinerja-admin load test (loopback only)")
    ap.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/kinerja_load")
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reuse", action="store_true", help="reuse the existing database (no rebuild)")
    args = ap.parse_args()
    if args.duration > 600:
        raise SystemExit("--duration is capped at 600 s")
    figures = run(args)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
