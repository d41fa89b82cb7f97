"""Organisational performance in the admin: performance agreements, goals, programs / kegiatan /
sub kegiatan, their indicators and quarterly realisations, recorded policies (with their before /
after page), the cascade tree per OPD, the effectiveness pages and the programs workbook import.

Declarative configuration plus calls into kinerja_admin.planning; rights in
kinerja_admin.permissions, rows in kinerja_admin.scope (an OPD's people: their OPD only).
"""
from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField

from kinerja_admin.planning import PlanningError
from kinerja_admin.planning import rules as planning_rules
from kinerja_admin.reports.common import PERIOD_ARG
from kinerja_admin.scope import is_unscoped, scope_query, user_opd_id
from models import (
    OrgIndicator,
    Period,
    Program,
    Target,
    Unit,
    db,
)
from models.planning import POLICY_KINDS, PROGRAM_LEVELS, QUARTERS

from .base import DomainError, SecuredBaseView, SecuredModelView
from .org import EMPLOYEE_AJAX
from .workflow_actions import OptimisticLockMixin

CATEGORY = "Kinerja Organisasi"
PERIOD_OPD_LABELS = {"period": "Periode", "period.code": "Periode", "unit": "Perangkat daerah",
                     "unit.name": "Perangkat daerah", "created_at": "Dibuat", "updated_at": "Diubah",
                     "version": "Versi"}


def _label(mapping, attr):
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr))


def _opd_units():
    return db.session.query(Unit).filter(Unit.parent_id.is_(None)).order_by(Unit.name)


