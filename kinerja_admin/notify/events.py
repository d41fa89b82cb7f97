"""The event hook of the workflows: each function is called by a workflow function right after its
write, in the same transaction, and creates the notifications of that event (store.insert_select:
one statement for any number of records; e-mail is queued after the commit). Never called from views.

Recipients follow the record policy's relations: the plan's rater (and the holder of a Plt/Plh
delegation in force for the rater), the employee, the objection's decider (and their acting holder);
the user who acted is never notified of their own action.
"""
from __future__ import annotations

from sqlalchemy import Integer, String, literal, select, union

from models import Employee, Period, RaterAssignment, ScoreResult, User, WorkPlan

from .store import insert_rows, insert_select, text, users_of

# plan transitions: event, recipient relation, title parts, body parts, page
PLAN = {
    "submit": ("skp.diajukan", "rater",
               lambda e, p: ("SKP ", e.name, " menunggu persetujuan Anda"),
               lambda e, p, reason: (e.name, " mengajukan SKP periode ", p.code,
                                     ". Periksa rencana hasil kerjanya, lalu setujui atau kembalikan dengan alasan."),
               ""),
    "approve": ("skp.disetujui", "subject",
                lambda e, p: ("SKP periode ", p.code, " Anda disetujui"),
                lambda e, p, reason: ("Pejabat penilai menyetujui SKP Anda. Catat realisasi dan bukti dukungnya "
                                      "sepanjang periode pada halaman SKP.",),
                ""),
    "return": ("skp.dikembalikan", "subject",
               lambda e, p: ("SKP periode ", p.code, " Anda dikembalikan"),
               lambda e, p, reason: ("Alasan pejabat penilai: ", reason or "-", ". Perbaiki SKP lalu ajukan kembali."),
               ""),
    "revise": ("skp.dibuka", "subject",
               lambda e, p: ("SKP periode ", p.code, " Anda dibuka untuk perubahan"),
               lambda e, p, reason: ("Alasan pejabat penilai: ", reason or "-",
                                     ". Ubah SKP lalu ajukan kembali untuk disetujui."),
               ""),
    "realise": ("skp.realisasi", "rater",
                lambda e, p: ("SKP ", e.name, " siap dinilai"),
                lambda e, p, reason: (e.name, " menandai realisasi SKP periode ", p.code,
                                      " lengkap. Beri penilaian per RHK dan penilaian keseluruhan."),
                "/nilai"),
}


def _delegated_recipients(session, plan_ids, rel: str):
    """(plan id, employee id) of holders of delegations in force that give `rel` on the plans."""
    from kinerja_admin import delegation
    from kinerja_admin.clock import today

    parts = []
    for holder, held in delegation.all_in_force(session, today(session, fresh=True)).items():
        cond = delegation.conditions_of(held, holder, rel)
        if cond is not None:
            parts.append(select(WorkPlan.id.label("plan_id"), literal(holder, Integer).label("emp"))
                         .where(WorkPlan.id.in_(plan_ids), cond))
    return parts


def _plan_recipients(session, plan_ids, rel: str):
    column = {"subject": WorkPlan.employee_id, "rater": WorkPlan.rater_id,
              "rater_superior": WorkPlan.rater_superior_id}[rel]
    direct = select(WorkPlan.id.label("plan_id"), column.label("emp")).where(WorkPlan.id.in_(plan_ids),
                                                                            column.is_not(None))
    parts = [direct]
    if rel != "subject":
        parts += _delegated_recipients(session, plan_ids, rel)
    return (parts[0] if len(parts) == 1 else union(*parts)).subquery("rcpt")


def plan_transition(session, op: str, plan_ids, actor, reason: str | None = None) -> None:
    """After a plan transition (workflow.plan.bulk): the notifications of `op` for `plan_ids`."""
    spec = PLAN.get(op)
    if spec is None or not plan_ids:
        return
    event, rel, title, body, page = spec
    rc = _plan_recipients(session, list(plan_ids), rel)
    e, p = Employee, Period
    src = (select(User.id.label("user_id"),
                  text(event, ":", WorkPlan.id, ":v", WorkPlan.version).label("key"),
                  text(*title(e, p)).label("title"), text(*body(e, p, reason)).label("body"),
                  text("/admin/skp/", WorkPlan.id, page).label("url"), WorkPlan.period_id.label("period_id"))
           .select_from(rc.join(WorkPlan, WorkPlan.id == rc.c.plan_id)
                        .join(Employee, Employee.id == WorkPlan.employee_id)
                        .join(Period, Period.id == WorkPlan.period_id)
                        .join(User, User.employee_id == rc.c.emp))
           .where(User.id != getattr(actor, "id", None)))
    insert_select(session, event, src)


