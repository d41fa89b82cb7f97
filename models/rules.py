"""Scoring rules as data: a scheme and its configuration tables (filled and validated by
kinerja_admin.scoring). Presets for PP 46/2011, PP 30/2019 and PermenPANRB 6/2022 are seeded."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import (
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
    Score,
    TimestampMixin,
    Weight,
    db,
    in_check,
)


def source_check(column: str = "source") -> CheckConstraint:
    """A provenance column holds one of PROVENANCE (or NULL: not recorded)."""
    return CheckConstraint(f"{column} IS NULL OR " + in_check(column, PROVENANCE), name=column)


class SourceMixin:
    """Provenance of a rule row (DOMAIN.md): the regulation's text (named in the note), one agency's
    practice (whose, in the note) or our default. NULL: not recorded (schemes made before it existed)."""

    source: Mapped[Optional[str]] = mapped_column(String(10))
    source_note: Mapped[Optional[str]] = mapped_column(String(200))


class ScoringScheme(TimestampMixin, db.Model):
    __tablename__ = "scoring_scheme"
    __table_args__ = (
        CheckConstraint(in_check("kind", SCHEME_KINDS), name="kind"),
        CheckConstraint(in_check("rating_decider", RATING_DECIDERS), name="rating_decider"),
        CheckConstraint(in_check("rounding_mode", ROUNDING_MODES), name="rounding_mode"),
        CheckConstraint(in_check("missing_realisation", MISSING_REALISATION), name="missing_realisation"),
        CheckConstraint(in_check("missing_superior", MISSING_SUPERIOR), name="missing_superior"),
        source_check("rounding_source"),
        source_check("missing_source"),
        source_check("scale_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(10), default="numeric")
    regulation: Mapped[Optional[str]] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_preset: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    based_on_id: Mapped[Optional[int]] = mapped_column(ForeignKey("scoring_scheme.id"))
    # Rating scale of behaviour aspects for this scheme (e.g. 0-100, 1-5)
    scale_min: Mapped[Decimal] = mapped_column(Score, default=0)
    scale_max: Mapped[Decimal] = mapped_column(Score, default=100)
    # Optional final-score expression over named components, e.g. "0.6*skp + 0.4*perilaku"
    final_expression: Mapped[Optional[str]] = mapped_column(String(500))
    # Round the final value to this many decimals before band comparison (NULL: no rounding), half up
    # (away from zero) or half to even
    round_decimals: Mapped[Optional[int]] = mapped_column(Integer)
    # "Penentu rating" of a matrix scheme: "penilai" = the rater's judgement decides the categories
    # (PermenPANRB 6/2022; without a judgement there is no predicate), "ambang" = the category
    # thresholds suggest them and a judgement the rater entered takes precedence.
    rating_decider: Mapped[str] = mapped_column(String(10), default="ambang", server_default="ambang")
    # Meaning of the behaviour rating scale's points, one per line "value = meaning" (the rating form
    # shows them); for a continuous scale a line means "from this value up".
    scale_meanings: Mapped[Optional[str]] = mapped_column(Text)
    # the annual realisation of an indicator is the cumulative periodic realisation (sum of the windows;
    # the mean for kualitas), written by kinerja_admin.periodic; off = the employee records it
    annual_from_periodic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    rounding_mode: Mapped[str] = mapped_column(String(10), default="half_up", server_default="half_up")
    rounding_source: Mapped[Optional[str]] = mapped_column(String(10))
    rounding_source_note: Mapped[Optional[str]] = mapped_column(String(200))
    # Missing data: an indicator without realisation counts 0 or blocks the employee's result; a
    # missing superior rating blocks the behaviour value or the other raters' values are used
    missing_realisation: Mapped[str] = mapped_column(String(10), default="zero", server_default="zero")
    missing_superior: Mapped[str] = mapped_column(String(10), default="block", server_default="block")
    missing_source: Mapped[Optional[str]] = mapped_column(String(10))
    missing_source_note: Mapped[Optional[str]] = mapped_column(String(200))
    # provenance of the behaviour rating scale (scale_min .. scale_max)
    scale_source: Mapped[Optional[str]] = mapped_column(String(10))
    scale_source_note: Mapped[Optional[str]] = mapped_column(String(200))

    based_on: Mapped[Optional["ScoringScheme"]] = relationship(remote_side=[id])
    component_weights: Mapped[list["ComponentWeight"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan"
    )
    rater_weights: Mapped[list["RaterRoleWeight"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan"
    )
    aspects: Mapped[list["BehaviourAspect"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="BehaviourAspect.seq"
    )
    formulas: Mapped[list["SchemeFormula"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan"
    )
    achievement_bands: Mapped[list["AchievementBand"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="AchievementBand.lower"
    )
    predicate_bands: Mapped[list["PredicateBand"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="PredicateBand.lower"
    )
    matrix_cells: Mapped[list["PredicateMatrixCell"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan"
    )
    category_thresholds: Mapped[list["CategoryThreshold"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan"
    )
    distribution_rules: Mapped[list["DistributionRule"]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class ComponentWeight(SourceMixin, db.Model):
    """Bobot komponen: SKP vs perilaku (e.g. 60/40, 70/30)."""

    __tablename__ = "component_weight"
    __table_args__ = (
        UniqueConstraint("scheme_id", "component"),
        CheckConstraint("component IN ('skp', 'perilaku')", name="component"),
        source_check(),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(10))
    weight: Mapped[Decimal] = mapped_column(Weight)
    scheme: Mapped[ScoringScheme] = relationship(back_populates="component_weights")


class RaterRoleWeight(SourceMixin, db.Model):
    """Bobot peran penilai (atasan, rekan, bawahan, diri, masyarakat)."""

    __tablename__ = "rater_role_weight"
    __table_args__ = (
        UniqueConstraint("scheme_id", "role"),
        CheckConstraint(in_check("role", RATER_ROLES), name="role"),
        source_check(),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    weight: Mapped[Decimal] = mapped_column(Weight)
    scheme: Mapped[ScoringScheme] = relationship(back_populates="rater_weights")


class BehaviourAspect(SourceMixin, db.Model):
    """Aspek perilaku of a scheme, with weight and guide sentences (BerAKHLAK etc.)."""

    __tablename__ = "behaviour_aspect"
    __table_args__ = (UniqueConstraint("scheme_id", "code"), source_check())
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[Decimal] = mapped_column(Weight, default=1)
    seq: Mapped[int] = mapped_column(Integer, default=1)
    structural_only: Mapped[bool] = mapped_column(Boolean, default=False)  # e.g. kepemimpinan
    indicators_text: Mapped[Optional[str]] = mapped_column(Text)  # guide sentences, one per line

    scheme: Mapped[ScoringScheme] = relationship(back_populates="aspects")

    def __str__(self) -> str:
        return self.name


class SchemeFormula(SourceMixin, db.Model):
    """A built-in, named target-aspect formula that indicators of this scheme may use."""

    __tablename__ = "scheme_formula"
    __table_args__ = (
        UniqueConstraint("scheme_id", "aspect", "formula_code"),
        CheckConstraint(in_check("aspect", TARGET_ASPECTS), name="aspect"),
        source_check(),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    aspect: Mapped[str] = mapped_column(String(10))
    formula_code: Mapped[str] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    scheme: Mapped[ScoringScheme] = relationship(back_populates="formulas")


class AchievementBand(SourceMixin, db.Model):
    """Piecewise-linear map from achievement (capaian %) to a value, applied on [lower, upper).

    value = value_from + (c - lower) * (value_to - value_from) / (span_to - lower);
    constant value_from when span_to is NULL or equal to lower (PermenPANRB 8/2021 capaian IKI).
    """

    __tablename__ = "achievement_band"
    __table_args__ = (source_check(),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    lower: Mapped[Decimal] = mapped_column(Score)
    upper: Mapped[Optional[Decimal]] = mapped_column(Score)  # NULL: open-ended
    value_from: Mapped[Decimal] = mapped_column(Score)
    value_to: Mapped[Optional[Decimal]] = mapped_column(Score)
    span_to: Mapped[Optional[Decimal]] = mapped_column(Score)
    scheme: Mapped[ScoringScheme] = relationship(back_populates="achievement_bands")


class PredicateBand(SourceMixin, db.Model):
    """Predikat band over the final value: [lower, upper) with an optional condition."""

    __tablename__ = "predicate_band"
    __table_args__ = (source_check(),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    lower: Mapped[Decimal] = mapped_column(Score)
    upper: Mapped[Optional[Decimal]] = mapped_column(Score)  # NULL: open-ended
    label: Mapped[str] = mapped_column(String(60))
    requires_innovation: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher wins when bands overlap by condition
    scheme: Mapped[ScoringScheme] = relationship(back_populates="predicate_bands")


class PredicateMatrixCell(SourceMixin, db.Model):
    """Matrix regime: (hasil kerja x perilaku) -> predikat."""

    __tablename__ = "predicate_matrix_cell"
    __table_args__ = (
        UniqueConstraint("scheme_id", "hasil", "perilaku"),
        CheckConstraint(in_check("hasil", CATEGORIES), name="hasil"),
        CheckConstraint(in_check("perilaku", CATEGORIES), name="perilaku"),
        source_check(),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    hasil: Mapped[str] = mapped_column(String(10))
    perilaku: Mapped[str] = mapped_column(String(10))
    predicate: Mapped[str] = mapped_column(String(60))
    scheme: Mapped[ScoringScheme] = relationship(back_populates="matrix_cells")


class CategoryThreshold(SourceMixin, db.Model):
    """Suggests a category (di bawah / sesuai / di atas) from a number: value >= lower."""

    __tablename__ = "category_threshold"
    __table_args__ = (
        UniqueConstraint("scheme_id", "dimension", "category"),
        CheckConstraint("dimension IN ('hasil', 'perilaku')", name="dimension"),
        CheckConstraint(in_check("category", CATEGORIES), name="category"),
        source_check(),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(10))
    lower: Mapped[Decimal] = mapped_column(Score)
    scheme: Mapped[ScoringScheme] = relationship(back_populates="category_thresholds")


class DistributionRule(SourceMixin, db.Model):
    """Distribution curve per organisation rating: share of a predicate (or group) min/max %."""

    __tablename__ = "distribution_rule"
    __table_args__ = (CheckConstraint(in_check("org_rating", ORG_RATINGS), name="org_rating"), source_check())
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scoring_scheme.id", ondelete="CASCADE"), index=True)
    org_rating: Mapped[str] = mapped_column(String(20))
    # One or more predicate labels separated by "|" (e.g. "Butuh Perbaikan|Kurang")
    predicates: Mapped[str] = mapped_column(String(200))
    min_pct: Mapped[Optional[Decimal]] = mapped_column(Score)
    max_pct: Mapped[Optional[Decimal]] = mapped_column(Score)
    min_count: Mapped[Optional[int]] = mapped_column(Integer)
    scheme: Mapped[ScoringScheme] = relationship(back_populates="distribution_rules")


class UnitRating(db.Model):
    """Predikat kinerja organisasi of a unit in a period (drives the distribution check)."""

    __tablename__ = "unit_rating"
    __table_args__ = (
        UniqueConstraint("period_id", "unit_id"),
        CheckConstraint(in_check("rating", ORG_RATINGS), name="rating"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    rating: Mapped[str] = mapped_column(String(20))
    period = relationship("Period")
    unit = relationship("Unit")
