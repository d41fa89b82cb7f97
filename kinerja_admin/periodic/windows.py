"""The evaluation windows of a period: calendar months, quarters or semesters from the period's start,
the last one ending with the period; each due `periodic.due_days` days after it ends."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select

from models import PeriodicJudgement, PeriodicRealisation, SubPeriod
from models.year import FREQUENCIES

from ..formatting import MONTHS
from ..workflow.base import WorkflowError

MONTHS_PER = {"bulanan": 1, "triwulanan": 3, "semesteran": 6}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def plan_windows(start: dt.date, end: dt.date, frequency: str, due_days: int) -> list[dict]:
    """[{seq, name, start_date, end_date, due_date}] covering start..end."""
    if frequency not in MONTHS_PER:
        raise WorkflowError(f"Frekuensi evaluasi periodik '{frequency}' tidak dikenal (bulanan, triwulanan atau "
                            "semesteran).")
    step = MONTHS_PER[frequency]
    out = []
    first = dt.date(start.year, start.month, 1)
    seq = 0
    while True:
        w_start = max(_add_months(first, seq * step), start)
        if w_start > end:
            break
        w_end = min(_add_months(first, (seq + 1) * step) - dt.timedelta(days=1), end)
        seq += 1
        if frequency == "bulanan":
            name = f"{MONTHS[w_start.month - 1]} {w_start.year}"
        elif frequency == "triwulanan":
            name = f"Triwulan {ROMAN[seq - 1]} {w_start.year}"
        else:
            name = f"Semester {ROMAN[seq - 1]} {w_start.year}"
        out.append({"seq": seq, "name": name, "start_date": w_start, "end_date": w_end,
                    "due_date": w_end + dt.timedelta(days=due_days)})
    return out


def has_periodic_data(session, period_id: int) -> bool:
    windows = select(SubPeriod.id).where(SubPeriod.period_id == period_id)
    return bool(session.scalar(select(exists().where(PeriodicRealisation.sub_period_id.in_(windows))))
                or session.scalar(select(exists().where(PeriodicJudgement.sub_period_id.in_(windows)))))


def generate(session, period, frequency: str, due_days: int | None = None) -> list[SubPeriod]:
    """(Re)make the period's windows with `frequency`, as the session's acting user (the record policy
    lets BKPSDM do it while the period is open). Refused once a window holds periodic data."""
    from ..settings import get_setting

    if frequency not in FREQUENCIES:
        raise WorkflowError(f"Frekuensi evaluasi periodik '{frequency}' tidak dikenal.")
    if has_periodic_data(session, period.id):
        raise WorkflowError(f"Jendela evaluasi periode {period.code} sudah berisi realisasi atau penilaian periodik, "
                            "sehingga frekuensinya tidak dapat diganti.")
    due = int(get_setting("periodic.due_days", session=session)) if due_days is None else due_days
    for old in session.scalars(select(SubPeriod).where(SubPeriod.period_id == period.id)).all():
        session.delete(old)
    session.flush()
    rows = [SubPeriod(period_id=period.id, frequency=frequency, **w)
            for w in plan_windows(period.start_date, period.end_date, frequency, due)]
    session.add_all(rows)
    session.flush()
    return rows


def of_period(session, period_id: int) -> list[SubPeriod]:
    return session.scalars(select(SubPeriod).where(SubPeriod.period_id == period_id).order_by(SubPeriod.seq)).all()


def state(window: SubPeriod, day: dt.date) -> str:
    if day < window.start_date:
        return "before"
    return "closed" if day > window.due_date else "open"


STATE_LABELS = {"before": "Belum dimulai", "open": "Terbuka", "closed": "Ditutup"}
