"""Database maintenance used by the tests and the benchmark scripts (never by requests)."""
from __future__ import annotations

import re

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


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load (demo city, large imports): without them a
    fresh PostgreSQL database plans list pages as if tables were tiny until autovacuum catches up."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            names = ", ".join(f"`{t}`" for t in db.metadata.tables)
            conn.execute(text(f"ANALYZE TABLE {names}"))
        else:
            conn.execute(text("ANALYZE"))


# Indexes that migrations create on one database only (not in the models); autogenerate and the
# models-vs-migrations test leave them alone.
DATABASE_ONLY_INDEXES = {"ix_employee_name_trgm", "ix_employee_nip_trgm"}


# PostgreSQL partitions of the tables partitioned by period (migrations 0012, 0013, 0015): <table>__p<period id> and
# <table>__default. The partitioned tables themselves are the models' tables.
PARTITION = re.compile(r"^[a-z_]+__(p\d+|default)$")


def is_partition(name: str) -> bool:
    return bool(PARTITION.match(name or ""))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES:
        return False
    if type_ == "table" and reflected and is_partition(name):
        return False
    # PostgreSQL keeps a foreign key referencing a partitioned table once per referenced partition too
    return not (type_ == "foreign_key_constraint" and reflected and is_partition(obj.referred_table.name))
