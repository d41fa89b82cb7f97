"""Invariants of organisational performance data, shared by the admin forms and the importer.

Each ``check_*`` takes the session and the object about to be saved (relationship attributes may be
set instead of the foreign-key columns, as Flask-Admin forms do), raises PlanningError with an
Indonesian message, and returns nothing. ``check_indicator`` also copies the period and OPD of the
indicator's parent onto the indicator (the denormalised columns that row scope, the closed-period
lock and the roll-up read).
"""
from __future__ import annotations

from sqlalchemy import func, select

from models import (
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    PolicyChange,
    Program,
    PublicService,
    StrategicGoal,
    Target,
    Unit,
)
from models.planning import PARENT_LEVEL, PROGRAM_LEVELS, QUARTERS

from . import PlanningError

CODE_MAX = 40


def ref_id(obj, rel: str, col: str):
    """The id of a many-to-one reference, whether a form set the relationship (also to None) or code
    set the column: a changed relationship wins, else the column."""
    from sqlalchemy import inspect

    history = inspect(obj).attrs[rel].history
    if history.added or history.deleted:
        related = history.added[0] if history.added else None
        if related is None:
            return None
        if related.id is not None:
            return related.id
    return getattr(obj, col)


def _committed(obj, col: str):
    """The column's value as stored (None for a new object)."""
    from sqlalchemy import inspect

    state = inspect(obj)
    if state.transient or state.pending:
        return None
    hist = state.attrs[col].history
    if hist.deleted:
        return hist.deleted[0]
    return hist.unchanged[0] if hist.unchanged else getattr(obj, col)


def opd_of(session, unit_id: int | None) -> Unit | None:
    """The unit when it is an OPD (a top-level unit), else None."""
    if unit_id is None:
        return None
    unit = session.get(Unit, unit_id)
    return unit if unit is not None and unit.parent_id is None else None


def _require_opd(session, unit_id, what: str) -> Unit:
    if unit_id is None:
        raise PlanningError(f"Perangkat daerah {what} wajib diisi.")
    unit = opd_of(session, unit_id)
    if unit is None:
        name = session.scalar(select(Unit.name).where(Unit.id == unit_id)) or unit_id
        raise PlanningError(f"{name} bukan perangkat daerah (unit teratas); {what} dibuat untuk perangkat daerah, "
                            "bukan untuk sub-unitnya.")
    return unit


def _require_code(code: str | None, what: str) -> str:
    code = (code or "").strip()
    if not code:
        raise PlanningError(f"Kode {what} wajib diisi.")
    if len(code) > CODE_MAX:
        raise PlanningError(f"Kode {what} paling panjang {CODE_MAX} karakter.")
    return code


def _period_code(session, period_id) -> str:
    return session.scalar(select(Period.code).where(Period.id == period_id)) or str(period_id)


def check_agreement(session, agreement: PerformanceAgreement) -> None:
    period_id = ref_id(agreement, "period", "period_id")
    unit_id = ref_id(agreement, "unit", "unit_id")
    if period_id is None:
        raise PlanningError("Periode perjanjian kinerja wajib diisi.")
    unit = _require_opd(session, unit_id, "perjanjian kinerja")
    other = session.scalar(select(PerformanceAgreement.id).where(
        PerformanceAgreement.period_id == period_id, PerformanceAgreement.unit_id == unit_id,
        PerformanceAgreement.id != (agreement.id or 0)))
    if other is not None:
        raise PlanningError(f"{unit.name} sudah memiliki perjanjian kinerja periode "
                            f"{_period_code(session, period_id)}.")
    if agreement.id is not None:
        moved = (_committed(agreement, "period_id"), _committed(agreement, "unit_id")) != (period_id, unit_id)
        if moved and session.scalar(select(func.count(StrategicGoal.id))
                                    .where(StrategicGoal.agreement_id == agreement.id)):
            raise PlanningError("Periode dan perangkat daerah perjanjian kinerja tidak dapat diubah karena sudah "
                                "memiliki sasaran strategis; buat perjanjian baru.")


