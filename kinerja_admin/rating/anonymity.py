"""What a ratee (and their superior) may see of their 360 ratings.

Peer (rekan) and subordinate (bawahan) results are shown only as averages and only when at least
``rating.anonymity_k`` raters of that role submitted; below the threshold nothing of the role is
shown (not even per-aspect values). Atasan and diri results are shown as they are (their raters are
known to the ratee anyway). Rater identities never leave this module. The threshold applies to every
viewer, admin included: this is the "Kinerja Saya" view, not an audit tool.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from kinerja_admin.scope import is_unscoped
from kinerja_admin.settings import get_setting
from models import BehaviourAspect, BehaviourRating, Employee, RaterAssignment, WorkPlan
from models.base import RATER_ROLES

from .common import RatingError, resolve_period

THRESHOLD_ROLES = ("rekan", "bawahan")
TWO = Decimal("0.01")


@dataclass
class RoleAverage:
    role: str
    label: str
    raters: int
    visible: bool
    average: Decimal | None = None  # exact mean of every submitted value of the role
    aspects: dict[str, Decimal] = field(default_factory=dict)  # aspect name -> mean
    note: str | None = None

    @property
    def average_display(self) -> Decimal | None:
        return None if self.average is None else self.average.quantize(TWO, rounding=ROUND_HALF_UP)


def may_view(session, period, ratee_id: int, viewer) -> bool:
    """The ratee, their atasan (superior or the plan's rater) and the all-rows roles."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if is_unscoped(viewer):
        return True
    me = getattr(viewer, "employee_id", None)
    if me is None:
        return False
    if me == ratee_id:
        return True
    if session.scalar(select(Employee.id).where(Employee.id == ratee_id, Employee.superior_id == me)):
        return True
    return session.scalar(select(WorkPlan.id).where(
        WorkPlan.period_id == period.id, WorkPlan.employee_id == ratee_id, WorkPlan.rater_id == me)) is not None


def role_averages_for(session, period, ratee, viewer) -> dict[str, RoleAverage]:
    """Role -> RoleAverage for one ratee in one period, as ``viewer`` may see it.

    Raises RatingError when the viewer is neither the ratee, their superior, nor an
    admin/operator/inspektur.
    """
    period = resolve_period(session, period)
    ratee_id = ratee.id if isinstance(ratee, Employee) else int(ratee)
    if not may_view(session, period, ratee_id, viewer):
        raise RatingError("Anda tidak berhak melihat hasil penilaian pegawai ini.")
    k = int(get_setting("rating.anonymity_k", session))

    raters = dict(session.execute(
        select(RaterAssignment.role, func.count(RaterAssignment.id))
        .where(RaterAssignment.period_id == period.id, RaterAssignment.ratee_id == ratee_id,
               RaterAssignment.status == "submitted", RaterAssignment.rater_id.is_not(None))
        .group_by(RaterAssignment.role)
    ).all())
    sums = session.execute(
        select(RaterAssignment.role, BehaviourAspect.name, BehaviourAspect.seq,
               func.sum(BehaviourRating.value), func.count(BehaviourRating.id))
        .join(BehaviourRating, BehaviourRating.assignment_id == RaterAssignment.id)
        .join(BehaviourAspect, BehaviourAspect.id == BehaviourRating.aspect_id)
        .where(RaterAssignment.period_id == period.id, RaterAssignment.ratee_id == ratee_id,
               RaterAssignment.status == "submitted", RaterAssignment.rater_id.is_not(None))
        .group_by(RaterAssignment.role, BehaviourAspect.name, BehaviourAspect.seq)
        .order_by(BehaviourAspect.seq)
    ).all()

    out: dict[str, RoleAverage] = {}
    totals: dict[str, list[Decimal]] = {}
    for role, name, _seq, total, count in sums:
        total = Decimal(str(total))
        out.setdefault(role, RoleAverage(role, RATER_ROLES.get(role, role), int(raters.get(role, 0)), True))
        out[role].aspects[name] = total / Decimal(count)
        acc = totals.setdefault(role, [Decimal(0), Decimal(0)])
        acc[0] += total
        acc[1] += count
    for role, (total, count) in totals.items():
        out[role].average = total / count
    for role in THRESHOLD_ROLES:
        n = int(raters.get(role, 0))
        entry = out.get(role) or RoleAverage(role, RATER_ROLES[role], n, False)
        if n < k:
            entry = RoleAverage(role, RATER_ROLES[role], n, False,
                                note=f"Belum ditampilkan: baru {n} penilai {RATER_ROLES[role].lower()}, "
                                     f"minimal {k} penilai agar identitas penilai terlindungi.")
        out[role] = entry

    from .ikm import masyarakat_scores

    public = masyarakat_scores(session, period, employee_ids=[ratee_id]).get(ratee_id)
    if public is not None:
        out["masyarakat"] = RoleAverage("masyarakat", RATER_ROLES["masyarakat"], public.responses, True,
                                        average=public.scaled,
                                        note=f"Dari {public.responses} umpan balik publik (skala 1-4 "
                                             f"dipetakan ke skala skema).")
    return out
