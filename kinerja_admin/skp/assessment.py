"""The rater's assessment of an SKP as PermenPANRB 6/2022 has it: per RHK a judgement (di atas /
sesuai / di bawah ekspektasi) with feedback, then the overall rating of hasil kerja and of perilaku
kerja, innovation and feedback; the matrix gives the predicate.

Numbers are suggestions only: the RHK's and the SKP's value by the scheme's formulas mapped through
the scheme's category thresholds, and the 360 averages as the viewer may see them (peers and
subordinates only as anonymous averages, only from k raters on). Whether the judgement or the
thresholds decide the predicate is the scheme's "penentu rating" (ScoringScheme.rating_decider,
applied by the scoring engine and the assess transition).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kinerja_admin.rating.common import RatingError
from kinerja_admin.scoring.rules import Rules, ref_category
from kinerja_admin.workflow.base import ConflictError
from models import TargetJudgement, WorkPlan
from models.base import CATEGORIES

from .document import TargetRow, skp_value
from .editing import InputError, text

FOUR = Decimal("0.0001")


@dataclass
class Behaviour:
    roles: list  # RoleAverage as the viewer may see them (kinerja_admin.rating.anonymity)
    value: Decimal | None  # weighted over the visible roles with the scheme's rater weights
    suggestion: str | None
    note: str | None = None


def behaviour(session, plan: WorkPlan, rules: Rules | None, viewer) -> Behaviour:
    """The 360 averages beside the rating of perilaku, and the suggestion from them."""
    from kinerja_admin.rating.anonymity import role_averages_for

    try:
        roles = role_averages_for(session, plan.period, plan.employee_id, viewer)
    except RatingError as err:
        return Behaviour([], None, None, str(err))
    shown = [r for r in roles.values() if r.visible and r.average is not None]
    value = None
    if rules is not None:
        weights = [(r.average, rules.rater_weights.get(r.role, Decimal(0))) for r in shown]
        weights = [(a, w) for a, w in weights if w > 0]
        total = sum((w for _a, w in weights), Decimal(0))
        if total:
            value = (sum((a * w for a, w in weights), Decimal(0)) / total).quantize(FOUR)
    ordered = sorted(roles.values(), key=lambda r: list(("atasan", "rekan", "bawahan", "diri", "masyarakat"))
                     .index(r.role) if r.role in ("atasan", "rekan", "bawahan", "diri", "masyarakat") else 9)
    note = None
    if any(not r.visible and r.raters for r in roles.values()):
        note = "Saran dihitung dari rerata yang dapat ditampilkan; rerata di bawah ambang anonimitas tidak ikut."
    return Behaviour(ordered, value, ref_category(rules, "perilaku", value) if rules and value is not None else None,
                     note)


def suggestions(rows: list[TargetRow], rules: Rules | None) -> dict:
    value = skp_value(rows)
    return {"skp_value": value,
            "hasil": ref_category(rules, "hasil", value) if rules is not None and value is not None else None}


def predicate(rules: Rules | None, hasil: str | None, perilaku: str | None) -> str | None:
    """The matrix cell of the two categories (the preview shown before saving)."""
    if rules is None or not hasil or not perilaku:
        return None
    return rules.matrix.get((hasil, perilaku))


def _category(value, what: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in CATEGORIES:
        raise InputError(f"{what}: pilih di atas, sesuai atau di bawah ekspektasi.")
    return value


@dataclass
class Submitted:
    """The assessment form as posted, checked."""

    version: str
    targets: dict  # target id -> (category or None, feedback or None, posted judgement version)
    hasil: str | None
    perilaku: str | None
    innovation: bool
    innovation_note: str | None
    feedback: str | None


def read_form(form, rows: list[TargetRow]) -> Submitted:
    targets = {}
    for r in rows:
        tid = r.target.id
        category = _category(form.get(f"rhk-{tid}"), f"Penilaian RHK {r.target.seq}")
        feedback = text(form.get(f"rhk-feedback-{tid}"), f"Umpan balik RHK {r.target.seq}", required=False)
        if feedback and category is None:
            raise InputError(f"Pilih penilaian RHK {r.target.seq} (di atas / sesuai / di bawah ekspektasi) untuk "
                             "menyimpan umpan baliknya.")
        targets[tid] = (category, feedback, form.get(f"rhk-version-{tid}", ""))
    return Submitted(
        version=form.get("version", ""), targets=targets,
        hasil=_category(form.get("hasil_rating"), "Rating hasil kerja"),
        perilaku=_category(form.get("perilaku_rating"), "Rating perilaku kerja"),
        innovation=form.get("innovation") in ("1", "y", "on", "true"),
        innovation_note=text(form.get("innovation_note"), "Catatan inovasi", required=False),
        feedback=text(form.get("feedback"), "Umpan balik", required=False))


def _conflict():
    return ConflictError("Penilaian SKP ini telah diubah oleh pengguna lain sejak halaman ini dibuka. Penilaian "
                         "Anda belum disimpan; muat ulang halaman, periksa, lalu ulangi.")


def save(session, plan: WorkPlan, rows: list[TargetRow], data: Submitted) -> None:
    """Store the judgement per RHK and overall (the caller's transaction). The session guard decides
    whether the acting user may (JUDGEMENT rule: the plan's rater, plan in Realisasi, period running or
    assessing); the posted versions must be the stored ones."""
    if str(data.version) != str(plan.version):
        raise _conflict()
    for r in rows:
        category, feedback, posted = data.targets[r.target.id]
        judgement = r.judgement
        if str(posted or "") != ("" if judgement is None else str(judgement.version)):
            raise _conflict()
        if judgement is None:
            if category is not None:
                session.add(TargetJudgement(target=r.target, category=category, feedback=feedback))
        elif category is None:
            session.delete(judgement)
        else:
            if judgement.category != category:
                judgement.category = category
            if judgement.feedback != feedback:
                judgement.feedback = feedback
    for attr, value in (("hasil_rating", data.hasil), ("perilaku_rating", data.perilaku),
                        ("innovation", data.innovation), ("innovation_note", data.innovation_note),
                        ("feedback", data.feedback)):
        if getattr(plan, attr) != value:
            setattr(plan, attr, value)
    session.flush()
