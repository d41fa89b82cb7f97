"""Aggregates of the no-login transparency portal.

Only results with status ``published`` count. The portal never reads a NIP, a comment or a rater
identity; the list of individual results (name, position, unit, predicate) is produced only when
the setting ``public.show_individual`` is on, by ``individuals``, and the caller checks the
setting. Every figure comes from GROUP BY queries rolled up over the unit tree in Python.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, or_, select

from kinerja_admin.rating.feedback import counted
from kinerja_admin.rating.ikm import ELEMENT_COLUMNS, ikm_from_sums
from kinerja_admin.settings import get_setting
from models import Employee, Period, Position, PublicFeedback, ScoreResult, Setting, Unit

from .common import Tally, UnitTree, ordered_counts, predicate_order, unit_tree

PUBLISHED = ScoreResult.status == "published"


def show_individual(session) -> bool:
    return bool(get_setting("public.show_individual", session))


def public_periods(session) -> list[Period]:
    """Periods with at least one published result, or whose organisational data (programs, IKM) an
    operator published as a whole (``Period.published_at``, kinerja_admin.planning.publication),
    newest first."""
    ids = select(ScoreResult.period_id).where(PUBLISHED).group_by(ScoreResult.period_id)
    return list(session.scalars(select(Period).where(or_(Period.id.in_(ids), Period.published_at.is_not(None)))
                                .order_by(Period.start_date.desc(), Period.id.desc())))


def _grouped_results(session, *conds):
    """(period_id, unit_id, predicate, n, sum final, n final, sum skp, n skp) of published results."""
    return session.execute(
        select(ScoreResult.period_id, ScoreResult.unit_id, ScoreResult.predicate, func.count(ScoreResult.id),
               func.sum(ScoreResult.final_value), func.count(ScoreResult.final_value),
               func.sum(ScoreResult.skp_value), func.count(ScoreResult.skp_value))
        .where(PUBLISHED, *conds)
        .group_by(ScoreResult.period_id, ScoreResult.unit_id, ScoreResult.predicate)
    ).all()


@dataclass
class Ikm:
    responses: int = 0  # counted (accepted or released by an operator)
    sums: list = field(default_factory=lambda: [0] * len(ELEMENT_COLUMNS))
    held: int = 0  # held back for moderation (not in the index)
    value: Decimal | None = None
    letter: str | None = None
    label: str | None = None
    below_minimum: bool = False

    def add(self, n, sums, held=0) -> None:
        self.responses += int(n or 0)
        self.held += int(held or 0)
        self.sums = [a + int(b or 0) for a, b in zip(self.sums, sums)]

    def finish(self, session) -> "Ikm":
        """IKM by the one IKM function (kinerja_admin.rating.ikm, shared with the inspector workbook),
        from at least `public.ikm_min_responses` counted responses."""
        minimum = max(1, int(get_setting("public.ikm_min_responses", session)))
        self.below_minimum = 0 < self.responses < minimum
        if self.responses >= minimum:
            res = ikm_from_sums(session, self.responses, self.sums)
            self.value, self.letter, self.label = res.value, res.letter, res.label
        return self


def _grouped_feedback(session, *conds):
    """(period_id, unit_id, counted responses, held responses, element sums of the counted ones)."""
    is_counted = counted()
    held = PublicFeedback.status == "held"
    return session.execute(
        select(PublicFeedback.period_id, PublicFeedback.unit_id,
               func.sum(case((is_counted, 1), else_=0)), func.sum(case((held, 1), else_=0)),
               *[func.sum(case((is_counted, getattr(PublicFeedback, c)), else_=0)) for c in ELEMENT_COLUMNS])
        .where(*conds)
        .group_by(PublicFeedback.period_id, PublicFeedback.unit_id)
    ).all()


@dataclass
class UnitRow:
    unit: Unit
    tally: Tally
    ikm: Ikm
    distribution: list = field(default_factory=list)


def city_overview(session, period: Period) -> dict:
    """City-wide picture of one period and one row per top-level unit (OPD)."""
    tree = unit_tree(session)
    order = predicate_order(session, period.scheme_id)
    city = Tally()
    per_root: dict[int, Tally] = {}
    for _pid, unit_id, pred, n, fs, fn, ss, sn in _grouped_results(session, ScoreResult.period_id == period.id):
        city.add(n, fs, fn, ss, sn, pred)
        per_root.setdefault(tree.root_of(unit_id), Tally()).add(n, fs, fn, ss, sn, pred)
    city_ikm = Ikm()
    ikm_root: dict[int, Ikm] = {}
    for _pid, unit_id, n, held, *sums in _grouped_feedback(session, PublicFeedback.period_id == period.id):
        city_ikm.add(n, sums, held)
        ikm_root.setdefault(tree.root_of(unit_id), Ikm()).add(n, sums, held)
    rows = []
    for unit in tree.roots():
        tally = per_root.get(unit.id)
        ikm = ikm_root.get(unit.id)
        if tally is None and ikm is None:
            continue
        tally = tally or Tally()
        rows.append(UnitRow(unit, tally, (ikm or Ikm()).finish(session), ordered_counts(order, tally.predicates)))
    return {"period": period, "city": city, "city_ikm": city_ikm.finish(session),
            "distribution": ordered_counts(order, city.predicates), "units": rows}


def trend(session, unit_ids: set[int] | None = None) -> list[dict]:
    """Per public period (oldest first): count, headline mean and IKM, for the city or a subtree."""
    periods = list(reversed(public_periods(session)))
    if not periods:
        return []
    ids = [p.id for p in periods]
    rconds = [ScoreResult.period_id.in_(ids)]
    fconds = [PublicFeedback.period_id.in_(ids)]
    if unit_ids is not None:
        rconds.append(ScoreResult.unit_id.in_(sorted(unit_ids)))
        fconds.append(PublicFeedback.unit_id.in_(sorted(unit_ids)))
    tallies: dict[int, Tally] = {}
    for pid, _u, pred, n, fs, fn, ss, sn in _grouped_results(session, *rconds):
        tallies.setdefault(pid, Tally()).add(n, fs, fn, ss, sn, pred)
    ikms: dict[int, Ikm] = {}
    for pid, _u, n, held, *sums in _grouped_feedback(session, *fconds):
        ikms.setdefault(pid, Ikm()).add(n, sums, held)
    return [{"period": p, "tally": tallies.get(p.id, Tally()), "ikm": ikms.get(p.id, Ikm()).finish(session)}
            for p in periods]


def find_unit(session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def unit_overview(session, unit: Unit, period: Period) -> dict:
    """One unit (with its sub-units) in one period, plus one row per direct sub-unit."""
    tree: UnitTree = unit_tree(session)
    subtree = tree.subtree(unit.id)
    order = predicate_order(session, period.scheme_id)
    children = sorted((u for u in tree.units.values() if u.parent_id == unit.id), key=lambda u: u.name)
    child_of = {}
    for child in children:
        for uid in tree.subtree(child.id):
            child_of[uid] = child.id
    total = Tally()
    per_child: dict[int, Tally] = {}
    for _pid, unit_id, pred, n, fs, fn, ss, sn in _grouped_results(
            session, ScoreResult.period_id == period.id, ScoreResult.unit_id.in_(sorted(subtree))):
        total.add(n, fs, fn, ss, sn, pred)
        if unit_id in child_of:
            per_child.setdefault(child_of[unit_id], Tally()).add(n, fs, fn, ss, sn, pred)
    ikm = Ikm()
    for _pid, _u, n, held, *sums in _grouped_feedback(
            session, PublicFeedback.period_id == period.id, PublicFeedback.unit_id.in_(sorted(subtree))):
        ikm.add(n, sums, held)
    sub_rows = [UnitRow(c, per_child[c.id], Ikm(), ordered_counts(order, per_child[c.id].predicates))
                for c in children if c.id in per_child]
    return {"unit": unit, "period": period, "tally": total, "ikm": ikm.finish(session),
            "distribution": ordered_counts(order, total.predicates), "children": sub_rows,
            "subtree": subtree}


def individuals(session, period: Period, unit_ids: set[int], limit: int = 2000) -> list[dict]:
    """Published results of a subtree: name, position, unit and predicate only (never the NIP,
    values or comments). Call only when ``show_individual`` is on."""
    rows = session.execute(
        select(Employee.name, Position.name, Unit.name, ScoreResult.predicate)
        .join(Employee, Employee.id == ScoreResult.employee_id)
        .outerjoin(Position, Position.id == Employee.position_id)
        .outerjoin(Unit, Unit.id == ScoreResult.unit_id)
        .where(PUBLISHED, ScoreResult.period_id == period.id, ScoreResult.unit_id.in_(sorted(unit_ids)))
        .order_by(Unit.name, Employee.name).limit(limit)
    ).all()
    return [{"name": r[0], "position": r[1] or "", "unit": r[2] or "", "predicate": r[3] or "-"} for r in rows]


def fingerprint(session) -> str:
    """A cheap validator of everything the portal shows (for the ETag): a handful of aggregate
    queries over indexed columns, no row reads."""
    parts = []
    parts += list(session.execute(
        select(func.count(ScoreResult.id), func.max(ScoreResult.updated_at), func.max(ScoreResult.published_at),
               func.sum(ScoreResult.version)).where(PUBLISHED)).one())
    parts += list(session.execute(select(func.count(PublicFeedback.id), func.max(PublicFeedback.id),
                                         func.max(PublicFeedback.moderated_at))).one())
    parts += list(session.execute(select(func.count(Period.id), func.max(Period.updated_at))).one())
    parts += list(session.execute(select(func.count(Unit.id), func.max(Unit.updated_at))).one())
    parts.append(session.scalar(select(Setting.value).where(Setting.key == "public.show_individual")))
    if show_individual(session):
        parts += list(session.execute(select(func.count(Employee.id), func.max(Employee.updated_at))).one())
        parts += list(session.execute(select(func.count(Position.id), func.max(Position.updated_at))).one())
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
