"""Record policy: optimistic locking on targets, indicators and realisations; an objection keeps the
result it changed; audit rows name the employee whose record they concern.

Existing rows: versions start at 1; objections decided before this revision keep no old values (the
audit trail still holds them); audit rows get their subject where the audited record still exists.

Revision ID: 0003_record_policy
Revises: 0002_pg_trigram_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_record_policy"
down_revision = "0002_pg_trigram_search"
branch_labels = None
depends_on = None

VERSIONED = ("target", "indicator", "realisation")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("objection") as batch:
        batch.add_column(sa.Column("old_predicate", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("old_value", sa.Numeric(precision=7, scale=4), nullable=True))
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_log_subject_id", ["subject_id"], unique=False)
    # the subject of existing audit rows, where the audited record can still be found
    dialect = op.get_bind().dialect.name
    as_int = "CAST(audit_log.entity_id AS SIGNED)" if dialect == "mysql" else "CAST(audit_log.entity_id AS INTEGER)"
    for entity, sql in (
        ("work_plan", "SELECT employee_id FROM work_plan WHERE id = {key}"),
        ("score_result", "SELECT employee_id FROM score_result WHERE id = {key}"),
        ("objection", "SELECT employee_id FROM objection WHERE id = {key}"),
        ("rater_assignment", "SELECT ratee_id FROM rater_assignment WHERE id = {key}"),
        ("target", "SELECT p.employee_id FROM target t JOIN work_plan p ON p.id = t.work_plan_id WHERE t.id = {key}"),
    ):
        op.execute(sa.text(f"UPDATE audit_log SET subject_id = ({sql.format(key=as_int)}) "
                           f"WHERE entity = '{entity}' AND subject_id IS NULL"))


def downgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_subject_id")
        batch.drop_column("subject_id")
    with op.batch_alter_table("objection") as batch:
        batch.drop_column("old_value")
        batch.drop_column("old_predicate")
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