class _PlanningView(SecuredModelView):
    """Save checks from kinerja_admin.planning.rules (``rule``), messages shown as they are."""

    rule = None
    opd_fields: tuple = ()  # unit selects limited to OPDs (top-level units)

    def validate_model(self, model, is_created, form=None):
        if self.rule is None:
            return
        try:
            with db.session.no_autoflush:
                type(self).rule(db.session, model)
        except PlanningError as err:
            raise DomainError(str(err)) from None

    def _opd_selects(self, form):
        for name in self.opd_fields:
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "query_factory"):
                field.query_factory = lambda: _opd_units().all()
        return form

    def create_form(self, obj=None):
        return self._opd_selects(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._opd_selects(super().edit_form(obj))


PROGRAM_AJAX = {"fields": ("code", "name"), "page_size": 20, "minimum_input_length": 1,
                "placeholder": "Cari kode atau nama program/kegiatan"}
GOAL_AJAX = {"fields": ("code", "description"), "page_size": 20, "minimum_input_length": 0,
             "placeholder": "Cari kode atau uraian sasaran"}
INDICATOR_AJAX = {"fields": ("code", "description"), "page_size": 20, "minimum_input_length": 1,
                  "placeholder": "Cari kode atau uraian indikator"}


class PerformanceAgreementView(_PlanningView):
    rule = planning_rules.check_agreement
    opd_fields = ("unit",)
    column_list = ["period", "unit", "signed_on", "signatory"]
    column_default_sort = [("period_id", True), ("unit_id", False)]
    column_filters = ["period.code", "unit.name"]
    column_labels = {**PERIOD_OPD_LABELS, "signed_on": "Tanggal penandatanganan",
                     "signatory": "Kepala perangkat daerah", "note": "Catatan", "goals": "Sasaran strategis"}
    column_details_exclude_list = ["goals"]
    form_columns = ["period", "unit", "signed_on", "signatory", "note"]
    form_ajax_refs = {"signatory": EMPLOYEE_AJAX}


class StrategicGoalView(_PlanningView):
    rule = planning_rules.check_goal
    column_list = ["agreement", "code", "description"]
    column_default_sort = [("agreement_id", True), ("code", False)]
    column_searchable_list = ["code", "description"]
    column_labels = {"agreement": "Perjanjian kinerja", "code": "Kode", "description": "Sasaran strategis",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["agreement", "code", "description"]


class ProgramView(OptimisticLockMixin, _PlanningView):
    rule = planning_rules.check_program
    opd_fields = ("unit",)
    column_list = ["period", "unit", "level", "code", "name", "budget_ceiling", "budget_realised"]
    column_default_sort = [("period_id", True), ("unit_id", False), ("code", False)]
    column_searchable_list = ["code", "name"]
    column_filters = ["period.code", "unit.name", "level"]
    column_labels = {**PERIOD_OPD_LABELS, "level": "Tingkat", "code": "Kode", "name": "Nama",
                     "parent": "Induk", "goal": "Sasaran strategis", "budget_ceiling": "Pagu anggaran (Rp)",
                     "budget_realised": "Realisasi anggaran (Rp)", "children": "Kegiatan/sub kegiatan"}
    column_formatters = {"level": _label(PROGRAM_LEVELS, "level"),
                         "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
                             url_for("effectiveness.program", program_id=m.id), m.name)}
    column_details_exclude_list = ["children"]
    form_columns = ["period", "unit", "level", "code", "name", "parent", "goal", "budget_ceiling", "budget_realised"]
    form_overrides = {"level": SelectField}
    form_args = {"level": {"choices": list(PROGRAM_LEVELS.items()), "label": "Tingkat"}}
    form_ajax_refs = {"parent": PROGRAM_AJAX, "goal": GOAL_AJAX}


class OrgIndicatorView(OptimisticLockMixin, _PlanningView):
    rule = planning_rules.check_indicator
    column_list = ["period", "unit", "code", "description", "target_value", "unit_label", "weight"]
    column_default_sort = [("period_id", True), ("unit_id", False), ("code", False)]
    column_searchable_list = ["code", "description"]
    column_filters = ["period.code", "unit.name"]
    column_labels = {**PERIOD_OPD_LABELS, "goal": "Sasaran strategis (IKU)", "program": "Program/kegiatan",
                     "code": "Kode", "description": "Indikator", "unit_label": "Satuan", "target_value": "Target",
                     "lower_is_better": "Makin kecil makin baik", "weight": "Bobot (kosong = 1)",
                     "service": "Layanan publik terkait (IKM)", "realisations": "Realisasi"}
    column_formatters = {"description": lambda v, c, m, n: Markup('{} <a href="{}" class="small">(pegawai)</a>')
                         .format(m.description, url_for("effectiveness.people", indicator_id=m.id))}
    column_details_exclude_list = ["realisations"]
    form_columns = ["goal", "program", "code", "description", "unit_label", "target_value", "lower_is_better",
                    "weight", "service"]
    form_ajax_refs = {"goal": GOAL_AJAX, "program": PROGRAM_AJAX}


class OrgRealisationView(OptimisticLockMixin, _PlanningView):
    rule = planning_rules.check_realisation
    column_list = ["indicator", "quarter", "value", "evidence_url", "updated_at"]
    column_default_sort = ("id", True)
    column_filters = ["quarter"]
    column_labels = {"indicator": "Indikator", "quarter": "Triwulan", "value": "Realisasi (kumulatif s.d. triwulan)",
                     "evidence_url": "Tautan bukti", "note": "Catatan", "recorded_by": "Dicatat oleh",
                     "created_at": "Dicatat", "updated_at": "Diubah", "version": "Versi"}
    column_formatters = {"quarter": _label(QUARTERS, "quarter")}
    form_columns = ["indicator", "quarter", "value", "evidence_url", "note"]
    form_overrides = {"quarter": SelectField}
    form_args = {"quarter": {"choices": list(QUARTERS.items()), "coerce": int, "label": "Triwulan"}}
    form_ajax_refs = {"indicator": INDICATOR_AJAX}

    def on_model_change(self, form, model, is_created):
        if is_created and model.recorded_by_id is None:
            model.recorded_by_id = current_user.id
        super().on_model_change(form, model, is_created)


class PolicyChangeView(_PlanningView):
    rule = planning_rules.check_policy
    column_list = ["effective_date", "name", "kind", "units"]
    column_default_sort = ("effective_date", True)
    column_searchable_list = ["name"]
    column_labels = {"name": "Nama kebijakan/program", "kind": "Jenis", "effective_date": "Tanggal berlaku",
                     "description": "Uraian", "units": "Unit terdampak", "baseline_period": "Periode sebelum",
                     "comparison_period": "Periode sesudah", "created_at": "Dicatat", "updated_at": "Diubah"}
    column_formatters = {"kind": _label(POLICY_KINDS, "kind"),
                         "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
                             url_for("policy_change.impact_view", id=m.id), m.name)}
    form_columns = ["name", "kind", "effective_date", "description", "units", "baseline_period",
                    "comparison_period"]
    form_overrides = {"kind": SelectField}
    form_args = {"kind": {"choices": list(POLICY_KINDS.items()), "label": "Jenis"},
                 "baseline_period": {"label": "Periode sebelum (kosong: periode terakhir sebelum tanggal berlaku)"},
                 "comparison_period": {"label": "Periode sesudah (kosong: periode yang memuat tanggal berlaku)"},
                 "units": {"label": "Unit terdampak (termasuk sub-unitnya)"}}
    details_template = "admin/planning/policy_details.html"

    def on_model_change(self, form, model, is_created):
        """Column changes are audited by the ORM trail; the units concerned (a collection) here."""
        from sqlalchemy import inspect

        from kinerja_admin.audit import record

        history = inspect(model).attrs.units.history
        super().on_model_change(form, model, is_created)
        if not is_created and (history.added or history.deleted):
            before = sorted(u.code for u in (*history.unchanged, *history.deleted))
            after = sorted(u.code for u in (*history.unchanged, *history.added))
            record("update", "policy_change", model.id, changes={"units": [before, after]})

    @expose("/dampak/")
    def impact_view(self):
        from kinerja_admin.planning.impact import policy_impact

        policy = self.get_one(request.args.get("id"))
        data = policy_impact(db.session, policy)
        return self.render("admin/planning/impact.html", data=data, policy=policy, kinds=POLICY_KINDS)


