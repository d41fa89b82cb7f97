"""Base classes every admin view derives from: access from the permission table, row scope from
kinerja_admin.scope on every read path, Indonesian error messages, audit of CRUD."""
from __future__ import annotations

import datetime as dt
import logging
import re
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
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from kinerja_admin import permissions, policy
from kinerja_admin.audit import record
from kinerja_admin.formatting import skor, tanggal, waktu
from kinerja_admin.links import LinkError
from kinerja_admin.numbers import NumberError, NumberField, column_bounds
from kinerja_admin.scope import in_scope, scope_query
from kinerja_admin.security import CsvFormulaSafeMixin
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


def nip_search(term):
    """A NIP pasted in its display form ("19950505 202012 1 001") searches as the stored digits."""
    if term and re.fullmatch(r"[\d\s.\-\u00a0]{8,30}", term) and sum(c.isdigit() for c in term) >= 8:
        return re.sub(r"[\s.\-\u00a0]", "", term)
    return term


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Autocomplete lookups obey the row scope of the related model. Extra options: ``joins`` (tables
    joined so that ``fields`` may search their columns, e.g. the employee's name for a plan) and
    ``label`` (how a row is shown, e.g. with its period, so that equal texts can be told apart)."""

    def __init__(self, name, session, model, **options):
        self.joins = tuple(options.pop("joins", ()))
        self.label = options.pop("label", None)
        super().__init__(name, session, model, **options)

    def get_list(self, term, offset=0, limit=10):
        return super().get_list(nip_search(term), offset, limit)

    def get_query(self):
        query = super().get_query()
        for target, onclause in self.joins:
            query = query.join(target, onclause)
        return scope_query(query, self.model, current_user)

    def format(self, model):
        if model is None or self.label is None:
            return super().format(model)
        return getattr(model, self.pk), self.label(model)

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
    return waktu(value)  # stored in UTC, shown in the instance's zone (WIB by default)


def _decimal(view, value, name):
    # Numeric columns are scores unless a view formats them otherwise (weights: formatting.bobot)
    return skor(value)


class NumberModelConverter(AdminModelConverter):
    """Every Numeric column of every admin form (and inline form) is a NumberField: Indonesian input
    ("47,5", "1.234,5"), finite and within the column's precision (kinerja_admin.numbers)."""

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        field_args.pop("places", None)
        return NumberField(bounds=column_bounds(column), required=not column.nullable, **field_args)


# datetime before date: Flask-Admin takes the first isinstance match, and a datetime is a date
_INDONESIAN = {bool: _bool_list, dt.datetime: _datetime, dt.date: _date, Decimal: _decimal}


class SecuredModelView(AccessMixin, CsvFormulaSafeMixin, ModelView):
    # Indonesian rendering of booleans, dates and numbers (exports keep raw values)
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **_INDONESIAN}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **_INDONESIAN, bool: _bool_text}
    page_size = 20  # Flask-Admin's default; clerks pick up to 500, bulk operations cover all matching rows
    can_set_page_size = True
    page_size_options = (20, 50, 100, 200, 500)
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

    def get_list(self, page, sort_column, sort_desc, search, filters, *args, **kwargs):
        # ?page=-5 would become a negative OFFSET, which PostgreSQL and MariaDB reject.
        page = max(page, 0) if isinstance(page, int) else page
        return super().get_list(page, sort_column, sort_desc, nip_search(search), filters, *args, **kwargs)

    # --- filters: options read at request time, and the current filters in words -------------
    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        if not groups:
            return groups
        for flt_index, flt in enumerate(self._filters or []):
            if getattr(flt, "dynamic_options", False):
                for items in groups.values():
                    for item in items:
                        if item.get("index") == flt_index:
                            item["options"] = flt.get_options(self) or None
        return groups

    def filters_in_words(self, search=None, filters=None) -> list[str]:
        """The list's current search and filters as Indonesian phrases (confirmation pages, exports),
        e.g. ["OPD Dinas Kesehatan (dengan seluruh sub-unitnya)", "Status sama dengan Dihitung"]."""
        if search is None and filters is None:
            args = self._get_list_extra_args()
            search, filters = args.search, args.filters
        words = []
        if search:
            words.append(f"pencarian \u201c{search}\u201d")
        for idx, name, value in filters or []:
            flt = self._filters[idx]
            if hasattr(flt, "describe"):
                words.append(flt.describe(value))
                continue
            shown = value
            options = flt.get_options(self) if getattr(flt, "options", None) else None
            if options:
                labels = {str(k): str(v) for k, v in options}
                parts = value if isinstance(value, (list, tuple)) else str(value).split(",")
                shown = ", ".join(labels.get(str(p).strip(), str(p).strip()) for p in parts)
            words.append(f"{name} {flt.operation()} {shown}")
        return words

    def get_one(self, id):
        pk = self.model.__mapper__.primary_key[0]
        try:
            row = self.get_query().filter(pk == pk.type.python_type(id)).one_or_none()
        except (ValueError, TypeError):
            row = None
        if row is None:
            abort(404)
        return row

    # the optimistic-lock version is a technical counter: never shown as "Versi 3"
    hidden_detail_columns = ("version",)

    def get_details_columns(self):
        return [(n, label) for n, label in super().get_details_columns() if n not in self.hidden_detail_columns]

    def columns_hidden_from(self, obj) -> set[str]:
        """Columns of `obj` the current user may not read (the details page and the read-only panel of
        the edit form both ask here): none by default."""
        return set()

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if model is not None and "details_columns" in kwargs:
            hidden = self.columns_hidden_from(model)
            if hidden:
                kwargs["details_columns"] = [(n, label) for n, label in kwargs["details_columns"] if n not in hidden]
        return super().render(template, **kwargs)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        self._add_reason_field(form_class)
        for name in dir(form_class):
            field = getattr(form_class, name, None)
            if getattr(field, "field_class", None) is not None and "allow_blank" in getattr(field, "kwargs", {}):
                field.kwargs.setdefault("blank_text", "— Pilih —")
        return form_class

    # --- the record policy decides which fields a form offers (kinerja_admin.policy) ------------
    edit_template = "admin/policy_edit.html"
    REASON_FIELD = "policy_reason"
    FORM_HELPERS = ("csrf_token", "row_version", REASON_FIELD)

    def _field_columns(self, name) -> set[str] | None:
        """Model columns a form field writes (a relationship writes its foreign key columns)."""
        mapper = self.model.__mapper__
        if name in mapper.relationships:
            return {c.key for c in mapper.relationships[name].local_columns}
        if name in mapper.column_attrs:
            return {name}
        return None

    def policy_columns(self, obj=None) -> set[str] | None:
        """Columns the current user may set: on `obj` now, or on a new row (None: no record policy)."""
        if obj is None:
            return policy.creatable_columns(current_user, self.model)
        return policy.editable_columns(db.session, current_user, obj)

    def _apply_policy(self, form, obj=None):
        """Remove the fields the user may not change: they are neither shown as inputs nor read from
        the request, so a save never overwrites (or nulls) a value its editor cannot see or change."""
        allowed = self.policy_columns(obj)
        if allowed is None:
            return form
        readonly = []
        unreadable = self.columns_hidden_from(obj) if obj is not None else set()
        for name in list(form._fields):
            if name in self.FORM_HELPERS:
                continue
            columns = self._field_columns(name)
            if columns is not None and not columns <= allowed:
                if obj is not None and name not in unreadable:
                    readonly.append((str(form._fields[name].label.text), self._readonly_value(obj, name)))
                del form[name]
        if self.REASON_FIELD in form._fields and not policy.needs_reason(self.model, allowed):
            del form[self.REASON_FIELD]
        self._template_args["policy_readonly"] = readonly
        self._template_args["policy_nothing_editable"] = not any(
            n not in self.FORM_HELPERS for n in form._fields)
        return form

    def _readonly_value(self, obj, name) -> str:
        formatter = (self.column_formatters or {}).get(name)
        value = formatter(self, None, obj, name) if formatter else getattr(obj, name, None)
        if value is None or value == "":
            return "-"
        if isinstance(value, bool):
            return _bool_text(self, value, name)
        formatter = _INDONESIAN.get(type(value))
        if formatter is not None:
            return str(formatter(self, value, name))
        return str(value)

    def create_form(self, obj=None):
        return self._apply_policy(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._apply_policy(super().edit_form(obj), obj)
        form._obj = obj  # field validators need the record being edited (e.g. uniqueness)
        return form

    def _add_reason_field(self, form_class):
        pol = policy.BY_MODEL.get(self.model)
        if pol is not None and policy.needs_reason(self.model, pol.fields):
            setattr(form_class, self.REASON_FIELD, TextAreaField(
                "Alasan perubahan", description="Wajib diisi bila pejabat penilai, atasan pejabat penilai, "
                "unit kerja atau jabatan diubah; tercatat pada jejak audit."))

    def _unfound_lookup(self, form, model=None) -> str | None:
        """An autocomplete field whose posted id the lookup cannot find (outside the user's scope, or no
        longer offered): the stored value stays when it is the one posted back; any other id is refused
        with a message. Never a silent NULL."""
        from flask_admin.model.fields import AjaxSelectField

        for name, field in form._fields.items():
            if not isinstance(field, AjaxSelectField) or field.data is not None:
                continue
            raw = (request.form.get(name) or "").strip()
            if not raw:
                continue
            current = getattr(model, name, None) if model is not None else None
            if current is not None and str(getattr(current, "id", "")) == raw:
                field.data = current  # unchanged: kept, even when the lookup no longer offers it
                continue
            return (f"Pilihan pada kolom '{field.label.text}' tidak ditemukan atau di luar lingkup akses Anda; "
                    "data tidak disimpan.")
        return None

    def create_model(self, form):
        problem = self._unfound_lookup(form)
        if problem:
            flash(problem, "error")
            return False
        return super().create_model(form)

    def update_model(self, form, model):
        problem = self._unfound_lookup(form, model)
        if problem:
            flash(problem, "error")
            return False
        reason = form._fields.pop(self.REASON_FIELD, None)
        if reason is not None and (reason.data or "").strip():
            from kinerja_admin.workflow import trail

            trail.note(model, action="update", reason=reason.data.strip())
        try:
            return super().update_model(form, model)
        finally:
            if reason is not None:
                form._fields[self.REASON_FIELD] = reason

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """A record the user may not change in its current state opens as its details, with why."""
        rid = request.args.get("id")
        if rid is not None and self.can_edit:
            obj = self.get_one(rid)
            allowed = self.policy_columns(obj)
            if allowed is not None and not any(
                    (self._field_columns(n) or set()) <= allowed for n in self._form_field_names()):
                flash(f"{policy.BY_MODEL[self.model].label.capitalize()} ini tidak dapat Anda ubah pada status "
                      "sekarang.", "warning")
                return redirect(self.get_url(".details_view", id=rid, url=request.args.get("url")))
        return super().edit_view()

    def _form_field_names(self):
        return [n for n in (self.form_columns or ()) if isinstance(n, str)]

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
            record("insert" if is_created else "update", self.audit_entity, _pk_value(model), changes=changes)

    def on_model_delete(self, model):
        if self._view_audits(model):
            record("delete", self.audit_entity, _pk_value(model), changes=_snapshot(model))

    def handle_view_exception(self, exc):
        if isinstance(exc, IntegrityError):
            flash("Data tidak dapat disimpan: bertentangan dengan data lain (duplikat atau masih "
                  "dirujuk oleh data lain).", "error")
            return True
        if isinstance(exc, (ValidationError, NumberError, LinkError)):  # the model-layer number and link guards
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


def _pk_value(model):
    """The primary key of any model (settings are keyed by `key`, not `id`)."""
    return getattr(model, model.__mapper__.primary_key[0].key)


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
