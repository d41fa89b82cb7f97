"""The export of one evaluation window's results for allowance calculation (tunjangan kinerja): a
workbook with a summary per employee and the detail per indicator, written with xlsxwriter in
constant-memory mode from set-based queries (a background job: jobs/handlers.py 'periodic').

Ringkasan  per employee: RHK judged in the window by category, indicators with a realisation, and the
           share of RHK judged 'sesuai' or 'di atas ekspektasi' (what agencies feed their allowance rules)
Rincian    per indicator: the window's realisation, the cumulative realisation up to the window (sum;
           mean for kualitas) and the rater's judgement and feedback of its RHK
"""
from __future__ import annotations

from decimal import Decimal

import xlsxwriter
from sqlalchemy import Numeric, and_, case, cast, func, select
from sqlalchemy.orm import aliased

from models import (
    Employee,
    Indicator,
    Period,
    PeriodicJudgement,
    PeriodicRealisation,
    Position,
    SubPeriod,
    Target,
    Unit,
    WorkPlan,
)
from models.base import CATEGORIES, TARGET_ASPECTS

from ..opd import opd_name, subtree_ids

PLAN_STATES = ("approved", "realised", "assessed", "final")


def _plans(window: SubPeriod, opd_id: int | None, session):
    cond = and_(WorkPlan.period_id == window.period_id, WorkPlan.status.in_(PLAN_STATES))
    if opd_id:
        cond = and_(cond, WorkPlan.unit_id.in_(subtree_ids(opd_id, session)))
    return cond


