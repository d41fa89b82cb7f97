"""Load a scheme's rule rows into plain data, once per scoring run (engine, explanation, tests)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Optional

from models.base import RATER_ROLES

from .formulas import FORMULAS, Band, bands_from_rows

# --- predicate colours: with the predicate bands, for every scheme's labels ----------------------------
# (label, lower-cased) -> (strong colour for charts, light fill for Excel cells); best first
PREDICATE_STYLES = {
    "sangat baik": ("#2e7d32", "#63BE7B"),
    "baik": ("#1e88e5", "#C6EFCE"),
    "cukup": ("#f9a825", "#FFEB9C"),
    "butuh perbaikan": ("#f9a825", "#FFD966"),
    "kurang": ("#ef6c00", "#F4B183"),
    "kurang (misconduct)": ("#ef6c00", "#F4B183"),
    "sangat kurang": ("#c62828", "#FF7C80"),
    "buruk": ("#c62828", "#FF7C80"),
}
PREDICATE_ORDER = list(PREDICATE_STYLES)
NEUTRAL_COLOUR = "#607d8b"


def predicate_colour(label) -> str:
    """Chart colour of a predicate label (neutral for labels of no known band)."""
    style = PREDICATE_STYLES.get(str(label or "").strip().lower())
    return style[0] if style else NEUTRAL_COLOUR


def predicate_fill(label) -> Optional[str]:
    """Light cell fill of a predicate label in workbooks (None: no fill)."""
    style = PREDICATE_STYLES.get(str(label or "").strip().lower())
    return style[1] if style else None


@dataclass
class PBand:
    lower: Decimal
    upper: Optional[Decimal]
    label: str
    requires_innovation: bool
    priority: int


@dataclass
class Rules:
    scheme_id: int
    code: str
    version: int
    kind: str
    component_weights: dict[str, Decimal]
    rater_weights: dict[str, Decimal]
    aspects: list  # (id, code, name, weight, structural_only)
    allowed_formulas: list[str]
    default_formula: dict[str, str]
    bands: list[Band]
    predicate_bands: list[PBand]
    matrix: dict[tuple[str, str], str]
    thresholds: dict[str, list[tuple[Decimal, str]]] = field(default_factory=dict)  # dim -> [(lower, cat)] desc
    final_expression: Optional[str] = None
    round_decimals: Optional[int] = None
    rounding_mode: str = "half_up"
    missing_realisation: str = "zero"
    missing_superior: str = "block"
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = Decimal(100)
    rating_decider: str = "ambang"  # matrix categories: the rater's judgement ("penilai") or thresholds

    @property
    def rater_decides(self) -> bool:
        """PermenPANRB 6/2022: the categories are the rater's judgement, never a number's suggestion."""
        return self.kind == "matrix" and self.rating_decider == "penilai"

    @property
    def has_structural_only(self) -> bool:
        return any(a[4] for a in self.aspects)

    def formula_for(self, code: Optional[str], aspect: str) -> Optional[str]:
        if code in self.allowed_formulas:
            return code
        return self.default_formula.get(aspect)

    def ordered_predicate_bands(self) -> list[PBand]:
        return sorted(self.predicate_bands, key=lambda b: (-b.priority, -int(b.requires_innovation), -b.lower))

    def lowest_band(self) -> Optional[PBand]:
        """The unconditional band with the lowest lower edge: a final value below every band (a negative
        PP 46/2011 value) gets it, with a note."""
        plain = [b for b in self.predicate_bands if not b.requires_innovation]
        return min(plain, key=lambda b: b.lower) if plain else None


def load_rules(scheme) -> Rules:
    allowed = sorted({f.formula_code for f in scheme.formulas if f.formula_code in FORMULAS})
    defaults: dict[str, str] = {}
    for f in sorted(scheme.formulas, key=lambda f: (not f.is_default, f.id or 0)):
        if f.formula_code in FORMULAS:
            defaults.setdefault(f.aspect, f.formula_code)
    thresholds: dict[str, list] = {}
    for t in scheme.category_thresholds:
        thresholds.setdefault(t.dimension, []).append((Decimal(t.lower), t.category))
    for k in thresholds:
        thresholds[k].sort(key=lambda x: -x[0])
    return Rules(
        scheme_id=scheme.id,
        code=scheme.code,
        version=scheme.version,
        kind=scheme.kind,
        component_weights={c.component: Decimal(c.weight) for c in scheme.component_weights},
        rater_weights={r.role: Decimal(r.weight) for r in scheme.rater_weights if r.role in RATER_ROLES},
        aspects=[(a.id, a.code, a.name, Decimal(a.weight), bool(a.structural_only)) for a in scheme.aspects],
        allowed_formulas=allowed,
        default_formula=defaults,
        bands=bands_from_rows(scheme.achievement_bands),
        predicate_bands=[PBand(Decimal(b.lower), None if b.upper is None else Decimal(b.upper), b.label,
                               bool(b.requires_innovation), b.priority or 0) for b in scheme.predicate_bands],
        matrix={(c.hasil, c.perilaku): c.predicate for c in scheme.matrix_cells},
        thresholds=thresholds,
        final_expression=(scheme.final_expression or "").strip() or None,
        round_decimals=scheme.round_decimals,
        rating_decider=scheme.rating_decider or "ambang",
        rounding_mode=scheme.rounding_mode or "half_up",
        missing_realisation=scheme.missing_realisation or "zero",
        missing_superior=scheme.missing_superior or "block",
        scale_min=Decimal(scheme.scale_min if scheme.scale_min is not None else 0),
        scale_max=Decimal(scheme.scale_max if scheme.scale_max is not None else 100),
    )


# --- reference predicate logic (Python), mirrored in SQL by the engine ----------------------

def band_value(rules: Rules, final: Optional[Decimal]) -> Optional[Decimal]:
    """The final value as compared with the predicate bands: rounded to the scheme's decimals with its
    rounding mode (half up = away from zero, like SQL ROUND; half to even), or as is."""
    if final is None:
        return None
    v = Decimal(final)
    if rules.round_decimals is None:
        return v
    mode = ROUND_HALF_EVEN if rules.rounding_mode == "half_even" else ROUND_HALF_UP
    return v.quantize(Decimal(1).scaleb(-rules.round_decimals), rounding=mode)


def ref_predicate(rules: Rules, final: Optional[Decimal], innovation: bool) -> Optional[str]:
    """The band of the (rounded) final value; below every band: the lowest band (see ref_below_bands)."""
    v = band_value(rules, final)
    if v is None:
        return None
    for b in rules.ordered_predicate_bands():
        if v >= b.lower and (b.upper is None or v < b.upper) and (innovation or not b.requires_innovation):
            return b.label
    low = rules.lowest_band()
    if low is not None and v < low.lower:
        return low.label
    return None


def ref_below_bands(rules: Rules, final: Optional[Decimal]) -> bool:
    v = band_value(rules, final)
    low = rules.lowest_band()
    return v is not None and low is not None and v < low.lower


def ref_category(rules: Rules, dimension: str, value: Optional[Decimal]) -> Optional[str]:
    if value is None:
        return None
    for lower, cat in rules.thresholds.get(dimension, []):
        if Decimal(value) >= lower:
            return cat
    return None


# --- what an objection decision may give (the record policy's objection_decider invariant) -------

def predicate_labels(rules: Rules) -> list[str]:
    """The predicates a scheme defines: its bands (numeric) or its matrix cells, best first."""
    if rules.kind == "matrix":
        seen: list[str] = []
        for h in ("diatas", "sesuai", "dibawah"):
            for p in ("diatas", "sesuai", "dibawah"):
                label = rules.matrix.get((h, p))
                if label and label not in seen:
                    seen.append(label)
        return seen
    out: list[str] = []
    for b in rules.ordered_predicate_bands():
        if b.label not in out:
            out.append(b.label)
    return out


def final_scale(rules: Rules, scale_max) -> tuple[Decimal, Decimal]:
    """The range of a numeric scheme's final value: from 0 to the largest of the behaviour scale's
    maximum and the achievement bands' values."""
    top = Decimal(scale_max)
    for band in rules.bands:
        for v in (band.value_from, band.value_to):
            if v is not None and Decimal(v) > top:
                top = Decimal(v)
    return Decimal(0), top


