"""Database maintenance used by the tests and the benchmark scripts (never by requests)."""
from __future__ import annotations

from sqlalchemy import MetaData, text

from .extensions import db


def drop_everything() -> None:
    """Leave the database empty, also of tables from older schemas and of alembic_version."""
    engine = db.engine
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in meta.sorted_tables:
                conn.execute(text(f"DROP TABLE IF EXISTS `{table.name}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        elif engine.dialect.name == "postgresql":
            for table in meta.sorted_tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        else:
            meta.drop_all(bind=conn)


def fresh_database() -> None:
    """An empty database with the schema from the migrations and the reference data (committed)."""
    from flask_migrate import upgrade

    from .reference import seed_reference

    drop_everything()
    upgrade()
    seed_reference(db.session)
    db.session.commit()
