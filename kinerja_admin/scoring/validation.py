"""Scheme validation on save, edit guards (preset lock, closed periods) and cloning."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select

from models import (
    AchievementBand,
    BehaviourAspect,
    CategoryThreshold,
    ComponentWeight,
    DistributionRule,
    Period,
    PredicateBand,
    PredicateMatrixCell,
    RaterRoleWeight,
    SchemeFormula,
    ScoreResult,
    ScoringScheme,
)
from models.base import (
    CATEGORIES,
    MISSING_REALISATION,
    MISSING_SUPERIOR,
    ORG_RATINGS,
    PROVENANCE,
    RATER_ROLES,
    RATING_DECIDERS,
    ROUNDING_MODES,
    SCHEME_KINDS,
    TARGET_ASPECTS,
)

from .expression import ExpressionError, parse
from .formulas import FORMULAS

HUNDRED = Decimal(100)
CHILDREN = ("component_weights", "rater_weights", "aspects", "formulas", "achievement_bands",
            "predicate_bands", "matrix_cells", "category_thresholds", "distribution_rules")


class SchemeError(ValueError):
    """The scheme is not valid or may not be changed; the message is Indonesian."""


def _d(v) -> Optional[Decimal]:
    return None if v is None else Decimal(v)


def _fmt(v) -> str:
    return "tak terbatas" if v is None else f"{Decimal(v).normalize():f}"


def validate_scheme(scheme: ScoringScheme) -> None:
    """Raise SchemeError with an Indonesian message when the scheme's rules are inconsistent."""
    if scheme.kind not in SCHEME_KINDS:
        raise SchemeError("Jenis skema harus numerik atau matriks.")
    if scheme.scale_min is not None and scheme.scale_max is not None and scheme.scale_min >= scheme.scale_max:
        raise SchemeError("Skala minimal harus lebih kecil dari skala maksimal.")
    if scheme.round_decimals is not None and not 0 <= scheme.round_decimals <= 4:
        raise SchemeError("Pembulatan sebelum predikat harus 0 sampai 4 desimal (atau dikosongkan).")
    decider = scheme.rating_decider or "ambang"
    if decider not in RATING_DECIDERS:
        raise SchemeError("Penentu rating harus pejabat penilai atau ambang nilai.")
    if decider == "penilai" and scheme.kind != "matrix":
        raise SchemeError("Penentu rating 'pejabat penilai' hanya untuk skema matriks (kategori di atas / sesuai / "
                          "di bawah ekspektasi); skema numerik menetapkan predikat dari nilai.")
    _check_scale_meanings(scheme)
    if (scheme.rounding_mode or "half_up") not in ROUNDING_MODES:
        raise SchemeError("Cara pembulatan harus setengah ke atas atau setengah ke genap.")
    if (scheme.missing_realisation or "zero") not in MISSING_REALISATION:
        raise SchemeError("Kebijakan indikator tanpa realisasi harus 'dihitung 0' atau 'menahan nilai'.")
    if (scheme.missing_superior or "block") not in MISSING_SUPERIOR:
        raise SchemeError("Kebijakan tanpa penilaian atasan harus 'menahan nilai perilaku' atau 'diizinkan'.")
    _check_provenance(scheme)

    # component weights
    comps = [c for c in scheme.component_weights]
    seen = set()
    for c in comps:
        if c.component not in ("skp", "perilaku"):
            raise SchemeError(f"Komponen '{c.component}' tidak dikenal (pilih skp atau perilaku).")
        if c.component in seen:
            raise SchemeError(f"Bobot komponen '{c.component}' tercantum lebih dari sekali.")
        seen.add(c.component)
        if c.weight is None or c.weight < 0:
            raise SchemeError("Bobot komponen tidak boleh kosong atau negatif.")
    if scheme.kind == "numeric" and not (scheme.final_expression or "").strip():
        if seen != {"skp", "perilaku"}:
            raise SchemeError("Skema numerik tanpa rumus nilai akhir memerlukan bobot komponen skp dan perilaku.")
    if comps:
        total = sum(Decimal(c.weight) for c in comps)
        if total != HUNDRED:
            raise SchemeError(f"Jumlah bobot komponen (SKP + perilaku) harus 100, sekarang {_fmt(total)}.")

    # rater weights
    roles = set()
    for r in scheme.rater_weights:
        if r.role not in RATER_ROLES:
            raise SchemeError(f"Peran penilai '{r.role}' tidak dikenal ({', '.join(RATER_ROLES)}).")
        if r.role in roles:
            raise SchemeError(f"Bobot peran penilai '{r.role}' tercantum lebih dari sekali.")
        roles.add(r.role)
        if r.weight is None or r.weight < 0:
            raise SchemeError("Bobot peran penilai tidak boleh kosong atau negatif.")
    if not scheme.rater_weights:
        raise SchemeError("Isi paling sedikit satu bobot peran penilai (misalnya atasan 100).")
    total = sum(Decimal(r.weight) for r in scheme.rater_weights)
    if total != HUNDRED:
        raise SchemeError(f"Jumlah bobot peran penilai harus 100, sekarang {_fmt(total)}.")

    # behaviour aspects
    if not scheme.aspects:
        raise SchemeError("Isi paling sedikit satu aspek perilaku.")
    codes = set()
    for a in scheme.aspects:
        if not a.code or not a.name:
            raise SchemeError("Setiap aspek perilaku memerlukan kode dan nama.")
        if a.code in codes:
            raise SchemeError(f"Kode aspek perilaku '{a.code}' tercantum lebih dari sekali.")
        codes.add(a.code)
        if a.weight is None or a.weight <= 0:
            raise SchemeError(f"Bobot aspek perilaku '{a.name}' harus lebih dari 0.")
    if all(a.structural_only for a in scheme.aspects):
        raise SchemeError("Paling sedikit satu aspek perilaku harus berlaku untuk semua jabatan.")

    # formulas
    if not scheme.formulas:
        raise SchemeError("Pilih paling sedikit satu rumus indikator.")
    for f in scheme.formulas:
        if f.formula_code not in FORMULAS:
            raise SchemeError(f"Rumus '{f.formula_code}' tidak dikenal. Pilihan: {', '.join(FORMULAS)}.")
        if f.aspect not in TARGET_ASPECTS:
            raise SchemeError(f"Aspek sasaran '{f.aspect}' tidak dikenal ({', '.join(TARGET_ASPECTS)}).")
    defaults = {}
    for f in scheme.formulas:
        if f.is_default:
            if f.aspect in defaults:
                raise SchemeError(f"Aspek '{f.aspect}' memiliki lebih dari satu rumus bawaan.")
            defaults[f.aspect] = f.formula_code

    _check_achievement_bands(scheme)
    if scheme.kind == "numeric":
        _check_predicate_bands(scheme)
    else:
        _check_matrix(scheme)
    _check_distribution(scheme)

    expr = (scheme.final_expression or "").strip()
    if expr:
        try:
            parse(expr)
        except ExpressionError as err:
            raise SchemeError(str(err)) from err
        _check_expression_range(scheme, expr)


