"""Performance managed through the year: periodic evaluation windows (sub_period) with the employee's
periodic realisation and the rater's periodic judgement per RHK, feedback threads per SKP and RHK,
private coaching notes, acting superiors (Plt/Plh delegations), notifications with their preferences.

- ``period.planning_until`` / ``period.assessment_until``: the ends of the planning and assessment
  stages (deadline reminders); empty for existing periods (no reminder until an operator sets them).
- ``scoring_scheme.annual_from_periodic``: the annual realisation derives from the periodic ones; off for
  every existing scheme, so existing scoring is unchanged.
- ``realisation.derived``: marks an annual realisation written from the periodic ones; false for every
  existing row (all were recorded by people or imports).
- ``audit_log.delegation_id`` / ``acting_for``: an action taken under a delegation names both people;
  empty for existing rows (no delegation existed).
- ``job.kind`` also allows ``periodic`` (the export of periodic results for allowances).

Revision ID: 0009_through_the_year
Revises: 0008_skp_page_evidence_judgement
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_through_the_year"
down_revision = "0008_skp_page_evidence_judgement"
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
JOB_KINDS_OLD = "kind IN ('score', 'export', 'import')"
JOB_KINDS_NEW = "kind IN ('score', 'export', 'import', 'periodic')"


def _stamps():
    return [sa.Column("created_at", sa.DateTime(), server_default=NOW, nullable=False),
            sa.Column("updated_at", sa.DateTime(), server_default=NOW, nullable=False)]


def upgrade():
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planning_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("assessment_until", sa.Date(), nullable=True))
    with op.batch_alter_table("scoring_scheme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("annual_from_periodic", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table("realisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derived", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delegation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("acting_for", sa.String(length=300), nullable=True))
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_job_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_job_kind"), JOB_KINDS_NEW)

    op.create_table(
        "sub_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=12), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("end_date >= start_date AND due_date >= end_date", name=op.f("ck_sub_period_dates")),
        sa.CheckConstraint("frequency IN ('bulanan', 'triwulanan', 'semesteran')",
                           name=op.f("ck_sub_period_frequency")),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"], name=op.f("fk_sub_period_period_id_period"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_period")),
        sa.UniqueConstraint("period_id", "seq", name=op.f("uq_sub_period_period_id_seq")),
    )
    with op.batch_alter_table("sub_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sub_period_due_date"), ["due_date"], unique=False)

    op.create_table(
        "periodic_realisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("sub_period_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("evidence_url", sa.String(length=500), nullable=True),
        sa.Column("evidence_note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        *_stamps(),
        sa.CheckConstraint("value >= 0", name=op.f("ck_periodic_realisation_value_nonneg")),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"],
                                name=op.f("fk_periodic_realisation_indicator_id_indicator"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_periodic_realisation_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["sub_period_id"], ["sub_period.id"],
                                name=op.f("fk_periodic_realisation_sub_period_id_sub_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periodic_realisation")),
        sa.UniqueConstraint("indicator_id", "sub_period_id", name=op.f("uq_periodic_realisation_indicator_id_sub_period_id")),
    )
    with op.batch_alter_table("periodic_realisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_periodic_realisation_sub_period_id"), ["sub_period_id"], unique=False)

    op.create_table(
        "periodic_judgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("sub_period_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        *_stamps(),
        sa.CheckConstraint("category IS NULL OR category IN ('dibawah', 'sesuai', 'diatas')",
                           name=op.f("ck_periodic_judgement_category")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_periodic_judgement_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["sub_period_id"], ["sub_period.id"],
                                name=op.f("fk_periodic_judgement_sub_period_id_sub_period")),
        sa.ForeignKeyConstraint(["target_id"], ["target.id"], name=op.f("fk_periodic_judgement_target_id_target"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_periodic_judgement")),
        sa.UniqueConstraint("target_id", "sub_period_id", name=op.f("uq_periodic_judgement_target_id_sub_period_id")),
    )
    with op.batch_alter_table("periodic_judgement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_periodic_judgement_sub_period_id"), ["sub_period_id"], unique=False)

    op.create_table(
        "feedback_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_plan_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_feedback_message_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["target_id"], ["target.id"], name=op.f("fk_feedback_message_target_id_target"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["work_plan_id"], ["work_plan.id"],
                                name=op.f("fk_feedback_message_work_plan_id_work_plan"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_message")),
    )
    with op.batch_alter_table("feedback_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_message_target_id"), ["target_id"], unique=False)
        batch_op.create_index("ix_feedback_message_work_plan_id_id", ["work_plan_id", "id"], unique=False)

    op.create_table(
        "coaching_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('bimbingan', 'konseling')", name=op.f("ck_coaching_note_kind")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_coaching_note_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["work_plan_id"], ["work_plan.id"],
                                name=op.f("fk_coaching_note_work_plan_id_work_plan"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_note")),
    )
    with op.batch_alter_table("coaching_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coaching_note_work_plan_id"), ["work_plan_id"], unique=False)

    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("decree", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_stamps(),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_delegation_dates")),
        sa.CheckConstraint("kind IN ('plt', 'plh')", name=op.f("ck_delegation_kind")),
        sa.CheckConstraint("principal_id IS NOT NULL OR unit_id IS NOT NULL", name=op.f("ck_delegation_covers")),
        sa.ForeignKeyConstraint(["holder_id"], ["employee.id"], name=op.f("fk_delegation_holder_id_employee")),
        sa.ForeignKeyConstraint(["principal_id"], ["employee.id"], name=op.f("fk_delegation_principal_id_employee")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_delegation_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation")),
    )
    with op.batch_alter_table("delegation", schema=None) as batch_op:
        batch_op.create_index("ix_delegation_holder_id_end_date", ["holder_id", "end_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_delegation_principal_id"), ["principal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delegation_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=300), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("email_state", sa.String(length=10), nullable=False),
        sa.Column("email_to", sa.String(length=120), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.Column("email_error", sa.String(length=300), nullable=True),
        sa.Column("claim", sa.String(length=40), nullable=True),
        sa.CheckConstraint("email_state IN ('none', 'pending', 'digest', 'sending', 'sent', 'failed')",
                           name=op.f("ck_notification_email_state")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_notification_user_id_key")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_email_state", ["email_state"], unique=False)
        batch_op.create_index("ix_notification_user_id_read_at", ["user_id", "read_at"], unique=False)

    op.create_table(
        "notification_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email_mode", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("email_mode IN ('segera', 'ringkasan', 'mati')",
                           name=op.f("ck_notification_setting_email_mode")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_notification_setting_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_setting")),
    )
    op.create_table(
        "notification_optout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=6), nullable=False),
        sa.CheckConstraint("scope IN ('email', 'semua')", name=op.f("ck_notification_optout_scope")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_notification_optout_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_optout")),
        sa.UniqueConstraint("user_id", "event", name=op.f("uq_notification_optout_user_id_event")),
    )


def downgrade():
    op.drop_table("notification_optout")
    op.drop_table("notification_setting")
    op.drop_table("notification")  # with their indexes (MariaDB keeps an index its foreign key needs)
    op.drop_table("delegation")
    op.drop_table("coaching_note")
    op.drop_table("feedback_message")
    op.drop_table("periodic_judgement")
    op.drop_table("periodic_realisation")
    op.drop_table("sub_period")
    op.execute(sa.text("DELETE FROM job WHERE kind = 'periodic'"))
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_job_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_job_kind"), JOB_KINDS_OLD)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("acting_for")
        batch_op.drop_column("delegation_id")
    with op.batch_alter_table("realisation", schema=None) as batch_op:
        batch_op.drop_column("derived")
    with op.batch_alter_table("scoring_scheme", schema=None) as batch_op:
        batch_op.drop_column("annual_from_periodic")
    with op.batch_alter_table("period", schema=None) as batch_op:
        batch_op.drop_column("assessment_until")
        batch_op.drop_column("planning_until")
