"""Online backup of the SQLite database (safe while the app is running, WAL included).

    python scripts/backup_sqlite.py instance/kinerja.db backups/kinerja-$(date +%F).db

Uses SQLite's backup API, then checks the copy with PRAGMA integrity_check.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path


def backup(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst, pages=1024)
    ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
    src.close()
    dst.close()
    if ok != "ok":
        raise SystemExit(f"backup failed integrity check: {ok}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("target", type=Path)
    args = ap.parse_args(argv)
    if not args.source.exists():
        print(f"no such database: {args.source}", file=sys.stderr)
        return 1
    backup(args.source, args.target)
    print(f"backup written to {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
