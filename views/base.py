"""Base classes every admin view derives from: access from the permission table, row scope from
kinerja_admin.scope on every read path, Indonesian error messages, audit of CRUD."""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.babel import gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader, create_ajax_loader
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms.validators import ValidationError

from kinerja_admin import permissions
from kinerja_admin.audit import record
from kinerja_admin.formatting import angka, tanggal
from kinerja_admin.numbers import NumberError, NumberField, column_bounds
from kinerja_admin.scope import in_scope, scope_query
from models import db

log = logging.getLogger(__name__)


class DomainError(ValidationError):
    """A business-rule violation; its message (Indonesian) is shown to the user as is."""


def _role():
    return current_user.role if current_user.is_authenticated else None


class AccessMixin:
    """is_accessible / can_* / is_action_allowed all read kinerja_admin.permissions.ACCESS."""

    def _right(self, letter: str) -> bool:
        return permissions.can(self.endpoint, _role(), letter)

    def is_accessible(self):
        return current_user.is_authenticated and current_user.is_active and self._right("r")

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Autocomplete lookups obey the row scope of the related model."""

    def get_query(self):
        return scope_query(super().get_query(), self.model, current_user)

    def get_one(self, pk):
        pk_col = getattr(self.model, self.pk)
        try:
            pk = pk_col.type.python_type(pk)
        except (TypeError, ValueError):
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(pk_col == pk).one_or_none()


def _bool_list(view, value, name):
    label = "Ya" if value else "Tidak"
    icon = "fa-check-circle" if value else "fa-minus-circle"
    return Markup(f'<span class="fa {icon}" title="{label}" aria-label="{label}"></span>')


def _bool_text(view, value, name):
    return "Ya" if value else "Tidak"


def _date(view, value, name):
    return tanggal(value)


def _datetime(view, value, name):
    return tanggal(value, with_time=True)


def _decimal(view, value, name):
    return angka(value)


class NumberModelConverter(AdminModelConverter):
    """Every Numeric column of every admin form (and inline form) is a NumberField: Indonesian input
    ("47,5", "1.234,5"), finite and within the column's precision (kinerja_admin.numbers)."""

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        field_args.pop("places", None)
        return NumberField(bounds=column_bounds(column), required=not column.nullable, **field_args)


_INDONESIAN = {bool: _bool_list, dt.date: _date, dt.datetime: _datetime, Decimal: _decimal}


