"""What an import produces: file-level errors, cell-level errors and counts (shared by the reader,
the validator, the writer and the error workbook)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .template import SHEETS

MAX_ERRORS = 5000  # keep the report readable; collecting stops beyond this


class WorkbookError(ValueError):
    """The file as a whole cannot be read; str(err) is an Indonesian message."""


@dataclass
class RowError:
    sheet: str
    row: int | None
    column: str | None
    message: str
    value: Any = None

    def where(self) -> str:
        parts = [f"Lembar {self.sheet}"]
        if self.row:
            parts.append(f"baris {self.row}")
        if self.column:
            parts.append(f"kolom {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass
class ImportReport:
    filename: str = ""
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {s: {"created": 0, "updated": 0, "unchanged": 0} for s in SHEETS}
    )
    rows_read: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SHEETS})
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        parts = []
        for sheet, c in self.counts.items():
            parts.append(f"{sheet}: {c['created']} baru, {c['updated']} diubah, {c['unchanged']} tetap")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "counts": self.counts,
                "rows_read": self.rows_read, "errors": [str(e) for e in self.errors]}


@dataclass
class SheetRow:
    row: int
    values: dict[str, Any]


def show(v) -> str:
    return "" if v is None else str(v)
