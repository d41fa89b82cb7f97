"""Background jobs on the real queue: huey's SQLite storage with the consumer thread inside the web
process (the embedded default of the README's first command) and Redis (database 2) with a separate
worker process (`flask kinerja worker`, production). The rest of the suite runs jobs in immediate mode.

What a clerk relies on: a job started from the admin runs off the request, its progress is visible
while it runs, the workbook is downloadable by its owner only (or roles that may export everything),
a failing job says why in Indonesian and leaves nothing half-written, and a job never runs with more
rights than its user has.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from kinerja_admin import create_app
from kinerja_admin.extensions import db
from models import AuditLog, Employee, Job, ScoreResult, Unit, User, WorkPlan
from tests.conftest import login_as

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("KINERJA_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


def _redis_or_skip():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except Exception as err:  # pragma: no cover - depends on the machine
        if os.environ.get("KINERJA_TEST_REQUIRE_REDIS") == "1":  # CI: the queue must be tested on Redis
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {err}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {err}")
    client.flushdb()  # database 2 belongs to these tests
    return client


def wait_for(job_id: int, *, until=lambda j: not j.active, timeout: float = 90.0) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job is not None and until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status if job else None}: {job.stage if job else ''}")
        time.sleep(0.1)


def _job_id(response) -> int:
    m = re.search(r"/admin/jobs/(\d+)/", response.headers.get("Location", ""))
    assert m, (response.status_code, response.headers.get("Location"))
    return int(m.group(1))


@pytest.fixture
def sqlite_queue_app(app_config, tmp_path, app):
    """A second app on the same database whose queue is the embedded default (huey SQLite storage and
    a consumer thread in this process)."""

    class Embedded(app_config):
        KINERJA_QUEUE_URL = f"sqlite:///{tmp_path / 'queue.db'}"
        KINERJA_JOB_DIR = str(tmp_path / "jobs")

    queue_app = create_app(Embedded)
    yield queue_app
    queue_app.extensions["kinerja_jobs"].stop_consumer(graceful=True)


@pytest.fixture
def redis_worker(app_config, tmp_path, app, database_url):
    """An app whose queue is Redis, and a separate worker process (`flask kinerja worker`)."""
    _redis_or_skip()

    class OnRedis(app_config):
        KINERJA_QUEUE_URL = REDIS_URL
        KINERJA_JOB_DIR = str(tmp_path / "jobs")

    queue_app = create_app(OnRedis)
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test-secret-key-not-for-production",
               KINERJA_QUEUE_URL=REDIS_URL, KINERJA_JOB_DIR=str(tmp_path / "jobs"), PYTHONPATH=str(ROOT),
               RATELIMIT_ENABLED="0")
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "kinerja", "worker", "--workers", "1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield queue_app
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
    log.close()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_scoring_runs_as_a_job_with_progress_on_the_real_queue(backend, request, demo):
    queue_app = request.getfixturevalue("sqlite_queue_app" if backend == "sqlite" else "redis_worker")
    client = queue_app.test_client()
    operator = demo["users"]["operator"]
    login_as(client, operator)
    period = demo["periods"]["2025"]
    rv = client.post("/admin/period/action/", data={"action": "hitung_nilai", "rowid": [str(period.id)],
                                                    "url": "/admin/period/"})
    job_id = _job_id(rv)  # the request returned at once with the job's page
    job = wait_for(job_id)
    assert job.status == "done", (job.status, job.error)
    scorable = db.session.scalar(select(func.count()).select_from(WorkPlan).where(
        WorkPlan.period_id == period.id, WorkPlan.status.in_(("approved", "realised", "assessed", "final"))))
    assert job.total == scorable and job.done == 60 and job.stage == "Selesai"
    assert "nilai dihitung" in job.message and job.user_id == operator.id and job.scope_role == "operator"
    assert db.session.scalar(select(func.count()).select_from(ScoreResult)
                             .where(ScoreResult.period_id == period.id)) == 60
    assert db.session.scalar(select(AuditLog.username).where(AuditLog.action == "score")) == "operator"
    page = client.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    assert "Selesai" in page and "nilai dihitung" in page
    status = client.get(f"/admin/jobs/{job_id}/status.json").get_json()
    assert status["status"] == "done" and status["percent"] == 100


def _opd_key(app, endpoint="score_result"):
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    return next(f"flt0_{k}" for k, (_i, f) in view._filter_args.items() if type(f).__name__ == "OpdFilter")


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_export_of_one_opd_runs_as_a_job_and_downloads(backend, request, published):
    queue_app = request.getfixturevalue("sqlite_queue_app" if backend == "sqlite" else "redis_worker")
    client = queue_app.test_client()
    login_as(client, published["users"]["operator"])
    dinkes = db.session.scalar(select(Unit).where(Unit.code == "DINKES"))
    from kinerja_admin.orgtree import unit_subtree

    units = unit_subtree(db.session, dinkes.id)
    expected = set(db.session.scalars(select(Employee.nip).join(ScoreResult, ScoreResult.employee_id == Employee.id)
                                      .where(ScoreResult.unit_id.in_(units))))
    assert len(units) > 1 and len(expected) > 1
    rv = client.get(f"/admin/score_result/export-xlsx/?{_opd_key(queue_app)}={dinkes.id}")
    job = wait_for(_job_id(rv))
    assert job.status == "done", job.error
    assert job.total == len(expected) == job.done and "Dinas Kesehatan" in job.title
    rv = client.get(f"/admin/jobs/{job.id}/unduh")
    assert rv.status_code == 200 and "dinkes" in rv.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(rv.data), read_only=True)
    rows = list(wb["Nilai Pegawai"].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == expected
    # a pegawai cannot see or fetch the clerk's job; an inspector (may export everything) can
    login_as(client, published["users"]["pegawai"])
    assert client.get(f"/admin/jobs/{job.id}/unduh").status_code == 404
    assert client.get(f"/admin/jobs/{job.id}/").status_code == 404
    assert f"tugas-{job.id}" not in client.get("/admin/jobs/").get_data(as_text=True)
    login_as(client, published["users"]["inspektur"])
    assert client.get(f"/admin/jobs/{job.id}/unduh").status_code == 200


def test_progress_is_visible_while_the_export_runs(sqlite_queue_app, published, monkeypatch):
    """The job page's status shows the stage and the rows while the worker is still writing."""
    from kinerja_admin.excel import exporter

    release = threading.Event()
    original = exporter._Export._employee_sheet

    def held(*args, **kwargs):
        release.wait(30)  # the worker stops here until the test has seen the progress
        return original(*args, **kwargs)

    monkeypatch.setattr(exporter._Export, "_employee_sheet", held)
    client = sqlite_queue_app.test_client()
    login_as(client, published["users"]["operator"])
    job_id = _job_id(client.get("/admin/score_result/export-xlsx/"))
    try:
        running = wait_for(job_id, until=lambda j: j.status == "running" and j.total, timeout=30)
        status = client.get(f"/admin/jobs/{job_id}/status.json").get_json()
        assert status["active"] and status["total"] == 60 and status["stage"].startswith("Menulis lembar")
        page = client.get("/admin/score_result/").get_data(as_text=True)  # any admin page shows the running job
        assert 'id="tugas-berjalan"' in page and running.title in page
    finally:
        release.set()
    job = wait_for(job_id)
    assert job.status == "done" and job.done == 60