def result_published(session, result_ids) -> None:
    """After results are published (workflow.score.bulk 'publish'): each employee is told."""
    if not result_ids:
        return
    src = (select(User.id.label("user_id"), text("hasil.diumumkan:", ScoreResult.id).label("key"),
                  text("Hasil penilaian kinerja periode ", Period.code, " diumumkan").label("title"),
                  text("Predikat Anda: ", ScoreResult.predicate, ". Penjelasan nilai dan tombol keberatan ada di "
                       "Kinerja Saya.").label("body"),
                  text("/admin/saya/hasil/", ScoreResult.id).label("url"), ScoreResult.period_id.label("period_id"))
           .select_from(ScoreResult.__table__.join(Period, Period.id == ScoreResult.period_id)
                        .join(User, User.employee_id == ScoreResult.employee_id))
           .where(ScoreResult.id.in_(list(result_ids))))
    insert_select(session, "hasil.diumumkan", src)


def ratings_requested(session, period, actor=None) -> None:
    """After 360 rater assignments were generated: each rater with a pending rating is asked, once per
    period."""
    ra = RaterAssignment
    raters = (select(ra.rater_id.label("emp"), ra.period_id.label("period_id"))
              .where(ra.period_id == period.id, ra.status == "pending", ra.rater_id.is_not(None))
              .group_by(ra.rater_id, ra.period_id).subquery("raters"))
    src = (select(User.id.label("user_id"), text("penilaian.diminta:", raters.c.period_id).label("key"),
                  literal(f"Anda diminta menilai perilaku kerja (periode {period.code})", String).label("title"),
                  literal("Isi penilaian perilaku rekan, bawahan atau atasan yang ditugaskan kepada Anda pada menu "
                          "Penilaian Perilaku Saya.", String).label("body"),
                  literal("/admin/my_ratings/", String).label("url"), raters.c.period_id.label("period_id"))
           .select_from(raters.join(User, User.employee_id == raters.c.emp)))
    insert_select(session, "penilaian.diminta", src)


def _ctx_people(session, plan_id: int) -> dict:
    row = session.execute(select(WorkPlan.id, WorkPlan.employee_id, WorkPlan.rater_id, WorkPlan.rater_superior_id,
                                 WorkPlan.unit_id, WorkPlan.period_id, Employee.name, Period.code)
                          .join(Employee, Employee.id == WorkPlan.employee_id)
                          .join(Period, Period.id == WorkPlan.period_id).where(WorkPlan.id == plan_id)).one()
    return dict(zip(("id", "employee_id", "rater_id", "rater_superior_id", "unit_id", "period_id", "name", "code"),
                    row))


def _holders(session, plan: dict, rel: str) -> set[int]:
    from kinerja_admin import delegation
    from kinerja_admin.clock import today

    out = set()
    for holder, held in delegation.all_in_force(session, today(session, fresh=True)).items():
        rels = delegation.relations_for(holder, subject_id=plan["employee_id"], rater_id=plan["rater_id"],
                                        rater_superior_id=plan["rater_superior_id"],
                                        decider_id=plan.get("decider_id"), unit_id=plan["unit_id"],
                                        session=session, held=held)
        if rel in rels:
            out.add(holder)
    return out


def _people(session, plan: dict, rels) -> set[int]:
    """Employee ids holding any of `rels` on the plan, directly or through a delegation in force."""
    out = set()
    for rel in rels:
        direct = {"subject": plan["employee_id"], "rater": plan["rater_id"],
                  "rater_superior": plan["rater_superior_id"], "decider": plan.get("decider_id")}[rel]
        if direct is not None:
            out.add(direct)
        if rel != "subject":
            out |= _holders(session, plan, rel)
    return out


