"""Load a scheme's rule rows into plain data, once per scoring run (engine, explanation, tests)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from models.base import RATER_ROLES

from .formulas import FORMULAS, Band, bands_from_rows


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
    )


# --- reference predicate logic (Python), mirrored in SQL by the engine ----------------------

def ref_predicate(rules: Rules, final: Optional[Decimal], innovation: bool) -> Optional[str]:
    from decimal import ROUND_HALF_UP

    if final is None:
        return None
    v = Decimal(final)
    if rules.round_decimals is not None:
        v = v.quantize(Decimal(1).scaleb(-rules.round_decimals), rounding=ROUND_HALF_UP)
    for b in rules.ordered_predicate_bands():
        if v >= b.lower and (b.upper is None or v < b.upper) and (innovation or not b.requires_innovation):
            return b.label
    return None


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
