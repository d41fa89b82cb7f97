"""The RHK cascade: which links are valid (check_cascade_link), what the AJAX pickers offer, the
alignment checks, the cascade tree, the Target form and the printed SKP column."""
from __future__ import annotations

import re

import pytest

from kinerja_admin.planning import PlanningError
from kinerja_admin.planning.cascade import alignment, cascade_tree, check_cascade_link
from models import OrgIndicator, Period, Program, Target, User, db
from tests.conftest import login_as
from tests.planning_helpers import build_org, org_indicator, rhk


def _user(org, key, role="pegawai"):
    u = User(username=f"u-{key.lower()}", role=role, employee_id=org.employees[key].id, password_hash="x")
    db.session.add(u)
    db.session.commit()
    return u


def _new_rhk(org, plan_key, **links):
    t = Target(work_plan_id=org.plans[plan_key].id, seq=99, description="RHK baru", **links)
    db.session.add(t)
    return t


def test_alignment_finds_unsupported_indicators_and_unlinked_rhks(app):
    org = build_org()
    rows = {a.opd.code: a for a in alignment(db.session, org.p25)}
    a = rows["OPD-A"]
    assert {code for _id, code, _desc in a.unsupported} == {"I3", "IKU"}
    assert (a.indicators, a.rhk, a.unlinked) == (4, 9, 1)  # s2b links to nothing
    assert not a.ok
    # linking the last RHK and supporting I3 and the IKU makes the OPD aligned
    org.rhk["s2b"].parent_target_id = org.rhk["k1a"].id
    rhk(org, "h3", org.plans["H"], [(1, [1], False)], org_indicator=org.ind["I3"])
    rhk(org, "h4", org.plans["H"], [(1, [1], False)], org_indicator=org.ind["IKU"])
    db.session.commit()
    a = {x.opd.code: x for x in alignment(db.session, org.p25)}["OPD-A"]
    assert (a.unsupported, a.unlinked, a.ok) == ([], 0, True)
    assert {x.opd.code for x in alignment(db.session, org.p25, {org.opd_b.id})} <= {"OPD-B"}


def test_cascade_tree_of_an_opd(app):
    org = build_org()
    tree = cascade_tree(db.session, org.p25, org.opd.id)
    goal = tree["goals"][0]
    assert goal.goal.code == "SS1" and [i.indicator.code for i in goal.indicators] == ["IKU"]
    prg = goal.programs[0]
    assert prg.program.code == "1.01" and prg.children[0].program.code == "1.01.2.01"
    i1 = next(i for i in prg.indicators if i.indicator.code == "I1")
    head = i1.rhks[0]
    assert head.description == "RHK h1" and head.count() == 6
    assert sorted(c.description for c in head.children) == ["RHK k1a", "RHK k1b"]
    assert [n.description for n in tree["unlinked"]] == ["RHK s2b"]
    assert {n.indicator.code for n in tree["unsupported"]} == {"I3", "IKU"}


def test_valid_links_pass(app):
    org = build_org(with_rhks=False)
    head = _new_rhk(org, "H", org_indicator_id=org.ind["I1"].id)
    db.session.flush()
    check_cascade_link(db.session, head)
    child = _new_rhk(org, "K1", parent_target_id=head.id)
    check_cascade_link(db.session, child)


@pytest.mark.parametrize("case, message", [
    ("both", "tidak keduanya"),
    ("not_rater", "SKP pejabat penilai"),
    ("not_approved", "belum disetujui"),
    ("other_period", "periode yang sama"),
    ("no_rater", "tidak memiliki pejabat penilai"),
    ("indicator_not_head", "Hanya RHK kepala perangkat daerah"),
    ("indicator_other_opd", "milik perangkat daerah pegawai"),
    ("indicator_other_period", "periode yang sama dengan SKP"),
    ("cycle", "lingkaran"),
])
def test_invalid_links_are_refused(app, case, message):
    org = build_org(with_rhks=False)
    head = rhk(org, "h", org.plans["H"], [(1, [1], False)], org_indicator=org.ind["I1"])
    kabid = rhk(org, "k", org.plans["K1"], [(1, [1], False)], parent=head)
    if case == "both":
        t = _new_rhk(org, "K1", parent_target_id=head.id, org_indicator_id=org.ind["I1"].id)
    elif case == "not_rater":  # S1's rater is K1, not H
        t = _new_rhk(org, "S1", parent_target_id=head.id)
    elif case == "not_approved":
        org.plans["K1"].status = "submitted"
        t = _new_rhk(org, "S1", parent_target_id=kabid.id)
    elif case == "other_period":
        org.plans["K1"].period_id = org.p24.id
        db.session.flush()
        t = _new_rhk(org, "S1", parent_target_id=kabid.id)
    elif case == "no_rater":
        t = _new_rhk(org, "H", parent_target_id=kabid.id)
    elif case == "indicator_not_head":
        t = _new_rhk(org, "K1", org_indicator_id=org.ind["I1"].id)
    elif case == "indicator_other_opd":
        prog_b = Program(period_id=org.p25.id, unit_id=org.opd_b.id, level="program", code="9.01", name="Program B")
        db.session.add(prog_b)
        db.session.flush()
        other = org_indicator(org, "B1", org.p25, org.opd_b, program=prog_b, target=1)
        t = _new_rhk(org, "H", org_indicator_id=other.id)
    elif case == "indicator_other_period":
        prog_24 = Program(period_id=org.p24.id, unit_id=org.opd.id, level="program", code="1.01", name="Program 24")
        db.session.add(prog_24)
        db.session.flush()
        other = org_indicator(org, "I1", org.p24, org.opd, program=prog_24, target=1)
        t = _new_rhk(org, "H", org_indicator_id=other.id)
    else:  # cycle: the head's RHK made to intervene in its own subordinate's RHK
        head.org_indicator_id = None
        db.session.flush()
        org.plans["H"].rater_id = org.employees["K1"].id
        db.session.flush()
        head.parent_target_id = kabid.id
        t = head
    with pytest.raises(PlanningError, match=message):
        check_cascade_link(db.session, t)


