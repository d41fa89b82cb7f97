"""Ratings partitioned by period on PostgreSQL (issue 19): rater_assignment and behaviour_rating become
LIST-partitioned by period_id, one partition per period (``<table>__p<period id>``) plus a default
partition, so that scoring, exporting or archiving one period reads and writes only that period's
ratings, and an old year can be detached as a whole. A trigger on ``period`` creates a new period's
partitions when the period is inserted, by any path. SQLite and MariaDB stay unpartitioned.

On every database:
- ``behaviour_rating`` loses its single-column foreign key to ``rater_assignment.id``: the composite
  key of 0011 (period, status, ratee, role, assignment) already ties each rating to its assignment,
  and a partitioned table has no unique key on id alone for it to reference;
- its unique (assignment_id, aspect_id) becomes (period_id, assignment_id, aspect_id): the same rows
  (an assignment has one period), and a unique key of a partitioned table must hold the period.

On PostgreSQL each table is rebuilt: the rows are copied into the partitioned table with their ids (the
id sequences carry on), the primary key becomes (id, period_id), and every index and constraint is
recreated under its name. The downgrade rebuilds them unpartitioned.

Revision ID: 0012_partition_ratings
Revises: 0011_rating_key
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_partition_ratings"
down_revision = "0011_rating_key"
branch_labels = None
depends_on = None

STAMPS = ("created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL, "
          "updated_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL")
COLUMNS = {
    "rater_assignment": (
        "id integer NOT NULL DEFAULT nextval('rater_assignment_id_seq'::regclass), period_id integer NOT NULL, "
        "ratee_id integer NOT NULL, rater_id integer, role character varying(12) NOT NULL, "
        "status character varying(10) NOT NULL, submitted_at timestamp without time zone, " + STAMPS + ", "
        "CONSTRAINT ck_rater_assignment_role CHECK (role IN ('atasan', 'rekan', 'bawahan', 'diri', 'masyarakat')), "
        "CONSTRAINT ck_rater_assignment_status CHECK (status IN ('pending', 'submitted'))"),
    "behaviour_rating": (
        "id integer NOT NULL DEFAULT nextval('behaviour_rating_id_seq'::regclass), assignment_id integer NOT NULL, "
        "aspect_id integer NOT NULL, value numeric(7,4) NOT NULL, comment text, " + STAMPS + ", "
        "period_id integer NOT NULL, assignment_status character varying(10) NOT NULL, ratee_id integer NOT NULL, "
        "role character varying(12) NOT NULL"),
}
# (name, definition) of every constraint and index, as the models name them
KEYS = {
    "rater_assignment": [
        ("uq_rater_assignment_period_id_ratee_id_rater_id_role", "UNIQUE (period_id, ratee_id, rater_id, role)"),
        ("uq_rater_assignment_period_id_status_ratee_id_role_id", "UNIQUE (period_id, status, ratee_id, role, id)"),
        ("fk_rater_assignment_period_id_period", "FOREIGN KEY (period_id) REFERENCES period (id)"),
        ("fk_rater_assignment_ratee_id_employee", "FOREIGN KEY (ratee_id) REFERENCES employee (id)"),
        ("fk_rater_assignment_rater_id_employee", "FOREIGN KEY (rater_id) REFERENCES employee (id)"),
    ],
    "behaviour_rating": [
        ("uq_behaviour_rating_period_id_assignment_id_aspect_id", "UNIQUE (period_id, assignment_id, aspect_id)"),
        ("fk_behaviour_rating_aspect_id_behaviour_aspect", "FOREIGN KEY (aspect_id) REFERENCES behaviour_aspect (id)"),
        ("fk_behaviour_rating_period_id_rater_assignment",
         "FOREIGN KEY (period_id, assignment_status, ratee_id, role, assignment_id) REFERENCES rater_assignment "
         "(period_id, status, ratee_id, role, id) ON UPDATE CASCADE ON DELETE CASCADE"),
    ],
}
INDEXES = {
    "rater_assignment": [("ix_rater_assignment_period_id", "period_id"), ("ix_rater_assignment_ratee_id", "ratee_id"),
                         ("ix_rater_assignment_rater_id", "rater_id")],
    "behaviour_rating": [("ix_behaviour_rating_aspect_id", "aspect_id"),
                         ("ix_behaviour_rating_assignment_id", "assignment_id"),
                         ("ix_behaviour_rating_scoring",
                          "period_id, assignment_status, ratee_id, role, assignment_id, aspect_id, value")],
}
TABLES = ("rater_assignment", "behaviour_rating")  # parents first

# Creates a new period's partitions (any insert path: the ORM, Core inserts, psql), with the rights of
# the function's owner (the role that migrates), so that a role that only writes rows may add periods.
# CREATE TABLE ... PARTITION OF locks the parent tables until the period's transaction ends; periods
# are created a few times a year.
PARTITION_FUNCTION = """
CREATE OR REPLACE FUNCTION kinerja_period_partitions() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['rater_assignment', 'behaviour_rating'] LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES IN (%s)', t || '__p' || NEW.id, t, NEW.id);
  END LOOP;
  RETURN NULL;
