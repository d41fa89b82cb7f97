"""Continuous feedback (umpan balik berkelanjutan, PermenPANRB 6/2022): a dated thread per SKP and per RHK
between the employee, the rater and the rater's superior (and the Plt/Plh in force for either), kept in
the record and never changed once posted; and the rater's private coaching notes (bimbingan /
konseling) for the employee, which only the two of them see.

Writes go through the ORM as the acting user: the record policy decides who may post (FEEDBACK,
COACHING), stamps the author and keeps both append-only; the audit trail keeps every message and, for
a coaching note, that it was written but not its text. Reads of coaching notes go through the row scope
(kinerja_admin.scope), which hides them from everyone else, BKPSDM and auditors included."""
from __future__ import annotations

from sqlalchemy import select

from models import CoachingNote, FeedbackMessage, Target, User
from models.year import COACHING_KINDS

from .scope import scope_query
from .skp.editing import InputError, text
from .workflow import trail

MESSAGE_MAX = 4000


def post(session, plan, target_id, body) -> FeedbackMessage:
    """A message in the SKP's thread (target_id empty) or in the thread of one of its RHK."""
    tid = None
    if target_id not in (None, ""):
        try:
            tid = int(target_id)
        except (TypeError, ValueError):
            tid = -1
        if session.scalar(select(Target.id).where(Target.id == tid, Target.work_plan_id == plan.id)) is None:
            raise InputError("RHK tidak ditemukan pada SKP ini.")
    msg = FeedbackMessage(work_plan_id=plan.id, target_id=tid, body=text(body, "Pesan umpan balik", limit=MESSAGE_MAX))
    session.add(msg)
    session.flush()
    from .notify import events

    events.feedback_posted(session, msg, trail.resolve_actor(session))
    return msg


def add_coaching(session, plan, kind, body) -> CoachingNote:
    kind = (kind or "bimbingan").strip()
    if kind not in COACHING_KINDS:
        raise InputError("Jenis catatan harus bimbingan atau konseling.")
    note = CoachingNote(work_plan_id=plan.id, kind=kind, body=text(body, "Catatan", limit=MESSAGE_MAX))
    session.add(note)
    session.flush()
    from .notify import events

    events.coaching_noted(session, note, trail.resolve_actor(session))
    return note


def threads(session, plan) -> dict:
    """{None: SKP thread, target id: RHK thread}: [(message, author name)] oldest first."""
    out: dict = {}
    for msg, name, username in session.execute(
            select(FeedbackMessage, User.full_name, User.username)
            .outerjoin(User, User.id == FeedbackMessage.recorded_by_id)
            .where(FeedbackMessage.work_plan_id == plan.id).order_by(FeedbackMessage.id)):
        out.setdefault(msg.target_id, []).append({"message": msg, "author": name or username or "-"})
    return out


def coaching_notes(session, plan, viewer) -> list[dict]:
    """The plan's coaching notes `viewer` may read (the row scope decides: the employee and the rater)."""
    q = scope_query(select(CoachingNote, User.full_name, User.username)
                    .outerjoin(User, User.id == CoachingNote.recorded_by_id)
                    .where(CoachingNote.work_plan_id == plan.id).order_by(CoachingNote.id), CoachingNote, viewer)
    return [{"note": n, "author": name or username or "-", "kind": COACHING_KINDS.get(n.kind, n.kind)}
            for n, name, username in session.execute(q)]
