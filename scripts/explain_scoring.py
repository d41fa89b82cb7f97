"""Print the plan of the statement in which the scoring engine computes and writes one period's results
(where the time goes): MERGE on PostgreSQL 15+, INSERT ... ON CONFLICT on SQLite, INSERT ... SELECT on
MariaDB (kinerja_admin.scoring.engine.write_statements).

    python scripts/explain_scoring.py --database-url URL [--period BENCH] [--analyze] [--sql]

PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) with --analyze (the statement runs, inside the engine's
transaction settings, after the statements the engine runs before it; all rolled back), else EXPLAIN.
SQLite: EXPLAIN QUERY PLAN. MariaDB: EXPLAIN.
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

    from sqlalchemy import func, select, text, true

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
        dialect = db.engine.dialect
        # the statement the engine runs (MERGE on PostgreSQL 15+, INSERT ... ON CONFLICT on SQLite,
        # INSERT ... SELECT on MariaDB after deleting the period's recomputable results)
        now = utcnow()
        before, stmt, _after = eng.write_statements(dialect, eng._result_select(db.session, rules, period.id, ex, now),
                                                    period.id, now)
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":  # inlined, the run's time is text to PostgreSQL inside MERGE's source
            sql = sql.replace(f"'{now}'", f"TIMESTAMP '{now}'")
        # SQLite renders the fences' LIMIT as a parameter even with literal values
        sql = sql.replace("LIMIT ? OFFSET 0", "LIMIT -1 OFFSET 0")
        if args.sql:
            print(sql)
            return
        for prior in before:  # as score_period (rolled back below)
            db.session.execute(prior)
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