# Components of the expression (SKP value, behaviour and role averages) are assumed to lie in
# [min(0, scale_min), max(COMPONENT_MAX, scale_max)]: achievement values reach 120 (PP 30/2019) and
# behaviour stays on the scheme's scale. The result column holds NUMERIC(p, s).
COMPONENT_MAX = Decimal(200)


def _check_expression_range(scheme: ScoringScheme, expr: str) -> None:
    """Refuse at save an expression whose result can overflow the result column (it would fail
    every scoring run with a database error)."""
    from models import ScoreResult

    from .expression import result_range

    col = ScoreResult.__table__.c.final_value.type
    limit = Decimal(10) ** (col.precision - col.scale) - Decimal(1).scaleb(-col.scale)
    lo_scale = Decimal(scheme.scale_min) if scheme.scale_min is not None else Decimal(0)
    hi_scale = Decimal(scheme.scale_max) if scheme.scale_max is not None else Decimal(100)
    comp = (min(Decimal(0), lo_scale), max(COMPONENT_MAX, hi_scale))
    lo, hi = result_range(expr, comp)
    shown = f"{limit.normalize():f}"
    if lo is None or hi is None:
        raise SchemeError("Rumus nilai akhir membagi dengan komponen yang dapat bernilai nol, sehingga hasilnya "
                          f"tidak terbatas; kolom nilai akhir hanya memuat -{shown} sampai {shown}.")
    if lo < -limit or hi > limit:
        raise SchemeError(f"Rumus nilai akhir dapat menghasilkan {_fmt(lo)} sampai {_fmt(hi)} untuk komponen "
                          f"{_fmt(comp[0])} sampai {_fmt(comp[1])}, di luar batas kolom nilai akhir "
                          f"(-{shown} sampai {shown}). Perkecil pengali atau angka dalam rumus.")


