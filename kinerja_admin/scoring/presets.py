"""The three regulation presets as rows of the rule tables (DOMAIN.md). Seeded by `init`,
locked (operators clone a preset and edit the clone).

Every rule value carries its provenance (DOMAIN.md "Provenance of seeded values"): ``regulasi`` with
the regulation named, ``praktik`` with whose practice, or ``bawaan`` (our default). Values marked
"(verify)" in DOMAIN.md keep the regulation as source with a note that they need verification;
thresholds and 360 weights that no regulation sets are our default, never the regulation."""
from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select

from models import (
    AchievementBand,
    BehaviourAspect,
    CategoryThreshold,
    ComponentWeight,
    DistributionRule,
    PredicateBand,
    PredicateMatrixCell,
    RaterRoleWeight,
    SchemeFormula,
    ScoringScheme,
)

PP46_ASPECTS = [
    ("orientasi_pelayanan", "Orientasi Pelayanan", False),
    ("integritas", "Integritas", False),
    ("komitmen", "Komitmen", False),
    ("disiplin", "Disiplin", False),
    ("kerja_sama", "Kerja Sama", False),
    ("kepemimpinan", "Kepemimpinan", True),
]
PP30_ASPECTS = [
    ("orientasi_pelayanan", "Orientasi Pelayanan", False),
    ("komitmen", "Komitmen", False),
    ("inisiatif_kerja", "Inisiatif Kerja", False),
    ("kerja_sama", "Kerja Sama", False),
    ("kepemimpinan", "Kepemimpinan", True),
]
BERAKHLAK = [
    ("berorientasi_pelayanan", "Berorientasi Pelayanan", [
        "Memahami dan memenuhi kebutuhan masyarakat",
        "Ramah, cekatan, solutif, dan dapat diandalkan",
        "Melakukan perbaikan tiada henti",
    ]),
    ("akuntabel", "Akuntabel", [
        "Melaksanakan tugas dengan jujur, bertanggung jawab, cermat, disiplin, dan berintegritas tinggi",
        "Menggunakan kekayaan dan barang milik negara secara bertanggung jawab, efektif, dan efisien",
        "Tidak menyalahgunakan kewenangan jabatan",
    ]),
    ("kompeten", "Kompeten", [
        "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu berubah",
        "Membantu orang lain belajar",
        "Melaksanakan tugas dengan kualitas terbaik",
    ]),
    ("harmonis", "Harmonis", [
        "Menghargai setiap orang apa pun latar belakangnya",
        "Suka menolong orang lain",
        "Membangun lingkungan kerja yang kondusif",
    ]),
    ("loyal", "Loyal", [
        "Memegang teguh ideologi Pancasila, UUD 1945, setia kepada NKRI serta pemerintahan yang sah",
        "Menjaga nama baik sesama ASN, pimpinan, instansi, dan negara",
        "Menjaga rahasia jabatan dan negara",
    ]),
    ("adaptif", "Adaptif", [
        "Cepat menyesuaikan diri menghadapi perubahan",
        "Terus berinovasi dan mengembangkan kreativitas",
        "Bertindak proaktif",
    ]),
    ("kolaboratif", "Kolaboratif", [
        "Memberi kesempatan kepada berbagai pihak untuk berkontribusi",
        "Terbuka dalam bekerja sama untuk menghasilkan nilai tambah",
        "Menggerakkan pemanfaatan berbagai sumber daya untuk tujuan bersama",
    ]),
]

# PermenPANRB 8/2021 capaian IKI -> value: (lower, upper, value_from, value_to, span_to)
CAPAIAN_BANDS = [
    ("0", "60", "0", "49", "59"),        # 0-59%:  c/59*49
    ("60", "80", "50", "69", "79"),      # 60-79%: 50 + 19/19*(c-60)
    ("80", "100", "70", "89", "99"),     # 80-99%: 70 + 19/19*(c-80)  (98% -> 88)
    ("100", "101", "109", None, None),   # 100%:   109 (verify)
    ("101", "110", "110", "120", "110"),  # 101-110%: 110..120 (verify)
    ("110", None, "120", None, None),    # >110%:  120
]

PP46_BANDS = [("91", None, "Sangat Baik"), ("76", "91", "Baik"), ("61", "76", "Cukup"),
              ("51", "61", "Kurang"), ("0", "51", "Buruk")]
# (lower, upper, label, requires_innovation, priority)
PP30_BANDS = [("110", None, "Sangat Baik", True, 1), ("90", None, "Baik", False, 0),
              ("70", "90", "Cukup", False, 0), ("50", "70", "Kurang", False, 0),
              ("0", "50", "Sangat Kurang", False, 0)]

