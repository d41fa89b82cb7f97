"""A small hand-built OPD for the organisational-performance tests (no demo city needed).

OPD "OPD-A" (with a sub-unit) and a second OPD "OPD-B"; period P25 (running) and P24 (closed):

    head H -- kabid K1 -- staff S1, S2
           \\- kabid K2

Program PRG (program) > KEG (kegiatan); goal SS1 of the agreement. Indicators:
    I1 on PRG, target 100 %, weight 2, realisations Q1 40, Q2 70, Q4 95 (latest: Q4)
    I2 on KEG, target 50 orang, no weight, realisation Q2 60
    I3 on PRG, target 10 hari, lower is better, weight 1, realisation Q3 8, no RHK links to it
    IKU on SS1, target 80, weight 3, no realisation, no RHK
The RHKs and their employee indicators are described in test_planning_rollup.py.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from models import (
    Employee,
    Indicator,
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    Program,
    Realisation,
    StrategicGoal,
    Target,
    Unit,
    WorkPlan,
    db,
)

D = Decimal


class Org:
    pass


def _employee(org, key, unit, superior=None):
    n = len(org.employees) + 1
    emp = Employee(nip=f"1980010120050110{n:02d}", name=f"Pegawai {key}", unit_id=unit.id,
                   superior_id=superior.id if superior else None, employee_type="PNS")
    db.session.add(emp)
    db.session.flush()
    org.employees[key] = emp
    return emp


def _plan(org, key, period, emp, rater=None, status="approved"):
    plan = WorkPlan(period_id=period.id, employee_id=emp.id, unit_id=emp.unit_id,
                    rater_id=rater.id if rater else None, status=status)
    db.session.add(plan)
    db.session.flush()
    org.plans[key] = plan
    return plan


def rhk(org, key, plan, indicators, *, parent=None, org_indicator=None, seq=None):
    """An RHK with employee indicators given as (target, [realisations], lower_is_better)."""
    t = Target(work_plan_id=plan.id, seq=seq or len(plan.targets) + 1, description=f"RHK {key}",
               parent_target_id=parent.id if parent else None,
               org_indicator_id=org_indicator.id if org_indicator else None)
    db.session.add(t)
    db.session.flush()
    for target, values, lower in indicators:
        ind = Indicator(target_id=t.id, aspect="kuantitas", description=f"Indikator {key}", target_value=D(target),
                        unit_label="", lower_is_better=lower, formula_code="capaian_iki")
        db.session.add(ind)
        db.session.flush()
        for v in values:
            db.session.add(Realisation(indicator_id=ind.id, value=D(v)))
        db.session.flush()
    db.session.refresh(plan)
    org.rhk[key] = t
    return t


def org_indicator(org, key, period, unit, *, goal=None, program=None, target, unit_label="%", lower=False,
                  weight=None, quarters=None):
    ind = OrgIndicator(period_id=period.id, unit_id=unit.id, goal_id=goal.id if goal else None,
                       program_id=program.id if program else None, code=key, description=f"Indikator {key}",
                       unit_label=unit_label, target_value=D(target), lower_is_better=lower,
                       weight=None if weight is None else D(weight))
    db.session.add(ind)
    db.session.flush()
    for q, v in (quarters or {}).items():
        db.session.add(OrgRealisation(indicator_id=ind.id, quarter=q, value=D(v)))
    db.session.flush()
    org.ind[key] = ind
    return ind


def build_org(with_rhks: bool = True) -> Org:
    org = Org()
    org.employees, org.plans, org.rhk, org.ind = {}, {}, {}, {}
    s = db.session
    org.p25 = Period(code="P25", name="Periode uji 2025", start_date=dt.date(2025, 1, 1),
                     end_date=dt.date(2025, 12, 31), status="running")
    org.p24 = Period(code="P24", name="Periode uji 2024", start_date=dt.date(2024, 1, 1),
                     end_date=dt.date(2024, 12, 31), status="running")
    s.add_all([org.p25, org.p24])
    org.opd = Unit(code="OPD-A", name="Dinas Uji A", kind="Dinas", public_facing=True, slug="opd-a")
    org.opd_b = Unit(code="OPD-B", name="Dinas Uji B", kind="Dinas", public_facing=True, slug="opd-b")
    s.add_all([org.opd, org.opd_b])
    s.flush()
    org.sub = Unit(code="OPD-A-1", name="Bidang Uji", kind="Bidang", parent_id=org.opd.id)
    s.add(org.sub)
    s.flush()
    e = org.employees
    _employee(org, "H", org.opd)
    _employee(org, "K1", org.sub, e["H"])
    _employee(org, "K2", org.sub, e["H"])
    _employee(org, "S1", org.sub, e["K1"])
    _employee(org, "S2", org.sub, e["K1"])
    _employee(org, "B", org.opd_b)
    for key, rater in (("H", None), ("K1", "H"), ("K2", "H"), ("S1", "K1"), ("S2", "K1"), ("B", None)):
        _plan(org, key, org.p25, e[key], e[rater] if rater else None)

    org.agreement = PerformanceAgreement(period_id=org.p25.id, unit_id=org.opd.id, signed_on=dt.date(2025, 1, 31),
                                         signatory_id=e["H"].id)
    s.add(org.agreement)
    s.flush()
    org.goal = StrategicGoal(agreement_id=org.agreement.id, code="SS1", description="Sasaran uji")
    s.add(org.goal)
    s.flush()
    org.prg = Program(period_id=org.p25.id, unit_id=org.opd.id, level="program", code="1.01", name="Program Uji",
                      goal_id=org.goal.id, budget_ceiling=D("1000000"), budget_realised=D("900000"))
    s.add(org.prg)
    s.flush()
    org.keg = Program(period_id=org.p25.id, unit_id=org.opd.id, level="kegiatan", code="1.01.2.01",
                      name="Kegiatan Uji", parent_id=org.prg.id)
    s.add(org.keg)
    s.flush()
    org_indicator(org, "I1", org.p25, org.opd, program=org.prg, target=100, weight=2, quarters={1: 40, 2: 70, 4: 95})
    org_indicator(org, "I2", org.p25, org.opd, program=org.keg, target=50, unit_label="orang", quarters={2: 60})
    org_indicator(org, "I3", org.p25, org.opd, program=org.prg, target=10, unit_label="hari", lower=True, weight=1,
                  quarters={3: 8})
    org_indicator(org, "IKU", org.p25, org.opd, goal=org.goal, target=80, unit_label="indeks", weight=3)
    if with_rhks:
        p, i, r = org.plans, org.ind, org.rhk
        rhk(org, "h1", p["H"], [(10, [9], False), (4, [5], True)], org_indicator=i["I1"])  # 90, 75 -> 82.5
        rhk(org, "h2", p["H"], [(10, [12], False)], org_indicator=i["I2"])  # 120
        rhk(org, "k1a", p["K1"], [(20, [25], False)], parent=r["h1"])  # 125
        rhk(org, "k1b", p["K1"], [(7, [], False)], parent=r["h1"])  # no realisation
        rhk(org, "k2", p["K2"], [(3, [3], False)], parent=r["h2"])  # 100
        rhk(org, "s1", p["S1"], [(8, [6], False), (12, [2, 9], False)], parent=r["k1a"])  # 75, latest 9 -> 75
        rhk(org, "s1b", p["S1"], [(0, [3], False)], parent=r["k1a"])  # target 0: no capaian
        rhk(org, "s2", p["S2"], [(5, [5], False)], parent=r["k1b"])  # 100
        rhk(org, "s2b", p["S2"], [(5, [4], False)])  # linked to nothing
    s.commit()
    return org
