"""Appraisal data: periods, work plans (SKP), targets, indicators, realisations, ratings."""
from __future__ import annotations

from flask_admin import expose
from flask_admin.actions import action
from wtforms import SelectField

from models import Indicator, Period, Target, WorkPlan
from models.base import CATEGORIES, PERIOD_STATUSES, PLAN_STATUSES, RATER_ROLES, TARGET_ASPECTS, choices

from .base import ReadOnlyModelView, SecuredModelView
from .org import EMPLOYEE_AJAX
from .planning import CascadeParentLoader, OrgIndicatorLoader, check_target_links
from .workflow_actions import OptimisticLockMixin, PlanActionsMixin


def _label(mapping, attr):
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr))


class PeriodView(SecuredModelView):
    audit_entity = "period"
    column_list = ["code", "name", "start_date", "end_date", "status", "scheme"]
    column_default_sort = ("start_date", True)
    column_searchable_list = ["code", "name"]
    column_filters = ["status"]
    column_labels = {"code": "Kode", "name": "Nama periode", "start_date": "Mulai", "end_date": "Selesai",
                     "status": "Status", "scheme": "Skema penilaian", "published_at": "Diumumkan",
                     "version": "Versi", "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"status": _label(PERIOD_STATUSES, "status")}
    form_columns = ["code", "name", "start_date", "end_date", "scheme"]

    def validate_model(self, model, is_created, form=None):
        from .base import DomainError

        if model.start_date and model.end_date and model.end_date < model.start_date:
            raise DomainError("Tanggal selesai periode tidak boleh sebelum tanggal mulai.")

    details_template = "admin/workflow/period_details.html"

    @expose("/status/", methods=("GET", "POST"))
    def status_view(self):
        """Period lifecycle page: advance one step, close (forced with a reason), reopen (admin)."""
        from flask import flash, redirect, request
        from flask_login import current_user

        from kinerja_admin.workflow import WorkflowError
        from kinerja_admin.workflow import period as period_flow
        from models import db

        period = self.get_one(request.args.get("id"))
        error = None
        if request.method == "POST":
            op = request.form.get("op")
            reason = request.form.get("reason", "")
            try:
                if op == "advance":
                    period_flow.advance(db.session, current_user, period, force=bool(request.form.get("force")),
                                        reason=reason)
                elif op == "reopen":
                    period_flow.reopen(db.session, current_user, period, reason)
                else:
                    raise WorkflowError("Tindakan tidak dikenal.")
                db.session.commit()
                flash(f"Periode {period.code} kini berstatus {PERIOD_STATUSES[period.status]}.", "success")
                return redirect(self.get_url(".status_view", id=period.id))
            except WorkflowError as err:
                db.session.rollback()
                error = str(err)
        order = list(PERIOD_STATUSES)
        nxt = order[order.index(period.status) + 1] if period.status != "closed" else None
        return self.render("admin/workflow/period_status.html", period=period, error=error,
                           next_status=nxt, statuses=PERIOD_STATUSES,
                           open_items=period_flow.unfinished_counts(db.session, period),
                           may_change=current_user.role in ("admin", "operator"),
                           may_reopen=current_user.role == "admin")

    @action("hitung_nilai", "Hitung nilai", "Hitung nilai seluruh pegawai pada periode terpilih?")
    def action_hitung_nilai(self, ids):
        """Scoring engine issue: one transaction per period (kinerja_admin.scoring.engine)."""
        from flask import flash

        from kinerja_admin.scoring.engine import ScoringError, score_period, summary_message
        from models import db

        for period in self.scoped_ids_query(ids).order_by(Period.code).all():
            try:
                summary = score_period(db.session, period)
                db.session.commit()
            except ScoringError as err:
                db.session.rollback()
                flash(str(err), "error")
                continue
            flash(summary_message(summary), "success")
            for warning in summary["warnings"]:
                flash(f"Peringatan distribusi: {warning}", "warning")


class WorkPlanView(PlanActionsMixin, OptimisticLockMixin, SecuredModelView):
    audit_entity = "work_plan"
    column_list = ["period", "employee", "unit", "rater", "status", "submitted_at", "approved_at"]
    column_default_sort = [("period_id", True), ("id", True)]
    column_searchable_list = ["employee.name", "employee.nip"]
    column_filters = ["period.code", "status", "unit.name"]
    column_labels = {"period": "Periode", "period.code": "Periode", "employee": "Pegawai",
                     "employee.name": "Nama pegawai", "employee.nip": "NIP", "unit": "Unit kerja",
                     "unit.name": "Unit kerja", "position": "Jabatan", "rater": "Pejabat penilai",
                     "rater_superior": "Atasan pejabat penilai", "status": "Status",
                     "return_reason": "Alasan dikembalikan", "submitted_at": "Diajukan",
                     "approved_at": "Disetujui", "approved_by": "Disetujui oleh",
                     "hasil_rating": "Rating hasil kerja", "perilaku_rating": "Rating perilaku",
                     "innovation": "Ada inovasi", "innovation_note": "Catatan inovasi",
                     "feedback": "Umpan balik", "targets": "Sasaran", "version": "Versi",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"status": _label(PLAN_STATUSES, "status"),
                         "hasil_rating": _label(CATEGORIES, "hasil_rating"),
                         "perilaku_rating": _label(CATEGORIES, "perilaku_rating")}
    column_details_exclude_list = ["targets"]
    form_columns = ["period", "employee", "rater", "rater_superior", "unit", "hasil_rating",
                    "perilaku_rating", "innovation", "innovation_note", "feedback"]
    form_overrides = {"hasil_rating": SelectField, "perilaku_rating": SelectField}
    form_args = {
        "hasil_rating": {"choices": [("", "-")] + choices(CATEGORIES), "label": "Rating hasil kerja"},
        "perilaku_rating": {"choices": [("", "-")] + choices(CATEGORIES), "label": "Rating perilaku"},
    }
    form_ajax_refs = {"employee": EMPLOYEE_AJAX, "rater": EMPLOYEE_AJAX, "rater_superior": EMPLOYEE_AJAX}

    def on_model_change(self, form, model, is_created):
        for attr in ("hasil_rating", "perilaku_rating"):
            if getattr(model, attr) == "":
                setattr(model, attr, None)
        super().on_model_change(form, model, is_created)


PLAN_AJAX = {"fields": ("id",), "page_size": 15, "minimum_input_length": 1, "placeholder": "Nomor SKP"}


class TargetView(SecuredModelView):
    audit_entity = "target"
    column_list = ["work_plan", "seq", "description"]
    column_default_sort = [("work_plan_id", True), ("seq", False)]
    column_searchable_list = ["description"]
    column_labels = {"work_plan": "SKP", "seq": "No.", "description": "Rencana hasil kerja (RHK)",
                     "parent_target_id": "RHK atasan yang diintervensi", "indicators": "Indikator",
                     "parent_target": "RHK atasan yang diintervensi",
                     "org_indicator": "Indikator kinerja organisasi (RHK kepala perangkat daerah)",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["work_plan", "seq", "description", "parent_target", "org_indicator"]
    column_details_exclude_list = ["indicators"]
    # the cascade links (issue 17): AJAX picks limited to what the employee may link to, checked on save
    form_ajax_refs = {"parent_target": CascadeParentLoader(), "org_indicator": OrgIndicatorLoader()}

    scoped_selects = {"work_plan": WorkPlan}

    def validate_model(self, model, is_created, form=None):
        check_target_links(model)


class IndicatorView(SecuredModelView):
    audit_entity = "indicator"
    column_list = ["target", "aspect", "description", "target_value", "unit_label", "lower_is_better"]
    column_default_sort = ("id", True)
    column_searchable_list = ["description"]
    column_filters = ["aspect"]
    column_labels = {"target": "Sasaran (RHK)", "aspect": "Aspek", "description": "Indikator",
                     "target_value": "Target", "unit_label": "Satuan", "lower_is_better": "Makin kecil makin baik",
                     "formula_code": "Rumus", "realisations": "Realisasi", "created_at": "Dibuat",
                     "updated_at": "Diubah"}
    column_formatters = {"aspect": _label(TARGET_ASPECTS, "aspect")}
    form_columns = ["target", "aspect", "description", "target_value", "unit_label", "lower_is_better",
                    "formula_code"]
    form_overrides = {"aspect": SelectField}
    form_args = {"aspect": {"choices": choices(TARGET_ASPECTS), "label": "Aspek"}}
    column_details_exclude_list = ["realisations"]

    scoped_selects = {"target": Target}


class RealisationView(SecuredModelView):
    audit_entity = "realisation"
    column_list = ["indicator", "value", "evidence_url", "evidence_note", "created_at"]
    column_default_sort = ("id", True)
    column_labels = {"indicator": "Indikator", "value": "Realisasi", "evidence_url": "Tautan bukti",
                     "evidence_note": "Catatan bukti", "feedback": "Umpan balik penilai",
                     "recorded_by": "Dicatat oleh", "created_at": "Dicatat", "updated_at": "Diubah"}
    form_columns = ["indicator", "value", "evidence_url", "evidence_note", "feedback"]

    scoped_selects = {"indicator": Indicator}


class RaterAssignmentView(SecuredModelView):
    column_list = ["period", "ratee", "rater", "role", "status", "submitted_at"]
    column_default_sort = [("period_id", True), ("id", True)]
    column_filters = ["period.code", "role", "status"]
    column_searchable_list = ["ratee.name", "ratee.nip"]
    column_labels = {"period": "Periode", "period.code": "Periode", "ratee": "Pegawai dinilai",
                     "ratee.name": "Pegawai dinilai", "ratee.nip": "NIP", "rater": "Penilai",
                     "role": "Peran penilai", "status": "Status", "submitted_at": "Dikirim",
                     "ratings": "Nilai", "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"role": _label(RATER_ROLES, "role"), "rater": lambda v, c, m, n: _masked_rater(m)}
    column_details_exclude_list = ["ratings"]
    form_columns = ["period", "ratee", "rater", "role"]
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": choices(RATER_ROLES), "label": "Peran penilai"}}
    form_ajax_refs = {"ratee": EMPLOYEE_AJAX, "rater": EMPLOYEE_AJAX}

    # Rules (kinerja_admin.rating.assignment): no self-rating as peer, no duplicates, no masyarakat by
    # hand, nothing changed or removed once the rater submitted; audited without peer identities.
    def validate_model(self, model, is_created, form=None):
        from kinerja_admin.rating.assignment import check_assignment, check_removable
        from kinerja_admin.rating.common import RatingError
        from models import db

        from .base import DomainError

        def _id(rel, col):
            return rel.id if rel is not None else col

        try:
            with db.session.no_autoflush:
                if not is_created:
                    check_removable(db.session, model)
                check_assignment(db.session, _id(model.period, model.period_id), _id(model.ratee, model.ratee_id),
                                 _id(model.rater, model.rater_id), model.role,
                                 exclude_id=None if is_created else model.id)
        except RatingError as err:
            raise DomainError(str(err)) from None

    def create_model(self, form):
        """Through the rating service (rules, masked audit); one transaction."""
        from flask import flash

        from kinerja_admin.rating.assignment import add_assignment
        from kinerja_admin.rating.common import RatingError
        from models import db

        def _id(obj):
            return getattr(obj, "id", None)

        try:
            if form.period.data is None:
                raise RatingError("Periode wajib diisi.")
            row = add_assignment(db.session, form.period.data, _id(form.ratee.data), _id(form.rater.data),
                                 form.role.data)
            db.session.commit()
        except RatingError as err:
            db.session.rollback()
            flash(str(err), "error")
            return False
        return row

    def delete_model(self, model):
        from flask import flash

        from kinerja_admin.rating.assignment import remove_assignment
        from kinerja_admin.rating.common import RatingError
        from models import db

        try:
            remove_assignment(db.session, model.id)
            db.session.commit()
        except RatingError as err:
            db.session.rollback()
            flash(str(err), "error")
            return False
        return True

    def on_model_change(self, form, model, is_created):
        from kinerja_admin.audit import record
        from kinerja_admin.rating.assignment import _audit_changes

        super().on_model_change(form, model, is_created)  # validate_model, flush, scope check
        record("insert" if is_created else "update", "rater_assignment", model.id, changes=_audit_changes(model),
               period_id=model.period_id)


def _masked_rater(m):
    """Raters of peers and subordinates are shown to admin (and to the rater themself) only."""
    from flask_login import current_user

    if m.rater is None:
        return ""
    if m.role in ("rekan", "bawahan") and getattr(current_user, "role", None) != "admin" \
            and m.rater_id != getattr(current_user, "employee_id", None):
        return "(dirahasiakan)"
    return str(m.rater)


class BehaviourRatingView(ReadOnlyModelView):
    column_list = ["assignment", "aspect", "value", "comment"]
    column_default_sort = ("id", True)
    column_labels = {"assignment": "Penugasan", "aspect": "Aspek perilaku", "value": "Nilai",
                     "comment": "Komentar", "created_at": "Dibuat", "updated_at": "Diubah"}


class SpecialExpectationView(SecuredModelView):
    column_list = ["work_plan", "aspect", "text"]
    column_default_sort = ("id", True)
    column_labels = {"work_plan": "SKP", "aspect": "Nilai perilaku", "text": "Ekspektasi khusus pimpinan",
                     "category_hint": "Kategori", "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["work_plan", "aspect", "text"]

    scoped_selects = {"work_plan": WorkPlan}


__all__ = ["Period"]
