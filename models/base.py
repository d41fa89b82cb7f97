"""Shared column helpers and enumerations used across the model modules."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, event, func, select
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_admin.extensions import db

# Scores: Numeric, never float. 7 digits with 4 decimals covers 0..999.9999 exactly.
Score = Numeric(7, 4)
Weight = Numeric(7, 4)
Value = Numeric(18, 4)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# Rows that carry their parent's period (issue 19: a key of a period-partitioned table, or the way to
# one, must hold the period), kept equal to the parent's by a composite foreign key:
# model -> (parent model, the row's column naming the parent). Registered by copies_parent_period.
PERIOD_PARENTS: dict[type, tuple[type, str]] = {}


def copies_parent_period(model, parent, column: str) -> None:
    """`model` rows hold the period of the `parent` row their `column` names: an ORM insert that names
    its parent by id only takes the parent's period (a relationship over the composite key copies it
    itself); Core inserts go through :func:`with_periods`."""
    PERIOD_PARENTS[model] = (parent, column)
    event.listen(model, "before_insert", _copy_parent_period)


def _copy_parent_period(mapper, connection, row) -> None:
    parent, column = PERIOD_PARENTS[mapper.class_]
    if row.period_id is None and getattr(row, column) is not None:  # the parent is flushed first
        table = parent.__table__
        row.period_id = connection.scalar(select(table.c.period_id).where(table.c.id == getattr(row, column)))


def with_periods(connection, model, rows: list[dict]) -> list[dict]:
    """Core inserts of `model`: where it carries its parent's period (:data:`PERIOD_PARENTS`), each row
    without period_id gets its parent's, read once per batch; other models' rows are returned as they
    are. `connection`: a connection or a session."""
    if model not in PERIOD_PARENTS:
        return rows
    parent, column = PERIOD_PARENTS[model]
    wanted = sorted({r[column] for r in rows if r.get("period_id") is None})
    if not wanted:
        return rows
    table = parent.__table__
    periods = {}
    for i in range(0, len(wanted), 5000):
        periods.update((row_id, period_id) for row_id, period_id in connection.execute(
            select(table.c.id, table.c.period_id).where(table.c.id.in_(wanted[i:i + 5000]))))
    return [r if r.get("period_id") is not None else {**r, "period_id": periods.get(r[column])} for r in rows]


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


# --- enumerations (stored as short strings; labels for the UI live beside them) -------------
EMPLOYEE_TYPES = {"PNS": "PNS", "PPPK": "PPPK"}
ROLES = {
    "admin": "Administrator",
    "operator": "Operator BKPSDM",
    "penilai": "Pejabat Penilai",
    "pegawai": "Pegawai",
    "inspektur": "Inspektur (baca saja)",
}
PERIOD_STATUSES = {
    "draft": "Draf",
    "planning": "Perencanaan",
    "running": "Berjalan",
    "assessing": "Penilaian",
    "closed": "Ditutup",
}
PLAN_STATUSES = {
    "draft": "Draf",
    "submitted": "Diajukan",
    "approved": "Disetujui",
    "returned": "Dikembalikan",
    "realised": "Realisasi",
    "assessed": "Dinilai",
    "final": "Final",
}
SCORE_STATUSES = {"computed": "Dihitung", "approved": "Disetujui", "published": "Diumumkan"}
OBJECTION_STATUSES = {"filed": "Diajukan", "accepted": "Diterima", "rejected": "Ditolak"}
ASSIGNMENT_STATUSES = {"pending": "Belum diisi", "submitted": "Sudah dikirim"}
RATER_ROLES = {
    "atasan": "Atasan",
    "rekan": "Rekan kerja",
    "bawahan": "Bawahan",
    "diri": "Diri sendiri",
    "masyarakat": "Masyarakat",
}
TARGET_ASPECTS = {
    "kuantitas": "Kuantitas",
    "kualitas": "Kualitas",
    "waktu": "Waktu",
    "biaya": "Biaya",
}
CATEGORIES = {"dibawah": "Di Bawah Ekspektasi", "sesuai": "Sesuai Ekspektasi", "diatas": "Di Atas Ekspektasi"}
SCHEME_KINDS = {"numeric": "Numerik", "matrix": "Matriks"}
# who decides a matrix scheme's rating categories (PermenPANRB 6/2022: the rater's judgement)
RATING_DECIDERS = {"penilai": "Pejabat penilai", "ambang": "Ambang nilai"}
# Provenance of a rule value (DOMAIN.md "Provenance of seeded values"): the regulation's own text
# (named in the note), one agency's practice (say whose), or our default. Only "regulasi" values are
# ever shown under "Dasar hukum".
PROVENANCE = {
    "regulasi": "Teks regulasi",
    "praktik": "Praktik instansi",
    "bawaan": "Bawaan aplikasi (bukan regulasi)",
}
# Rounding of the final value before it is compared with the predicate bands (scheme setting)
ROUNDING_MODES = {
    "half_up": "Setengah ke atas (0,5 menjauhi nol)",
    "half_even": "Setengah ke genap (0,5 ke angka genap)",
}
# Missing data (scheme settings): an indicator without realisation, a missing superior rating
MISSING_REALISATION = {
    "zero": "Indikator tanpa realisasi dihitung 0",
    "block": "Indikator tanpa realisasi menahan nilai pegawai",
}
MISSING_SUPERIOR = {
    "block": "Tanpa penilaian atasan, nilai perilaku tidak dihitung",
    "allow": "Nilai perilaku boleh dari penilai lain tanpa atasan",
}
# Where a matrix category of a result came from
CATEGORY_SOURCES = {"penilai": "Ditetapkan penilai", "ambang": "Disarankan dari ambang nilai"}

ORG_RATINGS = {
    "istimewa": "Istimewa",
    "baik": "Baik",
    "butuh_perbaikan": "Butuh Perbaikan",
    "kurang": "Kurang",
    "sangat_kurang": "Sangat Kurang",
}


def choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return list(mapping.items())


def in_check(column: str, mapping: dict[str, str]) -> str:
    """SQL text for a CHECK constraint that keeps a coded column inside its enumeration."""
    values = ", ".join(f"'{k}'" for k in mapping)
    return f"{column} IN ({values})"


__all__ = ["Decimal", "db", "utcnow"]
