"""Indonesian labels for the audit trail, shared by the admin's Jejak Audit list and details and by
the inspector workbook's Jejak Audit sheet (kinerja_admin.excel.exporter): one voice for
actions, entities, field names and coded values.

`audit_action(code)`, `audit_entity(code)` and `audit_field(code)` give the label (or the code
itself when unknown); `change_rows(changes)` turns a stored before/after dict into readable rows
(field label, before, after) with coded values (statuses, categories, roles) as their labels.
"""
from __future__ import annotations

from models.base import (
    ASSIGNMENT_STATUSES,
    CATEGORIES,
    EMPLOYEE_TYPES,
    OBJECTION_STATUSES,
    PERIOD_STATUSES,
    PLAN_STATUSES,
    RATER_ROLES,
    ROLES,
    SCORE_STATUSES,
    TARGET_ASPECTS,
)

AUDIT_ACTIONS = {
    "insert": "Tambah",
    "update": "Ubah",
    "delete": "Hapus",
    "transition": "Ubah status",
    "score": "Hitung nilai",
    "import": "Impor Excel",
    "generate": "Buat penugasan penilai",
    "submit": "Kirim penilaian",
    "clone": "Salin skema",
    "lockout": "Kunci akun",
    "hide_comment": "Sembunyikan komentar",
    "show_comment": "Tampilkan komentar",
    "objection": "Keberatan",
    "demo": "Data demo",
    "reopen": "Buka kembali",
}

AUDIT_ENTITIES = {
    "period": "Periode",
    "work_plan": "SKP",
    "target": "Sasaran (RHK)",
    "indicator": "Indikator",
    "realisation": "Realisasi",
    "rater_assignment": "Penugasan penilai",
    "behaviour_rating": "Nilai perilaku",
    "special_expectation": "Ekspektasi khusus",
    "score_result": "Hasil penilaian",
    "score_detail": "Rincian nilai",
    "objection": "Keberatan",
    "public_feedback": "Umpan balik publik",
    "public_service": "Layanan publik",
    "unit": "Unit kerja",
    "position": "Jabatan",
    "employee": "Pegawai",
    "user_account": "Pengguna",
    "setting": "Pengaturan",
    "scoring_scheme": "Skema penilaian",
    "unit_rating": "Predikat organisasi",
    "excel": "Berkas Excel",
    "guide_page": "Halaman panduan",
    "demo": "Data demo",
    "sistem": "Sistem",
}

AUDIT_FIELDS = {
    "status": "Status", "predicate": "Predikat", "reason": "Alasan", "return_reason": "Alasan dikembalikan",
    "name": "Nama", "code": "Kode", "nip": "NIP", "title": "Judul", "body": "Isi", "value": "Nilai",
    "value_type": "Tipe", "description": "Uraian", "kind": "Jenis", "parent": "Induk", "parent_id": "Induk",
    "unit_id": "Unit kerja", "position_id": "Jabatan", "rank_id": "Pangkat/golongan", "superior_id": "Atasan",
    "employee_id": "Pegawai", "employee_type": "Jenis pegawai", "rater_id": "Penilai",
    "rater_superior_id": "Atasan penilai", "ratee_id": "Pegawai dinilai", "role": "Peran", "period_id": "Periode",
    "work_plan_id": "SKP", "target_id": "Sasaran", "indicator_id": "Indikator", "aspect": "Aspek",
    "aspect_id": "Aspek", "seq": "No.", "target_value": "Target", "unit_label": "Satuan",
    "lower_is_better": "Makin kecil makin baik", "formula_code": "Rumus", "evidence_url": "Tautan bukti",
    "evidence_note": "Catatan bukti", "feedback": "Umpan balik", "comment": "Komentar",
    "skp_value": "Nilai SKP", "behaviour_value": "Nilai perilaku", "final_value": "Nilai akhir",
    "atasan_avg": "Rerata atasan", "rekan_avg": "Rerata rekan", "bawahan_avg": "Rerata bawahan",
    "diri_avg": "Rerata diri", "masyarakat_avg": "Rerata masyarakat", "hasil_category": "Rating hasil kerja",
    "perilaku_category": "Rating perilaku", "hasil_rating": "Rating hasil kerja",
    "perilaku_rating": "Rating perilaku", "innovation": "Ada inovasi", "innovation_note": "Catatan inovasi",
    "approved_at": "Disetujui", "approved_by_id": "Disetujui oleh", "published_at": "Diumumkan",
    "submitted_at": "Diajukan", "computed_at": "Dihitung", "scheme_id": "Skema", "scheme_version": "Versi skema",
    "start_date": "Mulai", "end_date": "Selesai", "email": "Surel", "active": "Aktif", "public_facing":
    "Melayani publik", "slug": "Kode portal", "username": "Nama pengguna", "full_name": "Nama lengkap",
    "reasons": "Alasan keberatan", "decision_reason": "Alasan putusan", "new_predicate": "Predikat baru",
    "new_value": "Nilai baru", "filed_at": "Diajukan", "decided_at": "Diputus", "hidden": "Disembunyikan",
    "counts": "Jumlah", "computed": "Dihitung", "skipped_final": "Dilewati (sudah final)",
    "plans_not_ready": "SKP belum siap", "without_skp": "Tanpa nilai SKP", "without_behaviour": "Tanpa nilai perilaku",
    "without_predicate": "Tanpa predikat", "predicates": "Sebaran predikat", "scheme": "Skema", "period": "Periode",
    "seconds": "Lama (detik)", "from": "Dari", "to": "Menjadi", "audience": "Untuk", "public": "Publik",
}

