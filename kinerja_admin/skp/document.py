"""One SKP (work plan) as one document: what the SKP page and the assessment page show, and what
the viewer may do on it now.

Everything the viewer may change is read from the record policy (kinerja_admin.policy.rules) for
the plan's current state, and the transitions from the plan workflow (workflow.plan.available): the
page offers exactly what the session guard and the workflow will accept.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kinerja_admin.orgtree import unit_tree
from kinerja_admin.policy import BY_MODEL, context_of, permits, relations
from kinerja_admin.policy.check import field_allowed
from kinerja_admin.scoring.formulas import FORMULAS, reference_value
from kinerja_admin.scoring.rules import Rules, load_rules, ref_category
from kinerja_admin.workflow import plan as plan_flow
from models import (
    AuditLog,
    BehaviourAspect,
    CoachingNote,
    Employee,
    EvidenceFile,
    FeedbackMessage,
    Indicator,
    PeriodicJudgement,
    PeriodicRealisation,
    Realisation,
    ScoringScheme,
    SpecialExpectation,
    Target,
    TargetJudgement,
    Unit,
    User,
    WorkPlan,
)
from models.base import CATEGORIES, PLAN_STATUSES

# what each transition looks like on the page: button label, confirmation or None, needs a reason
ACTIONS = {
    "submit": ("Ajukan ke pejabat penilai", "Ajukan SKP ini kepada pejabat penilai?", False),
    "approve": ("Setujui SKP", "Setujui SKP ini?", False),
    "return": ("Kembalikan untuk diperbaiki", None, True),
    "revise": ("Buka perubahan SKP", None, True),
    "realise": ("Tandai Realisasi (siap dinilai)", "Tandai realisasi SKP ini lengkap dan siap dinilai pejabat penilai?",
                False),
    "assess": ("Tetapkan penilaian (Dinilai)", "Tetapkan penilaian SKP ini? Setelah itu rating tidak dapat diubah.",
               False),
    "finalise": ("Kunci SKP (final)", "Kunci (finalkan) SKP ini?", False),
}
# timeline: what a transition to a status is called
STEP_LABELS = {"submitted": "Diajukan", "approved": "Disetujui", "returned": "Dikembalikan",
               "draft": "Dibuka untuk perubahan", "realised": "Direalisasikan", "assessed": "Dinilai",
               "final": "Difinalkan"}
HIERARCHY_FIELDS = {"rater_id", "rater_superior_id", "unit_id", "position_id"}
JUDGEMENT_FIELDS = {"hasil_rating", "perilaku_rating", "innovation", "innovation_note", "feedback"}


class Rights:
    """What `actor` may change on this plan and its records now (one context, read from the policy)."""

    def __init__(self, session, actor, plan: WorkPlan):
        self.ctx = context_of(session, plan)
        self.rels = relations(actor, self.ctx)

    def fields(self, model) -> set[str]:
        pol = BY_MODEL[model]
        return {c for c in pol.fields if field_allowed(pol, c, self.rels, self.ctx)}

    def may(self, model, *columns) -> bool:
        return set(columns) <= self.fields(model)

    def may_create(self, model) -> bool:
        return any(permits(r, self.rels, self.ctx) for r in BY_MODEL[model].create)

    def may_delete(self, model) -> bool:
        return any(permits(r, self.rels, self.ctx) for r in BY_MODEL[model].delete)

    # the page's questions, by name
    @property
    def content(self) -> bool:
        """RHK, indicators and targets: add, change, remove, reorder (draft/returned)."""
        return self.may_create(Target)

    @property
    def realise(self) -> bool:
        return self.may_create(Realisation)

    @property
    def evidence_delete(self) -> bool:
        return self.may_delete(EvidenceFile)

    @property
    def feedback(self) -> bool:
        return self.may(Realisation, "feedback")

    @property
    def expectations(self) -> bool:
        return self.may_create(SpecialExpectation)

    @property
    def judge(self) -> bool:
        return self.may(WorkPlan, "hasil_rating", "perilaku_rating") and self.may_create(TargetJudgement)

    # through the year
    @property
    def thread(self) -> bool:
        """Post in the SKP's and its RHK's feedback threads."""
        return self.may_create(FeedbackMessage)

    @property
    def coaching(self) -> bool:
        """Write a private coaching note (the rater)."""
        return self.may_create(CoachingNote)

    def _in_window(self, model, state: str) -> bool:
        ctx = replace(self.ctx, window_state=state)
        return any(permits(r, self.rels, ctx) for r in BY_MODEL[model].create)

    def periodic_realise(self, state: str) -> bool:
        return self._in_window(PeriodicRealisation, state)

    def periodic_judge(self, state: str) -> bool:
        return self._in_window(PeriodicJudgement, state)


def person(emp: Employee | None, position=None, unit=None) -> dict | None:
    if emp is None:
        return None
    pos = position or emp.position
    un = unit or emp.unit
    return {"id": emp.id, "name": emp.name, "nip": emp.nip_display, "position": pos.name if pos else "",
            "unit": un.name if un else ""}


@dataclass
class IndicatorRow:
    indicator: Indicator
    realisations: list
    formula: str | None = None
    formula_label: str = "-"
    value: Decimal | None = None  # the indicator's value by its formula (capaian), latest realisation

    @property
    def latest(self) -> Realisation | None:
        return self.realisations[-1] if self.realisations else None


@dataclass
class TargetRow:
    target: Target
    indicators: list[IndicatorRow] = field(default_factory=list)
    parent: dict | None = None  # the superior's RHK this one intervenes (cascade)
    value: Decimal | None = None  # mean of the indicator values (as the engine computes it)
    suggestion: str | None = None  # category the scheme's thresholds suggest for `value`
    judgement: TargetJudgement | None = None


def _rules(session, scheme_id) -> Rules | None:
    scheme = session.get(ScoringScheme, scheme_id) if scheme_id else None
    return load_rules(scheme) if scheme is not None else None


def target_rows(session, plan: WorkPlan, rules: Rules | None) -> list[TargetRow]:
    """The plan's RHKs with indicators, realisations (oldest first), evidence files, the values by
    the scheme's formulas and the rater's judgement; a fixed number of queries."""
    targets = session.scalars(
        select(Target).where(Target.work_plan_id == plan.id).order_by(Target.seq, Target.id)
        .options(selectinload(Target.indicators).selectinload(Indicator.realisations)
                 .selectinload(Realisation.files),
                 selectinload(Target.judgement))).all()
    parent_ids = {t.parent_target_id for t in targets if t.parent_target_id}
    parents = {}
    if parent_ids:
        for tid, seq, text, name in session.execute(
                select(Target.id, Target.seq, Target.description, Employee.name)
                .join(WorkPlan, WorkPlan.id == Target.work_plan_id).join(Employee, Employee.id == WorkPlan.employee_id)
                .where(Target.id.in_(parent_ids))):
            parents[tid] = {"seq": seq, "description": text, "owner": name}
    rows = []
    for t in targets:
        row = TargetRow(t, parent=parents.get(t.parent_target_id), judgement=t.judgement)
        values = []
        for ind in t.indicators:
            ir = IndicatorRow(ind, list(ind.realisations))
            if rules is not None:
                ir.formula = rules.formula_for(ind.formula_code, ind.aspect)
                ir.formula_label = FORMULAS[ir.formula].label if ir.formula else "-"
                if ir.formula and ir.latest is not None:
                    v = reference_value(ir.formula, ir.latest.value, ind.target_value, ind.lower_is_better, rules.bands)
                    ir.value = None if v is None else Decimal(v).quantize(Decimal("0.0001"))
            if ir.value is not None:
                values.append(ir.value)
            row.indicators.append(ir)
        if values:
            row.value = (sum(values) / len(values)).quantize(Decimal("0.0001"))
            row.suggestion = ref_category(rules, "hasil", row.value) if rules is not None else None
        rows.append(row)
    return rows


def skp_value(rows: list[TargetRow]) -> Decimal | None:
    """The SKP value as the engine computes it: the mean of the RHK values."""
    values = [r.value for r in rows if r.value is not None]
    return (sum(values) / len(values)).quantize(Decimal("0.0001")) if values else None


def expectations(session, plan: WorkPlan, scheme_id) -> list[dict]:
    """The scheme's behaviour aspects with their guide sentences and the rater's ekspektasi khusus."""
    if not scheme_id:
        return []
    mine = {s.aspect_id: s for s in session.scalars(
        select(SpecialExpectation).where(SpecialExpectation.work_plan_id == plan.id))}
    out = []
    for a in session.scalars(select(BehaviourAspect).where(BehaviourAspect.scheme_id == scheme_id)
                             .order_by(BehaviourAspect.seq, BehaviourAspect.id)):
        guides = [line.strip() for line in (a.indicators_text or "").splitlines() if line.strip()]
        exp = mine.get(a.id)
        out.append({"aspect": a, "guides": guides, "expectation": exp.text if exp else ""})
    return out


def timeline(session, plan: WorkPlan) -> list[dict]:
    """Who did what to the plan, when, oldest first: its audit trail (creation, transitions with their
    reasons, changes of raters and unit with theirs, the rater's judgement), completed by the plan's own
    stamps where the trail holds nothing of a step (plans written by bulk loaders)."""
    rows = session.execute(
        select(AuditLog, User.full_name).outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.entity == "work_plan", AuditLog.entity_id == str(plan.id))
        .order_by(AuditLog.at, AuditLog.id)).all()
    labels = BY_MODEL[WorkPlan].labels
    events = []
    seen_status = set()
    for log, full_name in rows:
        changes = log.changes or {}
        who = full_name or log.username or "sistem"
        if log.action == "insert":
            events.append({"at": log.at, "what": "SKP dibuat", "who": who, "reason": log.reason})
        elif log.action == "transition" and "status" in changes:
            to = changes["status"][1]
            seen_status.add(to)
            events.append({"at": log.at, "what": STEP_LABELS.get(to, PLAN_STATUSES.get(to, to)), "who": who,
                           "reason": log.reason, "status": to})
        elif log.action in ("update", "transition"):
            keys = set(changes)
            if keys & HIERARCHY_FIELDS:
                what = "Diubah: " + ", ".join(labels.get(k, k) for k in sorted(keys & HIERARCHY_FIELDS))
            elif keys & JUDGEMENT_FIELDS:
                what = "Penilaian pejabat penilai disimpan"
            else:
                continue
            events.append({"at": log.at, "what": what, "who": who, "reason": log.reason})
    if not any(e["what"] == "SKP dibuat" for e in events) and plan.created_at is not None:
        events.append({"at": plan.created_at, "what": "SKP dibuat", "who": None, "reason": None})
    stamps = [("submitted", plan.submitted_at, None), ("approved", plan.approved_at, plan.approved_by)]
    for status, at, user in stamps:
        if at is not None and status not in seen_status:
            who = (user.full_name or user.username) if user is not None else None
            events.append({"at": at, "what": STEP_LABELS[status], "who": who, "reason": None, "status": status})
    if plan.return_reason and plan.status == "returned" and "returned" not in seen_status:
        events.append({"at": None, "what": "Dikembalikan", "who": None, "reason": plan.return_reason})
    events.sort(key=lambda e: (e["at"] is None, e["at"] or 0))
    return events


def actions(session, actor, plan: WorkPlan) -> list[dict]:
    """The transitions the viewer may take now, in the workflow's order, with a blocking reason."""
    out = []
    for name, blocked in plan_flow.available(session, actor, plan.id).items():
        label, confirm, reason = ACTIONS[name]
        out.append({"op": name, "label": label, "confirm": confirm, "needs_reason": reason, "blocked": blocked})
    return out


def document(session, plan: WorkPlan, viewer) -> dict:
    """Everything the SKP page shows of `plan` for `viewer` (already checked to be in their scope)."""
    period = plan.period
    rules = _rules(session, period.scheme_id)
    opd_id = unit_tree(session).root_of(plan.unit_id)
    opd = session.get(Unit, opd_id) if opd_id is not None else None
    rows = target_rows(session, plan, rules)
    rights = Rights(session, viewer, plan)
    running = plan.status in ("approved", "realised", "assessed", "final")
    from kinerja_admin import delegation, feedback
    from kinerja_admin.periodic import record as periodic

    through_the_year = {
        "periodic": periodic.overview(session, plan), "derives": periodic.derives(session, plan),
        "threads": feedback.threads(session, plan), "coaching": feedback.coaching_notes(session, plan, viewer),
        "coaching_visible": bool(rights.rels & {"subject", "rater"}) or rights.coaching,
        "acting": [{"rel": rel, "label": d.label, "for": d.for_whom, "until": d.end_date,
                    "text": delegation.REL_TEXT.get(rel, rel)} for rel, d in delegation.standing_in(session, plan)],
    }
    return {
        **through_the_year,
        "plan": plan, "period": period, "rules": rules, "status": PLAN_STATUSES.get(plan.status, plan.status),
        "employee": person(plan.employee, plan.position, plan.unit), "opd": opd.name if opd else "",
        "rater": person(plan.rater), "rater_superior": person(plan.rater_superior),
        "targets": rows, "skp_value": skp_value(rows), "running": running,
        "expectations": expectations(session, plan, period.scheme_id),
        "timeline": timeline(session, plan), "actions": actions(session, viewer, plan), "rights": rights,
        "categories": CATEGORIES, "judgement_visible": judgement_visible(plan, rights),
        "judged": plan.hasil_rating is not None and plan.perilaku_rating is not None,
        "predicate": rules.matrix.get((plan.hasil_rating, plan.perilaku_rating)) if rules else None,
    }


def judgement_visible(plan: WorkPlan, rights: Rights) -> bool:
    """The rater's judgement is shown to the employee once the plan is assessed; to the rater, the
    rater's superior and the all-rows roles (whose relations are staff or none with read rights) always."""
    if plan.status in ("assessed", "final"):
        return True
    return "subject" not in rights.rels or bool(rights.rels & {"rater", "rater_superior", "staff"})
