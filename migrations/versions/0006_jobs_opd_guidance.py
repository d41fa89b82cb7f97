"""Background jobs (progress, result, error, scope) and the editable guidance pages (Panduan)

The OPD of a row is not stored: it is the top-level ancestor of the row's unit, read from the unit
tree when a list is filtered or grouped (kinerja_admin.opd), so moving a unit needs no data fix.

Revision ID: 0006_jobs_opd_guidance
Revises: 0005_scoring_edges
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_jobs_opd_guidance"
down_revision = "0005_scoring_edges"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope_role", sa.String(length=20), nullable=False),
        sa.Column("scope_employee_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('score', 'export', 'import')", name=op.f("ck_job_kind")),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_job_status")),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"], name=op.f("fk_job_period_id_period")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_job_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_period_id"), ["period_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_status"), ["status"], unique=False)
        batch_op.create_index("ix_job_user_id_id", ["user_id", "id"], unique=False)

    op.create_table(
        "guide_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint("audience IN ('umum', 'pegawai', 'penilai', 'operator', 'inspektur', 'masyarakat', "
                           "'bantuan')", name=op.f("ck_guide_page_audience")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_guide_page_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_page")),
        sa.UniqueConstraint("slug", name=op.f("uq_guide_page_slug")),
    )


def downgrade():
    op.drop_table("guide_page")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_user_id_id")
        batch_op.drop_index(batch_op.f("ix_job_status"))
        batch_op.drop_index(batch_op.f("ix_job_period_id"))
    op.drop_table("job")
