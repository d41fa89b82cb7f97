"""Public services, citizen feedback and IKM reference tables."""
from __future__ import annotations

from flask_admin.actions import action

from .base import ReadOnlyModelView, SecuredModelView


class PublicServiceView(SecuredModelView):
    audit_entity = "public_service"
    column_list = ["unit", "name", "slug", "active"]
    column_default_sort = "name"
    column_searchable_list = ["name", "slug"]
    column_filters = ["active", "unit.name"]
    column_labels = {"unit": "Unit kerja", "unit.name": "Unit kerja", "name": "Nama layanan",
                     "slug": "Kode portal", "active": "Aktif", "created_at": "Dibuat", "updated_at": "Diubah"}
    form_columns = ["unit", "name", "slug", "active"]


class PublicFeedbackView(ReadOnlyModelView):
    column_list = ["created_at", "period", "unit", "service", "employee", "employee_score", "comment",
                   "comment_hidden"]
    column_exclude_list = ["client_hash"]
    column_details_exclude_list = ["client_hash"]
    column_default_sort = ("created_at", True)
    column_filters = ["period.code", "unit.name", "comment_hidden"]
    column_labels = {"created_at": "Waktu", "period": "Periode", "period.code": "Periode",
                     "unit": "Unit kerja", "unit.name": "Unit kerja", "service": "Layanan",
                     "employee": "Pegawai yang dinilai", "employee_score": "Nilai pegawai",
                     "comment": "Komentar", "comment_hidden": "Komentar disembunyikan"}

    # Operators hide an abusive comment from every public page; the scores stay, each hiding is
    # audited (kinerja_admin.rating.feedback.set_comment_hidden).
    @action("hide_comment", "Sembunyikan komentar", "Sembunyikan komentar terpilih dari tampilan publik?")
    def action_hide_comment(self, ids):
        self._set_hidden(ids, True)

    @action("show_comment", "Tampilkan lagi komentar", "Tampilkan lagi komentar terpilih?")
    def action_show_comment(self, ids):
        self._set_hidden(ids, False)

    def _set_hidden(self, ids, hidden):
        from flask import flash

        from kinerja_admin.rating.common import RatingError
        from kinerja_admin.rating.feedback import set_comment_hidden
        from models import db

        pk_ids = [row.id for row in self.scoped_ids_query(ids)]
        try:
            n = set_comment_hidden(db.session, pk_ids, hidden,
                                   reason="Komentar tidak pantas" if hidden else "Komentar ditampilkan kembali")
        except RatingError as err:
            db.session.rollback()
            flash(str(err), "error")
            return
        db.session.commit()
        flash(f"{n} komentar {'disembunyikan' if hidden else 'ditampilkan kembali'}.", "success")


class IkmElementView(SecuredModelView):
    column_list = ["seq", "code", "name", "question"]
    column_default_sort = "seq"
    column_labels = {"seq": "Urutan", "code": "Kode", "name": "Unsur", "question": "Pertanyaan"}
    form_columns = ["seq", "code", "name", "question"]


class IkmBandView(SecuredModelView):
    column_list = ["letter", "label", "lower", "upper"]
    column_default_sort = ("lower", True)
    column_labels = {"letter": "Mutu", "label": "Kinerja unit", "lower": "Batas bawah", "upper": "Batas atas"}
    form_columns = ["letter", "label", "lower", "upper"]
