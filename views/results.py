"""Score results and objections."""
from __future__ import annotations

from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction

from kinerja_admin.opd import OpdFilter, employees_in, opd_formatter, opd_name
from models import Objection, ScoreResult
from models.base import CATEGORIES, CATEGORY_SOURCES, OBJECTION_STATUSES, SCORE_STATUSES

from .base import ReadOnlyModelView, SecuredModelView
from .excel import ScoreResultExportMixin
from .workflow_actions import ScoreActionsMixin


def _label(mapping, attr):
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr))


def _skp_link(text, plan_id):
    from .appraisal import skp_link

    return skp_link(text, plan_id)


def _no_predicate(result) -> str:
    """'Belum dinilai atasan' for a matrix result without the rater's categories (the scheme's penentu
    rating is the rater), else '-' (data incomplete)."""
    from kinerja_admin.scoring.engine import NOT_JUDGED

    if result.status == "computed" and (result.hasil_category is None or result.perilaku_category is None) \
            and result.scheme_id in _rater_decided_schemes():
        return NOT_JUDGED.capitalize()
    return "-"


def _rater_decided_schemes() -> set[int]:
    """Ids of the schemes whose penentu rating is the rater (once per request)."""
    from flask import request

    from models import ScoringScheme, db

    key = "kinerja.rater_schemes"  # per request (the WSGI environ), like the CSP nonce
    if key not in request.environ:
        request.environ[key] = set(db.session.scalars(db.select(ScoringScheme.id).where(
            ScoringScheme.kind == "matrix", ScoringScheme.rating_decider == "penilai")))
    return request.environ[key]


class ScoreResultView(ScoreActionsMixin, ScoreResultExportMixin, SecuredModelView):
    audit_entity = "score_result"
    # peer and subordinate averages reach the ratee and their superiors only through the explanation
    # page, which applies the anonymity threshold (rating.anonymity_k)
    ANONYMOUS_COLUMNS = ("rekan_avg", "bawahan_avg")

    def columns_hidden_from(self, obj) -> set[str]:
        from flask_login import current_user

        from kinerja_admin.scope import is_unscoped

        return set() if is_unscoped(current_user) else set(self.ANONYMOUS_COLUMNS)

    column_list = ["period", "employee", "unit", "opd", "skp_value", "behaviour_value", "final_value",
                   "predicate", "status"]
    column_default_sort = [("period_id", True), ("id", False)]
    column_searchable_list = ["employee.name", "employee.nip"]
    column_filters = ["period.code", "status", "predicate", "unit.name", OpdFilter(ScoreResult.unit_id)]
    column_labels = {"period": "Periode", "period.code": "Periode", "employee": "Pegawai",
                     "employee.name": "Nama pegawai", "employee.nip": "NIP", "unit": "Unit kerja",
                     "unit.name": "Unit kerja", "opd": "OPD", "work_plan": "SKP", "scheme": "Skema",
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
    column_choices = {"status": list(SCORE_STATUSES.items())}  # filters as Indonesian options
    column_formatters_export = {"status": _label(SCORE_STATUSES, "status"),
                                "hasil_category": _label(CATEGORIES, "hasil_category"),
                                "perilaku_category": _label(CATEGORIES, "perilaku_category"),
                                "hasil_source": _label(CATEGORY_SOURCES, "hasil_source"),
                                "perilaku_source": _label(CATEGORY_SOURCES, "perilaku_source")}
    # the employee's name opens the SKP page of the plan behind the result; a result the scoring left
    # without a predicate because the rater has not judged the plan says so
    column_formatters = {**column_formatters_export, "opd": opd_formatter(),
                         "employee": lambda v, c, m, n: _skp_link(m.employee.name if m.employee else "-",
                                                                  m.work_plan_id),
                         "predicate": lambda v, c, m, n: m.predicate or _no_predicate(m)}
    column_details_exclude_list = ["details"]
    # every result links to how it was reached (list row icon, details page button)
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-question-circle", ".explain_view",
                                                      title="Penjelasan nilai")]
    details_template = "admin/scoring/result_details.html"

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
    column_list = ["result", "employee", "opd", "status", "filed_at", "decided_at", "new_predicate"]
    column_default_sort = ("filed_at", True)
    column_filters = ["status", OpdFilter(Objection.employee_id,
                                          via=lambda ids: Objection.employee_id.in_(employees_in(ids)))]
    column_labels = {"result": "Hasil penilaian", "employee": "Pegawai", "opd": "OPD", "decider": "Pemutus",
                     "reasons": "Alasan keberatan", "status": "Status", "filed_at": "Diajukan",
                     "decided_at": "Diputus", "decided_by": "Diputus oleh", "decision_reason": "Alasan putusan",
                     "new_predicate": "Predikat baru", "new_value": "Nilai baru",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_choices = {"status": list(OBJECTION_STATUSES.items())}
    column_formatters = {"status": _label(OBJECTION_STATUSES, "status"),
                         "opd": lambda v, c, m, n: opd_name(m.employee.unit_id if m.employee else None)}
    details_template = "admin/workflow/objection_details.html"

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            from flask_login import current_user

            from kinerja_admin.workflow import objection as objection_flow
            from models import db

            model = kwargs["model"]
            kwargs["may_decide"] = model.status == "filed" and objection_flow.may_decide(db.session, current_user,
                                                                                          model)
        return super().render(template, **kwargs)

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
        from kinerja_admin.scoring.rules import final_scale, load_rules, predicate_labels

        may_decide = obj.status == "filed" and objection_flow.may_decide(db.session, current_user, obj)
        scheme = obj.result.scheme
        rules = load_rules(scheme)
        scale = final_scale(rules, scheme.scale_max) if rules.kind == "numeric" else None
        return self.render("admin/workflow/objection_decide.html", objection=obj, error=error,
                           may_decide=may_decide, predicates=predicate_labels(rules), scale=scale,
                           numeric=rules.kind == "numeric")
