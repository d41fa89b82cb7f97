"""The one bulk-transition engine behind plan and score transitions (single row = a bulk of one).

Decision (documented in the README architecture notes by the lead): a bulk action is ONE
transaction. Every row is validated first, in Python, from one batch SELECT (status, period,
actor's relation to the row, row scope): rows that fail are skipped with a reason and never touched;
rows that pass are changed by one executemany UPDATE guarded by their version
(``WHERE id = ? AND version = ?``) plus one executemany INSERT of their audit rows. If the UPDATE
matches fewer rows than expected (somebody changed a row meanwhile) the caller rolls the whole
transaction back and nothing is changed. So a row is never half-changed (status, version and audit
row go together) and the statement count does not grow with the number of rows. Per-row
savepoints were rejected: they cost two statements per row.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import bindparam, inspect, update

from kinerja_admin.policy.rules import WHO_TEXT, Transition
from models.base import PERIOD_STATUSES, PLAN_STATUSES, utcnow

from . import trail
from .base import NOT_FOUND, BulkResult, ConflictError, WorkflowError, clean_ids, require_actor

# The transitions themselves (from, to, who, when) are data of the record policy:
# kinerja_admin.policy.rules.PLAN_TRANSITIONS / SCORE_TRANSITIONS.
Op = Transition


def _labels(mapping, codes) -> str:
    return " / ".join(mapping.get(c, c) for c in codes)


ROW_KEYS = {"subject": "employee_id", "rater": "rater_id", "rater_superior": "rater_superior_id"}


def directly_allowed(op: Op, actor, row: dict) -> bool:
    """May `actor` take `op` on `row` in person (not under a delegation)? A clerk who takes part in
    the row, in person or as Plt/Plh, is not staff for it (policy.check.staff_relations)."""
    from kinerja_admin import delegation
    from kinerja_admin.policy.check import staff_relations

    emp = getattr(actor, "employee_id", None)
    direct = {w for w, col in ROW_KEYS.items() if emp is not None and row.get(col) == emp}
    if set(op.who) & direct:
        return True
    involved = emp is not None and (bool(direct) or row.get("decider_id") == emp
                                    or bool(delegation.row_relations(actor, row)))
    return bool(set(op.who) & staff_relations(actor, involved))


def acting(op: Op, actor, row: dict):
    """(relation, delegation) through which `actor` may take `op` on `row` as an acting superior
    (Plt/Plh in force, kinerja_admin.delegation), or None."""
    from kinerja_admin import delegation

    rels = delegation.row_relations(actor, row)
    for w in op.who:
        if w in rels:
            return w, rels[w]
    return None


def who_allowed(op: Op, actor, row: dict) -> bool:
    return directly_allowed(op, actor, row) or acting(op, actor, row) is not None


CHANGED_SINCE_SEEN = ("dihitung ulang setelah halaman dibuka; muat ulang halaman dan periksa nilainya yang baru "
                      "sebelum melanjutkan")


def _written_after(changed_at: dt.datetime, seen_at: dt.datetime) -> bool:
    """Whether figures written at `changed_at` may be newer than a page made at `seen_at`. A database
    that keeps whole seconds (MariaDB's DATETIME) cannot order the two within one second: such a tie
    counts as newer (the user reloads the page; nothing is signed off unseen)."""
    if changed_at.microsecond == 0:
        return changed_at >= seen_at.replace(microsecond=0)
    return changed_at > seen_at


def check_row(op: Op, actor, row: dict | None, status_labels: dict, reason: str | None,
              extra: Callable | None = None, seen_at: dt.datetime | None = None) -> str | None:
    """The reason a row may not take this transition, or None when it may. `seen_at`: when the user's
    page showed the row; a row whose figures were written after it (``changed_at``, given by the
    workflow's row loader) is not signed off unseen."""
    if row is None or not row["in_scope"]:
        return NOT_FOUND
    if seen_at is not None and row.get("changed_at") is not None and _written_after(row["changed_at"], seen_at):
        return CHANGED_SINCE_SEEN
    if row["period_status"] == "closed":
        return f"periode {row['period_code']} sudah ditutup (terkunci)"
    if row["status"] not in op.sources:
        return (f"status {status_labels.get(row['status'], row['status'])}, "
                f"bukan {_labels(status_labels, op.sources)}")
    if row["period_status"] not in op.periods:
        return (f"periode {row['period_code']} berstatus {PERIOD_STATUSES.get(row['period_status'])}; "
                f"hanya dapat dilakukan pada periode {_labels(PERIOD_STATUSES, op.periods)}")
    if op.plan_states and row.get("plan_status") not in op.plan_states:
        return (f"SKP-nya berstatus {PLAN_STATUSES.get(row.get('plan_status'), row.get('plan_status') or '-')}; "
                f"hasil baru dapat {op.verb} setelah SKP berstatus {_labels(PLAN_STATUSES, op.plan_states)}")
    if not op.self_allowed and getattr(actor, "employee_id", None) is not None \
            and actor.employee_id == row.get("employee_id"):
        return "tidak dapat dilakukan atas penilaian Anda sendiri (pemisahan tugas)"
    if not who_allowed(op, actor, row):
        return "hanya " + " atau ".join(WHO_TEXT[w] for w in op.who) + " yang dapat melakukannya"
    if extra is not None:
        return extra(row)
    return None


def run(session, actor, *, model, op: Op, ids, reason: str | None, load_rows: Callable,
        status_labels: dict, values: Callable | None = None, extra_check: Callable | None = None,
        now: dt.datetime | None = None, seen_at: dt.datetime | None = None) -> BulkResult:
    """Apply `op` to the rows `ids` (a list of ids or a SELECT of ids). See the module docstring.
    `seen_at`: when the page the user ticked the rows on was made (see :func:`check_row`)."""
    require_actor(actor)
    if op.needs_reason:
        reason = (reason or "").strip()
        if not reason:
            raise WorkflowError("Alasan wajib diisi.")
    else:
        reason = (reason or "").strip() or None
    now = now or utcnow()
    session.flush()  # pending ORM changes first, so the batch SELECT sees them
    # who may act is decided with the delegations in force as the batch starts (read once for all
    # its rows, whatever this session cached before)
    from kinerja_admin import delegation

    delegation.forget(session)
    wanted = None
    if isinstance(ids, (list, tuple, set)):
        wanted = clean_ids(ids)
        rows = load_rows(session, actor, wanted) if wanted else []
    else:
        rows = load_rows(session, actor, ids)
    by_id = {r["id"]: r for r in rows}
    extra = extra_check(session, op, rows) if extra_check else None
    result = BulkResult(verb=op.verb)
    ok = []
    for rid in (wanted if wanted is not None else [r["id"] for r in rows]):
        row = by_id.get(rid)
        why = check_row(op, actor, row, status_labels, reason, extra, seen_at)
        if why is None:
            ok.append(row)
            result.done.append(rid)
        else:
            label = row["label"] if row is not None and row["in_scope"] else f"#{rid}"
            result.skipped.append((rid, label, why))
    if not ok:
        return result

    values = dict(values(now, actor, reason)) if values is not None else {}
    table = model.__table__
    stmt = (update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(status=op.target, version=bindparam("b_new_version"), updated_at=now, **values))
    params = [{"b_id": r["id"], "b_version": r["version"], "b_new_version": r["version"] + 1} for r in ok]
    res = session.execute(stmt, params)
    if res.rowcount is not None and res.rowcount >= 0 and res.rowcount != len(params):
        raise ConflictError("Sebagian data telah diubah oleh pengguna lain selama proses berlangsung. "
                            "Tidak ada perubahan yang disimpan; muat ulang lalu ulangi.")
    entity = model.__tablename__
    audit = []
    for r in ok:
        changes = {"status": [r["status"], op.target]}
        for key, val in values.items():
            before = r.get(key)
            if before != val:
                changes[key] = [trail.jsonable(before), trail.jsonable(val)]
        # under a delegation: the holder is the row's user, the audit names on whose behalf too
        via = None if directly_allowed(op, actor, r) else acting(op, actor, r)
        extra = {}
        if via is not None:
            from kinerja_admin.delegation import acting_text

            extra = {"delegation_id": via[1].id, "acting_for": acting_text(via[1], via[0])}
        audit.append(trail.audit_row(session, action="transition", entity=entity, entity_id=r["id"],
                                     changes=changes, reason=reason, period_id=r["period_id"], actor=actor,
                                     at=now, subject_id=r["employee_id"], **extra))
    trail.insert_rows(session, audit)
    # Objects of these rows already loaded in the session are stale now.
    mapper = inspect(model)
    for r in ok:
        obj = session.identity_map.get(mapper.identity_key_from_primary_key((r["id"],)))
        if obj is not None:
            session.expire(obj)
    return result


def single(result: BulkResult, infinitive: str, what: str) -> None:
    """Turn a one-row bulk result into an exception when the row was skipped."""
    if result.skipped:
        _id, _label, why = result.skipped[0]
        raise WorkflowError(f"{what} tidak dapat {infinitive}: {why}.")
