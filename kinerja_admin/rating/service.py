"""The rating form's rules: a rater's pending ratees, the aspects and scale to rate, and the one-time
submission (final for the rater). Every check is server-side; views only call these functions."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from kinerja_admin import policy
from kinerja_admin.audit import record
from kinerja_admin.numbers import Bounds, NumberError, parse_number
from models import BehaviourAspect, BehaviourRating, Employee, Period, RaterAssignment
from models.base import RATER_ROLES, utcnow
from models.rating import rating_key

from .common import RatingError

RATEABLE_PERIOD_STATUSES = ("running", "assessing")
COMMENT_MAX = 1000
ANONYMOUS_ACTOR = SimpleNamespace(id=None, username="(anonim)")


@dataclass
class FormSpec:
    assignment: RaterAssignment
    aspects: list[BehaviourAspect]
    scale_min: Decimal
    scale_max: Decimal
    meanings: list = field(default_factory=list)  # [(value, meaning)] of the scheme's scale (scale_meanings)

    def guides(self, aspect: BehaviourAspect) -> list[str]:
        """The aspect's guide sentences (BerAKHLAK: three per value), one per line of indicators_text."""
        return [line.strip() for line in (aspect.indicators_text or "").splitlines() if line.strip()]

    def meaning(self, value) -> str | None:
        from kinerja_admin.scoring.rules import scale_meaning_of

        return scale_meaning_of(self.meanings, value)

    @property
    def integer_scale(self) -> bool:
        lo, hi = self.scale_min, self.scale_max
        return lo == lo.to_integral_value() and hi == hi.to_integral_value() and hi - lo <= 10

    @property
    def choices(self) -> list[int]:
        return list(range(int(self.scale_min), int(self.scale_max) + 1)) if self.integer_scale else []


def my_assignments(session, rater_employee_id: int | None, *, include_submitted: bool = True):
    """The rater's assignments in periods that are not closed (pending first)."""
    if rater_employee_id is None:
        return []
    q = (select(RaterAssignment).join(Period, Period.id == RaterAssignment.period_id)
         .join(Employee, Employee.id == RaterAssignment.ratee_id)
         .where(RaterAssignment.rater_id == rater_employee_id, Period.status != "closed")
         .options(selectinload(RaterAssignment.ratee), selectinload(RaterAssignment.period))
         .order_by(RaterAssignment.status, Period.start_date.desc(), Employee.name, RaterAssignment.id))
    if not include_submitted:
        q = q.where(RaterAssignment.status == "pending")
    return session.scalars(q).all()


def load_own_assignment(session, assignment_id, rater_employee_id: int | None) -> RaterAssignment:
    """The assignment when it belongs to the rater; otherwise the same refusal for every case
    (so nobody can probe which assignments exist)."""
    try:
        aid = int(assignment_id)
    except (TypeError, ValueError):
        aid = None
    row = session.get(RaterAssignment, aid) if aid is not None else None
    if row is None or rater_employee_id is None or row.rater_id != rater_employee_id:
        raise RatingError("Anda tidak ditugaskan menilai pegawai ini.")
    return row


def form_spec(session, assignment: RaterAssignment) -> FormSpec:
    period = assignment.period
    if period.scheme is None:
        raise RatingError(f"Periode {period.code} belum memiliki skema penilaian.")
    scheme = period.scheme
    position = assignment.ratee.position
    is_structural = bool(position is not None and position.kind is not None and position.kind.structural)
    aspects = [a for a in scheme.aspects if is_structural or not a.structural_only]
    from kinerja_admin.scoring.rules import parse_scale_meanings

    try:
        meanings = parse_scale_meanings(scheme.scale_meanings)
    except ValueError:  # validated when the scheme is saved; a bad legacy text shows no meanings
        meanings = []
    return FormSpec(assignment, aspects, Decimal(scheme.scale_min), Decimal(scheme.scale_max), meanings)


def _check_rateable(assignment: RaterAssignment) -> None:
    period = assignment.period
    if period.status not in RATEABLE_PERIOD_STATUSES:
        raise RatingError(f"Periode {period.code} tidak sedang dalam tahap penilaian; penilaian belum atau "
                          "tidak lagi dapat dikirim.")
    if assignment.role == "rekan" and assignment.ratee_id == assignment.rater_id:
        raise RatingError("Anda tidak dapat menilai diri sendiri sebagai rekan kerja.")
    if assignment.role == "masyarakat":
        raise RatingError("Peran masyarakat diisi dari umpan balik publik, bukan dari formulir ini.")
    if assignment.status == "submitted":
        raise RatingError("Penilaian untuk pegawai ini sudah dikirim; penilaian yang sudah dikirim bersifat final.")


