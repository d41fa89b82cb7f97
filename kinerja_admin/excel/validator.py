"""Validation of the rows read from the workbook against the file and the database together
(kinerja_admin.masterdata rules): required values, lengths and formats taken from the models,
references, duplicates, cycles; the result is a plan (one item per record, with its database twin)
that the writer diffs and applies.

Database lookups are set-based (a few queries whatever the file size). NIPs are looked up with a
join against the list of wanted NIPs on PostgreSQL (``unnest``): an ``IN``/``= ANY`` list of
hundreds of NIPs made the planner pick the trigram search index (``ix_employee_nip_trgm``) over the
unique b-tree, 900x slower.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import String, bindparam, func, select

from models import Employee, Position, PositionKind, Rank, Unit
from models.base import EMPLOYEE_TYPES

from ..masterdata import (
    DomainRuleError,
    check_nip_format,
    check_position_in_unit,
    check_rank_for_type,
    find_superior_cycle,
    nip_rules,
)
from ..nip import NipError, normalise_nip
from .report import MAX_ERRORS, ImportReport, RowError, SheetRow
from .report import show as _show
from .template import SHEETS

CHUNK = 500  # IN-list size for database lookups (portable across SQLite/PostgreSQL/MariaDB)

# Sheet column -> the model column it is stored in: lengths come from the models, not from here.
MODEL_COLUMNS = {
    "Unit": {"code": Unit.code, "name": Unit.name, "kind": Unit.kind, "parent_code": Unit.code},
    "Jabatan": {"unit_code": Unit.code, "name": Position.name, "parent_unit_code": Unit.code,
                "parent_name": Position.name},
    "Pegawai": {"name": Employee.name, "unit_code": Unit.code, "position": Position.name, "email": Employee.email},
}


def max_length(column) -> int | None:
    return getattr(column.type, "length", None)


def employees_by_nip(session, columns, nips: list[str]):
    """Rows of `columns` for the employees whose NIP is in `nips`, through the unique b-tree."""
    if not nips:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        wanted = func.unnest(bindparam("wanted_nips", list(nips), type_=ARRAY(String))) \
            .table_valued("nip").render_derived(name="wanted")
        return list(session.execute(select(*columns).join(wanted, Employee.nip == wanted.c.nip)))
    out = []
    for part in _chunks(sorted(nips)):
        out.extend(session.execute(select(*columns).where(Employee.nip.in_(part))))
    return out


def valid_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@dataclass
class _Plan:
    units: list[dict] = field(default_factory=list)
    positions: list[dict] = field(default_factory=list)
    employees: list[dict] = field(default_factory=list)


def _chunks(seq: list, n: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


class Validator:
    def __init__(self, session, data: dict[str, list[SheetRow]], report: ImportReport):
        self.s = session
        self.data = data
        self.report = report
        self.plan = _Plan()
        self.col = {sheet: {c.key: c.header for c in cols} for sheet, cols in SHEETS.items()}
        self.cells_reported = {(e.sheet, e.row, e.column) for e in report.errors}

    def lengths(self) -> None:
        """Every value longer than its model column is refused (one message per cell)."""
        self.too_long: set[tuple[str, int]] = set()
        for sheet, columns in MODEL_COLUMNS.items():
            limits = {key: max_length(col) for key, col in columns.items()}
            for r in self.data[sheet]:
                for key, limit in limits.items():
                    value = r.values.get(key)
                    if limit and isinstance(value, str) and len(value) > limit:
                        self.err(sheet, r.row, key, f"{self.col[sheet][key]} paling panjang {limit} karakter.",
                                 value[:60] + "...")
                        self.too_long.add((sheet, r.row))

    def run(self) -> None:
        self.lengths()
        self.units()
        self.positions()
        self.employees()

    def err(self, sheet: str, row: int | None, key: str | None, message: str, value=None) -> None:
        if len(self.report.errors) >= MAX_ERRORS:
            return
        header = self.col[sheet].get(key, key) if key else None
        if (sheet, row, header) in self.cells_reported:
            return  # the cell already has a reading error (wrong type, formula)
        self.report.errors.append(RowError(sheet, row, header, message, _show(value)))

    # --- units -------------------------------------------------------------------------------
    def units(self) -> None:
        rows = self.data["Unit"]
        file_units: dict[str, SheetRow] = {}
        for r in rows:
            v = r.values
            if not v.get("code"):
                self.err("Unit", r.row, "code", "Kode unit wajib diisi.")
                continue
            if not v.get("name"):
                self.err("Unit", r.row, "name", "Nama unit wajib diisi.")
            if v["code"] in file_units:
                self.err("Unit", r.row, "code",
                         f"Kode unit {v['code']} ganda: sudah ada pada baris {file_units[v['code']].row}.", v["code"])
                continue
            file_units[v["code"]] = r
        codes = set(file_units)
        for r in self.data["Jabatan"]:
            codes.update(c for c in (r.values.get("unit_code"), r.values.get("parent_unit_code")) if c)
        for r in self.data["Pegawai"]:
            if r.values.get("unit_code"):
                codes.add(r.values["unit_code"])
        codes.update(r.values["parent_code"] for r in file_units.values() if r.values.get("parent_code"))
        self.db_units: dict[str, Any] = {}
        for part in _chunks(sorted(codes)):
            for u in self.s.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                           Unit.public_facing).where(Unit.code.in_(part))):
                self.db_units[u.code] = u
        self.file_units = file_units
        # parent existence and cycles over file + database
        parent_code_of_id: dict[int, str | None] = {}

        def db_parent(code: str) -> str | None:
            u = self.db_units.get(code)
            if u is None or u.parent_id is None:
                return None
            if u.parent_id not in parent_code_of_id:
                p = self.s.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                          Unit.public_facing).where(Unit.id == u.parent_id)).one()
                self.db_units.setdefault(p.code, p)
                parent_code_of_id[u.parent_id] = p.code
            return parent_code_of_id[u.parent_id]

        def parent_of(code: str) -> str | None:
            r = file_units.get(code)
            if r is not None:
                return r.values.get("parent_code") if "parent_code" in r.values["_present"] else db_parent(code)
            return db_parent(code)

        reported: set[str] = set()
        for code, r in file_units.items():
            pc = r.values.get("parent_code")
            if pc:
                if pc == code:
                    self.err("Unit", r.row, "parent_code", "Unit tidak boleh menjadi induk bagi dirinya sendiri.", pc)
                    continue
                if pc not in file_units and pc not in self.db_units:
                    self.err("Unit", r.row, "parent_code", f"Unit induk dengan kode {pc} tidak ditemukan "
                             "(tidak ada di sistem maupun di lembar Unit).", pc)
                    continue
            cycle = find_superior_cycle(code, parent_of)
            if cycle and code in cycle and code not in reported:
                reported.update(cycle)
                self.err("Unit", r.row, "parent_code", "Unit induk membuat struktur unit melingkar: "
                         + " -> ".join(cycle + [cycle[0]]) + ".", pc)
        for code, r in file_units.items():
            self.plan.units.append({"row": r.row, "code": code, "values": r.values, "db": self.db_units.get(code)})

    def unit_known(self, code: str | None) -> bool:
        return bool(code) and (code in self.file_units or code in self.db_units)

    # --- positions ---------------------------------------------------------------------------
    def positions(self) -> None:
        kinds = {}
        for k in self.s.execute(select(PositionKind.id, PositionKind.code, PositionKind.name, PositionKind.level)):
            kinds[k.code.lower()] = k
            kinds[k.name.lower()] = k
        self.kinds = kinds
        unit_ids = [u.id for u in self.db_units.values()]
        self.db_positions: dict[tuple[str, str], list] = defaultdict(list)
        code_of = {u.id: u.code for u in self.db_units.values()}
        for part in _chunks(unit_ids):
            for p in self.s.execute(select(Position.id, Position.name, Position.kind_id, Position.level,
                                           Position.unit_id, Position.parent_id)
                                    .where(Position.unit_id.in_(part)).order_by(Position.id)):
                self.db_positions[(code_of[p.unit_id], p.name.lower())].append(p)
        self.db_position_by_id = {p.id: (key, p) for key, ps in self.db_positions.items() for p in ps}
        file_pos: dict[tuple[str, str], SheetRow] = {}
        for r in self.data["Jabatan"]:
            v = r.values
            ok = True
            for key in ("unit_code", "name", "kind"):
                if not v.get(key):
                    self.err("Jabatan", r.row, key, f"{self.col['Jabatan'][key]} wajib diisi.")
                    ok = False
            if ("Jabatan", r.row) in self.too_long:
                ok = False
            if v.get("unit_code") and not self.unit_known(v["unit_code"]):
                self.err("Jabatan", r.row, "unit_code", f"Unit dengan kode {v['unit_code']} tidak ditemukan "
                         "(tidak ada di sistem maupun di lembar Unit).", v["unit_code"])
                ok = False
            if v.get("kind") and v["kind"].lower() not in kinds:
                self.err("Jabatan", r.row, "kind", f"Jenis jabatan '{v['kind']}' tidak ada di tabel referensi "
                         "(pilih dari daftar: " + ", ".join(sorted({k.code for k in kinds.values()})) + ").", v["kind"])
                ok = False
            if not ok:
                continue
            key = (v["unit_code"], v["name"].lower())
            if key in file_pos:
                self.err("Jabatan", r.row, "name", f"Jabatan '{v['name']}' pada unit {v['unit_code']} ganda: sudah "
                         f"ada pada baris {file_pos[key].row}.", v["name"])
                continue
            file_pos[key] = r
        self.file_positions = file_pos

        def parent_key(v) -> tuple[str, str] | None:
            if not v.get("parent_name"):
                return None
            return (v.get("parent_unit_code") or v["unit_code"], v["parent_name"].lower())

        def parent_of(key):
            r = file_pos.get(key)
            if r is not None:
                return parent_key(r.values)
            ps = self.db_positions.get(key)
            if not ps or ps[0].parent_id is None:
                return None
            hit = self.db_position_by_id.get(ps[0].parent_id)
            return hit[0] if hit else None

        reported: set = set()
        for key, r in file_pos.items():
            v = r.values
            if v.get("parent_unit_code") and not v.get("parent_name"):
                self.err("Jabatan", r.row, "parent_name", "Nama jabatan atasan wajib diisi bila kode unit jabatan "
                         "atasan diisi.")
                continue
            pk = parent_key(v)
            if pk is not None:
                if pk == key:
                    self.err("Jabatan", r.row, "parent_name",
                             "Jabatan tidak boleh menjadi atasan bagi dirinya sendiri.")
                    continue
                if not self.unit_known(pk[0]):
                    self.err("Jabatan", r.row, "parent_unit_code", f"Unit dengan kode {pk[0]} tidak ditemukan.", pk[0])
                    continue
                if pk not in file_pos and pk not in self.db_positions:
                    self.err("Jabatan", r.row, "parent_name", f"Jabatan atasan '{v['parent_name']}' pada unit {pk[0]} "
                             "tidak ditemukan (tidak ada di sistem maupun di lembar Jabatan).", v["parent_name"])
                    continue
            cycle = find_superior_cycle(key, parent_of)
            if cycle and key in cycle and key not in reported:
                reported.update(cycle)
                self.err("Jabatan", r.row, "parent_name", "Jabatan atasan membuat struktur jabatan melingkar: "
                         + " -> ".join(n for _, n in cycle) + ".", v.get("parent_name"))
        for key, r in file_pos.items():
            v = r.values
            existing = self.db_positions.get(key, [])
            self.plan.positions.append({"row": r.row, "key": key, "values": v, "db": existing,
                                        "kind": kinds[v["kind"].lower()], "parent": parent_key(v)})

    def position_known(self, unit_code: str, name: str) -> bool:
        key = (unit_code, name.lower())
        return key in self.file_positions or key in self.db_positions

    # --- employees ---------------------------------------------------------------------------
    def employees(self) -> None:
        rules = nip_rules(self.s)
        ranks: dict[tuple[str, str], Any] = {}
        ranks_any: dict[str, list] = defaultdict(list)
        for rk in self.s.execute(select(Rank.id, Rank.employee_type, Rank.code, Rank.name)):
            ranks[(rk.employee_type, rk.code.lower())] = rk
            ranks_any[rk.code.lower()].append(rk)
        file_emp: dict[str, SheetRow] = {}
        for r in self.data["Pegawai"]:
            v = r.values
            etype = (v.get("employee_type") or "").upper() or None
            if etype is None:
                self.err("Pegawai", r.row, "employee_type", "Jenis pegawai wajib diisi (PNS atau PPPK).")
            elif etype not in EMPLOYEE_TYPES:
                self.err("Pegawai", r.row, "employee_type", "Jenis pegawai harus PNS atau PPPK.",
                         v.get("employee_type"))
                etype = None
            v["employee_type"] = etype
            nip = None
            try:
                nip = check_nip_format(v.get("nip"), etype, rules)
            except (DomainRuleError, NipError) as err:
                self.err("Pegawai", r.row, "nip", str(err), v.get("nip"))
            if not v.get("name"):
                self.err("Pegawai", r.row, "name", "Nama pegawai wajib diisi.")
            if v.get("rank"):
                code = v["rank"].split(" - ")[0].strip().lower()
                rk = ranks.get((etype, code)) if etype else None
                if rk is None and etype:
                    others = ranks_any.get(code)
                    if others:
                        try:
                            check_rank_for_type(others[0].employee_type, others[0].code, etype)
                        except DomainRuleError as err:
                            self.err("Pegawai", r.row, "rank", str(err), v["rank"])
                    else:
                        self.err("Pegawai", r.row, "rank", f"Pangkat/golongan '{v['rank']}' tidak ada di tabel "
                                 "referensi (contoh: III/a untuk PNS, IX untuk PPPK).", v["rank"])
                v["rank_id"] = rk.id if rk is not None else None
            else:
                v["rank_id"] = None
            unit_code = v.get("unit_code")
            if not unit_code:
                self.err("Pegawai", r.row, "unit_code", "Kode unit wajib diisi.")
            elif not self.unit_known(unit_code):
                self.err("Pegawai", r.row, "unit_code", f"Unit dengan kode {unit_code} tidak ditemukan "
                         "(tidak ada di sistem maupun di lembar Unit).", unit_code)
            elif v.get("position") and not self.position_known(unit_code, v["position"]):
                elsewhere = [k for k in (*self.file_positions, *self.db_positions) if k[1] == v["position"].lower()]
                if elsewhere:
                    try:
                        check_position_in_unit(v["position"], elsewhere[0][0], unit_code, unit_code)
                    except DomainRuleError as err:
                        self.err("Pegawai", r.row, "position", str(err), v["position"])
                else:
                    self.err("Pegawai", r.row, "position", f"Jabatan '{v['position']}' tidak ditemukan pada unit "
                             f"{unit_code} (tidak ada di sistem maupun di lembar Jabatan).", v["position"])
            if v.get("email") and ("Pegawai", r.row) not in self.too_long and not valid_email(v["email"]):
                self.err("Pegawai", r.row, "email", "Alamat surel tidak valid (contoh: nama@binjaikota.go.id).",
                         v["email"])
            if v.get("superior_nip"):
                try:
                    v["superior_nip"] = normalise_nip(v["superior_nip"])
                except NipError as err:
                    self.err("Pegawai", r.row, "superior_nip", str(err), v["superior_nip"])
                    v["superior_nip"] = None
            if nip is None:
                continue
            v["nip"] = nip
            if nip in file_emp:
                self.err("Pegawai", r.row, "nip", f"NIP {nip} ganda: sudah ada pada baris {file_emp[nip].row}.", nip)
                continue
            file_emp[nip] = r
        # database lookups: employees of the file and the superiors they name
        wanted = set(file_emp) | {r.values["superior_nip"] for r in file_emp.values() if r.values.get("superior_nip")}
        db_emp: dict[str, Any] = {}
        cols = (Employee.id, Employee.nip, Employee.name, Employee.employee_type, Employee.rank_id,
                Employee.position_id, Employee.unit_id, Employee.superior_id, Employee.email, Employee.active)
        for e in employees_by_nip(self.s, cols, sorted(wanted)):
            db_emp[e.nip] = e
        nip_of_id: dict[int, str] = {e.id: e.nip for e in db_emp.values()}

        def fetch_ids(ids: set[int]) -> None:
            missing = sorted(i for i in ids if i not in nip_of_id)
            for part in _chunks(missing):
                for e in self.s.execute(select(*cols).where(Employee.id.in_(part))):
                    db_emp.setdefault(e.nip, e)
                    nip_of_id[e.id] = e.nip

        # pre-load database superior chains level by level (a handful of queries, not one per row)
        frontier = {e.superior_id for e in db_emp.values() if e.superior_id is not None}
        while frontier - set(nip_of_id):
            before = set(nip_of_id)
            fetch_ids(frontier)
            frontier = {db_emp[nip_of_id[i]].superior_id for i in frontier if i in nip_of_id} - {None}
            if set(nip_of_id) == before:
                break

        def superior_of(nip: str) -> str | None:
            r = file_emp.get(nip)
            if r is not None and "superior_nip" in r.values["_present"]:
                return r.values.get("superior_nip")
            e = db_emp.get(nip)
            if e is None or e.superior_id is None:
                return None
            if e.superior_id not in nip_of_id:
                fetch_ids({e.superior_id})
            return nip_of_id.get(e.superior_id)

        reported: set[str] = set()
        for nip, r in file_emp.items():
            sup = r.values.get("superior_nip")
            if sup:
                if sup == nip:
                    self.err("Pegawai", r.row, "superior_nip",
                             "Pegawai tidak boleh menjadi atasan bagi dirinya sendiri.", sup)
                    continue
                if sup not in file_emp and sup not in db_emp:
                    self.err("Pegawai", r.row, "superior_nip", f"Atasan dengan NIP {sup} tidak ditemukan (tidak ada di "
                             "sistem maupun di lembar Pegawai).", sup)
                    continue
            cycle = find_superior_cycle(nip, superior_of)
            if cycle and nip in cycle and nip not in reported:
                reported.update(cycle)
                self.err("Pegawai", r.row, "superior_nip",
                         "Atasan yang diisi membuat rantai atasan melingkar (siklus): "
                         + " -> ".join(cycle + [cycle[0]]) + ".", sup)
        self.db_emp = db_emp
        for nip, r in file_emp.items():
            self.plan.employees.append({"row": r.row, "nip": nip, "values": r.values, "db": db_emp.get(nip)})


_Validator = Validator  # the name before the split