# --- AJAX pickers of the Target form (RHK atasan, indicator of the OPD head) ----------------------------

class CascadeParentLoader(QueryAjaxModelLoader):
    """RHK atasan: only RHKs of the approved SKPs of the user's raters (kinerja_admin.planning.cascade)."""

    def __init__(self, name="parent_target"):
        super().__init__(name, db, Target, fields=("description",), page_size=15, minimum_input_length=0,
                         placeholder="Pilih RHK atasan yang diintervensi")

    def get_query(self):
        from kinerja_admin.planning.cascade import parent_candidates

        return super().get_query().filter(parent_candidates(current_user))

    def get_one(self, pk):
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(Target.id == pk).one_or_none()

    def format(self, model):
        if model is None:
            return None
        plan = model.work_plan
        who = plan.employee.name if plan and plan.employee else "?"
        per = plan.period.code if plan and plan.period else "?"
        return model.id, f"{model.description[:90]} - {who} (SKP {per})"


class OrgIndicatorLoader(QueryAjaxModelLoader):
    """Indicator for the OPD head's RHK: the indicators of the user's OPD."""

    def __init__(self, name="org_indicator"):
        super().__init__(name, db, OrgIndicator, fields=("code", "description"), page_size=20,
                         minimum_input_length=0, placeholder="Pilih indikator kinerja organisasi")

    def get_query(self):
        return scope_query(super().get_query(), OrgIndicator, current_user)

    def get_one(self, pk):
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(OrgIndicator.id == pk).one_or_none()

    def format(self, model):
        if model is None:
            return None
        per = model.period.code if model.period else "?"
        return model.id, f"{model.code} {model.description[:90]} ({per})"


def check_target_links(model) -> None:
    """The Target form's save check of the cascade links (kinerja_admin.planning.cascade)."""
    from kinerja_admin.planning.cascade import check_cascade_link

    try:
        check_cascade_link(db.session, model)
    except PlanningError as err:
        raise DomainError(str(err)) from None


# --- pages ---------------------------------------------------------------------------------------------

def _periods_with_planning():
    from kinerja_admin.planning.effectiveness import planning_periods

    return list(reversed(planning_periods(db.session)))


def _pick(periods, code):
    from kinerja_admin.reports.common import pick_period

    return pick_period(periods, code)


def _allowed_opds():
    from kinerja_admin.planning.cascade import opd_choices

    return opd_choices(db.session, current_user)


def _opd_or_404(opd_id):
    allowed = {u.id: u for u in _allowed_opds()}
    if opd_id not in allowed:
        abort(404)
    return allowed[opd_id]


