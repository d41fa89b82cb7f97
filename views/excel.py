"""Excel in the admin: the master-data upload page (operator/admin) and the inspector export
endpoint mixed into ScoreResultView. Business rules live in kinerja_admin.excel."""
from __future__ import annotations

import os
import re
import tempfile

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from kinerja_admin.excel.template import XLSX_MIME, build_template
from kinerja_admin.settings import get_setting
from models import Period, ScoreResult, db

from .base import SecuredBaseView


def upload_limit_bytes() -> int:
    """The smaller of the operator setting upload.max_mb and the app's MAX_CONTENT_LENGTH."""
    limit = int(get_setting("upload.max_mb")) * 1024 * 1024
    app_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, app_limit) if app_limit else limit


class ExcelImportView(SecuredBaseView):
    """Impor data induk dari Excel: templat, unggah (uji coba atau simpan), daftar kesalahan."""

    def _may_write(self) -> bool:
        return self._right("c")

    @expose("/", methods=["GET"])
    def index(self):
        return self.render("excel/import.html", report=None, limit_mb=upload_limit_bytes() // (1024 * 1024),
                           error_token=None, may_write=self._may_write())

    @expose("/templat/")
    def template(self):
        data = build_template(db.session)
        tmp = tempfile.SpooledTemporaryFile()
        tmp.write(data)
        tmp.seek(0)
        return send_file(tmp, mimetype=XLSX_MIME, as_attachment=True, download_name="templat-impor-e-kinerja.xlsx")

    @expose("/", methods=["POST"])
    def upload(self):
        if not self._may_write():
            abort(403)
        limit = upload_limit_bytes()
        limit_mb = limit // (1024 * 1024)

        def too_big():
            flash(f"Berkas terlalu besar: ukuran maksimal unggahan adalah {limit_mb} MB. Bagi data menjadi "
                  "beberapa berkas lalu unggah satu per satu.", "error")
            return self.render("excel/import.html", report=None, limit_mb=limit_mb, error_token=None,
                               may_write=True), 413

        if request.content_length is not None and request.content_length > limit:
            return too_big()
        try:
            request.max_content_length = limit
        except AttributeError:  # pragma: no cover - Flask < 3.1
            pass
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            return too_big()
        if upload is None or not upload.filename:
            flash("Pilih berkas Excel (.xlsx) yang akan diimpor.", "error")
            return redirect(url_for(".index"))
        dry_run = bool(request.form.get("dry_run"))
        # The upload is kept in the job folder and checked/imported by a background job
        # (kinerja_admin.jobs): a 10 000-row file no longer holds a web worker until it is killed.
        from kinerja_admin.jobs import start_job
        from kinerja_admin.jobs.handlers import new_file

        filename = os.path.basename(upload.filename)
        path = new_file(current_app._get_current_object(), "unggahan")
        upload.save(str(path))
        what = "Uji coba impor" if dry_run else "Impor"
        job, started = start_job("import", f"{what} {filename}",
                                 {"upload": str(path), "filename": filename, "dry_run": dry_run}, user=current_user)
        if not started and job.error:
            flash(job.error, "error")
        return redirect(url_for("jobs.detail", job_id=job.id))


class ScoreResultExportMixin:
    """`/export-xlsx/` on the score result list: the inspector workbook of one period, obeying
    the row scope (through get_query) and the list's current filters and search."""

    list_template = "excel/score_result_list.html"

    def export_spec(self):
        """(period, condition on ScoreResult, filters in words) of the list's current filters and
        search inside the user's row scope, or None when nothing matches. Used by the export job."""
        args = self._get_list_extra_args()
        _, query = self.get_list(0, None, False, args.search, args.filters, execute=False, page_size=0)
        ids = query.enable_eagerloads(False).with_entities(ScoreResult.id).order_by(None)
        selected = ScoreResult.id.in_(ids.subquery().select())
        periods = list(db.session.scalars(
            select(Period).where(Period.id.in_(select(ScoreResult.period_id).where(selected)))
            .order_by(Period.start_date.desc(), Period.id.desc())))
        wanted = request.args.get("periode")
        period = next((p for p in periods if p.code == wanted), None) if wanted else (periods[0] if periods else None)
        if period is None:
            return None
        desc = self.filters_in_words(args.search, args.filters)
        if len(periods) > 1:
            desc.append(f"periode {period.code} (terbaru dari {len(periods)} periode pada daftar)")
        return period, selected, desc

    @expose("/export-xlsx/")
    def export_xlsx(self):
        """The inspector workbook of the list's current filters (one OPD with the OPD filter, the whole
        city without) as a background job: the clerk watches its progress and downloads it on
        /admin/jobs/."""
        if not self.can_export:
            abort(403)
        spec = self.export_spec()
        if spec is None:
            flash("Tidak ada hasil penilaian untuk diekspor dengan penyaringan ini.", "error")
            return redirect(self.get_url(".index_view", **{k: v for k, v in request.args.items()}))
        period, _selected, desc = spec
        from kinerja_admin.jobs import start_job

        args = request.args.to_dict()
        params = {"endpoint": self.endpoint, "args": args, "opd_slug": self._opd_slug()}
        scope = "; ".join(desc) if desc else "seluruh pegawai"
        job, started = start_job("export", f"Ekspor Excel periode {period.code} ({scope})", params,
                                 user=current_user, period_id=period.id)
        if not started and job.error:
            flash(job.error, "error")
        elif not started:
            flash(f"Ekspor yang sama sedang berjalan (tugas no. {job.id}).", "info")
        return redirect(url_for("jobs.detail", job_id=job.id))

    def _opd_slug(self) -> str | None:
        """A short name of the OPD filtered on (for the file name), if exactly one."""
        from kinerja_admin.opd import OpdFilter, tree

        args = self._get_list_extra_args()
        found = [value for idx, _name, value in args.filters or [] if isinstance(self._filters[idx], OpdFilter)]
        if len(found) != 1:
            return None
        unit = tree().units.get(OpdFilter._int(found[0]))
        return re.sub(r"[^a-z0-9]+", "-", (unit.code or unit.name).lower()).strip("-") if unit else None
