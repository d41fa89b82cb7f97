"""Rater assignment per period (penugasan penilai 360 derajat), generated from the hierarchy.

Roles generated here (masyarakat comes from public feedback, see ikm.py):

- atasan   the rater of the employee's plan (WorkPlan.rater_id) or, without a plan, the superior
- bawahan  every active employee whose atasan is the ratee rates the ratee
- diri     the employee rates themself, when the setting ``rating.self_enabled`` is on
- rekan    peers: active employees at the same position level in the same unit. When the unit has
           fewer than ``rating.peer_min`` + 1 such employees, they join the nearest peer group of
           the same level in the unit's subtree or move up to the parent unit (see peer_groups), so
           a lone Kepala Seksi is rated by the other Kepala Seksi of the bidang. The groups partition
           the staff; inside a group, peers sorted by id form a ring and each ratee is rated by the
           next ``min(peer_max, n - 1)`` members: deterministic, and every rater rates exactly as
           many peers as rate them, never everyone in a group larger than peer_max + 1.

The generator is idempotent and never touches what exists: for each (ratee, role) that already has
at least one assignment (generated earlier or edited by an operator) it adds nothing. Rows are
computed in memory from three set-based reads and written with batched Core inserts.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, delete, func, insert, select

from kinerja_admin import policy
from kinerja_admin.audit import record
from kinerja_admin.orgtree import UnitTree, unit_subtree, unit_tree
from kinerja_admin.settings import get_setting
from models import BehaviourRating, Employee, Period, Position, RaterAssignment, Unit, WorkPlan
from models.base import RATER_ROLES, utcnow

from .common import RatingError, ensure_open, resolve_period

GENERATED_ROLES = ("atasan", "rekan", "bawahan", "diri")
MANUAL_ROLES = ("atasan", "rekan", "bawahan", "diri")  # masyarakat is never assigned by hand
ANONYMOUS_ROLES = ("rekan", "bawahan")
_CHUNK = 1000


@dataclass
class _Staff:
    id: int
    unit_id: int
    superior_id: int | None
    level: int | None


def _load_staff(session) -> dict[int, _Staff]:
    rows = session.execute(
        select(Employee.id, Employee.unit_id, Employee.superior_id, Position.level)
        .outerjoin(Position, Position.id == Employee.position_id)
        .where(Employee.active.is_(True))
    ).all()
    return {r.id: _Staff(r.id, r.unit_id, r.superior_id, r.level) for r in rows}


def _unit_parents(session) -> dict[int, int | None]:
    return unit_tree(session).parent


def atasan_map(session, period: Period, staff: dict[int, _Staff] | None = None) -> dict[int, int]:
    """ratee id -> atasan id: the plan's rater of the period, else the superior (both active)."""
    staff = staff if staff is not None else _load_staff(session)
    plan_rater = dict(session.execute(
        select(WorkPlan.employee_id, WorkPlan.rater_id)
        .where(WorkPlan.period_id == period.id, WorkPlan.rater_id.is_not(None))
    ).all())
    out = {}
    for e in staff.values():
        boss = plan_rater.get(e.id) or e.superior_id
        if boss is not None and boss != e.id and boss in staff:
            out[e.id] = boss
    return out