MATRIX = {  # (hasil, perilaku) -> predikat
    ("dibawah", "diatas"): "Butuh Perbaikan", ("sesuai", "diatas"): "Baik", ("diatas", "diatas"): "Sangat Baik",
    ("dibawah", "sesuai"): "Butuh Perbaikan", ("sesuai", "sesuai"): "Baik", ("diatas", "sesuai"): "Baik",
    ("dibawah", "dibawah"): "Sangat Kurang", ("sesuai", "dibawah"): "Kurang (Misconduct)",
    ("diatas", "dibawah"): "Kurang (Misconduct)",
}
BP_K = "Butuh Perbaikan|Kurang (Misconduct)"

# What each point of the behaviour rating scale means, shown on the rating form. Our default: the
# regulations set no numeric behaviour scale for 360 raters (PermenPANRB 6/2022 has the superior judge
# qualitatively); PP 46/2011 and PP 30/2019 schemes reuse their own predicate bands.
SCALE_1_5 = "\n".join([
    "1 = Sangat kurang: perilaku ini hampir tidak pernah ditunjukkan",
    "2 = Kurang: perilaku ini jarang ditunjukkan, perlu banyak perbaikan",
    "3 = Sesuai ekspektasi: perilaku ini ditunjukkan sebagaimana diharapkan",
    "4 = Baik: perilaku ini sering ditunjukkan, di atas yang diharapkan",
    "5 = Sangat baik: perilaku ini selalu ditunjukkan dan menjadi teladan bagi orang lain",
])
SCALE_PP46 = "\n".join(f"{lo} = {label}" for lo, _up, label in reversed(PP46_BANDS))
SCALE_PP30 = "\n".join(["0 = Sangat kurang", "50 = Kurang", "70 = Cukup", "90 = Baik", "110 = Sangat baik"])
# SE MenPANRB 3/2023: (org_rating, predicates, min_pct, max_pct, min_count)
DISTRIBUTION = [
    ("istimewa", "Sangat Baik", None, "70", None),
    ("baik", "Baik", None, "70", None),
    ("baik", BP_K, None, None, 1),
    ("butuh_perbaikan", "Sangat Baik", None, "10", None),
    ("butuh_perbaikan", "Butuh Perbaikan", "60", None, None),
    ("kurang", "Sangat Baik", None, "10", None),
    ("kurang", "Butuh Perbaikan", "10", None, None),
    ("kurang", "Kurang (Misconduct)", "60", None, None),
    ("sangat_kurang", "Sangat Baik", None, "0", None),
    ("sangat_kurang", BP_K, "10", None, None),
    ("sangat_kurang", "Sangat Kurang", "60", None, None),
]


def _d(v):
    return None if v is None else D(v)


REG = "regulasi"
PRACTICE = "praktik"
DEFAULT = "bawaan"
PP46 = "PP 46/2011"
PP30 = "PP 30/2019; PermenPANRB 8/2021"
P8 = "PermenPANRB 8/2021"
VERIFY = " (nilai perlu diverifikasi)"
MISSING_NOTE = ("Bacaan kami: regulasi menilai setiap sasaran, maka indikator tanpa realisasi bernilai 0; perilaku "
                "dinilai pejabat penilai, maka tanpa penilaian atasan nilai perilaku tidak dihitung")
ROUNDING_NOTE = "Regulasi tidak mengatur pembulatan sebelum predikat; pengaturan skema"


def _src(rows, kind: str, note: str | None = None):
    for row in rows:
        row.source, row.source_note = kind, note
    return rows


def _scheme_sources(s: ScoringScheme, scale: tuple[str, str | None]) -> None:
    s.rounding_source, s.rounding_source_note = DEFAULT, ROUNDING_NOTE
    s.missing_source, s.missing_source_note = DEFAULT, MISSING_NOTE
    s.scale_source, s.scale_source_note = scale


# capaian bands DOMAIN.md marks "(verify)": 100% -> 109 and 101-110% -> 110..120
CAPAIAN_VERIFY = {"100", "101"}


def _capaian(scheme: ScoringScheme, note: str = P8) -> None:
    for aspect in ("kuantitas", "kualitas", "waktu", "biaya"):
        scheme.formulas.append(SchemeFormula(aspect=aspect, formula_code="capaian_iki", is_default=True,
                                             source=REG, source_note=note))
    for lo, up, vf, vt, span in CAPAIAN_BANDS:
        scheme.achievement_bands.append(
            AchievementBand(lower=D(lo), upper=_d(up), value_from=D(vf), value_to=_d(vt), span_to=_d(span),
                            source=REG, source_note=note + (VERIFY if lo in CAPAIAN_VERIFY else ""))
        )