def check_goal(session, goal: StrategicGoal) -> None:
    agreement_id = ref_id(goal, "agreement", "agreement_id")
    if agreement_id is None:
        raise PlanningError("Perjanjian kinerja sasaran strategis wajib diisi.")
    goal.code = _require_code(goal.code, "sasaran strategis")
    if not (goal.description or "").strip():
        raise PlanningError("Uraian sasaran strategis wajib diisi.")
    other = session.scalar(select(StrategicGoal.id).where(
        StrategicGoal.agreement_id == agreement_id, StrategicGoal.code == goal.code,
        StrategicGoal.id != (goal.id or 0)))
    if other is not None:
        raise PlanningError(f"Kode sasaran {goal.code} sudah dipakai pada perjanjian kinerja ini.")
    if goal.id is not None and _committed(goal, "agreement_id") not in (None, agreement_id):
        if session.scalar(select(func.count(OrgIndicator.id)).where(OrgIndicator.goal_id == goal.id)):
            raise PlanningError("Sasaran yang sudah memiliki IKU tidak dapat dipindah ke perjanjian lain.")


def check_program(session, program: Program) -> None:
    period_id = ref_id(program, "period", "period_id")
    unit_id = ref_id(program, "unit", "unit_id")
    if period_id is None:
        raise PlanningError("Periode program wajib diisi.")
    _require_opd(session, unit_id, "program")
    if program.level not in PROGRAM_LEVELS:
        raise PlanningError("Tingkat harus Program, Kegiatan atau Sub Kegiatan.")
    program.code = _require_code(program.code, PROGRAM_LEVELS[program.level].lower())
    if not (program.name or "").strip():
        raise PlanningError(f"Nama {PROGRAM_LEVELS[program.level].lower()} wajib diisi.")
    if len(program.name) > 300:
        raise PlanningError("Nama paling panjang 300 karakter.")
    other = session.scalar(select(Program.id).where(
        Program.period_id == period_id, Program.unit_id == unit_id, Program.code == program.code,
        Program.id != (program.id or 0)))
    if other is not None:
        raise PlanningError(f"Kode {program.code} sudah dipakai perangkat daerah ini pada periode "
                            f"{_period_code(session, period_id)}.")
    parent_id = ref_id(program, "parent", "parent_id")
    wanted = PARENT_LEVEL[program.level]
    if wanted is None and parent_id is not None:
        raise PlanningError("Program tidak berinduk; hanya kegiatan dan sub kegiatan yang memiliki induk.")
    if wanted is not None:
        if parent_id is None:
            raise PlanningError(f"{PROGRAM_LEVELS[program.level]} wajib memiliki induk "
                                f"({PROGRAM_LEVELS[wanted].lower()}).")
        parent = session.get(Program, parent_id)
        if parent is None or parent.level != wanted:
            raise PlanningError(f"Induk {PROGRAM_LEVELS[program.level].lower()} harus sebuah "
                                f"{PROGRAM_LEVELS[wanted].lower()}.")
        if (parent.period_id, parent.unit_id) != (period_id, unit_id):
            raise PlanningError("Induk harus berada pada periode dan perangkat daerah yang sama.")
    goal_id = ref_id(program, "goal", "goal_id")
    if goal_id is not None:
        goal = session.get(StrategicGoal, goal_id)
        agreement = session.get(PerformanceAgreement, goal.agreement_id) if goal else None
        if agreement is None or (agreement.period_id, agreement.unit_id) != (period_id, unit_id):
            raise PlanningError("Sasaran strategis harus milik perjanjian kinerja perangkat daerah dan periode "
                                "yang sama.")
    for col, label in (("budget_ceiling", "Pagu anggaran"), ("budget_realised", "Realisasi anggaran")):
        value = getattr(program, col)
        if value is not None and value < 0:
            raise PlanningError(f"{label} tidak boleh negatif.")
    if program.budget_ceiling is not None and program.budget_realised is not None \
            and program.budget_realised > program.budget_ceiling:
        raise PlanningError("Realisasi anggaran melebihi pagu.")
    if program.id is not None:
        moved = (_committed(program, "period_id"), _committed(program, "unit_id")) != (period_id, unit_id)
        relevelled = _committed(program, "level") != program.level
        if moved or relevelled:
            used = session.scalar(select(func.count(Program.id)).where(Program.parent_id == program.id)) or \
                session.scalar(select(func.count(OrgIndicator.id)).where(OrgIndicator.program_id == program.id))
            if used:
                raise PlanningError("Periode, perangkat daerah dan tingkat tidak dapat diubah karena sudah memiliki "
                                    "kegiatan/sub kegiatan atau indikator.")


