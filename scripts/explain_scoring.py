"""Print the plan of the scoring engine's INSERT ... SELECT for one period (where the time goes).

    python scripts/explain_scoring.py --database-url URL [--period BENCH] [--analyze] [--sql]

PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) with --analyze (the statement runs, inside the engine's
transaction settings, after deleting the period's 'computed' results as the engine does; all rolled back), else EXPLAIN. SQLite: EXPLAIN QUERY PLAN. MariaDB: EXPLAIN.
--sql prints the statement (literal values inlined) instead.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    ap.add_argument("--period", default="BENCH")
    ap.add_argument("--analyze", action="store_true")
    ap.add_argument("--sql", action="store_true")
    args = ap.parse_args()
    if not args.database_url:
        sys.exit("--database-url is required")
    os.environ["DATABASE_URL"] = args.database_url

    from sqlalchemy import delete, func, insert, select, text, true

    from config import Config
    from kinerja_admin import create_app
    from kinerja_admin.scoring import engine as eng
    from kinerja_admin.scoring.formulas import Exact
    from kinerja_admin.scoring.rules import load_rules
    from models import Period, ScoringScheme, db
    from models.base import utcnow

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = args.database_url

    app = create_app(Cfg)
    with app.app_context():
        period = db.session.scalar(select(Period).where(Period.code == args.period))
        if period is None:
            sys.exit(f"no period {args.period}")
        rules = load_rules(db.session.get(ScoringScheme, period.scheme_id))
        ex = Exact.for_session(db.session)
        sel = eng._result_select(db.session, rules, period.id, ex, utcnow())
        dialect = db.engine.dialect
        # the statement the engine runs: INSERT ... SELECT (on PostgreSQL no parallel workers then)
        stmt = insert(eng.sr_t).from_select(list(sel.selected_columns.keys()), sel)
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        # SQLite renders the fences' LIMIT as a parameter even with literal values
        sql = sql.replace("LIMIT ? OFFSET 0", "LIMIT -1 OFFSET 0")
        if args.sql:
            print(sql)
            return
        # as score_period: the period's recomputable results go first (rolled back below)
        db.session.execute(delete(eng.sr_t).where(eng.sr_t.c.period_id == period.id,
                                                  eng.sr_t.c.status == "computed"))
        if dialect.name == "postgresql":
            settings = getattr(eng, "PG_SETTINGS", {})
            for name, value in settings.items():
                db.session.execute(select(func.set_config(name, value, true())))
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if args.analyze else "EXPLAIN "
        elif dialect.name == "sqlite":
            prefix = "EXPLAIN QUERY PLAN "
        else:
            prefix = "EXPLAIN "
        for row in db.session.execute(text(prefix + sql)):
            print(" | ".join(str(c) for c in row))
        db.session.rollback()


if __name__ == "__main__":
    main()
