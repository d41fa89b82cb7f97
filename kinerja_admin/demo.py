"""A realistic, deterministic demo of the city of Binjai.

~24 OPD (Dinas Kesehatan and BKPSDM among them) with sub-units, a position tree, N employees with
valid NIPs and acyclic supervisor chains, period ``2025`` (complete: realised and rated, ready to
score) and period ``2026`` (running, plans in varied states), public feedback, organisation
ratings and one user per role (``admin``, ``operator``, ``inspektur``, ``penilai``, ``pegawai``).

Rows are built in memory with explicit primary keys and written with set-based Core inserts, so
10 000 employees take seconds on SQLite, PostgreSQL and MariaDB alike.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import delete, func, insert, select, text
from werkzeug.security import generate_password_hash

from models import (
    AuditLog,
    BehaviourAspect,
    BehaviourRating,
    Employee,
    EvidenceFile,
    Indicator,
    Objection,
    Period,
    Position,
    PositionKind,
    PublicFeedback,
    PublicService,
    Rank,
    RaterAssignment,
    Realisation,
    ScoreDetail,
    ScoreResult,
    ScoringScheme,
    SpecialExpectation,
    Target,
    TargetJudgement,
    Unit,
    UnitRating,
    User,
    WorkPlan,
)
from models.base import utcnow, with_periods

DEMO_SCHEME = "PERMENPANRB-6-2022"

# (code, name, kind, weight, public_facing, head title, sub-unit names)
OPDS = [
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "Badan", 3, False, "Kepala",
     ["Bidang Pengadaan, Pemberhentian dan Informasi", "Bidang Mutasi dan Promosi",
      "Bidang Pengembangan Kompetensi Aparatur"]),
    ("DINKES", "Dinas Kesehatan", "Dinas", 9, True, "Kepala",
     ["Bidang Pelayanan Kesehatan", "Bidang Kesehatan Masyarakat",
      "Bidang Pencegahan dan Pengendalian Penyakit"]),
    ("DISDIK", "Dinas Pendidikan", "Dinas", 9, True, "Kepala",
     ["Bidang Pembinaan Sekolah Dasar", "Bidang Pembinaan SMP", "Bidang PAUD dan Pendidikan Nonformal"]),
    ("SETDA", "Sekretariat Daerah", "Sekretariat", 4, False, "Sekretaris Daerah",
     ["Bagian Tata Pemerintahan", "Bagian Hukum", "Bagian Organisasi"]),
    ("SETWAN", "Sekretariat DPRD", "Sekretariat", 2, False, "Sekretaris DPRD",
     ["Bagian Umum", "Bagian Persidangan dan Perundang-undangan"]),
    ("INSPEKTORAT", "Inspektorat", "Inspektorat", 2, False, "Inspektur",
     ["Inspektur Pembantu Wilayah I", "Inspektur Pembantu Wilayah II"]),
    ("BAPPEDA", "Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah", "Badan", 2, False,
     "Kepala", ["Bidang Perencanaan Ekonomi", "Bidang Perencanaan Sosial Budaya"]),
    ("BPKPAD", "Badan Pengelolaan Keuangan, Pendapatan dan Aset Daerah", "Badan", 3, True, "Kepala",
     ["Bidang Anggaran", "Bidang Pendapatan", "Bidang Aset"]),
    ("PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas", 3, False, "Kepala",
     ["Bidang Bina Marga", "Bidang Sumber Daya Air", "Bidang Penataan Ruang"]),
    ("PERKIM", "Dinas Perumahan dan Kawasan Permukiman", "Dinas", 2, False, "Kepala",
     ["Bidang Perumahan", "Bidang Kawasan Permukiman"]),
    ("SATPOLPP", "Satuan Polisi Pamong Praja", "Satuan", 3, True, "Kepala",
     ["Bidang Penegakan Perundang-undangan Daerah", "Bidang Ketertiban Umum"]),
    ("DINSOS", "Dinas Sosial", "Dinas", 2, True, "Kepala",
     ["Bidang Rehabilitasi Sosial", "Bidang Perlindungan dan Jaminan Sosial"]),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", "Dinas", 3, True, "Kepala",
     ["Bidang Pelayanan Pendaftaran Penduduk", "Bidang Pelayanan Pencatatan Sipil"]),
    ("DISHUB", "Dinas Perhubungan", "Dinas", 2, True, "Kepala",
     ["Bidang Lalu Lintas", "Bidang Angkutan"]),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika", "Dinas", 2, False, "Kepala",
     ["Bidang Aplikasi Informatika", "Bidang Informasi dan Komunikasi Publik"]),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "Dinas", 2, True, "Kepala",
     ["Bidang Pelayanan Perizinan", "Bidang Penanaman Modal"]),
    ("DLH", "Dinas Lingkungan Hidup", "Dinas", 3, True, "Kepala",
     ["Bidang Pengelolaan Sampah", "Bidang Pengendalian Pencemaran"]),
    ("DKPP", "Dinas Ketahanan Pangan dan Pertanian", "Dinas", 2, False, "Kepala",
     ["Bidang Ketahanan Pangan", "Bidang Pertanian"]),
    ("RSUD", "RSUD Dr. R.M. Djoelham", "Rumah Sakit", 5, True, "Direktur",
     ["Bidang Pelayanan Medik", "Bidang Keperawatan", "Bagian Umum dan Keuangan"]),
    ("KEC-KOTA", "Kecamatan Binjai Kota", "Kecamatan", 2, True, "Camat",
     ["Seksi Pemerintahan", "Seksi Pelayanan Umum"]),
    ("KEC-UTARA", "Kecamatan Binjai Utara", "Kecamatan", 2, True, "Camat",
     ["Seksi Pemerintahan", "Seksi Pelayanan Umum"]),
    ("KEC-TIMUR", "Kecamatan Binjai Timur", "Kecamatan", 2, True, "Camat",
     ["Seksi Pemerintahan", "Seksi Pelayanan Umum"]),
    ("KEC-SELATAN", "Kecamatan Binjai Selatan", "Kecamatan", 2, True, "Camat",
     ["Seksi Pemerintahan", "Seksi Pelayanan Umum"]),
    ("KEC-BARAT", "Kecamatan Binjai Barat", "Kecamatan", 2, True, "Camat",
     ["Seksi Pemerintahan", "Seksi Pelayanan Umum"]),
]

SERVICES = {
    "DINKES": ["Puskesmas Binjai Kota", "Pelayanan Kesehatan Ibu dan Anak"],
    "DISDUKCAPIL": ["Perekaman KTP-el", "Akta Kelahiran"],
    "DPMPTSP": ["Perizinan Berusaha"],
    "RSUD": ["Rawat Jalan", "Instalasi Gawat Darurat"],
    "KEC-KOTA": ["Pelayanan Administrasi Kecamatan"],
    "BPKPAD": ["Pelayanan PBB-P2"],
}

STAFF_TITLES = {
    "DINKES": [("FUNGSIONAL_AHLI", "Dokter Ahli Pertama"), ("FUNGSIONAL_AHLI", "Perawat Ahli Pertama"),
               ("FUNGSIONAL_TERAMPIL", "Bidan Terampil"), ("FUNGSIONAL_AHLI", "Epidemiolog Kesehatan Ahli Muda"),
               ("PELAKSANA", "Pengadministrasi Umum")],
    "RSUD": [("FUNGSIONAL_AHLI", "Dokter Ahli Muda"), ("FUNGSIONAL_TERAMPIL", "Perawat Terampil"),
             ("FUNGSIONAL_AHLI", "Apoteker Ahli Pertama"), ("PELAKSANA", "Pengelola Rekam Medis")],
    "DISDIK": [("FUNGSIONAL_AHLI", "Pengawas Sekolah Ahli Muda"), ("FUNGSIONAL_AHLI", "Guru Ahli Pertama"),
               ("PELAKSANA", "Pengolah Data Pendidikan")],
    "BKPSDM": [("FUNGSIONAL_AHLI", "Analis Sumber Daya Manusia Aparatur Ahli Pertama"),
               ("PELAKSANA", "Pengadministrasi Kepegawaian"), ("PELAKSANA", "Pengelola Sistem Informasi Kepegawaian")],
}
GENERIC_STAFF = [("PELAKSANA", "Pengadministrasi Umum"), ("PELAKSANA", "Pengolah Data"),
                 ("FUNGSIONAL_AHLI", "Analis Kebijakan Ahli Pertama"), ("PELAKSANA", "Pengelola Keuangan"),
                 ("FUNGSIONAL_TERAMPIL", "Arsiparis Terampil")]

MALE = ["Ahmad", "Muhammad", "Rizky", "Budi", "Andi", "Dedi", "Hendra", "Rahmat", "Fajar", "Irwan", "Joko",
        "Syahrul", "Taufik", "Yusuf", "Arif", "Bambang", "Darwin", "Edi", "Fauzi", "Gunawan", "Hasan",
        "Ilham", "Khairul", "Lukman", "Zulkifli", "Sahat", "Robert", "Benny", "Tongam", "Parlindungan",
        "Rudi", "Agus", "Teguh", "Surya", "Wahyu", "Yoga", "Doni", "Ferry"]
FEMALE = ["Siti", "Nur", "Dewi", "Sri", "Rina", "Fitri", "Indah", "Yanti", "Lestari", "Rahmawati", "Novita",
          "Ratna", "Mega", "Putri", "Ayu", "Nurhayati", "Elvi", "Maria", "Rosmawati", "Debora", "Sartika",
          "Juliana", "Wulan", "Intan", "Rafika", "Desi", "Melati", "Tiurma", "Kartini", "Anggraini"]
FAMILY = ["Siregar", "Nasution", "Harahap", "Lubis", "Sembiring", "Ginting", "Tarigan", "Sitepu",
          "Simanjuntak", "Hutapea", "Pane", "Daulay", "Batubara", "Pulungan", "Rangkuti", "Hasibuan",
          "Manurung", "Sinaga", "Purba", "Damanik", "Saragih", "Situmorang", "Pohan", "Matondang", "Rambe",
          "Tanjung", "Syahputra", "Pratama", "Hidayat", "Saputra", "Wijaya", "Kurniawan", "Setiawan",
          "Rahmadani", "Hasanah", "Marpaung", "Perangin-angin", "Bangun", "Karo-karo", "Surbakti"]
DEGREES = ["S.E.", "S.H.", "S.Kom.", "S.Sos.", "S.Pd.", "S.T.", "S.AP.", "S.Kep.", "A.Md.", "S.Si.", "M.Si.", "M.M."]

TARGET_TEMPLATES = [
    ("Tersusunnya laporan {x} yang tepat waktu", "laporan", 12, "kuantitas"),
    ("Meningkatnya kualitas layanan {x}", "%", 90, "kualitas"),
    ("Terlaksananya kegiatan {x} sesuai rencana", "kegiatan", 8, "kuantitas"),
    ("Terselesaikannya dokumen {x}", "dokumen", 24, "kuantitas"),
    ("Terkelolanya data {x} secara akurat", "%", 95, "kualitas"),
    ("Tertanganinya pengaduan {x}", "pengaduan", 30, "kuantitas"),
]
TOPICS = ["kepegawaian", "keuangan", "pelayanan publik", "perencanaan", "kesehatan masyarakat", "imunisasi",
          "administrasi kependudukan", "aset daerah", "pengawasan internal", "perizinan", "kebersihan kota",
          "program kerja", "monitoring dan evaluasi", "sistem informasi"]
COMMENTS = ["Pelayanan cepat dan ramah.", "Petugas sangat membantu, terima kasih.", "Antrian agak lama.",
            "Informasi persyaratan kurang jelas.", "Ruang tunggu bersih dan nyaman.",
            "Petugas menjelaskan prosedur dengan baik.", "Mohon ditambah loket pelayanan."]


class _Ids:
    """Explicit primary keys continuing after what the database already holds."""

    def __init__(self, session, *models):
        self.next = {m: (session.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def __call__(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def _nip(rng: random.Random, used: set[str], pppk: bool, senior: bool) -> str:
    while True:
        year = rng.randint(1966, 1980) if senior else rng.randint(1968, 1999)
        birth = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice("12")
        if pppk:
            appointed = f"{rng.randint(max(2021, year + 20), 2024)}21"
        else:
            tmt_year = min(2023, year + rng.randint(22, 32))
            appointed = f"{tmt_year}{rng.randint(1, 12):02d}"
        nip = f"{birth:%Y%m%d}{appointed}{sex}{rng.randint(1, 999):03d}"
        if nip not in used:
            used.add(nip)
            return nip


def _name(rng: random.Random, nip: str, prefix: str = "") -> str:
    female = nip[14] == "2"
    first = rng.choice(FEMALE if female else MALE)
    middle = rng.choice(FEMALE if female else MALE) if rng.random() < 0.3 else ""
    family = rng.choice(FAMILY)
    degree = rng.choice(DEGREES) if rng.random() < 0.8 else ""
    parts = [p for p in (prefix, first, middle, family) if p]
    name = " ".join(parts)
    return f"{name}, {degree}" if degree else name


def _distribute(total: int, weights: list[int], minimum: int) -> list[int]:
    base = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    wsum = sum(weights)
    extra = [rest * w // wsum for w in weights]
    for i in range(rest - sum(extra)):
        extra[i % len(extra)] += 1
    return [b + e for b, e in zip(base, extra)]


def reset_demo(session) -> None:
    """Delete everything but reference data and scoring schemes (children first)."""
    from .planning.demo import reset as reset_planning

    reset_planning(session)  # organisational performance and the RHK links (issue 17)
    for model in (Objection, ScoreDetail, ScoreResult, BehaviourRating, RaterAssignment, SpecialExpectation,
                  EvidenceFile, Realisation, TargetJudgement, Indicator, Target, WorkPlan, PublicFeedback,
                  PublicService, UnitRating, Period, AuditLog, User):
        session.execute(delete(model))
    session.execute(Employee.__table__.update().values(superior_id=None))
    session.execute(delete(Employee))
    session.execute(Position.__table__.update().values(parent_id=None))
    session.execute(delete(Position))
    session.execute(Unit.__table__.update().values(parent_id=None))
    session.execute(delete(Unit))


def _bulk(session, model, rows: list[dict], chunk: int = 5000) -> None:
    """Core insert of `rows`; an SKP's content takes its parent's period (models.base.with_periods)."""
    for i in range(0, len(rows), chunk):
        session.execute(insert(model), with_periods(session, model, rows[i:i + chunk]))


def _fix_sequences(session, models) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))


def build_demo(session, *, employees: int = 600, seed: int = 2026, password: str = "Binjai#2026",
               progress: Callable[[int], None] | None = None) -> str:
    rng = random.Random(seed)
    progress = progress or (lambda pct: None)
    now = utcnow()
    ids = _Ids(session, Unit, Position, Employee, User, Period, WorkPlan, Target, Indicator, Realisation,
               RaterAssignment, BehaviourRating, PublicService, PublicFeedback, UnitRating, AuditLog,
               TargetJudgement)

    kinds = {k.code: k for k in session.scalars(select(PositionKind))}
    ranks = {(r.employee_type, r.code): r.id for r in session.scalars(select(Rank))}
    scheme = session.scalar(select(ScoringScheme).where(ScoringScheme.code == DEMO_SCHEME))
    aspects = list(session.scalars(select(BehaviourAspect).where(BehaviourAspect.scheme_id == scheme.id)
                                   .order_by(BehaviourAspect.seq))) if scheme else []

    n_opd = max(2, min(len(OPDS), employees // 20))
    opds = OPDS[:n_opd]
    quotas = _distribute(employees, [o[3] for o in opds], minimum=5)

    units: list[dict] = []
    positions: list[dict] = []
    emps: list[dict] = []
    used_nips: set[str] = set()
    emp_meta: dict[int, dict] = {}  # id -> {opd, level, unit_id, kind}
    pns_by_level = {1: ["IV/c", "IV/d"], 2: ["IV/a", "IV/b"], 3: ["III/c", "III/d"],
                    4: ["III/a", "III/b", "III/c", "III/d"], 5: ["II/a", "II/b", "II/c", "II/d", "III/a", "III/b"]}

    def add_unit(code, name, kind, parent_id, public_facing=False):
        uid = ids(Unit)
        slug = code.lower() if parent_id is None else None
        units.append(dict(id=uid, code=code, name=name, kind=kind, parent_id=parent_id,
                          public_facing=public_facing, slug=slug, active=True, created_at=now, updated_at=now))
        return uid

    def add_employee(opd_code, unit_id, kind_code, title, parent_pos, superior_id, level):
        pos_id = ids(Position)
        kind = kinds[kind_code]
        positions.append(dict(id=pos_id, name=title, kind_id=kind.id, level=level, unit_id=unit_id,
                              parent_id=parent_pos, created_at=now, updated_at=now))
        pppk = level >= 4 and rng.random() < 0.12
        nip = _nip(rng, used_nips, pppk, senior=level <= 2)
        if pppk:
            rank_id = ranks[("PPPK", rng.choice(["V", "VII", "IX", "X"]))]
        else:
            rank_id = ranks[("PNS", rng.choice(pns_by_level[level]))]
        prefix = "dr." if ("Dokter" in title or (opd_code in ("DINKES", "RSUD") and level == 1)) else ""
        eid = ids(Employee)
        emps.append(dict(id=eid, nip=nip, name=_name(rng, nip, prefix), employee_type="PPPK" if pppk else "PNS",
                         rank_id=rank_id, position_id=pos_id, unit_id=unit_id, superior_id=superior_id,
                         email=None, active=True, created_at=now, updated_at=now))
        emp_meta[eid] = {"opd": opd_code, "level": level, "unit_id": unit_id, "kind": kind_code,
                         "structural": kind.structural}
        return eid, pos_id

    for (code, name, kind, _w, public, head_title, subs), quota in zip(opds, quotas):
        opd_id = add_unit(code, name, kind, None, public)
        kecamatan = kind == "Kecamatan"
        head_kind, head_level = ("ADMINISTRATOR", 2) if kecamatan else ("JPT", 1)
        title = f"{head_title} {name}" if head_title in ("Kepala", "Camat") else head_title
        head_id, head_pos = add_employee(code, opd_id, head_kind, title, None, None, head_level)
        remaining = quota - 1
        n_admin = 0 if kecamatan else min(len(subs), max(1, round(remaining / 15)))
        n_sup = min(2 * max(n_admin, 1) if not kecamatan else len(subs), max(1, round(remaining / 7)))
        n_sup = min(n_sup, max(remaining - n_admin - 1, 0)) if remaining > 2 else 0
        admins = []
        for i in range(n_admin):
            sub_id = add_unit(f"{code}-B{i + 1}", subs[i], "Bidang", opd_id)
            eid, pid = add_employee(code, sub_id, "ADMINISTRATOR", f"Kepala {subs[i]}"
                                    if subs[i].startswith("Bidang") else f"Kepala {subs[i]}", head_pos, head_id, 2)
            admins.append((eid, pid, sub_id))
        sups = []
        for i in range(n_sup):
            if admins:
                a_eid, a_pid, a_uid = admins[i % len(admins)]
                sec_name = f"Seksi {TOPICS[(i + len(code)) % len(TOPICS)].title()}"
                sec_id = add_unit(f"{code}-B{i % len(admins) + 1}-S{i // len(admins) + 1}", sec_name, "Seksi", a_uid)
                eid, pid = add_employee(code, sec_id, "PENGAWAS", f"Kepala {sec_name}", a_pid, a_eid, 3)
            else:
                sec_name = subs[i % len(subs)]
                sec_id = add_unit(f"{code}-S{i + 1}", sec_name, "Seksi", opd_id)
                eid, pid = add_employee(code, sec_id, "PENGAWAS", f"Kepala {sec_name}", head_pos, head_id, 3)
            sups.append((eid, pid, sec_id))
        n_staff = remaining - n_admin - n_sup
        leaders = sups or admins or [(head_id, head_pos, opd_id)]
        titles = STAFF_TITLES.get(code, GENERIC_STAFF)
        for i in range(n_staff):
            l_eid, l_pid, l_uid = leaders[i % len(leaders)]
            kind_code, title = titles[rng.randrange(len(titles))]
            level = 4 if kind_code == "FUNGSIONAL_AHLI" else 5
            add_employee(code, l_uid, kind_code, title, l_pid, l_eid, level)
    progress(15)

    _bulk(session, Unit, units)
    _bulk(session, Position, positions)
    # Insert employees top-down so each superior exists before its subordinates.
    _bulk(session, Employee, sorted(emps, key=lambda e: e["id"]))
    progress(25)

    by_id = {e["id"]: e for e in emps}
    subordinates: dict[int, list[int]] = defaultdict(list)
    for e in emps:
        if e["superior_id"]:
            subordinates[e["superior_id"]].append(e["id"])

    # --- demo users -------------------------------------------------------------------------
    dinkes_units = {u["id"] for u in units if u["code"].startswith("DINKES")}
    candidates = sorted(
        (e for e in emps if emp_meta[e["id"]]["level"] in (2, 3) and e["unit_id"] in dinkes_units),
        key=lambda e: (-len(subordinates[e["id"]]), e["id"]))
    if not candidates or len(subordinates[candidates[0]["id"]]) < 2:
        candidates = sorted(emps, key=lambda e: (-len(subordinates[e["id"]]), e["id"]))
    penilai = candidates[0]
    pegawai = by_id[sorted(subordinates[penilai["id"]])[0]]
    bkpsdm_staff = next((e for e in emps if emp_meta[e["id"]]["opd"] == "BKPSDM" and emp_meta[e["id"]]["level"] >= 4),
                        None)
    pw_hash = generate_password_hash(password)
    import secrets

    users = []
    for username, role, full_name, emp in [
        ("admin", "admin", "Administrator Sistem", None),
        ("operator", "operator", bkpsdm_staff["name"] if bkpsdm_staff else "Operator BKPSDM", bkpsdm_staff),
        ("inspektur", "inspektur", "Inspektur Pembantu (Inspektorat)", None),
        ("penilai", "penilai", penilai["name"], penilai),
        ("pegawai", "pegawai", pegawai["name"], pegawai),
    ]:
        users.append(dict(id=ids(User), username=username, role=role, full_name=full_name,
                          employee_id=emp["id"] if emp else None, password_hash=pw_hash, active=True,
                          session_token=secrets.token_hex(16), failed_logins=0, created_at=now, updated_at=now,
                          password_changed_at=now))
    _bulk(session, User, users)

    # --- periods ------------------------------------------------------------------------------
    p2025 = dict(id=ids(Period), code="2025", name="Penilaian Kinerja Tahun 2025", start_date=dt.date(2025, 1, 1),
                 end_date=dt.date(2025, 12, 31), status="assessing", scheme_id=scheme.id if scheme else None,
                 version=1, created_at=now, updated_at=now, planning_until=None, assessment_until=None)
    p2026 = dict(id=ids(Period), code="2026", name="Penilaian Kinerja Tahun 2026", start_date=dt.date(2026, 1, 1),
                 end_date=dt.date(2026, 12, 31), status="running", scheme_id=scheme.id if scheme else None,
                 version=1, created_at=now, updated_at=now,
                 # stage ends for deadline reminders (issue 18)
                 planning_until=dt.date(2026, 2, 28), assessment_until=dt.date(2027, 1, 31))
    _bulk(session, Period, [p2025, p2026])

    quality = {e["id"]: min(1.0, max(-1.0, rng.gauss(0.15, 0.35))) for e in emps}
    plans, targets, indicators, realisations = [], [], [], []

    def make_plan(period, emp, status, with_targets, realised, submitted_at=None):
        sup = emp["superior_id"]
        sup_sup = by_id[sup]["superior_id"] if sup else None
        pid = ids(WorkPlan)
        approved = status in ("approved", "realised", "assessed", "final")
        plans.append(dict(id=pid, period_id=period["id"], employee_id=emp["id"], rater_id=sup,
                          rater_superior_id=sup_sup, unit_id=emp["unit_id"], position_id=emp["position_id"],
                          status=status, return_reason="Target kuantitas belum terukur; mohon diperjelas."
                          if status == "returned" else None,
                          submitted_at=submitted_at if status != "draft" else None,
                          approved_at=submitted_at + dt.timedelta(days=3) if approved else None,
                          approved_by_id=None, hasil_rating=None, perilaku_rating=None,
                          innovation=rng.random() < 0.08 if realised else False, innovation_note=None,
                          feedback="Pertahankan kinerja, tingkatkan ketepatan waktu laporan." if realised else None,
                          version=1, created_at=now, updated_at=now))
        if not with_targets:
            return
        q = quality[emp["id"]]
        for seq in range(1, rng.randint(2, 3) + 1):
            tid = ids(Target)
            tmpl, unit_label, base, aspect = TARGET_TEMPLATES[rng.randrange(len(TARGET_TEMPLATES))]
            topic = TOPICS[rng.randrange(len(TOPICS))]
            targets.append(dict(id=tid, work_plan_id=pid, seq=seq, description=tmpl.format(x=topic),
                                parent_target_id=None, created_at=now, updated_at=now))
            specs = [(aspect, f"Jumlah/mutu {topic}", Decimal(base), unit_label, False)]
            if rng.random() < 0.6:
                specs.append(("waktu", f"Waktu penyelesaian {topic}", Decimal(12), "bulan", True))
            for asp, desc, tval, ulabel, lower in specs:
                iid = ids(Indicator)
                indicators.append(dict(id=iid, target_id=tid, aspect=asp, description=desc, target_value=tval,
                                       unit_label=ulabel, lower_is_better=lower, formula_code="capaian_iki",
                                       created_at=now, updated_at=now))
                if realised:
                    factor = 1 + q * 0.12 + rng.gauss(0, 0.06)
                    if lower:
                        factor = 2 - factor
                    value = max(Decimal(0), (tval * Decimal(str(round(factor, 3)))).quantize(Decimal("1")))
                    if ulabel == "%":
                        value = min(value, Decimal(100))
                    realisations.append(dict(
                        id=ids(Realisation), indicator_id=iid, value=value,
                        evidence_url=f"https://arsip.binjaikota.go.id/bukti/{iid}",
                        evidence_note="Laporan dan dokumentasi kegiatan terlampir.",
                        feedback=None, recorded_by_id=None, created_at=now, updated_at=now))

    sub_2025 = dt.datetime(2025, 1, 20, 9, 0)
    for e in emps:
        make_plan(p2025, e, "assessed", True, True, sub_2025)
    # 2025's raters have judged (PermenPANRB 6/2022), within their OPD's organisation rating curve
    org_rating = _org_ratings(units, seed)
    judgements = _judge_2025(plans, targets, quality, emps, units, org_rating, random.Random(seed * 7 + 2025), ids)
    progress(45)

    # 2026: varied states; the demo penilai has submitted plans to approve, the demo pegawai a draft.
    sub_2026 = dt.datetime(2026, 1, 22, 10, 0)
    states = ["draft"] * 20 + ["submitted"] * 30 + ["approved"] * 33 + ["returned"] * 5 + ["realised"] * 12
    for e in emps:
        if e["id"] == pegawai["id"]:
            status = "draft"
        elif e["superior_id"] == penilai["id"]:
            status = "submitted"
        else:
            status = rng.choice(states)
        make_plan(p2026, e, status, with_targets=status != "draft" or rng.random() < 0.5 or e is pegawai,
                  realised=status == "realised", submitted_at=sub_2026)
    _bulk(session, WorkPlan, plans)
    _bulk(session, Target, targets)
    _bulk(session, Indicator, indicators)
    _bulk(session, Realisation, realisations)
    _bulk(session, TargetJudgement, judgements)
    progress(65)

    # --- 360 ratings for 2025 --------------------------------------------------------------------
    assignments, ratings = [], []
    peers_by_key: dict[tuple, list[int]] = defaultdict(list)
    for e in emps:
        m = emp_meta[e["id"]]
        peers_by_key[(m["opd"], m["level"])].append(e["id"])
    lo, hi = (int(scheme.scale_min), int(scheme.scale_max)) if scheme else (1, 5)

    def add_assignment(ratee, rater, role):
        aid = ids(RaterAssignment)
        assignments.append(dict(id=aid, period_id=p2025["id"], ratee_id=ratee, rater_id=rater, role=role,
                                status="submitted", submitted_at=dt.datetime(2025, 12, 15, 10, 0),
                                created_at=now, updated_at=now))
        q = quality[ratee]
        bias = {"atasan": 0.0, "rekan": 0.2, "bawahan": 0.3, "diri": 0.6}.get(role, 0)
        mid = (lo + hi) / 2
        for a in aspects:
            value = round(mid + (q + bias) * (hi - mid) * 0.8 + rng.gauss(0, 0.5))
            ratings.append(dict(id=ids(BehaviourRating), assignment_id=aid, period_id=p2025["id"],
                                assignment_status="submitted", ratee_id=ratee, role=role, aspect_id=a.id,
                                value=Decimal(min(hi, max(lo, value))), comment=None, created_at=now,
                                updated_at=now))

    for e in emps:
        eid = e["id"]
        if e["superior_id"]:
            add_assignment(eid, e["superior_id"], "atasan")
        m = emp_meta[eid]
        group = sorted(peers_by_key[(m["opd"], m["level"])])
        if len(group) > 1:
            pos = group.index(eid)
            for k in range(1, min(3, len(group) - 1) + 1):
                add_assignment(eid, group[(pos + k) % len(group)], "rekan")
        for sub in sorted(subordinates[eid])[:4]:
            add_assignment(eid, sub, "bawahan")
    _bulk(session, RaterAssignment, assignments)
    _bulk(session, BehaviourRating, ratings)
    progress(85)

    # --- public services, feedback, organisation ratings ----------------------------------------
    services, feedback = [], []
    opd_units = {u["code"]: u for u in units if u["parent_id"] is None}
    for code, names in SERVICES.items():
        if code not in opd_units:
            continue
        for i, sname in enumerate(names, start=1):
            services.append(dict(id=ids(PublicService), unit_id=opd_units[code]["id"], name=sname,
                                 slug=f"{code.lower()}-{i}", active=True, created_at=now, updated_at=now))
    _bulk(session, PublicService, services)
    frontline = defaultdict(list)
    unit_to_opd = {}
    for u in units:
        root = u
        while root["parent_id"] is not None:
            root = next(x for x in units if x["id"] == root["parent_id"])
        unit_to_opd[u["id"]] = root["id"]
    for e in emps:
        if emp_meta[e["id"]]["level"] >= 4:
            frontline[unit_to_opd[e["unit_id"]]].append(e["id"])
    for u in opd_units.values():
        if not u["public_facing"]:
            continue
        unit_services = [s["id"] for s in services if s["unit_id"] == u["id"]] or [None]
        base = rng.uniform(2.7, 3.6)
        for _ in range(rng.randint(18, 30)):
            answers = {f"u{i}": min(4, max(1, round(rng.gauss(base, 0.55)))) for i in range(1, 10)}
            named = frontline[u["id"]] and rng.random() < 0.4
            feedback.append(dict(id=ids(PublicFeedback), period_id=p2025["id"], unit_id=u["id"],
                                 service_id=rng.choice(unit_services), **answers,
                                 employee_id=rng.choice(frontline[u["id"]]) if named else None,
                                 employee_score=min(4, max(1, round(rng.gauss(base, 0.6)))) if named else None,
                                 comment=rng.choice(COMMENTS) if rng.random() < 0.35 else None,
                                 comment_hidden=False, client_hash=None,
                                 created_at=dt.datetime(2025, rng.randint(2, 11), rng.randint(1, 28), 10, 0)))
    _bulk(session, PublicFeedback, feedback)
    _bulk(session, UnitRating, [dict(id=ids(UnitRating), period_id=p2025["id"], unit_id=u["id"],
                                     rating=org_rating[u["id"]]) for u in opd_units.values()])
    session.execute(insert(AuditLog), [dict(
        id=ids(AuditLog), at=now, user_id=None, username="sistem", action="demo", entity="period",
        entity_id=str(p2025["id"]), period_id=p2025["id"], changes={"employees": len(emps), "seed": seed},
        reason="Data demo dibuat")])
    _fix_sequences(session, [Unit, Position, Employee, User, Period, WorkPlan, Target, Indicator, Realisation,
                             RaterAssignment, BehaviourRating, PublicService, PublicFeedback, UnitRating, AuditLog,
                             TargetJudgement])
    planning = build_planning_story(session, seed=seed, now=now)
    # issue 18: quarterly evaluation windows of 2025 and 2026 (the instance setting's frequency)
    from .periodic import windows as periodic_windows
    from .settings import get_setting

    frequency = str(get_setting("period.evaluation_frequency", session=session))
    for p in (p2025, p2026):
        periodic_windows.generate(session, session.get(Period, p["id"]),
                                  frequency if frequency in periodic_windows.MONTHS_PER else "triwulanan")
    progress(100)
    return (f"Kota demo Binjai: {len(opd_units)} OPD, {len(units)} unit, {len(emps)} pegawai, "
            f"{len(plans)} SKP, {len(assignments)} penugasan penilai, {len(feedback)} umpan balik publik. "
            + planning).strip()


def build_planning_story(session, *, seed: int, now) -> str:
    """Issue 17: period 2024 (IKM before the recorded policy), every OPD's performance agreement and
    programs for 2024-2026, the SKPs of 2025 and 2026 cascading from them, two recorded policies
    (kinerja_admin.planning.demo). Runs after everything above; returns a summary line."""
    from .planning.demo import build

    return build(session, seed=seed, now=now)


# --- 2025: the raters' judgements ---------------------------------------------------------------------

# most OPDs Baik, some Istimewa, rarely Butuh Perbaikan
ORG_RATING_CHOICES = ["baik"] * 12 + ["istimewa"] * 4 + ["butuh_perbaikan"]
# Share of each predicate per organisation rating, best first (SB, B, BP, K, SK): a plausible city that
# keeps SE MenPANRB 3/2023's curve (istimewa: SB <= 70%; baik: B <= 70% and some BP or K; butuh perbaikan:
# SB <= 10% and BP >= 60%). Kurang and Sangat Kurang are rare everywhere.
PREDICATE_SHARES = {
    "istimewa": (0.30, 0.63, 0.05, 0.015, 0.005),
    "baik": (0.22, 0.69, 0.06, 0.02, 0.01),
    "butuh_perbaikan": (0.05, 0.30, 0.61, 0.03, 0.01),
}
# predicate -> (hasil, perilaku) choices of the PermenPANRB 6/2022 matrix, most usual first
CELLS = {
    "Sangat Baik": [("diatas", "diatas")],
    "Baik": [("sesuai", "sesuai")] * 6 + [("diatas", "sesuai")] * 2 + [("sesuai", "diatas")],
    "Butuh Perbaikan": [("dibawah", "sesuai")] * 4 + [("dibawah", "diatas")],
    "Kurang (Misconduct)": [("sesuai", "dibawah")] * 3 + [("diatas", "dibawah")],
    "Sangat Kurang": [("dibawah", "dibawah")],
}
ORDER = ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang (Misconduct)", "Sangat Kurang")
FEEDBACK = {
    "Sangat Baik": "Kinerja melampaui ekspektasi dan menjadi teladan; pertahankan dan bagikan praktik baiknya.",
    "Baik": "Kinerja sesuai ekspektasi; tingkatkan ketepatan waktu laporan.",
    "Butuh Perbaikan": "Beberapa hasil kerja belum tercapai; susun rencana perbaikan bersama atasan.",
    "Kurang (Misconduct)": "Perilaku kerja di bawah ekspektasi; perlu pembinaan.",
    "Sangat Kurang": "Hasil dan perilaku kerja di bawah ekspektasi; perlu pembinaan intensif.",
}
RHK_FEEDBACK = {"diatas": "Hasil melampaui target dengan bukti yang lengkap.",
                "sesuai": "Hasil sesuai target.", "dibawah": "Target belum tercapai; perlu perbaikan."}


def _org_ratings(units: list[dict], seed: int) -> dict[int, str]:
    """Organisation rating of each OPD (top-level unit) for 2025."""
    rng = random.Random(seed * 3 + 1)
    return {u["id"]: rng.choice(ORG_RATING_CHOICES) for u in units if u["parent_id"] is None}


def _quotas(n: int, shares) -> list[int]:
    """Whole numbers of employees per predicate (SB, B, BP, K, SK) summing to n, keeping the curve's caps."""
    sb = int(n * shares[0])
    bp, k, sk = (int(n * s + 0.5) for s in shares[2:])
    if shares[2] >= 0.5:  # butuh perbaikan units: at least 60% BP, rounded up
        bp = -(-n * 6 // 10)
    elif n >= 5 and bp + k == 0:  # baik units: at least one BP or K
        bp = 1
    b = max(0, n - sb - bp - k - sk)
    turn = 0
    while b > n * 0.7 and shares[1] < 0.7:  # Baik at most 70%: the best of the rest get Sangat Baik,
        if turn % 2 == 0:                    # the weakest Butuh Perbaikan, in turn
            sb += 1
        else:
            bp += 1
        b, turn = b - 1, turn + 1
    return [sb, b, bp, k, sk]


def _judge_2025(plans, targets, quality, emps, units, org_rating, rng, ids) -> list[dict]:
    """Set the rater's hasil and perilaku rating and feedback on every 2025 plan, and judge each RHK.
    Within each OPD the employees whose year went best (the same quality that drove their realisations
    and their 360 ratings) get the better predicates, in the shares their OPD's rating allows."""
    parent = {u["id"]: u["parent_id"] for u in units}

    def root(uid):
        while parent.get(uid) is not None:
            uid = parent[uid]
        return uid

    by_opd: dict[int, list[int]] = defaultdict(list)
    for e in emps:
        by_opd[root(e["unit_id"])].append(e["id"])
    predicate: dict[int, str] = {}
    for opd, members in by_opd.items():
        ranked = sorted(members, key=lambda eid: (-quality[eid], eid))
        start = 0
        for label, count in zip(ORDER, _quotas(len(ranked), PREDICATE_SHARES[org_rating[opd]])):
            for eid in ranked[start:start + count]:
                predicate[eid] = label
            start += count
    by_plan = defaultdict(list)
    for t in targets:
        by_plan[t["work_plan_id"]].append(t)
    rows = []
    for plan in plans:
        label = predicate[plan["employee_id"]]
        hasil, perilaku = rng.choice(CELLS[label])
        plan.update(hasil_rating=hasil, perilaku_rating=perilaku, feedback=FEEDBACK[label])
        for t in by_plan[plan["id"]]:
            category = hasil
            if rng.random() < 0.2:  # an RHK judged a step apart from the overall rating
                category = {"diatas": "sesuai", "sesuai": rng.choice(["diatas", "dibawah"]),
                            "dibawah": "sesuai"}[hasil]
            rows.append(dict(id=ids(TargetJudgement), target_id=t["id"], category=category,
                             feedback=RHK_FEEDBACK[category], recorded_by_id=None, version=1,
                             created_at=plan["created_at"], updated_at=plan["created_at"]))
    return rows
