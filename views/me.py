"""'Kinerja Saya' (an employee's own results, explanation, strengths and weaknesses, history and
objection) and the printable documents (SKP, Dokumen Evaluasi Kinerja) under the row scope.
Data comes from kinerja_admin.reports.personal; objections go through kinerja_admin.workflow."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from kinerja_admin import permissions
from kinerja_admin.reports import personal
from kinerja_admin.scope import scope_query
from models import ScoreResult, WorkPlan, db
from models.base import PLAN_STATUSES, utcnow

from .base import SecuredBaseView


def _now_local():
    """Now, in UTC like every stored time; templates show it in the instance's zone (|waktu)."""
    return utcnow()


def _can_print() -> bool:
    return permissions.can("cetak", current_user.role, "r")


class MeView(SecuredBaseView):
    """Kinerja Saya: only the logged-in employee's own results (another id gives 404)."""

    def is_visible(self):
        return current_user.is_authenticated and getattr(current_user, "employee_id", None) is not None

    def _page(self, result):
        me = current_user.employee_id
        rows = personal.history(db.session, me)
        ctx = {"history": rows, "result": result, "can_print": _can_print(), "page": None,
               "employee": current_user.employee}
        if result is not None:
            ctx["page"] = personal.result_page(db.session, result, current_user,
                                               current_app.config.get("BABEL_DEFAULT_TIMEZONE"))
        return self.render("me/index.html", **ctx)

    @expose("/")
    def index(self):
        if current_user.employee_id is None:
            return self.render("me/index.html", no_employee=True, history=[], result=None, page=None,
                               can_print=False, employee=None)
        rows = personal.history(db.session, current_user.employee_id)
        # the newest published result, else the newest of any status
        chosen = next((r["result"] for r in rows if r["result"].status == "published"), None)
        if chosen is None and rows:
            chosen = rows[0]["result"]
        return self._page(chosen)

    @expose("/hasil/<int:result_id>")
    def result(self, result_id):
        result = personal.own_result(db.session, current_user.employee_id, result_id)
        if result is None:
            abort(404)
        return self._page(result)

    @expose("/keberatan/<int:result_id>", methods=["POST"])
    def file_objection(self, result_id):
        from kinerja_admin.workflow import WorkflowError
        from kinerja_admin.workflow.objection import file as file_objection

        result = personal.own_result(db.session, current_user.employee_id, result_id)
        if result is None:
            abort(404)
        try:
            file_objection(db.session, current_user, result, request.form.get("reasons", ""))
            db.session.commit()
        except WorkflowError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            flash("Keberatan Anda sudah diajukan kepada atasan pejabat penilai.", "success")
        return redirect(url_for(".result", result_id=result_id))


class PrintView(SecuredBaseView):
    """Print-ready documents (A4): the SKP of a work plan and the evaluation document of a result,
    for anyone whose row scope contains the plan / result."""

    def is_visible(self):
        return False

    def _scoped(self, model, pk):
        row = db.session.scalar(scope_query(select(model).where(model.id == pk), model, current_user))
        if row is None:
            abort(404)
        return row

    @expose("/")
    def index(self):
        """The user's own documents; staff open other people's from the SKP / result pages."""
        me = current_user.employee_id
        plans = personal.own_plans(db.session, me) if me else []
        results = personal.history(db.session, me) if me else []
        return self.render("print/index.html", plans=plans, results=results, plan_statuses=PLAN_STATUSES)

    @expose("/skp/<int:plan_id>")
    def skp(self, plan_id):
        plan = self._scoped(WorkPlan, plan_id)
        doc = personal.skp_document(db.session, plan)
        return self.render("print/skp.html", doc=doc, plan_statuses=PLAN_STATUSES, printed_at=_now_local())

    @expose("/evaluasi/<int:result_id>")
    def evaluation(self, result_id):
        result = self._scoped(ScoreResult, result_id)
        doc = personal.evaluation_document(db.session, result, current_user)
        return self.render("print/evaluation.html", doc=doc, printed_at=_now_local())