class CascadeView(SecuredBaseView):
    """Pohon kinerja: goal -> IKU / program -> indicator -> head's RHK -> subordinates' RHK, per OPD."""

    @expose("/")
    def index(self):
        from kinerja_admin.planning.cascade import cascade_tree

        periods = _periods_with_planning()
        period = _pick(periods, request.args.get(PERIOD_ARG))
        opds = _allowed_opds()
        opd = None
        if request.args.get("opd"):
            try:
                opd = _opd_or_404(int(request.args["opd"]))
            except ValueError:
                abort(404)
        elif opds:
            own = user_opd_id(current_user)
            opd = next((u for u in opds if u.id == own), opds[0])
        tree = cascade_tree(db.session, period, opd.id, actor=current_user) if period and opd else None
        return self.render("admin/planning/cascade.html", periods=periods, period=period, opds=opds, opd=opd,
                           tree=tree, levels=PROGRAM_LEVELS)


class EffectivenessView(SecuredBaseView):
    """Efektivitas program: per OPD, per program and per indicator, side by side per period."""

    def _may_publish(self) -> bool:
        return self._right("a")

    @expose("/")
    def index(self):
        from kinerja_admin.planning.effectiveness import opd_summaries

        periods = _periods_with_planning()
        period = _pick(periods, request.args.get(PERIOD_ARG))
        opd_ids = None if is_unscoped(current_user) else {u.id for u in _allowed_opds()}
        rows = opd_summaries(db.session, period, opd_ids) if period else []
        all_periods = list(db.session.scalars(select(Period).order_by(Period.start_date.desc())))
        return self.render("admin/planning/effectiveness.html", periods=periods, period=period, rows=rows,
                           may_publish=self._may_publish(), all_periods=all_periods)

    @expose("/opd/<int:opd_id>")
    def opd(self, opd_id):
        from kinerja_admin.planning.effectiveness import opd_page, planning_periods
        from kinerja_admin.planning.impact import policies_for_opd

        _opd_or_404(opd_id)
        periods = list(reversed(planning_periods(db.session, opd_id)))
        period = _pick(periods, request.args.get(PERIOD_ARG))
        if period is None:
            abort(404)
        data = opd_page(db.session, period, opd_id, periods)
        return self.render("admin/planning/opd.html", data=data, periods=periods, period=period,
                           policies=policies_for_opd(db.session, opd_id), ikm_chart=_ikm_chart(data))

    @expose("/program/<int:program_id>")
    def program(self, program_id):
        from kinerja_admin.planning.effectiveness import planning_periods, program_page

        program = db.session.scalar(scope_query(select(Program).where(Program.id == program_id), Program,
                                                current_user))
        if program is None:
            abort(404)
        periods = planning_periods(db.session, program.unit_id)
        data = program_page(db.session, program, periods)
        return self.render("admin/planning/program.html", data=data)

    @expose("/indikator/<int:indicator_id>/pegawai")
    def people(self, indicator_id):
        from kinerja_admin.planning.cascade import hide_unreadable_people
        from kinerja_admin.planning.effectiveness import indicator_rows
        from kinerja_admin.planning.rollup import cascade_people

        indicator = db.session.scalar(scope_query(select(OrgIndicator).where(OrgIndicator.id == indicator_id),
                                                  OrgIndicator, current_user))
        if indicator is None:
            abort(404)
        row = indicator_rows(db.session, indicator.period, {indicator.unit_id}, indicator_ids={indicator.id})[0]
        people = hide_unreadable_people(db.session, current_user, indicator.period_id,
                                        cascade_people(db.session, indicator.period_id, indicator.id))
        return self.render("admin/planning/people.html", row=row, people=people, indicator=indicator)

    @expose("/umumkan/", methods=["POST"])
    def publish(self):
        from kinerja_admin.planning import publication
        from kinerja_admin.workflow import WorkflowError

        if not self._may_publish():
            abort(403)
        period = db.session.scalar(select(Period).where(Period.code == request.form.get("periode", "")))
        if period is None:
            abort(404)
        try:
            if request.form.get("op") == "withdraw":
                publication.withdraw(db.session, current_user, period)
                message = f"Pengumuman data program dan IKM periode {period.code} ditarik dari portal."
            else:
                publication.publish(db.session, current_user, period)
                message = f"Data program dan IKM periode {period.code} diumumkan di portal publik."
            db.session.commit()
            flash(message, "success")
        except (PlanningError, WorkflowError) as err:
            db.session.rollback()
            flash(str(err), "error")
        return redirect(url_for(".index"))


