"""Appraisal data: periods, work plans (SKP), targets, indicators, realisations, ratings."""
from __future__ import annotations

from flask_admin import expose
from flask_admin.actions import action
from sqlalchemy import select
from wtforms import SelectField

from kinerja_admin.formatting import bobot
from kinerja_admin.opd import OpdFilter, employees_in, opd_formatter, opd_name
from kinerja_admin.scoring.formulas import FORMULA_CHOICES
from models import BehaviourRating, Employee, Indicator, Period, RaterAssignment, Target, WorkPlan
from models.base import (
    ASSIGNMENT_STATUSES,
    CATEGORIES,
    PERIOD_STATUSES,
    PLAN_STATUSES,
    RATER_ROLES,
    TARGET_ASPECTS,
    choices,
)

from .base import ReadOnlyModelView, SecuredModelView
from .org import EMPLOYEE_AJAX
from .planning import CascadeParentLoader, OrgIndicatorLoader
from .workflow_actions import OptimisticLockMixin, PlanActionsMixin


def _label(mapping, attr):
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr))


def skp_link(text, plan_id):
    """`text` as a link to the SKP page of the plan (lists that show plans link to it)."""
    from flask import url_for
    from markupsafe import Markup, escape

    if not plan_id:
        return text
    return Markup(f'<a href="{escape(url_for("skp.page", plan_id=plan_id))}" class="tautan-skp">{escape(text)}</a>')


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
    column_choices = {"status": choices(PERIOD_STATUSES)}  # filters as Indonesian options
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
                elif op == "change_scheme":
                    n = period_flow.change_scheme(db.session, current_user, period,
                                                  request.form.get("scheme_id", type=int), reason)
                    db.session.commit()
                    flash(f"Skema periode {period.code} diganti; {n} hasil terhitung dihapus, hitung ulang nilai.",
                          "success")
                    return redirect(self.get_url(".status_view", id=period.id))
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
        from models import ScoringScheme

        return self.render("admin/workflow/period_status.html", period=period, error=error,
                           next_status=nxt, statuses=PERIOD_STATUSES,
                           open_items=period_flow.unfinished_counts(db.session, period),
                           may_change=current_user.role in ("admin", "operator"),
                           may_reopen=current_user.role == "admin",
                           schemes=db.session.scalars(db.select(ScoringScheme).order_by(ScoringScheme.name)).all())

    @action("hitung_nilai", "Hitung nilai", "Hitung nilai seluruh pegawai pada periode terpilih?")
    def action_hitung_nilai(self, ids):
        """Scoring runs as a background job per period (kinerja_admin.jobs; the engine is
        kinerja_admin.scoring.engine): the clerk follows its progress on /admin/jobs/."""
        from flask import flash, redirect, url_for
        from flask_login import current_user

        from kinerja_admin.jobs import start_job

        started = []
        for period in self.scoped_ids_query(ids).order_by(Period.code).all():
            job, new = start_job("score", f"Hitung nilai periode {period.code}", {"period_id": period.id},
                                 user=current_user, period_id=period.id)
            started.append(job)
            if job.status == "failed" and job.error:
                flash(job.error, "error")
            elif not new:
                flash(f"Penghitungan nilai periode {period.code} sudah berjalan (tugas no. {job.id}).", "info")
            else:
                flash(f"Penghitungan nilai periode {period.code} dimulai sebagai tugas no. {job.id}.", "success")
        if len(started) == 1:
            return redirect(url_for("jobs.detail", job_id=started[0].id))
        return redirect(url_for("jobs.index"))


