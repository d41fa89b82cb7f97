"""Excel in the admin: the master-data upload page (operator/admin) and the inspector export
endpoint mixed into ScoreResultView. Business rules live in kinerja_admin.excel."""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from kinerja_admin.excel.importer import error_workbook, import_workbook
from kinerja_admin.excel.template import XLSX_MIME, build_template
from kinerja_admin.settings import get_setting
from models import Period, ScoreResult, db

from .base import SecuredBaseView

ERROR_TTL_SECONDS = 24 * 3600


def _error_dir() -> Path:
    path = Path(current_app.instance_path) / "excel-errors"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _purge_old(path: Path) -> None:
    now = time.time()
    for f in path.glob("*.xlsx"):
        try:
            if now - f.stat().st_mtime > ERROR_TTL_SECONDS:
                f.unlink()
        except OSError:
            pass


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
        try:
            report = import_workbook(upload, session=db.session, dry_run=dry_run, user=current_user,
                                     filename=os.path.basename(upload.filename))
        except Exception:
            db.session.rollback()
            raise
        token = None
        if not report.ok:
            db.session.rollback()
            path = _error_dir()
            _purge_old(path)
            token = secrets.token_hex(16)
            (path / f"{current_user.id}-{token}.xlsx").write_bytes(error_workbook(report))
            flash(f"Impor dibatalkan: {len(report.errors)} kesalahan ditemukan. Tidak ada data yang disimpan.",
                  "error")
        elif dry_run:
            db.session.rollback()
            flash(f"Uji coba berhasil, tidak ada data yang disimpan. {report.summary()}.", "info")
        else:
            db.session.commit()
            flash(f"Impor berhasil. {report.summary()}.", "success")
        return self.render("excel/import.html", report=report, limit_mb=limit_mb, error_token=token,
                           may_write=True)

    @expose("/kesalahan/<token>/")
    def errors(self, token: str):
        if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
            abort(404)
        path = _error_dir() / f"{current_user.id}-{token}.xlsx"
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype=XLSX_MIME, as_attachment=True, download_name="kesalahan-impor.xlsx")


class ScoreResultExportMixin:
    """`/export-xlsx/` on the score result list: the inspector workbook of one period, obeying
    the row scope (through get_query) and the list's current filters and search."""

    list_template = "excel/score_result_list.html"

    @expose("/export-xlsx/")
    def export_xlsx(self):
        if not self.can_export:
            abort(403)
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
            flash("Tidak ada hasil penilaian untuk diekspor dengan penyaringan ini.", "error")
            return redirect(self.get_url(".index_view", **{k: v for k, v in request.args.items()}))
        desc = []
        if args.search:
            desc.append(f"pencarian '{args.search}'")
        for idx, name, value in args.filters or []:
            flt = self._filters[idx]
            desc.append(f"{name} {flt.operation()} {value}")
        if len(periods) > 1:
            desc.append(f"periode {period.code} (terbaru dari {len(periods)} periode pada daftar)")
        from kinerja_admin.excel.exporter import export_period

        fd, tmp = tempfile.mkstemp(prefix="ekspor-", suffix=".xlsx")
        os.close(fd)
        try:
            export_period(period, tmp, session=db.session, user=current_user, result_filter=selected,
                          filter_desc="Penyaringan: " + "; ".join(desc) if desc else "",
                          generated_by=current_user.username,
                          instance_name=current_app.config.get("KINERJA_INSTANCE_NAME", "BKPSDM"))
            db.session.rollback()
            fh = open(tmp, "rb")
        finally:
            # the open handle keeps the data readable on POSIX after the unlink
            try:
                os.unlink(tmp)
            except OSError:  # pragma: no cover - Windows keeps the file until closed
                pass
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        return send_file(fh, mimetype=XLSX_MIME, as_attachment=True,
                         download_name=f"hasil-penilaian-{period.code}-{stamp}.xlsx")
