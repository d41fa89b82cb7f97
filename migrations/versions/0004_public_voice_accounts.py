"""Public voice and accounts: survey moderation and one voice per device, consumed survey nonces,
login throttle instead of lockout

- public_feedback: moderation status (accepted | held | released | rejected; existing responses are
  accepted, so every aggregate keeps its value), the reason a response was held, who released or
  rejected it and when, a fingerprint of target + answers (burst detection) and the unique
  one-voice-per-device keys (NULL for existing responses).
- survey_nonce: hashes of consumed one-time survey nonces (replays fail on the primary key).
- user_account: `locked_until` goes (accounts are no longer locked, logins are throttled with
  growing delays in the shared counter storage); `last_failed_login_at` is added.
- setting: the lockout settings are replaced by `login.max_delay_seconds` (seeded by init).

Revision ID: 0004_public_voice_accounts
Revises: 0003_record_policy
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_public_voice_accounts"
down_revision = "0003_record_policy"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("public_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="accepted", nullable=False))
        batch_op.add_column(sa.Column("held_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("moderated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moderated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("respondent_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("employee_key", sa.String(length=100), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_public_feedback_status"), "status IN ('accepted', 'held', 'released', 'rejected')")
        batch_op.create_foreign_key(batch_op.f("fk_public_feedback_moderated_by_id_user_account"),
                                    "user_account", ["moderated_by_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_public_feedback_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_feedback_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_public_feedback_respondent_key"), ["respondent_key"])
        batch_op.create_unique_constraint(batch_op.f("uq_public_feedback_employee_key"), ["employee_key"])

    op.create_table(
        "survey_nonce",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_survey_nonce")),
    )
    with op.batch_alter_table("survey_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_nonce_used_at"), ["used_at"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_failed_login_at", sa.DateTime(), nullable=True))
        batch_op.drop_column("locked_until")

    setting = sa.table("setting", sa.column("key", sa.String))
    op.execute(setting.delete().where(setting.c.key.in_(["login.max_failures", "login.lockout_minutes"])))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.drop_column("last_failed_login_at")
    with op.batch_alter_table("survey_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_nonce_used_at"))
    op.drop_table("survey_nonce")
    with op.batch_alter_table("public_feedback", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_public_feedback_employee_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_public_feedback_respondent_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_public_feedback_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_public_feedback_status"))
        batch_op.drop_constraint(batch_op.f("fk_public_feedback_moderated_by_id_user_account"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_public_feedback_status"), type_="check")
        for column in ("employee_key", "respondent_key", "fingerprint", "moderated_at", "moderated_by_id",
                       "held_reason", "status"):
            batch_op.drop_column(column)
