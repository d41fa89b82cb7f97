"""Changes made on the SKP page: RHK, indicators and targets (add, change, remove, reorder),
realisations with evidence, the rater's feedback and ekspektasi khusus.

Each function is one user action in the caller's transaction (the view commits, or rolls back on
any WorkflowError). Writes go through the ORM as the acting user, so the record policy's session
guard decides whether they are allowed in the plan's current state; these functions check only the
input (Indonesian messages) and the row version a form was rendered with (optimistic locking).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from kinerja_admin.links import LinkError, check_link
from kinerja_admin.workflow.base import ConflictError, WorkflowError
from models import BehaviourAspect, Indicator, Realisation, SpecialExpectation, Target, WorkPlan
from models.base import TARGET_ASPECTS

from . import evidence

TEXT_MAX = 2000


class InputError(WorkflowError):
    """Input the page cannot store as given (nothing is written)."""


# --- input ---------------------------------------------------------------------------------------

def text(value, what: str, *, required: bool = True, limit: int = TEXT_MAX) -> str | None:
    out = (value or "").strip()
    if not out:
        if required:
            raise InputError(f"{what} wajib diisi.")
        return None
    if len(out) > limit:
        raise InputError(f"{what} paling banyak {limit} karakter.")
    return out


def number(value, what: str) -> Decimal:
    raw = (value or "").strip().replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        out = Decimal(raw)
    except InvalidOperation:
        raise InputError(f"{what} harus berupa angka (misalnya 12 atau 12,5).") from None
    if not out.is_finite() or out < 0:
        raise InputError(f"{what} harus angka 0 atau lebih.")
    if out.as_tuple().exponent < -4 or abs(out) >= Decimal("1e14"):
        raise InputError(f"{what} paling banyak 14 angka di depan dan 4 angka di belakang koma.")
    return out


def url(value) -> str | None:
    out = text(value, "Tautan bukti", required=False, limit=500)
    try:
        return check_link(out)
    except LinkError as err:
        raise InputError(str(err)) from None


def check_version(obj, posted, what: str) -> None:
    """The form was rendered from the row as it is now (else someone changed it meanwhile)."""
    if str(posted or "") != str(obj.version):
        raise ConflictError(f"{what} telah diubah oleh pengguna lain sejak halaman ini dibuka. Perubahan Anda belum "
                            "disimpan; muat ulang halaman, periksa, lalu ulangi.")


# --- finding rows of this plan (a row of another plan is "not found") ------------------------------

def target_of(session, plan: WorkPlan, target_id) -> Target:
    row = session.scalar(select(Target).where(Target.id == _int(target_id), Target.work_plan_id == plan.id))
    if row is None:
        raise InputError("Sasaran (RHK) tidak ditemukan pada SKP ini.")
    return row


def indicator_of(session, plan: WorkPlan, indicator_id) -> Indicator:
    row = session.scalar(select(Indicator).join(Target, Target.id == Indicator.target_id)
                         .where(Indicator.id == _int(indicator_id), Target.work_plan_id == plan.id))
    if row is None:
        raise InputError("Indikator tidak ditemukan pada SKP ini.")
    return row


def realisation_of(session, plan: WorkPlan, realisation_id) -> Realisation:
    row = session.scalar(select(Realisation).join(Indicator, Indicator.id == Realisation.indicator_id)
                         .join(Target, Target.id == Indicator.target_id)
                         .where(Realisation.id == _int(realisation_id), Target.work_plan_id == plan.id))
    if row is None:
        raise InputError("Realisasi tidak ditemukan pada SKP ini.")
    return row


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# --- RHK -----------------------------------------------------------------------------------------

def add_target(session, plan: WorkPlan, description) -> Target:
    desc = text(description, "Rencana hasil kerja (RHK)")
    seq = (session.scalar(select(func.max(Target.seq)).where(Target.work_plan_id == plan.id)) or 0) + 1
    row = Target(work_plan_id=plan.id, seq=seq, description=desc)
    session.add(row)
    session.flush()
    return row


def update_target(session, target: Target, version, description) -> Target:
    check_version(target, version, "RHK ini")
    target.description = text(description, "Rencana hasil kerja (RHK)")
    session.flush()
    return target


def delete_target(session, plan: WorkPlan, target: Target, version) -> None:
    """Remove an RHK (with its indicators) and close the gap in the numbering."""
    check_version(target, version, "RHK ini")
    gone = target.seq
    session.delete(target)
    session.flush()
    later = session.scalars(select(Target).where(Target.work_plan_id == plan.id, Target.seq > gone)
                            .order_by(Target.seq)).all()
    for t in later:  # one at a time, in order: (work_plan_id, seq) stays unique after every statement
        t.seq -= 1
        session.flush()


def move_target(session, plan: WorkPlan, target: Target, version, direction: str) -> None:
    """Swap an RHK with its neighbour above ("up") or below ("down")."""
    check_version(target, version, "RHK ini")
    if direction not in ("up", "down"):
        raise InputError("Arah pemindahan tidak dikenal.")
    cond = Target.seq < target.seq if direction == "up" else Target.seq > target.seq
    order = Target.seq.desc() if direction == "up" else Target.seq
    other = session.scalar(select(Target).where(Target.work_plan_id == plan.id, cond).order_by(order).limit(1))
    if other is None:
        return
    mine, theirs = target.seq, other.seq
    target.seq = -target.id  # a free number while the two swap (unique per plan)
    session.flush()
    other.seq = mine
    session.flush()
    target.seq = theirs
    session.flush()


# --- indicators and targets --------------------------------------------------------------------------

def _indicator_values(form) -> dict:
    aspect = (form.get("aspect") or "kuantitas").strip()
    if aspect not in TARGET_ASPECTS:
        raise InputError("Aspek indikator tidak dikenal.")
    return {
        "aspect": aspect,
        "description": text(form.get("description"), "Indikator kinerja"),
        "target_value": number(form.get("target_value"), "Target"),
        "unit_label": text(form.get("unit_label"), "Satuan", required=False, limit=40) or "",
        "lower_is_better": form.get("lower_is_better") in ("1", "y", "on", "true"),
        "formula_code": (form.get("formula_code") or "").strip() or None,
    }


def add_indicator(session, target: Target, form) -> Indicator:
    row = Indicator(target_id=target.id, **_indicator_values(form))
    session.add(row)
    session.flush()
    return row


def update_indicator(session, indicator: Indicator, version, form) -> Indicator:
    check_version(indicator, version, "Indikator ini")
    for key, value in _indicator_values(form).items():
        if getattr(indicator, key) != value:
            setattr(indicator, key, value)
    session.flush()
    return indicator


def delete_indicator(session, indicator: Indicator, version) -> None:
    check_version(indicator, version, "Indikator ini")
    session.delete(indicator)
    session.flush()


# --- realisation, evidence, feedback ---------------------------------------------------------------

def add_realisation(session, indicator: Indicator, form, upload=None) -> Realisation:
    """A new realisation of the indicator (the latest one is scored) with its evidence: a link, a note
    and/or a file, in one transaction. A refused file stores nothing, the realisation included."""
    row = Realisation(indicator_id=indicator.id, value=number(form.get("value"), "Nilai realisasi"),
                      evidence_url=url(form.get("evidence_url")),
                      evidence_note=text(form.get("evidence_note"), "Catatan bukti", required=False))
    session.add(row)
    session.flush()
    if upload is not None:
        evidence.attach(session, row, upload[0], upload[1])
        session.flush()
    return row


def attach_file(session, realisation: Realisation, upload) -> None:
    evidence.attach(session, realisation, upload[0], upload[1])
    session.flush()


def delete_file(session, realisation: Realisation, file_id) -> None:
    row = next((f for f in realisation.files if f.id == _int(file_id)), None)
    if row is None:
        raise InputError("Berkas bukti tidak ditemukan pada realisasi ini.")
    session.delete(row)
    session.flush()


def set_feedback(session, realisation: Realisation, version, feedback) -> None:
    """The rater's feedback on a realisation and its evidence."""
    check_version(realisation, version, "Realisasi ini")
    value = text(feedback, "Umpan balik", required=False)
    if realisation.feedback != value:
        realisation.feedback = value
    session.flush()


# --- ekspektasi khusus pimpinan (the rater's, per behaviour aspect) -----------------------------------

def set_expectations(session, plan: WorkPlan, texts: dict) -> int:
    """`texts`: aspect id -> text (empty removes). Returns how many rows changed."""
    aspects = {a.id for a in session.scalars(select(BehaviourAspect).where(
        BehaviourAspect.scheme_id == plan.period.scheme_id))}
    current = {s.aspect_id: s for s in session.scalars(
        select(SpecialExpectation).where(SpecialExpectation.work_plan_id == plan.id))}
    changed = 0
    for key, raw in texts.items():
        aspect_id = _int(key)
        if aspect_id not in aspects:
            raise InputError("Aspek perilaku tidak termasuk skema penilaian periode ini.")
        value = text(raw, "Ekspektasi khusus pimpinan", required=False)
        row = current.get(aspect_id)
        if row is None and value:
            session.add(SpecialExpectation(work_plan_id=plan.id, aspect_id=aspect_id, text=value))
            changed += 1
        elif row is not None and not value:
            session.delete(row)
            changed += 1
        elif row is not None and row.text != value:
            row.text = value
            changed += 1
    session.flush()
    return changed
