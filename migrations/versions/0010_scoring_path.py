"""The scoring engine's data path (issue 19): covering indexes so that a period's submitted ratings are
read once, in (ratee, role) order, from the indexes alone.

- ``ix_rater_assignment_scoring`` (period_id, status, ratee_id, role, id): a period's submitted
  assignments in ratee and role order, with the id to reach the ratings;
- ``ix_behaviour_rating_scoring`` (assignment_id, aspect_id, value): an assignment's ratings without
  reading the table.

Indexes only: no data changes, existing rows are indexed as they are.

Revision ID: 0010_scoring_path
Revises: 0009_through_the_year
"""
from alembic import op

revision = "0010_scoring_path"
down_revision = "0009_through_the_year"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rater_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_rater_assignment_scoring", ["period_id", "status", "ratee_id", "role", "id"],
                              unique=False)
    with op.batch_alter_table("behaviour_rating", schema=None) as batch_op:
        batch_op.create_index("ix_behaviour_rating_scoring", ["assignment_id", "aspect_id", "value"], unique=False)


def downgrade():
    with op.batch_alter_table("behaviour_rating", schema=None) as batch_op:
        batch_op.drop_index("ix_behaviour_rating_scoring")
    with op.batch_alter_table("rater_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_rater_assignment_scoring")
