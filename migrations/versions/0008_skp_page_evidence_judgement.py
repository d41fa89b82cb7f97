"""The SKP as one document: the rater's judgement per RHK, evidence files, and the scheme's "penentu
rating" and scale meanings.

- ``target_judgement``: the rater's judgement (di atas / sesuai / di bawah ekspektasi) and feedback per
  RHK, one row per target.
- ``evidence_file``: bukti dukung files of a realisation, stored in the database.
- ``scoring_scheme.rating_decider``: who decides a matrix scheme's categories, ``penilai`` (the rater's
  judgement, PermenPANRB 6/2022) or ``ambang`` (thresholds, a judgement entered takes precedence: the
  behaviour every scheme had before this revision).
- ``scoring_scheme.scale_meanings``: what each point of the behaviour rating scale means.

Existing data: every scheme keeps ``ambang`` (its behaviour so far), except the seeded PermenPANRB 6/2022
preset, which becomes ``penilai`` with its version raised (its rules changed: results computed before
keep the version they were computed with). The presets get the scale meanings they are seeded with.

Revision ID: 0008_skp_page_evidence_judgement
Revises: 0007_planning_cascade
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008_skp_page_evidence_judgement"
down_revision = "0007_planning_cascade"
branch_labels = None
depends_on = None

PRESET_2022 = "PERMENPANRB-6-2022"
# the texts kinerja_admin.scoring.presets seeds (copied: a migration does not import app code)
SCALES = {
    "PERMENPANRB-6-2022": "\n".join([
        "1 = Sangat kurang: perilaku ini hampir tidak pernah ditunjukkan",
        "2 = Kurang: perilaku ini jarang ditunjukkan, perlu banyak perbaikan",
        "3 = Sesuai ekspektasi: perilaku ini ditunjukkan sebagaimana diharapkan",
        "4 = Baik: perilaku ini sering ditunjukkan, di atas yang diharapkan",
        "5 = Sangat baik: perilaku ini selalu ditunjukkan dan menjadi teladan bagi orang lain",
    ]),
    "PP46-2011": "0 = Buruk\n51 = Kurang\n61 = Cukup\n76 = Baik\n91 = Sangat Baik",
    "PP30-2019": "0 = Sangat kurang\n50 = Kurang\n70 = Cukup\n90 = Baik\n110 = Sangat baik",
    "PP30-2019-360": "0 = Sangat kurang\n50 = Kurang\n70 = Cukup\n90 = Baik\n110 = Sangat baik",
}


def upgrade():
    with op.batch_alter_table("scoring_scheme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating_decider", sa.String(length=10), server_default="ambang",
                                      nullable=False))
        batch_op.add_column(sa.Column("scale_meanings", sa.Text(), nullable=True))
        batch_op.create_check_constraint(batch_op.f("ck_scoring_scheme_rating_decider"),
                                         "rating_decider IN ('penilai', 'ambang')")

    scheme = sa.table("scoring_scheme", sa.column("code", sa.String), sa.column("is_preset", sa.Boolean),
                      sa.column("rating_decider", sa.String), sa.column("scale_meanings", sa.Text),
                      sa.column("version", sa.Integer))
    op.execute(scheme.update().where(scheme.c.code == PRESET_2022, scheme.c.is_preset == sa.true())
               .values(rating_decider="penilai", version=scheme.c.version + 1))
    for code, text in SCALES.items():
        op.execute(scheme.update().where(scheme.c.code == code, scheme.c.is_preset == sa.true(),
                                         scheme.c.scale_meanings.is_(None)).values(scale_meanings=text))

    op.create_table(
        "target_judgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint("category IN ('dibawah', 'sesuai', 'diatas')", name=op.f("ck_target_judgement_category")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_target_judgement_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["target_id"], ["target.id"], name=op.f("fk_target_judgement_target_id_target"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_judgement")),
        sa.UniqueConstraint("target_id", name=op.f("uq_target_judgement_target_id")),
    )
    op.create_table(
        "evidence_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("realisation_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb"), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["realisation_id"], ["realisation.id"],
                                name=op.f("fk_evidence_file_realisation_id_realisation"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_evidence_file_recorded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_file")),
    )
    with op.batch_alter_table("evidence_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_file_realisation_id"), ["realisation_id"], unique=False)


def downgrade():
    op.drop_table("evidence_file")  # with its index (MariaDB keeps an index its foreign key needs)
    op.drop_table("target_judgement")
    with op.batch_alter_table("scoring_scheme", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_scoring_scheme_rating_decider"), type_="check")
        batch_op.drop_column("scale_meanings")
        batch_op.drop_column("rating_decider")
