"""Admin pages of the 360 ratings and the public voice: the rater's own rating forms, the
completeness of assignments per unit, and the IKM per unit. Rules live in kinerja_admin.rating."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from kinerja_admin.rating.anonymity import TWO
from kinerja_admin.rating.assignment import completeness, generate_assignments
from kinerja_admin.rating.common import RatingError
from kinerja_admin.rating.ikm import ikm_by_unit, ikm_for, round_half_up
from kinerja_admin.rating.service import (
    COMMENT_MAX,
    check_ratings,
    form_spec,
    load_own_assignment,
    my_assignments,
    submit_ratings,
    submitted_ratings,
)
from kinerja_admin.reports.common import PERIOD_ARG, pick_period
from models import IkmElement, Period, Unit, db
from models.base import RATER_ROLES

from .base import SecuredBaseView


def _periods():
    return db.session.scalars(select(Period).order_by(Period.start_date.desc())).all()


def _pick_period(periods):
    return pick_period(periods, request.args.get(PERIOD_ARG))


class MyRatingsView(SecuredBaseView):
    """'Penilaian Perilaku Saya': every user with an employee record rates their assigned ratees."""

    def is_visible(self):
        # in the menu only for accounts linked to an employee record
        return current_user.is_authenticated and getattr(current_user, "employee_id", None) is not None

    @expose("/")
    def index(self):
        if current_user.employee_id is None:
            return self.render("admin/rating/my_ratings.html", no_employee=True, pending=[], done=[],
                               roles=RATER_ROLES)
        rows = my_assignments(db.session, current_user.employee_id)
        pending = [a for a in rows if a.status == "pending"]
        done = [a for a in rows if a.status == "submitted"]
        return self.render("admin/rating/my_ratings.html", no_employee=False, pending=pending, done=done,
                           roles=RATER_ROLES)

    @expose("/nilai/<int:assignment_id>", methods=["GET", "POST"])
    def rate(self, assignment_id):
        """The rating form: each aspect with its guide sentences and the meaning of every scale point;
        a first POST shows the chosen values for confirmation (nothing stored), the confirmed POST
        submits them, finally; a submitted rating opens read-only with its date."""
        try:
            assignment = load_own_assignment(db.session, assignment_id, current_user.employee_id)
            spec = form_spec(db.session, assignment)
        except RatingError as err:
            flash(str(err), "error")
            return redirect(url_for(".index"))
        if assignment.status == "submitted" and request.method == "GET":
            return self.render("admin/rating/rate_done.html", a=assignment, spec=spec, roles=RATER_ROLES,
                               stored=submitted_ratings(db.session, assignment))
        values, comments, error = {}, {}, None
        if request.method == "POST":
            values = {str(a.id): request.form.get(f"aspect-{a.id}", "") for a in spec.aspects}
            comments = {str(a.id): request.form.get(f"comment-{a.id}", "") for a in spec.aspects}
            try:
                if request.form.get("confirm") == "1":
                    submit_ratings(db.session, assignment_id, current_user.employee_id, values, comments,
                                   user=current_user._get_current_object())
                else:
                    _a, _s, rows = check_ratings(db.session, assignment_id, current_user.employee_id, values,
                                                 comments)
                    if request.form.get("edit") != "1":  # "Ubah" on the confirmation goes back to the form
                        return self.render("admin/rating/rate_confirm.html", a=assignment, spec=spec, rows=rows,
                                           roles=RATER_ROLES, values=values, comments=comments)
            except RatingError as err:
                db.session.rollback()
                if assignment.status == "submitted":
                    flash(str(err), "error")
                    return redirect(url_for(".index"))
                error = str(err)
            else:
                if request.form.get("confirm") == "1":
                    db.session.commit()
                    flash(f"Penilaian untuk {assignment.ratee.name} sudah dikirim. Terima kasih.", "success")
                    return redirect(url_for(".index"))
        return self.render("admin/rating/rate.html", a=assignment, spec=spec, values=values, comments=comments,
                           roles=RATER_ROLES, comment_max=COMMENT_MAX, error=error), (400 if error else 200)


class CompletenessView(SecuredBaseView):
    """Kelengkapan penilai per unit: who lacks which ratings, and why."""

    @expose("/")
    def index(self):
        periods = _periods()
        period = _pick_period(periods)
        units = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)).all()
        unit_id = request.args.get("unit", type=int)
        if unit_id is None and units:
            unit_id = units[0].id
        show_all = request.args.get("semua") == "1"
        rows = completeness(db.session, period, unit_id) if period is not None and unit_id is not None else []
        incomplete = sum(1 for r in rows if not r.complete)
        shown = rows if show_all else [r for r in rows if not r.complete]
        return self.render("admin/rating/completeness.html", periods=periods, period=period, units=units,
                           unit_id=unit_id, rows=shown, total=len(rows), incomplete=incomplete, show_all=show_all,
                           roles=RATER_ROLES, can_generate=self._right("a"))

    @expose("/buat", methods=["POST"])
    def generate(self):
        if not self._right("a"):
            abort(403)
        code = request.form.get(PERIOD_ARG, "")
        try:
            result = generate_assignments(db.session, code)
        except RatingError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            db.session.commit()
            flash(result.summary(), "success")
        return redirect(url_for(".index", periode=code, unit=request.form.get("unit") or None))


class IkmView(SecuredBaseView):
    """Indeks Kepuasan Masyarakat per unit for a period (PermenPANRB 14/2017)."""

    @expose("/")
    def index(self):
        periods = _periods()
        period = _pick_period(periods)
        results = ikm_by_unit(db.session, period) if period is not None else []
        overall = ikm_for(db.session, period) if period is not None else None
        codes = list(db.session.scalars(select(IkmElement.code).order_by(IkmElement.seq))) or \
            [f"U{i}" for i in range(1, 10)]
        return self.render("admin/rating/ikm.html", periods=periods, period=period, results=results,
                           overall=overall, codes=codes, round2=lambda f: round_half_up(f, 2), two=TWO)