def build_pp46() -> ScoringScheme:
    s = ScoringScheme(code="PP46-2011", name="PP 46/2011 (SKP 60% + Perilaku 40%)", kind="numeric",
                      regulation="PP 46 Tahun 2011", scale_min=D(0), scale_max=D(100), rating_decider="ambang",
                      scale_meanings=SCALE_PP46)
    s.component_weights = _src([ComponentWeight(component="skp", weight=D(60)),
                                ComponentWeight(component="perilaku", weight=D(40))], REG, PP46)
    s.rater_weights = _src([RaterRoleWeight(role="atasan", weight=D(100))], REG,
                           PP46 + ": perilaku dinilai pejabat penilai")
    s.aspects = _src([BehaviourAspect(code=c, name=n, weight=D(1), seq=i, structural_only=st)
                      for i, (c, n, st) in enumerate(PP46_ASPECTS, start=1)], REG,
                     PP46 + ": rerata aspek; kepemimpinan hanya untuk jabatan struktural")
    s.formulas = _src([SchemeFormula(aspect=a, formula_code=f"pp46_{a}", is_default=True)
                       for a in ("kuantitas", "kualitas", "waktu", "biaya")], REG, PP46)
    s.predicate_bands = _src([PredicateBand(lower=D(lo), upper=_d(up), label=lab) for lo, up, lab in PP46_BANDS],
                             REG, PP46)
    _scheme_sources(s, (REG, PP46 + ": nilai perilaku 0-100"))
    return s


# predicate bands DOMAIN.md marks "(verify)"
PP30_BANDS_VERIFY = {"Kurang", "Sangat Kurang"}


def _build_pp30(code: str, name: str, skp: int, beh: int, raters: dict[str, tuple[int, str, str]]) -> ScoringScheme:
    s = ScoringScheme(code=code, name=name, kind="numeric", regulation="PP 30 Tahun 2019; PermenPANRB 8/2021",
                      scale_min=D(0), scale_max=D(120), rating_decider="ambang", scale_meanings=SCALE_PP30)
    s.component_weights = _src([ComponentWeight(component="skp", weight=D(skp)),
                                ComponentWeight(component="perilaku", weight=D(beh))], REG, PP30)
    s.rater_weights = [RaterRoleWeight(role=r, weight=D(w), source=kind, source_note=note)
                       for r, (w, kind, note) in raters.items()]
    s.aspects = _src([BehaviourAspect(code=c, name=n, weight=D(1), seq=i, structural_only=st)
                      for i, (c, n, st) in enumerate(PP30_ASPECTS, start=1)], REG, P8)
    _capaian(s)
    s.predicate_bands = [PredicateBand(lower=D(lo), upper=_d(up), label=lab, requires_innovation=inn, priority=p,
                                       source=REG, source_note=PP30 + (VERIFY if lab in PP30_BANDS_VERIFY else ""))
                         for lo, up, lab, inn, p in PP30_BANDS]
    _scheme_sources(s, (DEFAULT, "Regulasi tidak menetapkan skala angka perilaku; default aplikasi 0-120 "
                                 "mengikuti rentang nilai SKP"))
    return s


def build_pp30() -> ScoringScheme:
    return _build_pp30("PP30-2019", "PP 30/2019 (SKP 70% + Perilaku 30%)", 70, 30,
                       {"atasan": (100, REG, "PP 30/2019: perilaku dinilai pejabat penilai kinerja")})


NO_360 = "Regulasi tidak menetapkan bobot peran 360"


def build_pp30_360() -> ScoringScheme:
    practice = "Praktik satu BKPSDM (atasan 50 / rekan 30 / bawahan 20, contoh DOMAIN.md); " + NO_360
    return _build_pp30("PP30-2019-360", "PP 30/2019 penilaian 360 derajat (SKP 60% + Perilaku 40%)", 60, 40,
                       {"atasan": (50, PRACTICE, practice), "rekan": (30, PRACTICE, practice),
                        "bawahan": (20, PRACTICE, practice), "diri": (0, DEFAULT, NO_360 + "; default aplikasi"),
                        "masyarakat": (0, DEFAULT, NO_360 + "; default aplikasi")})


