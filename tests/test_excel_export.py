"""Inspector export: sheets and content read back with openpyxl, NIP as text, numbers as numbers,
row scope (a penilai's export), the admin list's filters and search, rights, IKM, CLI."""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from kinerja_admin.excel.exporter import export_period
from kinerja_admin.extensions import db
from kinerja_admin.labels import audit_entity
from kinerja_admin.scope import scope_query
from models import (
    AuditLog,
    BehaviourAspect,
    PublicFeedback,
    ScoreDetail,
    ScoreResult,
    Unit,
    UnitRating,
    WorkPlan,
)
from tests.conftest import login_as

PREDICATES = ["Sangat Baik", "Baik", "Baik", "Butuh Perbaikan", "Kurang"]
SHEET_NAMES = ["Ringkasan", "Nilai Pegawai", "Rincian Sasaran", "Penilaian Perilaku", "Periksa", "Aturan",
               "Jejak Audit", "Efektivitas Program"]


@pytest.fixture
def scored(demo):
    """Approved score results with their stored details (written here, independent of the scoring
    engine) for period 2025."""
    period = demo["periods"]["2025"]
    aspects = list(db.session.scalars(select(BehaviourAspect).where(BehaviourAspect.scheme_id == period.scheme_id)
                                      .order_by(BehaviourAspect.seq)))
    plans = db.session.scalars(select(WorkPlan).where(WorkPlan.period_id == period.id).order_by(WorkPlan.id)).all()
    for i, plan in enumerate(plans):
        r = ScoreResult(period_id=period.id, employee_id=plan.employee_id, work_plan_id=plan.id, unit_id=plan.unit_id,
                        scheme_id=period.scheme_id, scheme_version=1, skp_value=Decimal("80") + i % 20,
                        behaviour_value=Decimal("85.1234"), final_value=Decimal("82.5") + i % 15,
                        hasil_category="sesuai", perilaku_category="diatas", predicate=PREDICATES[i % len(PREDICATES)],
                        status="approved", computed_at=dt.datetime(2026, 1, 10, 8, 0),
                        approved_at=dt.datetime(2026, 1, 12, 9, 0))
        db.session.add(r)
        db.session.flush()
        for a in aspects[:2]:
            db.session.add(ScoreDetail(result_id=r.id, role="atasan", aspect_id=a.id, average=Decimal("3.5"), raters=1))
        db.session.add(AuditLog(action="transition", entity="score_result", entity_id=str(r.id), period_id=period.id,
                                username="sistem", changes={"status": [None, "computed"]}))
    db.session.commit()
    return demo


def _read(path_or_bytes):
    """The workbook as a reader that does not calculate sees it (formulas' cached values)."""
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return openpyxl.load_workbook(src, data_only=True)


def _table(ws, header_row=1):
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    head = list(rows[0])
    return head, [dict(zip(head, r)) for r in rows[1:] if any(v is not None for v in r)]


