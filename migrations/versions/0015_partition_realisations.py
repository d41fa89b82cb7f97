"""Realisations partitioned by period on PostgreSQL (issue 19), like the ratings (0012) and the results
(0013): a period's scoring and its closing read and write only that period's realisations.

On every database, the rows of an SKP's content carry their work plan's period, held equal to their
parent's by a composite foreign key that cascades updates and deletes (so the period a row says is
always its plan's):
- ``target.period_id``: the plan's; (work_plan_id, period_id) -> work_plan (id, period_id);
- ``indicator.period_id``: the target's; (target_id, period_id) -> target (id, period_id);
- ``realisation.period_id``: the indicator's; (indicator_id, period_id) -> indicator (id, period_id);
- ``evidence_file.period_id``: the realisation's; (realisation_id, period_id) -> realisation (id,
  period_id), the key of a partitioned realisation;
- each parent gets the unique (id, period_id) its children reference; each child's index on its
  parent column becomes (column, period_id); the foreign keys keep their names.

On PostgreSQL realisation is then rebuilt LIST-partitioned by period_id (``realisation__p<period id>``
plus ``realisation__default``; the primary key becomes (id, period_id)), rows and ids copied, and the
period trigger of 0012 creates a new period's realisation partition too. The downgrade reverses it all.

Revision ID: 0015_partition_realisations
Revises: 0014_result_plan_key
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_partition_realisations"
down_revision = "0014_result_plan_key"
branch_labels = None
depends_on = None

CHAIN = [  # (table, parent, column naming the parent), parents first
    ("target", "work_plan", "work_plan_id"),
    ("indicator", "target", "target_id"),
    ("realisation", "indicator", "indicator_id"),
    ("evidence_file", "realisation", "realisation_id"),
]
# realisation's own constraints and indexes besides its primary key, as the models name them (0015)
KEYS = [
    ("uq_realisation_id_period_id", "UNIQUE (id, period_id)"),
    ("fk_realisation_indicator_id_indicator", "FOREIGN KEY (indicator_id, period_id) REFERENCES indicator "
                                              "(id, period_id) ON UPDATE CASCADE ON DELETE CASCADE"),
    ("fk_realisation_recorded_by_id_user_account", "FOREIGN KEY (recorded_by_id) REFERENCES user_account (id)"),
]
INDEXES = {"ix_realisation_indicator_id_period_id": "(indicator_id, period_id)"}
EVIDENCE_FK = ("fk_evidence_file_realisation_id_realisation", "FOREIGN KEY (realisation_id, period_id) REFERENCES "
               "realisation (id, period_id) ON UPDATE CASCADE ON DELETE CASCADE")


def partition_function(tables) -> str:
    """The trigger function of 0012 (as 0013 left it), creating a new period's partitions of `tables`."""
    names = ", ".join(f"'{t}'" for t in tables)
    return f"""
CREATE OR REPLACE FUNCTION kinerja_period_partitions() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[{names}] LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%s)', t || '__p' || NEW.id, t, NEW.id);
  END LOOP;
  RETURN NULL;
END $$"""


def _rebuild(partitioned: bool):
    """Rebuild realisation (PostgreSQL), partitioned by period or not, keeping rows, ids and names."""
    name, definition = EVIDENCE_FK
    op.execute(f"ALTER TABLE evidence_file DROP CONSTRAINT {name}")
    op.execute("ALTER TABLE realisation RENAME TO realisation__old")
    op.execute("ALTER TABLE realisation__old DROP CONSTRAINT pk_realisation")
    op.execute("ALTER TABLE realisation__old DROP CONSTRAINT uq_realisation_id_period_id")
    for index in INDEXES:
        op.execute(f"DROP INDEX {index}")
    op.execute("CREATE TABLE realisation (LIKE realisation__old INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
               + (" PARTITION BY LIST (period_id)" if partitioned else ""))
    if partitioned:
        op.execute("CREATE TABLE realisation__default PARTITION OF realisation DEFAULT")
        for (period_id,) in op.get_bind().execute(sa.text("SELECT id FROM period ORDER BY id")):
            op.execute(f"CREATE TABLE realisation__p{period_id} PARTITION OF realisation FOR VALUES IN ({period_id})")
    op.execute("INSERT INTO realisation SELECT * FROM realisation__old")
    op.execute("ALTER SEQUENCE realisation_id_seq OWNED BY realisation.id")
    op.execute("DROP TABLE realisation__old")
    op.execute("ALTER TABLE realisation ADD CONSTRAINT pk_realisation PRIMARY KEY "
               + ("(id, period_id)" if partitioned else "(id)"))
    for index, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {index} ON realisation {columns}")
    for key, key_definition in KEYS:
        op.execute(f"ALTER TABLE realisation ADD CONSTRAINT {key} {key_definition}")
    op.execute(f"ALTER TABLE evidence_file ADD CONSTRAINT {name} {definition}")
    tables = ["rater_assignment", "behaviour_rating", "score_result"] + (["realisation"] if partitioned else [])
    op.execute(partition_function(tables))


def upgrade():
    for table, parent, column in CHAIN:
        with op.batch_alter_table(parent, schema=None) as batch_op:
            batch_op.create_unique_constraint(batch_op.f(f"uq_{parent}_id_period_id"), ["id", "period_id"])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("period_id", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET period_id = (SELECT p.period_id FROM {parent} p WHERE p.id = {table}.{column})")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("period_id", existing_type=sa.Integer(), nullable=False)
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_{parent}"), type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_{column}")
            batch_op.create_index(f"ix_{table}_{column}_period_id", [column, "period_id"], unique=False)
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_{column}_{parent}"), parent, [column, "period_id"],
                                        ["id", "period_id"], onupdate="CASCADE", ondelete="CASCADE")
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=False)
    for table, parent, column in reversed(CHAIN):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_{parent}"), type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_{column}_period_id")
            batch_op.drop_column("period_id")
            batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_{column}_{parent}"), parent, [column], ["id"],
                                        ondelete="CASCADE")
        with op.batch_alter_table(parent, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{parent}_id_period_id"), type_="unique")
