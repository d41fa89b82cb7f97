"""Organisation and people: units, positions, ranks, employees, user accounts."""
from __future__ import annotations

from flask_login import current_user
from wtforms import PasswordField, SelectField
from wtforms.validators import Optional as Opt

from kinerja_admin.masterdata import (
    DomainRuleError,
    check_employee,
    check_employee_deletable,
    check_position,
    check_position_deletable,
    check_unit,
    check_unit_deletable,
)
from kinerja_admin.nip import format_nip
from kinerja_admin.opd import OpdFilter, opd_formatter
from models import Employee, Position, Unit
from models.base import EMPLOYEE_TYPES, ROLES, choices

from .base import DomainError, SecuredModelView

EMPLOYEE_AJAX = {"fields": ("nip", "name"), "page_size": 15, "minimum_input_length": 2,
                 "placeholder": "Cari NIP atau nama"}


def _domain(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except DomainRuleError as err:
        raise DomainError(str(err)) from None


class UnitView(SecuredModelView):
    audit_entity = "unit"
    column_list = ["code", "name", "kind", "parent", "opd", "public_facing", "active"]
    column_searchable_list = ["code", "name"]
    column_filters = ["kind", "public_facing", "active", "parent.name", OpdFilter(Unit.id)]
    column_formatters = {"opd": opd_formatter("id")}
    column_default_sort = "name"
    column_labels = {"code": "Kode", "name": "Nama unit", "kind": "Jenis", "parent": "Unit induk",
                     "parent.name": "Unit induk", "opd": "OPD", "public_facing": "Melayani publik",
                     "slug": "Kode portal",
                     "active": "Aktif", "children": "Sub-unit", "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["code", "name", "kind", "parent", "public_facing", "slug", "active"]

    def validate_model(self, model, is_created, form=None):
        _domain(check_unit, model)

    def on_model_delete(self, model):
        _domain(check_unit_deletable, model)
        super().on_model_delete(model)


class PositionView(SecuredModelView):
    audit_entity = "position"
    column_list = ["name", "kind", "level", "unit", "opd", "parent"]
    # the self-referential parent is not auto-joined (a query per row)
    column_select_related_list = [Position.kind, Position.unit, Position.parent]
    column_searchable_list = ["name"]
    column_filters = ["kind.name", "level", "unit.name", OpdFilter(Position.unit_id)]
    column_formatters = {"opd": opd_formatter()}
    column_default_sort = "name"
    column_labels = {"name": "Nama jabatan", "kind": "Jenis jabatan", "kind.name": "Jenis jabatan",
                     "level": "Tingkat", "unit": "Unit kerja", "unit.name": "Unit kerja", "opd": "OPD",
                     "parent": "Jabatan atasan", "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["name", "kind", "level", "unit", "parent"]
    form_ajax_refs = {"parent": {"fields": ("name",), "page_size": 15, "minimum_input_length": 2,
                                 "placeholder": "Cari jabatan"}}

    def validate_model(self, model, is_created, form=None):
        _domain(check_position, model)

    def on_model_delete(self, model):
        _domain(check_position_deletable, model)
        super().on_model_delete(model)


class PositionKindView(SecuredModelView):
    column_list = ["code", "name", "level", "structural"]
    column_default_sort = "level"
    column_labels = {"code": "Kode", "name": "Nama", "level": "Tingkat", "structural": "Struktural"}
    form_columns = ["code", "name", "level", "structural"]


class RankView(SecuredModelView):
    column_list = ["employee_type", "code", "name", "order"]
    column_filters = ["employee_type"]
    column_default_sort = [("employee_type", False), ("order", False)]
    column_labels = {"employee_type": "Jenis pegawai", "code": "Golongan", "name": "Pangkat", "order": "Urutan"}
    form_columns = ["employee_type", "code", "name", "order"]
    form_overrides = {"employee_type": SelectField}
    form_args = {"employee_type": {"choices": choices(EMPLOYEE_TYPES), "label": "Jenis pegawai"}}


def _nip_digits(value):
    """The NIP as stored: spaces, dots and dashes of a pasted display form removed before the
    length and NIP checks run."""
    if not isinstance(value, str):
        return value
    from kinerja_admin.nip import normalise_nip

    return normalise_nip(value)


class NipField:
    """Field validator: the NIP rules and uniqueness from kinerja_admin.masterdata, shown on the field."""

    def __call__(self, form, field):
        from wtforms.validators import ValidationError

        from kinerja_admin.masterdata import check_nip

        obj = getattr(form, "_obj", None)
        emp_type = form.employee_type.data if hasattr(form, "employee_type") else None
        try:
            field.data = check_nip(field.data, emp_type, exclude_id=getattr(obj, "id", None))
        except DomainRuleError as err:
            raise ValidationError(str(err)) from None


class EmployeeView(SecuredModelView):
    audit_entity = "employee"
    column_list = ["nip", "name", "employee_type", "rank", "position", "unit", "opd", "superior", "active"]
    # joined in the list query (the self-referential superior is not auto-joined: a query per row)
    column_select_related_list = [Employee.rank, Employee.position, Employee.unit, Employee.superior]
    column_searchable_list = ["nip", "name"]
    column_filters = ["employee_type", "active", "unit.name", "rank.code", "position.name", OpdFilter(Employee.unit_id)]
    column_default_sort = "name"
    column_labels = {"nip": "NIP", "name": "Nama", "employee_type": "Jenis", "rank": "Pangkat/Gol.",
                     "rank.code": "Golongan", "position": "Jabatan", "position.name": "Jabatan",
                     "unit": "Unit kerja", "unit.name": "Unit kerja", "opd": "OPD", "superior": "Atasan langsung",
                     "email": "Surel", "active": "Aktif", "subordinates": "Bawahan",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"nip": lambda v, c, m, n: format_nip(m.nip),
                         "superior": lambda v, c, m, n: m.superior.name if m.superior else "",
                         "opd": opd_formatter()}
    column_details_exclude_list = ["subordinates"]
    form_columns = ["nip", "name", "employee_type", "rank", "unit", "position", "superior", "email", "active"]
    form_overrides = {"employee_type": SelectField}
    form_args = {"employee_type": {"choices": choices(EMPLOYEE_TYPES), "label": "Jenis pegawai"},
                 "nip": {"description": "18 digit; boleh ditempel dengan spasi seperti tampilannya, "
                                        "contoh 19671110 199203 1 001",
                         "validators": [NipField()], "filters": [lambda v: _nip_digits(v)],
                         # the spaced display form is 21 characters: room for it and for dots/dashes
                         "render_kw": {"maxlength": 30, "inputmode": "numeric", "autocomplete": "off"}}}
    form_ajax_refs = {"superior": EMPLOYEE_AJAX,
                      "position": {"fields": ("name",), "page_size": 15, "minimum_input_length": 2,
                                   "placeholder": "Cari jabatan"}}

    def scaffold_form(self):
        form_class = super().scaffold_form()
        # NipField reports duplicates with the holder's name; drop Flask-Admin's generic Unique check.
        nip = form_class.nip
        nip.kwargs["validators"] = [v for v in nip.kwargs.get("validators", [])
                                    if type(v).__name__ != "Unique"]
        return form_class

    def validate_model(self, model, is_created, form=None):
        _domain(check_employee, model)

    def on_model_delete(self, model):
        _domain(check_employee_deletable, model)
        super().on_model_delete(model)


class UserView(SecuredModelView):
    audit_entity = "user_account"
    column_list = ["username", "full_name", "role", "employee", "active", "last_login_at"]
    column_searchable_list = ["username", "full_name"]
    column_filters = ["role", "active"]
    column_default_sort = "username"
    column_exclude_list = ["password_hash", "session_token"]
    column_details_exclude_list = ["password_hash", "session_token"]
    column_labels = {"username": "Nama pengguna", "full_name": "Nama lengkap", "role": "Peran",
                     "employee": "Pegawai", "active": "Aktif", "last_login_at": "Login terakhir",
                     "failed_logins": "Gagal login", "last_failed_login_at": "Gagal login terakhir",
                     "password_changed_at": "Sandi diubah", "new_password": "Kata sandi baru",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"role": lambda v, c, m, n: ROLES.get(m.role, m.role)}
    column_choices = {"role": choices(ROLES)}
    form_columns = ["username", "full_name", "role", "employee", "active", "new_password"]
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": choices(ROLES), "label": "Peran"}}
    form_extra_fields = {"new_password": PasswordField("Kata sandi baru", validators=[Opt()])}
    form_ajax_refs = {"employee": EMPLOYEE_AJAX}

    def validate_model(self, model, is_created, form=None):
        from kinerja_admin.security import check_password_policy

        form_pw = form.new_password.data if form is not None and hasattr(form, "new_password") else None
        if hasattr(model, "new_password"):
            del model.new_password  # populate_obj put the plain text on the instance
        if is_created and not form_pw:
            raise DomainError("Kata sandi wajib diisi untuk pengguna baru.")
        if form_pw:
            try:
                check_password_policy(form_pw, username=model.username,
                                      user_inputs=[model.full_name, getattr(model.employee, "nip", None),
                                                   getattr(model.employee, "name", None)])
            except ValueError as err:
                raise DomainError(str(err)) from None
            model.set_password(form_pw)
        if model.role in ("penilai", "pegawai") and model.employee is None:
            raise DomainError("Peran penilai dan pegawai harus dikaitkan dengan data pegawai.")
        if model.id == current_user.id and (model.role != "admin" or not model.active):
            raise DomainError("Anda tidak dapat menurunkan peran atau menonaktifkan akun Anda sendiri.")