def test_cli_export_workbook_content(app, scored, tmp_path):
    out = tmp_path / "hasil.xlsx"
    res = app.test_cli_runner().invoke(args=["kinerja", "export", "2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    wb = _read(out)
    assert wb.sheetnames == SHEET_NAMES
    assert "2025" in wb.properties.title and wb.properties.creator == "CLI"
    n = db.session.scalar(select(func.count()).select_from(ScoreResult))
    head, rows = _table(wb["Nilai Pegawai"])
    assert len(rows) == n
    assert all(isinstance(r["NIP"], str) and len(r["NIP"]) == 18 and r["NIP"].isdigit() for r in rows)
    assert all(isinstance(r["Nilai Akhir"], (int, float)) for r in rows)
    assert {r["Predikat"] for r in rows} == set(PREDICATES)
    assert {r["Rating Perilaku"] for r in rows} == {"Di Atas Ekspektasi"}
    assert isinstance(rows[0]["Dihitung Pada"], dt.datetime)
    ws = wb["Nilai Pegawai"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    pred_col = head.index("Predikat") + 1
    fills = {ws.cell(i, pred_col).value: ws.cell(i, pred_col).fill.fgColor.rgb for i in range(2, 12)}
    assert fills["Sangat Baik"] != fills["Kurang"]
    # other sheets
    _, targets = _table(wb["Rincian Sasaran"])
    assert targets and all(isinstance(t["NIP"], str) for t in targets)
    assert any(isinstance(t["Capaian (%)"], float) for t in targets)
    _, beh = _table(wb["Penilaian Perilaku"])
    assert len(beh) == 2 * n and beh[0]["Rerata"] == 3.5 and beh[0]["Peran Penilai"] == "Atasan"
    aturan = [c for row in wb["Aturan"].iter_rows(values_only=True) for c in row if c is not None]
    assert "PERMENPANRB-6-2022" in aturan and "Matriks predikat (baris: rating perilaku; kolom: rating hasil kerja)" \
        in aturan
    _, audit = _table(wb["Jejak Audit"])
    period_id = scored["periods"]["2025"].id
    logged = db.session.execute(select(AuditLog.entity, AuditLog.entity_id).where(AuditLog.period_id == period_id)).all()
    # one sheet row per changed field, in words (no JSON): every audit row of the period is there
    assert len(audit) >= len(logged) >= n + 1
    assert {(a["Entitas"], a["ID"]) for a in audit} == {(audit_entity(e), i) for e, i in logged}
    assert not any(str(a["Sesudah"] or "").startswith("{") for a in audit)
    summary = [c for row in wb["Ringkasan"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Sebaran predikat" in summary


def test_chart_and_properties_are_written(app, scored, tmp_path):
    import zipfile

    out = tmp_path / "hasil.xlsx"
    export_period(scored["periods"]["2025"], str(out), session=db.session, generated_by="uji")
    names = zipfile.ZipFile(out).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)
    custom = zipfile.ZipFile(out).read("docProps/custom.xml").decode()
    assert "Periode" in custom and "Dibuat oleh" in custom


def test_penilai_export_holds_only_their_scope(app, scored, tmp_path):
    penilai = scored["users"]["penilai"]
    period = scored["periods"]["2025"]
    out = tmp_path / "penilai.xlsx"
    export_period(period, str(out), session=db.session, user=penilai)
    _, rows = _table(_read(out)["Nilai Pegawai"])
    allowed = set(db.session.scalars(scope_query(select(ScoreResult.employee_id), ScoreResult, penilai)))
    total = db.session.scalar(select(func.count()).select_from(ScoreResult))
    from models import Employee

    nips = set(db.session.scalars(select(Employee.nip).where(Employee.id.in_(allowed))))
    assert 0 < len(rows) < total
    assert {r["NIP"] for r in rows} == nips
    _, audit = _table(_read(out)["Jejak Audit"])
    result_ids = {str(i) for i in db.session.scalars(scope_query(select(ScoreResult.id), ScoreResult, penilai))}
    logs = db.session.execute(select(AuditLog.entity, AuditLog.entity_id, AuditLog.subject_id)
                              .where(AuditLog.period_id == period.id)).all()
    # the trail of every record of the exported employees (whatever the entity) and of the period itself,
    # one sheet row per changed field
    expected = [(audit_entity(e), i) for e, i, subject in logs if e == "period" or subject in allowed]
    assert len(rows) + 1 <= len(expected) < len(logs) and len(audit) >= len(expected)
    assert {(a["Entitas"], a["ID"]) for a in audit} == set(expected)
    assert {a["ID"] for a in audit if a["Entitas"] == audit_entity("score_result")} <= result_ids


def _export(client, query=""):
    """Start the export from the list (a background job) and download its workbook from the job page."""
    rv = client.get(f"/admin/score_result/export-xlsx/{query}")
    assert rv.status_code == 302 and "/admin/jobs/" in rv.headers["Location"], rv.status_code
    page = client.get(rv.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/admin/jobs/\d+/unduh)"', page)
    assert link, page[page.find("<h2"):][:2000]
    rv = client.get(link.group(1))
    assert rv.status_code == 200 and rv.mimetype.endswith("spreadsheetml.sheet")
    return rv


def test_admin_export_obeys_filters_and_search(app, client, scored):
    login_as(client, scored["users"]["operator"])
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "score_result")
    key = next(k for k, (_, flt) in view._filter_args.items()
               if getattr(flt.column, "key", None) == "predicate" and type(flt).__name__ == "FilterEqual")
    rv = _export(client, f"?flt0_{key}=Kurang")
    _, rows = _table(_read(rv.data)["Nilai Pegawai"])
    expected = db.session.scalar(select(func.count()).select_from(ScoreResult).where(ScoreResult.predicate == "Kurang"))
    assert len(rows) == expected > 0 and {r["Predikat"] for r in rows} == {"Kurang"}
    # search by name on top of the filter
    name = rows[0]["Nama"]
    rv = _export(client, f"?flt0_{key}=Kurang&search={name.split(',')[0]}")
    _, rows2 = _table(_read(rv.data)["Nilai Pegawai"])
    assert 1 <= len(rows2) <= len(rows) and all(name.split(",")[0] in r["Nama"] for r in rows2)
    summary = [c for row in _read(rv.data)["Ringkasan"].iter_rows(values_only=True) for c in row if c is not None]
    assert any(isinstance(c, str) and "pencarian" in c for c in summary)
    # the list page offers the button with the current query string
    page = client.get(f"/admin/score_result/?flt0_{key}=Kurang").get_data(as_text=True)
    assert "export-xlsx/?flt0_" in page and "Ekspor Excel" in page


def test_export_rights(app, client, scored):
    for role, code in (("inspektur", 302), ("operator", 302), ("penilai", 403), ("pegawai", 403)):
        login_as(client, scored["users"][role])
        assert client.get("/admin/score_result/export-xlsx/").status_code == code, role
    client.get("/logout")


def test_export_with_nothing_selected_redirects_with_message(app, client, demo):
    login_as(client, demo["users"]["operator"])
    rv = client.get("/admin/score_result/export-xlsx/", follow_redirects=True)
    assert "Tidak ada hasil penilaian untuk diekspor" in rv.get_data(as_text=True)


def _opd_row(path, unit_id):
    """The Ringkasan row of the OPD (top-level unit) the unit belongs to, with the header."""
    from kinerja_admin.orgtree import unit_tree

    opd = db.session.get(Unit, unit_tree(db.session).root_of(unit_id))
    rows = list(_read(path)["Ringkasan"].iter_rows(values_only=True))
    hr = next(i for i, r in enumerate(rows) if r[0] == "Kode OPD")
    return rows[hr], next(r for r in rows[hr + 1:] if r[0] == opd.code), opd


def test_ikm_and_band_in_summary(app, scored, tmp_path):
    """IKM per OPD (its responses and those of its sub-units) by the one IKM function of the portal."""
    from kinerja_admin.orgtree import unit_tree
    from kinerja_admin.rating.ikm import ikm_from_sums

    period = scored["periods"]["2025"]
    unit_id = db.session.scalar(select(ScoreResult.unit_id).limit(1))
    tree = unit_tree(db.session)
    opd_id = tree.root_of(unit_id)
    db.session.execute(delete(PublicFeedback).where(PublicFeedback.unit_id.in_(tree.subtree(opd_id))))
    # element means: 3.5 for U1..U8 and 3.0 for U9 -> (8*3.5 + 3)/9 * 25 = 86.111 -> 86.11, band B
    for u9 in (3, 3):
        for u in (3, 4):
            db.session.add(PublicFeedback(period_id=period.id, unit_id=unit_id, **{f"u{i}": u for i in range(1, 9)},
                                          u9=u9))
    db.session.commit()
    res = ikm_from_sums(db.session, 4, [7 * 2] * 8 + [12])
    assert (res.value, res.letter, res.label) == (Decimal("86.11"), "B", "Baik")
    out = tmp_path / "ikm.xlsx"
    export_period(period, str(out), session=db.session)
    head, row, _ = _opd_row(out, unit_id)
    assert row[head.index("IKM")] == pytest.approx(86.11)
    assert row[head.index("Mutu IKM")] == "B (Baik)"
    assert row[head.index("Responden IKM")] == 4


def test_distribution_warning_in_summary_is_the_engines_check(app, scored, tmp_path):
    """The workbook checks the distribution per rated unit's whole subtree, with the function the scoring
    summary uses: same findings, OPD by OPD."""
    from kinerja_admin.scoring.distribution import check_distribution

    period = scored["periods"]["2025"]
    unit_id = db.session.scalar(select(ScoreResult.unit_id).group_by(ScoreResult.unit_id)
                                .order_by(func.count().desc()).limit(1))
    from kinerja_admin.orgtree import unit_tree

    opd_id = unit_tree(db.session).root_of(unit_id)
    db.session.execute(delete(UnitRating).where(UnitRating.period_id == period.id, UnitRating.unit_id == opd_id))
    db.session.add(UnitRating(period_id=period.id, unit_id=opd_id, rating="sangat_kurang"))
    db.session.commit()
    out = tmp_path / "dist.xlsx"
    export_period(period, str(out), session=db.session)
    head, row, opd = _opd_row(out, unit_id)
    assert row[head.index("Predikat Organisasi")] == "Sangat Kurang"
    engine = [w for w in check_distribution(db.session, period) if w.startswith(opd.name + " (")]
    assert engine and row[head.index("Peringatan Distribusi")] == " ".join(w.split("): ", 1)[1] for w in engine)
    # the table of every rated unit holds exactly the engine's findings
    rows = list(_read(out)["Ringkasan"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "Unit" and r[1] == "Predikat Organisasi")
    table = {r[0]: r[3] for r in rows[top + 1:] if r[0] and r[1]}
    for w in check_distribution(db.session, period):
        name, finding = w.split(" (predikat organisasi ", 1)[0], w.split("): ", 1)[1]
        assert finding in table[name]


def test_workbook_and_engine_share_the_distribution_function(app, scored, tmp_path, monkeypatch):
    """Replacing the one distribution function changes both the scoring summary and the workbook."""
    from kinerja_admin.excel import exporter
    from kinerja_admin.scoring import distribution
    from kinerja_admin.scoring.engine import score_period

    period = scored["periods"]["2025"]
    real = distribution.distribution_checks

    def marked(session, period_, *conds):
        checks = real(session, period_, *conds)
        for c in checks:
            c.findings = ["PENANDA-UJI"]
        return checks

    monkeypatch.setattr(distribution, "distribution_checks", marked)
    assert exporter.distribution is distribution
    summary = score_period(db.session, period)
    assert summary["warnings"] and all(w.endswith("PENANDA-UJI") for w in summary["warnings"])
    out = tmp_path / "penanda.xlsx"
    export_period(period, str(out), session=db.session)
    cells = [c for row in _read(out)["Ringkasan"].iter_rows(values_only=True) for c in row]
    assert cells.count("PENANDA-UJI") >= len(summary["warnings"])
    db.session.rollback()


def test_behaviour_sheet_of_engine_results_matches_each_explanation(app, demo, tmp_path):
    """Results straight from the engine ('computed'): the Penilaian Perilaku sheet holds, per
    employee, the same per-role per-aspect figures as the result's explanation (both computed from
    the ratings)."""
    from kinerja_admin.scoring.engine import result_details, score_period
    from models import Employee

    period = demo["periods"]["2025"]
    score_period(db.session, period)
    db.session.commit()
    out = tmp_path / "hasil.xlsx"
    export_period(period, str(out), session=db.session, generated_by="uji")
    _, rows = _table(_read(out)["Penilaian Perilaku"])
    assert rows
    aspects = {a.id: a for a in db.session.scalars(select(BehaviourAspect)
                                                  .where(BehaviourAspect.scheme_id == period.scheme_id))}
    results = db.session.scalars(select(ScoreResult).where(ScoreResult.period_id == period.id)).all()
    nips = {e.id: e.nip for e in db.session.scalars(select(Employee))}
    checked = 0
    for r in results:
        expected = sorted((nips[r.employee_id], aspects[a].code, float(avg), n)
                          for _, a, avg, n in result_details(db.session, r))
        got = sorted((x["NIP"], x["Kode Aspek"], x["Rerata"], x["Jumlah Penilai"]) for x in rows
                     if x["NIP"] == nips[r.employee_id])
        assert [g[:2] + (round(g[2], 4), g[3]) for g in got] == [e[:2] + (round(e[2], 4), e[3]) for e in expected]
        checked += bool(expected)
    assert checked > 10
