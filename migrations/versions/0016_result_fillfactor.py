"""Room on the page for results recomputed in place (PostgreSQL; issue 19).

A rerun of the scoring engine now updates a period's 'computed' results in place (MERGE, see
kinerja_admin.scoring.engine.write_results) instead of deleting and inserting them. An update that
changes no indexed column and finds room on its page is a heap-only tuple: no index entry, no
foreign-key check. So every partition of ``score_result`` is given ``fillfactor = 50`` (a rerun
writes a new version of every row of a page while the old ones are still visible to others):

- the existing partitions (``score_result__p<period id>`` and ``score_result__default``) are altered;
  rows already stored keep their place, and the first rerun of an older period moves them to pages
  with room (one rerun at the old cost);
- the period trigger of 0012 (as 0015 left it) now creates a new period's ``score_result`` partition
  with that fillfactor. (PostgreSQL takes no storage parameter on the partitioned table itself.)

SQLite and MariaDB: nothing to do. The downgrade resets the fillfactor and puts 0015's trigger
function back.

Revision ID: 0016_result_fillfactor
Revises: 0015_partition_realisations
"""
from alembic import op

revision = "0016_result_fillfactor"
down_revision = "0015_partition_realisations"
branch_labels = None
depends_on = None

TABLES = ["rater_assignment", "behaviour_rating", "score_result", "realisation"]
FILLFACTOR = 50


def partition_function(result_options: str) -> str:
    """The trigger function creating a new period's partitions of TABLES; `result_options` is added to
    the CREATE TABLE of score_result's partition (a frozen copy: a migration never imports another's)."""
    names = ", ".join(f"'{t}'" for t in TABLES)
    return f"""
CREATE OR REPLACE FUNCTION kinerja_period_partitions() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[{names}] LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%s)', t || '__p' || NEW.id, t, NEW.id)
      || CASE WHEN t = 'score_result' THEN '{result_options}' ELSE '' END;
  END LOOP;
  RETURN NULL;
END $$"""


def _result_partitions(action: str):
    op.execute(f"""
DO $$ DECLARE p regclass;
BEGIN
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'score_result'::regclass LOOP
    EXECUTE format('ALTER TABLE %s {action}', p);
  END LOOP;
END $$""")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _result_partitions(f"SET (fillfactor = {FILLFACTOR})")
    op.execute(partition_function(f" WITH (fillfactor = {FILLFACTOR})"))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _result_partitions("RESET (fillfactor)")
    op.execute(partition_function(""))
