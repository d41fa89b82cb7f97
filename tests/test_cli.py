"""CLI: init is idempotent, create-user, and the demo city is realistic and deterministic."""
from collections import Counter

from sqlalchemy import func, select

from kinerja_admin.demo import build_demo, reset_demo
from kinerja_admin.extensions import db
from kinerja_admin.nip import parse_nip
from models import Employee, Period, Rank, Unit, User, WorkPlan


def test_init_is_idempotent_and_seeds_17_pns_ranks(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kinerja", "init"])
    assert first.exit_code == 0, first.output
    counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in (Rank, Period)}
    second = runner.invoke(args=["kinerja", "init"])
    assert second.exit_code == 0, second.output
    assert "tidak ada data baru" in second.output
    assert db.session.scalar(select(func.count()).select_from(Rank).where(Rank.employee_type == "PNS")) == 17
    assert {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in (Rank, Period)} == counts


def test_create_user_enforces_policy_and_links_employee(app, demo):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["kinerja", "create-user", "budi", "--role", "operator", "--password", "123"])
    assert weak.exit_code != 0 and "minimal" in weak.output
    assert db.session.scalar(select(User).where(User.username == "budi")) is None
    emp = demo["employees"][5]
    ok = runner.invoke(args=["kinerja", "create-user", "budi", "--role", "pegawai", "--nip", emp.nip,
                             "--password", "Sandi#Kuat2026"])
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "budi"))
    assert user.employee_id == emp.id and user.check_password("Sandi#Kuat2026")
    missing = runner.invoke(args=["kinerja", "create-user", "siti", "--role", "penilai", "--password", "Sandi#Kuat2026"])
    assert missing.exit_code != 0 and "NIP" in missing.output


def test_demo_city_is_realistic(app, demo):
    emps = demo["employees"]
    assert len(emps) == 60
    units = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).all()
    codes = {u.code for u in units}
    assert {"BKPSDM", "DINKES"} <= codes
    for e in emps:  # every NIP valid per DOMAIN.md and consistent with the employee type
        parse_nip(e.nip, e.employee_type)
    assert len({e.nip for e in emps}) == len(emps)
    by_id = {e.id: e for e in emps}
    for e in emps:  # supervisor chains end without a cycle
        seen, cur = set(), e
        while cur.superior_id is not None:
            assert cur.id not in seen
            seen.add(cur.id)
            cur = by_id[cur.superior_id]
    users = demo["users"]
    assert set(users) == {"admin", "operator", "inspektur", "penilai", "pegawai"}
    penilai, pegawai = users["penilai"].employee, users["pegawai"].employee
    assert pegawai.superior_id == penilai.id
    assert len(penilai.subordinates) >= 2
    periods = demo["periods"]
    assert periods["2025"].status == "assessing" and periods["2026"].status == "running"
    states = Counter(db.session.scalars(select(WorkPlan.status).where(WorkPlan.period_id == periods["2026"].id)))
    assert len(states) >= 3, states
    assert set(db.session.scalars(select(WorkPlan.status).where(WorkPlan.period_id == periods["2025"].id))) == {"assessed"}


def test_demo_is_deterministic_for_a_seed(app):
    build_demo(db.session, employees=40, seed=11)
    first = [(e.nip, e.name) for e in db.session.scalars(select(Employee).order_by(Employee.nip))]
    reset_demo(db.session)
    build_demo(db.session, employees=40, seed=11)
    second = [(e.nip, e.name) for e in db.session.scalars(select(Employee).order_by(Employee.nip))]
    assert first == second
    reset_demo(db.session)
    build_demo(db.session, employees=40, seed=12)
    third = [(e.nip, e.name) for e in db.session.scalars(select(Employee).order_by(Employee.nip))]
    assert third != first


def test_demo_command_prints_login_and_is_rerunnable(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["kinerja", "demo", "--employees", "30", "--password", "Coba#Demo2026"])
    assert out.exit_code == 0, out.output
    assert "/login" in out.output and "Coba#Demo2026" in out.output
    again = runner.invoke(args=["kinerja", "demo", "--employees", "30"])
    assert again.exit_code == 0 and "sudah ada" in again.output
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 30
