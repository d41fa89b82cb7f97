"""Writing a validated plan: one pass per sheet that diffs every record against its database twin,
counts it (created / updated / unchanged) and, unless it is a dry run, writes it with its audit row
in the caller's transaction. Parents (unit parents, position parents, superiors) are linked after a
flush, once the new ids exist. The caller commits when the report is ok and rolls back otherwise.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import Employee, Position, Unit

from ..audit import record
from .report import ImportReport
from .validator import Validator


def _unit_target(item, old) -> dict:
    v, present = item["values"], item["values"]["_present"]
    t = {"name": v["name"]}
    if "kind" in present and v.get("kind"):
        t["kind"] = v["kind"]
    elif old is None:
        t["kind"] = "OPD"
    if "public_facing" in present and v.get("public_facing") is not None:
        t["public_facing"] = v["public_facing"]
    elif old is None:
        t["public_facing"] = False
    if "parent_code" in present or old is None:
        t["parent"] = v.get("parent_code")
    return t


def _diff(old, target: dict, current: dict) -> dict:
    """Fields whose target differs from the current value: {field: [before, after]}."""
    changes = {}
    for k, new in target.items():
        before = current.get(k)
        if before != new:
            changes[k] = [before, new]
    return changes


def _jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


class Writer:
    """Computes created/updated/unchanged (also for a dry run) and, when asked, writes."""

    def __init__(self, session, val: Validator, report: ImportReport, write: bool, user=None):
        self.s, self.val, self.report, self.write, self.user = session, val, report, write, user
        self.reason = f"Impor Excel: {report.filename}" if report.filename else "Impor Excel"
        self.unit_id: dict[str, int] = {c: u.id for c, u in val.db_units.items()}
        self.unit_code_of_id = {u.id: c for c, u in val.db_units.items()}

    def count(self, sheet, what):
        self.report.counts[sheet][what] += 1

    FLUSH_EVERY = 500

    def tick(self) -> None:
        """Flush every FLUSH_EVERY changed objects: session-wide flush listeners (period guard,
        audit trail) then work on small batches instead of one flush of the whole file."""
        self._ops = getattr(self, "_ops", 0) + 1
        if self._ops % self.FLUSH_EVERY == 0:
            self.s.flush()

    def audit(self, action, entity, entity_id, changes):
        if self.write:
            record(action, entity, entity_id,
                   changes={k: [_jsonable(a), _jsonable(b)] for k, (a, b) in changes.items()},
                   reason=self.reason, user=self.user, session=self.s)
            self.tick()

    # units ---------------------------------------------------------------------------------
    def units(self) -> None:
        pending_parent: list[tuple[Any, str, dict]] = []
        for item in self.val.plan.units:
            old = item["db"]
            target = _unit_target(item, old)
            if old is None:
                self.count("Unit", "created")
                if self.write:
                    u = Unit(code=item["code"], name=target["name"], kind=target["kind"],
                             public_facing=target["public_facing"], active=True)
                    self.tick()
                    self.s.add(u)
                    pending_parent.append((u, target.get("parent"), {"code": item["code"], **target}))
                continue
            current = {"name": old.name, "kind": old.kind, "public_facing": bool(old.public_facing),
                       "parent": self.unit_code_of_id.get(old.parent_id) if old.parent_id else None}
            if old.parent_id and current["parent"] is None:
                current["parent"] = self.s.scalar(select(Unit.code).where(Unit.id == old.parent_id))
            changes = _diff(old, target, current)
            if not changes:
                self.count("Unit", "unchanged")
                continue
            self.count("Unit", "updated")
            if self.write:
                u = self.s.get(Unit, old.id)
                for k, (_, new) in changes.items():
                    if k != "parent":
                        setattr(u, k, new)
                if "parent" in changes:
                    pending_parent.append((u, changes["parent"][1], None))
                self.audit("update", "unit", old.id, changes)
        if not self.write:
            return
        self.s.flush()
        for u, _, _ in pending_parent:
            self.unit_id[u.code] = u.id
        for u, parent_code, created in pending_parent:
            u.parent_id = self._unit_id(parent_code) if parent_code else None
            if created is not None:
                self.audit("insert", "unit", u.id, {k: [None, v] for k, v in created.items()})
        self.s.flush()

    def _unit_id(self, code: str) -> int:
        if code not in self.unit_id:
            self.unit_id[code] = self.s.scalar(select(Unit.id).where(Unit.code == code))
        return self.unit_id[code]

    # positions -----------------------------------------------------------------------------
    def positions(self) -> None:
        self.pos_id: dict[tuple[str, str], int] = {k: ps[0].id for k, ps in self.val.db_positions.items()}
        pending: list[tuple[Any, tuple | None, dict | None]] = []
        for item in self.val.plan.positions:
            v, kind, parent = item["values"], item["kind"], item["parent"]
            target = {"kind": kind.code, "parent": parent}
            existing = item["db"]
            if not existing:
                self.count("Jabatan", "created")
                if self.write:
                    p = Position(name=v["name"], kind_id=kind.id, level=kind.level,
                                 unit_id=self._unit_id(item["key"][0]))
                    self.tick()
                    self.s.add(p)
                    pending.append((p, parent, {"unit": item["key"][0], "name": v["name"], "kind": kind.code,
                                                "parent": None if parent is None else f"{parent[0]}/{parent[1]}"}))
                    item["obj"] = p
                continue
            kind_code_of = {k.id: k.code for k in self.val.kinds.values()}

            def state(p):
                hit = self.val.db_position_by_id.get(p.parent_id) if p.parent_id else None
                return {"kind": kind_code_of.get(p.kind_id), "parent": hit[0] if hit else None}  # noqa: B023

            # several positions may share a name in one unit (formasi): one matching is enough
            if any(not _diff(None, target, state(p)) for p in existing):
                self.count("Jabatan", "unchanged")
                continue
            if len(existing) > 1:
                self.val.err("Jabatan", item["row"], "name", f"Ada {len(existing)} jabatan bernama '{v['name']}' pada "
                             f"unit {item['key'][0]}; ubah jenis/atasannya melalui menu Jabatan.", v["name"])
                continue
            old = existing[0]
            changes = _diff(None, target, state(old))
            self.count("Jabatan", "updated")
            if self.write:
                p = self.s.get(Position, old.id)
                if "kind" in changes:
                    p.kind_id, p.level = kind.id, kind.level
                if "parent" in changes:
                    pending.append((p, parent, None))
                self.audit("update", "position", old.id, {k: [str(a) if a else a, str(b) if b else b]
                                                          for k, (a, b) in changes.items()})
        if not self.write:
            return
        self.s.flush()
        for item in self.val.plan.positions:
            if "obj" in item:
                self.pos_id[item["key"]] = item["obj"].id
        for p, parent, created in pending:
            p.parent_id = self.pos_id[parent] if parent else None
            if created is not None:
                self.audit("insert", "position", p.id, {k: [None, val] for k, val in created.items()})
        self.s.flush()

    def _position_id(self, unit_code: str, name: str | None, current_id: int | None) -> int | None:
        if not name:
            return None
        key = (unit_code, name.lower())
        existing = self.val.db_positions.get(key, [])
        if current_id is not None and any(p.id == current_id for p in existing):
            return current_id  # keep the one the employee already holds
        if key in self.pos_id:
            return self.pos_id[key]
        return existing[0].id if existing else None

    # employees -----------------------------------------------------------------------------
    def employees(self) -> None:
        nip_to_id = {nip: e.id for nip, e in self.val.db_emp.items()}
        id_to_nip = {i: n for n, i in nip_to_id.items()}
        pending_sup: list[tuple[Any, str | None, dict | None]] = []
        for item in self.val.plan.employees:
            v, old = item["values"], item["db"]
            present = v["_present"]
            unit_code = v["unit_code"]
            unit_id = self.unit_id.get(unit_code) if unit_code in self.unit_id else None
            target: dict[str, Any] = {"name": v["name"], "employee_type": v["employee_type"], "unit": unit_code}
            if "rank" in present or old is None:
                target["rank_id"] = v.get("rank_id")
            if "position" in present or old is None:
                target["position"] = v.get("position")
            if "superior_nip" in present or old is None:
                target["superior"] = v.get("superior_nip")
            if "email" in present or old is None:
                target["email"] = v.get("email")
            if v.get("active") is not None:
                target["active"] = v["active"]
            elif old is None:
                target["active"] = True
            if old is None:
                self.count("Pegawai", "created")
                if self.write:
                    e = Employee(nip=item["nip"], name=v["name"], employee_type=v["employee_type"],
                                 rank_id=target["rank_id"], unit_id=unit_id or self._unit_id(unit_code),
                                 position_id=self._position_id(unit_code, target["position"], None),
                                 email=target["email"], active=target["active"])
                    self.tick()
                    self.s.add(e)
                    pending_sup.append((e, target["superior"], {"nip": item["nip"], **target}))
                continue
            cur_pos = None
            if old.position_id is not None:
                hit = self.val.db_position_by_id.get(old.position_id)
                same_unit = hit and hit[0][0] == self.unit_code_of_id.get(old.unit_id)
                cur_pos = hit[1].name if same_unit else f"#{old.position_id}"
            current = {"name": old.name, "employee_type": old.employee_type,
                       "unit": self.unit_code_of_id.get(old.unit_id) or f"#{old.unit_id}",
                       "rank_id": old.rank_id, "position": cur_pos,
                       "superior": id_to_nip.get(old.superior_id) if old.superior_id else None,
                       "email": old.email, "active": bool(old.active)}
            if old.superior_id and current["superior"] is None:
                current["superior"] = self.s.scalar(select(Employee.nip).where(Employee.id == old.superior_id))
            if (current["position"] and target.get("position")
                    and current["position"].lower() == target["position"].lower()):
                target["position"] = current["position"]
            changes = _diff(old, target, current)
            if not changes:
                self.count("Pegawai", "unchanged")
                continue
            self.count("Pegawai", "updated")
            if self.write:
                e = self.s.get(Employee, old.id)
                for k, (_, new) in changes.items():
                    if k in ("name", "employee_type", "rank_id", "email", "active"):
                        setattr(e, k, new)
                if "unit" in changes:
                    e.unit_id = self._unit_id(unit_code)
                if "unit" in changes or "position" in changes:
                    e.position_id = self._position_id(unit_code, target.get("position", cur_pos),
                                                      old.position_id if "unit" not in changes else None)
                if "superior" in changes:
                    pending_sup.append((e, changes["superior"][1], None))
                self.audit("update", "employee", old.id, changes)
        if not self.write:
            return
        self.s.flush()
        for e, _, _ in pending_sup:
            nip_to_id[e.nip] = e.id
        for e, sup, created in pending_sup:
            e.superior_id = nip_to_id[sup] if sup else None
            if created is not None:
                self.audit("insert", "employee", e.id, {k: [None, val] for k, val in created.items()})
        self.s.flush()


_Writer = Writer  # the name before the split
