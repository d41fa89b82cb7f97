"""The README's production setup, installed and started as documented (issue 15, finding 6):
`pip install '.[postgres,prod]'` into a fresh virtualenv, `flask --app wsgi kinerja init` against a
fresh PostgreSQL database with Redis limiter storage and KINERJA_ENV=production, then gunicorn with
2 workers (the shipped gunicorn.conf.py). Checks /healthz, the headers (no Server banner, HSTS) and
that a rate limit is counted once across the workers.

Runs once per CI run (the SQLite pass, like the browser tests); skips with the reason when
PostgreSQL or Redis is unreachable. KINERJA_PRODTEST_REUSE_VENV=1 uses the current virtualenv
instead of installing (the packages must then already be there). KINERJA_PRODTEST_DATABASE names the
PostgreSQL database it drops and recreates (default kinerja_prodtest); KINERJA_TEST_REDIS_URL the
Redis database it uses (default redis://127.0.0.1:6379/1; its keys are flushed).
"""
from __future__ import annotations

import concurrent.futures
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG = ("127.0.0.1", 5432)
REDIS_URL = os.environ.get("KINERJA_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
DB_NAME = os.environ.get("KINERJA_PRODTEST_DATABASE", "kinerja_prodtest")

pytestmark = [pytest.mark.slow]


def _reachable(host, port) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def setup_env(tmp_path_factory):
    if os.environ.get("KINERJA_TEST_DATABASE_URL"):
        pytest.skip("runs once, in the SQLite pass (this pass targets a server test database)")
    if not _reachable(*PG):
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    redis_host = urllib.parse.urlsplit(REDIS_URL)
    if not _reachable(redis_host.hostname or "127.0.0.1", redis_host.port or 6379):
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    import psycopg

    with psycopg.connect(f"host={PG[0]} port={PG[1]} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()

    work = tmp_path_factory.mktemp("prod")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "instance", "__pycache__",
                                                             "test-artifacts", "*.egg-info", "build"))
    if os.environ.get("KINERJA_PRODTEST_REUSE_VENV"):
        bindir = Path(sys.executable).parent
    else:
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        res = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", ".[postgres,prod]"], cwd=src,
                             capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, res.stderr[-3000:]
        bindir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KINERJA_", "RATELIMIT_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"postgresql+psycopg://postgres@{PG[0]}:{PG[1]}/{DB_NAME}",
               SECRET_KEY="prod-test-" + "0" * 40, KINERJA_ENV="production", RATELIMIT_STORAGE_URI=REDIS_URL,
               SESSION_COOKIE_SECURE="0", PATH=f"{bindir}:{env.get('PATH', '')}")
    yield {"bin": bindir, "src": src, "env": env}
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_documented_production_setup_installs_initialises_and_serves(setup_env):
    bindir, src, env = setup_env["bin"], setup_env["src"], setup_env["env"]
    # memory:// storage is refused in production (several workers would each count on their own)
    res = subprocess.run([str(bindir / "flask"), "--app", "wsgi", "kinerja", "init"], cwd=src,
                         env=env | {"RATELIMIT_STORAGE_URI": "memory://"}, capture_output=True, text=True)
    assert res.returncode != 0 and "RATELIMIT_STORAGE_URI" in res.stderr
    res = subprocess.run([str(bindir / "flask"), "--app", "wsgi", "kinerja", "init"], cwd=src, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]

    port = _free_port()
    log = open(src / "gunicorn.log", "w")
    server = subprocess.Popen([str(bindir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=src, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=20) as rv:
                    health = rv.status, rv.headers
                break
            except OSError:  # not listening yet, or still booting
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            health = None
        assert health is not None and health[0] == 200, (src / "gunicorn.log").read_text()[-3000:]
        assert "Server" not in health[1]
        assert health[1]["Strict-Transport-Security"].startswith("max-age=31536000")

        # the login limit (20 per minute per client) counted once across both workers
        def attempt(i):
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            html = opener.open(base + "/login", timeout=30).read().decode()
            token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
            body = urllib.parse.urlencode({"csrf_token": token, "username": f"tamu{i}", "password": "salah"}).encode()
            try:
                with opener.open(base + "/login", data=body, timeout=30) as rv:
                    return rv.status, rv.headers.get("X-RateLimit-Remaining")
            except urllib.error.HTTPError as err:
                return err.code, err.headers.get("X-RateLimit-Remaining")

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(attempt, range(26)))
        served = [r for r in results if r[0] != 429]
        # 4 concurrent clients on 2 workers: with per-worker counting (memory://) all 26 would pass
        assert len(served) == 20, results
        assert all(r[0] == 200 for r in served), results
        pids = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(pids) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
