"""Scoring at the edges and the self-checking inspector workbook

- scoring_scheme: the rounding mode before predicate bands (half up / half to even), the missing-data
  policy (an unrealised indicator counts 0 or blocks the result; a missing superior rating blocks the
  behaviour value or is allowed), and the provenance of those settings and of the rating scale;
- every rule table: the provenance of its rows (regulation / one agency's practice / our default,
  with a note naming the regulation or the agency);
- score_result: the inputs the engine used (innovation, structural position, where each matrix
  category came from, the public's responses and sum) and a note saying why a value is missing or how
  it was decided.

Existing rows are carried across: schemes get the regulation defaults for the new settings
(half up; an unrealised indicator counts 0; a missing superior rating blocks the behaviour value);
provenance stays NULL ("not recorded") until `kinerja init` fills it in for the seeded presets;
existing results keep their values and get NULL inputs (recorded at the next scoring run).

Revision ID: 0005_scoring_edges
Revises: 0004_public_voice_accounts
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_scoring_edges"
down_revision = "0004_public_voice_accounts"
branch_labels = None
depends_on = None

PROVENANCE_IN = "IN ('regulasi', 'praktik', 'bawaan')"
RULE_TABLES = ("component_weight", "rater_role_weight", "behaviour_aspect", "scheme_formula", "achievement_band",
               "predicate_band", "predicate_matrix_cell", "category_threshold", "distribution_rule")
SCHEME_SOURCES = ("rounding_source", "missing_source", "scale_source")


def _source_check(table: str, column: str) -> tuple[str, str]:
    return f"ck_{table}_{column}", f"{column} IS NULL OR {column} {PROVENANCE_IN}"


def upgrade():
    with op.batch_alter_table("scoring_scheme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rounding_mode", sa.String(length=10), server_default="half_up",
                                      nullable=False))
        batch_op.add_column(sa.Column("missing_realisation", sa.String(length=10), server_default="zero",
                                      nullable=False))
        batch_op.add_column(sa.Column("missing_superior", sa.String(length=10), server_default="block",
                                      nullable=False))
        for column in SCHEME_SOURCES:
            batch_op.add_column(sa.Column(column, sa.String(length=10), nullable=True))
            batch_op.add_column(sa.Column(f"{column}_note", sa.String(length=200), nullable=True))
        batch_op.create_check_constraint("ck_scoring_scheme_rounding_mode",
                                         "rounding_mode IN ('half_up', 'half_even')")
        batch_op.create_check_constraint("ck_scoring_scheme_missing_realisation",
                                         "missing_realisation IN ('zero', 'block')")
        batch_op.create_check_constraint("ck_scoring_scheme_missing_superior",
                                         "missing_superior IN ('block', 'allow')")
        for column in SCHEME_SOURCES:
            batch_op.create_check_constraint(*_source_check("scoring_scheme", column))

    for table in RULE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("source", sa.String(length=10), nullable=True))
            batch_op.add_column(sa.Column("source_note", sa.String(length=200), nullable=True))
            batch_op.create_check_constraint(*_source_check(table, "source"))

    with op.batch_alter_table("score_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("innovation", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("structural", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("hasil_source", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("perilaku_source", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("public_responses", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("public_score_sum", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.create_check_constraint("ck_score_result_hasil_source",
                                         "hasil_source IS NULL OR hasil_source IN ('penilai', 'ambang')")
        batch_op.create_check_constraint("ck_score_result_perilaku_source",
                                         "perilaku_source IS NULL OR perilaku_source IN ('penilai', 'ambang')")


def downgrade():
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        batch_op.drop_constraint("ck_score_result_perilaku_source", type_="check")
        batch_op.drop_constraint("ck_score_result_hasil_source", type_="check")
        for column in ("note", "public_score_sum", "public_responses", "perilaku_source", "hasil_source",
                       "structural", "innovation"):
            batch_op.drop_column(column)
    for table in reversed(RULE_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"ck_{table}_source", type_="check")
            batch_op.drop_column("source_note")
            batch_op.drop_column("source")
    with op.batch_alter_table("scoring_scheme", schema=None) as batch_op:
        for column in reversed(SCHEME_SOURCES):
            batch_op.drop_constraint(f"ck_scoring_scheme_{column}", type_="check")
        for name in ("missing_superior", "missing_realisation", "rounding_mode"):
            batch_op.drop_constraint(f"ck_scoring_scheme_{name}", type_="check")
        for column in reversed(SCHEME_SOURCES):
            batch_op.drop_column(f"{column}_note")
            batch_op.drop_column(column)
        for name in ("missing_superior", "missing_realisation", "rounding_mode"):
            batch_op.drop_column(name)
