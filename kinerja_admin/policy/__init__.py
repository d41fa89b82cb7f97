"""The record policy: one place that decides who may change which field of an appraisal record in
which state (rules.py, the data to read), applied on every path by the session guard, the admin
forms, the workflows, the importer and the CLI (check.py), with row contexts loaded in batches
(context.py). See the README's Roles section for the same rules in prose."""
from .check import (
    PUBLIC,
    PolicyError,
    acting_user,
    assert_may,
    assert_may_write,
    check_flush,
    creatable_columns,
    editable_columns,
    flush_contexts,
    is_system,
    needs_reason,
    permits,
    relations,
    system,
)
from .context import BY_MODEL, Ctx, context_of, contexts
from .rules import PLAN_TRANSITIONS, POLICIES, SCORE_TRANSITIONS, Transition

PERIOD_BOUND = tuple(p.model for p in POLICIES if p.period_bound)
AUDITED = tuple(p.model for p in POLICIES if p.audited == "all")
AUDITED_CHANGES_ONLY = tuple(p.model for p in POLICIES if p.audited == "changes")

__all__ = ["AUDITED", "AUDITED_CHANGES_ONLY", "BY_MODEL", "PERIOD_BOUND", "PLAN_TRANSITIONS", "POLICIES", "PUBLIC",
           "SCORE_TRANSITIONS", "Ctx", "PolicyError", "Transition", "acting_user", "assert_may", "assert_may_write",
           "check_flush", "context_of", "contexts", "creatable_columns", "editable_columns", "flush_contexts",
           "is_system", "needs_reason", "permits", "relations", "system"]
