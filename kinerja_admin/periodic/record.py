"""Recording through the year: the employee's periodic realisation, the rater's periodic judgement, and
the annual realisation derived from the periodic ones.

Writes go through the ORM as the acting user, so the record policy's session guard decides (the
subject records while the window is open and the plan is approved; the rater, or the Plt/Plh in force,
judges); these functions check the input and the row version of the form. The derived annual
realisation is written as the system in the same transaction (kinerja_admin.policy.system)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from models import Indicator, PeriodicJudgement, PeriodicRealisation, Realisation, ScoringScheme, SubPeriod, Target
from models.base import CATEGORIES

from .. import policy
from ..skp.editing import InputError, check_version, number, text, url
from ..workflow import trail

QUARTER = Decimal("0.0001")


def window_of(session, plan, window_id) -> SubPeriod:
    try:
        wid = int(window_id)
    except (TypeError, ValueError):
        wid = -1
    row = session.scalar(select(SubPeriod).where(SubPeriod.id == wid, SubPeriod.period_id == plan.period_id))
    if row is None:
        raise InputError("Jendela evaluasi periodik tidak ditemukan pada periode SKP ini.")
    return row


def save_realisation(session, plan, indicator: Indicator, window: SubPeriod, form) -> PeriodicRealisation:
    """Record or change the employee's realisation of `indicator` in `window` (one row per pair)."""
    value = number(form.get("value"), "Nilai realisasi periodik")
    link = url(form.get("evidence_url"))
    note = text(form.get("evidence_note"), "Catatan bukti", required=False)
    row = session.scalar(select(PeriodicRealisation).where(PeriodicRealisation.indicator_id == indicator.id,
                                                           PeriodicRealisation.sub_period_id == window.id))
    if row is None:
        row = PeriodicRealisation(indicator_id=indicator.id, sub_period_id=window.id, value=value,
                                  evidence_url=link, evidence_note=note)
        session.add(row)
    else:
        check_version(row, form.get("version"), "Realisasi periodik ini")
        row.value, row.evidence_url, row.evidence_note = value, link, note
    session.flush()
    derive_annual(session, plan, indicator)
    from ..notify import events

    events.periodic_realised(session, plan.id, window, trail.resolve_actor(session))
    return row