def _ikm_chart(data):
    from kinerja_admin.charts import line_chart

    return line_chart([(p.code, ikm.value) for p, ikm in data["ikm_trend"]],
                      title=f"Tren IKM {data['opd'].name}")


ERROR_TTL_SECONDS = 3600  # error workbooks of refused program imports are kept one hour


def _error_dir() -> Path:
    path = Path(current_app.instance_path) / "program-import-errors"
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


class PlanningImportView(SecuredBaseView):
    """Impor program dan indikator dari Excel: templat, unggah (uji coba atau simpan), kesalahan."""

    def _may_write(self) -> bool:
        return self._right("c")

    def _page(self, report=None, token=None, status=200):
        from views.excel import upload_limit_bytes

        return self.render("admin/planning/import.html", report=report, error_token=token,
                           limit_mb=upload_limit_bytes() // (1024 * 1024), may_write=self._may_write()), status

    @expose("/", methods=["GET"])
    def index(self):
        return self._page()

    @expose("/templat/")
    def template(self):
        from kinerja_admin.excel.template import XLSX_MIME
        from kinerja_admin.planning.template import build_template

        tmp = tempfile.SpooledTemporaryFile()
        tmp.write(build_template(db.session))
        tmp.seek(0)
        return send_file(tmp, mimetype=XLSX_MIME, as_attachment=True, download_name="templat-impor-program.xlsx")

    @expose("/", methods=["POST"])
    def upload(self):
        from kinerja_admin.excel.importer import error_workbook
        from kinerja_admin.planning.importer import import_programs
        from views.excel import upload_limit_bytes

        if not self._may_write():
            abort(403)
        limit = upload_limit_bytes()

        def too_big():
            flash(f"Berkas terlalu besar: ukuran maksimal unggahan adalah {limit // (1024 * 1024)} MB.", "error")
            return self._page(status=413)

        if request.content_length is not None and request.content_length > limit:
            return too_big()
        request.max_content_length = limit
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            return too_big()
        if upload is None or not upload.filename:
            flash("Pilih berkas Excel (.xlsx) yang akan diimpor.", "error")
            return redirect(url_for(".index"))
        dry_run = bool(request.form.get("dry_run"))
        try:
            report = import_programs(upload, session=db.session, dry_run=dry_run, user=current_user,
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
        return self._page(report, token)

    @expose("/kesalahan/<token>/")
    def errors(self, token: str):
        import re

        from kinerja_admin.excel.template import XLSX_MIME

        if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
            abort(404)
        path = _error_dir() / f"{current_user.id}-{token}.xlsx"
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype=XLSX_MIME, as_attachment=True, download_name="kesalahan-impor-program.xlsx")


def register(admin, add) -> None:
    """Add the organisational-performance views (called by views.init_admin)."""
    from models import OrgRealisation, PerformanceAgreement, PolicyChange, StrategicGoal

    add(PerformanceAgreementView(PerformanceAgreement, name="Perjanjian Kinerja", category=CATEGORY))
    add(StrategicGoalView(StrategicGoal, name="Sasaran Strategis", category=CATEGORY))
    add(ProgramView(Program, name="Program dan Kegiatan", category=CATEGORY))
    add(OrgIndicatorView(OrgIndicator, name="Indikator Kinerja", category=CATEGORY))
    add(OrgRealisationView(OrgRealisation, name="Realisasi Triwulan", category=CATEGORY))
    add(CascadeView(name="Pohon Kinerja", endpoint="cascade", url="/admin/pohon-kinerja", category=CATEGORY))
    add(EffectivenessView(name="Efektivitas Program", endpoint="effectiveness", url="/admin/efektivitas",
                          category=CATEGORY))
    add(PolicyChangeView(PolicyChange, name="Perubahan Kebijakan", category=CATEGORY))
    add(PlanningImportView(name="Impor Program", endpoint="planning_import", url="/admin/impor-program",
                           category=CATEGORY))
