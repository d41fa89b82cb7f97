"""Invariants of master data (units, positions, employees), shared by the admin forms, the CLI
and the Excel import. Each check raises DomainRuleError with an Indonesian message."""
from __future__ import annotations

from sqlalchemy import func, select

from models import Employee, Position, Unit, User, db

from .nip import NipError, normalise_nip, parse_nip
from .settings import get_setting


class DomainRuleError(ValueError):
    """A violated business rule; str(err) is shown to the user."""


def nip_rules(session=None) -> dict:
    """The instance's NIP settings as keyword arguments of parse_nip (read once per batch)."""
    session = session or db.session
    return {
        "pppk_digit13": str(get_setting("nip.pppk_digit13", session)),
        "min_age_at_appointment": int(get_setting("nip.min_age_at_appointment", session)),
    }


def check_nip_format(nip, employee_type: str | None, rules: dict) -> str:
    """The NIP rules without the uniqueness lookup (bulk callers check duplicates set-wise)."""
    try:
        parse_nip(nip, employee_type, **rules)
        return normalise_nip(nip)
    except NipError as err:
        raise DomainRuleError(str(err)) from None


def check_rank_for_type(rank_type: str | None, rank_code: str | None, employee_type: str | None) -> None:
    if rank_type is not None and rank_type != employee_type:
        raise DomainRuleError(
            f"Pangkat/golongan {rank_code} tidak berlaku untuk jenis pegawai {employee_type}."
        )


def check_position_in_unit(position_name: str, position_unit_id, unit_id, unit_name: str) -> None:
    if position_unit_id != unit_id:
        raise DomainRuleError(f"Jabatan '{position_name}' bukan jabatan pada unit {unit_name}.")


def find_superior_cycle(start, superior_of) -> list | None:
    """Follow `superior_of(key)` from `start`; return the keys of the cycle met, or None.

    Works on any keys (ids, NIPs) so that bulk callers can check a graph made of the database
    plus pending changes (the Excel import) with the same rule as the admin form."""
    path: list = []
    index: dict = {}
    current = start
    while current is not None:
        if current in index:
            return path[index[current]:]
        index[current] = len(path)
        path.append(current)
        current = superior_of(current)
    return None


def check_nip(nip: str, employee_type: str | None, *, session=None, exclude_id: int | None = None) -> str:
    session = session or db.session
    check_nip_format(nip, employee_type, nip_rules(session))
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

    def superior_of(key):
        # the employee being edited points at its new superior, everyone else as stored
        if key == employee_id:
            return superior_id
        return session.scalar(select(Employee.superior_id).where(Employee.id == key))

    cycle = find_superior_cycle(employee_id, superior_of)
    return cycle is not None and employee_id in cycle


def check_employee(emp: Employee, *, session=None) -> None:
    session = session or db.session
    # The object is already changed in memory: query without flushing it first (a cyclic
    # superior link would otherwise fail inside the flush instead of with our message).
    with session.no_autoflush:
        _check_employee(emp, session)


def _check_employee(emp: Employee, session) -> None:
    emp.nip = check_nip(emp.nip, emp.employee_type, session=session, exclude_id=emp.id)
    if not (emp.name or "").strip():
        raise DomainRuleError("Nama pegawai wajib diisi.")
    sup_id = emp.superior.id if emp.superior is not None else emp.superior_id
    if emp.id is not None and sup_id == emp.id:
        raise DomainRuleError("Pegawai tidak boleh menjadi atasan bagi dirinya sendiri.")
    if superior_chain_has(emp.id, sup_id, session=session):
        raise DomainRuleError("Atasan yang dipilih membuat rantai atasan melingkar (siklus).")
    if emp.rank is not None:
        check_rank_for_type(emp.rank.employee_type, emp.rank.code, emp.employee_type)
    pos = emp.position
    unit = emp.unit
    if pos is not None and unit is not None:
        check_position_in_unit(pos.name, pos.unit_id, unit.id, unit.name)


def _parent_cycle(obj) -> bool:
    """Whether following `.parent` from an in-memory unit/position comes back to it (the same
    cycle walk as employees' superiors, on objects, so unsaved edits count)."""
    def parent_of(node):
        return node.parent

    cycle = find_superior_cycle(obj, parent_of)
    return cycle is not None and obj in cycle


def check_unit(unit: Unit, *, session=None) -> None:
    if _parent_cycle(unit):
        raise DomainRuleError("Unit induk yang dipilih membuat struktur unit melingkar.")


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
    if _parent_cycle(pos):
        raise DomainRuleError("Jabatan atasan yang dipilih membuat struktur jabatan melingkar.")


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
