"""Organisation: unit tree, position kinds, positions, ranks (pangkat/golongan)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import EMPLOYEE_TYPES, TimestampMixin, db, in_check


class Unit(TimestampMixin, db.Model):
    """Unit kerja / OPD; units form a tree (OPD -> bidang -> seksi)."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="OPD")
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    # Public-facing units collect citizen feedback (IKM) and may feed the masyarakat rater role.
    public_facing: Mapped[bool] = mapped_column(Boolean, default=False)
    slug: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Optional["Unit"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent")

    def __str__(self) -> str:
        return self.name


class PositionKind(db.Model):
    """Jenis jabatan: JPT, Administrator, Pengawas, Pelaksana, Fungsional."""

    __tablename__ = "position_kind"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)  # 1 = highest (JPT) ... 5 = Pelaksana
    structural: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.name


class Position(TimestampMixin, db.Model):
    """Jabatan: a position in a unit with a superior position (the position tree)."""

    __tablename__ = "position"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("position_kind.id"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=5)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("position.id"), index=True)

    kind: Mapped[PositionKind] = relationship()
    unit: Mapped[Unit] = relationship(lazy="joined")  # part of every position's name (__str__)
    parent: Mapped[Optional["Position"]] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"{self.name} ({self.unit.name})" if self.unit else self.name


class Rank(db.Model):
    """Pangkat/golongan (PNS I/a..IV/e) and PPPK golongan I..XVII."""

    __tablename__ = "rank"
    __table_args__ = (
        UniqueConstraint("employee_type", "code"),
        CheckConstraint(in_check("employee_type", EMPLOYEE_TYPES), name="employee_type"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    employee_type: Mapped[str] = mapped_column(String(4), default="PNS")
    code: Mapped[str] = mapped_column(String(10))  # "III/a" or "IX"
    name: Mapped[str] = mapped_column(String(60))  # "Penata Muda" (empty for PPPK)
    order: Mapped[int] = mapped_column(Integer)

    def __str__(self) -> str:
        return f"{self.code} - {self.name}" if self.name else self.code