def peer_groups(staff: dict[int, _Staff], parents: dict[int, int | None], peer_min: int) -> list[list[int]]:
    """Partition the staff into peer groups (each employee in exactly one group, same level).

    Bottom-up over the unit tree: the employees of a unit at one level form a group when there are
    at least ``peer_min`` + 1 of them; a smaller set joins the largest group already formed in the
    unit's subtree at that level, or else moves up to the parent unit. A group smaller than that
    only remains when the whole top-level unit has no more employees at the level.
    """
    tree = UnitTree(parents)
    depth = {u: len(tree.ancestors(u)) for u in parents}
    buckets: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for e in staff.values():
        buckets[(e.unit_id, e.level)].append(e.id)
    groups: list[list[int]] = []
    under: dict[tuple[int, int | None], list[int]] = defaultdict(list)  # formed groups in a subtree
    for unit in sorted(parents, key=lambda u: (-depth[u], u)):
        levels = {lv for (u, lv) in list(buckets) if u == unit} | {lv for (u, lv) in list(under) if u == unit}
        for level in sorted(levels, key=lambda lv: (lv is None, lv or 0)):
            members = buckets.pop((unit, level), [])
            if members:
                if len(members) - 1 >= peer_min:
                    groups.append(members)
                    under[(unit, level)].append(len(groups) - 1)
                elif under.get((unit, level)):
                    best = max(under[(unit, level)], key=lambda g: (len(groups[g]), -min(groups[g])))
                    groups[best].extend(members)
                elif parents.get(unit) is not None and parents[unit] in depth:
                    buckets[(parents[unit], level)].extend(members)
                else:
                    groups.append(members)
                    under[(unit, level)].append(len(groups) - 1)
            parent = parents.get(unit)
            if parent is not None and parent in depth and under.get((unit, level)):
                under[(parent, level)].extend(under[(unit, level)])
    for members in buckets.values():  # units outside the tree (should not happen): keep them apart
        groups.append(members)
    return [sorted(g) for g in groups]


def peer_plan(staff: dict[int, _Staff], parents: dict[int, int | None], peer_min: int,
              peer_max: int) -> dict[int, list[int]]:
    """ratee id -> the peers who rate them: a ring over each peer group sorted by id, so that every
    member rates and is rated by ``min(peer_max, n - 1)`` others."""
    out: dict[int, list[int]] = {}
    for members in peer_groups(staff, parents, peer_min):
        n = len(members)
        count = min(peer_max, n - 1)
        if count <= 0:
            continue
        for pos, eid in enumerate(members):
            out[eid] = [members[(pos + k) % n] for k in range(1, count + 1)]
    return out


def planned_pairs(session, period: Period) -> list[tuple[int, int, str]]:
    """Every (ratee, rater, role) the hierarchy implies for the period, in a stable order."""
    staff = _load_staff(session)
    parents = _unit_parents(session)
    peer_min = int(get_setting("rating.peer_min", session))
    peer_max = max(int(get_setting("rating.peer_max", session)), 0)
    self_enabled = bool(get_setting("rating.self_enabled", session))
    bosses = atasan_map(session, period, staff)

    pairs: list[tuple[int, int, str]] = []
    for ratee, boss in sorted(bosses.items()):
        pairs.append((ratee, boss, "atasan"))
        pairs.append((boss, ratee, "bawahan"))
    for ratee, peers in sorted(peer_plan(staff, parents, peer_min, peer_max).items()):
        pairs.extend((ratee, p, "rekan") for p in peers if p != ratee)
    if self_enabled:
        pairs.extend((eid, eid, "diri") for eid in sorted(staff))
    return pairs


@dataclass
class GenerateResult:
    period_code: str
    added: dict[str, int] = field(default_factory=lambda: {r: 0 for r in GENERATED_ROLES})
    kept: int = 0  # (ratee, role) pairs left as they were because assignments exist

    @property
    def total_added(self) -> int:
        return sum(self.added.values())

    def summary(self) -> str:
        parts = ", ".join(f"{RATER_ROLES[r].lower()} {n}" for r, n in self.added.items())
        return (f"Periode {self.period_code}: {self.total_added} penugasan baru ({parts}); "
                f"{self.kept} kelompok pegawai/peran yang sudah ada dibiarkan.")


def generate_assignments(session, period, *, user=None, dry_run: bool = False) -> GenerateResult:
    """Create the missing assignments of a period (idempotent); the caller commits."""
    period = resolve_period(session, period)
    ensure_open(period)
    existing = set(session.execute(
        select(RaterAssignment.ratee_id, RaterAssignment.role).where(RaterAssignment.period_id == period.id)
        .distinct()
    ).all())
    result = GenerateResult(period.code)
    now = utcnow()
    rows = []
    kept = set()
    for ratee, rater, role in planned_pairs(session, period):
        if (ratee, role) in existing:
            kept.add((ratee, role))
            continue
        rows.append(dict(period_id=period.id, ratee_id=ratee, rater_id=rater, role=role, status="pending",
                         submitted_at=None, created_at=now, updated_at=now))
        result.added[role] += 1
    result.kept = len(kept)
    if not dry_run:
        for i in range(0, len(rows), _CHUNK):
            session.execute(insert(RaterAssignment), rows[i:i + _CHUNK])
        if rows:
            record("generate", "rater_assignment", None, period_id=period.id, user=user, session=session,
                   changes={"added": result.added}, reason="Penugasan penilai dibuat dari struktur organisasi")
            from kinerja_admin.notify import events

            events.ratings_requested(session, period, user)  # each rater asked once per period
    return result


