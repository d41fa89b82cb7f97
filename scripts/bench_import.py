#!/usr/bin/env python
"""Benchmark of the Excel master-data import.

    python scripts/bench_import.py [--employees 10000] [--database-url URL] [--baseline-sqlite] [--bombs]

Writes a template-shaped workbook (units, positions, N employees with superior chains) and measures,
each in its own subprocess (peak RSS = VmHWM of that process): reading alone, a dry run, the real
import (all created) and a re-import of the same file (all unchanged). The last line of the output is
one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_export import _app, _peak_mb  # noqa: E402


def make_workbook(path: str, n: int) -> None:
    import random

    import xlsxwriter

    from kinerja_admin.excel.template import SHEETS

    rng = random.Random(5)
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    text = wb.add_format({"num_format": "@"})
    sheets = {}
    for name, cols in SHEETS.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [c.header + (" *" if c.required else "") for c in cols])
        sheets[name] = ws
    n_units = max(2, n // 200)
    units = [f"BU{i:03d}" for i in range(n_units)]
    for i, code in enumerate(units, start=1):
        sheets["Unit"].write_row(i, 0, [code, f"Unit Bench {code}", "Dinas", None, "Tidak"])
    r = 1
    for code in units:
        for name, kind, parent in (("Kepala", "JPT", None), ("Kepala Bidang", "ADMINISTRATOR", "Kepala"),
                                   ("Pelaksana", "PELAKSANA", "Kepala Bidang")):
            sheets["Jabatan"].write_row(r, 0, [code, name, kind, code if parent else None, parent])
            r += 1
    used: set[str] = set()
    nips: list[str] = []
    heads: dict[str, str] = {}
    mids: dict[str, list[str]] = {}
    for i in range(n):
        while True:
            year = rng.randint(1966, 1995)
            nip = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{year + 25}{rng.randint(1, 12):02d}" \
                  f"{rng.choice('12')}{rng.randint(1, 999):03d}"
            if nip not in used:
                used.add(nip)
                break
        unit = units[i % n_units]
        if unit not in heads:
            pos, sup = "Kepala", None
            heads[unit] = nip
        elif len(mids.setdefault(unit, [])) < 4:
            pos, sup = "Kepala Bidang", heads[unit]
            mids[unit].append(nip)
        else:
            pos, sup = "Pelaksana", mids[unit][i % len(mids[unit])]
        row = [nip, f"Pegawai {i:06d}", "PNS", rng.choice(["II/c", "III/a", "III/b", "III/c"]), unit, pos, sup,
               None, "Ya"]
        ws = sheets["Pegawai"]
        ws.write_string(i + 1, 0, nip, text)
        ws.write_row(i + 1, 1, row[1:6])
        if sup:
            ws.write_string(i + 1, 6, sup, text)
        ws.write_string(i + 1, 8, "Ya")
        nips.append(nip)
    wb.close()


def setup(url: str) -> None:
    from kinerja_admin.dbtools import fresh_database

    app = _app(url)
    with app.app_context():
        fresh_database()


def worker(mode: str, url: str, path: str) -> dict:
    from kinerja_admin.excel.importer import ImportReport, import_workbook, read_workbook
    from kinerja_admin.extensions import db

    app = _app(url)
    with app.app_context():
        t = time.perf_counter()
        if mode == "read":
            rep = ImportReport()
            data = read_workbook(path, rep)
            out = {"rows": {k: len(v) for k, v in data.items()}, "errors": len(rep.errors)}
        else:
            rep = import_workbook(path, session=db.session, dry_run=(mode == "dry_run"))
            if rep.ok and mode != "dry_run":
                db.session.commit()
            else:
                db.session.rollback()
            out = {"counts": rep.counts, "errors": len(rep.errors), "first_errors": [str(e) for e in rep.errors[:3]]}
        out.update(seconds=time.perf_counter() - t, peak_mb=_peak_mb())
        return out


def explain_nip_lookup(url: str, path: str) -> list[str]:
    """The PostgreSQL plan of the importer's lookup of 500 NIPs of the file."""
    import openpyxl
    from sqlalchemy.dialects import postgresql

    from kinerja_admin.excel.validator import employees_by_nip  # noqa: F401  (the code under test)
    from kinerja_admin.extensions import db
    from models import Employee

    wb = openpyxl.load_workbook(path, read_only=True)
    nips = [r[0] for r in wb["Pegawai"].iter_rows(min_row=2, max_row=501, values_only=True)]
    app = _app(url)
    with app.app_context():
        from sqlalchemy import String, bindparam, func, select

        wanted = func.unnest(bindparam("wanted_nips", nips, type_=postgresql.ARRAY(String))) \
            .table_valued("nip").render_derived(name="wanted")
        q = select(Employee.id, Employee.nip).join(wanted, Employee.nip == wanted.c.nip)
        conn = db.session.connection()
        sql = str(q.compile(dialect=conn.dialect))
        rows = [r[0] for r in conn.exec_driver_sql("EXPLAIN ANALYZE " + sql, {"wanted_nips": nips})]
        naive = db.session.execute(db.text("EXPLAIN ANALYZE SELECT id FROM employee WHERE nip IN :n")
                                   .bindparams(bindparam("n", expanding=True)), {"n": nips}).scalars().all()
    return rows + ["-- the naive IN list, for comparison:"] + naive