# statuses per entity (the same code reads differently: a plan is "Diajukan", a rating "Sudah dikirim")
STATUS_BY_ENTITY = {"work_plan": PLAN_STATUSES, "period": PERIOD_STATUSES, "score_result": SCORE_STATUSES,
                    "objection": OBJECTION_STATUSES, "rater_assignment": ASSIGNMENT_STATUSES}
# coded values per field, shown as their labels
_VALUE_LABELS = {
    "status": {**ASSIGNMENT_STATUSES, **OBJECTION_STATUSES, **SCORE_STATUSES, **PERIOD_STATUSES, **PLAN_STATUSES},
    "hasil_category": CATEGORIES, "perilaku_category": CATEGORIES, "hasil_rating": CATEGORIES,
    "perilaku_rating": CATEGORIES, "role": {**RATER_ROLES, **ROLES}, "aspect": TARGET_ASPECTS,
    "employee_type": EMPLOYEE_TYPES,
}


def audit_action(code: str | None) -> str:
    return AUDIT_ACTIONS.get(code or "", code or "")


def audit_entity(code: str | None) -> str:
    return AUDIT_ENTITIES.get(code or "", code or "")


def audit_field(code: str | None) -> str:
    return AUDIT_FIELDS.get(code or "", code or "")


def value_label(field: str, value, entity: str | None = None) -> str:
    """A stored value as a reader sees it: coded values as labels, booleans as Ya/Tidak."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, dict):
        return "; ".join(f"{audit_field(k)}: {value_label(k, v, entity)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_label(field, v, entity) for v in value)
    labels = STATUS_BY_ENTITY.get(entity) if field == "status" and entity in STATUS_BY_ENTITY else None
    labels = labels or _VALUE_LABELS.get(field)
    if labels and str(value) in labels:
        return labels[str(value)]
    return str(value)


def change_rows(changes, entity: str | None = None) -> list[tuple[str, str | None, str]]:
    """(field label, before, after) for each change of a row of `entity` (e.g. "work_plan"). Stored
    shapes: {field: [before, after]} for updates, {field: value} for snapshots and summaries (before
    is None then; an empty "before" value of an update reads "-")."""
    if not changes:
        return []
    if not isinstance(changes, dict):
        return [("", None, str(changes))]
    rows = []
    for field, v in changes.items():
        if isinstance(v, (list, tuple)) and len(v) == 2 and not isinstance(v[0], (dict, list)):
            rows.append((audit_field(field), value_label(field, v[0], entity), value_label(field, v[1], entity)))
        else:
            rows.append((audit_field(field), None, value_label(field, v, entity)))
    return rows


def changes_text(changes, entity: str | None = None, limit: int = 32000) -> str:
    """The changes as one readable line ("Status: Diajukan -> Disetujui; Predikat: - -> Baik")."""
    parts = []
    for label, before, after in change_rows(changes, entity):
        parts.append(f"{label}: {after}" if before is None else f"{label}: {before} \u2192 {after}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[:limit] + "..."
