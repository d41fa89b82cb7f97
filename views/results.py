"""Score results and objections."""
from __future__ import annotations

from models.base import CATEGORIES, OBJECTION_STATUSES, SCORE_STATUSES

from .base import SecuredModelView


def _label(mapping, attr):
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr))


class ScoreResultView(SecuredModelView):
    audit_entity = "score_result"
    column_list = ["period", "employee", "unit", "skp_value", "behaviour_value", "final_value",
                   "predicate", "status"]
    column_default_sort = [("period_id", True), ("id", False)]
    column_searchable_list = ["employee.name", "employee.nip"]
    column_filters = ["period.code", "status", "predicate", "unit.name"]
    column_labels = {"period": "Periode", "period.code": "Periode", "employee": "Pegawai",
                     "employee.name": "Nama pegawai", "employee.nip": "NIP", "unit": "Unit kerja",
                     "unit.name": "Unit kerja", "work_plan": "SKP", "scheme": "Skema",
                     "scheme_version": "Versi skema", "skp_value": "Nilai SKP",
                     "behaviour_value": "Nilai perilaku", "atasan_avg": "Rerata atasan",
                     "rekan_avg": "Rerata rekan", "bawahan_avg": "Rerata bawahan", "diri_avg": "Rerata diri",
                     "masyarakat_avg": "Rerata masyarakat", "final_value": "Nilai akhir",
                     "hasil_category": "Rating hasil kerja", "perilaku_category": "Rating perilaku",
                     "predicate": "Predikat", "status": "Status", "computed_at": "Dihitung",
                     "approved_at": "Disetujui", "approved_by": "Disetujui oleh",
                     "published_at": "Diumumkan", "version": "Versi", "details": "Rincian",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"status": _label(SCORE_STATUSES, "status"),
                         "hasil_category": _label(CATEGORIES, "hasil_category"),
                         "perilaku_category": _label(CATEGORIES, "perilaku_category")}
    column_details_exclude_list = ["details"]
    form_columns = ["predicate"]

    @property
    def can_create(self):
        return False


class ObjectionView(SecuredModelView):
    audit_entity = "objection"
    column_list = ["result", "employee", "status", "filed_at", "decided_at", "new_predicate"]
    column_default_sort = ("filed_at", True)
    column_filters = ["status"]
    column_labels = {"result": "Hasil penilaian", "employee": "Pegawai", "decider": "Pemutus",
                     "reasons": "Alasan keberatan", "status": "Status", "filed_at": "Diajukan",
                     "decided_at": "Diputus", "decided_by": "Diputus oleh", "decision_reason": "Alasan putusan",
                     "new_predicate": "Predikat baru", "new_value": "Nilai baru",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"status": _label(OBJECTION_STATUSES, "status")}
    form_columns = ["status", "decision_reason", "new_predicate", "new_value"]

    @property
    def can_create(self):
        return False