def _result_rules(session, result):
    from models import ScoringScheme

    scheme = session.get(ScoringScheme, result.scheme_id)
    return scheme, load_rules(scheme)


def _innovation(session, result) -> bool:
    from sqlalchemy import select

    from models import WorkPlan

    return bool(result.work_plan_id and session.scalar(
        select(WorkPlan.innovation).where(WorkPlan.id == result.work_plan_id)))


def band_predicate(session, result, value) -> Optional[str]:
    """The predicate a numeric scheme gives `value` for this result (its innovation flag counts)."""
    _scheme, rules = _result_rules(session, result)
    if rules.kind != "numeric" or value is None:
        return None
    return ref_predicate(rules, Decimal(value), _innovation(session, result))


def decision_problem(session, result, value, predicate) -> Optional[str]:
    """Why an accepted objection decision giving `value` / `predicate` to `result` is not valid under
    the result's scheme, or None."""
    scheme, rules = _result_rules(session, result)
    labels = predicate_labels(rules)
    if predicate is not None and predicate not in labels:
        return f"Predikat '{predicate}' tidak dikenal skema {scheme.name}; pilih salah satu: {', '.join(labels)}."
    if value is None:
        if rules.kind == "numeric":
            return "Skema ini menetapkan predikat dari nilai akhir: isi nilai baru."
        return None if predicate is not None else "Isi predikat baru."
    if rules.kind == "matrix":
        return "Skema matriks tidak memiliki nilai akhir berupa angka; ubah predikatnya saja."
    value = Decimal(value)
    lo, hi = final_scale(rules, scheme.scale_max)
    if result.final_value is not None and Decimal(result.final_value) > hi:
        hi = Decimal(result.final_value)
    if not value.is_finite() or value < lo or value > hi:
        return f"Nilai baru harus antara {lo.normalize():f} dan {hi.normalize():f} (skala skema {scheme.name})."
    expected = ref_predicate(rules, value, _innovation(session, result))
    if predicate != expected:
        return f"Menurut skema, nilai {value.normalize():f} berpredikat {expected or '-'}, bukan {predicate or '-'}."
    return None