def _send(session, event, plan, rels, actor, key, title, body, url):
    users = users_of(session, _people(session, plan, rels))
    rows = [{"user_id": uid, "key": key, "title": title, "body": body, "url": url, "period_id": plan["period_id"]}
            for uid in users.values() if uid != getattr(actor, "id", None)]
    insert_rows(session, event, rows)


def objection_filed(session, objection, actor) -> None:
    result = session.get(ScoreResult, objection.result_id)
    plan = _ctx_people(session, result.work_plan_id) if result.work_plan_id else None
    if plan is None:
        return
    plan["decider_id"] = objection.decider_id
    _send(session, "keberatan.diajukan", plan, ("decider",), actor, f"keberatan.diajukan:{objection.id}",
          f"Keberatan {plan['name']} menunggu putusan Anda",
          f"{plan['name']} mengajukan keberatan atas hasil penilaian periode {plan['code']}. Dengarkan kedua pihak, "
          "lalu putuskan dengan alasan; putusan bersifat final.",
          f"/admin/objection/decide/?id={objection.id}")


def objection_decided(session, objection, actor) -> None:
    result = session.get(ScoreResult, objection.result_id)
    plan = _ctx_people(session, result.work_plan_id) if result.work_plan_id else None
    if plan is None:
        return
    verdict = "diterima" if objection.status == "accepted" else "ditolak"
    _send(session, "keberatan.diputus", plan, ("subject",), actor, f"keberatan.diputus:{objection.id}",
          f"Keberatan Anda periode {plan['code']} {verdict}",
          f"Alasan putusan: {objection.decision_reason or '-'}. Putusan ini bersifat final.",
          f"/admin/saya/hasil/{result.id}")


def periodic_realised(session, plan_id: int, window, actor) -> None:
    plan = _ctx_people(session, plan_id)
    _send(session, "periodik.realisasi", plan, ("rater",), actor, f"periodik.realisasi:{plan_id}:{window.id}",
          f"Realisasi {window.name} {plan['name']} tercatat",
          f"{plan['name']} mencatat realisasi {window.name}. Beri umpan balik dan penilaian periodik per RHK "
          f"paling lambat {_date(window.due_date)}.", f"/admin/skp/{plan_id}/periodik/{window.id}")


def periodic_judged(session, plan_id: int, window, actor) -> None:
    plan = _ctx_people(session, plan_id)
    _send(session, "periodik.dinilai", plan, ("subject",), actor, f"periodik.dinilai:{plan_id}:{window.id}",
          f"Umpan balik {window.name} dari pejabat penilai",
          f"Pejabat penilai memberi penilaian dan umpan balik {window.name} atas SKP periode {plan['code']} Anda.",
          f"/admin/skp/{plan_id}/periodik/{window.id}")


def feedback_posted(session, message, actor) -> None:
    plan = _ctx_people(session, message.work_plan_id)
    snippet = message.body if len(message.body) <= 300 else message.body[:297] + "..."
    who = getattr(actor, "full_name", None) or getattr(actor, "username", "")
    _send(session, "umpan_balik.pesan", plan, ("subject", "rater", "rater_superior"), actor,
          f"umpan_balik.pesan:{message.id}", f"Pesan umpan balik baru pada SKP {plan['name']}",
          f"{who}: {snippet}", f"/admin/skp/{message.work_plan_id}#umpan-balik")


def coaching_noted(session, note, actor) -> None:
    """The employee is told that a note exists; its text stays on the SKP page (private)."""
    from models.year import COACHING_KINDS

    plan = _ctx_people(session, note.work_plan_id)
    kind = COACHING_KINDS.get(note.kind, note.kind).lower()
    _send(session, "bimbingan.catatan", plan, ("subject",), actor, f"bimbingan.catatan:{note.id}",
          f"Pejabat penilai mencatat {kind} untuk Anda",
          "Catatan ini hanya dapat dibaca oleh Anda dan pejabat penilai, pada halaman SKP Anda.",
          f"/admin/skp/{note.work_plan_id}#bimbingan")


def _date(value) -> str:
    from kinerja_admin.formatting import tanggal

    return tanggal(value)


__all__ = ["coaching_noted", "feedback_posted", "objection_decided", "objection_filed", "periodic_judged",
           "periodic_realised", "plan_transition", "ratings_requested", "result_published"]
