"""Results partitioned by period on PostgreSQL (issue 19), like the ratings in 0012: score_result becomes
LIST-partitioned by period_id (``score_result__p<period id>`` plus ``score_result__default``), so that
scoring a period deletes and inserts only in that period's partition; the period trigger of 0012
creates the new period's result partition too. SQLite and MariaDB stay unpartitioned.

On every database, details and objections refer to their result by (result_id, period_id), because a
key of a partitioned table must hold the period:
- ``score_result``: unique (id, period_id), the key they reference;
- ``score_detail.period_id`` and ``objection.period_id``: copied from each row's result, then NOT NULL;
  their foreign keys to ``score_result`` become (result_id, period_id) -> (id, period_id) under the
  same names (the detail's still cascades on delete);
- ``score_detail``'s unique (result_id, role, aspect_id) becomes (result_id, period_id, role,
  aspect_id): the same rows (a result has one period), and its index serves that foreign key.

On PostgreSQL score_result is rebuilt (``CREATE TABLE ... (LIKE ...) PARTITION BY LIST``): rows and ids
are copied, the primary key becomes (id, period_id), every index and constraint is recreated under its
name. The downgrade rebuilds it unpartitioned.

Revision ID: 0013_partition_results
Revises: 0012_partition_ratings
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_partition_results"
down_revision = "0012_partition_ratings"
branch_labels = None
depends_on = None

KEYS = [  # score_result's own (name, definition), as the models name them
    ("uq_score_result_period_id_employee_id", "UNIQUE (period_id, employee_id)"),
    ("uq_score_result_id_period_id", "UNIQUE (id, period_id)"),
    ("fk_score_result_approved_by_id_user_account", "FOREIGN KEY (approved_by_id) REFERENCES user_account (id)"),
    ("fk_score_result_employee_id_employee", "FOREIGN KEY (employee_id) REFERENCES employee (id)"),
    ("fk_score_result_period_id_period", "FOREIGN KEY (period_id) REFERENCES period (id)"),
    ("fk_score_result_scheme_id_scoring_scheme", "FOREIGN KEY (scheme_id) REFERENCES scoring_scheme (id)"),
    ("fk_score_result_unit_id_unit", "FOREIGN KEY (unit_id) REFERENCES unit (id)"),
    ("fk_score_result_work_plan_id_work_plan", "FOREIGN KEY (work_plan_id) REFERENCES work_plan (id)"),
]
INDEXES = ["employee_id", "predicate", "status", "unit_id", "work_plan_id"]
REFERENCING = {  # table -> ON DELETE of its key to the result
    "score_detail": " ON DELETE CASCADE",
    "objection": "",
}


def partition_function(tables) -> str:
    """The trigger function of 0012, creating a new period's partitions of `tables`."""
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


def _referencing_keys(composite: bool):
    """Point details and objections at the result by (result_id, period_id), or back at its id."""
    for table, on_delete in REFERENCING.items():
        name = f"fk_{table}_result_id_score_result"
        if composite:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.add_column(sa.Column("period_id", sa.Integer(), nullable=True))
            op.execute(f"UPDATE {table} SET period_id = (SELECT r.period_id FROM score_result r "
                       f"WHERE r.id = {table}.result_id)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(name), type_="foreignkey")
            if table == "score_detail":
                old, new = ["result_id", "role", "aspect_id"], ["result_id", "period_id", "role", "aspect_id"]
                if not composite:
                    old, new = new, old
                batch_op.drop_constraint(batch_op.f("uq_score_detail_" + "_".join(old)), type_="unique")
                batch_op.create_unique_constraint(batch_op.f("uq_score_detail_" + "_".join(new)), new)
            if composite:
                batch_op.alter_column("period_id", existing_type=sa.Integer(), nullable=False)
                batch_op.create_foreign_key(batch_op.f(name), "score_result", ["result_id", "period_id"],
                                            ["id", "period_id"], ondelete="CASCADE" if on_delete else None)
            else:
                batch_op.drop_column("period_id")
                batch_op.create_foreign_key(batch_op.f(name), "score_result", ["result_id"], ["id"],
                                            ondelete="CASCADE" if on_delete else None)


def _rebuild(partitioned: bool):
    """Rebuild score_result (PostgreSQL), partitioned by period or not, keeping rows, ids and names."""
    for table in REFERENCING:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_result_id_score_result")
    op.execute("ALTER TABLE score_result RENAME TO score_result__old")
    op.execute("ALTER TABLE score_result__old DROP CONSTRAINT pk_score_result")
    for name, definition in KEYS:
        if definition.startswith("UNIQUE"):
            op.execute(f"ALTER TABLE score_result__old DROP CONSTRAINT {name}")
    for column in INDEXES:
        op.execute(f"DROP INDEX ix_score_result_{column}")
    op.execute("CREATE TABLE score_result (LIKE score_result__old INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
               + (" PARTITION BY LIST (period_id)" if partitioned else ""))
    if partitioned:
        op.execute("CREATE TABLE score_result__default PARTITION OF score_result DEFAULT")
        for (period_id,) in op.get_bind().execute(sa.text("SELECT id FROM period ORDER BY id")):
            op.execute(f"CREATE TABLE score_result__p{period_id} PARTITION OF score_result FOR VALUES IN ({period_id})")
    op.execute("INSERT INTO score_result SELECT * FROM score_result__old")
    op.execute("ALTER SEQUENCE score_result_id_seq OWNED BY score_result.id")
    op.execute("DROP TABLE score_result__old")
    op.execute("ALTER TABLE score_result ADD CONSTRAINT pk_score_result PRIMARY KEY "
               + ("(id, period_id)" if partitioned else "(id)"))
    for column in INDEXES:
        op.execute(f"CREATE INDEX ix_score_result_{column} ON score_result ({column})")
    for name, definition in KEYS:
        op.execute(f"ALTER TABLE score_result ADD CONSTRAINT {name} {definition}")
    for table, on_delete in REFERENCING.items():
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_result_id_score_result FOREIGN KEY "
                   f"(result_id, period_id) REFERENCES score_result (id, period_id){on_delete}")
    tables = ["rater_assignment", "behaviour_rating"] + (["score_result"] if partitioned else [])
    op.execute(partition_function(tables))


def upgrade():
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_score_result_id_period_id"), ["id", "period_id"])
    _referencing_keys(composite=True)
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=False)
    _referencing_keys(composite=False)
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_score_result_id_period_id"), type_="unique")