def parse_value(raw, spec: FormSpec, aspect_name: str) -> Decimal:
    """The app-wide number reader (kinerja_admin.numbers: "3,5" or "3.5", finite, 4 decimals at most),
    then the scheme's scale."""
    label = f"Nilai aspek '{aspect_name}'"
    try:
        value = parse_number(raw, Bounds.of_type(BehaviourRating.__table__.c.value.type), label, required=True)
    except NumberError as err:
        raise RatingError(str(err)) from None
    if value < spec.scale_min or value > spec.scale_max:
        raise RatingError(f"Nilai aspek '{aspect_name}' harus antara {spec.scale_min.normalize():f} dan "
                          f"{spec.scale_max.normalize():f}.")
    if spec.integer_scale and value != value.to_integral_value():
        raise RatingError(f"Nilai aspek '{aspect_name}' harus bilangan bulat.")
    if value.as_tuple().exponent < -4:
        raise RatingError(f"Nilai aspek '{aspect_name}' paling banyak 4 angka di belakang koma.")
    return value


def check_ratings(session, assignment_id, rater_employee_id: int | None, values: Mapping,
                  comments: Mapping | None = None) -> tuple[RaterAssignment, FormSpec, list[dict]]:
    """Every check `submit_ratings` makes, writing nothing: (assignment, spec, rows to store). The form's
    confirmation step shows the rows; RatingError says what is wrong."""
    assignment = load_own_assignment(session, assignment_id, rater_employee_id)
    _check_rateable(assignment)
    spec = form_spec(session, assignment)
    if not spec.aspects:
        raise RatingError("Skema penilaian periode ini belum memiliki aspek perilaku.")
    comments = comments or {}
    allowed = {a.id for a in spec.aspects}
    unknown = {str(k) for k in values} - {str(a) for a in allowed}
    if unknown:
        raise RatingError("Formulir berisi aspek yang tidak termasuk skema penilaian periode ini.")

    rows = []
    for aspect in spec.aspects:
        raw = values.get(aspect.id, values.get(str(aspect.id)))
        value = parse_value(raw, spec, aspect.name)
        note = comments.get(aspect.id, comments.get(str(aspect.id)))
        note = (note or "").strip() or None
        if note is not None and len(note) > COMMENT_MAX:
            raise RatingError(f"Komentar aspek '{aspect.name}' paling banyak {COMMENT_MAX} karakter.")
        rows.append(dict(assignment_id=assignment.id, aspect_id=aspect.id, value=value, comment=note))
    return assignment, spec, rows


def submit_ratings(session, assignment_id, rater_employee_id: int | None, values: Mapping,
                   comments: Mapping | None = None, *, user=None) -> RaterAssignment:
    """Store one rater's values for every applicable aspect and mark the assignment submitted.

    ``values`` and ``comments`` are keyed by aspect id (int or str). All checks run before anything
    is written; the pending -> submitted switch is a conditional UPDATE, so a double submission (two
    tabs, a double click, a replayed POST) stores nothing the second time. The caller commits.
    """
    assignment, _spec, rows = check_ratings(session, assignment_id, rater_employee_id, values, comments)
    # the record policy decides who may store a rating (the assigned rater, in an open period; an
    # inspector linked to an employee reads only), as for any other write
    try:  # one rule for every aspect of the form
        policy.assert_may_write(session, BehaviourRating(assignment_id=assignment.id, aspect_id=rows[0]["aspect_id"]),
                                "ditambahkan", actor=user)
    except policy.PolicyError as err:
        raise RatingError(str(err)) from None
    now = utcnow()
    for r in rows:
        r.update(created_at=now, updated_at=now)
    switched = session.execute(
        update(RaterAssignment)
        .where(RaterAssignment.id == assignment.id, RaterAssignment.rater_id == rater_employee_id,
               RaterAssignment.status == "pending")
        .values(status="submitted", submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if switched != 1:
        raise RatingError("Penilaian untuk pegawai ini sudah dikirim; penilaian yang sudah dikirim bersifat final.")
    # Core inserts, like the status switch above: the ORM audit trail would record the logged-in
    # rater as the actor of a peer/subordinate rating; our own audit entry is anonymous for those.
    session.refresh(assignment)
    session.execute(insert(BehaviourRating), [{**r, **rating_key(assignment)} for r in rows])
    actor = ANONYMOUS_ACTOR if assignment.role in ("rekan", "bawahan") else user
    record("submit", "rater_assignment", assignment.id, period_id=assignment.period_id, session=session,
           subject_id=assignment.ratee_id, user=actor, changes={"role": assignment.role, "aspects": len(rows)})
    return assignment


def submitted_ratings(session, assignment: RaterAssignment) -> dict[int, BehaviourRating]:
    """aspect id -> the stored rating of a submitted assignment (its read-only view for its rater)."""
    return {r.aspect_id: r for r in session.scalars(
        select(BehaviourRating).where(BehaviourRating.assignment_id == assignment.id))}


def role_label(role: str) -> str:
    return RATER_ROLES.get(role, role)