def indicator_parent(session, indicator: OrgIndicator) -> tuple[int, int]:
    """(period_id, unit_id) of the indicator's goal (through its agreement) or program."""
    goal_id = ref_id(indicator, "goal", "goal_id")
    program_id = ref_id(indicator, "program", "program_id")
    if (goal_id is None) == (program_id is None):
        raise PlanningError("Indikator harus milik tepat satu: sasaran strategis (IKU) atau program/kegiatan/"
                            "sub kegiatan.")
    if goal_id is not None:
        row = session.execute(select(PerformanceAgreement.period_id, PerformanceAgreement.unit_id)
                              .join(StrategicGoal, StrategicGoal.agreement_id == PerformanceAgreement.id)
                              .where(StrategicGoal.id == goal_id)).first()
    else:
        row = session.execute(select(Program.period_id, Program.unit_id).where(Program.id == program_id)).first()
    if row is None:
        raise PlanningError("Sasaran atau program induk indikator tidak ditemukan.")
    return row[0], row[1]


def check_indicator(session, indicator: OrgIndicator) -> None:
    period_id, unit_id = indicator_parent(session, indicator)
    indicator.code = _require_code(indicator.code, "indikator")
    if not (indicator.description or "").strip():
        raise PlanningError("Uraian indikator wajib diisi.")
    if indicator.target_value is None:
        raise PlanningError("Target indikator wajib diisi.")
    if indicator.target_value < 0:
        raise PlanningError("Target indikator tidak boleh negatif.")
    if indicator.weight is not None and indicator.weight <= 0:
        raise PlanningError("Bobot indikator harus lebih dari 0 (kosongkan untuk bobot 1).")
    if indicator.unit_label is None:
        indicator.unit_label = ""
    if len(indicator.unit_label) > 40:
        raise PlanningError("Satuan paling panjang 40 karakter.")
    other = session.scalar(select(OrgIndicator.id).where(
        OrgIndicator.period_id == period_id, OrgIndicator.unit_id == unit_id, OrgIndicator.code == indicator.code,
        OrgIndicator.id != (indicator.id or 0)))
    if other is not None:
        raise PlanningError(f"Kode indikator {indicator.code} sudah dipakai perangkat daerah ini pada periode "
                            f"{_period_code(session, period_id)}.")
    service_id = ref_id(indicator, "service", "service_id")
    if service_id is not None:
        from kinerja_admin.orgtree import unit_tree

        service_unit = session.scalar(select(PublicService.unit_id).where(PublicService.id == service_id))
        if unit_tree(session).root_of(service_unit) != unit_id:
            raise PlanningError("Layanan publik indikator harus milik perangkat daerah yang sama.")
    if indicator.id is not None and (_committed(indicator, "period_id"), _committed(indicator, "unit_id")) \
            != (period_id, unit_id):
        if session.scalar(select(func.count(Target.id)).where(Target.org_indicator_id == indicator.id)):
            raise PlanningError("Indikator yang sudah didukung RHK tidak dapat dipindah ke periode atau perangkat "
                                "daerah lain.")
    indicator.period_id, indicator.unit_id = period_id, unit_id


def check_realisation(session, realisation: OrgRealisation) -> None:
    indicator_id = ref_id(realisation, "indicator", "indicator_id")
    if indicator_id is None:
        raise PlanningError("Indikator realisasi wajib diisi.")
    if realisation.quarter not in QUARTERS:
        raise PlanningError("Triwulan harus 1, 2, 3 atau 4.")
    if realisation.value is None:
        raise PlanningError("Nilai realisasi wajib diisi.")
    if realisation.value < 0:
        raise PlanningError("Nilai realisasi tidak boleh negatif.")
    other = session.scalar(select(OrgRealisation.id).where(
        OrgRealisation.indicator_id == indicator_id, OrgRealisation.quarter == realisation.quarter,
        OrgRealisation.id != (realisation.id or 0)))
    if other is not None:
        raise PlanningError(f"Realisasi {QUARTERS[realisation.quarter]} indikator ini sudah dicatat; ubah data "
                            "yang ada.")


def check_policy(session, policy: PolicyChange) -> None:
    if not (policy.name or "").strip():
        raise PlanningError("Nama kebijakan/program wajib diisi.")
    if policy.effective_date is None:
        raise PlanningError("Tanggal berlaku wajib diisi.")
    if not policy.units:
        raise PlanningError("Pilih minimal satu unit yang terdampak.")
    base_id = ref_id(policy, "baseline_period", "baseline_period_id")
    comp_id = ref_id(policy, "comparison_period", "comparison_period_id")
    if base_id is not None and comp_id is not None:
        if base_id == comp_id:
            raise PlanningError("Periode sebelum dan sesudah harus berbeda.")
        base, comp = session.get(Period, base_id), session.get(Period, comp_id)
        if base.start_date >= comp.start_date:
            raise PlanningError("Periode sebelum harus lebih awal daripada periode sesudah.")
