"""The inspector workbook recomputes itself: the demo (with edge cases added: an unrealised indicator, a
target of 0, the PP 46/2011 24% edge with decimals, a value beyond any score column, a negative PP 46/2011
value) scored under each preset (PermenPANRB 6/2022 with the public's ratings, PP 46/2011, a PP 46/2011
clone rounding to 0 decimals half to even, PP 30/2019 with innovation, a PP 30/2019 360 clone with a
final-score expression and the public's ratings), exported, recalculated by LibreOffice headless
with a throw-away profile that forces recalculation of xlsx formulas on load, and read back: "Periksa"
shows 0 mismatches and no formula error anywhere.

LibreOffice does not recalculate xlsx formulas on load by default (it shows the cached values), so the
profile sets OOXMLRecalcMode to 0 ("always"); a control formula with a wrong cached value proves the
recalculation happened. Skipped, with the reason, where `soffice` is absent.
"""
from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal as D

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import delete, select

from kinerja_admin.excel.exporter import export_period
from kinerja_admin.scoring.engine import score_period
from kinerja_admin.scoring.validation import clone_scheme
from kinerja_admin.workflow.period import change_scheme
from models import (
    BehaviourRating,
    Indicator,
    RaterAssignment,
    Realisation,
    ScoringScheme,
    Target,
    WorkPlan,
    db,
)

from .scoring_helpers import scheme

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install "
                                                        "libreoffice-calc-nogui")

PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def recalculate(paths, tmp_path):
    """Recalculate the workbooks with LibreOffice (one run for all); returns the converted paths."""
    profile = tmp_path / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE)
    out = tmp_path / "recalculated"
    cmd = [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}", "--convert-to", "xlsx",
           "--outdir", str(out), *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    converted = [out / p.name for p in paths]
    assert all(p.exists() for p in converted), done.stdout + done.stderr
    return converted


def rerate_for(period, target_scheme):
    """Ratings of the demo's assignments for `target_scheme`'s aspects, scaled from the demo's 1-5 values
    onto the scheme's scale (the demo rates the PermenPANRB 6/2022 aspects)."""
    old = {}
    for a_id, value in db.session.execute(
            select(BehaviourRating.assignment_id, BehaviourRating.value)
            .join(RaterAssignment, RaterAssignment.id == BehaviourRating.assignment_id)
            .where(RaterAssignment.period_id == period.id).order_by(BehaviourRating.id)):
        old.setdefault(a_id, []).append(D(value))
    lo, hi = D(target_scheme.scale_min), D(target_scheme.scale_max)
    for a_id, values in old.items():
        for i, aspect in enumerate(target_scheme.aspects):
            v = values[i % len(values)]
            db.session.add(BehaviourRating(assignment_id=a_id, aspect_id=aspect.id,
                                           value=(lo + (v - 1) * (hi - lo) / 4).quantize(D("0.0001"))))
    db.session.flush()


def add_edge_cases(period):
    """Edge cases among the demo's plans (the latest realisation counts): an unrealised indicator, a target
    of 0, RW = 0.76 TW with decimals (the PP 46/2011 24% edge), a realisation far beyond any score column,
    and RW 5 of TW 1 (a negative PP 46/2011 value)."""
    indicators = db.session.scalars(
        select(Indicator).join(Target).join(WorkPlan)
        .where(WorkPlan.period_id == period.id, WorkPlan.status.in_(("approved", "realised", "assessed", "final")))
        .order_by(Indicator.id)).all()
    picks = indicators[3:40:7][:5]
    unrealised, zero, edge, huge, negative = picks
    db.session.execute(delete(Realisation).where(Realisation.indicator_id == unrealised.id))
    zero.target_value = D(0)
    edge.aspect, edge.target_value, edge.lower_is_better = "waktu", D(12), True
    huge.aspect, huge.target_value, huge.lower_is_better = "kuantitas", D(30), False
    negative.aspect, negative.target_value, negative.lower_is_better = "waktu", D(1), True
    for ind, value in ((edge, "9.12"), (huge, "100000"), (negative, "5")):
        db.session.add(Realisation(indicator_id=ind.id, value=D(value)))
    db.session.flush()


def _scheme_cases():
    pp46_round = clone_scheme(db.session, scheme("PP46-2011"), "PP46-BULAT-0")
    pp46_round.round_decimals, pp46_round.rounding_mode = 0, "half_even"
    pp30_360 = clone_scheme(db.session, scheme("PP30-2019-360"), "PP30-360-EKSPRESI")
    pp30_360.final_expression = "round(0.6*max(skp, 0) + 0.4*perilaku, 2) - min(atasan, 0) / 1000"
    for w in pp30_360.rater_weights:  # the public counts under this clone
        w.weight = {"atasan": D(50), "rekan": D(20), "bawahan": D(15), "diri": D(0), "masyarakat": D(15)}[w.role]
    db.session.flush()
    return ["PERMENPANRB-6-2022", "PP46-2011", "PP46-BULAT-0", "PP30-2019", "PP30-360-EKSPRESI"]


def test_periksa_shows_zero_mismatches_after_libreoffice_recalculates(demo, tmp_path):
    period = demo["periods"]["2025"]
    add_edge_cases(period)
    codes = _scheme_cases()
    files = []
    for code in codes:
        s = db.session.scalar(select(ScoringScheme).where(ScoringScheme.code == code))
        if s.id != period.scheme_id:
            # through "Ganti skema": the previous scheme's computed results are discarded
            change_scheme(db.session, demo["users"]["operator"], period, s.id, "uji ulang dengan skema lain")
            db.session.flush()
            rerate_for(period, s)
        summary = score_period(db.session, period)
        assert summary["computed"] > 50 and summary["with_note"] >= 3, code
        path = tmp_path / f"periksa-{code}.xlsx"
        stats = export_period(period, str(path), session=db.session, generated_by="uji")
        assert stats["mismatches"] == 0, code  # the Python recomputation of the cached values agrees
        files.append(path)
    control = tmp_path / "control.xlsx"
    wb = xlsxwriter.Workbook(str(control))
    wb.add_worksheet().write_formula(0, 0, "=1+1", None, 5)
    wb.close()
    recalculated = recalculate([control, *files], tmp_path)
    assert openpyxl.load_workbook(recalculated[0], data_only=True).active["A1"].value == 2, \
        "LibreOffice kept the cached values: the recalculation was not forced"
    for code, path in zip(codes, recalculated[1:]):
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
        rows = list(wb["Periksa"].iter_rows(values_only=True))
        assert rows[0][:2] == ("Jumlah ketidaksesuaian", 0), (code, rows[0][:2])
        head = rows[3]
        bad = head.index("Tidak Sesuai (1 = ya)")
        assert [r[bad] for r in rows[4:]] == [0] * (len(rows) - 4), code
        recomputed = head.index("Predikat (hitung ulang)")
        assert sum(1 for r in rows[4:] if r[recomputed]) > 20, code  # predicates really were recomputed
        for name in wb.sheetnames:
            errors = [v for row in wb[name].iter_rows(values_only=True) for v in row
                      if isinstance(v, str) and v.startswith("#") and v[1:4].isupper()]
            assert not errors, (code, name, errors[:3])
