"""A final-score expression whose result cannot fit the result column is refused at save, with a
message (issue 15, finding 7: `1e6*1e6*1e6*skp` passed validation, then failed every scoring run)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kinerja_admin.extensions import db
from kinerja_admin.scoring.validation import SchemeError, clone_scheme, validate_scheme
from models import ScoringScheme


@pytest.fixture
def scheme(app):
    preset = db.session.scalar(select(ScoringScheme).where(ScoringScheme.kind == "numeric")
                               .order_by(ScoringScheme.id))
    copy = clone_scheme(db.session, preset, "UJI-RUMUS")
    db.session.flush()
    return copy


@pytest.mark.parametrize("expr, message", [
    ("1e6*1e6*1e6*skp", "di luar batas kolom nilai akhir"),
    ("skp*perilaku*skp", "di luar batas kolom nilai akhir"),
    ("skp/perilaku", "dapat bernilai nol"),
    ("-1000000*skp", "di luar batas kolom nilai akhir"),
])
def test_overflowing_expressions_are_refused(scheme, expr, message):
    scheme.final_expression = expr
    with pytest.raises(SchemeError, match=message):
        validate_scheme(scheme)


@pytest.mark.parametrize("expr", ["0.6*skp + 0.4*perilaku", "round(max(skp, 80), 2)", "skp*perilaku/100",
                                  "min(skp, 120) * 0.7 + masyarakat * 0.3", "skp / 2"])
def test_ordinary_expressions_pass(scheme, expr):
    scheme.final_expression = expr
    validate_scheme(scheme)


def test_admin_save_shows_the_message(demo, client, scheme):
    from tests.conftest import csrf_from, login_as
    from tests.test_scoring_admin import _edit_scheme

    db.session.commit()
    login_as(client, demo["users"]["operator"])
    form = client.get(f"/admin/scoring_scheme/edit/?id={scheme.id}").get_data(as_text=True)
    rv = _edit_scheme(client, scheme, csrf_from(form), final_expression="1e6*1e6*1e6*skp")
    assert "di luar batas kolom nilai akhir" in rv.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(ScoringScheme, scheme.id).final_expression != "1e6*1e6*1e6*skp"
