"""The no-login public blueprint under /publik/: transparency portal and citizen feedback.

Route modules register on `bp`: portal.py (transparency, aggregates only) and feedback.py
(IKM questionnaire and named-employee feedback).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/publik")

from . import feedback, portal, programs  # noqa: E402,F401  (route registration)
