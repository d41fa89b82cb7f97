"""Typed access to the `setting` table. Defaults are seeded by `flask kinerja init`; a value an
operator changed in the admin is never overwritten by a later init."""
from __future__ import annotations

from decimal import Decimal

from models import Setting, db

# key, default value, type, Indonesian description (shown in the admin)
DEFAULT_SETTINGS: list[tuple[str, str, str, str]] = [
    ("objection.window_days", "14", "int", "Batas waktu pengajuan keberatan (hari) sejak hasil diumumkan"),
    ("rating.anonymity_k", "3", "int", "Minimal jumlah penilai rekan/bawahan agar rata-rata ditampilkan"),
    ("rating.peer_min", "3", "int", "Jumlah minimal rekan kerja penilai per pegawai"),
    ("rating.peer_max", "5", "int", "Jumlah maksimal rekan kerja penilai per pegawai"),
    ("rating.self_enabled", "false", "bool", "Pegawai menilai diri sendiri (peran diri)"),
    ("public.min_responses", "5", "int", "Minimal respons publik atas pegawai agar masuk peran masyarakat"),
    ("public.show_individual", "false", "bool", "Portal publik menampilkan hasil per pegawai"),
    ("nip.pppk_digit13", "2", "str", "Digit ke-13 NIP yang menandai PPPK"),
    ("nip.min_age_at_appointment", "17", "int", "Usia minimal (tahun) saat TMT pengangkatan pada NIP"),
    ("period.evaluation_frequency", "triwulanan", "str", "Evaluasi periodik: bulanan/triwulanan/semesteran"),
    ("login.max_failures", "5", "int", "Jumlah gagal login sebelum akun dikunci sementara"),
    ("login.lockout_minutes", "15", "int", "Lama penguncian akun setelah gagal login berulang (menit)"),
    ("password.min_length", "10", "int", "Panjang minimal kata sandi"),
    ("upload.max_mb", "20", "int", "Ukuran maksimal berkas unggahan (MB)"),
    ("evidence.max_mb", "5", "int", "Ukuran maksimal satu berkas bukti dukung realisasi (MB)"),
    ("evidence.allowed_types", "pdf,jpg,jpeg,png,docx,xlsx,pptx,odt,ods,odp", "str",
     "Jenis berkas bukti dukung yang diizinkan (ekstensi dipisah koma; dikenal: pdf, jpg, jpeg, png, docx, xlsx, "
     "pptx, odt, ods, odp, doc, xls, ppt); isi berkas diperiksa sesuai jenisnya"),
]

_CASTS = {
    "int": int,
    "decimal": Decimal,
    "bool": lambda v: str(v).strip().lower() in {"1", "true", "yes", "ya", "on"},
    "str": str,
}


def get_setting(key: str, session=None):
    session = session or db.session
    row = session.get(Setting, key)
    if row is None:
        for k, value, typ, _ in DEFAULT_SETTINGS:
            if k == key:
                return _CASTS[typ](value)
        raise KeyError(key)
    return _CASTS.get(row.value_type, str)(row.value)


def validate_setting_value(value_type: str, value: str) -> None:
    """Raise ValueError with an Indonesian message when the value does not fit its type."""
    try:
        if value_type == "bool":
            if str(value).strip().lower() not in {"1", "0", "true", "false", "yes", "no", "ya", "tidak", "on", "off"}:
                raise ValueError
        else:
            _CASTS.get(value_type, str)(value)
    except Exception:
        raise ValueError(f"Nilai '{value}' tidak sesuai tipe {value_type}.") from None
