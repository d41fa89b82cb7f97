"""Audit log (read-only for everyone), settings, and the editable guidance pages."""
from __future__ import annotations

from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import SelectField

from kinerja_admin.labels import AUDIT_ACTIONS, AUDIT_ENTITIES, audit_action, audit_entity, change_rows
from kinerja_admin.settings import TYPE_LABELS, setting_label, validate_setting, value_label
from models import AuditLog
from models.guide import GUIDE_AUDIENCES

from .base import DomainError, ReadOnlyModelView, SecuredModelView


def _person(view, context, model, name):
    """The account's name, not its username (anonymous rater rows keep their masked marker)."""
    user = model.user
    if user is not None:
        return user.full_name or user.username
    return model.username or "sistem"


def _changes_table(view, context, model, name):
    rows = change_rows(model.changes, model.entity)
    if not rows:
        return "-"
    body = "".join(f"<tr><td>{escape(f)}</td><td>{escape(b or '-')}</td><td>{escape(a)}</td></tr>" for f, b, a in rows)
    return Markup('<table class="table table-sm table-bordered mb-0"><thead><tr><th>Isian</th><th>Sebelum</th>'
                  f"<th>Sesudah</th></tr></thead><tbody>{body}</tbody></table>")


class AuditLogView(ReadOnlyModelView):
    column_list = ["at", "user", "action", "entity", "entity_id", "reason"]
    column_select_related_list = [AuditLog.user]
    column_default_sort = ("id", True)
    column_searchable_list = ["username", "entity", "entity_id"]
    column_filters = ["action", "entity", "username", "at", "period_id"]
    column_choices = {"action": list(AUDIT_ACTIONS.items()), "entity": list(AUDIT_ENTITIES.items())}
    column_labels = {"at": "Waktu", "user": "Pengguna", "user_id": "ID pengguna", "username": "Nama pengguna",
                     "action": "Tindakan", "entity": "Data", "entity_id": "ID data", "period_id": "ID periode",
                     "changes": "Perubahan", "reason": "Alasan"}
    column_formatters = {"user": _person, "action": lambda v, c, m, n: audit_action(m.action),
                         "entity": lambda v, c, m, n: audit_entity(m.entity)}
    column_details_list = ["at", "user", "username", "action", "entity", "entity_id", "period_id", "changes",
                           "reason"]
    column_formatters_detail = {**column_formatters, "changes": _changes_table}


class SettingView(SecuredModelView):
    audit_entity = "setting"
    column_list = ["label", "value", "value_type", "description"]
    column_default_sort = "key"
    column_labels = {"key": "Kunci teknis", "label": "Pengaturan", "value": "Nilai", "value_type": "Tipe",
                     "description": "Keterangan"}
    column_formatters = {"label": lambda v, c, m, n: setting_label(m.key),
                         "value": lambda v, c, m, n: value_label(m.value_type, m.value),
                         "value_type": lambda v, c, m, n: TYPE_LABELS.get(m.value_type, m.value_type)}
    column_details_list = ["label", "key", "value", "value_type", "description"]
    column_formatters_detail = column_formatters
    form_columns = ["value"]
    column_searchable_list = ["key", "description"]

    @property
    def can_create(self):
        return False

    @property
    def can_delete(self):
        return False

    def edit_form(self, obj=None):
        if obj is None or obj.value_type != "bool":
            form = super().edit_form(obj)
            if obj is not None:
                form.value.label.text = f"Nilai ({TYPE_LABELS.get(obj.value_type, obj.value_type).lower()})"
            return form
        from flask import request
        from flask_admin.helpers import get_form_data

        class BoolForm(self._edit_form_class):
            value = SelectField("Nilai", choices=[("true", "Ya"), ("false", "Tidak")])

        form = BoolForm(get_form_data(), obj=obj)  # Ya/Tidak instead of typing "true"/"false"
        if request.method == "GET":
            form.value.data = "true" if value_label("bool", obj.value) == "Ya" else "false"
        form._obj = obj
        return form

    def validate_model(self, model, is_created, form=None):
        try:
            validate_setting(model.key, model.value_type, model.value)
        except ValueError as err:
            raise DomainError(str(err)) from None


class GuidePageView(SecuredModelView):
    """Panduan pages: BKPSDM edits the text (restricted Markdown, sanitised when shown)."""

    audit_entity = "guide_page"
    column_list = ["title", "audience", "public", "seq", "updated_at"]
    column_default_sort = [("audience", False), ("seq", False)]
    column_searchable_list = ["title", "body"]
    column_filters = ["audience", "public"]
    column_choices = {"audience": list(GUIDE_AUDIENCES.items())}
    column_labels = {"slug": "Alamat (slug)", "title": "Judul", "audience": "Untuk", "public": "Tanpa login",
                     "seq": "Urutan", "body": "Isi (Markdown terbatas)", "updated_by": "Diubah oleh",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"audience": lambda v, c, m, n: GUIDE_AUDIENCES.get(m.audience, m.audience),
                         "updated_by": lambda v, c, m, n: (m.updated_by.full_name or m.updated_by.username)
                         if m.updated_by else ""}
    column_formatters_detail = column_formatters
    form_columns = ["title", "slug", "audience", "public", "seq", "body"]
    form_overrides = {"audience": SelectField}
    form_args = {"audience": {"choices": list(GUIDE_AUDIENCES.items()), "label": "Untuk"},
                 "body": {"description": "Markdown terbatas: **tebal**, *miring*, daftar (- butir), judul (## ...), "
                                         "tautan [teks](https://...). HTML dan skrip dibuang saat ditampilkan. "
                                         "Penanda {periode}, {mulai}, {selesai}, {hari_keberatan} diganti nilai "
                                         "sebenarnya."},
                 "slug": {"description": "Huruf kecil, angka dan tanda hubung; menjadi alamat /panduan/<slug>."}}
    form_widget_args = {"body": {"rows": 18}}

    def validate_model(self, model, is_created, form=None):
        from kinerja_admin.guidance import check_slug

        try:
            model.slug = check_slug(model.slug)
        except ValueError as err:
            raise DomainError(str(err)) from None
        model.updated_by_id = getattr(current_user, "id", None)