def test_failed_import_leaves_nothing_half_written(sqlite_queue_app, demo, monkeypatch, tmp_path):
    """The import job dies after units and positions were written: everything rolls back, the job
    says so in Indonesian, and no upload or partial file stays behind."""
    from kinerja_admin.excel import importer
    from tests.test_excel_import import workbook

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer.Writer, "employees", boom)
    units_before = db.session.scalar(select(func.count()).select_from(Unit))
    client = sqlite_queue_app.test_client()
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/excel_import/", data={"file": (io.BytesIO(workbook()), "pegawai.xlsx")},
                     content_type="multipart/form-data")
    job = wait_for(_job_id(rv))
    assert job.status == "failed" and job.file_path is None
    assert "Tidak ada data yang diubah" in job.error and "disk full" not in job.error
    assert db.session.scalar(select(func.count()).select_from(Unit)) == units_before
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 0
    assert list((tmp_path / "jobs").glob("*")) == []  # the upload was removed too


def test_scoring_error_is_reported_in_indonesian_and_changes_nothing(app, client, demo):
    period = demo["periods"]["2025"]
    period.scheme_id = None
    db.session.commit()
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/period/action/", data={"action": "hitung_nilai", "rowid": [str(period.id)],
                                                    "url": "/admin/period/"}, follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert "belum memiliki skema penilaian" in html and "Gagal" in html
    assert db.session.scalar(select(func.count()).select_from(ScoreResult)) == 0