def build_permenpanrb_2022() -> ScoringScheme:
    s = ScoringScheme(code="PERMENPANRB-6-2022", name="PermenPANRB 6/2022 (BerAKHLAK, matriks predikat)",
                      kind="matrix", regulation="PermenPANRB 6 Tahun 2022; SE MenPANRB 3/2023",
                      scale_min=D(1), scale_max=D(5), scale_meanings=SCALE_1_5,
                      # the rater's judgement decides hasil kerja and perilaku; the thresholds below
                      # are only the suggestion shown on the assessment page
                      rating_decider="penilai")
    # No component weights: the 6/2022 regime is categorical (matrix), with no weighted final number.
    s.rater_weights = _src([RaterRoleWeight(role=r, weight=D(w)) for r, w in
                            {"atasan": 50, "rekan": 20, "bawahan": 15, "diri": 0, "masyarakat": 15}.items()],
                           DEFAULT, "PermenPANRB 6/2022 tidak menetapkan bobot 360; default aplikasi, hanya saran "
                                    "angka bagi penilai")
    s.aspects = _src([BehaviourAspect(code=c, name=n, weight=D(1), seq=i, indicators_text="\n".join(sentences))
                      for i, (c, n, sentences) in enumerate(BERAKHLAK, start=1)], REG,
                     "PermenPANRB 6/2022: nilai dasar BerAKHLAK; bobot sama (rerata) default aplikasi")
    _capaian(s, P8 + " (di skema ini hanya saran angka)")
    s.matrix_cells = _src([PredicateMatrixCell(hasil=h, perilaku=p, predicate=label)
                           for (h, p), label in MATRIX.items()], REG, "PermenPANRB 6/2022")
    # Suggestions from numbers: SKP value on the capaian scale, behaviour on the 1-5 scale.
    s.category_thresholds = _src([
        CategoryThreshold(dimension="hasil", category="dibawah", lower=D(0)),
        CategoryThreshold(dimension="hasil", category="sesuai", lower=D(70)),
        CategoryThreshold(dimension="hasil", category="diatas", lower=D(110)),
        CategoryThreshold(dimension="perilaku", category="dibawah", lower=D(1)),
        CategoryThreshold(dimension="perilaku", category="sesuai", lower=D(3)),
        CategoryThreshold(dimension="perilaku", category="diatas", lower=D("4.5")),
    ], DEFAULT, "PermenPANRB 6/2022 tidak menetapkan ambang angka; default aplikasi, hanya saran bagi penilai")
    s.distribution_rules = _src([DistributionRule(org_rating=o, predicates=p, min_pct=_d(lo), max_pct=_d(hi),
                                                  min_count=mc) for o, p, lo, hi, mc in DISTRIBUTION],
                                REG, "SE MenPANRB 3/2023 (pedoman, tidak mengikat)")
    _scheme_sources(s, (DEFAULT, "Regulasi menilai perilaku secara kategori; skala angka 1-5 default aplikasi"))
    return s


BUILDERS = [build_pp46, build_pp30, build_pp30_360, build_permenpanrb_2022]


# how a rule row of a preset is recognised in a stored copy (to fill in its provenance)
ROW_KEYS = {
    "component_weights": lambda r: r.component,
    "rater_weights": lambda r: r.role,
    "aspects": lambda r: r.code,
    "formulas": lambda r: (r.aspect, r.formula_code),
    "achievement_bands": lambda r: D(r.lower),
    "predicate_bands": lambda r: (r.label, D(r.lower)),
    "matrix_cells": lambda r: (r.hasil, r.perilaku),
    "category_thresholds": lambda r: (r.dimension, r.category),
    "distribution_rules": lambda r: (r.org_rating, r.predicates),
}
SCHEME_SOURCES = ("rounding_source", "missing_source", "scale_source")


def backfill_provenance(stored: ScoringScheme, preset: ScoringScheme) -> int:
    """Fill in the provenance the preset carries where the stored copy has none recorded (databases
    seeded before provenance existed). Never overwrites a recorded value. Returns the rows changed."""
    n = 0
    for column in SCHEME_SOURCES:
        if getattr(stored, column) is None and getattr(preset, column) is not None:
            setattr(stored, column, getattr(preset, column))
            setattr(stored, f"{column}_note", getattr(preset, f"{column}_note"))
            n += 1
    for rel, key in ROW_KEYS.items():
        known = {key(r): r for r in getattr(preset, rel)}
        for row in getattr(stored, rel):
            src = known.get(key(row))
            if row.source is None and src is not None and src.source is not None:
                row.source, row.source_note = src.source, src.source_note
                n += 1
    return n


def seed_presets(session) -> int:
    """Insert the presets that are missing (by code); never change the rules of existing ones (only
    fill in provenance not yet recorded)."""
    have = {s.code: s for s in session.scalars(select(ScoringScheme).where(ScoringScheme.is_preset.is_(True)))}
    have_codes = set(session.scalars(select(ScoringScheme.code)))
    n = 0
    for build in BUILDERS:
        scheme = build()
        if scheme.code in have:
            backfill_provenance(have[scheme.code], scheme)
            continue
        if scheme.code in have_codes:
            continue
        scheme.is_preset = True
        scheme.locked = True
        scheme.version = 1
        session.add(scheme)
        n += 1
    return n
