"""The unit tree (OPD -> bidang -> seksi) in memory: the one walk of parents, ancestors, roots and
subtrees that reports, rating assignment, scoring's distribution check and the period workflow use.
Units are few (hundreds at most), so one SELECT of (id, parent_id) serves every question."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from models import Unit


@dataclass
class UnitTree:
    parent: dict[int, int | None]
    units: dict[int, Unit] = field(default_factory=dict)  # filled by unit_tree(..., with_units=True)
    _children: dict[int, list[int]] | None = field(default=None, repr=False)

    def ancestors(self, unit_id: int | None) -> list[int]:
        """The unit itself, then its parent, grandparent ... up to the root (cycle-safe)."""
        chain: list[int] = []
        seen: set[int] = set()
        cur = unit_id
        while cur is not None and cur not in seen:
            seen.add(cur)
            chain.append(cur)
            cur = self.parent.get(cur)
        return chain

    def root_of(self, unit_id: int | None) -> int | None:
        """The top-level unit (the OPD) a unit belongs to."""
        chain = self.ancestors(unit_id)
        return chain[-1] if chain else None

    def children(self) -> dict[int, list[int]]:
        if self._children is None:
            kids: dict[int, list[int]] = {}
            for uid, pid in self.parent.items():
                if pid is not None:
                    kids.setdefault(pid, []).append(uid)
            self._children = kids
        return self._children

    def subtree(self, unit_id: int) -> set[int]:
        """The unit and all its descendants."""
        kids = self.children()
        out: set[int] = set()
        stack = [unit_id]
        while stack:
            cur = stack.pop()
            if cur in out:
                continue
            out.add(cur)
            stack.extend(kids.get(cur, []))
        return out

    def roots(self) -> list[Unit]:
        return sorted((u for u in self.units.values() if u.parent_id is None), key=lambda u: u.name)


def unit_tree(session, *, with_units: bool = False) -> UnitTree:
    if with_units:
        units = {u.id: u for u in session.scalars(select(Unit))}
        return UnitTree({uid: u.parent_id for uid, u in units.items()}, units)
    return UnitTree(dict(session.execute(select(Unit.id, Unit.parent_id)).all()))


def unit_subtree(session, unit_id: int) -> set[int]:
    return unit_tree(session).subtree(unit_id)
