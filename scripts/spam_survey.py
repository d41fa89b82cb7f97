#!/usr/bin/env python
"""Ballot-stuffing run against the citizen survey under the production setup (issue 15): gunicorn
with 4 workers, Redis limiter storage, KINERJA_ENV=production, one trusted proxy hop (this script
plays the proxy and sets X-Forwarded-For). Bounded: a few hundred requests to 127.0.0.1 only.

    python scripts/spam_survey.py [--database-url URL] [--redis redis://127.0.0.1:6379/1]
                                  [--employees 300] [--attempts 40] [--workers 4]

Phases: 12 ordinary citizens (own addresses, own devices); attack A: one address posting the worst
answers and naming one officer, clearing its respondent cookie before every form (new "device");
attack B: one device re-sending its pre-submit cookies and form 3 times; attack C: the same worst
answers from 40 addresses, 40 devices. Reports accepted/attempted per phase (HTTP: redirected to the
thank-you page), what the database stored, counted and held back, and the unit's IKM and the
officer's masyarakat score before and after. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from load_test import CSRF_RE, NONCE_RE, Client, free_port  # noqa: E402

SLUG = "dinkes"

PROBE = (
    "import json; from kinerja_admin import create_app; from models import *; from sqlalchemy import select, func\n"
    "from kinerja_admin.rating.feedback import feedback_period; from kinerja_admin.rating.ikm import ikm_for, masyarakat_scores\n"
    "from kinerja_admin.orgtree import unit_subtree\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    s = db.session; u = s.scalar(select(Unit).where(Unit.slug == 'dinkes')); p = feedback_period(s)\n"
    "    off = s.scalar(select(Employee.id).where(Employee.unit_id.in_(unit_subtree(s, u.id)), Employee.active.is_(True)).order_by(Employee.name, Employee.id))\n"
    "    ikm = ikm_for(s, p, unit_id=u.id); m = masyarakat_scores(s, p).get(off)\n"
    "    st = dict(s.execute(select(PublicFeedback.status, func.count()).where(PublicFeedback.period_id == p.id, PublicFeedback.unit_id == u.id).group_by(PublicFeedback.status)).all())\n"
    "    print(json.dumps({'officer': off, 'ikm': str(ikm.value) if ikm.value is not None else None, 'letter': ikm.letter,\n"
    "                      'ikm_responses': ikm.responses, 'masyarakat': str(m.scaled) if m else None,\n"
    "                      'masyarakat_responses': m.responses if m else 0, 'status': st}))\n"
)


def probe(env) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare(args, env) -> None:
    url = args.database_url
    if url.startswith("postgresql"):
        import psycopg

        dbname = url.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "kinerja", "demo", "--employees",
                    str(args.employees)], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def answer(port, address, answers: dict, *, keep: Client | None = None) -> tuple[bool, int]:
    """One citizen: GET the form, POST it. True when redirected to the thank-you page."""
    c = keep or Client(port)
    if keep is not None:
        c.forget("kinerja_responden")
    hdr = {"X-Forwarded-For": address, "User-Agent": "Mozilla/5.0 (spam-survey)"}
    status, html, _ = c.request("GET", f"/publik/u/{SLUG}", headers=hdr)
    if status != 200:
        return False, status
    form = dict(answers, csrf_token=CSRF_RE.search(html).group(1), nonce=NONCE_RE.search(html).group(1), website="")
    status, _, h = c.request("POST", f"/publik/u/{SLUG}", form, headers=hdr)
    return status == 302 and "terima-kasih" in h.get("Location", ""), status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/1")
    ap.add_argument("--employees", type=int, default=300)
    ap.add_argument("--attempts", type=int, default=40)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="spam-survey-")
    args.database_url = args.database_url or f"sqlite:///{Path(tmp) / 'spam.db'}"
    env = dict(os.environ, DATABASE_URL=args.database_url, SECRET_KEY="spam-survey-" + "0" * 40,
               KINERJA_ENV="production", RATELIMIT_STORAGE_URI=args.redis, SESSION_COOKIE_SECURE="0",
               KINERJA_PROXY_HOPS="1", KINERJA_HSTS_SECONDS="0")
    prepare(args, env)
    before = probe(env)
    print(f"sebelum: IKM {before['ikm']} ({before['letter']}) dari {before['ikm_responses']} respons; "
          f"masyarakat petugas {before['officer']}: {before['masyarakat']}", flush=True)
    port = free_port()
    log = open(Path(tmp) / "gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
    rng = random.Random(15)
    worst = {f"u{i}": "1" for i in range(1, 10)} | {"employee": str(before["officer"]), "employee_score": "1"}
    phases = {}
    try:
        for _ in range(120):
            try:
                if Client(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        t0 = time.perf_counter()
        ok = sum(answer(port, f"198.51.100.{i}", {f"u{k}": str(rng.randint(3, 4)) for k in range(1, 10)})[0]
                 for i in range(12))
        phases["citizens"] = {"attempted": 12, "accepted": ok}
        before = probe(env) | {"officer": before["officer"]}  # the honest baseline the spam aims at
        print(f"sesudah 12 warga: IKM {before['ikm']} ({before['letter']}) dari {before['ikm_responses']} respons",
              flush=True)

        def attack_a(i):
            return answer(port, "203.0.113.66", worst, keep=Client(port))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            res = list(pool.map(attack_a, range(args.attempts)))
        phases["one_address"] = {"attempted": args.attempts, "accepted": sum(r[0] for r in res),
                                 "refused_429": sum(r[1] == 429 for r in res)}

        c = Client(port)
        hdr = {"X-Forwarded-For": "203.0.113.77"}
        _, html, _ = c.request("GET", f"/publik/u/{SLUG}", headers=hdr)
        saved = dict(c.cookies)
        form = dict(worst, csrf_token=CSRF_RE.search(html).group(1), nonce=NONCE_RE.search(html).group(1), website="")
        replays = []
        for _ in range(4):
            c.cookies = dict(saved)
            status, _, h = c.request("POST", f"/publik/u/{SLUG}", form, headers=hdr)
            replays.append(status == 302 and "terima-kasih" in h.get("Location", ""))
        phases["replay"] = {"attempted": 4, "accepted": sum(replays)}

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            res = list(pool.map(lambda i: answer(port, f"192.0.2.{i + 1}", worst), range(args.attempts)))
        phases["many_addresses"] = {"attempted": args.attempts, "accepted": sum(r[0] for r in res)}
        seconds = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    after = probe(env)
    attempted = sum(p["attempted"] for p in phases.values()) - 12
    accepted = sum(p["accepted"] for p in phases.values()) - phases["citizens"]["accepted"]
    for name, p in phases.items():
        print(f"  {name:15s} diterima {p['accepted']:3d} dari {p['attempted']:3d}"
              + (f" (429: {p['refused_429']})" if "refused_429" in p else ""), flush=True)
    print(f"status di basis data: {after['status']}")
    print(f"sesudah: IKM {after['ikm']} ({after['letter']}) dari {after['ikm_responses']} respons; "
          f"masyarakat petugas: {after['masyarakat']} ({after['masyarakat_responses']} respons)")
    print(json.dumps({"database": args.database_url.split(":")[0], "workers": args.workers, "seconds": round(seconds, 2),
                      "spam_attempted": attempted, "spam_accepted_http": accepted, "phases": phases,
                      "stored_by_status": after["status"], "ikm_before": before["ikm"], "ikm_after": after["ikm"],
                      "ikm_letter_before": before["letter"], "ikm_letter_after": after["letter"],
                      "ikm_responses_before": before["ikm_responses"], "ikm_responses_after": after["ikm_responses"],
                      "masyarakat_before": before["masyarakat"], "masyarakat_after": after["masyarakat"]}))


if __name__ == "__main__":
    main()
