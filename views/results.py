"""Score results and objections."""
from __future__ import annotations

from flask_admin import expose

from models.base import CATEGORIES, CATEGORY_SOURCES, OBJECTION_STATUSES, SCORE_STATUSES

from .base import ReadOnlyModelView, SecuredModelView
from .excel import ScoreResultExportMixin
from .workflow_actions import OptimisticLockMixin, ScoreActionsMixin


def _label(mapping, attr):
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr))


class ScoreResultView(ScoreActionsMixin, OptimisticLockMixin, ScoreResultExportMixin, SecuredModelView):
    audit_entity = "score_result"
    column_list = ["period", "employee", "unit", "skp_value", "behaviour_value", "final_value",
                   "predicate", "status"]
    column_default_sort = [("period_id", True), ("id", False)]
    column_searchable_list = ["employee.name", "employee.nip"]
    column_filters = ["period.code", "status", "predicate", "unit.name"]
    column_labels = {"period": "Periode", "period.code": "Periode", "employee": "Pegawai",
                     "employee.name": "Nama pegawai", "employee.nip": "NIP", "unit": "Unit kerja",
                     "unit.name": "Unit kerja", "work_plan": "SKP", "scheme": "Skema",
                     "scheme_version": "Versi skema", "skp_value": "Nilai SKP",
                     "behaviour_value": "Nilai perilaku", "atasan_avg": "Rerata atasan",
                     "rekan_avg": "Rerata rekan", "bawahan_avg": "Rerata bawahan", "diri_avg": "Rerata diri",
                     "masyarakat_avg": "Rerata masyarakat", "final_value": "Nilai akhir",
                     "hasil_category": "Rating hasil kerja", "perilaku_category": "Rating perilaku",
                     "predicate": "Predikat", "status": "Status", "computed_at": "Dihitung",
                     "approved_at": "Disetujui", "approved_by": "Disetujui oleh",
                     "published_at": "Diumumkan", "version": "Versi", "details": "Rincian",
                     "created_at": "Dibuat", "updated_at": "Diubah", "note": "Catatan perhitungan",
                     "innovation": "Inovasi", "structural": "Jabatan struktural",
                     "hasil_source": "Sumber rating hasil kerja", "perilaku_source": "Sumber rating perilaku",
                     "public_responses": "Responden masyarakat", "public_score_sum": "Jumlah jawaban masyarakat"}
    column_formatters = {"status": _label(SCORE_STATUSES, "status"),
                         "hasil_category": _label(CATEGORIES, "hasil_category"),
                         "perilaku_category": _label(CATEGORIES, "perilaku_category"),
                         "hasil_source": _label(CATEGORY_SOURCES, "hasil_source"),
                         "perilaku_source": _label(CATEGORY_SOURCES, "perilaku_source")}
    column_details_exclude_list = ["details"]
    form_columns = ["predicate"]

    @expose("/explain/")
    def explain_view(self):
        """Scoring engine issue: how the result was reached (kinerja_admin.scoring.explain)."""
        from flask import request
        from flask_login import current_user

        from kinerja_admin.scoring.explain import explain_result
        from kinerja_admin.settings import get_setting
        from models import db

        result = self.get_one(request.args.get("id"))
        # Employees and superiors see peer/subordinate figures only above the anonymity threshold.
        k = None if current_user.role in ("admin", "operator", "inspektur") else int(
            get_setting("rating.anonymity_k"))
        return self.render("admin/scoring/explain.html", result=result,
                           info=explain_result(db.session, result, anonymity_k=k))

    @property
    def can_create(self):
        return False


class ObjectionView(ReadOnlyModelView):
    audit_entity = "objection"
    column_list = ["result", "employee", "status", "filed_at", "decided_at", "new_predicate"]
    column_default_sort = ("filed_at", True)
    column_filters = ["status"]
    column_labels = {"result": "Hasil penilaian", "employee": "Pegawai", "decider": "Pemutus",
                     "reasons": "Alasan keberatan", "status": "Status", "filed_at": "Diajukan",
                     "decided_at": "Diputus", "decided_by": "Diputus oleh", "decision_reason": "Alasan putusan",
                     "new_predicate": "Predikat baru", "new_value": "Nilai baru",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"status": _label(OBJECTION_STATUSES, "status")}
    details_template = "admin/workflow/objection_details.html"

    # Objections are filed from Kinerja Saya and decided on the decision page below, both through
    # kinerja_admin.workflow.objection: never edited as a plain record (ReadOnlyModelView).

    @expose("/decide/", methods=("GET", "POST"))
    def decide_view(self):
        from flask import flash, redirect, request
        from flask_login import current_user

        from kinerja_admin.workflow import WorkflowError
        from kinerja_admin.workflow import objection as objection_flow
        from models import db

        obj = self.get_one(request.args.get("id"))
        error = None
        if request.method == "POST":
            try:
                objection_flow.decide(db.session, current_user, obj, accept=request.form.get("decision") == "accept",
                                      reason=request.form.get("reason", ""),
                                      new_predicate=request.form.get("new_predicate"),
                                      new_value=request.form.get("new_value"))
                db.session.commit()
                flash("Keberatan telah diputus. Putusan bersifat final dan terlihat oleh pegawai.", "success")
                return redirect(self.get_url(".details_view", id=obj.id))
            except WorkflowError as err:
                db.session.rollback()
                error = str(err)
        may_decide = obj.status == "filed" and current_user.employee_id == obj.decider_id
        return self.render("admin/workflow/objection_decide.html", objection=obj, error=error,
                           may_decide=may_decide)
