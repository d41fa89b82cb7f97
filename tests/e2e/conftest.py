"""Browser tests: the real app served on 127.0.0.1 (its own SQLite file with the demo city),
driven by Playwright with the system Chromium. Skipped, with the reason, when Chromium or
Playwright is absent, and on the server-database passes (they test the UI, not the database)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "E2e#Binjai2026"
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    reason = None
    if os.environ.get("KINERJA_TEST_DATABASE_URL"):
        reason = "browser tests run once, in the SQLite pass"
    elif CHROMIUM is None:
        reason = "Chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason:
        for item in items:
            if "e2e" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{work / 'e2e.db'}", SECRET_KEY="e2e-secret-key",
               RATELIMIT_ENABLED="0", PYTHONPATH=str(ROOT))
    env.pop("KINERJA_TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["kinerja", "demo", "--employees", "40", "--seed", "5", "--password", PASSWORD],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(work / "server.log", "w")
    proc = subprocess.Popen(flask + ["run", "--port", str(port), "--no-reload"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("the app did not start: " + (work / "server.log").read_text()[-2000:])
    yield {"base": base, "db": work / "e2e.db", "env": env}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(accept_downloads=True, locale="id-ID")
    pg = context.new_page()
    # Anything the Content-Security-Policy blocked (an inline handler or script it does not allow)
    # shows up on the console; the flows must run without any.
    blocked = []
    pg.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not blocked, f"blocked by the Content-Security-Policy: {blocked}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def login(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
