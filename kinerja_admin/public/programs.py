"""Programs on the transparency portal (no login), under /publik/program/, for public periods only
(kinerja_admin.reports.public.public_periods: a published result, or organisational data published):

* ``/publik/program/``: per OPD, indicators reached / not reached, weighted capaian, IKM;
* ``/publik/program/<opd>``: the OPD's IKU and program indicators (target, realisation, capaian,
  trend over public periods), the IKM trend and the recorded policies with their significance;
* ``/publik/program/<opd>/<program code>``: one program with its kegiatan and sub kegiatan;
* ``/publik/program/<opd>/indikator/<code>``: the employees whose work fed an indicator, only when
  the setting ``public.show_individual`` is on (name and position; never a NIP or a score).

A period that is not public gives 404 and its figures appear nowhere (not even in a trend).
"""
from __future__ import annotations

import hashlib

from flask import abort, request
from sqlalchemy import func, select

from kinerja_admin.charts import line_chart
from kinerja_admin.planning.effectiveness import opd_page, opd_summaries, program_page
from kinerja_admin.planning.impact import policies_for_opd, policy_impact
from kinerja_admin.planning.rollup import cascade_people
from kinerja_admin.reports import public as reports
from kinerja_admin.reports.common import PERIOD_ARG, pick_period
from models import OrgIndicator, OrgRealisation, PolicyChange, Program, Target, Unit, db

from . import bp
from .portal import _cached, _page


def _fingerprint(session) -> str:
    parts = [reports.fingerprint(session)]
    for model in (OrgIndicator, OrgRealisation, Program, Target, PolicyChange):
        parts += list(session.execute(select(func.count(model.id), func.max(model.updated_at))).one())
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _public_planning_periods(session, opd_id: int | None = None):
    """Public periods holding organisation indicators (of one OPD), newest first."""
    q = select(OrgIndicator.period_id).group_by(OrgIndicator.period_id)
    if opd_id is not None:
        q = q.where(OrgIndicator.unit_id == opd_id)
    with_data = set(session.scalars(q))
    return [p for p in reports.public_periods(session) if p.id in with_data]


def _choose(periods):
    """The public period asked for (404 for any other code), else the default one."""
    code = request.args.get(PERIOD_ARG)
    period = pick_period(periods, code, strict=True)
    if period is None and (periods or code):
        abort(404)
    return period


def _opd(session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code, Unit.parent_id.is_(None)))
    if unit is None:
        abort(404)
    return unit


@bp.route("/program/")
def programs_index():
    session = db.session

    def render():
        periods = _public_planning_periods(session)
        period = _choose(periods)
        rows = opd_summaries(session, period) if period else []
        return _page("public/program/index.html", periods=periods, period=period, rows=rows)

    return _cached(_fingerprint(session), render)


@bp.route("/program/<code>")
def programs_opd(code):
    session = db.session

    def render():
        unit = _opd(session, code)
        periods = _public_planning_periods(session, unit.id)
        period = _choose(periods)
        if period is None:
            return _page("public/program/opd.html", unit=unit, periods=[], period=None, data=None)
        data = opd_page(session, period, unit.id, periods)
        public_ids = {p.id for p in reports.public_periods(session)}
        policies = []
        for policy in policies_for_opd(session, unit.id):
            impact = policy_impact(session, policy, with_indicators=False)
            if impact["before"] is not None and impact["after"] is not None \
                    and {impact["before"].id, impact["after"].id} <= public_ids:
                policies.append(impact)
        chart = line_chart([(p.code, ikm.value) for p, ikm in data["ikm_trend"]], title=f"Tren IKM {unit.name}")
        return _page("public/program/opd.html", unit=unit, periods=periods, period=period, data=data,
                     policies=policies, ikm_chart=chart, show_people=reports.show_individual(session))

    return _cached(_fingerprint(session), render)


@bp.route("/program/<code>/<program_code>")
def programs_program(code, program_code):
    session = db.session

    def render():
        unit = _opd(session, code)
        periods = _public_planning_periods(session, unit.id)
        period = _choose(periods)
        if period is None:
            abort(404)
        program = session.scalar(select(Program).where(Program.period_id == period.id, Program.unit_id == unit.id,
                                                       Program.code == program_code))
        if program is None:
            abort(404)
        data = program_page(session, program, periods)
        return _page("public/program/program.html", unit=unit, periods=periods, period=period, data=data)

    return _cached(_fingerprint(session), render)


@bp.route("/program/<code>/indikator/<indicator_code>")
def programs_people(code, indicator_code):
    session = db.session

    def render():
        if not reports.show_individual(session):
            abort(404)
        unit = _opd(session, code)
        periods = _public_planning_periods(session, unit.id)
        period = _choose(periods)
        if period is None:
            abort(404)
        indicator = session.scalar(select(OrgIndicator).where(
            OrgIndicator.period_id == period.id, OrgIndicator.unit_id == unit.id, OrgIndicator.code == indicator_code))
        if indicator is None:
            abort(404)
        people = cascade_people(session, period.id, indicator.id)
        return _page("public/program/people.html", unit=unit, period=period, indicator=indicator,
                     people=[{"name": p["name"], "position": p["position"], "level": p["level"]} for p in people])

    return _cached(_fingerprint(session), render)
