"""Panduan (in-app guidance): editable pages, stored here so that BKPSDM changes the text
without code. Bodies are a restricted Markdown, rendered and sanitised by kinerja_admin.guidance."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import TimestampMixin, db, in_check

# who a page is written for ("bantuan" = a short contextual help block shown on a page)
GUIDE_AUDIENCES = {
    "umum": "Semua orang",
    "pegawai": "Pegawai",
    "penilai": "Pejabat penilai",
    "operator": "Operator BKPSDM",
    "inspektur": "Inspektorat",
    "masyarakat": "Masyarakat",
    "bantuan": "Bantuan singkat pada halaman",
}


class GuidePage(TimestampMixin, db.Model):
    __tablename__ = "guide_page"
    __table_args__ = (CheckConstraint(in_check("audience", GUIDE_AUDIENCES), name="audience"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(12), default="umum")
    # readable without logging in (the citizen's and the general pages)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(Integer, default=100)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))

    updated_by = relationship("User")

    def __str__(self) -> str:
        return self.title
