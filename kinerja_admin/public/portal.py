"""Transparency portal (no login): aggregates of published results and IKM per period and unit.

No personal data by default; with the setting ``public.show_individual`` on, a unit page also lists
name, position, unit and predicate of each published result (never the NIP, values or comments).
Pages are cache-friendly: ``Cache-Control: public, max-age=300`` and an ETag derived from a cheap
fingerprint of the data, answered with 304 when unchanged.
"""
from __future__ import annotations

import hashlib

from flask import abort, current_app, make_response, render_template, request, url_for

from kinerja_admin.charts import bar_chart, line_chart
from kinerja_admin.reports import public as reports
from kinerja_admin.reports.common import PERIOD_ARG, pick_period
from models import db

from . import bp

CACHE_SECONDS = 300


def _survey_url(unit):
    """Link to the citizen survey of a unit (the feedback blueprint), when it exists."""
    if not (unit.public_facing and unit.slug) or "public.unit_survey" not in current_app.view_functions:
        return None
    return url_for("public.unit_survey", slug=unit.slug)


def _survey_index_url():
    if "public.survey_index" not in current_app.view_functions:
        return None
    return url_for("public.survey_index")


def _page(template, **context):
    return render_template(template, survey_index=_survey_index_url(), **context)


def _pick_period(periods):
    period = pick_period(periods, request.args.get(PERIOD_ARG), strict=True)
    if periods and period is None:
        abort(404)
    return period


def _cached(fingerprint: str, render):
    """Answer 304 when the client's ETag matches, else render; always cache-friendly headers."""
    etag = hashlib.sha256(f"{fingerprint}|{request.full_path}".encode()).hexdigest()[:40]
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = make_response(render())
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def _trend_charts(rows, scope_label):
    score = line_chart([(r["period"].code, r["tally"].score) for r in rows],
                       title=f"Tren rata-rata nilai {scope_label}")
    ikm = line_chart([(r["period"].code, r["ikm"].value) for r in rows],
                     title=f"Tren IKM {scope_label}")
    return score, ikm


@bp.route("/")
def index():
    session = db.session
    fingerprint = reports.fingerprint(session)

    def render():
        periods = reports.public_periods(session)
        period = _pick_period(periods)
        if period is None:
            return _page("public/index.html", periods=[], period=None)
        data = reports.city_overview(session, period)
        trend = reports.trend(session)
        score_trend, ikm_trend = _trend_charts(trend, "kota")
        return _page(
            "public/index.html", periods=periods, period=period, data=data, trend=trend,
            chart=bar_chart(data["distribution"], title=f"Sebaran predikat {period.name}"),
            score_trend=score_trend, ikm_trend=ikm_trend, survey_url=_survey_url)

    return _cached(fingerprint, render)


@bp.route("/unit/<code>")
def unit(code):
    session = db.session
    fingerprint = reports.fingerprint(session)

    def render():
        unit = reports.find_unit(session, code)
        if unit is None:
            abort(404)
        periods = reports.public_periods(session)
        period = _pick_period(periods)
        if period is None:
            return _page("public/unit.html", unit=unit, periods=[], period=None, people=None,
                                   survey=_survey_url(unit))
        data = reports.unit_overview(session, unit, period)
        trend = reports.trend(session, data["subtree"])
        score_trend, ikm_trend = _trend_charts(trend, unit.name)
        people = None
        if reports.show_individual(session):
            people = reports.individuals(session, period, data["subtree"])
        return _page(
            "public/unit.html", unit=unit, periods=periods, period=period, data=data, trend=trend,
            chart=bar_chart(data["distribution"], title=f"Sebaran predikat {unit.name} {period.name}"),
            score_trend=score_trend, ikm_trend=ikm_trend, people=people, survey=_survey_url(unit))

    return _cached(fingerprint, render)