def _check_scale_meanings(scheme) -> None:
    from .rules import parse_scale_meanings

    try:
        points = parse_scale_meanings(scheme.scale_meanings)
    except ValueError as err:
        raise SchemeError(str(err)) from None
    lo, hi = _d(scheme.scale_min), _d(scheme.scale_max)
    for value, _text in points:
        if lo is not None and hi is not None and not lo <= value <= hi:
            raise SchemeError(f"Arti skala untuk nilai {_fmt(value)} berada di luar skala {_fmt(lo)}-{_fmt(hi)}.")


PROVENANCE_SECTIONS = {
    "component_weights": "bobot komponen", "rater_weights": "bobot peran penilai", "aspects": "aspek perilaku",
    "formulas": "rumus indikator", "achievement_bands": "pita capaian", "predicate_bands": "pita predikat",
    "matrix_cells": "sel matriks", "category_thresholds": "ambang kategori", "distribution_rules": "kurva distribusi",
}
SCHEME_SOURCE_LABELS = {"rounding_source": "pembulatan", "missing_source": "kebijakan data kosong",
                        "scale_source": "skala nilai perilaku"}


def _provenance(kind, note, what: str) -> None:
    """A recorded provenance is one of PROVENANCE; the regulation or the agency must be named."""
    if kind is None:
        return
    if kind not in PROVENANCE:
        raise SchemeError(f"Sumber {what} harus salah satu dari: {', '.join(PROVENANCE.values())}.")
    if kind in ("regulasi", "praktik") and not (note or "").strip():
        who = "nama regulasinya" if kind == "regulasi" else "instansi yang mempraktikkannya"
        raise SchemeError(f"Sumber {what} '{PROVENANCE[kind]}' memerlukan keterangan: tulis {who}.")


def _check_provenance(scheme) -> None:
    for column, what in SCHEME_SOURCE_LABELS.items():
        _provenance(getattr(scheme, column, None), getattr(scheme, f"{column}_note", None), what)
    for rel, what in PROVENANCE_SECTIONS.items():
        for row in getattr(scheme, rel):
            _provenance(getattr(row, "source", None), getattr(row, "source_note", None), what)


def _check_intervals(items, what: str) -> None:
    """Half-open [lower, upper) intervals sorted by lower: no gaps, no overlaps, last may be open."""
    items = sorted(items, key=lambda x: x[0])
    for i, (lo, up, name) in enumerate(items):
        if up is not None and up <= lo:
            raise SchemeError(f"{what} '{name}': batas atas ({_fmt(up)}) harus lebih besar dari batas bawah "
                              f"({_fmt(lo)}).")
        if i + 1 < len(items):
            nlo, _, nname = items[i + 1]
            if up is None or nlo < up:
                raise SchemeError(f"{what} '{name}' dan '{nname}' saling tumpang tindih.")
            if nlo > up:
                raise SchemeError(f"Ada celah antara {what.lower()} '{name}' (sampai {_fmt(up)}) "
                                  f"dan '{nname}' (mulai {_fmt(nlo)}).")


def _check_achievement_bands(scheme) -> None:
    if not scheme.achievement_bands:
        return
    items = []
    for b in scheme.achievement_bands:
        if b.lower is None or b.value_from is None:
            raise SchemeError("Setiap pita capaian memerlukan batas bawah dan nilai awal.")
        if (b.value_to is None) != (b.span_to is None):
            raise SchemeError("Pita capaian linear memerlukan nilai akhir dan batas rentang sekaligus.")
        if b.span_to is not None and b.span_to < b.lower:
            raise SchemeError("Batas rentang pita capaian tidak boleh di bawah batas bawahnya.")
        items.append((_d(b.lower), _d(b.upper), f"{_fmt(b.lower)}-{_fmt(b.upper)}"))
    _check_intervals(items, "Pita capaian")


