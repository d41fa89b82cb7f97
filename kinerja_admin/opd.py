"""OPD (perangkat daerah) as a dimension of every list, bulk action, dashboard and export.

The OPD of a unit is its top-level ancestor in the unit tree (kinerja_admin.orgtree). It is not
stored on units or rows: a list filtered by OPD asks for ``unit_id IN (the OPD's subtree)``, and the
OPD column reads the unit -> OPD map built from one SELECT of the (few hundred) units per request.
So a unit moved to another parent (admin form, Excel import, any other path) is in its new OPD at
once, with nothing to keep in sync; scripts/bench_jobs.py measures the filter on 100 000 rows.
"""
from __future__ import annotations

from flask import has_request_context, request
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy import select

from models import Unit, db

from .orgtree import UnitTree, unit_tree

_ENV_KEY = "kinerja.unit_tree"


def tree(session=None) -> UnitTree:
    """The unit tree with its units, built once per request (kept in the WSGI environ, which unlike
    `g` is never shared between requests), fresh outside a request."""
    session = session or db.session
    if has_request_context():
        cached = request.environ.get(_ENV_KEY)
        if cached is None:
            cached = request.environ[_ENV_KEY] = unit_tree(session, with_units=True)
        return cached
    return unit_tree(session, with_units=True)


def opd_units(session=None) -> list[Unit]:
    """Every OPD (top-level unit), by name."""
    return tree(session).roots()


def opd_options(session=None) -> list[tuple[str, str]]:
    return [(str(u.id), u.name) for u in opd_units(session)]


def opd_of(unit_id: int | None, session=None) -> Unit | None:
    t = tree(session)
    root = t.root_of(unit_id)
    return t.units.get(root) if root is not None else None


def opd_name(unit_id: int | None, session=None) -> str:
    u = opd_of(unit_id, session)
    return u.name if u is not None else ""


def subtree_ids(opd_id: int, session=None) -> list[int]:
    """The OPD's unit and all its sub-units (sorted, for stable SQL)."""
    t = tree(session)
    if opd_id not in t.parent:
        return []
    return sorted(t.subtree(opd_id))


def in_opd(column, opd_id: int, session=None):
    """SQL condition: `column` (a unit id column) lies in the OPD's subtree."""
    ids = subtree_ids(opd_id, session)
    return column.in_(ids) if ids else column.in_([-1])


def find_opd(session, key) -> Unit | None:
    """An OPD by id, code or exact name (the CLI's --opd)."""
    units = opd_units(session)
    key = str(key).strip()
    for u in units:
        if str(u.id) == key or u.code == key or u.name.lower() == key.lower():
            return u
    return None


class OpdFilter(BaseSQLAFilter):
    """Flask-Admin filter "OPD": rows whose unit lies anywhere in the chosen OPD's subtree.

    `column` is the row's unit id column; `via` maps a unit condition to a condition on the view's
    model when the row reaches its unit through another table (e.g. a rater assignment's ratee)."""

    dynamic_options = True  # options come from the database at request time (views.base)

    def __init__(self, column, name: str = "OPD", via=None):
        super().__init__(column, name, options=opd_options)
        self.via = via

    def get_options(self, view):
        # Flask-Admin also asks while building the views inside create_app: no database query
        # then (it would open a transaction on whatever session is current); the list page asks
        # again per request (views.base.SecuredModelView._get_filter_groups).
        if not has_request_context():
            return []
        return opd_options()

    def clean(self, value):
        return int(value)

    def apply(self, query, value, alias=None):
        ids = subtree_ids(int(value)) or [-1]
        if self.via is not None:
            return query.filter(self.via(ids))
        return query.filter(self.get_column(alias).in_(ids))

    def operation(self):
        return "termasuk sub-unit"

    def describe(self, value) -> str:
        """The filter in words, e.g. 'OPD Dinas Kesehatan (dengan sub-unitnya)'."""
        u = tree().units.get(self._int(value))
        return f"OPD {u.name if u else value} (dengan seluruh sub-unitnya)"

    @staticmethod
    def _int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None


def opd_formatter(attr: str = "unit_id"):
    """List/details formatter showing the OPD of the row's unit (no query per row)."""

    def fmt(view, context, model, name):
        return opd_name(getattr(model, attr, None))

    return fmt


def employees_in(ids):
    """SELECT of the employees whose unit is one of `ids` (for rows that reach a unit through an
    employee, e.g. rater assignments and objections)."""
    from models import Employee

    return select(Employee.id).where(Employee.unit_id.in_(ids))