# --- operator edits ------------------------------------------------------------------------------

def check_assignment(session, period_id, ratee_id, rater_id, role, *, exclude_id: int | None = None) -> None:
    """Raise RatingError when a manual assignment breaks a rule."""
    if role not in MANUAL_ROLES:
        raise RatingError("Peran penilai masyarakat berasal dari umpan balik publik dan tidak dapat "
                          "ditugaskan secara manual.")
    if period_id is None or ratee_id is None or rater_id is None:
        raise RatingError("Periode, pegawai yang dinilai dan penilai wajib diisi.")
    period = session.get(Period, period_id)
    if period is None:
        raise RatingError("Periode tidak ditemukan.")
    ensure_open(period)
    if role == "diri" and ratee_id != rater_id:
        raise RatingError("Pada peran diri sendiri, penilai harus pegawai yang dinilai.")
    if role != "diri" and ratee_id == rater_id:
        raise RatingError(f"Pegawai tidak dapat menilai dirinya sendiri sebagai {RATER_ROLES[role].lower()}.")
    for eid in {ratee_id, rater_id}:
        emp = session.get(Employee, eid)
        if emp is None or not emp.active:
            raise RatingError("Pegawai yang dinilai dan penilai harus pegawai aktif.")
    dup = select(RaterAssignment.id).where(
        RaterAssignment.period_id == period_id, RaterAssignment.ratee_id == ratee_id,
        RaterAssignment.rater_id == rater_id, RaterAssignment.role == role)
    if exclude_id is not None:
        dup = dup.where(RaterAssignment.id != exclude_id)
    if session.scalar(dup) is not None:
        raise RatingError("Penugasan yang sama sudah ada pada periode ini.")


def _audit_changes(a: RaterAssignment) -> dict:
    """Audit payload; the rater of peers and subordinates stays out of the (widely readable) log."""
    data = {"period_id": a.period_id, "ratee_id": a.ratee_id, "role": a.role}
    if a.role not in ANONYMOUS_ROLES:
        data["rater_id"] = a.rater_id
    return data


def add_assignment(session, period, ratee_id: int, rater_id: int, role: str, *, user=None) -> RaterAssignment:
    period = resolve_period(session, period)
    check_assignment(session, period.id, ratee_id, rater_id, role)
    # the record policy decides who may add it (nobody adds raters to their own 360, for instance)
    policy.assert_may_write(session, RaterAssignment(period_id=period.id, ratee_id=ratee_id, rater_id=rater_id,
                                                     role=role, status="pending"), "ditambahkan", actor=user)
    # A Core insert: the ORM audit trail would log the rater of a peer/subordinate assignment in the
    # (inspektur-readable) audit log; our own entry leaves the rater out for those roles.
    now = utcnow()
    new_id = session.execute(insert(RaterAssignment).values(
        period_id=period.id, ratee_id=ratee_id, rater_id=rater_id, role=role, status="pending",
        created_at=now, updated_at=now)).inserted_primary_key[0]
    row = session.get(RaterAssignment, new_id)
    record("insert", "rater_assignment", row.id, changes=_audit_changes(row), period_id=period.id,
           subject_id=row.ratee_id, user=user,
           session=session)
    return row


def check_removable(session, assignment: RaterAssignment) -> None:
    if assignment.period is not None:
        ensure_open(assignment.period)
    has_ratings = session.scalar(
        select(BehaviourRating.id).where(BehaviourRating.assignment_id == assignment.id).limit(1))
    if assignment.status == "submitted" or has_ratings is not None:
        raise RatingError("Penugasan ini tidak dapat dihapus atau diubah: penilaian sudah dikirim.")


