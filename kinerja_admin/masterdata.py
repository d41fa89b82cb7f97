"""Invariants of master data (units, positions, employees), shared by the admin forms, the CLI
and the Excel import. Each check raises DomainRuleError with an Indonesian message."""
from __future__ import annotations

from sqlalchemy import func, select

from models import Employee, Position, Unit, User, db

from .nip import NipError, normalise_nip, parse_nip
from .settings import get_setting


class DomainRuleError(ValueError):
    """A violated business rule; str(err) is shown to the user."""


def check_nip(nip: str, employee_type: str | None, *, session=None, exclude_id: int | None = None) -> str:
    session = session or db.session
    try:
        parse_nip(
            nip,
            employee_type,
            pppk_digit13=str(get_setting("nip.pppk_digit13", session)),
            min_age_at_appointment=int(get_setting("nip.min_age_at_appointment", session)),
        )
    except NipError as err:
        raise DomainRuleError(str(err)) from None
    clean = normalise_nip(nip)
    q = select(Employee.id, Employee.name).where(Employee.nip == clean)
    if exclude_id is not None:
        q = q.where(Employee.id != exclude_id)
    dup = session.execute(q).first()
    if dup is not None:
        raise DomainRuleError(f"NIP {clean} sudah terdaftar atas nama {dup.name}.")
    return clean


def superior_chain_has(employee_id: int | None, superior_id: int | None, *, session=None) -> bool:
    """True when following superiors from `superior_id` reaches `employee_id` (a cycle)."""
    if employee_id is None or superior_id is None:
        return False
    session = session or db.session
    seen: set[int] = set()
    current: int | None = superior_id
    while current is not None and current not in seen:
        if current == employee_id:
            return True
        seen.add(current)
        current = session.scalar(select(Employee.superior_id).where(Employee.id == current))
    return current == employee_id


def check_employee(emp: Employee, *, session=None) -> None:
    session = session or db.session
    emp.nip = check_nip(emp.nip, emp.employee_type, session=session, exclude_id=emp.id)
    if not (emp.name or "").strip():
        raise DomainRuleError("Nama pegawai wajib diisi.")
    sup_id = emp.superior.id if emp.superior is not None else emp.superior_id
    if emp.id is not None and sup_id == emp.id:
        raise DomainRuleError("Pegawai tidak boleh menjadi atasan bagi dirinya sendiri.")
    if superior_chain_has(emp.id, sup_id, session=session):
        raise DomainRuleError("Atasan yang dipilih membuat rantai atasan melingkar (siklus).")
    if emp.rank is not None and emp.rank.employee_type != emp.employee_type:
        raise DomainRuleError(
            f"Pangkat/golongan {emp.rank.code} tidak berlaku untuk jenis pegawai {emp.employee_type}."
        )
    pos = emp.position
    unit = emp.unit
    if pos is not None and unit is not None and pos.unit_id != unit.id:
        raise DomainRuleError(f"Jabatan '{pos.name}' bukan jabatan pada unit {unit.name}.")


def check_unit(unit: Unit, *, session=None) -> None:
    session = session or db.session
    parent = unit.parent
    seen = set()
    while parent is not None:
        if parent is unit or (unit.id is not None and parent.id == unit.id):
            raise DomainRuleError("Unit induk yang dipilih membuat struktur unit melingkar.")
        if parent.id in seen:
            break
        seen.add(parent.id)
        parent = parent.parent


def check_unit_deletable(unit: Unit, *, session=None) -> None:
    session = session or db.session
    n = session.scalar(select(func.count()).select_from(Employee).where(Employee.unit_id == unit.id))
    if n:
        raise DomainRuleError(f"Unit kerja '{unit.name}' masih memiliki {n} pegawai; pindahkan dulu pegawainya.")
    n = session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id == unit.id))
    if n:
        raise DomainRuleError(f"Unit kerja '{unit.name}' masih memiliki {n} sub-unit.")
    n = session.scalar(select(func.count()).select_from(Position).where(Position.unit_id == unit.id))
    if n:
        raise DomainRuleError(f"Unit kerja '{unit.name}' masih memiliki {n} jabatan.")


def check_position(pos: Position, *, session=None) -> None:
    parent = pos.parent
    seen = set()
    while parent is not None:
        if parent is pos or (pos.id is not None and parent.id == pos.id):
            raise DomainRuleError("Jabatan atasan yang dipilih membuat struktur jabatan melingkar.")
        if parent.id in seen:
            break
        seen.add(parent.id)
        parent = parent.parent


def check_position_deletable(pos: Position, *, session=None) -> None:
    session = session or db.session
    n = session.scalar(select(func.count()).select_from(Employee).where(Employee.position_id == pos.id))
    if n:
        raise DomainRuleError(f"Jabatan '{pos.name}' masih diduduki {n} pegawai.")


def check_employee_deletable(emp: Employee, *, session=None) -> None:
    session = session or db.session
    n = session.scalar(select(func.count()).select_from(Employee).where(Employee.superior_id == emp.id))
    if n:
        raise DomainRuleError(f"{emp.name} masih menjadi atasan {n} pegawai; nonaktifkan saja pegawai ini.")
    if session.scalar(select(User.id).where(User.employee_id == emp.id)) is not None:
        raise DomainRuleError(f"{emp.name} masih memiliki akun pengguna.")
