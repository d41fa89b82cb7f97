"""Shared pieces of the workflow package: errors, actor helpers, the bulk report."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from kinerja_admin.scope import scope_condition

CONFLICT_MESSAGE = ("Data telah diubah oleh pengguna lain sejak Anda membukanya. Perubahan Anda belum "
                    "disimpan; muat ulang data terbaru, periksa, lalu simpan kembali.")
NOT_FOUND = "tidak ditemukan atau di luar lingkup akses Anda"


class WorkflowError(Exception):
    """A refused transition; the message (Indonesian) is shown to the user as is. Nothing changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PeriodLockedError(WorkflowError):
    """A write to data of a closed period (raised by the flush guard and by the workflows)."""


class ConflictError(WorkflowError):
    """Optimistic-locking conflict: somebody else changed the record first."""

    def __init__(self, message: str = CONFLICT_MESSAGE):
        super().__init__(message)


def require_reason(reason: str | None, what: str = "Alasan") -> str:
    text = (reason or "").strip()
    if not text:
        raise WorkflowError(f"{what} wajib diisi.")
    return text


def role_of(actor) -> str | None:
    return getattr(actor, "role", None)


def is_staff(actor) -> bool:
    """Operator or admin: may act on behalf of anyone (inside their scope, which is everything)."""
    return role_of(actor) in ("admin", "operator")


def require_actor(actor) -> None:
    if actor is None or not getattr(actor, "is_active", False):
        raise WorkflowError("Pengguna tidak dikenal atau tidak aktif.")
    if role_of(actor) == "inspektur":
        raise WorkflowError("Peran inspektur hanya dapat membaca data.")


def scope_flag(model, actor):
    """A select-list expression that is 1 when the row is inside the actor's scope, else 0."""
    from sqlalchemy import case, literal

    cond = scope_condition(model, actor)
    if cond is None:
        return literal(1)
    return case((cond, 1), else_=0)


@dataclass
class BulkResult:
    """What a bulk transition did: ids changed, and (id, label, reason) per skipped row."""

    verb: str
    done: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{len(self.done)} {self.verb}, {len(self.skipped)} dilewati."

    def details(self, limit: int = 8) -> list[str]:
        """Skipped rows grouped by reason (short enough for a flash message in a cookie)."""
        groups: "OrderedDict[str, list[str]]" = OrderedDict()
        for _id, label, reason in self.skipped:
            groups.setdefault(reason, []).append(label)
        lines = []
        for reason, labels in list(groups.items())[:limit]:
            shown = "; ".join(labels[:3])
            more = f" dan {len(labels) - 3} lainnya" if len(labels) > 3 else ""
            lines.append(f"Dilewati ({len(labels)}): {reason} - {shown}{more}")
        if len(groups) > limit:
            lines.append(f"... dan {len(groups) - limit} alasan lain.")
        return lines

    def as_dict(self) -> dict:
        return {"done": len(self.done), "skipped": len(self.skipped)}


def clean_ids(ids) -> list[int]:
    out = []
    for i in ids:
        try:
            out.append(int(i))
        except (TypeError, ValueError):
            continue
    return out