class SecuredModelView(AccessMixin, ModelView):
    # Indonesian rendering of booleans, dates and numbers (exports keep raw values)
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **_INDONESIAN}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **_INDONESIAN, bool: _bool_text}
    page_size = 20  # Flask-Admin's default; clerks pick 50 or 100, bulk operations cover all matching rows
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    can_view_details = True
    details_modal = False
    edit_modal = False
    create_modal = False
    export_max_rows = 0
    action_disallowed_list = ["delete"]  # mass delete is never offered
    model_form_converter = NumberModelConverter  # Numeric columns: kinerja_admin.numbers.NumberField
    audit_entity: str | None = None  # set to audit CRUD of this view's model

    def __init__(self, model, session=db, **kwargs):
        kwargs.setdefault("endpoint", model.__tablename__.replace("_account", ""))
        super().__init__(model, session, **kwargs)

    # --- rights ---------------------------------------------------------------------------
    @property
    def can_create(self):
        return self._right("c")

    @property
    def can_edit(self):
        return self._right("u")

    @property
    def can_delete(self):
        return self._right("d")

    @property
    def can_export(self):
        return self._right("x")

    def is_action_allowed(self, name):
        if name == "delete":
            return False
        return self._right("a") and super().is_action_allowed(name)

    # Flask-Admin answers a forbidden create/edit/delete/export with a redirect to the list;
    # we answer 403 so that a forbidden path is visibly forbidden (and testable).
    _RIGHT_OF_VIEW = {"create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
                      "export": "can_export", "ajax_update": "can_edit"}
    _ACTION_VIEWS = {"action_view", "bulk_all_view", "reason_view"}

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        flag = self._RIGHT_OF_VIEW.get(name)
        if flag and not getattr(self, flag):
            abort(403)
        if name in self._ACTION_VIEWS and not self._right("a"):
            abort(403)  # Flask-Admin would flash "Permission denied" and redirect
        return None

    # --- row scope: list, count, get_one, ajax ----------------------------------------------
    def get_query(self):
        return scope_query(super().get_query(), self.model, current_user)

    def get_count_query(self):
        return scope_query(super().get_count_query(), self.model, current_user)

    def get_list(self, page, *args, **kwargs):
        # ?page=-5 would become a negative OFFSET, which PostgreSQL and MariaDB reject.
        return super().get_list(max(page, 0) if isinstance(page, int) else page, *args, **kwargs)

    def get_one(self, id):
        pk = self.model.__mapper__.primary_key[0]
        try:
            row = self.get_query().filter(pk == pk.type.python_type(id)).one_or_none()
        except (ValueError, TypeError):
            row = None
        if row is None:
            abort(404)
        return row

    def scaffold_form(self):
        form_class = super().scaffold_form()
        for name in dir(form_class):
            field = getattr(form_class, name, None)
            if getattr(field, "field_class", None) is not None and "allow_blank" in getattr(field, "kwargs", {}):
                field.kwargs.setdefault("blank_text", "— Pilih —")
        return form_class

    # relationship <select>s limited to the user's row scope: {form field: related model}
    scoped_selects: dict = {}

    def _scope_selects(self, form):
        for name, model in self.scoped_selects.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "query_factory"):
                field.query_factory = (lambda m=model: scope_query(db.session.query(m), m, current_user)
                                       .limit(500).all())
        return form

    def create_form(self, obj=None):
        return self._scope_selects(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._scope_selects(super().edit_form(obj))
        form._obj = obj  # field validators need the record being edited (e.g. uniqueness)
        return form

    def scoped_ids_query(self, ids):
        """The user's rows among `ids` (what bulk actions act on)."""
        from kinerja_admin.workflow.base import clean_ids

        pk = self.model.__mapper__.primary_key[0]
        return self.get_query().filter(pk.in_(clean_ids(ids)))

    def _create_ajax_loader(self, name, options):
        loader = create_ajax_loader(self.model, self.session, name, name, options)
        scoped = ScopedAjaxLoader(name, self.session, loader.model, **options)
        return scoped

    # --- save/delete hooks: scope check, validation, audit ----------------------------------
    def validate_model(self, model, is_created: bool, form=None) -> None:
        """Override to enforce invariants; raise DomainError with an Indonesian message."""

    def _view_audits(self, model) -> bool:
        """Audit here unless the ORM audit trail (kinerja_admin.workflow.trail) already logs this
        model in the same flush (appraisal data): one audit row per change, never two."""
        from kinerja_admin.workflow.trail import is_audited

        return bool(self.audit_entity) and not is_audited(type(model))

    def on_model_change(self, form, model, is_created):
        self.validate_model(model, is_created, form)
        audits = self._view_audits(model)
        changes = _changes(model) if audits else None
        db.session.flush()
        if not in_scope(model, current_user, db.session):
            raise DomainError("Data ini berada di luar lingkup akses Anda.")
        if audits and changes:
            record("insert" if is_created else "update", self.audit_entity, model.id, changes=changes)

    def on_model_delete(self, model):
        if self._view_audits(model):
            record("delete", self.audit_entity, model.id, changes=_snapshot(model))

    def handle_view_exception(self, exc):
        if isinstance(exc, IntegrityError):
            flash("Data tidak dapat disimpan: bertentangan dengan data lain (duplikat atau masih "
                  "dirujuk oleh data lain).", "error")
            return True
        if isinstance(exc, (ValidationError, NumberError)):  # NumberError: the model-layer number guard
            flash(str(exc), "error")
            return True
        if isinstance(exc, StaleDataError):
            flash("Data telah diubah oleh pengguna lain sejak Anda membukanya; perubahan Anda tidak "
                  "disimpan. Muat ulang halaman lalu ulangi.", "error")
            return True
        if isinstance(exc, SQLAlchemyError):
            # Never show driver messages (SQL, hosts) to users; the log keeps the details.
            log.exception("database error in %s", self.endpoint)
            flash("Basis data sedang tidak dapat dihubungi atau menolak perintah; perubahan tidak "
                  "disimpan. Coba lagi beberapa saat lagi.", "error")
            return True
        from kinerja_admin.workflow import WorkflowError

        if isinstance(exc, WorkflowError):  # e.g. the closed-period lock refusing a save
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)


def _snapshot(model) -> dict:
    out = {}
    for col in model.__table__.columns:
        if col.key in ("password_hash", "session_token"):
            continue
        out[col.key] = _jsonable(getattr(model, col.key, None))
    return out


def _changes(model) -> dict:
    from sqlalchemy import inspect

    state = inspect(model)
    out = {}
    for attr in state.mapper.column_attrs:
        if attr.key in ("password_hash", "session_token"):
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            out[attr.key] = [_jsonable(before), _jsonable(after)]
    return out


def _jsonable(v):
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


class ReadOnlyModelView(SecuredModelView):
    """A view nobody can change through the admin (audit log, computed tables)."""

    @property
    def can_create(self):
        return False

    @property
    def can_edit(self):
        return False

    @property
    def can_delete(self):
        return False


class SecuredBaseView(AccessMixin, BaseView):
    pass


class DashboardView(AccessMixin, AdminIndexView):
    """Beranda: period progress, per-unit completeness, distribution vs curve (views.dashboard)."""

    @expose("/")
    def index(self):
        from .dashboard import render_dashboard

        return render_dashboard(self)


__all__ = ["DashboardView", "DomainError", "ReadOnlyModelView", "SecuredBaseView", "SecuredModelView", "gettext"]
