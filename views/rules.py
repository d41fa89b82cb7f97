"""Scoring rule tables (filled, validated and extended by the scoring engine issue)."""
from __future__ import annotations

from wtforms import SelectField

from models import UnitRating
from models.base import ORG_RATINGS, SCHEME_KINDS, choices

from .base import SecuredModelView


class ScoringSchemeView(SecuredModelView):
    audit_entity = "scoring_scheme"
    column_list = ["code", "name", "kind", "version", "is_preset", "locked"]
    column_default_sort = "code"
    column_searchable_list = ["code", "name"]
    column_filters = ["kind", "is_preset", "locked"]
    column_labels = {"code": "Kode", "name": "Nama skema", "kind": "Jenis", "regulation": "Dasar hukum",
                     "description": "Keterangan", "version": "Versi", "is_preset": "Bawaan regulasi",
                     "locked": "Terkunci", "based_on": "Turunan dari", "scale_min": "Skala minimal",
                     "scale_max": "Skala maksimal", "final_expression": "Rumus nilai akhir",
                     "round_decimals": "Pembulatan (desimal) sebelum predikat",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_formatters = {"kind": lambda v, c, m, n: SCHEME_KINDS.get(m.kind, m.kind)}
    form_columns = ["code", "name", "kind", "regulation", "description", "scale_min", "scale_max",
                    "final_expression", "round_decimals"]
    form_overrides = {"kind": SelectField}
    form_args = {"kind": {"choices": choices(SCHEME_KINDS), "label": "Jenis"}}
    column_details_exclude_list = ["component_weights", "rater_weights", "aspects", "formulas",
                                   "achievement_bands", "predicate_bands", "matrix_cells",
                                   "category_thresholds", "distribution_rules"]


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
