"""Reference data seeded by `flask kinerja init` (idempotent: inserts what is missing, never
overwrites what an operator edited)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from models import GuidePage, IkmBand, IkmElement, PositionKind, Rank, Setting, db

from .guide_content import GUIDE_PAGES
from .scoring.presets import seed_presets
from .settings import DEFAULT_SETTINGS

PNS_RANKS = [
    ("I/a", "Juru Muda"), ("I/b", "Juru Muda Tingkat I"), ("I/c", "Juru"), ("I/d", "Juru Tingkat I"),
    ("II/a", "Pengatur Muda"), ("II/b", "Pengatur Muda Tingkat I"), ("II/c", "Pengatur"),
    ("II/d", "Pengatur Tingkat I"), ("III/a", "Penata Muda"), ("III/b", "Penata Muda Tingkat I"),
    ("III/c", "Penata"), ("III/d", "Penata Tingkat I"), ("IV/a", "Pembina"),
    ("IV/b", "Pembina Tingkat I"), ("IV/c", "Pembina Utama Muda"), ("IV/d", "Pembina Utama Madya"),
    ("IV/e", "Pembina Utama"),
]
PPPK_GRADES = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
               "XIV", "XV", "XVI", "XVII"]

# code, name, level (1 highest), structural
POSITION_KINDS = [
    ("JPT", "Jabatan Pimpinan Tinggi", 1, True),
    ("ADMINISTRATOR", "Administrator", 2, True),
    ("PENGAWAS", "Pengawas", 3, True),
    ("FUNGSIONAL_AHLI", "Fungsional Ahli", 4, False),
    ("FUNGSIONAL_TERAMPIL", "Fungsional Keterampilan", 5, False),
    ("PELAKSANA", "Pelaksana", 5, False),
]

IKM_ELEMENTS = [
    ("U1", "Persyaratan", "Bagaimana kesesuaian persyaratan pelayanan dengan jenis pelayanannya?"),
    ("U2", "Prosedur", "Bagaimana kemudahan prosedur pelayanan di unit ini?"),
    ("U3", "Waktu penyelesaian", "Bagaimana kecepatan waktu dalam memberikan pelayanan?"),
    ("U4", "Biaya/tarif", "Bagaimana kewajaran biaya/tarif dalam pelayanan?"),
    ("U5", "Produk layanan", "Bagaimana kesesuaian produk pelayanan dengan yang tercantum dalam standar?"),
    ("U6", "Kompetensi pelaksana", "Bagaimana kompetensi/kemampuan petugas dalam pelayanan?"),
    ("U7", "Perilaku pelaksana", "Bagaimana perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?"),
    ("U8", "Sarana dan prasarana", "Bagaimana kualitas sarana dan prasarana?"),
    ("U9", "Penanganan pengaduan", "Bagaimana penanganan pengaduan pengguna layanan?"),
]
IKM_BANDS = [
    ("88.31", "100.00", "A", "Sangat Baik"),
    ("76.61", "88.30", "B", "Baik"),
    ("65.00", "76.60", "C", "Kurang Baik"),
    ("25.00", "64.99", "D", "Tidak Baik"),
]


def seed_reference(session=None) -> dict[str, int]:
    """Insert missing reference rows; return how many rows of each kind were added."""
    session = session or db.session
    added: dict[str, int] = {}

    have = {(r.employee_type, r.code) for r in session.scalars(select(Rank))}
    n = 0
    for i, (code, name) in enumerate(PNS_RANKS, start=1):
        if ("PNS", code) not in have:
            session.add(Rank(employee_type="PNS", code=code, name=name, order=i))
            n += 1
    for i, code in enumerate(PPPK_GRADES, start=1):
        if ("PPPK", code) not in have:
            session.add(Rank(employee_type="PPPK", code=code, name="", order=i))
            n += 1
    added["rank"] = n

    have_kinds = set(session.scalars(select(PositionKind.code)))
    new = [PositionKind(code=c, name=nm, level=lv, structural=st)
           for c, nm, lv, st in POSITION_KINDS if c not in have_kinds]
    session.add_all(new)
    added["position_kind"] = len(new)

    have_settings = set(session.scalars(select(Setting.key)))
    new = [Setting(key=k, value=v, value_type=t, description=d)
           for k, v, t, d in DEFAULT_SETTINGS if k not in have_settings]
    session.add_all(new)
    added["setting"] = len(new)

    have_el = set(session.scalars(select(IkmElement.code)))
    new = [IkmElement(code=c, name=nm, question=q, seq=i)
           for i, (c, nm, q) in enumerate(IKM_ELEMENTS, start=1) if c not in have_el]
    session.add_all(new)
    added["ikm_element"] = len(new)

    if session.scalar(select(IkmBand.id).limit(1)) is None:
        session.add_all(IkmBand(lower=Decimal(lo), upper=Decimal(hi), letter=le, label=la)
                        for lo, hi, le, la in IKM_BANDS)
        added["ikm_band"] = len(IKM_BANDS)

    have_pages = set(session.scalars(select(GuidePage.slug)))
    new = [GuidePage(slug=slug, title=title, audience=audience, public=public, seq=seq, body=body)
           for slug, title, audience, public, seq, body in GUIDE_PAGES if slug not in have_pages]
    session.add_all(new)
    added["guide_page"] = len(new)

    added["scoring_scheme"] = seed_presets(session)
    session.flush()
    return added
