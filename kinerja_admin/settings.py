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
    ("login.max_delay_seconds", "900", "int",
     "Jeda terlama (detik) setelah gagal login berulang; jeda berlipat dua tiap kegagalan, akun tidak pernah dikunci"),
    ("password.min_length", "10", "int", "Panjang minimal kata sandi"),
    ("upload.max_mb", "20", "int", "Ukuran maksimal berkas unggahan (MB)"),
    ("public.burst_size", "3", "int",
     "Respons survei yang identik (unit/layanan, jawaban, petugas) dalam rentang waktu di bawah ini yang "
     "membuat semuanya ditahan untuk moderasi"),
    ("public.burst_minutes", "10", "int", "Rentang waktu (menit) pemeriksaan lonjakan respons survei"),
    ("public.client_burst", "10", "int",
     "Respons survei dari satu perangkat/alamat dalam rentang waktu di atas yang membuat semuanya ditahan"),
    ("public.ikm_min_responses", "1", "int", "Minimal respons terhitung agar IKM sebuah unit ditampilkan di portal"),
    ("tampilan.zona_waktu", "Asia/Jakarta", "str",
     "Zona waktu semua jam yang ditampilkan: Asia/Jakarta (WIB), Asia/Makassar (WITA) atau Asia/Jayapura (WIT)"),
    ("planning.alpha", "0.05", "decimal", "Batas nilai p: perubahan IKM disebut signifikan bila p lebih kecil"),
    ("planning.test", "welch", "str", "Uji signifikansi perubahan IKM: welch (uji t Welch) atau mannwhitney"),
    ("notify.deadline_days", "7", "int",
     "Pengingat batas waktu dikirim sejak sekian hari sebelum tahap periode atau jendela evaluasi berakhir"),
    ("periodic.due_days", "10", "int",
     "Realisasi dan penilaian periodik jatuh tempo sekian hari setelah jendela evaluasi (bulan/triwulan) berakhir"),
    ("evidence.max_mb", "5", "int", "Ukuran maksimal satu berkas bukti dukung realisasi (MB)"),
    ("evidence.allowed_types", "pdf,jpg,jpeg,png,docx,xlsx,pptx,odt,ods,odp", "str",
     "Jenis berkas bukti dukung yang diizinkan (ekstensi dipisah koma; dikenal: pdf, jpg, jpeg, png, docx, xlsx, "
     "pptx, odt, ods, odp, doc, xls, ppt); isi berkas diperiksa sesuai jenisnya"),
]

# What the admin shows instead of the technical key and type (the key stays the code's name).
SETTING_LABELS = {
    "objection.window_days": "Batas waktu keberatan (hari)",
    "rating.anonymity_k": "Ambang anonimitas penilai",
    "rating.peer_min": "Rekan penilai minimal",
    "rating.peer_max": "Rekan penilai maksimal",
    "rating.self_enabled": "Penilaian diri sendiri",
    "public.min_responses": "Respons publik minimal",
    "public.show_individual": "Hasil per pegawai di portal publik",
    "nip.pppk_digit13": "Digit penanda PPPK pada NIP",
    "nip.min_age_at_appointment": "Usia minimal saat pengangkatan (tahun)",
    "period.evaluation_frequency": "Frekuensi evaluasi periodik",
    "login.max_delay_seconds": "Jeda terlama setelah gagal masuk (detik)",
    "public.burst_size": "Batas respons survei identik",
    "public.burst_minutes": "Rentang pemeriksaan lonjakan survei (menit)",
    "public.client_burst": "Batas respons survei per perangkat",
    "public.ikm_min_responses": "Respons minimal IKM di portal",
    "password.min_length": "Panjang minimal kata sandi",
    "upload.max_mb": "Ukuran unggahan maksimal (MB)",
    "tampilan.zona_waktu": "Zona waktu tampilan",
    "planning.alpha": "Batas nilai p uji signifikansi",
    "planning.test": "Uji signifikansi perubahan IKM",
    "evidence.max_mb": "Ukuran berkas bukti maksimal (MB)",
    "notify.deadline_days": "Pengingat batas waktu (hari sebelumnya)",
    "periodic.due_days": "Batas evaluasi periodik (hari setelah jendela)",
    "evidence.allowed_types": "Jenis berkas bukti yang diizinkan",
}
TYPE_LABELS = {"int": "Bilangan bulat", "decimal": "Bilangan desimal", "bool": "Ya/Tidak", "str": "Teks"}
TRUE_WORDS = {"1", "true", "yes", "ya", "on"}


def setting_label(key: str) -> str:
    return SETTING_LABELS.get(key, key)


def value_label(value_type: str, value: str) -> str:
    """A stored value as the admin shows it (booleans as Ya/Tidak)."""
    if value_type == "bool":
        return "Ya" if str(value).strip().lower() in TRUE_WORDS else "Tidak"
    return value

_CASTS = {
    "int": int,
    "decimal": Decimal,
    "bool": lambda v: str(v).strip().lower() in TRUE_WORDS,
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


def validate_setting(key: str, value_type: str, value: str) -> None:
    """validate_setting_value plus the rules of particular keys (a real time zone name)."""
    validate_setting_value(value_type, value)
    if key == "tampilan.zona_waktu":
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(str(value).strip())
        except Exception:
            raise ValueError(f"Zona waktu '{value}' tidak dikenal. Contoh: Asia/Jakarta (WIB), Asia/Makassar "
                             "(WITA), Asia/Jayapura (WIT).") from None


def validate_setting_value(value_type: str, value: str) -> None:
    """Raise ValueError with an Indonesian message when the value does not fit its type."""
    try:
        if value_type == "bool":
            if str(value).strip().lower() not in {"1", "0", "true", "false", "yes", "no", "ya", "tidak", "on", "off"}:
                raise ValueError
        else:
            _CASTS.get(value_type, str)(value)
    except Exception:
        raise ValueError(f"Nilai '{value}' tidak sesuai tipe {TYPE_LABELS.get(value_type, value_type).lower()}.") \
            from None