def remove_assignment(session, assignment_id: int, *, user=None) -> None:
    row = session.get(RaterAssignment, assignment_id)
    if row is None:
        raise RatingError("Penugasan tidak ditemukan.")
    check_removable(session, row)
    policy.assert_may_write(session, row, "dihapus", actor=user)
    changes = _audit_changes(row)
    period_id, ratee_id = row.period_id, row.ratee_id
    session.execute(delete(RaterAssignment).where(RaterAssignment.id == assignment_id,
                                                  RaterAssignment.status == "pending"))
    session.expunge(row)
    record("delete", "rater_assignment", assignment_id, changes=changes, period_id=period_id,
           subject_id=ratee_id, user=user, session=session)


# --- completeness --------------------------------------------------------------------------------

@dataclass
class CompletenessRow:
    employee_id: int
    name: str
    nip: str
    unit: str
    counts: dict[str, tuple[int, int]]  # role -> (assigned, submitted)
    issues: list[str]

    @property
    def complete(self) -> bool:
        return not self.issues


def completeness(session, period, unit_id: int | None = None) -> list[CompletenessRow]:
    """Per active employee of the unit (and its sub-units): assignments per role and what is missing."""
    period = resolve_period(session, period)
    peer_min = int(get_setting("rating.peer_min", session))
    k = int(get_setting("rating.anonymity_k", session))
    self_enabled = bool(get_setting("rating.self_enabled", session))
    units = unit_subtree(session, unit_id) if unit_id is not None else None

    q = (select(Employee.id, Employee.name, Employee.nip, Unit.name.label("unit_name"))
         .join(Unit, Unit.id == Employee.unit_id).where(Employee.active.is_(True)).order_by(Unit.name, Employee.name))
    if units is not None:
        q = q.where(Employee.unit_id.in_(units))
    people = session.execute(q).all()

    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    submitted = func.sum(case((RaterAssignment.status == "submitted", 1), else_=0))
    stmt = (select(RaterAssignment.ratee_id, RaterAssignment.role, func.count(), submitted)
            .where(RaterAssignment.period_id == period.id, RaterAssignment.role != "masyarakat")
            .group_by(RaterAssignment.ratee_id, RaterAssignment.role))
    if units is not None:
        stmt = stmt.join(Employee, and_(Employee.id == RaterAssignment.ratee_id, Employee.unit_id.in_(units)))
    for ratee, role, n, s in session.execute(stmt):
        counts[ratee][role] = (int(n), int(s or 0))

    bosses = atasan_map(session, period)
    n_subs: dict[int, int] = defaultdict(int)
    for _sub, boss in bosses.items():
        n_subs[boss] += 1

    out = []
    for p in people:
        c = counts.get(p.id, {})
        issues = []
        a_n, a_s = c.get("atasan", (0, 0))
        if p.id in bosses and a_n == 0:
            issues.append("belum ada penugasan atasan")
        elif a_n > a_s:
            issues.append("atasan belum menilai")
        r_n, r_s = c.get("rekan", (0, 0))
        if r_n < peer_min:
            issues.append(f"kurang {peer_min - r_n} rekan")
        if r_n > r_s:
            issues.append(f"{r_n - r_s} dari {r_n} rekan belum menilai")
        b_n, b_s = c.get("bawahan", (0, 0))
        if b_n < n_subs.get(p.id, 0):
            issues.append(f"kurang {n_subs[p.id] - b_n} bawahan")
        if b_n > b_s:
            issues.append(f"{b_n - b_s} dari {b_n} bawahan belum menilai")
        for role, (n, s) in (("rekan", (r_n, r_s)), ("bawahan", (b_n, b_s))):
            if 0 < s < k and s == n:
                issues.append(f"rata-rata {RATER_ROLES[role].lower()} tidak ditampilkan (baru {s} dari minimal {k} "
                              f"penilai)")
        d_n, d_s = c.get("diri", (0, 0))
        if self_enabled and d_n == 0:
            issues.append("belum ada penugasan penilaian diri")
        elif d_n > d_s:
            issues.append("penilaian diri belum diisi")
        out.append(CompletenessRow(p.id, p.name, p.nip, p.unit_name, dict(c), issues))
    return out
