"""Appraisal workflows as plain functions over a session (views, admin actions and the CLI call them).

* period: open/advance/close/reopen            * plan: submit/approve/return/realise/assess/finalise
* score: approve/publish                         * objection: file/decide
* guards: closed-period lock + append-only audit (before_flush); trail: audit rows (after_flush)

Refusals raise WorkflowError with an Indonesian message; the caller rolls the transaction back.
"""
from .base import BulkResult, ConflictError, PeriodLockedError, WorkflowError

__all__ = ["BulkResult", "ConflictError", "PeriodLockedError", "WorkflowError"]
