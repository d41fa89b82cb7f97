"""Audit log (read-only for everyone) and settings."""
from __future__ import annotations

from kinerja_admin.settings import validate_setting_value

from .base import DomainError, ReadOnlyModelView, SecuredModelView


class AuditLogView(ReadOnlyModelView):
    column_list = ["at", "username", "action", "entity", "entity_id", "reason"]
    column_default_sort = ("id", True)
    column_searchable_list = ["username", "entity", "entity_id"]
    column_filters = ["action", "entity", "username", "at", "period_id"]
    column_labels = {"at": "Waktu", "user_id": "ID pengguna", "username": "Pengguna", "action": "Tindakan",
                     "entity": "Entitas", "entity_id": "ID data", "period_id": "ID periode",
                     "changes": "Perubahan", "reason": "Alasan"}


class SettingView(SecuredModelView):
    audit_entity = "setting"
    column_list = ["key", "value", "value_type", "description"]
    column_default_sort = "key"
    column_labels = {"key": "Kunci", "value": "Nilai", "value_type": "Tipe", "description": "Keterangan"}
    form_columns = ["value"]
    column_searchable_list = ["key", "description"]

    @property
    def can_create(self):
        return False

    @property
    def can_delete(self):
        return False

    def validate_model(self, model, is_created, form=None):
        try:
            validate_setting_value(model.value_type, model.value)
        except ValueError as err:
            raise DomainError(str(err)) from None