def bombs(tmp: str) -> dict:
    """Build each bomb, then time its refusal by read_workbook in this process."""
    import io
    import struct
    import zipfile

    from kinerja_admin.excel import reader
    from kinerja_admin.excel.report import ImportReport, WorkbookError

    base = os.path.join(tmp, "base.xlsx")
    make_workbook(base, 50)
    raw = Path(base).read_bytes()

    def rebuild(replace=None, add=()):
        src = zipfile.ZipFile(io.BytesIO(raw))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item.filename, (replace or {}).get(item.filename) or src.read(item.filename))
            for name, body in add:
                dst.writestr(name, body)
        return out.getvalue()

    sst = "".join(f"<si><t>teks {i}</t></si>" for i in range(3_000_000))
    sheet = [n for n in zipfile.ZipFile(io.BytesIO(raw)).namelist() if n.startswith("xl/worksheets/")][0]
    def col(n):
        out = ""
        while n:
            n, r = divmod(n - 1, 26)
            out = chr(65 + r) + out
        return out

    wide = "".join(f'<c r="{col(i)}1" t="inlineStr"><is><t>k</t></is></c>' for i in range(1, 10_001))
    declared = bytearray(rebuild(add=[("xl/media/x.bin", b"\0" * 1000)]))
    for sig, off, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        pos = 0
        while (pos := declared.find(sig, pos)) >= 0:
            if declared[pos + name_at:pos + name_at + 14] == b"xl/media/x.bin":
                declared[pos + off:pos + off + 4] = struct.pack("<I", 4_000_000_000)
            pos += 4
    cases = {
        "shared_strings": rebuild(replace={"xl/sharedStrings.xml": f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sst}</sst>'})
        if "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(raw)).namelist()
        else rebuild(add=[("xl/sharedStrings.xml", f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sst}</sst>')]),
        "declared_4gb_member": bytes(declared),
        "ratio": rebuild(add=[("xl/media/zeros.bin", b"\0" * (50 * reader.MB))]),
        "columns_10000": rebuild(replace={sheet: f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{wide}</row></sheetData></worksheet>'}),
    }
    out = {}
    for name, data in cases.items():
        t = time.perf_counter()
        try:
            reader.read_workbook(data, ImportReport())
            refused = False
        except WorkbookError:
            refused = True
        out[name] = {"file_mb": round(len(data) / 1e6, 2), "refused": refused,
                     "seconds": round(time.perf_counter() - t, 4)}
        print(f"  bom {name:20s} {len(data) / 1e6:6.2f} MB  ditolak={refused}  {out[name]['seconds']:.4f} s", flush=True)
    out["peak_mb"] = round(_peak_mb(), 1)
    return out


def run_modes(url: str, path: str, label: str) -> dict:
    setup(url)
    figures: dict = {}
    for mode in ("read", "dry_run", "import", "reimport"):
        cmd = [sys.executable, __file__, "--worker", mode, "--database-url", url, "--file", path]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
        if res.returncode != 0:
            raise SystemExit(f"worker {mode} failed:\n{res.stderr[-3000:]}")
        r = json.loads(res.stdout.strip().splitlines()[-1])
        if r.get("errors"):
            raise SystemExit(f"{mode}: unexpected errors {r.get('first_errors')}")
        figures[mode] = {"seconds": round(r["seconds"], 2), "peak_mb": round(r["peak_mb"], 1)}
        if "counts" in r:
            figures[mode]["pegawai"] = r["counts"]["Pegawai"]
        print(f"  [{label}] {mode:9s} {r['seconds']:7.2f} s  peak RSS {r['peak_mb']:7.1f} MB  "
              f"{r.get('counts', r.get('rows'))}", flush=True)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--baseline-sqlite", action="store_true")
    ap.add_argument("--bombs", action="store_true")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--file", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.database_url, a.file), default=str))
        return
    tmp = tempfile.mkdtemp(prefix="bench-import-")
    url = a.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    path = os.path.join(tmp, "pegawai.xlsx")
    t = time.perf_counter()
    make_workbook(path, a.employees)
    print(f"Berkas {a.employees} pegawai dibuat dalam {time.perf_counter() - t:.2f} s "
          f"({os.path.getsize(path) / 1e6:.2f} MB)", flush=True)
    figures: dict = {"employees": a.employees, "database": url.split(":")[0],
                     "file_mb": round(os.path.getsize(path) / 1e6, 2)}
    figures.update(run_modes(url, path, figures["database"]))
    figures["rows_per_second_import"] = round(a.employees / max(figures["import"]["seconds"], 1e-9))
    if url.startswith("postgresql"):
        plan = explain_nip_lookup(url, path)
        print("  rencana pencarian 500 NIP (PostgreSQL):")
        for line in plan:
            print("    " + line)
        figures["nip_lookup_uses_trigram"] = any("trgm" in line for line in plan[:plan.index(
            "-- the naive IN list, for comparison:")])
    if a.baseline_sqlite and not url.startswith("sqlite"):
        base = run_modes(f"sqlite:///{Path(tmp) / 'baseline.db'}", path, "sqlite")
        figures["sqlite"] = base
        figures["ratio_vs_sqlite"] = {m: round(figures[m]["seconds"] / max(base[m]["seconds"], 1e-9), 2)
                                      for m in ("dry_run", "import", "reimport")}
        print(f"  rasio terhadap SQLite: {figures['ratio_vs_sqlite']}")
    if a.bombs:
        figures["bombs"] = bombs(tmp)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
