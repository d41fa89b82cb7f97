"""PostgreSQL only: trigram indexes for the admin's free-text search on employees

Flask-Admin searches with ILIKE '%term%', which no b-tree index serves: every search scanned the
employee table twice (count and page). pg_trgm's GIN indexes answer it directly. pg_trgm ships with
PostgreSQL; where it cannot be created (no privilege), the search stays correct, only slower.
These indexes are not in the models (kinerja_admin.dbtools.DATABASE_ONLY_INDEXES).

Revision ID: 0002_pg_trigram_search
Revises: 0001_initial
"""
import logging

from alembic import op
from sqlalchemy import text

revision = "0002_pg_trigram_search"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

INDEXES = {"ix_employee_name_trgm": "name", "ix_employee_nip_trgm": "nip"}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        logging.getLogger("alembic").warning("pg_trgm is not available: employee search stays unindexed")
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as err:  # e.g. no CREATE privilege on the database
        savepoint.rollback()
        logging.getLogger("alembic").warning("pg_trgm could not be created (%s): employee search stays unindexed",
                                             err)
        return
    savepoint.commit()
    for name, column in INDEXES.items():
        bind.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON employee USING gin ({column} gin_trgm_ops)"))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in INDEXES:
        bind.execute(text(f"DROP INDEX IF EXISTS {name}"))
