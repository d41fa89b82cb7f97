"""Scoring rule tables (filled, validated and extended by the scoring engine issue)."""
from __future__ import annotations

from flask import flash
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.form import InlineFormAdmin
from wtforms import SelectField

from kinerja_admin.scoring.formulas import FORMULA_CHOICES
from kinerja_admin.scoring.rules import scheme_rule_texts
from kinerja_admin.scoring.validation import (
    CHILDREN,
    SchemeError,
    assert_editable,
    clone_scheme,
    closed_periods_using,
    validate_scheme,
)
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
    UnitRating,
    db,
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
    choices,
)

from .base import DomainError, SecuredModelView

# provenance of a rule value (DOMAIN.md): empty = not recorded
SOURCE_CHOICES = [("", "— belum dicatat —"), *choices(PROVENANCE)]
SOURCE_ARGS = {"choices": SOURCE_CHOICES, "validate_choice": False, "filters": [lambda v: v or None]}
SOURCE_LABELS = {"source": "Sumber", "source_note": "Keterangan sumber (nama regulasi / instansi)"}


def _coded(mapping, attr, empty=None):
    """A list/details formatter showing the label of a coded column."""
    return lambda v, c, m, n: mapping.get(getattr(m, attr), getattr(m, attr) if empty is None else empty)


def _inline(model, columns, labels, selects=None):
    """An inline child form (pk first, as Flask-Admin 2.x requires) with Indonesian labels, ending with
    the row's provenance (source, note)."""
    selects = dict(selects or {})
    columns = [*columns, "source", "source_note"]
    labels = {**labels, **SOURCE_LABELS}
    args = {c: {"label": labels.get(c, c)} for c in columns}
    for col, opts in selects.items():
        args[col]["choices"] = opts
    args["source"].update(SOURCE_ARGS)
    overrides = {c: SelectField for c in [*selects, "source"]}
    return InlineFormAdmin(model, form_columns=["id", *columns], form_args=args,
                           form_overrides=overrides, form_label=labels.get("_", None))


INLINES = [
    _inline(ComponentWeight, ["component", "weight"],
            {"_": "Bobot komponen", "component": "Komponen", "weight": "Bobot (%)"},
            {"component": [("skp", "SKP"), ("perilaku", "Perilaku")]}),
    _inline(RaterRoleWeight, ["role", "weight"], {"_": "Bobot peran penilai", "role": "Peran", "weight": "Bobot (%)"},
            {"role": choices(RATER_ROLES)}),
    _inline(BehaviourAspect, ["seq", "code", "name", "weight", "structural_only", "indicators_text"],
            {"_": "Aspek perilaku", "seq": "Urutan", "code": "Kode", "name": "Nama", "weight": "Bobot",
             "structural_only": "Hanya jabatan struktural", "indicators_text": "Kalimat indikator (satu per baris)"}),
    _inline(SchemeFormula, ["aspect", "formula_code", "is_default"],
            {"_": "Rumus indikator", "aspect": "Aspek sasaran", "formula_code": "Rumus", "is_default": "Bawaan"},
            {"aspect": choices(TARGET_ASPECTS), "formula_code": FORMULA_CHOICES}),
    _inline(AchievementBand, ["lower", "upper", "value_from", "value_to", "span_to"],
            {"_": "Pita capaian", "lower": "Capaian dari (%)", "upper": "Capaian sampai (< %)",
             "value_from": "Nilai awal", "value_to": "Nilai akhir", "span_to": "Capaian akhir rentang"}),
    _inline(PredicateBand, ["lower", "upper", "label", "requires_innovation", "priority"],
            {"_": "Pita predikat", "lower": "Dari", "upper": "Sampai (<)", "label": "Predikat",
             "requires_innovation": "Syarat ada inovasi", "priority": "Prioritas"}),
    _inline(PredicateMatrixCell, ["hasil", "perilaku", "predicate"],
            {"_": "Sel matriks predikat", "hasil": "Hasil kerja", "perilaku": "Perilaku", "predicate": "Predikat"},
            {"hasil": choices(CATEGORIES), "perilaku": choices(CATEGORIES)}),
    _inline(CategoryThreshold, ["dimension", "category", "lower"],
            {"_": "Ambang kategori", "dimension": "Dimensi", "category": "Kategori", "lower": "Mulai dari"},
            {"dimension": [("hasil", "Hasil kerja"), ("perilaku", "Perilaku")], "category": choices(CATEGORIES)}),
    _inline(DistributionRule, ["org_rating", "predicates", "min_pct", "max_pct", "min_count"],
            {"_": "Kurva distribusi", "org_rating": "Predikat organisasi",
             "predicates": "Predikat pegawai (pisahkan dengan |)", "min_pct": "Minimal (%)",
             "max_pct": "Maksimal (%)", "min_count": "Jumlah minimal"},
            {"org_rating": choices(ORG_RATINGS)}),
]


