"""People: employees (pegawai) with their supervisor link, and user accounts."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import EMPLOYEE_TYPES, ROLES, TimestampMixin, db, in_check
from .org import Position, Rank, Unit


class Employee(TimestampMixin, db.Model):
    """Pegawai ASN. NIP is an 18-character text, validated by kinerja_admin.nip."""

    __tablename__ = "employee"
    __table_args__ = (CheckConstraint(in_check("employee_type", EMPLOYEE_TYPES), name="employee_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(150), index=True)
    employee_type: Mapped[str] = mapped_column(String(4), default="PNS")
    rank_id: Mapped[Optional[int]] = mapped_column(ForeignKey("rank.id"), index=True)
    position_id: Mapped[Optional[int]] = mapped_column(ForeignKey("position.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # Atasan langsung (the default Pejabat Penilai Kinerja)
    superior_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), index=True)
    email: Mapped[Optional[str]] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    rank: Mapped[Optional[Rank]] = relationship()
    position: Mapped[Optional[Position]] = relationship()
    unit: Mapped[Unit] = relationship()
    superior: Mapped[Optional["Employee"]] = relationship(remote_side=[id], back_populates="subordinates")
    subordinates: Mapped[list["Employee"]] = relationship(back_populates="superior")

    @property
    def nip_display(self) -> str:
        from kinerja_admin.nip import format_nip

        return format_nip(self.nip)

    def __str__(self) -> str:
        return f"{self.name} ({self.nip})"


class User(TimestampMixin, db.Model):
    """A login account. Pegawai and penilai accounts are linked to their employee record."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(in_check("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(150), default="")
    role: Mapped[str] = mapped_column(String(20), index=True)
    employee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("employee.id"), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotating token used as the Flask-Login id: changing the password logs out other sessions.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    # Failed logins since the last success, counted atomically; no account is ever locked by them
    # (kinerja_admin.auth throttles with growing delays instead).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    last_login_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    password_changed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    employee: Mapped[Optional[Employee]] = relationship()

    # --- Flask-Login protocol ---
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    # --- passwords ---
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __str__(self) -> str:
        # people are shown by name (e.g. "Disetujui oleh"), the username is only the login
        return self.full_name or self.username