def write(session, window: SubPeriod, path: str, *, opd_id: int | None = None, progress=None) -> dict:
    rater = aliased(Employee)
    plans = _plans(window, opd_id, session)
    judged = (select(Target.work_plan_id.label("wp"), func.count(Target.id).label("rhk"),
                     func.sum(case((PeriodicJudgement.category == "diatas", 1), else_=0)).label("atas"),
                     func.sum(case((PeriodicJudgement.category == "sesuai", 1), else_=0)).label("sesuai"),
                     func.sum(case((PeriodicJudgement.category == "dibawah", 1), else_=0)).label("bawah"))
              .select_from(Target).join(WorkPlan, WorkPlan.id == Target.work_plan_id)
              .outerjoin(PeriodicJudgement, and_(PeriodicJudgement.target_id == Target.id,
                                                 PeriodicJudgement.sub_period_id == window.id))
              .where(plans).group_by(Target.work_plan_id).subquery("j"))
    realised = (select(Target.work_plan_id.label("wp"), func.count(Indicator.id).label("ind"),
                       func.count(PeriodicRealisation.id).label("done"))
                .select_from(Indicator).join(Target, Target.id == Indicator.target_id)
                .join(WorkPlan, WorkPlan.id == Target.work_plan_id)
                .outerjoin(PeriodicRealisation, and_(PeriodicRealisation.indicator_id == Indicator.id,
                                                     PeriodicRealisation.sub_period_id == window.id))
                .where(plans).group_by(Target.work_plan_id).subquery("r"))
    summary = (select(Employee.nip, Employee.name, Position.name, Unit.name, WorkPlan.unit_id, rater.name,
                      judged.c.rhk, judged.c.atas, judged.c.sesuai, judged.c.bawah, realised.c.ind, realised.c.done)
               .select_from(WorkPlan).join(Employee, Employee.id == WorkPlan.employee_id)
               .outerjoin(Position, Position.id == WorkPlan.position_id).join(Unit, Unit.id == WorkPlan.unit_id)
               .outerjoin(rater, rater.id == WorkPlan.rater_id)
               .outerjoin(judged, judged.c.wp == WorkPlan.id).outerjoin(realised, realised.c.wp == WorkPlan.id)
               .where(plans).order_by(Unit.name, Employee.name, Employee.nip))
    # cumulative per indicator up to this window
    upto = select(SubPeriod.id).where(SubPeriod.period_id == window.period_id, SubPeriod.seq <= window.seq)
    cumulative = (select(PeriodicRealisation.indicator_id.label("iid"),
                         func.sum(PeriodicRealisation.value).label("total"),
                         func.avg(cast(PeriodicRealisation.value, Numeric(18, 4))).label("mean"))
                  .where(PeriodicRealisation.sub_period_id.in_(upto))
                  .group_by(PeriodicRealisation.indicator_id).subquery("c"))
    this = aliased(PeriodicRealisation)
    detail = (select(Employee.nip, Employee.name, Target.seq, Target.description, Indicator.description,
                     Indicator.aspect, Indicator.target_value, Indicator.unit_label, this.value, cumulative.c.total,
                     cumulative.c.mean, PeriodicJudgement.category, PeriodicJudgement.feedback)
              .select_from(Indicator).join(Target, Target.id == Indicator.target_id)
              .join(WorkPlan, WorkPlan.id == Target.work_plan_id).join(Employee, Employee.id == WorkPlan.employee_id)
              .outerjoin(this, and_(this.indicator_id == Indicator.id, this.sub_period_id == window.id))
              .outerjoin(cumulative, cumulative.c.iid == Indicator.id)
              .outerjoin(PeriodicJudgement, and_(PeriodicJudgement.target_id == Target.id,
                                                 PeriodicJudgement.sub_period_id == window.id))
              .where(plans).order_by(Employee.name, Employee.nip, Target.seq, Indicator.id))
    period = session.get(Period, window.period_id)
    # text is written as text: a name or an RHK starting with "=" never becomes a formula in the clerk's Excel
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    text_fmt = book.add_format({"num_format": "@"})
    num = book.add_format({"num_format": "#,##0.00"})
    pct = book.add_format({"num_format": "0.00"})
    ws = book.add_worksheet("Ringkasan")
    ws.write_row(0, 0, [f"Evaluasi periodik {window.name} - periode {period.code}"
                        + (f" - {opd_name(opd_id, session)}" if opd_id else "")], bold)
    headers = ["NIP", "Nama", "Jabatan", "Unit kerja", "OPD", "Pejabat penilai", "Jumlah RHK", "RHK dinilai",
               "Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi", "Jumlah indikator",
               "Indikator direalisasikan", "Persen RHK sesuai atau di atas ekspektasi"]
    ws.write_row(2, 0, headers, bold)
    row_no = 3
    employees = 0
    for nip, name, position, unit, unit_id, rater_name, rhk, atas, sesuai, bawah, ind, done in session.execute(summary):
        rhk, atas, sesuai, bawah = int(rhk or 0), int(atas or 0), int(sesuai or 0), int(bawah or 0)
        ws.write_string(row_no, 0, nip, text_fmt)
        ws.write_row(row_no, 1, [name, position or "", unit, opd_name(unit_id, session), rater_name or "", rhk,
                                 atas + sesuai + bawah, atas, sesuai, bawah, int(ind or 0), int(done or 0)])
        share = (Decimal(atas + sesuai) * 100 / rhk).quantize(Decimal("0.01")) if rhk else None
        if share is not None:
            ws.write_number(row_no, 13, float(share), pct)
        row_no += 1
        employees += 1
        if progress is not None and employees % 500 == 0:
            progress(done=employees)
    wd = book.add_worksheet("Rincian")
    wd.write_row(0, 0, ["NIP", "Nama", "No. RHK", "RHK", "Indikator", "Aspek", "Target tahunan", "Satuan",
                        f"Realisasi {window.name}", f"Kumulatif s.d. {window.name}", "Penilaian RHK",
                        "Umpan balik RHK"], bold)
    r = 1
    for nip, name, seq, rhk_text, ind_text, aspect, target, unit_label, value, total, mean, category, feedback \
            in session.execute(detail):
        wd.write_string(r, 0, nip, text_fmt)
        wd.write_row(r, 1, [name, seq, rhk_text, ind_text, TARGET_ASPECTS.get(aspect, aspect)])
        wd.write_number(r, 6, float(target), num)
        wd.write_string(r, 7, unit_label or "")
        if value is not None:
            wd.write_number(r, 8, float(value), num)
        cum = mean if aspect == "kualitas" else total
        if cum is not None:
            wd.write_number(r, 9, float(cum), num)
        wd.write_string(r, 10, CATEGORIES.get(category, "") if category else "")
        wd.write_string(r, 11, feedback or "")
        r += 1
    book.close()
    return {"employees": employees, "indicators": r - 1}