def test_job_stops_when_its_user_lost_the_rights_it_started_with(app, demo):
    """Queued as operator; the account becomes a pegawai before a worker takes the job."""
    from kinerja_admin.jobs.runner import run_job

    operator = demo["users"]["operator"]
    job = Job(kind="score", title="Hitung nilai periode 2025", params={"period_id": demo["periods"]["2025"].id},
              status="queued", stage="", done=0, user_id=operator.id, scope_role="operator", scope_employee_id=None)
    db.session.add(job)
    user = db.session.get(User, operator.id)
    user.role, user.employee_id = "pegawai", demo["employees"][3].id
    db.session.commit()
    run_job(app, job.id)
    job = wait_for(job.id)
    assert job.status == "failed" and "Hak akses" in job.error
    assert db.session.scalar(select(func.count()).select_from(ScoreResult)) == 0


def test_same_job_twice_is_not_started_twice(app, client, demo):
    """A double click while the first is still waiting gives the same job."""
    from kinerja_admin.jobs import start_job

    operator = demo["users"]["operator"]
    job = Job(kind="score", title="x", params={"period_id": demo["periods"]["2025"].id}, status="running",
              stage="", done=0, user_id=operator.id, scope_role="operator")
    db.session.add(job)
    db.session.commit()
    again, started = start_job("score", "x", {"period_id": demo["periods"]["2025"].id}, user=operator)
    assert not started and again.id == job.id
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_cli_shows_progress_of_the_same_work(app, demo, tmp_path):
    runner = app.test_cli_runner()
    res = runner.invoke(args=["kinerja", "score", "2025"])
    assert res.exit_code == 0, res.output
    assert "Menghitung dan menyimpan nilai" in res.output and "60 nilai dihitung" in res.output
    out = tmp_path / "dinkes.xlsx"
    res = runner.invoke(args=["kinerja", "export", "2025", "--opd", "DINKES", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Menulis lembar Nilai Pegawai" in res.output and "baris" in res.output
    dinkes = db.session.scalar(select(Unit.id).where(Unit.code == "DINKES"))
    from kinerja_admin.orgtree import unit_subtree

    n = db.session.scalar(select(func.count()).select_from(ScoreResult).where(
        ScoreResult.unit_id.in_(unit_subtree(db.session, dinkes))))
    assert f"{n} pegawai" in res.output


def test_job_left_running_by_a_dead_worker_is_reported_failed(app, demo):
    import datetime as dt

    from kinerja_admin.jobs import fail_stale_jobs
    from models.base import utcnow

    operator = demo["users"]["operator"]
    old = Job(kind="export", title="lama", params={}, status="running", stage="Menulis", done=5, total=60,
              user_id=operator.id, scope_role="operator", heartbeat_at=utcnow() - dt.timedelta(hours=3))
    fresh = Job(kind="export", title="baru", params={}, status="running", stage="Menulis", done=5, total=60,
                user_id=operator.id, scope_role="operator", heartbeat_at=utcnow())
    db.session.add_all([old, fresh])
    db.session.commit()
    assert fail_stale_jobs(db.session) == 1
    db.session.expire_all()
    assert db.session.get(Job, old.id).status == "failed" and "Tugas terhenti" in db.session.get(Job, old.id).error
    assert db.session.get(Job, fresh.id).status == "running"


def test_old_result_files_are_removed_but_the_job_stays(app, demo, tmp_path):
    import datetime as dt

    from kinerja_admin.jobs import purge_old_files
    from models.base import utcnow

    path = tmp_path / "lama.xlsx"
    path.write_bytes(b"PK")
    operator = demo["users"]["operator"]
    job = Job(kind="export", title="lama", params={}, status="done", stage="Selesai", done=1, total=1,
              user_id=operator.id, scope_role="operator", file_path=str(path), file_name="x.xlsx", message="Siap.",
              finished_at=utcnow() - dt.timedelta(days=8))
    db.session.add(job)
    db.session.commit()
    assert purge_old_files(db.session, days=7) == 1
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert not path.exists() and job.file_path is None and "sudah dihapus" in job.message
