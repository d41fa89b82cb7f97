"""Organisational performance in the admin and on the portal, on the demo city: row scope by OPD,
the portal shows nothing of unpublished periods, the Dinas Kesehatan story (programs reached,
employees involved, a significant rise after the recorded policy), the workbook sheet, the
closed-period lock and the audit trail."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select, update

from kinerja_admin.planning.impact import policy_impact
from kinerja_admin.planning.sheet import HEADER, effectiveness_rows
from kinerja_admin.workflow import WorkflowError
from models import (
    AuditLog,
    Employee,
    OrgIndicator,
    OrgRealisation,
    Period,
    PolicyChange,
    Program,
    Setting,
    Unit,
    db,
)
from tests.conftest import login_as


def _unit(code):
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _program(code, opd, period="2025"):
    return db.session.scalar(select(Program).join(Period, Period.id == Program.period_id)
                             .where(Program.code == code, Program.unit_id == _unit(opd).id, Period.code == period))


def _indicator(code, opd, period="2025"):
    return db.session.scalar(select(OrgIndicator).join(Period, Period.id == OrgIndicator.period_id)
                             .where(OrgIndicator.code == code, OrgIndicator.unit_id == _unit(opd).id,
                                    Period.code == period))


# --- row scope -----------------------------------------------------------------------------------------

def test_an_opds_people_see_only_their_opds_programs(client, demo):
    pegawai = demo["users"]["pegawai"]  # works in Dinas Kesehatan
    login_as(client, pegawai)
    html = client.get("/admin/program/?page_size=100").get_data(as_text=True)
    codes = set(re.findall(r"<td class=\"col-code\">\s*([\d.]+)\s*</td>", html))
    assert codes and all(c.startswith("1.02") for c in codes), codes  # Dinas Kesehatan's nomenclature
    other = _program("5.03.01", "BKPSDM")
    assert client.get(f"/admin/program/details/?id={other.id}").status_code == 404
    assert client.get(f"/admin/efektivitas/program/{other.id}").status_code == 404
    bkpsdm = _unit("BKPSDM")
    assert client.get(f"/admin/efektivitas/opd/{bkpsdm.id}").status_code == 404
    assert client.get(f"/admin/pohon-kinerja/?opd={bkpsdm.id}").status_code == 404
    ind = _indicator("P-5.03.01", "BKPSDM")
    assert client.get(f"/admin/efektivitas/indikator/{ind.id}/pegawai").status_code == 404
    assert client.get(f"/admin/org_indicator/details/?id={ind.id}").status_code == 404
    own = _program("1.02.02", "DINKES")
    assert client.get(f"/admin/efektivitas/program/{own.id}").status_code == 200
    assert client.get(f"/admin/efektivitas/opd/{_unit('DINKES').id}").status_code == 200
    # the effectiveness index lists their OPD only; the workbook sheet holds their OPD only
    html = client.get("/admin/efektivitas/?periode=2025").get_data(as_text=True)
    assert "Dinas Kesehatan" in html and "Badan Kepegawaian" not in html
    rows = list(effectiveness_rows(db.session, demo["periods"]["2025"], pegawai))
    assert rows[0] == HEADER and {r[1] for r in rows[1:]} == {"Dinas Kesehatan"}
    # BKPSDM staff see every OPD
    login_as(client, demo["users"]["operator"])
    assert client.get(f"/admin/program/details/?id={other.id}").status_code == 200
    assert client.get(f"/admin/efektivitas/opd/{bkpsdm.id}").status_code == 200
    n_opd = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id.is_(None)))
    rows = list(effectiveness_rows(db.session, demo["periods"]["2025"], demo["users"]["operator"]))
    assert len({r[1] for r in rows[1:]}) == n_opd


# --- portal ----------------------------------------------------------------------------------------------

def test_portal_shows_nothing_of_unpublished_periods(client, demo):
    """Before publishing: only 2024 (its organisational data published by the demo) is public; 2025 and
    2026 exist with programs and realisations but appear nowhere, not even in a trend."""
    r = client.get("/publik/program/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Penilaian Kinerja Tahun 2024" in html
    for url in ("/publik/program/?periode=2025", "/publik/program/DINKES?periode=2025",
                "/publik/program/DINKES?periode=2026", "/publik/program/DINKES/1.02.02?periode=2025"):
        assert client.get(url).status_code == 404, url
    page = client.get("/publik/program/DINKES").get_data(as_text=True)
    assert "periode=2025" not in page and "<b>2025</b>" not in page and "<b>2026</b>" not in page
    assert "92,1" not in page  # Dinas Kesehatan's 2025 realisation of P-1.02.02
    assert "78,4" in page  # its 2024 realisation
    # withdrawing 2024 leaves the program portal empty
    db.session.execute(update(Period).values(published_at=None))
    db.session.commit()
    html = client.get("/publik/program/").get_data(as_text=True)
    assert "Belum ada data program yang diumumkan" in html
    assert client.get("/publik/program/DINKES?periode=2024").status_code == 404
    assert "Belum ada data program yang diumumkan" in client.get("/publik/program/DINKES").get_data(as_text=True)


def test_citizen_sees_the_dinkes_story_after_publication(client, published):
    html = client.get("/publik/program/DINKES").get_data(as_text=True)
    assert "Penilaian Kinerja Tahun 2025" in html
    # which programs reached their targets, and how many employees' work fed them
    row = html[html.index('data-kode="P-1.02.02"'):]
    row = row[:row.index("</tr>")]
    assert "Tercapai" in row and "92,1" in row and re.search(r"\d+ pegawai", row)
    assert "Belum tercapai" in html  # P-1.02.03 missed its target: shown as honestly
    # satisfaction rose significantly after the recorded policy, with n and p
    policy = html[html.index('id="kebijakan"'):]
    assert "Penerapan e-Kinerja dan SKP berjenjang di Dinas Kesehatan" in policy
    sentence = re.search(r'class="mb-1 kesimpulan">([^<]*)<', policy).group(1)
    assert sentence.startswith("IKM naik") and "; signifikan menurut uji t Welch (p" in sentence and "n = " in sentence
    # elsewhere: no significant change
    other = client.get("/publik/program/DISDIK").get_data(as_text=True)
    assert "tidak signifikan" in re.search(r'class="mb-1 kesimpulan">([^<]*)<', other).group(1)
    # trend over the public periods
    assert "<b>2024</b>" in row and "<b>2025</b>" in row


def test_portal_names_employees_only_when_the_setting_allows(client, published):
    names = [e.name for e in db.session.scalars(select(Employee))]
    url = "/publik/program/DINKES/indikator/P-1.02.02"
    assert client.get(url).status_code == 404
    for page in ("/publik/program/", "/publik/program/DINKES", "/publik/program/DINKES/1.02.02"):
        html = client.get(page).get_data(as_text=True)
        assert not any(n in html for n in names), page
    row = db.session.get(Setting, "public.show_individual")
    row.value = "true"
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert 'id="daftar-pegawai"' in html and sum(1 for n in names if n in html) >= 2
    assert not re.search(r"(?<!\d)\d{18}(?!\d)", html)


# --- admin pages -------------------------------------------------------------------------------------------

def test_head_of_bkpsdm_sees_programs_people_and_the_significant_rise(client, published):
    login_as(client, published["users"]["operator"])
    dinkes = _unit("DINKES")
    html = client.get(f"/admin/efektivitas/opd/{dinkes.id}?periode=2025").get_data(as_text=True)
    assert "Tercapai" in html and "Belum tercapai" in html
    ind = _indicator("P-1.02.02", "DINKES")
    people = client.get(f"/admin/efektivitas/indikator/{ind.id}/pegawai").get_data(as_text=True)
    head = db.session.scalar(select(Employee).where(Employee.unit_id == dinkes.id, Employee.superior_id.is_(None)))
    assert head.name in people and people.count("<tr>") > 2
    policy = db.session.scalar(select(PolicyChange).where(PolicyChange.name.like("%Dinas Kesehatan%")))
    impact = client.get(f"/admin/policy_change/dampak/?id={policy.id}").get_data(as_text=True)
    table = impact[impact.index('id="dampak-ikm"'):impact.index("</table>")]
    assert "naik signifikan" in table and "tidak signifikan" in table  # the units concerned vs the others
    assert 'id="dampak-indikator"' in impact and "P-1.02.02" in impact
    tree = client.get(f"/admin/pohon-kinerja/?periode=2025&opd={dinkes.id}").get_data(as_text=True)
    assert head.name in tree and "0 RHK belum terhubung" in " ".join(tree.split())


def test_demo_story_in_numbers(app, demo):
    for policy in db.session.scalars(select(PolicyChange)):
        data = policy_impact(db.session, policy)
        mine, others = (g.comparison for g in data["groups"])
        assert (data["before"].code, data["after"].code) == ("2024", "2025")
        if "Dinas Kesehatan" in policy.name:
            assert mine.significant is True and mine.change > 5 and mine.n_before > 10 and mine.n_after > 10
            assert others.significant is False  # no significant change anywhere else
        else:  # Dinas Pendidikan's online enrolment: no significant change there
            assert mine.significant is False


def test_publishing_a_period_and_the_closed_period_lock(client, demo):
    login_as(client, demo["users"]["operator"])
    rv = client.post("/admin/efektivitas/umumkan/", data={"periode": "2026", "op": "publish"},
                     follow_redirects=True)
    assert "diumumkan di portal publik" in rv.get_data(as_text=True)
    db.session.expire_all()
    p2026 = demo["periods"]["2026"]
    assert db.session.get(Period, p2026.id).published_at is not None
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "period", AuditLog.entity_id == str(p2026.id), AuditLog.action == "transition")) == 1
    assert client.get("/publik/program/?periode=2026").status_code == 200
    # 2024 is closed: withdrawing its publication is refused by the lock, nothing changes
    rv = client.post("/admin/efektivitas/umumkan/", data={"periode": "2024", "op": "withdraw"},
                     follow_redirects=True)
    assert "sudah ditutup" in rv.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Period).where(Period.code == "2024")).published_at is not None
    login_as(client, demo["users"]["inspektur"])
    assert client.post("/admin/efektivitas/umumkan/", data={"periode": "2026"}).status_code == 403


def test_closed_period_planning_rows_are_locked(app, demo):
    real = db.session.scalar(select(OrgRealisation).join(OrgIndicator).join(Period, Period.id == OrgIndicator.period_id)
                             .where(Period.code == "2024").limit(1))
    real.value = real.value + 1
    with pytest.raises(WorkflowError, match="sudah ditutup"):
        db.session.flush()
    db.session.rollback()


def test_program_form_checks_and_audits(client, demo):
    login_as(client, demo["users"]["operator"])
    p2026, dinkes = demo["periods"]["2026"], _unit("DINKES")
    form = {"period": str(p2026.id), "unit": str(dinkes.id), "level": "kegiatan", "code": "1.02.09.2.01",
            "name": "Kegiatan tanpa induk"}
    rv = client.post("/admin/program/new/", data=form, follow_redirects=True)
    assert "wajib memiliki induk" in rv.get_data(as_text=True)
    sub = db.session.scalar(select(Unit).where(Unit.parent_id == dinkes.id).limit(1))
    rv = client.post("/admin/program/new/", data={**form, "unit": str(sub.id), "level": "program"})
    assert rv.status_code == 200  # the OPD select offers top-level units only: a sub-unit is not a choice
    assert db.session.scalar(select(Program).where(Program.code == "1.02.09.2.01")) is None
    rv = client.post("/admin/program/new/", data={**form, "level": "program", "name": "Program baru"})
    assert rv.status_code == 302
    created = db.session.scalar(select(Program).where(Program.code == "1.02.09.2.01"))
    assert created is not None
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "program", AuditLog.entity_id == str(created.id), AuditLog.action == "insert")) == 1


def test_inspector_workbook_has_the_effectiveness_sheet(app, published, tmp_path):
    from kinerja_admin.excel.exporter import export_period

    out = tmp_path / "inspektur.xlsx"
    export_period(published["periods"]["2025"], str(out), session=db.session)
    wb = openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True)
    rows = list(wb["Efektivitas Program"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    by_code = {(r[1], r[4]): dict(zip(HEADER, r)) for r in rows[1:]}
    p = by_code[("Dinas Kesehatan", "P-1.02.02")]
    assert p["Jenis Indikator"] == "Indikator program" and p["Status Capaian"] == "Tercapai"
    assert p["Target"] == 88 and p["Realisasi Terakhir"] == pytest.approx(92.1) and p["Capaian (%)"] == pytest.approx(104.66)
    assert p["RHK Terhubung"] >= 1 and p["Pegawai Terlibat"] >= 1 and p["Lingkup IKM"].startswith("IKM ")
    iku = by_code[("Dinas Kesehatan", "IKU-1")]
    assert iku["Jenis Indikator"] == "IKU (sasaran strategis)" and iku["Realisasi Triwulan I"] is None
    assert {r["Status Capaian"] for r in by_code.values()} <= {"Tercapai", "Belum tercapai", "Belum ada realisasi"}


def test_operator_records_a_policy_and_its_units_are_audited(client, demo):
    login_as(client, demo["users"]["operator"])
    dinkes, disdik = _unit("DINKES"), _unit("DISDIK")
    form = {"name": "Antrean daring puskesmas", "kind": "kebijakan", "effective_date": "2025-06-01",
            "description": "Antrean lewat aplikasi"}
    rv = client.post("/admin/policy_change/new/", data=form, follow_redirects=True)
    assert "Pilih minimal satu unit yang terdampak" in rv.get_data(as_text=True)
    rv = client.post("/admin/policy_change/new/", data={**form, "units": [str(dinkes.id)]})
    assert rv.status_code == 302
    policy = db.session.scalar(select(PolicyChange).where(PolicyChange.name == "Antrean daring puskesmas"))
    rv = client.post(f"/admin/policy_change/edit/?id={policy.id}",
                     data={**form, "units": [str(dinkes.id), str(disdik.id)]})
    assert rv.status_code == 302
    logs = [a.changes for a in db.session.scalars(select(AuditLog).where(
        AuditLog.entity == "policy_change", AuditLog.entity_id == str(policy.id)).order_by(AuditLog.id))]
    assert {"units": [["DINKES"], ["DINKES", "DISDIK"]]} in logs
    page = client.get(f"/admin/policy_change/dampak/?id={policy.id}").get_data(as_text=True)
    assert "periode <b>2024</b> (sebelum) dengan periode <b>2025</b>" in page


def test_indicator_and_realisation_forms(client, demo):
    login_as(client, demo["users"]["operator"])
    program = _program("1.02.02", "DINKES", period="2026")
    rv = client.post("/admin/org_indicator/new/", data={
        "program": str(program.id), "code": "P-BARU", "description": "Indikator baru", "unit_label": "%",
        "target_value": "90", "weight": ""})
    assert rv.status_code == 302, rv.get_data(as_text=True)[-1500:]
    ind = _indicator("P-BARU", "DINKES", period="2026")
    assert (ind.period_id, ind.unit_id) == (program.period_id, program.unit_id)  # copied from the program
    rv = client.post("/admin/org_realisation/new/", data={"indicator": str(ind.id), "quarter": "2", "value": "45"})
    assert rv.status_code == 302
    real = db.session.scalar(select(OrgRealisation).where(OrgRealisation.indicator_id == ind.id))
    assert (real.quarter, real.recorded_by_id) == (2, demo["users"]["operator"].id)
    rv = client.post("/admin/org_realisation/new/", data={"indicator": str(ind.id), "quarter": "2", "value": "50"},
                     follow_redirects=True)
    assert "Triwulan II indikator ini sudah dicatat" in rv.get_data(as_text=True)


def test_an_employee_sees_the_cascade_but_only_their_own_achievement(client, published):
    """The RHK texts of the OPD are shared planning; a colleague's achievement is read only by who may
    read that colleague's plan (the row scope), as BKPSDM does."""
    from kinerja_admin.planning.cascade import cascade_tree
    from kinerja_admin.planning.rollup import cascade_people

    pegawai = published["users"]["pegawai"]
    ind = _indicator("P-1.02.02", "DINKES")
    everyone = cascade_people(db.session, ind.period_id, ind.id)
    assert sum(1 for p in everyone if p["achievement"] is not None) >= 2
    login_as(client, pegawai)
    html = client.get(f"/admin/efektivitas/indikator/{ind.id}/pegawai").get_data(as_text=True)
    others = [p for p in everyone if p["employee_id"] != pegawai.employee_id and p["achievement"] is not None]
    assert others and all(p["name"] in html for p in others)  # names and levels stay
    assert "Capaian pegawai lain hanya terlihat" in html
    period, dinkes = ind.period, _unit("DINKES")
    tree = cascade_tree(db.session, period, dinkes.id, actor=pegawai)
    full = cascade_tree(db.session, period, dinkes.id)

    def nodes(t):
        out, stack = [], [r for g in t["goals"] for p in g.programs for r in _rhks(p)]
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(n.children)
        return out

    def _rhks(program):
        for i in program.indicators:
            yield from i.rhks
        for c in program.children:
            yield from _rhks(c)

    shown = {n.target_id: n for n in nodes(tree)}
    assert shown and {n.target_id for n in nodes(full)} == set(shown)
    from models import WorkPlan

    own_plan = db.session.scalar(select(WorkPlan.id).where(WorkPlan.employee_id == pegawai.employee_id,
                                                           WorkPlan.period_id == period.id))
    assert not any(n.hidden for n in shown.values() if n.plan_id == own_plan)
    hidden = [n for n in shown.values() if n.hidden]
    assert hidden and all(n.achievement is None for n in hidden)
    # the head of the OPD judges nobody's plan for this employee: theirs is hidden from the employee
    head = db.session.scalar(select(Employee.id).where(Employee.unit_id == dinkes.id, Employee.superior_id.is_(None)))
    assert all(n.hidden for n in shown.values() if n.employee == db.session.get(Employee, head).name)
    login_as(client, published["users"]["operator"])
    assert not any(n.hidden for n in nodes(cascade_tree(db.session, period, dinkes.id,
                                                         actor=published["users"]["operator"])))