def save_judgement(session, plan, target: Target, window: SubPeriod, form) -> PeriodicJudgement:
    """The rater's judgement and feedback of one RHK in one window."""
    category = (form.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES:
        raise InputError("Pilih penilaian: di atas, sesuai, atau di bawah ekspektasi.")
    feedback = text(form.get("feedback"), "Umpan balik periodik", required=False)
    if category is None and feedback is None:
        raise InputError("Isi penilaian atau umpan balik periodik.")
    row = session.scalar(select(PeriodicJudgement).where(PeriodicJudgement.target_id == target.id,
                                                         PeriodicJudgement.sub_period_id == window.id))
    if row is None:
        row = PeriodicJudgement(target_id=target.id, sub_period_id=window.id, category=category, feedback=feedback)
        session.add(row)
    else:
        check_version(row, form.get("version"), "Penilaian periodik ini")
        row.category, row.feedback = category, feedback
    session.flush()
    from ..notify import events

    events.periodic_judged(session, plan.id, window, trail.resolve_actor(session))
    return row


# --- the annual realisation from the periodic ones ------------------------------------------------------

def aggregate(aspect: str, values: list[Decimal]) -> Decimal | None:
    """The cumulative realisation of an indicator over its windows: the sum (kuantitas, waktu, biaya:
    what was produced, used or spent adds up), the mean for kualitas (a level, not an amount)."""
    if not values:
        return None
    total = sum(values, Decimal(0))
    if aspect == "kualitas":
        return (total / len(values)).quantize(QUARTER)
    return total.quantize(QUARTER)


def derives(session, plan) -> bool:
    scheme_id = plan.period.scheme_id
    return bool(scheme_id and session.scalar(select(ScoringScheme.annual_from_periodic)
                                            .where(ScoringScheme.id == scheme_id)))


def derive_annual(session, plan, indicator: Indicator) -> Realisation | None:
    """Where the period's scheme says so, the indicator's annual realisation (the one scored: the latest)
    is the cumulative periodic realisation, kept in one derived Realisation row written by the system."""
    if not derives(session, plan):
        return None
    values = list(session.scalars(
        select(PeriodicRealisation.value).join(SubPeriod, SubPeriod.id == PeriodicRealisation.sub_period_id)
        .where(PeriodicRealisation.indicator_id == indicator.id).order_by(SubPeriod.seq)))
    value = aggregate(indicator.aspect, [Decimal(v) for v in values])
    latest = session.scalar(select(Realisation).where(Realisation.indicator_id == indicator.id)
                            .order_by(Realisation.id.desc()).limit(1))
    actor = trail.resolve_actor(session)
    note = f"Dihitung dari realisasi periodik ({len(values)} jendela evaluasi)"
    with policy.system(session):
        if value is None:
            if latest is not None and latest.derived:
                session.delete(latest)
        elif latest is not None and latest.derived:
            latest.value, latest.evidence_note = value, note
            trail.note(latest, action="update", reason="realisasi tahunan dari realisasi periodik", actor=actor)
        else:
            latest = Realisation(indicator_id=indicator.id, value=value, evidence_note=note, derived=True,
                                 recorded_by_id=getattr(actor, "id", None))
            trail.note(latest, action="insert", reason="realisasi tahunan dari realisasi periodik", actor=actor)
            session.add(latest)
        session.flush()
    return latest


# --- what the SKP page and the evaluation document show -------------------------------------------------

def overview(session, plan, day=None) -> list[dict]:
    """Per window: its state, per RHK the rater's judgement and per indicator the realisation and the
    cumulative realisation up to that window. A fixed number of queries."""
    from ..clock import today
    from .windows import state

    day = day or today(session)
    windows = session.scalars(select(SubPeriod).where(SubPeriod.period_id == plan.period_id)
                              .order_by(SubPeriod.seq)).all()
    if not windows:
        return []
    targets = session.scalars(select(Target).where(Target.work_plan_id == plan.id)
                              .order_by(Target.seq, Target.id)).all()
    tids = [t.id for t in targets]
    inds = session.scalars(select(Indicator).where(Indicator.target_id.in_(tids or [-1])).order_by(Indicator.id)).all()
    reals = {(r.indicator_id, r.sub_period_id): r for r in session.scalars(
        select(PeriodicRealisation).where(PeriodicRealisation.indicator_id.in_([i.id for i in inds] or [-1])))}
    judg = {(j.target_id, j.sub_period_id): j for j in session.scalars(
        select(PeriodicJudgement).where(PeriodicJudgement.target_id.in_(tids or [-1])))}
    by_target: dict[int, list] = {}
    for i in inds:
        by_target.setdefault(i.target_id, []).append(i)
    out = []
    running: dict[int, list] = {}
    for w in windows:
        rows = []
        for t in targets:
            irows = []
            for i in by_target.get(t.id, []):
                r = reals.get((i.id, w.id))
                if r is not None:
                    running.setdefault(i.id, []).append(Decimal(r.value))
                irows.append({"indicator": i, "realisation": r,
                              "cumulative": aggregate(i.aspect, running.get(i.id, []))})
            rows.append({"target": t, "judgement": judg.get((t.id, w.id)), "indicators": irows})
        recorded = sum(1 for t in rows for i in t["indicators"] if i["realisation"] is not None)
        expected = sum(len(t["indicators"]) for t in rows)
        judged = sum(1 for t in rows if t["judgement"] is not None and t["judgement"].category)
        out.append({"window": w, "state": state(w, day), "targets": rows, "recorded": recorded,
                    "expected": expected, "judged": judged, "rhk": len(rows)})
    return out
