#!/usr/bin/env python
"""Benchmark of the Excel master-data import.

    python scripts/bench_import.py [--employees 10000] [--database-url URL]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--database-url", default=None)
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
    setup(url)
    figures: dict = {"employees": a.employees, "database": url.split(":")[0],
                     "file_mb": round(os.path.getsize(path) / 1e6, 2)}
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
        print(f"  {mode:9s} {r['seconds']:7.2f} s  peak RSS {r['peak_mb']:7.1f} MB  {r.get('counts', r.get('rows'))}",
              flush=True)
    figures["rows_per_second_import"] = round(a.employees / max(figures["import"]["seconds"], 1e-9))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