# --- the meaning of the behaviour rating scale (shown on the rating form) ---------------------------

def parse_scale_meanings(text: Optional[str]) -> list[tuple[Decimal, str]]:
    """'5 = Sangat baik: ...' lines -> [(Decimal('5'), 'Sangat baik: ...')] sorted by value. Raises
    ValueError (Indonesian) on a line that is not "number = text"."""
    from decimal import InvalidOperation

    out: dict[Decimal, str] = {}
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        number, sep, meaning = line.partition("=")
        try:
            value = Decimal(number.strip().replace(",", "."))
        except InvalidOperation:
            value = None
        if not sep or value is None or not value.is_finite() or not meaning.strip():
            raise ValueError(f"Arti skala baris {n} harus berbentuk 'angka = arti', misalnya '3 = Sesuai ekspektasi'.")
        if value in out:
            raise ValueError(f"Arti skala untuk nilai {value.normalize():f} tercantum dua kali.")
        out[value] = meaning.strip()
    return sorted(out.items())


def scale_meaning_of(meanings: list[tuple[Decimal, str]], value) -> Optional[str]:
    """The meaning of `value`: of the highest listed point not above it (a band's lower bound)."""
    found = None
    for point, text in meanings:
        if Decimal(value) >= point:
            found = text
    return found


# --- rule texts shared by the scheme's admin page and the inspector workbook --------------------------

def rounding_text(round_decimals: Optional[int], mode: str) -> str:
    from models.base import ROUNDING_MODES

    if round_decimals is None:
        return "Nilai akhir dibandingkan dengan rentang predikat apa adanya (4 desimal), tanpa pembulatan lagi."
    return (f"Nilai akhir dibulatkan ke {round_decimals} desimal, "
            f"{ROUNDING_MODES.get(mode, mode).lower()}, lalu dibandingkan dengan rentang predikat.")


def missing_text(missing_realisation: str, missing_superior: str) -> str:
    from models.base import MISSING_REALISATION, MISSING_SUPERIOR

    return (f"{MISSING_REALISATION.get(missing_realisation, missing_realisation)}. "
            f"{MISSING_SUPERIOR.get(missing_superior, missing_superior)}.")


def provenance_pairs(rows) -> list[tuple[str, str]]:
    """Distinct (kind label, note) of rule rows (or objects with source/source_note), in first-seen order."""
    from models.base import PROVENANCE

    out: list[tuple[str, str]] = []
    for row in rows:
        kind = getattr(row, "source", None)
        if kind is None:
            continue
        pair = (PROVENANCE.get(kind, kind), getattr(row, "source_note", None) or "")
        if pair not in out:
            out.append(pair)
    return out


def scheme_rule_texts(scheme) -> dict:
    """Template helpers: the rounding and missing-data rules as sentences, provenance of rule rows."""
    from types import SimpleNamespace

    from .formulas import FORMULAS

    def scheme_source(key: str):
        return SimpleNamespace(source=getattr(scheme, f"{key}_source"),
                               source_note=getattr(scheme, f"{key}_source_note"))

    return {"rounding_text": rounding_text(scheme.round_decimals, scheme.rounding_mode),
            "missing_text": missing_text(scheme.missing_realisation, scheme.missing_superior),
            "provenance": provenance_pairs, "scheme_source": scheme_source,
            "formula_text": lambda code: FORMULAS[code].text if code in FORMULAS else code}