def _check_predicate_bands(scheme) -> None:
    plain = [b for b in scheme.predicate_bands if not b.requires_innovation]
    if not plain:
        raise SchemeError("Skema numerik memerlukan pita predikat.")
    for b in scheme.predicate_bands:
        if not (b.label or "").strip():
            raise SchemeError("Setiap pita predikat memerlukan label.")
        if b.lower is None:
            raise SchemeError(f"Pita predikat '{b.label}' memerlukan batas bawah.")
        if b.upper is not None and b.upper <= b.lower:
            raise SchemeError(f"Pita predikat '{b.label}': batas atas harus lebih besar dari batas bawah.")
    # unconditional bands partition the range; conditional ones (innovation) are overrides
    _check_intervals([(_d(b.lower), _d(b.upper), b.label) for b in plain], "Pita predikat")
    lowest = min(_d(b.lower) for b in plain)
    if scheme.scale_min is not None and lowest > Decimal(min(0, scheme.scale_min)):
        raise SchemeError(f"Pita predikat harus dimulai dari 0 (sekarang mulai {_fmt(lowest)}).")
    if any(b.upper is not None for b in plain) and max(plain, key=lambda b: b.lower).upper is not None:
        raise SchemeError("Pita predikat tertinggi harus terbuka ke atas (batas atas dikosongkan).")


def _check_matrix(scheme) -> None:
    cells = {}
    for c in scheme.matrix_cells:
        if c.hasil not in CATEGORIES or c.perilaku not in CATEGORIES:
            raise SchemeError("Sel matriks memakai kategori yang tidak dikenal (dibawah, sesuai, diatas).")
        if (c.hasil, c.perilaku) in cells:
            raise SchemeError(f"Sel matriks hasil '{c.hasil}' x perilaku '{c.perilaku}' tercantum dua kali.")
        if not (c.predicate or "").strip():
            raise SchemeError("Setiap sel matriks memerlukan predikat.")
        cells[(c.hasil, c.perilaku)] = c.predicate
    missing = [f"{CATEGORIES[h]} x {CATEGORIES[p]}" for h in CATEGORIES for p in CATEGORIES if (h, p) not in cells]
    if missing:
        raise SchemeError(f"Matriks predikat belum lengkap (harus 9 sel); belum ada: {'; '.join(missing)}.")
    order = {"dibawah": 0, "sesuai": 1, "diatas": 2}
    by_dim: dict[str, dict[str, Decimal]] = {}
    for t in scheme.category_thresholds:
        if t.dimension not in ("hasil", "perilaku") or t.category not in CATEGORIES:
            raise SchemeError("Ambang kategori memakai dimensi atau kategori yang tidak dikenal.")
        if t.category in by_dim.setdefault(t.dimension, {}):
            raise SchemeError(f"Ambang {t.dimension} '{t.category}' tercantum dua kali.")
        by_dim[t.dimension][t.category] = _d(t.lower)
    for dim, cats in by_dim.items():
        ranked = sorted(cats.items(), key=lambda kv: order[kv[0]])
        for (c1, v1), (c2, v2) in zip(ranked, ranked[1:]):
            if v2 <= v1:
                raise SchemeError(f"Ambang {dim}: '{CATEGORIES[c2]}' harus lebih tinggi dari '{CATEGORIES[c1]}'.")


def _check_distribution(scheme) -> None:
    for r in scheme.distribution_rules:
        if r.org_rating not in ORG_RATINGS:
            raise SchemeError(f"Predikat organisasi '{r.org_rating}' tidak dikenal.")
        if not (r.predicates or "").strip():
            raise SchemeError("Aturan distribusi memerlukan predikat.")
        for v in (r.min_pct, r.max_pct):
            if v is not None and not 0 <= v <= 100:
                raise SchemeError("Persentase aturan distribusi harus 0 sampai 100.")
        if r.min_pct is not None and r.max_pct is not None and r.min_pct > r.max_pct:
            raise SchemeError("Persentase minimal aturan distribusi melebihi persentase maksimal.")
        if r.min_pct is None and r.max_pct is None and r.min_count is None:
            raise SchemeError("Aturan distribusi memerlukan persentase minimal/maksimal atau jumlah minimal.")


# --- edit guards ----------------------------------------------------------------------------

