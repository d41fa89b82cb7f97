"""Provenance of rule values (DOMAIN.md): seeded by the presets, kept by clones, validated, shown in the
admin and restored on databases seeded before it existed; the scheme settings for rounding and missing
data are edited in the admin."""
from __future__ import annotations

from sqlalchemy import select

from kinerja_admin.reference import seed_reference
from kinerja_admin.scoring.presets import ROW_KEYS
from kinerja_admin.scoring.validation import SchemeError, clone_scheme, validate_scheme
from models import ScoringScheme, db
from tests.conftest import login_as

from .scoring_helpers import scheme

PRESETS = ("PP46-2011", "PP30-2019", "PP30-2019-360", "PERMENPANRB-6-2022")


def _rows(s):
    return [row for rel in ROW_KEYS for row in getattr(s, rel)]


def test_every_seeded_rule_value_says_where_it_comes_from(app):
    for code in PRESETS:
        s = scheme(code)
        validate_scheme(s)
        assert all(r.source in ("regulasi", "praktik", "bawaan") for r in _rows(s)), code
        assert all(r.source_note for r in _rows(s) if r.source != "bawaan"), code
        assert s.rounding_source and s.missing_source and s.scale_source
    # values no regulation sets are never the regulation's (DOMAIN.md)
    matrix = scheme("PERMENPANRB-6-2022")
    assert {t.source for t in matrix.category_thresholds} == {"bawaan"}
    assert {w.source for w in matrix.rater_weights} == {"bawaan"}
    assert {c.source for c in matrix.matrix_cells} == {"regulasi"}
    assert {w.source for w in scheme("PP30-2019-360").rater_weights if w.weight > 0} == {"praktik"}
    verify = [b for b in scheme("PP30-2019").predicate_bands if b.label in ("Kurang", "Sangat Kurang")]
    assert verify and all("diverifikasi" in b.source_note for b in verify)


def test_clone_keeps_provenance_and_settings(app):
    s = scheme("PP30-2019-360")
    copy = clone_scheme(db.session, s)
    db.session.flush()
    assert [(r.source, r.source_note) for r in _rows(copy)] == [(r.source, r.source_note) for r in _rows(s)]
    assert (copy.missing_superior, copy.rounding_mode, copy.missing_source) == \
        (s.missing_superior, s.rounding_mode, s.missing_source)


def test_a_regulation_source_must_name_the_regulation(app):
    copy = clone_scheme(db.session, scheme("PP46-2011"))
    copy.predicate_bands[0].source_note = " "
    try:
        validate_scheme(copy)
    except SchemeError as err:
        assert "nama regulasinya" in str(err)
    else:
        raise AssertionError("a regulation source without its name was accepted")
    copy.predicate_bands[0].source, copy.predicate_bands[0].source_note = "bawaan", None
    validate_scheme(copy)


def test_init_fills_in_provenance_on_presets_seeded_before_it_existed(app):
    s = scheme("PP46-2011")
    expected = [(r.source, r.source_note) for r in _rows(s)]
    for r in _rows(s):
        r.source = r.source_note = None
    s.rounding_source = s.rounding_source_note = None
    db.session.commit()
    seed_reference(db.session)
    db.session.commit()
    db.session.expire_all()
    s = scheme("PP46-2011")
    assert [(r.source, r.source_note) for r in _rows(s)] == expected
    assert s.rounding_source == "bawaan"


def test_admin_edits_the_missing_data_policy_and_shows_sources(client, demo):
    login_as(client, demo["users"]["operator"])
    copy = clone_scheme(db.session, scheme("PP30-2019-360"))
    db.session.commit()
    page = client.get(f"/admin/scoring_scheme/details/?id={copy.id}").get_data(as_text=True)
    assert "Praktik instansi" in page and "Teks regulasi" in page and "Sumber" in page
    assert "Nilai perilaku tidak dihitung" not in page  # settings read as sentences, not engine messages
    assert "Tanpa penilaian atasan, nilai perilaku tidak dihitung" in page
    form = client.get(f"/admin/scoring_scheme/edit/?id={copy.id}").get_data(as_text=True)
    assert 'name="missing_superior"' in form and 'name="rounding_mode"' in form
    assert 'name="rater_weights-0-source"' in form and 'inputmode="decimal"' in form
    data = {"code": copy.code, "name": copy.name, "kind": copy.kind, "scale_min": "0", "scale_max": "120",
            "round_decimals": "0", "rounding_mode": "half_even", "missing_superior": "allow",
            "missing_realisation": "block", "missing_source": "praktik", "missing_source_note": "BKPSDM Binjai"}
    for i, c in enumerate(copy.component_weights):  # weights typed the Indonesian way
        data.update({f"component_weights-{i}-id": str(c.id), f"component_weights-{i}-component": c.component,
                     f"component_weights-{i}-weight": f"{int(c.weight)},0",
                     f"component_weights-{i}-source": "regulasi", f"component_weights-{i}-source_note": "PP 30/2019"})
    rv = client.post(f"/admin/scoring_scheme/edit/?id={copy.id}", data=data)
    assert rv.status_code == 302, rv.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    stored = db.session.scalar(select(ScoringScheme).where(ScoringScheme.id == copy.id))
    assert (stored.missing_superior, stored.missing_realisation, stored.round_decimals, stored.rounding_mode) == \
        ("allow", "block", 0, "half_even")
    assert (stored.missing_source, stored.missing_source_note) == ("praktik", "BKPSDM Binjai")
    assert stored.version == 2
    # a practice without saying whose is refused with a message
    data["missing_source_note"] = ""
    html = client.post(f"/admin/scoring_scheme/edit/?id={copy.id}", data=data, follow_redirects=True) \
        .get_data(as_text=True)
    assert "instansi yang mempraktikkannya" in html
