"""The record policy's matrix through the SKP page and the assessment page: for every user around a plan
and every plan state, the page offers exactly the changes the rules (kinerja_admin/policy/rules.py)
allow, and a POST of each change is stored exactly when they allow it. Expectations come from the
rules and the scenario's facts (who is whom to the plan), not from what the page computed."""
from __future__ import annotations

import io

from sqlalchemy import func, select, update

from kinerja_admin.extensions import db
from kinerja_admin.policy import BY_MODEL, Ctx, permits
from kinerja_admin.policy.check import rules_of
from models import EvidenceFile, Indicator, Realisation, SpecialExpectation, Target, WorkPlan
from tests.conftest import login_as
from tests.test_policy_matrix import _set_state, scene  # noqa: F401  (the scenario fixture)

STATES = [("draft", "running"), ("returned", "planning"), ("submitted", "running"), ("approved", "running"),
          ("realised", "assessing"), ("assessed", "assessing")]
PDF = b"%PDF-1.4\n%%EOF\n"


def _field(model, column, rels, ctx) -> bool:
    return any(permits(r, rels, ctx) for r in rules_of(BY_MODEL[model].fields[column]))


def _create(model, rels, ctx) -> bool:
    return any(permits(r, rels, ctx) for r in BY_MODEL[model].create)


def _count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_pages_offer_and_store_exactly_what_the_policy_allows(client, scene):  # noqa: F811
    plan, indicator = scene["plan"], scene["indicator"]
    aspect_id = scene["expectation"].aspect_id
    url = f"/admin/skp/{plan.id}"
    mismatches = []

    def check(what, expected, offered, stored):
        if offered != expected or stored != expected:
            mismatches.append((what, name, plan_status, period_status, expected, offered, stored))

    for plan_status, period_status in STATES:
        _set_state(scene, plan_status, period_status)
        db.session.commit()
        ctx = Ctx(plan_status=plan_status, period_status=period_status)
        for name, user in scene["actors"].items():
            rels = scene["relations"][name]
            login_as(client, user)
            rv = client.get(url)
            if name == "lain":  # outside the plan's scope: not even the page
                assert rv.status_code == 404 and client.get(url + "/nilai").status_code == 404
                assert client.post(url + "/rhk", data={"op": "add", "description": "x"}).status_code == 404
                continue
            html = rv.get_data(as_text=True)

            # RHK: add
            before = _count(Target, Target.work_plan_id == plan.id)
            client.post(url + "/rhk", data={"op": "add", "description": "RHK uji matriks"})
            check("rhk add", _create(Target, rels, ctx), 'id="rhk-baru"' in html,
                  _count(Target, Target.work_plan_id == plan.id) == before + 1)

            # indicator: change the target value
            ind = db.session.get(Indicator, indicator.id)
            old_value = ind.target_value
            client.post(url + "/indikator", data={"op": "edit", "indicator_id": ind.id, "version": ind.version,
                                                   "aspect": ind.aspect, "description": ind.description,
                                                   "target_value": str(old_value + 7), "unit_label": ind.unit_label,
                                                   "formula_code": ind.formula_code or ""})
            db.session.expire_all()
            changed = db.session.get(Indicator, indicator.id).target_value == old_value + 7
            check("indicator edit", _field(Indicator, "target_value", rels, ctx), "Simpan indikator" in html, changed)
            db.session.execute(update(Indicator).where(Indicator.id == indicator.id).values(target_value=old_value))

            # realisation: record one (and evidence with it)
            before = _count(Realisation, Realisation.indicator_id == indicator.id)
            client.post(url + "/realisasi", data={"op": "add", "indicator_id": indicator.id, "value": "3"})
            check("realisation add", _create(Realisation, rels, ctx), f'id="realisasi-{indicator.id}"' in html,
                  _count(Realisation, Realisation.indicator_id == indicator.id) == before + 1)
            latest = db.session.scalar(select(Realisation).where(Realisation.indicator_id == indicator.id)
                                       .order_by(Realisation.id.desc()))
            before = _count(EvidenceFile)
            client.post(url + "/realisasi", content_type="multipart/form-data",
                        data={"op": "attach", "realisation_id": latest.id, "file": (io.BytesIO(PDF), "b.pdf")})
            check("evidence attach", _create(EvidenceFile, rels, ctx),
                  "Unggah berkas ke realisasi terakhir" in html, _count(EvidenceFile) == before + 1)

            # the rater's feedback on the realisation shown on the page (the latest)
            shown = db.session.scalar(select(Realisation).where(Realisation.indicator_id == indicator.id)
                                      .order_by(Realisation.id.desc()))
            client.post(url + "/realisasi", data={"op": "feedback", "realisation_id": shown.id,
                                                   "version": shown.version, "feedback": f"uji {name} {plan_status}"})
            db.session.expire_all()
            stored = db.session.get(Realisation, shown.id).feedback == f"uji {name} {plan_status}"
            check("feedback", _field(Realisation, "feedback", rels, ctx), "Simpan umpan balik" in html, stored)

            # ekspektasi khusus pimpinan
            client.post(url + "/ekspektasi", data={f"aspect-{aspect_id}": f"ekspektasi {name} {plan_status}"})
            db.session.expire_all()
            stored = db.session.scalar(select(SpecialExpectation.text).where(
                SpecialExpectation.work_plan_id == plan.id, SpecialExpectation.aspect_id == aspect_id)) == \
                f"ekspektasi {name} {plan_status}"
            check("expectation", _create(SpecialExpectation, rels, ctx) and _field(SpecialExpectation, "text", rels, ctx),
                  "Simpan ekspektasi khusus" in html, stored)

            # the judgement, on the assessment page
            page = client.get(url + "/nilai").get_data(as_text=True)
            fresh = db.session.get(WorkPlan, plan.id)
            wanted = "dibawah" if fresh.hasil_rating != "dibawah" else "diatas"
            form = {"version": fresh.version, "hasil_rating": wanted, "perilaku_rating": "sesuai", "action": "save"}
            for t in fresh.targets:
                form[f"rhk-{t.id}"] = "sesuai"
                form[f"rhk-version-{t.id}"] = str(t.judgement.version) if t.judgement else ""
            client.post(url + "/nilai", data=form)
            db.session.expire_all()
            stored = db.session.get(WorkPlan, plan.id).hasil_rating == wanted
            check("judgement", _field(WorkPlan, "hasil_rating", rels, ctx), "Simpan penilaian" in page, stored)
            db.session.commit()
    assert mismatches == [], "\n".join(map(str, mismatches))
