"""Public services, citizen feedback and IKM reference tables."""
from __future__ import annotations

from flask_admin.actions import action
from flask_login import current_user

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


STATUS_LABELS = {"accepted": "Diterima", "held": "Ditahan", "released": "Dirilis", "rejected": "Ditolak"}


class PublicFeedbackView(ReadOnlyModelView):
    column_list = ["created_at", "period", "unit", "service", "employee", "employee_score", "comment",
                   "comment_hidden", "status"]
    column_exclude_list = ["client_hash", "fingerprint", "respondent_key", "employee_key"]
    column_details_exclude_list = ["client_hash", "fingerprint", "respondent_key", "employee_key"]
    column_export_exclude_list = ["client_hash", "fingerprint", "respondent_key", "employee_key"]
    column_default_sort = ("created_at", True)
    column_filters = ["period.code", "unit.name", "comment_hidden", "status"]
    column_labels = {"created_at": "Waktu", "period": "Periode", "period.code": "Periode",
                     "unit": "Unit kerja", "unit.name": "Unit kerja", "service": "Layanan",
                     "employee": "Pegawai yang dinilai", "employee_score": "Nilai pegawai",
                     "comment": "Komentar", "comment_hidden": "Komentar disembunyikan",
                     "status": "Status moderasi", "held_reason": "Alasan ditahan",
                     "moderated_at": "Dimoderasi pada", "moderated_by_id": "Dimoderasi oleh (ID)"}
    column_formatters = {"status": lambda v, c, m, n: STATUS_LABELS.get(m.status, m.status)}
    column_choices = {"status": list(STATUS_LABELS.items())}

    # Burst moderation (kinerja_admin.rating.feedback.moderate): held responses stay out of IKM and
    # the masyarakat role until released; each decision is audited.
    @action("release", "Rilis (hitung dalam IKM)",
            "Hitung respons terpilih yang ditahan dalam IKM dan nilai masyarakat?")
    def action_release(self, ids):
        self._moderate(ids, "release")

    @action("reject", "Tolak (jangan hitung)",
            "Tolak respons terpilih yang ditahan? Respons tetap tersimpan tetapi tidak dihitung.")
    def action_reject(self, ids):
        self._moderate(ids, "reject")

    def _moderate(self, ids, what):
        from flask import flash

        from kinerja_admin.rating.common import RatingError
        from kinerja_admin.rating.feedback import moderate
        from models import db

        pk_ids = [row.id for row in self.scoped_ids_query(ids)]
        try:
            done, skipped = moderate(db.session, pk_ids, what, user=current_user._get_current_object())
        except RatingError as err:
            db.session.rollback()
            flash(str(err), "error")
            return
        db.session.commit()
        verb = "dirilis" if what == "release" else "ditolak"
        flash(f"{done} respons {verb}, {skipped} dilewati (bukan respons yang ditahan).", "success")

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
            n = set_comment_hidden(db.session, pk_ids, hidden, user=current_user._get_current_object(),
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


class FeedbackModerationView(PublicFeedbackView):
    """Moderasi: only the responses held back by burst detection, oldest first."""

    column_list = ["created_at", "period", "unit", "service", "employee", "employee_score", "held_reason",
                   "comment"]
    column_default_sort = ("created_at", False)
    column_filters = ["period.code", "unit.name"]

    def get_query(self):
        from models import PublicFeedback

        return super().get_query().filter(PublicFeedback.status == "held")

    def get_count_query(self):
        from models import PublicFeedback

        return super().get_count_query().filter(PublicFeedback.status == "held")

    def get_one(self, id):
        """Details of any response in scope (a released one stays viewable from its link)."""
        from flask import abort

        from models import PublicFeedback

        try:
            pk = int(id)
        except (TypeError, ValueError):
            abort(404)
        row = super().get_query().filter(PublicFeedback.id == pk).one_or_none()
        if row is None:
            abort(404)
        return row