class ScoringSchemeView(SecuredModelView):
    audit_entity = "scoring_scheme"
    column_list = ["code", "name", "kind", "rating_decider", "version", "is_preset", "locked"]
    column_default_sort = "code"
    column_searchable_list = ["code", "name"]
    column_filters = ["kind", "is_preset", "locked"]
    column_labels = {"code": "Kode", "name": "Nama skema", "kind": "Jenis", "regulation": "Dasar hukum",
                     "description": "Keterangan", "version": "Versi aturan", "is_preset": "Bawaan regulasi",
                     "locked": "Terkunci", "based_on": "Turunan dari", "scale_min": "Skala minimal",
                     "scale_max": "Skala maksimal", "final_expression": "Rumus nilai akhir",
                     "round_decimals": "Pembulatan (desimal) sebelum predikat",
                     "rounding_mode": "Cara pembulatan", "rounding_source": "Sumber aturan pembulatan",
                     "rounding_source_note": "Keterangan sumber pembulatan",
                     "missing_realisation": "Indikator tanpa realisasi",
                     "missing_superior": "Tanpa penilaian atasan",
                     "missing_source": "Sumber kebijakan data kosong",
                     "missing_source_note": "Keterangan sumber kebijakan data kosong",
                     "scale_source": "Sumber skala nilai perilaku", "scale_source_note": "Keterangan sumber skala",
                     "rating_decider": "Penentu rating", "scale_meanings": "Arti skala nilai perilaku",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"kind": _coded(SCHEME_KINDS, "kind"),
                         "rounding_mode": _coded(ROUNDING_MODES, "rounding_mode"),
                         "missing_realisation": _coded(MISSING_REALISATION, "missing_realisation"),
                         "missing_superior": _coded(MISSING_SUPERIOR, "missing_superior"),
                         **{c: _coded(PROVENANCE, c, "belum dicatat")
                            for c in ("rounding_source", "missing_source", "scale_source")},
                         "rating_decider": _coded(RATING_DECIDERS, "rating_decider")}
    form_columns = ["code", "name", "kind", "rating_decider", "regulation", "description", "scale_min", "scale_max",
                    "scale_source", "scale_source_note", "scale_meanings", "final_expression", "round_decimals",
                    "rounding_mode",
                    "rounding_source", "rounding_source_note", "missing_realisation", "missing_superior",
                    "missing_source", "missing_source_note"]
    form_overrides = {"kind": SelectField, "rounding_mode": SelectField, "missing_realisation": SelectField,
                      "missing_superior": SelectField, "rounding_source": SelectField, "missing_source": SelectField,
                      "scale_source": SelectField, "rating_decider": SelectField}
    form_args = {"kind": {"choices": choices(SCHEME_KINDS), "label": "Jenis"},
                 "regulation": {"label": "Dasar hukum (regulasi yang diterapkan skema)"},
                 "rounding_mode": {"choices": choices(ROUNDING_MODES), "label": "Cara pembulatan"},
                 "missing_realisation": {"choices": choices(MISSING_REALISATION),
                                         "label": "Indikator tanpa realisasi"},
                 "missing_superior": {"choices": choices(MISSING_SUPERIOR), "label": "Tanpa penilaian atasan"},
                 "rounding_source": {**SOURCE_ARGS, "label": "Sumber aturan pembulatan"},
                 "missing_source": {**SOURCE_ARGS, "label": "Sumber kebijakan data kosong"},
                 "scale_source": {**SOURCE_ARGS, "label": "Sumber skala nilai perilaku"},
                 "rating_decider": {
                     "choices": choices(RATING_DECIDERS), "label": "Penentu rating",
                     "description": "Skema matriks: 'Pejabat penilai' = rating hasil kerja dan perilaku adalah "
                                    "penilaian pejabat penilai (PermenPANRB 6/2022); SKP tanpa penilaian tidak "
                                    "berpredikat ('belum dinilai atasan'). 'Ambang nilai' = kategori disarankan "
                                    "dari ambang kategori; penilaian pejabat penilai, bila diisi, diutamakan. "
                                    "Skema numerik: ambang nilai."},
                 "scale_meanings": {
                     "label": "Arti skala nilai perilaku",
                     "description": "Satu baris per titik skala, 'angka = arti' (misalnya '3 = Sesuai ekspektasi'); "
                                    "tampil pada formulir penilaian perilaku. Pada skala kontinu, baris berarti "
                                    "'mulai nilai ini'."}}
    column_details_exclude_list = ["component_weights", "rater_weights", "aspects", "formulas",
                                   "achievement_bands", "predicate_bands", "matrix_cells",
                                   "category_thresholds", "distribution_rules"]
    inline_models = INLINES
    details_template = "admin/scoring/scheme_details.html"
    hidden_detail_columns = ()  # a scheme's version is its rule version, shown to readers

    def validate_model(self, model, is_created, form=None):
        """Rules live in kinerja_admin.scoring.validation; here they are only called."""
        try:
            if not is_created:
                assert_editable(db.session, model)
            db.session.flush()  # inline children added/removed by the form
            for rel in CHILDREN:
                db.session.expire(model, [rel])
            validate_scheme(model)
        except SchemeError as err:
            raise DomainError(str(err)) from err
        if not is_created:
            model.version = (model.version or 1) + 1  # editing a scheme's rules bumps its version

    def on_model_delete(self, model):
        try:
            assert_editable(db.session, model)
        except SchemeError as err:
            raise DomainError(str(err)) from err
        if db.session.scalar(db.select(Period.id).where(Period.scheme_id == model.id).limit(1)) is not None:
            raise DomainError(f"Skema {model.code} masih dipakai periode dan tidak dapat dihapus.")
        super().on_model_delete(model)

    @action("salin", "Salin skema", "Salin skema terpilih beserta seluruh aturannya?")
    def action_clone(self, ids):
        from kinerja_admin.audit import record

        made = []
        for scheme in self.scoped_ids_query(ids).all():
            copy = clone_scheme(db.session, scheme)
            db.session.flush()
            record("clone", "scoring_scheme", copy.id, changes={"from": scheme.code, "to": copy.code})
            made.append(copy.code)
        db.session.commit()
        if made:
            flash(f"Skema disalin: {', '.join(made)}. Ubah salinannya lalu pilih di periode.", "success")
        else:
            flash("Tidak ada skema yang disalin.", "warning")

    @expose("/details/")
    def details_view(self):
        from flask import request

        from kinerja_admin.scoring.distribution import check_distribution

        scheme = self.get_one(request.args.get("id"))
        periods = db.session.scalars(db.select(Period).where(Period.scheme_id == scheme.id)
                                     .order_by(Period.code)).all()
        self._template_args["scheme"] = scheme
        self._template_args.update(scheme_rule_texts(scheme))
        self._template_args["closed_periods"] = closed_periods_using(db.session, scheme.id)
        self._template_args["period_warnings"] = [(p, check_distribution(db.session, p)) for p in periods
                                                  if scheme.kind == "matrix"]
        return super().details_view()


class UnitRatingView(SecuredModelView):
    audit_entity = "unit_rating"
    column_list = ["period", "unit", "rating"]
    column_default_sort = [("period_id", True), ("unit_id", False)]
    column_filters = ["period.code", "rating"]
    column_labels = {"period": "Periode", "period.code": "Periode", "unit": "Unit kerja",
                     "rating": "Predikat kinerja organisasi"}
    column_formatters = {"rating": lambda v, c, m, n: ORG_RATINGS.get(m.rating, m.rating)}
    form_columns = ["period", "unit", "rating"]
    form_overrides = {"rating": SelectField}
    form_args = {"rating": {"choices": choices(ORG_RATINGS), "label": "Predikat kinerja organisasi"}}


__all__ = ["UnitRating"]
