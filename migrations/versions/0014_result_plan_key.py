"""A result refers to its work plan by (work_plan_id, period_id, employee_id, unit_id) (issue 19): one
foreign key instead of four. The database then holds what the engine always meant, that a result's
period, employee and unit (OPD) are its plan's, and checks one key per inserted result instead of
four (about 0.7 s of the 6 s it took to score 100 000 employees on PostgreSQL).

- ``work_plan``: unique (id, period_id, employee_id, unit_id), the key results reference;
- ``score_result.work_plan_id`` and ``unit_id``: NOT NULL, filled from the plan of the result's period
  and employee where empty; a computed result takes its plan's unit (a rerun would); the migration
  stops, changing nothing, when a result has no plan in its period for its employee, names a plan of
  another period or employee, or is approved or published under another unit than its plan's (the
  message lists the result ids to repair);
- ``fk_score_result_work_plan_id_work_plan``: (work_plan_id, period_id, employee_id, unit_id) ->
  work_plan (id, period_id, employee_id, unit_id) ON UPDATE CASCADE, under the old name: a correction
  of a plan's unit carries its result along (the result is the plan's); the single foreign keys on
  period_id, employee_id and unit_id go (the plan's own keys hold those);
- ``ix_score_result_plan_key`` (the same four columns) replaces ``ix_score_result_work_plan_id``: the
  same lookups, and the index MariaDB needs under a composite foreign key;
- ``fk_objection_result_id_score_result``: ON DELETE RESTRICT instead of NO ACTION. The same rule (a
  result with an objection is never deleted), but PostgreSQL checks NO ACTION by first looking for
  another result with the same key, for every result a rerun deletes: 0.25 s of the 0.7 s a rerun at
  100 000 spends deleting the previous results.

Revision ID: 0014_result_plan_key
Revises: 0013_partition_results
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_result_plan_key"
down_revision = "0013_partition_results"
branch_labels = None
depends_on = None

PLAN_KEY = ["work_plan_id", "period_id", "employee_id", "unit_id"]
PLAN_COLUMNS = ["id", "period_id", "employee_id", "unit_id"]
SINGLE = {"employee_id": "employee", "period_id": "period", "unit_id": "unit", "work_plan_id": "work_plan"}
OBJECTION_FK = "fk_objection_result_id_score_result"


def _objection_key(on_delete):
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(OBJECTION_FK), type_="foreignkey")
        batch_op.create_foreign_key(batch_op.f(OBJECTION_FK), "score_result", ["result_id", "period_id"],
                                    ["id", "period_id"], ondelete=on_delete)


def upgrade():
    # first the check, so that a refusal changes nothing: a result without plan must have one in its
    # period for its employee, a result with a plan must be that plan's period and employee, and a
    # result signed off (approved, published) must be under its plan's unit
    bad = op.get_bind().execute(sa.text(
        "SELECT r.id FROM score_result r LEFT JOIN work_plan w ON "
        "(r.work_plan_id IS NULL AND w.period_id = r.period_id AND w.employee_id = r.employee_id) "
        "OR w.id = r.work_plan_id "
        "WHERE w.id IS NULL OR w.period_id <> r.period_id OR w.employee_id <> r.employee_id "
        "OR (r.status <> 'computed' AND (r.unit_id IS NULL OR r.unit_id <> w.unit_id)) "
        "ORDER BY r.id")).scalars().all()
    if bad:
        raise RuntimeError(
            f"Migrasi 0014 dihentikan: {len(bad)} hasil penilaian tidak sesuai dengan SKP-nya (tidak ada SKP pada "
            "periode dan pegawai yang sama, atau hasil yang sudah disetujui/diumumkan tercatat pada perangkat "
            f"daerah lain) (id hasil: {', '.join(map(str, bad[:20]))}{' ...' if len(bad) > 20 else ''}). "
            "Perbaiki atau hapus hasil tersebut, lalu jalankan migrasi lagi.")
    op.execute("UPDATE score_result SET work_plan_id = (SELECT w.id FROM work_plan w WHERE "
               "w.period_id = score_result.period_id AND w.employee_id = score_result.employee_id) "
               "WHERE work_plan_id IS NULL")
    op.execute("UPDATE score_result SET unit_id = (SELECT w.unit_id FROM work_plan w WHERE "
               "w.id = score_result.work_plan_id) WHERE status = 'computed'")
    with op.batch_alter_table("work_plan", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_work_plan_id_period_id_employee_id_unit_id"), PLAN_COLUMNS)
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        for column, table in SINGLE.items():
            batch_op.drop_constraint(batch_op.f(f"fk_score_result_{column}_{table}"), type_="foreignkey")
        batch_op.drop_index("ix_score_result_work_plan_id")
        batch_op.alter_column("work_plan_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_score_result_plan_key", PLAN_KEY, unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_score_result_work_plan_id_work_plan"), "work_plan",
                                    PLAN_KEY, PLAN_COLUMNS, onupdate="CASCADE")
    _objection_key("RESTRICT")


def downgrade():
    _objection_key(None)
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_score_result_work_plan_id_work_plan"), type_="foreignkey")
        batch_op.drop_index("ix_score_result_plan_key")
        batch_op.alter_column("work_plan_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_score_result_work_plan_id", ["work_plan_id"], unique=False)
        for column, table in SINGLE.items():
            batch_op.create_foreign_key(batch_op.f(f"fk_score_result_{column}_{table}"), table, [column], ["id"])
    with op.batch_alter_table("work_plan", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_work_plan_id_period_id_employee_id_unit_id"), type_="unique")