class WorkPlanView(PlanActionsMixin, OptimisticLockMixin, SecuredModelView):
    audit_entity = "work_plan"
    column_list = ["period", "employee", "unit", "opd", "rater", "status", "submitted_at", "approved_at"]
    column_default_sort = [("period_id", True), ("id", True)]
    column_searchable_list = ["employee.name", "employee.nip"]
    column_filters = ["period.code", "status", "unit.name", OpdFilter(WorkPlan.unit_id)]
    column_labels = {"period": "Periode", "period.code": "Periode", "employee": "Pegawai",
                     "employee.name": "Nama pegawai", "employee.nip": "NIP", "unit": "Unit kerja",
                     "unit.name": "Unit kerja", "opd": "OPD", "position": "Jabatan", "rater": "Pejabat penilai",
                     "rater_superior": "Atasan pejabat penilai", "status": "Status",
                     "return_reason": "Alasan dikembalikan", "submitted_at": "Diajukan",
                     "approved_at": "Disetujui", "approved_by": "Disetujui oleh",
                     "hasil_rating": "Rating hasil kerja", "perilaku_rating": "Rating perilaku",
                     "innovation": "Ada inovasi", "innovation_note": "Catatan inovasi",
                     "feedback": "Umpan balik", "targets": "Sasaran", "version": "Versi",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_choices = {"status": choices(PLAN_STATUSES)}  # filters as Indonesian options
    column_formatters_export = {"status": _label(PLAN_STATUSES, "status"),
                                "hasil_rating": _label(CATEGORIES, "hasil_rating"),
                                "perilaku_rating": _label(CATEGORIES, "perilaku_rating")}
    # each row opens its SKP page (the plan as one document) from the employee's name
    column_formatters = {**column_formatters_export, "opd": opd_formatter(),
                         "employee": lambda v, c, m, n: skp_link(m.employee.name if m.employee else "-", m.id)}
    column_details_exclude_list = ["targets"]
    # what each role may change in each state is the record policy's (kinerja_admin.policy.rules):
    # the form shows only those fields, the rest read-only above it
    form_columns = ["period", "employee", "rater", "rater_superior", "unit", "position", "hasil_rating",
                    "perilaku_rating", "innovation", "innovation_note", "feedback"]
    form_overrides = {"hasil_rating": SelectField, "perilaku_rating": SelectField}
    form_args = {
        "hasil_rating": {"choices": [("", "-")] + choices(CATEGORIES), "label": "Rating hasil kerja"},
        "perilaku_rating": {"choices": [("", "-")] + choices(CATEGORIES), "label": "Rating perilaku"},
    }
    form_ajax_refs = {"employee": EMPLOYEE_AJAX, "rater": EMPLOYEE_AJAX, "rater_superior": EMPLOYEE_AJAX,
                      "position": {"fields": ("name",), "page_size": 15, "minimum_input_length": 2,
                                   "placeholder": "Cari jabatan"}}

    def columns_hidden_from(self, obj) -> set[str]:
        """The rater's judgement stays with the rater until the plan is assessed (as on the SKP page
        and the printed document: one rule, kinerja_admin.skp.document.judgement_visible)."""
        from flask_login import current_user

        from kinerja_admin.skp.document import JUDGEMENT_FIELDS, Rights, judgement_visible
        from models import db

        return set() if judgement_visible(obj, Rights(db.session, current_user, obj)) else set(JUDGEMENT_FIELDS)

    def on_model_change(self, form, model, is_created):
        for attr in ("hasil_rating", "perilaku_rating"):
            if getattr(model, attr) == "":
                setattr(model, attr, None)
        super().on_model_change(form, model, is_created)


def _plan_label(p: WorkPlan) -> str:
    return f"SKP {p.period.code} - {p.employee.name} ({PLAN_STATUSES.get(p.status, p.status)})"


def _target_label(t: Target) -> str:
    p = t.work_plan
    return f"{p.period.code} · {p.employee.name} · {t.seq}. {t.description[:70]}"


def _indicator_label(i: Indicator) -> str:
    t = i.target
    return f"{t.work_plan.period.code} · {t.work_plan.employee.name} · {t.seq}. {i.description[:60]}"


_PLAN_JOINS = [(Employee, WorkPlan.employee_id == Employee.id), (Period, WorkPlan.period_id == Period.id)]
# Parent pickers: searched by employee name/NIP, period code and text, inside the row scope, labelled
# with the period and the employee (no capped <select>, no ambiguous texts).
PLAN_AJAX = {"fields": (Employee.name, Employee.nip, Period.code), "joins": _PLAN_JOINS, "label": _plan_label,
             "page_size": 20, "minimum_input_length": 2, "placeholder": "Cari nama/NIP pegawai atau periode"}
TARGET_AJAX = {"fields": (Target.description, Employee.name, Employee.nip, Period.code),
               "joins": [(WorkPlan, Target.work_plan_id == WorkPlan.id), *_PLAN_JOINS], "label": _target_label,
               "page_size": 20, "minimum_input_length": 2, "placeholder": "Cari RHK, nama/NIP pegawai atau periode"}
INDICATOR_AJAX = {"fields": (Indicator.description, Target.description, Employee.name, Employee.nip, Period.code),
                  "joins": [(Target, Indicator.target_id == Target.id), (WorkPlan, Target.work_plan_id == WorkPlan.id),
                            *_PLAN_JOINS],
                  "label": _indicator_label, "page_size": 20, "minimum_input_length": 2,
                  "placeholder": "Cari indikator, RHK, nama/NIP pegawai atau periode"}


class TargetView(OptimisticLockMixin, SecuredModelView):
    audit_entity = "target"
    column_list = ["work_plan", "seq", "description"]
    column_default_sort = [("work_plan_id", True), ("seq", False)]
    column_searchable_list = ["description"]
    column_labels = {"work_plan": "SKP", "seq": "No.", "description": "Rencana hasil kerja (RHK)",
                     "parent_target_id": "RHK atasan yang diintervensi", "indicators": "Indikator",
                     "parent_target": "RHK atasan yang diintervensi",
                     "org_indicator": "Indikator kinerja organisasi (RHK kepala perangkat daerah)",
                     "version": "Versi", "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["work_plan", "seq", "description", "parent_target", "org_indicator"]
    column_details_exclude_list = ["indicators"]
    # the cascade links (issue 17): AJAX picks limited to what the employee may link to, checked on save
    # (which links are valid is the record policy's invariant cascade_link: every path, not the form only)
    form_ajax_refs = {"work_plan": PLAN_AJAX, "parent_target": CascadeParentLoader(),
                      "org_indicator": OrgIndicatorLoader()}
    column_formatters = {"work_plan": lambda v, c, m, n: skp_link(str(m.work_plan), m.work_plan_id)}
    column_formatters_export = {}


class IndicatorView(OptimisticLockMixin, SecuredModelView):
    audit_entity = "indicator"
    column_list = ["target", "aspect", "description", "target_value", "unit_label", "lower_is_better"]
    column_default_sort = ("id", True)
    column_searchable_list = ["description"]
    column_filters = ["aspect"]
    column_labels = {"target": "Sasaran (RHK)", "aspect": "Aspek", "description": "Indikator",
                     "target_value": "Target", "unit_label": "Satuan", "lower_is_better": "Makin kecil makin baik",
                     "formula_code": "Rumus", "realisations": "Realisasi", "created_at": "Dibuat",
                     "updated_at": "Diubah"}
    # targets are quantities, not scores: 0-2 decimals ("12", "47,5")
    column_formatters = {"aspect": _label(TARGET_ASPECTS, "aspect"),
                         "formula_code": _label(dict(FORMULA_CHOICES), "formula_code"),
                         "target_value": lambda v, c, m, n: bobot(m.target_value)}
    form_columns = ["target", "aspect", "description", "target_value", "unit_label", "lower_is_better",
                    "formula_code"]
    # the formula is chosen from the built-in ones; the period's scheme must allow it (policy invariant)
    form_overrides = {"aspect": SelectField, "formula_code": SelectField}
    form_args = {"aspect": {"choices": choices(TARGET_ASPECTS), "label": "Aspek"},
                 "formula_code": {"choices": [("", "Bawaan skema periode")] + list(FORMULA_CHOICES),
                                  "label": "Rumus"}}
    column_details_exclude_list = ["realisations"]
    form_ajax_refs = {"target": TARGET_AJAX}

    def on_model_change(self, form, model, is_created):
        model.formula_code = model.formula_code or None  # blank: the scheme's default for the aspect
        super().on_model_change(form, model, is_created)


class RealisationView(OptimisticLockMixin, SecuredModelView):
    audit_entity = "realisation"
    column_list = ["indicator", "value", "evidence_url", "evidence_note", "created_at"]
    column_default_sort = ("id", True)
    column_labels = {"indicator": "Indikator", "value": "Realisasi", "evidence_url": "Tautan bukti",
                     "evidence_note": "Catatan bukti", "feedback": "Umpan balik penilai",
                     "recorded_by": "Dicatat oleh", "version": "Versi", "created_at": "Dicatat", "updated_at": "Diubah"}
    form_columns = ["indicator", "value", "evidence_url", "evidence_note", "feedback"]
    form_ajax_refs = {"indicator": INDICATOR_AJAX}
    column_formatters = {"value": lambda v, c, m, n: bobot(m.value)}


class RaterAssignmentView(SecuredModelView):
    column_list = ["period", "ratee", "opd", "rater", "role", "status", "submitted_at"]
    column_default_sort = [("period_id", True), ("id", True)]
    column_filters = ["period.code", "role", "status",
                      OpdFilter(RaterAssignment.ratee_id,
                                via=lambda ids: RaterAssignment.ratee_id.in_(employees_in(ids)))]
    column_searchable_list = ["ratee.name", "ratee.nip"]
    column_labels = {"period": "Periode", "period.code": "Periode", "ratee": "Pegawai dinilai",
                     "ratee.name": "Pegawai dinilai", "ratee.nip": "NIP", "opd": "OPD", "rater": "Penilai",
                     "role": "Peran penilai", "status": "Status", "submitted_at": "Dikirim",
                     "ratings": "Nilai", "created_at": "Dibuat", "updated_at": "Diubah"}
    column_choices = {"role": choices(RATER_ROLES), "status": choices(ASSIGNMENT_STATUSES)}
    column_formatters = {"role": _label(RATER_ROLES, "role"), "rater": lambda v, c, m, n: _masked_rater(m),
                         "status": _label(ASSIGNMENT_STATUSES, "status"),
                         "opd": lambda v, c, m, n: opd_name(m.ratee.unit_id if m.ratee else None)}
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
        from kinerja_admin.workflow import WorkflowError
        from models import db

        def _id(obj):
            return getattr(obj, "id", None)

        try:
            if form.period.data is None:
                raise RatingError("Periode wajib diisi.")
            row = add_assignment(db.session, form.period.data, _id(form.ratee.data), _id(form.rater.data),
                                 form.role.data)
            db.session.commit()
        except (RatingError, WorkflowError) as err:  # the rating rules, and the record policy
            db.session.rollback()
            flash(str(err), "error")
            return False
        return row

    def delete_model(self, model):
        from flask import flash

        from kinerja_admin.rating.assignment import remove_assignment
        from kinerja_admin.rating.common import RatingError
        from kinerja_admin.workflow import WorkflowError
        from models import db

        try:
            remove_assignment(db.session, model.id)
            db.session.commit()
        except (RatingError, WorkflowError) as err:  # the rating rules, and the record policy
            db.session.rollback()
            flash(str(err), "error")
            return False
        return True



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
    column_list = ["assignment", "opd", "aspect", "value", "comment"]
    column_default_sort = ("id", True)
    column_filters = [OpdFilter(BehaviourRating.assignment_id, via=lambda ids: BehaviourRating.assignment_id.in_(
        select(RaterAssignment.id).where(RaterAssignment.ratee_id.in_(employees_in(ids)))))]
    column_labels = {"assignment": "Penugasan", "opd": "OPD", "aspect": "Aspek perilaku", "value": "Nilai",
                     "comment": "Komentar", "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"opd": lambda v, c, m, n: opd_name(m.assignment.ratee.unit_id
                                                            if m.assignment and m.assignment.ratee else None)}


class SpecialExpectationView(SecuredModelView):
    column_list = ["work_plan", "aspect", "text"]
    column_default_sort = ("id", True)
    column_labels = {"work_plan": "SKP", "aspect": "Nilai perilaku", "text": "Ekspektasi khusus pimpinan",
                     "category_hint": "Kategori", "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["work_plan", "aspect", "text"]
    form_ajax_refs = {"work_plan": PLAN_AJAX}


__all__ = ["Period"]
