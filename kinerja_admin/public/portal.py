"""Transparency portal (aggregates only, no personal data by default)."""
from __future__ import annotations

from flask import render_template

from . import bp


@bp.route("/")
def index():
    return render_template("public/index.html")