def closed_periods_using(session, scheme_id: int) -> list[str]:
    return list(session.scalars(select(Period.code).where(Period.scheme_id == scheme_id,
                                                          Period.status == "closed")))


def assert_editable(session, scheme: ScoringScheme) -> None:
    """Presets are locked; a scheme used by a closed period is read-only."""
    if scheme.id is None:
        return
    if scheme.is_preset or scheme.locked:
        raise SchemeError(f"Skema {scheme.code} adalah bawaan regulasi/terkunci dan tidak dapat diubah. "
                          "Gunakan aksi 'Salin skema' lalu ubah salinannya.")
    closed = closed_periods_using(session, scheme.id)
    if closed:
        raise SchemeError(f"Skema {scheme.code} dipakai periode yang sudah ditutup ({', '.join(closed)}) "
                          "sehingga hanya dapat dibaca. Salin skema untuk membuat versi baru.")
    signed = session.scalars(select(Period.code).where(
        Period.scheme_id == scheme.id,
        select(ScoreResult.id).where(ScoreResult.period_id == Period.id, ScoreResult.status != "computed")
        .exists()).order_by(Period.code)).all()
    if signed:
        raise SchemeError(f"Skema {scheme.code} dipakai periode yang hasil penilaiannya sudah disetujui atau "
                          f"diumumkan ({', '.join(signed)}): aturannya tidak dapat diubah lagi, karena penjelasan "
                          "nilai, lembar Periksa dan keberatan membacanya. Salin skema untuk membuat versi baru.")


# --- cloning ----------------------------------------------------------------------------------

SRC = ("source", "source_note")
_COPY = {
    "component_weights": (ComponentWeight, ("component", "weight", *SRC)),
    "rater_weights": (RaterRoleWeight, ("role", "weight", *SRC)),
    "aspects": (BehaviourAspect, ("code", "name", "weight", "seq", "structural_only", "indicators_text", *SRC)),
    "formulas": (SchemeFormula, ("aspect", "formula_code", "is_default", *SRC)),
    "achievement_bands": (AchievementBand, ("lower", "upper", "value_from", "value_to", "span_to", *SRC)),
    "predicate_bands": (PredicateBand, ("lower", "upper", "label", "requires_innovation", "priority", *SRC)),
    "matrix_cells": (PredicateMatrixCell, ("hasil", "perilaku", "predicate", *SRC)),
    "category_thresholds": (CategoryThreshold, ("dimension", "category", "lower", *SRC)),
    "distribution_rules": (DistributionRule, ("org_rating", "predicates", "min_pct", "max_pct", "min_count", *SRC)),
}
SCHEME_SETTINGS = ("round_decimals", "rounding_mode", "rounding_source", "rounding_source_note",
                   "missing_realisation", "missing_superior", "missing_source", "missing_source_note",
                   "scale_source", "scale_source_note", "rating_decider", "scale_meanings", "annual_from_periodic")


def clone_scheme(session, scheme: ScoringScheme, code: Optional[str] = None) -> ScoringScheme:
    """A new editable scheme with copies of all rule rows; the original is not modified."""
    if code is None:
        base = f"{scheme.code}-SALIN"[:34]
        existing = set(session.scalars(select(ScoringScheme.code).where(ScoringScheme.code.like(base + "%"))))
        code, n = base, 1
        while code in existing:
            n += 1
            code = f"{base}-{n}"
    copy = ScoringScheme(code=code, name=f"Salinan {scheme.name}"[:150], kind=scheme.kind,
                         regulation=scheme.regulation, description=scheme.description, version=1,
                         is_preset=False, locked=False, based_on_id=scheme.id, scale_min=scheme.scale_min,
                         scale_max=scheme.scale_max, final_expression=scheme.final_expression,
                         **{k: getattr(scheme, k) for k in SCHEME_SETTINGS})
    for rel, (model, cols) in _COPY.items():
        setattr(copy, rel, [model(**{c: getattr(row, c) for c in cols}) for row in getattr(scheme, rel)])
    session.add(copy)
    return copy


def scheme_counts(session, scheme_id: int) -> dict:
    """Number of child rows per table (tests, clone report)."""
    out = {}
    for rel, (model, _) in _COPY.items():
        out[rel] = session.scalar(select(func.count()).select_from(model).where(model.scheme_id == scheme_id))
    return out
