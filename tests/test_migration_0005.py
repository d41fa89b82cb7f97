"""Migration 0005 carries existing data across (a scratch SQLite database migrated step by step): schemes
get the regulation defaults for the new settings, their rule rows survive the table rebuilds of batch
mode (migrations/env.py switches SQLite's foreign keys off while migrating, so rebuilding a parent table
does not cascade-delete its children), and the downgrade returns to the previous schema with the data."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import SERVER_URL, scratch_sqlite_app


@pytest.mark.skipif(bool(SERVER_URL), reason="runs on a scratch SQLite file; the server pass migrates its own schema")
def test_0005_upgrade_and_downgrade_keep_the_data(tmp_path):
    from flask_migrate import downgrade, upgrade

    app, url = scratch_sqlite_app(tmp_path)
    with app.app_context():
        upgrade(revision="0002_pg_trigram_search")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO scoring_scheme (id, code, name, kind, version, is_preset, locked, scale_min, "
                              "scale_max, created_at, updated_at) VALUES (1, 'LAMA', 'Skema lama', 'numeric', 3, 0, 0, "
                              "0, 100, '2025-01-01', '2025-01-01')"))
            conn.execute(text("INSERT INTO component_weight (id, scheme_id, component, weight) VALUES (1, 1, 'skp', 60)"))
        upgrade()
        with engine.connect() as conn:
            row = conn.execute(text("SELECT code, version, rounding_mode, missing_realisation, missing_superior, "
                                    "rounding_source FROM scoring_scheme")).one()
            assert tuple(row) == ("LAMA", 3, "half_up", "zero", "block", None)
            assert conn.execute(text("SELECT weight, source FROM component_weight")).one() == (60, None)
        assert {"note", "innovation", "public_responses"} <= {c["name"] for c in inspect(engine).get_columns(
            "score_result")}
        downgrade(revision="0002_pg_trigram_search")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code, version FROM scoring_scheme")).one() == ("LAMA", 3)
            assert conn.execute(text("SELECT weight FROM component_weight")).one() == (60,)
        assert "rounding_mode" not in {c["name"] for c in inspect(engine).get_columns("scoring_scheme")}
        assert "source" not in {c["name"] for c in inspect(engine).get_columns("component_weight")}
        engine.dispose()
