"""`/admin/jobs/`: the user's background jobs (scoring, inspector export, import) with progress,
result, Indonesian error and the download of a finished file. Jobs are started from their pages
(period list, score result list, import page); kinerja_admin.jobs runs them."""
from __future__ import annotations

from flask import abort, jsonify, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from kinerja_admin import permissions
from kinerja_admin.jobs import user_jobs
from kinerja_admin.scope import is_unscoped
from models import Job, db
from models.jobs import JOB_KINDS, JOB_STATUSES

from .base import SecuredBaseView

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# who besides the owner may see a job and fetch its file: the roles that may run that work over
# every row (so a file never shows them more than they could see themselves)
SHARED_WITH = {"score": ("period", "a"), "export": ("score_result", "x"), "import": ("excel_import", "c"),
               "periodic": ("periodik", "x")}


def may_see(job: Job, user) -> bool:
    """The owner, while they still have the role and employee the job ran with (a file never outlives
    the rights it was made with), or a role that may run that work over every row."""
    if job.user_id == user.id and user.role == job.scope_role and user.employee_id == job.scope_employee_id:
        return True
    endpoint, right = SHARED_WITH[job.kind]
    return is_unscoped(user) and permissions.can(endpoint, user.role, right)


def job_status(job: Job) -> dict:
    from kinerja_admin.formatting import waktu

    return {"id": job.id, "status": job.status, "status_label": JOB_STATUSES.get(job.status, job.status),
            "stage": job.stage, "done": job.done, "total": job.total, "percent": job.percent,
            "message": job.message, "error": job.error, "active": job.active,
            "finished_at": waktu(job.finished_at) if job.finished_at else None,
            "download_url": url_for("jobs.download", job_id=job.id) if job.file_path and job.status in (
                "done", "failed") else None}


def _resume_embedded(jobs) -> None:
    """Embedded queue: a job still waiting after a restart of the web process gets a consumer again
    as soon as someone looks at it (otherwise only the next started job would wake one)."""
    if any(j.status == "queued" for j in jobs):
        from kinerja_admin.jobs.queue import get_queue

        get_queue().ensure_consumer()


class JobsView(SecuredBaseView):
    extra_js = None

    def _get(self, job_id: int) -> Job:
        job = db.session.get(Job, job_id)
        if job is None or not may_see(job, current_user):
            abort(404)
        return job

    def _everyone_allowed(self) -> bool:
        return is_unscoped(current_user) and current_user.role in ("admin", "operator")

    @expose("/")
    def index(self):
        everyone = self._everyone_allowed() and request.args.get("semua") == "1"
        jobs = [j for j in user_jobs(db.session, current_user, everyone=everyone) if may_see(j, current_user)]
        _resume_embedded(jobs)
        return self.render("admin/jobs/index.html", jobs=jobs, kinds=JOB_KINDS, statuses=JOB_STATUSES,
                           everyone=everyone, may_everyone=self._everyone_allowed(), status_of=job_status)

    @expose("/<int:job_id>/")
    def detail(self, job_id: int):
        job = self._get(job_id)
        _resume_embedded([job])
        return self.render("admin/jobs/detail.html", job=job, kinds=JOB_KINDS, statuses=JOB_STATUSES,
                           info=job_status(job), result=job.result or {})

    @expose("/<int:job_id>/status.json")
    def status(self, job_id: int):
        resp = jsonify(job_status(self._get(job_id)))
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @expose("/<int:job_id>/unduh")
    def download(self, job_id: int):
        import os

        job = self._get(job_id)
        if not job.file_path or not os.path.isfile(job.file_path):
            abort(404)
        return send_file(job.file_path, mimetype=XLSX_MIME, as_attachment=True,
                         download_name=job.file_name or f"tugas-{job.id}.xlsx")
