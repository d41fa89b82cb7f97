"""Bad master-data input through the admin forms: a clear Indonesian message, nothing stored."""
from sqlalchemy import func, select

from kinerja_admin.extensions import db
from models import AuditLog, Employee, Rank, Unit
from tests.conftest import login_as


def _employee_form(demo, **over):
    unit = db.session.scalar(select(Unit).where(Unit.code == "DINKES"))
    rank = db.session.scalar(select(Rank).where(Rank.employee_type == "PNS", Rank.code == "III/a"))
    data = {"nip": "199205172019032001", "name": "Rina Siregar, S.Kep.", "employee_type": "PNS",
            "rank": str(rank.id), "unit": str(unit.id), "active": "y"}
    data.update(over)
    return data


def _count():
    return db.session.scalar(select(func.count()).select_from(Employee))


def test_valid_employee_is_created_and_audited(client, demo):
    login_as(client, demo["users"]["operator"])
    before = _count()
    rv = client.post("/admin/employee/new/", data=_employee_form(demo), follow_redirects=True)
    assert rv.status_code == 200
    assert _count() == before + 1
    emp = db.session.scalar(select(Employee).where(Employee.nip == "199205172019032001"))
    audit = db.session.scalar(select(AuditLog).where(AuditLog.entity == "employee", AuditLog.entity_id == str(emp.id)))
    assert audit is not None and audit.action == "insert" and audit.username == "operator"


def test_invalid_nip_shows_reason_and_stores_nothing(client, demo):
    login_as(client, demo["users"]["operator"])
    before = _count()
    for nip, reason in [("19920517201903200", "18 digit"), ("199202302019032001", "Tanggal lahir"),
                        ("199205172019033001", "jenis kelamin")]:
        html = client.post("/admin/employee/new/", data=_employee_form(demo, nip=nip),
                           follow_redirects=True).get_data(as_text=True)
        assert reason in html, nip
    assert _count() == before


def test_duplicate_nip_is_refused(client, demo):
    login_as(client, demo["users"]["operator"])
    existing = demo["employees"][3]
    before = _count()
    html = client.post("/admin/employee/new/", data=_employee_form(demo, nip=existing.nip),
                       follow_redirects=True).get_data(as_text=True)
    assert "sudah terdaftar" in html and existing.name in html
    assert _count() == before


def test_superior_cycle_is_refused(client, demo):
    login_as(client, demo["users"]["operator"])
    boss = next(e for e in demo["employees"] if e.subordinates)
    sub = boss.subordinates[0]
    form = _employee_form(demo, nip=boss.nip, name=boss.name, employee_type=boss.employee_type,
                          rank=str(boss.rank_id), unit=str(boss.unit_id), position=str(boss.position_id),
                          superior=str(sub.id))
    html = client.post(f"/admin/employee/edit/?id={boss.id}", data=form, follow_redirects=True).get_data(as_text=True)
    assert "melingkar" in html
    db.session.expire_all()
    assert db.session.get(Employee, boss.id).superior_id == boss.superior_id


def test_unit_with_employees_cannot_be_deleted(client, demo):
    login_as(client, demo["users"]["operator"])
    unit = db.session.get(Unit, demo["employees"][-1].unit_id)
    html = client.post("/admin/unit/delete/", data={"id": str(unit.id)}, follow_redirects=True).get_data(as_text=True)
    assert "masih memiliki" in html
    db.session.expire_all()
    assert db.session.get(Unit, unit.id) is not None
