"""Applying the rules of policy/rules.py: the acting user's relations to a row, whether a rule
permits a change, the invariants, the checks the session guard runs on every flush, and what an
edit form may offer."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import has_request_context
from sqlalchemy import exists, inspect, or_, select
from sqlalchemy.orm import MANYTOONE

from models import (
    Employee,
    Indicator,
    Objection,
    Period,
    RaterAssignment,
    SchemeFormula,
    ScoreResult,
    Target,
    WorkPlan,
)
from models.base import PERIOD_STATUSES, PLAN_STATUSES, SCORE_STATUSES

from ..workflow.base import WorkflowError
from .context import BY_MODEL, Ctx, committed, contexts
from .rules import CREATOR, IMMUTABLE, SYSTEM, TECHNICAL, WHO_TEXT, ModelPolicy, Rule

log = logging.getLogger("kinerja.policy")

SYSTEM_KEY = "kinerja.policy.system"
CONTEXT_KEY = "kinerja.policy.contexts"
ASSIGNMENT_STATUSES = {"pending": "Menunggu", "submitted": "Dikirim"}


class PolicyError(WorkflowError):
    """A write the record policy refuses (Indonesian message); nothing of the flush is written."""


class _Public:
    """The acting user of an anonymous request (a citizen on the public portal)."""

    id = None
    role = None
    employee_id = None
    username = "publik"


PUBLIC = _Public()


# --- who is acting -----------------------------------------------------------------------------

@contextmanager
def system(session):
    """Writes of workflow, scoring and rating code, which check their own rules (taken from
    policy/rules.py) before writing: SYSTEM fields may be set, the invariants still hold."""
    session.info[SYSTEM_KEY] = session.info.get(SYSTEM_KEY, 0) + 1
    try:
        yield session
    finally:
        session.info[SYSTEM_KEY] -= 1


def is_system(session) -> bool:
    return session.info.get(SYSTEM_KEY, 0) > 0


def acting_user(session):
    """The user a write is checked for: the session's actor (CLI, jobs, workflows) or the logged-in
    user; PUBLIC in an anonymous request; None outside any request with no actor set (maintenance
    code and commands, which act as the system)."""
    from ..workflow.trail import resolve_actor

    actor = resolve_actor(session)
    if actor is None and has_request_context():
        return PUBLIC
    return actor


def relations(actor, ctx: Ctx) -> set[str]:
    if actor is PUBLIC:
        return {"public"}
    role = getattr(actor, "role", None)
    if actor is None or role == "inspektur" or not getattr(actor, "is_active", True):
        return set()
    rels = set()
    emp = getattr(actor, "employee_id", None)
    if emp is not None:
        for name, value in (("subject", ctx.subject_id), ("rater", ctx.rater_id),
                            ("rater_superior", ctx.rater_superior_id), ("decider", ctx.decider_id),
                            ("assigned_rater", ctx.assignment_rater_id)):
            if value is not None and value == emp:
                rels.add(name)
        # an acting superior (Plt/Plh) in force: the relations of the superior they stand in for
        if ctx.subject_id is not None and ctx.subject_id != emp:
            from kinerja_admin import delegation

            rels.update(delegation.relations(actor, ctx))
    return rels | staff_relations(actor, involved=bool(rels))


def staff_relations(actor, involved: bool) -> set[str]:
    """BKPSDM clerks act as staff (an admin also as admin), but only on records they take no part in
    (`involved`: they are its employee, rater, rater's superior, decider or a rater of the 360, in
    person or as Plt/Plh): nobody picks who judges them, or signs off as staff what they judged
    (separation of duties). The one rule for policy contexts and workflow rows."""
    role = getattr(actor, "role", None)
    if involved or role not in ("admin", "operator"):
        return set()
    return {"staff", "admin"} if role == "admin" else {"staff"}


# --- rules ---------------------------------------------------------------------------------------

CONDITIONS = {
    "no_results": lambda ctx: not ctx.has_results,
    "window_open": lambda ctx: ctx.window_state == "open",
}
CONDITION_TEXT = {"no_results": "selama periode belum memiliki hasil penilaian (gunakan tindakan Ganti skema)",
                  "window_open": "selama jendela evaluasi periodiknya terbuka (sejak tanggal mulai sampai batas "
                                 "waktunya)"}


def rules_of(spec) -> tuple[Rule, ...]:
    if spec is SYSTEM or spec == IMMUTABLE:
        return ()
    return tuple(r for r in spec if isinstance(r, Rule)) if isinstance(spec, tuple) else (spec,)


def at_creation(spec) -> bool:
    """Whether a field is given by whoever creates the row (and so needs no rule of its own then)."""
    return spec == IMMUTABLE or (isinstance(spec, tuple) and CREATOR in spec)


def permits(rule: Rule, rels: set[str], ctx: Ctx) -> bool:
    return bool(rule.who & rels) and all((
        rule.plan is None or ctx.plan_status in rule.plan,
        rule.period is None or ctx.period_status in rule.period,
        rule.result is None or ctx.result_status in rule.result,
        rule.assignment is None or ctx.assignment_status in rule.assignment,
        rule.when is None or CONDITIONS[rule.when](ctx),
    ))


def _states(labels: dict, codes) -> str:
    names = [labels.get(c, c) for c in sorted(codes, key=lambda c: list(labels).index(c) if c in labels else 99)]
    return " atau ".join(names)


def rule_text(rule: Rule) -> str:
    """'hanya pejabat penilai, saat SKP berstatus Realisasi, dalam periode Berjalan atau Penilaian'"""
    who = " atau ".join(WHO_TEXT[w] for w in sorted(rule.who, key=list(WHO_TEXT).index))
    parts = [f"hanya {who}"]
    if rule.plan is not None:
        parts.append(f"saat SKP berstatus {_states(PLAN_STATUSES, rule.plan)}")
    if rule.result is not None:
        parts.append(f"saat hasil penilaian berstatus {_states(SCORE_STATUSES, rule.result)}")
    if rule.assignment is not None:
        parts.append(f"saat penugasan berstatus {_states(ASSIGNMENT_STATUSES, rule.assignment)}")
    if rule.period is not None:
        parts.append(f"dalam periode {_states(PERIOD_STATUSES, rule.period)}")
    if rule.when:
        parts.append(CONDITION_TEXT[rule.when])
    if rule.reason:
        parts.append("dengan alasan tertulis")
    return ", ".join(parts)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def refusal(pol: ModelPolicy, column: str | None, rules: tuple, verb: str = "diubah") -> str:
    what = _first_upper(pol.label if column is None else f"{pol.labels.get(column, column)} pada {pol.label}")
    if not rules:
        if column is not None and pol.fields.get(column) == IMMUTABLE:
            return f"{what} tidak dapat diubah setelah dibuat."
        return (f"{what} hanya diisi oleh sistem (alur kerja atau perhitungan), tidak dapat "
                f"{verb} langsung.")
    texts = "; atau ".join(rule_text(r) for r in rules)
    return f"{what} dapat {verb} {texts}."


def field_allowed(pol: ModelPolicy, column: str, rels: set[str], ctx: Ctx) -> bool:
    return any(permits(r, rels, ctx) for r in rules_of(pol.fields.get(column, SYSTEM)))


# --- what forms may offer ------------------------------------------------------------------------

def editable_columns(session, actor, obj) -> set[str] | None:
    """Columns `actor` may change on the stored row `obj` now (None: the model is not governed here)."""
    pol = BY_MODEL.get(type(obj))
    if pol is None or not pol.enforced:
        return None
    ctx = contexts(session, [obj])[id(obj)]
    rels = relations(actor, ctx)
    return {c for c in pol.fields if field_allowed(pol, c, rels, ctx)}


POSSIBLE = {  # relations a user of a role may have to some row
    "admin": {"staff", "admin", "subject", "rater", "rater_superior", "decider", "assigned_rater"},
    "operator": {"staff", "subject", "rater", "rater_superior", "decider", "assigned_rater"},
    "penilai": {"subject", "rater", "rater_superior", "decider", "assigned_rater"},
    "pegawai": {"subject", "rater", "rater_superior", "decider", "assigned_rater"},
}


def creatable_columns(actor, model) -> set[str] | None:
    """Columns a new row may be given by `actor`: those whose rules name a relation the creator can
    have to the new row (the create rule's `who`). The row's state is checked when it is saved."""
    pol = BY_MODEL.get(model)
    if pol is None or not pol.enforced:
        return None
    rels = POSSIBLE.get(getattr(actor, "role", None), set())
    creators = set().union(*(r.who for r in pol.create)) & rels if pol.create else set()
    if not creators:
        return set()
    return {column for column, spec in pol.fields.items()
            if at_creation(spec) or any(r.who & creators for r in rules_of(spec))}


def needs_reason(model, columns) -> bool:
    pol = BY_MODEL.get(model)
    return pol is not None and any(r.reason for c in columns for r in rules_of(pol.fields.get(c, SYSTEM)))


# --- invariants: every write, the system's included ------------------------------------------------

def _fk_targets(obj) -> dict:
    """Foreign keys set through a many-to-one relationship (forms set `plan.rater = employee`): the
    ORM copies them into the columns only during the flush, so the guard reads them from here."""
    state = inspect(obj)
    out = {}
    for rel in state.mapper.relationships:
        if rel.direction is not MANYTOONE or rel.key not in state.dict:
            continue
        hist = state.attrs[rel.key].history
        if not hist.added and not hist.deleted:
            continue
        target = hist.added[0] if hist.added else None
        for local, remote in rel.local_remote_pairs:
            out[local.key] = None if target is None else getattr(target, remote.key)
    return out


def value(obj, column):
    """A column's value as this flush will write it."""
    targets = _fk_targets(obj)
    return targets[column] if column in targets else getattr(obj, column)


def changed_values(obj, columns) -> set:
    """The new values of those of `columns` this flush changes."""
    changed = _changed(obj)
    return {value(obj, c) for c in columns if c in changed}


def _changed(obj) -> set[str]:
    state = inspect(obj)
    targets = _fk_targets(obj)
    if state.pending or state.transient:
        return {a.key for a in state.mapper.column_attrs
                if (targets[a.key] if a.key in targets else state.dict.get(a.key)) is not None}
    out = {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
    out |= {k for k, v in targets.items() if v != committed(obj, k)}
    return out


def _below(session, person: int, boss: int) -> bool:
    """Whether `person` is (indirectly) a subordinate of `boss` in the supervisor hierarchy."""
    seen: set[int] = set()
    cur = session.scalar(select(Employee.superior_id).where(Employee.id == person))
    while cur is not None and cur not in seen:
        if cur == boss:
            return True
        seen.add(cur)
        cur = session.scalar(select(Employee.superior_id).where(Employee.id == cur))
    return False


def _plan_raters(session, obj, ctx, changed, system_write):
    if not changed & {"employee_id", "rater_id", "rater_superior_id"}:
        return None
    emp, rater, sup = value(obj, "employee_id"), value(obj, "rater_id"), value(obj, "rater_superior_id")
    if rater is not None and rater == emp:
        return "Pegawai tidak dapat menjadi pejabat penilai bagi dirinya sendiri."
    if sup is not None and sup == emp:
        return "Pegawai tidak dapat menjadi atasan pejabat penilai bagi dirinya sendiri."
    if rater is not None and sup is not None and rater == sup:
        return "Pejabat penilai dan atasan pejabat penilai harus dua orang yang berbeda."
    if not system_write and emp is not None:
        me = getattr(acting_user(session), "employee_id", None)
        for who, label in ((rater, "Pejabat penilai"), (sup, "Atasan pejabat penilai")):
            if who is not None and _below(session, who, emp):
                return f"{label} tidak boleh bawahan dari pegawai yang dinilai."
            if who is not None and who == me and who in changed_values(obj, ("rater_id", "rater_superior_id")):
                return f"Anda tidak dapat menetapkan diri sendiri sebagai {label.lower()}."
    return None


def _objection_decider(session, obj, ctx, changed, system_write):
    if obj.decider_id is not None and obj.decider_id in (obj.employee_id, ctx.rater_id):
        return ("Keberatan tidak dapat diputus oleh pegawai yang bersangkutan atau oleh pejabat penilai yang "
                "penilaiannya dipersoalkan; hubungi operator BKPSDM untuk menetapkan atasan pejabat penilai.")
    if obj.status == "accepted" and changed & {"status", "new_value", "new_predicate"}:
        from ..scoring.rules import decision_problem

        result = obj.__dict__.get("result") or session.get(ScoreResult, obj.result_id)
        return decision_problem(session, result, obj.new_value, obj.new_predicate)
    return None


def _assignment_pair(session, obj, ctx, changed, system_write):
    rater, ratee = value(obj, "rater_id"), value(obj, "ratee_id")
    if obj.role == "masyarakat":
        return None if rater is None else "Peran masyarakat tidak memiliki penilai perorangan."
    if rater is None:
        return "Penilai wajib diisi."
    if (obj.role == "diri") != (rater == ratee):
        return ("Penilaian diri hanya oleh pegawai itu sendiri." if obj.role == "diri"
                else "Pegawai tidak dapat menilai dirinya sendiri kecuali dengan peran 'Diri sendiri'.")
    return None


def _indicator_formula(session, obj, ctx, changed, system_write):
    if obj.formula_code is None or not changed & {"formula_code", "aspect", "target_id"}:
        return None
    from ..scoring.formulas import FORMULAS

    if obj.formula_code not in FORMULAS:
        return f"Rumus '{obj.formula_code}' tidak dikenal."
    if ctx.period_scheme_id is not None:
        allowed = set(session.scalars(select(SchemeFormula.formula_code).where(
            SchemeFormula.scheme_id == ctx.period_scheme_id, SchemeFormula.aspect == obj.aspect)))
        if obj.formula_code not in allowed:
            return (f"Rumus '{obj.formula_code}' tidak diizinkan skema penilaian periode ini untuk aspek "
                    f"{obj.aspect}.")
    return None


def _period_scheme(session, obj, ctx, changed, system_write):
    if "scheme_id" not in changed or inspect(obj).pending:
        return None
    if session.scalar(select(exists().where(ScoreResult.period_id == obj.id))):
        return (f"Skema penilaian periode {obj.code} tidak dapat diganti karena sudah ada hasil penilaian; "
                "gunakan tindakan 'Ganti skema' (hasil yang belum disetujui dihapus, dengan alasan).")
    return None


def _cascade_link(session, obj, ctx, changed, system_write):
    # a rule on setting a link (it depends on the superior SKP's state), so users' writes only: a link
    # made while valid stays when the superior SKP later moves
    if system_write or not changed & {"parent_target_id", "org_indicator_id"}:
        return None
    from ..planning import PlanningError
    from ..planning.cascade import check_cascade_link

    try:
        check_cascade_link(session, obj)
    except PlanningError as err:
        return str(err)
    return None


def _feedback_thread(session, obj, ctx, changed, system_write):
    if not (obj.body or "").strip():
        return "Pesan umpan balik tidak boleh kosong."
    target_id = value(obj, "target_id")
    if target_id is not None:
        plan_id = session.scalar(select(Target.work_plan_id).where(Target.id == target_id))
        if plan_id != value(obj, "work_plan_id"):
            return "RHK percakapan umpan balik bukan bagian dari SKP ini."
    return None


def _delegation_valid(session, obj, ctx, changed, system_write):
    holder, principal = value(obj, "holder_id"), value(obj, "principal_id")
    if principal is not None and holder == principal:
        return "Pelaksana (Plt/Plh) tidak dapat menggantikan dirinya sendiri."
    me = None if system_write else getattr(acting_user(session), "employee_id", None)
    if me is not None and holder == me and "holder_id" in changed:
        return "Anda tidak dapat menunjuk diri sendiri sebagai pelaksana (Plt/Plh)."
    if me is not None and principal is not None and any(k in changed for k in ("holder_id", "principal_id")):
        # whoever acts for the official who judges the clerk would judge the clerk: another clerk decides
        judged_by_principal = session.scalar(
            select(WorkPlan.id).join(Period, Period.id == WorkPlan.period_id)
            .where(WorkPlan.employee_id == me, Period.status != "closed",
                   or_(WorkPlan.rater_id == principal, WorkPlan.rater_superior_id == principal)).limit(1))
        if judged_by_principal is not None:
            return ("Pejabat yang digantikan menilai SKP Anda sendiri; penunjukan Plt/Plh baginya dilakukan "
                    "operator lain.")
    return None


def _annual_derived(session, obj, ctx, changed, system_write):
    """Where the period's scheme derives the annual realisation from the periodic ones, nobody records
    one by hand (kinerja_admin.periodic writes it, as the system)."""
    if system_write or not inspect(obj).pending or ctx.period_scheme_id is None:
        return None
    from models import ScoringScheme

    if session.scalar(select(ScoringScheme.annual_from_periodic).where(ScoringScheme.id == ctx.period_scheme_id)):
        return ("Realisasi tahunan periode ini dihitung dari realisasi periodik (skema penilaian); catat realisasi "
                "pada jendela evaluasi periodik.")
    return None


def _invariants():
    from models import Delegation, FeedbackMessage, Realisation

    return {WorkPlan: _plan_raters, Objection: _objection_decider, RaterAssignment: _assignment_pair,
            Indicator: _indicator_formula, Period: _period_scheme, Target: _cascade_link,
            FeedbackMessage: _feedback_thread, Delegation: _delegation_valid, Realisation: _annual_derived}


INVARIANTS = _invariants()


# --- the session guard's checks ----------------------------------------------------------------

def _default(column):
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg
    return None


def _deleted_with_parent(obj, deleted) -> bool:
    pol = BY_MODEL.get(type(obj))
    while pol is not None and pol.parent is not None:
        parent = obj.__dict__.get(pol.parent[1])
        if parent is None:
            pid = committed(obj, pol.parent[0])
            parent = next((d for d in deleted if isinstance(d, pol.parent[2]) and d.id == pid), None)
        if parent is None:
            return False
        if parent in deleted:
            return True
        obj, pol = parent, BY_MODEL.get(type(parent))
    return False


def flush_contexts(session, new, dirty, deleted) -> dict[int, Ctx]:
    """The contexts of the governed rows a flush writes (for the lock, the checks and the audit trail)."""
    governed = [o for o in (*new, *dirty, *deleted) if type(o) in BY_MODEL]
    return contexts(session, governed) if governed else {}


def check_flush(session, new, dirty, deleted, ctxs: dict[int, Ctx]) -> None:
    """Run by the before_flush guard: invariants for every write, the rules for users' writes.
    Raises PolicyError: nothing of the flush is written."""
    governed = [o for o in (*new, *dirty, *deleted) if type(o) in BY_MODEL]
    if not governed:
        return
    system_write = is_system(session)
    actor = None if system_write else acting_user(session)
    if actor is None:
        system_write = True
    for obj in (*new, *dirty):
        check = INVARIANTS.get(type(obj))
        if check is not None and obj not in deleted:
            message = check(session, obj, ctxs[id(obj)], _changed(obj), system_write)
            if message:
                raise PolicyError(message)
    if system_write:
        return
    from ..workflow.trail import NOTE_ATTR

    for obj in governed:
        pol = BY_MODEL[type(obj)]
        if not pol.enforced:
            continue
        ctx = ctxs[id(obj)]
        rels = relations(actor, ctx)
        if obj in deleted:
            allowed = any(permits(r, rels, ctx) for r in pol.delete)
            # a row deleted with its parent (an RHK's indicators and realisations) needs no state of
            # its own, but still someone who may delete such rows: an employee removing an RHK never
            # erases the rater's judgement, feedback messages or periodic judgements on it
            if not allowed and _deleted_with_parent(obj, deleted) and any(r.who & rels for r in pol.delete):
                allowed = True
            if not allowed:
                _refuse(actor, pol, None, pol.delete, "dihapus")
            continue
        if obj in new:
            if not any(permits(r, rels, ctx) for r in pol.create):
                _refuse(actor, pol, None, pol.create, "ditambahkan")
            if "recorded_by_id" in pol.fields and getattr(actor, "id", None) is not None:
                obj.recorded_by_id = actor.id  # stamped, never taken from a form
            for column in pol.model.__table__.columns:
                key = column.key
                if key in TECHNICAL or key == "recorded_by_id":
                    continue
                spec = pol.fields.get(key, SYSTEM)
                given = value(obj, key)
                if at_creation(spec) or given is None or given == _default(column):
                    continue
                if not field_allowed(pol, key, rels, ctx):
                    _refuse(actor, pol, key, rules_of(spec), "diisi")
            continue
        changed = _changed(obj) - TECHNICAL
        note = obj.__dict__.get(NOTE_ATTR) or {}
        for key in sorted(changed):
            spec = pol.fields.get(key, SYSTEM)
            rules = rules_of(spec)
            if not field_allowed(pol, key, rels, ctx):
                _refuse(actor, pol, key, rules, "diubah")
            if any(r.reason for r in rules if permits(r, rels, ctx)) and not (note.get("reason") or "").strip():
                raise PolicyError(f"Perubahan {pol.labels.get(key, key)} pada {pol.label} wajib disertai alasan.")


def _refuse(actor, pol, column, rules, verb):
    log.warning("policy refused: user=%s model=%s field=%s", getattr(actor, "username", None),
                pol.model.__tablename__, column)
    raise PolicyError(refusal(pol, column, rules, verb))


def assert_may_write(session, obj, verb: str, actor=None) -> None:
    """For services that insert or delete with Core statements: refuse unless the acting user (or
    `actor`) may create (verb "ditambahkan") or delete ("dihapus") the row `obj` (a transient object
    standing for the row to insert). Writes without a user (commands, the system) pass."""
    actor = actor or acting_user(session)
    if actor is None:
        return
    pol = BY_MODEL[type(obj)]
    ctx = contexts(session, [obj])[id(obj)]
    rules = pol.create if verb == "ditambahkan" else pol.delete
    if not any(permits(r, relations(actor, ctx), ctx) for r in rules):
        _refuse(actor, pol, None, rules, verb)


def assert_may(session, actor, obj, columns, verb: str = "diubah") -> None:
    """For services that write with Core statements: refuse unless `actor` may change `columns`."""
    pol = BY_MODEL[type(obj)]
    ctx = contexts(session, [obj])[id(obj)]
    rels = relations(actor, ctx)
    for key in columns:
        if not field_allowed(pol, key, rels, ctx):
            _refuse(actor, pol, key, rules_of(pol.fields.get(key, SYSTEM)), verb)


__all__ = ["PUBLIC", "PolicyError", "acting_user", "assert_may", "assert_may_write", "check_flush", "creatable_columns",
           "editable_columns", "flush_contexts", "is_system", "needs_reason", "permits", "relations",
           "staff_relations", "system"]
