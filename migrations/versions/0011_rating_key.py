"""Ratings carry their assignment's key (issue 19): behaviour_rating gets the period, assignment status,
ratee and role of its rater assignment, held equal to the assignment's by a composite foreign key that
cascades updates, so that scoring reads a period's submitted ratings in (ratee, role) order from one
covering index instead of joining every rating to its assignment.

- ``rater_assignment``: the unique key (period_id, status, ratee_id, role, id) the ratings reference
  (it replaces the index ``ix_rater_assignment_scoring`` of 0010, same columns);
- ``behaviour_rating.period_id / assignment_status / ratee_id / role``: copied from each existing
  rating's assignment, then NOT NULL;
- ``fk_behaviour_rating_period_id_rater_assignment``: (period_id, assignment_status, ratee_id, role,
  assignment_id) -> rater_assignment (period_id, status, ratee_id, role, id), ON UPDATE/DELETE CASCADE;
- ``ix_behaviour_rating_scoring``: (period_id, assignment_status, ratee_id, role, assignment_id,
  aspect_id, value) instead of (assignment_id, aspect_id, value).

Revision ID: 0011_rating_key
Revises: 0010_scoring_path
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_rating_key"
down_revision = "0010_scoring_path"
branch_labels = None
depends_on = None

ASSIGNMENT_KEY = ["period_id", "status", "ratee_id", "role", "id"]
RATING_KEY = ["period_id", "assignment_status", "ratee_id", "role", "assignment_id"]
COPIED = {"period_id": ("period_id", sa.Integer()), "assignment_status": ("status", sa.String(length=10)),
          "ratee_id": ("ratee_id", sa.Integer()), "role": ("role", sa.String(length=12))}


def upgrade():
    with op.batch_alter_table("rater_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_rater_assignment_scoring")
        batch_op.create_unique_constraint(batch_op.f("uq_rater_assignment_period_id_status_ratee_id_role_id"),
                                          ASSIGNMENT_KEY)
    with op.batch_alter_table("behaviour_rating", schema=None) as batch_op:
        for name, (_, type_) in COPIED.items():
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    # copy each rating's key from its assignment (every rating has one: assignment_id is NOT NULL with
    # a foreign key); portable correlated subqueries, one statement
    sets = ", ".join(f"{name} = (SELECT ra.{col} FROM rater_assignment ra WHERE ra.id = behaviour_rating.assignment_id)"
                     for name, (col, _) in COPIED.items())
    op.execute(f"UPDATE behaviour_rating SET {sets}")
    with op.batch_alter_table("behaviour_rating", schema=None) as batch_op:
        for name, (_, type_) in COPIED.items():
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.drop_index("ix_behaviour_rating_scoring")
        batch_op.create_foreign_key(batch_op.f("fk_behaviour_rating_period_id_rater_assignment"), "rater_assignment",
                                    RATING_KEY, ASSIGNMENT_KEY, onupdate="CASCADE", ondelete="CASCADE")
        batch_op.create_index("ix_behaviour_rating_scoring", [*RATING_KEY, "aspect_id", "value"], unique=False)


def downgrade():
    with op.batch_alter_table("behaviour_rating", schema=None) as batch_op:
        batch_op.drop_index("ix_behaviour_rating_scoring")
        batch_op.drop_constraint(batch_op.f("fk_behaviour_rating_period_id_rater_assignment"), type_="foreignkey")
        for name in COPIED:
            batch_op.drop_column(name)
        batch_op.create_index("ix_behaviour_rating_scoring", ["assignment_id", "aspect_id", "value"], unique=False)
    with op.batch_alter_table("rater_assignment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_rater_assignment_period_id_status_ratee_id_role_id"), type_="unique")
        batch_op.create_index("ix_rater_assignment_scoring", ["period_id", "status", "ratee_id", "role", "id"],
                              unique=False)
