"""A result refers to its work plan by (work_plan_id, period_id, employee_id) (issue 19): one foreign key
instead of three. The database then holds what the engine always meant, that a result's period and
employee are its plan's, and checks one key per inserted result instead of three (about 0.5 s of the
6 s it took to score 100 000 employees on PostgreSQL).

- ``work_plan``: unique (id, period_id, employee_id), the key results reference;
- ``score_result.work_plan_id``: NOT NULL (filled from the plan of the result's period and employee
  where it was empty); the migration stops, changing nothing, when a result has no such plan or names a
  plan of another period or employee;
- ``fk_score_result_work_plan_id_work_plan``: (work_plan_id, period_id, employee_id) -> work_plan (id,
  period_id, employee_id), under the old name; the single foreign keys on period_id and employee_id go
  (the plan's own keys hold those);
- ``ix_score_result_work_plan_id_period_id_employee_id`` replaces ``ix_score_result_work_plan_id`` (the
  same lookups, and the index MariaDB needs under a composite foreign key);
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

PLAN_KEY = ["work_plan_id", "period_id", "employee_id"]
PLAN_COLUMNS = ["id", "period_id", "employee_id"]
SINGLE = {"employee_id": "employee", "period_id": "period", "work_plan_id": "work_plan"}


OBJECTION_FK = "fk_objection_result_id_score_result"


def _objection_key(on_delete):
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(OBJECTION_FK), type_="foreignkey")
        batch_op.create_foreign_key(batch_op.f(OBJECTION_FK), "score_result", ["result_id", "period_id"],
                                    ["id", "period_id"], ondelete=on_delete)


def upgrade():
    # first the check, so that a refusal changes nothing: a result without plan must have one in its
    # period for its employee, a result with a plan must be that plan's period and employee
    bad = op.get_bind().execute(sa.text(
        "SELECT r.id FROM score_result r LEFT JOIN work_plan w ON "
        "(r.work_plan_id IS NULL AND w.period_id = r.period_id AND w.employee_id = r.employee_id) "
        "OR w.id = r.work_plan_id "
        "WHERE w.id IS NULL OR w.period_id <> r.period_id OR w.employee_id <> r.employee_id "
        "ORDER BY r.id")).scalars().all()
    if bad:
        raise RuntimeError(
            f"Migrasi 0014 dihentikan: {len(bad)} hasil penilaian tidak memiliki SKP pada periode dan pegawai "
            f"yang sama (id hasil: {', '.join(map(str, bad[:20]))}{' ...' if len(bad) > 20 else ''}). "
            "Perbaiki atau hapus hasil tersebut, lalu jalankan migrasi lagi.")
    op.execute("UPDATE score_result SET work_plan_id = (SELECT w.id FROM work_plan w WHERE "
               "w.period_id = score_result.period_id AND w.employee_id = score_result.employee_id) "
               "WHERE work_plan_id IS NULL")
    with op.batch_alter_table("work_plan", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_work_plan_id_period_id_employee_id"), PLAN_COLUMNS)
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        for column, table in SINGLE.items():
            batch_op.drop_constraint(batch_op.f(f"fk_score_result_{column}_{table}"), type_="foreignkey")
        batch_op.drop_index("ix_score_result_work_plan_id")
        batch_op.alter_column("work_plan_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_score_result_work_plan_id_period_id_employee_id", PLAN_KEY, unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_score_result_work_plan_id_work_plan"), "work_plan",
                                    PLAN_KEY, PLAN_COLUMNS)
    _objection_key("RESTRICT")


def downgrade():
    _objection_key(None)
    with op.batch_alter_table("score_result", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_score_result_work_plan_id_work_plan"), type_="foreignkey")
        batch_op.drop_index("ix_score_result_work_plan_id_period_id_employee_id")
        batch_op.alter_column("work_plan_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_score_result_work_plan_id", ["work_plan_id"], unique=False)
        for column, table in SINGLE.items():
            batch_op.create_foreign_key(batch_op.f(f"fk_score_result_{column}_{table}"), table, [column], ["id"])
    with op.batch_alter_table("work_plan", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_work_plan_id_period_id_employee_id"), type_="unique")
