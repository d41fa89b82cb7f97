"""Scoring through the admin (action, validation on save, clone, explanation) and the CLI."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from kinerja_admin.scoring.expression import ExpressionError, evaluate, parse
from kinerja_admin.scoring.validation import scheme_counts
from models import AuditLog, ComponentWeight, ScoreResult, db

from .conftest import csrf_from, login_as
from .scoring_helpers import scheme


def _results(period_id):
    return db.session.scalar(select(func.count()).select_from(ScoreResult).where(ScoreResult.period_id == period_id))


def test_score_demo_period_through_admin_action(client, demo):
    login_as(client, demo["users"]["operator"])
    p = demo["periods"]["2025"]
    token = csrf_from(client.get("/admin/period/").get_data(as_text=True))
    rv = client.post("/admin/period/action/", data={"action": "hitung_nilai", "rowid": [str(p.id)],
                                                    "url": "/admin/period/", "csrf_token": token},
                     follow_redirects=True)
    html = rv.get_data(as_text=True)
    assert rv.status_code == 200 and "nilai dihitung" in html
    assert _results(p.id) == 60
    assert db.session.scalar(select(func.count()).select_from(ScoreResult)
                             .where(ScoreResult.period_id == p.id, ScoreResult.atasan_avg.is_not(None))) > 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "score")) == 1
    rid = db.session.scalar(select(ScoreResult.id).where(ScoreResult.period_id == p.id).limit(1))
    page = client.get(f"/admin/score_result/explain/?id={rid}")
    assert page.status_code == 200 and "Penjelasan nilai" in page.get_data(as_text=True)


def test_penilai_cannot_run_scoring_action(client, demo):
    login_as(client, demo["users"]["penilai"])
    p = demo["periods"]["2025"]
    token = csrf_from(client.get("/admin/period/").get_data(as_text=True))
    rv = client.post("/admin/period/action/", data={"action": "hitung_nilai", "rowid": [str(p.id)],
                                                    "url": "/admin/period/", "csrf_token": token})
    assert rv.status_code in (302, 403)
    assert _results(p.id) == 0


def test_score_demo_period_through_cli_is_idempotent(app, demo):
    runner = app.test_cli_runner()
    res = runner.invoke(args=["kinerja", "score", "2025"])
    assert res.exit_code == 0, res.output
    assert "60 nilai dihitung" in res.output
    p = demo["periods"]["2025"]
    first = dict(db.session.execute(select(ScoreResult.employee_id, ScoreResult.predicate)
                                    .where(ScoreResult.period_id == p.id)).all())
    # approve one result: a rerun must skip it
    r = db.session.scalar(select(ScoreResult).where(ScoreResult.period_id == p.id).order_by(ScoreResult.id).limit(1))
    r.status, r.predicate = "approved", "Diubah penilai"
    db.session.commit()
    res = runner.invoke(args=["kinerja", "score", "2025"])
    assert res.exit_code == 0 and "1 dilewati" in res.output
    again = dict(db.session.execute(select(ScoreResult.employee_id, ScoreResult.predicate)
                                    .where(ScoreResult.period_id == p.id)).all())
    assert again.pop(r.employee_id) == "Diubah penilai"
    first.pop(r.employee_id)
    assert again == first and _results(p.id) == 60
    assert runner.invoke(args=["kinerja", "score", "nope"]).exit_code == 1


@pytest.mark.parametrize("text", [
    "skp.__class__", "__import__('os')", "open('x')", "skp ** 2", "x + 1", "9" * 30, "(" * 40 + "1" + ")" * 40,
    "skp + " * 80 + "1", "lambda: 1", "[skp]", "skp if skp else 1", "round(skp, 9)", "min(skp)", "'a'",
    "skp < 1", "max(*[1,2])",
])
def test_expression_whitelist_rejects_hostile_input(text):
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert str(err.value)  # an Indonesian message


def test_expression_evaluates_whitelisted_forms():
    vals = {"skp": D(80), "perilaku": D(90), "atasan": None}
    assert evaluate("0.6*skp + 0.4*perilaku", vals) == D("84.0")
    assert evaluate("round(max(skp, perilaku) / 3, 2)", vals) == D("30.00")
    assert evaluate("-skp + min(skp, 100, perilaku)", vals) == D(0)
    assert evaluate("skp + atasan", vals) is None


def _edit_scheme(client, scheme_obj, token, **overrides):
    data = {"code": scheme_obj.code, "name": scheme_obj.name, "kind": scheme_obj.kind, "scale_min": "0",
            "scale_max": "100", "final_expression": scheme_obj.final_expression or "",
            "round_decimals": "", "csrf_token": token}
    for i, c in enumerate(scheme_obj.component_weights):
        data.update({f"component_weights-{i}-id": str(c.id), f"component_weights-{i}-component": c.component,
                     f"component_weights-{i}-weight": str(c.weight)})
    data.update(overrides)
    return client.post(f"/admin/scoring_scheme/edit/?id={scheme_obj.id}", data=data, follow_redirects=True)


def test_clone_preset_then_validation_rejections_store_nothing(client, demo):
    login_as(client, demo["users"]["admin"])
    pre = scheme("PP46-2011")
    before = scheme_counts(db.session, pre.id)
    token = csrf_from(client.get("/admin/scoring_scheme/").get_data(as_text=True))
    rv = client.post("/admin/scoring_scheme/action/", data={"action": "salin", "rowid": [str(pre.id)],
                                                            "url": "/admin/scoring_scheme/", "csrf_token": token},
                     follow_redirects=True)
    assert "Skema disalin" in rv.get_data(as_text=True)
    copy = scheme("PP46-2011-SALIN")
    assert scheme_counts(db.session, copy.id) == before == scheme_counts(db.session, pre.id)
    assert pre.version == 1 and copy.version == 1 and not copy.locked
    # editing the preset is refused
    form = client.get(f"/admin/scoring_scheme/edit/?id={pre.id}").get_data(as_text=True)
    rv = _edit_scheme(client, pre, csrf_from(form), name="Diubah")
    assert "Salin skema" in rv.get_data(as_text=True)
    db.session.expire_all()
    assert scheme("PP46-2011").name != "Diubah"
    # weights not totalling 100 on the clone: message, nothing stored
    form = client.get(f"/admin/scoring_scheme/edit/?id={copy.id}").get_data(as_text=True)
    skp_idx = [c.component for c in copy.component_weights].index("skp")
    rv = _edit_scheme(client, copy, csrf_from(form), name="Baru", **{f"component_weights-{skp_idx}-weight": "70"})
    assert "harus 100" in rv.get_data(as_text=True)
    db.session.expire_all()
    copy = scheme("PP46-2011-SALIN")
    assert copy.name != "Baru" and copy.version == 1
    assert db.session.scalar(select(ComponentWeight.weight).where(ComponentWeight.scheme_id == copy.id,
                                                                  ComponentWeight.component == "skp")) == 60
    # a bad expression: message, nothing stored
    rv = _edit_scheme(client, copy, csrf_from(form), final_expression="skp.__class__")
    assert "atribut" in rv.get_data(as_text=True)
    db.session.expire_all()
    assert scheme("PP46-2011-SALIN").final_expression is None
    # a valid edit bumps the version
    rv = _edit_scheme(client, copy, csrf_from(form), final_expression="0.5*skp + 0.5*perilaku")
    db.session.expire_all()
    copy = scheme("PP46-2011-SALIN")
    assert copy.final_expression == "0.5*skp + 0.5*perilaku" and copy.version == 2
    assert client.get(f"/admin/scoring_scheme/details/?id={copy.id}").status_code == 200


def test_validation_rules_directly(app):
    from kinerja_admin.scoring.validation import SchemeError, clone_scheme, validate_scheme
    from models import PredicateBand, PredicateMatrixCell

    for code in ("PP46-2011", "PP30-2019", "PP30-2019-360", "PERMENPANRB-6-2022"):
        validate_scheme(scheme(code))  # the presets are valid
    s = clone_scheme(db.session, scheme("PP46-2011"))
    s.predicate_bands = [b for b in s.predicate_bands if b.label != "Cukup"]  # gap 61..76
    with pytest.raises(SchemeError, match="celah"):
        validate_scheme(s)
    s.predicate_bands.append(PredicateBand(lower=D(60), upper=D(76), label="Cukup"))  # overlaps Kurang
    with pytest.raises(SchemeError, match="tumpang tindih"):
        validate_scheme(s)
    m = clone_scheme(db.session, scheme("PERMENPANRB-6-2022"))
    m.matrix_cells = m.matrix_cells[:8]
    with pytest.raises(SchemeError, match="9 sel"):
        validate_scheme(m)
    m.matrix_cells.append(PredicateMatrixCell(hasil="diatas", perilaku="diatas", predicate="X"))
    m.matrix_cells.append(PredicateMatrixCell(hasil="dibawah", perilaku="dibawah", predicate="Y"))
    with pytest.raises(SchemeError):
        validate_scheme(m)
    db.session.rollback()
