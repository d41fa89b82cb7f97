"""The demo city's organisational performance, built after the appraisal demo (kinerja_admin.demo).

The story (the article the product started from): Dinas Kesehatan introduced the performance system
with cascaded SKPs at the start of 2025 (a recorded policy); public satisfaction with health services
rose significantly compared with 2024 and more patients were served to standard, while elsewhere
satisfaction did not change significantly.

* period ``2024``: closed, its organisational data published (Period.published_at), no SKPs (the
  system was not used yet), IKM responses for every public-facing OPD: Dinas Kesehatan's clearly
  lower than in 2025, every other OPD's with the same answers as its 2025 survey (element by element,
  shuffled between respondents, a few left out), so only Dinas Kesehatan changes;
* every OPD: a performance agreement with a strategic goal and its IKU, programs with kegiatan and
  sub kegiatan, indicators, quarterly realisations and budget, for 2024, 2025 and 2026;
* the SKPs of 2025 and 2026 cascade from them: the head's RHKs realise the OPD's indicators and
  every other RHK intervenes in an RHK of the superior's approved SKP (a few left unlinked outside
  Dinas Kesehatan, one OPD's support program without a head RHK: the alignment checks show them);
* two recorded policies: Dinas Kesehatan's (significant) and, where present, Dinas Pendidikan's
  online enrolment (not significant).

Rows are written with Core inserts and explicit ids, like the rest of the demo: fast at any size.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, insert, select, update

from models import (
    Employee,
    Indicator,
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    PolicyChange,
    Program,
    PublicFeedback,
    PublicService,
    Realisation,
    StrategicGoal,
    Target,
    TargetJudgement,
    Unit,
    WorkPlan,
)
from models.planning import policy_change_unit

APPROVED = ("approved", "realised", "assessed", "final")
YEARS = ("2024", "2025", "2026")
QUARTERS_DONE = {"2024": 4, "2025": 4, "2026": 3}
STORY_OPD = "DINKES"
CONTROL_POLICY_OPD = "DISDIK"

URUSAN = {"BKPSDM": "5.03", "DINKES": "1.02", "DISDIK": "1.01", "SETDA": "4.01", "SETWAN": "4.02",
          "INSPEKTORAT": "6.01", "BAPPEDA": "5.01", "BPKPAD": "5.02", "PUPR": "1.03", "PERKIM": "1.04",
          "SATPOLPP": "1.05", "DINSOS": "1.06", "DISDUKCAPIL": "2.12", "DISHUB": "2.15", "DISKOMINFO": "2.16",
          "DPMPTSP": "2.18", "DLH": "2.11", "DKPP": "2.09", "RSUD": "1.02"}
# OPD -> (program name, indicator, unit, target 2025, lower is better)
SUBSTANTIVE = {
    "BKPSDM": ("PROGRAM KEPEGAWAIAN DAERAH", "Persentase ASN yang SKP-nya dinilai tepat waktu", "%", 95, False),
    "DISDIK": ("PROGRAM PENGELOLAAN PENDIDIKAN", "Angka partisipasi murni SD/MI", "%", 98, False),
    "SETDA": ("PROGRAM PEMERINTAHAN DAN KESEJAHTERAAN RAKYAT",
              "Persentase rekomendasi kebijakan yang ditindaklanjuti", "%", 80, False),
    "SETWAN": ("PROGRAM DUKUNGAN PELAKSANAAN TUGAS DAN FUNGSI DPRD",
               "Persentase rancangan perda yang dibahas tepat waktu", "%", 90, False),
    "INSPEKTORAT": ("PROGRAM PENYELENGGARAAN PENGAWASAN",
                    "Persentase rekomendasi hasil pengawasan yang ditindaklanjuti", "%", 85, False),
    "BAPPEDA": ("PROGRAM PERENCANAAN, PENGENDALIAN DAN EVALUASI PEMBANGUNAN DAERAH",
                "Persentase keselarasan program RKPD dengan RPJMD", "%", 95, False),
    "BPKPAD": ("PROGRAM PENGELOLAAN PENDAPATAN DAERAH",
               "Persentase realisasi pendapatan asli daerah terhadap target", "%", 100, False),
    "PUPR": ("PROGRAM PENYELENGGARAAN JALAN", "Persentase panjang jalan kota dalam kondisi mantap", "%", 75, False),
    "PERKIM": ("PROGRAM KAWASAN PERMUKIMAN", "Luas kawasan kumuh yang ditangani", "ha", 12, False),
    "SATPOLPP": ("PROGRAM PENINGKATAN KETENTERAMAN DAN KETERTIBAN UMUM",
                 "Persentase gangguan ketenteraman dan ketertiban yang ditangani", "%", 90, False),
    "DINSOS": ("PROGRAM REHABILITASI SOSIAL", "Persentase PPKS yang tertangani", "%", 80, False),
    "DISDUKCAPIL": ("PROGRAM PENDAFTARAN PENDUDUK", "Persentase penduduk wajib KTP-el yang telah merekam", "%",
                    98, False),
    "DISHUB": ("PROGRAM PENYELENGGARAAN LALU LINTAS DAN ANGKUTAN JALAN",
               "Persentase fasilitas perlengkapan jalan dalam kondisi baik", "%", 85, False),
    "DISKOMINFO": ("PROGRAM APLIKASI INFORMATIKA", "Indeks SPBE", "indeks", 3, False),
    "DPMPTSP": ("PROGRAM PELAYANAN PENANAMAN MODAL", "Rata-rata waktu penyelesaian perizinan", "hari", 5, True),
    "DLH": ("PROGRAM PENGELOLAAN PERSAMPAHAN", "Persentase sampah yang tertangani", "%", 80, False),
    "DKPP": ("PROGRAM PENINGKATAN DIVERSIFIKASI DAN KETAHANAN PANGAN MASYARAKAT", "Skor pola pangan harapan",
             "skor", 88, False),
    "RSUD": ("PROGRAM PEMENUHAN UPAYA KESEHATAN PERORANGAN DAN UPAYA KESEHATAN MASYARAKAT",
             "Bed occupancy rate (BOR)", "%", 75, False),
}
KECAMATAN = ("PROGRAM PENYELENGGARAAN PEMERINTAHAN DAN PELAYANAN PUBLIK",
             "Persentase layanan administrasi kecamatan yang selesai tepat waktu", "%", 95, False)

# Dinas Kesehatan, by year: (target, realisation) of each indicator; the IKU's realisation is the IKM
DINKES = {
    "programs": [
        ("program", "1.02.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA", None),
        ("kegiatan", "1.02.01.2.01", "Perencanaan, Penganggaran, dan Evaluasi Kinerja Perangkat Daerah", "1.02.01"),
        ("subkegiatan", "1.02.01.2.01.0001", "Penyusunan Dokumen Perencanaan Perangkat Daerah", "1.02.01.2.01"),
        ("program", "1.02.02", "PROGRAM PEMENUHAN UPAYA KESEHATAN PERORANGAN DAN UPAYA KESEHATAN MASYARAKAT", None),
        ("kegiatan", "1.02.02.2.02", "Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan Tingkat Daerah "
                                     "Kabupaten/Kota", "1.02.02"),
        ("subkegiatan", "1.02.02.2.02.0001", "Pengelolaan Pelayanan Kesehatan Ibu Hamil", "1.02.02.2.02"),
        ("program", "1.02.03", "PROGRAM PENINGKATAN KAPASITAS SUMBER DAYA MANUSIA KESEHATAN", None),
        ("kegiatan", "1.02.03.2.02", "Perencanaan Kebutuhan dan Pendayagunaan Sumber Daya Manusia Kesehatan",
         "1.02.03"),
        ("subkegiatan", "1.02.03.2.02.0001", "Pengembangan Mutu dan Peningkatan Kompetensi Teknis Sumber Daya "
                                             "Manusia Kesehatan", "1.02.03.2.02"),
    ],
    # code, parent (goal code or program code), description, unit, lower, service index,
    # {year: (target, realisation or None = the IKM)}
    "indicators": [
        ("IKU-1", "SS1", "Indeks kepuasan masyarakat terhadap layanan kesehatan", "indeks", False, None,
         {"2024": (78, None), "2025": (80, None), "2026": (82, None)}),
        ("P-1.02.02", "1.02.02", "Persentase pasien puskesmas yang terlayani sesuai standar pelayanan minimal",
         "%", False, 0, {"2024": (85, "78.40"), "2025": (88, "92.10"), "2026": (90, "91.30")}),
        ("K-1.02.02.2.02", "1.02.02.2.02", "Jumlah kunjungan pasien yang terlayani di puskesmas", "orang", False, 0,
         {"2024": (48000, "44100"), "2025": (50000, "53800"), "2026": (52000, "41200")}),
        ("SK-1.02.02.2.02.0001", "1.02.02.2.02.0001", "Persentase ibu hamil yang mendapat pelayanan antenatal "
         "sesuai standar", "%", False, 1, {"2024": (95, "89.00"), "2025": (95, "96.50"), "2026": (96, "95.80")}),
        ("P-1.02.01", "1.02.01", "Persentase dokumen perencanaan dan laporan kinerja yang tepat waktu", "%", False,
         None, {"2024": (100, "90.00"), "2025": (100, "100.00"), "2026": (100, "100.00")}),
        ("P-1.02.03", "1.02.03", "Persentase tenaga kesehatan yang memenuhi standar kompetensi", "%", False, None,
         {"2024": (75, "70.00"), "2025": (80, "76.00"), "2026": (82, "79.50")}),
    ],
    "goal": "Meningkatnya derajat kesehatan masyarakat melalui pelayanan kesehatan yang bermutu",
}
# RHK wording below the head in Dinas Kesehatan, per indicator code and level under the head
DINKES_RHK = {
    "IKU-1": ["Meningkatnya mutu layanan kesehatan yang dirasakan masyarakat",
              "Tertanganinya pengaduan dan survei kepuasan layanan kesehatan",
              "Terlayaninya pasien dengan ramah dan tepat waktu"],
    "P-1.02.02": ["Terselenggaranya pelayanan kesehatan dasar sesuai standar",
                  "Terpantaunya mutu pelayanan puskesmas", "Terlayaninya pasien puskesmas sesuai standar pelayanan"],
    "K-1.02.02.2.02": ["Tersedianya layanan kesehatan perorangan dan masyarakat rujukan",
                       "Terkelolanya rujukan pasien dari puskesmas", "Tercatatnya kunjungan dan rujukan pasien"],
    "SK-1.02.02.2.02.0001": ["Terlaksananya pelayanan kesehatan ibu hamil", "Terpantaunya kunjungan antenatal",
                             "Terlayaninya pemeriksaan antenatal ibu hamil"],
    "P-1.02.01": ["Tersusunnya dokumen perencanaan dan laporan kinerja bidang",
                  "Terkelolanya administrasi dan keuangan seksi", "Tersusunnya laporan administrasi tepat waktu"],
    "P-1.02.03": ["Meningkatnya kompetensi tenaga kesehatan bidang", "Terlaksananya pelatihan tenaga kesehatan",
                  "Terikutinya pelatihan peningkatan kompetensi"],
}
YEAR_FACTOR = {"2024": 0.95, "2025": 1.0, "2026": 1.01}
TARGET_STEP = {"2024": Decimal("0.97"), "2025": Decimal(1), "2026": Decimal("1.02")}


class _Next:
    def __init__(self, session, *models):
        self.next = {m: (session.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def __call__(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def reset(session) -> None:
    """Remove the planning demo (before kinerja_admin.demo.reset_demo removes the rest)."""
    session.execute(update(Target).values(parent_target_id=None, org_indicator_id=None))
    session.execute(delete(OrgRealisation))
    session.execute(delete(OrgIndicator))
    session.execute(update(Program).values(parent_id=None))
    session.execute(delete(Program))
    session.execute(delete(StrategicGoal))
    session.execute(delete(PerformanceAgreement))
    session.execute(delete(policy_change_unit))
    session.execute(delete(PolicyChange))


def _d(value, places: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places))


def _rhk_text(description: str, lower: bool) -> str:
    word = "Menurunnya" if lower else "Meningkatnya"
    return f"{word} {description[0].lower()}{description[1:]}"


def build(session, *, seed: int, now: dt.datetime) -> str:
    from kinerja_admin.demo import _bulk, _fix_sequences

    rng = random.Random(seed * 7919 + 17)
    nxt = _Next(session, Period, PerformanceAgreement, StrategicGoal, Program, OrgIndicator, OrgRealisation,
                PublicFeedback, PolicyChange, Target, Indicator, Realisation, TargetJudgement)
    periods = {p.code: p for p in session.scalars(select(Period).where(Period.code.in_(YEARS[1:])))}
    if "2025" not in periods:
        return ""
    p2025 = periods["2025"]
    opds = list(session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)))
    units = {u.id: (u.parent_id, u.code) for u in session.scalars(select(Unit))}

    def opd_of(unit_id):
        while units[unit_id][0] is not None:
            unit_id = units[unit_id][0]
        return unit_id

    # --- period 2024 (before the system): closed, organisational data published ------------------
    p2024_id = nxt(Period)
    session.execute(insert(Period), [dict(
        id=p2024_id, code="2024", name="Penilaian Kinerja Tahun 2024", start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 12, 31), status="closed", scheme_id=p2025.scheme_id,
        published_at=dt.datetime(2025, 1, 20, 9, 0), version=1, created_at=now, updated_at=now)])
    period_ids = {"2024": p2024_id, **{code: p.id for code, p in periods.items()}}

    # --- 2024 IKM responses -----------------------------------------------------------------------
    cols = [f"u{i}" for i in range(1, 10)]
    by_unit = defaultdict(list)
    for row in session.execute(select(PublicFeedback.unit_id, PublicFeedback.service_id,
                                      *[getattr(PublicFeedback, c) for c in cols])
                               .where(PublicFeedback.period_id == p2025.id).order_by(PublicFeedback.id)):
        by_unit[row[0]].append(row)
    story_unit = next((u.id for u in opds if u.code == STORY_OPD), None)
    feedback = []

    def response(unit_id, service_id, answers, month):
        feedback.append(dict(id=nxt(PublicFeedback), period_id=p2024_id, unit_id=unit_id, service_id=service_id,
                             **dict(zip(cols, answers)), employee_id=None, employee_score=None, comment=None,
                             comment_hidden=False, client_hash=None,
                             created_at=dt.datetime(2024, month, rng.randint(1, 28), 10, 0)))

    for unit_id, rows in by_unit.items():
        if unit_id == story_unit:
            mean = sum(sum(r[2:]) for r in rows) / (9 * len(rows))
            base = max(1.6, mean - 0.45)
            for _ in range(len(rows) + rng.randint(4, 12)):
                answers = [min(4, max(1, round(rng.gauss(base, 0.55)))) for _ in cols]
                response(unit_id, rng.choice(rows)[1], answers, rng.randint(2, 11))
        else:
            columns = [[r[2 + i] for r in rows] for i in range(9)]
            for column in columns:
                rng.shuffle(column)
            keep = [i for i in range(len(rows)) if rng.random() > 0.1] or [0]
            for i in keep:
                response(unit_id, rows[i][1], [columns[e][i] for e in range(9)], rng.randint(2, 11))
    _bulk(session, PublicFeedback, feedback)

    def ikm(period_id, unit_id) -> Decimal | None:
        row = session.execute(select(func.count(PublicFeedback.id), *[func.sum(getattr(PublicFeedback, c))
                                                                       for c in cols])
                              .where(PublicFeedback.period_id == period_id, PublicFeedback.unit_id == unit_id)).one()
        if not row[0]:
            return None
        return _d(Decimal(sum(int(s) for s in row[1:])) * 25 / (Decimal(9) * row[0]))

    services = defaultdict(list)
    for sid, unit_id in session.execute(select(PublicService.id, PublicService.unit_id).order_by(PublicService.id)):
        services[opd_of(unit_id)].append(sid)

    # --- agreements, goals, programs, indicators, realisations per OPD and year ------------------------
    heads = {e_id: unit_id for e_id, unit_id in session.execute(
        select(Employee.id, Employee.unit_id).where(Employee.superior_id.is_(None)))}
    head_of_opd = {opd_of(u): e for e, u in heads.items()}
    agreements, goals, programs, indicators, reals = [], [], [], [], []
    head_links: dict[tuple[str, int], list[dict]] = {}  # (year, opd id) -> indicators the head's RHKs realise
    short_opd = [o for o in opds if o.code not in (STORY_OPD,)]
    gap_opd = short_opd[-1].id if len(short_opd) >= 2 else None  # its support program has no head RHK

    def add_indicator(year, opd, code, goal_id, program_id, desc, unit_label, lower, target, value, service_id,
                      quarters):
        iid = nxt(OrgIndicator)
        indicators.append(dict(id=iid, period_id=period_ids[year], unit_id=opd.id, goal_id=goal_id,
                               program_id=program_id, code=code, description=desc, unit_label=unit_label,
                               target_value=_d(target, "0.0001"), lower_is_better=lower, weight=None,
                               service_id=service_id, version=1, created_at=now, updated_at=now))
        if value is not None:
            value = Decimal(str(value))
            additive = unit_label in ("orang", "dokumen", "ha")
            for q in range(1, quarters + 1):
                if additive:
                    v = _d(value * q / 4)
                elif unit_label == "indeks" and code.startswith("IKU"):
                    if q < 4:
                        continue  # the survey is yearly: reported with the fourth quarter
                    v = value
                else:
                    v = _d(value * Decimal(str(0.96 + 0.01 * q)) if q < 4 else value)
                reals.append(dict(id=nxt(OrgRealisation), indicator_id=iid, quarter=q, value=v, evidence_url=None,
                                  note="Laporan capaian triwulan" if q < 4 else "Laporan kinerja tahunan (LKjIP)",
                                  recorded_by_id=None, version=1, created_at=now, updated_at=now))
        return {"id": iid, "code": code, "description": desc, "unit_label": unit_label, "lower": lower,
                "target": _d(target, "0.0001"), "value": value}

    def add_program(year, opd, level, code, name, parent_id, goal_id, ceiling=None):
        pid = nxt(Program)
        realised = _d(ceiling * Decimal(str(rng.uniform(0.84, 0.97))), "1") if ceiling is not None else None
        if year == "2026" and realised is not None:
            realised = _d(realised * Decimal("0.7"), "1")
        programs.append(dict(id=pid, period_id=period_ids[year], unit_id=opd.id, level=level, code=code, name=name,
                             parent_id=parent_id, goal_id=goal_id, budget_ceiling=ceiling, budget_realised=realised,
                             version=1, created_at=now, updated_at=now))
        return pid

    for year in YEARS:
        pid_year = period_ids[year]
        done = QUARTERS_DONE[year]
        for opd in opds:
            head = head_of_opd.get(opd.id)
            aid = nxt(PerformanceAgreement)
            agreements.append(dict(id=aid, period_id=pid_year, unit_id=opd.id, signed_on=dt.date(int(year), 1, 31),
                                   signatory_id=head, note=None, created_at=now, updated_at=now))
            gid = nxt(StrategicGoal)
            linked = []
            if opd.code == STORY_OPD:
                goals.append(dict(id=gid, agreement_id=aid, code="SS1", description=DINKES["goal"], created_at=now,
                                  updated_at=now))
                ids = {}
                for level, code, name, parent in DINKES["programs"]:
                    ceiling = _d(rng.uniform(400, 2500) * 1_000_000, "1") if level == "subkegiatan" else None
                    ids[code] = add_program(year, opd, level, code, name, ids.get(parent),
                                            gid if level == "program" else None, ceiling)
                for code, parent, desc, unit_label, lower, svc, by_year in DINKES["indicators"]:
                    target, value = by_year[year]
                    if value is None:
                        value = ikm(pid_year, opd.id)
                    service_id = services[opd.id][svc] if svc is not None and len(services[opd.id]) > svc else None
                    linked.append(add_indicator(
                        year, opd, code, gid if parent == "SS1" else None, None if parent == "SS1" else ids[parent],
                        desc, unit_label, lower, Decimal(target) * 1, value, service_id, done))
            else:
                u = "7.01" if opd.code.startswith("KEC-") else URUSAN.get(opd.code, "9.99")
                name, desc, unit_label, target, lower = KECAMATAN if opd.code.startswith("KEC-") else \
                    SUBSTANTIVE.get(opd.code, KECAMATAN)
                public = bool(opd.public_facing)
                goals.append(dict(id=gid, agreement_id=aid, code="SS1", created_at=now, updated_at=now,
                                  description=f"Meningkatnya kualitas pelayanan publik {opd.name}" if public
                                  else f"Meningkatnya akuntabilitas kinerja {opd.name}"))
                step = TARGET_STEP[year]
                if public:
                    iku_value = ikm(pid_year, opd.id)
                    iku = add_indicator(year, opd, "IKU-1", gid, None, f"Indeks kepuasan masyarakat terhadap layanan "
                                        f"{opd.name}", "indeks", False, _d(Decimal(78) * step, "1"), iku_value,
                                        services[opd.id][0] if services[opd.id] else None, done)
                else:
                    iku = add_indicator(year, opd, "IKU-1", gid, None, "Nilai evaluasi akuntabilitas kinerja (SAKIP)",
                                        "nilai", False, _d(Decimal(70) * step, "1"),
                                        _d(70 * YEAR_FACTOR[year] * rng.gauss(1.0, 0.05), "0.1"), None, done)
                support = add_program(year, opd, "program", f"{u}.01",
                                      "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA", None, gid)
                keg = add_program(year, opd, "kegiatan", f"{u}.01.2.01",
                                  "Perencanaan, Penganggaran, dan Evaluasi Kinerja Perangkat Daerah", support, None)
                add_program(year, opd, "subkegiatan", f"{u}.01.2.01.0001",
                            "Penyusunan Dokumen Perencanaan Perangkat Daerah", keg, None,
                            _d(rng.uniform(150, 600) * 1_000_000, "1"))
                main = add_program(year, opd, "program", f"{u}.02", name, None, gid)
                keg2 = add_program(year, opd, "kegiatan", f"{u}.02.2.01", f"Penyelenggaraan {name.title()[8:]}",
                                   main, None)
                add_program(year, opd, "subkegiatan", f"{u}.02.2.01.0001", f"Pelaksanaan {name.title()[8:]}", keg2,
                            None, _d(rng.uniform(300, 2000) * 1_000_000, "1"))
                sup_value = _d(min(100, 100 * YEAR_FACTOR[year] * rng.gauss(1.0, 0.03)), "0.01")
                sup = add_indicator(year, opd, f"P-{u}.01", None, support,
                                    "Persentase dokumen perencanaan dan laporan kinerja yang tepat waktu", "%", False,
                                    100, sup_value, None, done)
                factor = YEAR_FACTOR[year] * rng.gauss(1.0, 0.06)
                if lower:
                    factor = 2 - factor
                t = Decimal(str(target)) * step
                value = t * Decimal(str(round(factor, 3)))
                if unit_label == "%":
                    value = min(value, Decimal(100))
                mainind = add_indicator(year, opd, f"P-{u}.02", None, main, desc, unit_label, lower, _d(t, "0.01"),
                                        _d(value, "0.01"), None, done)
                linked = [iku, mainind] if opd.id == gap_opd else [iku, mainind, sup]
            head_links[(year, opd.id)] = linked
    # program budgets: the sum of their sub kegiatan
    by_id = {p["id"]: p for p in programs}
    for p in programs:
        if p["level"] == "subkegiatan" and p["budget_ceiling"] is not None:
            node = by_id.get(p["parent_id"])
            while node is not None:
                node["budget_ceiling"] = (node["budget_ceiling"] or 0) + p["budget_ceiling"]
                node["budget_realised"] = (node["budget_realised"] or 0) + p["budget_realised"]
                node = by_id.get(node["parent_id"])
    _bulk(session, PerformanceAgreement, agreements)
    _bulk(session, StrategicGoal, goals)
    for level in ("program", "kegiatan", "subkegiatan"):
        _bulk(session, Program, [p for p in programs if p["level"] == level])
    _bulk(session, OrgIndicator, indicators)
    _bulk(session, OrgRealisation, reals)

    # --- the cascade of the SKPs of 2025 and 2026 ---------------------------------------------------------
    n_links = 0
    for year in ("2025", "2026"):
        if year not in periods:
            continue
        n_links += _cascade(session, rng, nxt, now, periods[year], year, head_links, opd_of, story_unit)

    # --- recorded policies ---------------------------------------------------------------------------
    policies, policy_units = [], []
    by_code = {o.code: o for o in opds}
    if STORY_OPD in by_code:
        pid = nxt(PolicyChange)
        policies.append(dict(id=pid, name="Penerapan e-Kinerja dan SKP berjenjang di Dinas Kesehatan", kind="program",
                             effective_date=dt.date(2025, 1, 2), baseline_period_id=p2024_id,
                             comparison_period_id=p2025.id, created_at=now, updated_at=now,
                             description="Sejak Januari 2025 setiap pegawai Dinas Kesehatan menyusun SKP yang "
                                         "diturunkan dari perjanjian kinerja dan program dinas, dinilai berkala "
                                         "oleh atasan, rekan kerja dan masyarakat."))
        policy_units.append(dict(policy_change_id=pid, unit_id=by_code[STORY_OPD].id))
    if CONTROL_POLICY_OPD in by_code:
        pid = nxt(PolicyChange)
        policies.append(dict(id=pid, name="Pendaftaran peserta didik baru secara daring", kind="kebijakan",
                             effective_date=dt.date(2025, 3, 1), baseline_period_id=p2024_id,
                             comparison_period_id=p2025.id, created_at=now, updated_at=now,
                             description="Pendaftaran sekolah dasar dan menengah pertama dipindah ke layanan daring."))
        policy_units.append(dict(policy_change_id=pid, unit_id=by_code[CONTROL_POLICY_OPD].id))
    _bulk(session, PolicyChange, policies)
    if policy_units:
        session.execute(insert(policy_change_unit), policy_units)
    _fix_sequences(session, [Period, PerformanceAgreement, StrategicGoal, Program, OrgIndicator, OrgRealisation,
                             PublicFeedback, PolicyChange, Target, Indicator, Realisation, TargetJudgement])
    return (f"Kinerja organisasi: {len(agreements)} perjanjian kinerja, {len(programs)} program/kegiatan, "
            f"{len(indicators)} indikator, {n_links} RHK terhubung, {len(feedback)} respons IKM 2024, "
            f"{len(policies)} kebijakan tercatat.")


def _cascade(session, rng, nxt, now, period: Period, year: str, head_links, opd_of, story_unit) -> int:
    """Link the period's RHKs: heads to their OPD's indicators (their RHKs rewritten to match), every
    other RHK to an RHK of the rater's plan when that plan is approved. Returns the number of links."""
    from kinerja_admin.demo import RHK_FEEDBACK, _bulk

    plans = {pid: (emp, rater, unit, status) for pid, emp, rater, unit, status in session.execute(
        select(WorkPlan.id, WorkPlan.employee_id, WorkPlan.rater_id, WorkPlan.unit_id, WorkPlan.status)
        .where(WorkPlan.period_id == period.id))}
    plan_of_emp = {emp: pid for pid, (emp, _r, _u, _s) in plans.items()}
    targets = defaultdict(list)
    for tid, plan_id, _seq in session.execute(
            select(Target.id, Target.work_plan_id, Target.seq).join(WorkPlan, WorkPlan.id == Target.work_plan_id)
            .where(WorkPlan.period_id == period.id).order_by(Target.work_plan_id, Target.seq)):
        targets[plan_id].append(tid)

    # heads: their RHKs replaced by one RHK per indicator they realise
    emp_unit = dict(session.execute(select(Employee.id, Employee.unit_id)).all())
    head_plans = [pid for pid, (_e, rater, unit, _s) in plans.items()
                  if rater is None or opd_of(unit) != opd_of(emp_unit[rater])]
    old = [t for pid in head_plans for t in targets[pid]]
    if old:
        ind_ids = select(Indicator.id).where(Indicator.target_id.in_(old))
        session.execute(delete(Realisation).where(Realisation.indicator_id.in_(ind_ids)))
        session.execute(delete(Indicator).where(Indicator.target_id.in_(old)))
        session.execute(update(Target).where(Target.parent_target_id.in_(old)).values(parent_target_id=None))
        session.execute(delete(Target).where(Target.id.in_(old)))
    new_targets, new_inds, new_reals = [], [], []
    root_code: dict[int, str] = {}
    for pid in head_plans:
        _e, _r, unit, status = plans[pid]
        targets[pid] = []
        for seq, link in enumerate(head_links.get((year, opd_of(unit)), []), start=1):
            tid, iid = nxt(Target), nxt(Indicator)
            targets[pid].append(tid)
            root_code[tid] = link["code"]
            new_targets.append(dict(id=tid, work_plan_id=pid, seq=seq, description=_rhk_text(link["description"],
                                                                                                  link["lower"]),
                                    parent_target_id=None, org_indicator_id=link["id"], created_at=now,
                                    updated_at=now))
            new_inds.append(dict(id=iid, target_id=tid, aspect="kuantitas", description=link["description"],
                                 target_value=link["target"], unit_label=link["unit_label"],
                                 lower_is_better=link["lower"], formula_code="capaian_iki", created_at=now,
                                 updated_at=now))
            if link["value"] is not None and (year == "2025" or status in ("realised", "assessed", "final")):
                new_reals.append(dict(id=nxt(Realisation), indicator_id=iid, value=link["value"],
                                      evidence_url=None, evidence_note="Laporan kinerja perangkat daerah (LKjIP).",
                                      feedback=None, recorded_by_id=None, created_at=now, updated_at=now))
    _bulk(session, Target, new_targets)
    _bulk(session, Indicator, new_inds)
    _bulk(session, Realisation, new_reals)
    # a head whose rater already judged the year keeps a judgement on each rewritten RHK (the overall one)
    judged = dict(session.execute(select(WorkPlan.id, WorkPlan.hasil_rating).where(
        WorkPlan.id.in_(head_plans), WorkPlan.hasil_rating.is_not(None))).all()) if head_plans else {}
    _bulk(session, TargetJudgement, [
        dict(id=nxt(TargetJudgement), target_id=t["id"], category=judged[t["work_plan_id"]],
             feedback=RHK_FEEDBACK[judged[t["work_plan_id"]]], recorded_by_id=None, version=1, created_at=now,
             updated_at=now)
        for t in new_targets if t["work_plan_id"] in judged])

    # everyone else: round-robin over the superior's RHKs, top-down so each chain reaches its root
    updates = []
    depth: dict[int, int] = {}
    for tid in root_code:
        depth[tid] = 0
    order = sorted(plans, key=lambda pid: _level(plans, plan_of_emp, pid))
    for pid in order:
        emp, rater, unit, status = plans[pid]
        if pid in head_plans or rater is None:
            continue
        sup_plan = plan_of_emp.get(rater)
        if sup_plan is None or plans[sup_plan][3] not in APPROVED or not targets.get(sup_plan):
            continue
        in_story = opd_of(unit) == story_unit
        if year == "2026" and status == "draft" and rng.random() < 0.5:
            continue
        parents = targets[sup_plan]
        offset = rng.randrange(len(parents))
        for k, tid in enumerate(targets[pid]):
            if not in_story and year == "2025" and rng.random() < 0.03:
                continue  # a few RHKs left unlinked: the alignment check finds them
            parent = parents[(k + offset) % len(parents)]
            row = {"tid": tid, "parent": parent}
            if parent in root_code:
                root_code[tid] = root_code[parent]
                depth[tid] = depth[parent] + 1
                if in_story and root_code[tid] in DINKES_RHK:
                    phrases = DINKES_RHK[root_code[tid]]
                    row["description"] = phrases[min(depth[tid], len(phrases)) - 1]
            updates.append(row)
    plain = [r for r in updates if "description" not in r]
    worded = [r for r in updates if "description" in r]
    table = Target.__table__
    if plain:
        session.execute(table.update().where(table.c.id == bindparam("tid"))
                        .values(parent_target_id=bindparam("parent")), plain)
    if worded:
        session.execute(table.update().where(table.c.id == bindparam("tid"))
                        .values(parent_target_id=bindparam("parent"), description=bindparam("description")), worded)
    return len(updates) + len(new_targets)


def _level(plans, plan_of_emp, pid) -> int:
    """How many raters lie above the plan's employee (0 for the head)."""
    _emp, rater, _u, _s = plans[pid]
    level, seen = 0, set()
    while rater is not None and rater not in seen:
        seen.add(rater)
        sup = plan_of_emp.get(rater)
        if sup is None:
            break
        level += 1
        rater = plans[sup][1]
    return level
