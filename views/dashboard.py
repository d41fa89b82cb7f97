"""The admin index (Beranda): period progress for operators, a personal summary for everyone with
an employee record. Figures come from kinerja_admin.reports.dashboard (scoped to the viewer)."""
from __future__ import annotations

from flask import request, url_for
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_login import current_user

from kinerja_admin import permissions
from kinerja_admin.charts import bar_chart
from kinerja_admin.reports import dashboard as reports
from kinerja_admin.reports.common import PERIOD_ARG, pick_period
from kinerja_admin.scope import is_unscoped
from models import db
from models.base import PERIOD_STATUSES, PLAN_STATUSES, SCORE_STATUSES


def _view(admin, endpoint):
    for v in admin._views:
        if v.endpoint == endpoint:
            return v
    return None


def list_url(admin, endpoint: str, search: str | None = None, opd: int | None = None, **equals) -> str | None:
    """URL of a model list filtered with Flask-Admin's own 'equals' filters.

    ``equals`` maps "table.column" (e.g. ``period.code``, ``work_plan.status``) to a value (an
    'equals' filter) or to a tuple of values (an 'in list' filter); the filter argument names are
    looked up in the view's filter table, so they stay right when the view's column_filters
    change. `opd` adds the view's OPD filter (the OPD with all its sub-units). Returns None when the
    user may not read the list.
    """
    if not permissions.can(endpoint, current_user.role, "r"):
        return None
    view = _view(admin, endpoint)
    if view is None:
        return None
    args = {}
    pos = 0
    for key, value in equals.items():
        table, column = key.split(".", 1)
        kind = sqla_filters.FilterInList if isinstance(value, (tuple, list)) else sqla_filters.FilterEqual
        for arg, (_idx, flt) in (view._filter_args or {}).items():
            col = getattr(flt, "column", None)
            if isinstance(flt, kind) and not isinstance(flt, sqla_filters.FilterNotInList) \
                    and col is not None and getattr(col, "key", None) == column \
                    and getattr(getattr(col, "table", None), "name", None) == table:
                args[f"flt{pos}_{arg}"] = ",".join(value) if isinstance(value, (tuple, list)) else value
                pos += 1
                break
    if opd is not None:
        from kinerja_admin.opd import OpdFilter

        for arg, (_idx, flt) in (view._filter_args or {}).items():
            if isinstance(flt, OpdFilter):
                args[f"flt{pos}_{arg}"] = str(opd)
                break
    if search:
        args["search"] = search
    return url_for(f"{endpoint}.index_view", **args)


def render_dashboard(view):
    session = db.session
    user = current_user
    all_periods = reports.periods(session)
    period = pick_period(all_periods, request.args.get(PERIOD_ARG))
    ctx = {"periods": all_periods, "period": period, "period_statuses": PERIOD_STATUSES,
           "plan_statuses": PLAN_STATUSES, "score_statuses": SCORE_STATUSES, "full": is_unscoped(user),
           "has_team": is_unscoped(user) or user.role == "penilai",
           "me_url": url_for("me.index") if permissions.can("me", user.role, "r") else None}
    if period is None:
        return view.render("admin/dashboard.html", **ctx)
    admin = view.admin
    code = period.code
    ctx["personal"] = reports.personal(session, period, user)
    if ctx["has_team"]:
        f = reports.funnel(session, period, user)
        plan = lambda status=None: list_url(admin, "work_plan", **{"period.code": code},  # noqa: E731
                                             **({"work_plan.status": status} if status else {}))
        score = lambda status=None: list_url(admin, "score_result", **{"period.code": code},  # noqa: E731
                                              **({"score_result.status": status} if status else {}))
        ctx["funnel"] = f
        ctx["steps"] = [
            ("SKP dibuat", f["plans"], f["plans"], plan()),
            ("SKP diajukan", f["plans_submitted"], f["plans"], plan(reports.SUBMITTED_OR_LATER)),
            ("SKP disetujui", f["plans_approved"], f["plans"], plan(reports.APPROVED_OR_LATER)),
            ("Penilaian perilaku lengkap", f["ratings_complete"], f["ratees"],
             url_for("rating_completeness.index", periode=code)
             if permissions.can("rating_completeness", user.role, "r") else None),
            ("Nilai dihitung", f["scores_computed"], f["plans"], score()),
            ("Nilai disetujui", f["scores_approved"], f["plans"], score(("approved", "published"))),
            ("Nilai diumumkan", f["scores_published"], f["plans"], score("published")),
        ]
        ctx["objections_url"] = list_url(admin, "objection", **{"objection.status": "filed"})
        ctx["returned_url"] = plan("returned")
        ctx["draft_url"] = plan("draft")
        ctx["units"] = reports.unit_progress(session, period, user)
        dist = reports.distribution(session, period, user)
        ctx["distribution"] = dist
        ctx["distribution_chart"] = bar_chart(dist, title=f"Sebaran predikat periode {code}")
    if ctx["has_team"]:
        ctx["alignment"] = _alignment(session, period, user)
    if ctx["full"]:
        from kinerja_admin.guidance import participation

        rows = participation(session, period, user)
        for r in rows:
            oid = r["opd"].id
            r["not_submitted_url"] = list_url(admin, "work_plan", opd=oid, **{"period.code": code,
                                                                             "work_plan.status": ("draft", "returned")})
            r["waiting_url"] = list_url(admin, "work_plan", opd=oid, **{"period.code": code,
                                                                       "work_plan.status": "submitted"})
            r["ratings_url"] = list_url(admin, "rater_assignment", opd=oid, **{"period.code": code,
                                                                              "rater_assignment.status": "pending"})
            r["results_url"] = list_url(admin, "score_result", opd=oid, **{"period.code": code})
        ctx["participation"] = rows
    if ctx["full"]:
        curve = reports.curve(session, period)
        for u in curve["units"]:
            u["chart"] = bar_chart(u["distribution"], title=f"Sebaran predikat {u['name']}", limits=u["limits"])
        ctx["curve"] = curve
        ctx["portal_url"] = url_for("public.index")
    return view.render("admin/dashboard.html", **ctx)


def _alignment(session, period, user):
    """Alignment checks of the cascade per OPD (kinerja_admin.planning.cascade): all OPDs for BKPSDM
    staff and auditors, the viewer's own OPD for a penilai; None when the viewer may not see them."""
    from kinerja_admin.planning.cascade import alignment
    from kinerja_admin.scope import user_opd_id

    if not permissions.can("cascade", user.role, "r"):
        return None
    opd_ids = None
    if not is_unscoped(user):
        own = user_opd_id(user)
        opd_ids = {own} if own is not None else set()
    return alignment(session, period, opd_ids)