def test_pickers_offer_only_what_the_employee_may_link(app, client):
    org = build_org()
    user = _user(org, "S1")
    login_as(client, user)
    found = client.get("/admin/target/ajax/lookup/?name=parent_target&query=").get_json()
    labels = [label for _id, label in found]
    # S1's rater is K1: only K1's RHKs (approved SKP of the same period)
    assert sorted(label.split(" - ")[0] for label in labels) == ["RHK k1a", "RHK k1b"]
    org.plans["K1"].status = "returned"
    db.session.commit()
    assert client.get("/admin/target/ajax/lookup/?name=parent_target&query=").get_json() == []
    found = client.get("/admin/target/ajax/lookup/?name=org_indicator&query=").get_json()
    assert {label.split(" ")[0] for _id, label in found} == {"I1", "I2", "I3", "IKU"}  # the user's OPD only


def test_target_form_saves_a_valid_link_and_refuses_an_invalid_one(app, client):
    org = build_org(with_rhks=False)
    head = rhk(org, "h", org.plans["H"], [(1, [1], False)], org_indicator=org.ind["I1"])
    mine = rhk(org, "mine", org.plans["K1"], [(1, [1], False)])
    org.plans["K1"].status = "draft"  # the SKP's content, links included, changes while it is a draft
    db.session.commit()
    user = _user(org, "K1")
    login_as(client, user)
    form = {"work_plan": str(org.plans["K1"].id), "seq": "1", "description": "RHK mine",
            "parent_target": str(head.id), "org_indicator": ""}
    rv = client.post(f"/admin/target/edit/?id={mine.id}", data=form)
    assert rv.status_code == 302, rv.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    assert db.session.get(Target, mine.id).parent_target_id == head.id
    # the OPD head's indicator is not for a kabid: refused with the rule's message, nothing saved
    form.update(parent_target="", org_indicator=str(org.ind["I2"].id))
    rv = client.post(f"/admin/target/edit/?id={mine.id}", data=form, follow_redirects=True)
    assert "Hanya RHK kepala perangkat daerah" in rv.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Target, mine.id)
    assert (saved.parent_target_id, saved.org_indicator_id) == (head.id, None)


def test_printed_skp_shows_the_rhk_it_intervenes(app, client):
    org = build_org()
    login_as(client, _user(org, "K1"))
    html = client.get(f"/admin/cetak/skp/{org.plans['K1'].id}").get_data(as_text=True)
    assert "RHK atasan yang diintervensi" in html
    cells = re.findall(r'class="rhk-atasan">([^<]*)<', html)
    assert cells == ["RHK h1 (Pegawai H)", "RHK h1 (Pegawai H)"]
    login_as(client, _user(org, "H"))
    html = client.get(f"/admin/cetak/skp/{org.plans['H'].id}").get_data(as_text=True)
    assert re.findall(r'class="rhk-atasan">([^<]*)<', html) == ["Program I1: Indikator I1", "Kegiatan I2: Indikator I2"]


def test_dashboard_shows_the_alignment_per_opd(app, client, demo):
    login_as(client, demo["users"]["operator"])
    html = client.get("/admin/?periode=2025").get_data(as_text=True)
    card = html[html.index('id="keselarasan-kinerja"'):]
    card = card[:card.index("</table>")]
    assert "Dinas Kesehatan" in card and "Dinas Pendidikan" in card
    # the demo leaves one support program of Dinas Pendidikan without a head RHK
    row = card[card.index("Dinas Pendidikan"):]
    assert 'title="P-1.01.01 ' in row


def test_demo_cascade_reaches_every_employee_of_dinkes(app, demo):
    period = demo["periods"]["2025"]
    a = {x.opd.code: x for x in alignment(db.session, period)}
    assert a["DINKES"].ok and a["DINKES"].rhk > 0
    assert db.session.scalar(db.select(db.func.count(OrgIndicator.id)).where(OrgIndicator.period_id == period.id)) > 0
    assert db.session.scalar(db.select(Period).where(Period.code == "2024")).status == "closed"