END $$"""


def _common(old_unique, new_unique, fk: bool):
    with op.batch_alter_table("behaviour_rating", schema=None) as batch_op:
        if fk:
            batch_op.create_foreign_key(batch_op.f("fk_behaviour_rating_assignment_id_rater_assignment"),
                                        "rater_assignment", ["assignment_id"], ["id"], ondelete="CASCADE")
        else:
            batch_op.drop_constraint(batch_op.f("fk_behaviour_rating_assignment_id_rater_assignment"),
                                     type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_behaviour_rating_" + "_".join(old_unique)), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_behaviour_rating_" + "_".join(new_unique)), new_unique)


def _rebuild(partitioned: bool):
    """Rebuild both tables (PostgreSQL), partitioned by period or not, keeping rows, ids and names."""
    op.execute("ALTER TABLE behaviour_rating DROP CONSTRAINT fk_behaviour_rating_period_id_rater_assignment")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RENAME TO {table}__old")
        for name, _ in KEYS[table]:
            if name != "fk_behaviour_rating_period_id_rater_assignment":
                op.execute(f"ALTER TABLE {table}__old DROP CONSTRAINT {name}")
        op.execute(f"ALTER TABLE {table}__old DROP CONSTRAINT pk_{table}")
        for name, _ in INDEXES[table]:
            op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE TABLE {table} ({COLUMNS[table]})" + (" PARTITION BY LIST (period_id)" if partitioned else ""))
        if partitioned:
            op.execute(f"CREATE TABLE {table}__default PARTITION OF {table} DEFAULT")
            for (period_id,) in op.get_bind().execute(sa.text("SELECT id FROM period ORDER BY id")):
                op.execute(f"CREATE TABLE {table}__p{period_id} PARTITION OF {table} FOR VALUES IN ({period_id})")
        columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns(f"{table}__old")]
        op.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {table}__old")
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
        op.execute(f"DROP TABLE {table}__old")
        key = "id, period_id" if partitioned else "id"
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
        for name, definition in INDEXES[table]:
            op.execute(f"CREATE INDEX {name} ON {table} ({definition})")
        for name, definition in KEYS[table]:
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    if partitioned:
        op.execute(PARTITION_FUNCTION)
        op.execute("CREATE TRIGGER period_partitions AFTER INSERT ON period FOR EACH ROW "
                   "EXECUTE FUNCTION kinerja_period_partitions()")
    else:
        op.execute("DROP TRIGGER IF EXISTS period_partitions ON period")
        op.execute("DROP FUNCTION IF EXISTS kinerja_period_partitions()")


def upgrade():
    _common(["assignment_id", "aspect_id"], ["period_id", "assignment_id", "aspect_id"], fk=False)
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=False)
    _common(["period_id", "assignment_id", "aspect_id"], ["assignment_id", "aspect_id"], fk=True)
