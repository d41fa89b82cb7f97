"""THE record policy: who may change which field of which record, in which state. Read this file to
know the rules; `kinerja_admin.policy` (context.py, check.py) only applies them.

Every path obeys it: the admin forms show only the fields a user may change now (views.base), the
session guard refuses any other ORM write before it reaches the database (workflow/guards.py), the
workflow functions take their transitions from here, and the audit trail, the row scope and the
closed-period lock take their lists of models from here.

Words used below
- who (relations of the acting user to the record, decided per row):
  ``subject``        the employee the record judges (the SKP's owner, the ratee, the objector)
  ``rater``          the SKP's pejabat penilai          ``rater_superior``  the rater's superior
  ``decider``        the objection's decider             ``assigned_rater``  the rater of a 360 assignment
  (rater, rater_superior and decider include the holder of a Plt/Plh delegation in force for that
  person or vacant post: kinerja_admin.delegation)
  ``staff``          operator or admin (BKPSDM)          ``admin``           admin only
  ``public``         an anonymous citizen (the survey)
  Inspektur accounts never write. Code of the workflow, scoring and rating services writes "as the
  system" (``policy.system(session)``): fields marked SYSTEM are set only that way.
- states: the plan's status (draft, submitted, approved, returned, realised, assessed, final), the
  result's status (computed, approved, published), the assignment's (pending, submitted) and the
  period's (draft, planning, running, assessing, closed). Nothing of a closed period is written by
  anyone (the closed-period lock), except reopening by an admin through the workflow.
- INVARIANTS hold for every write, the system's included (separation of duties, allowed values).

Where the regulation (PermenPANRB 6/2022) is silent the stricter reading is taken.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from models import (
    AchievementBand,
    AuditLog,
    BehaviourAspect,
    BehaviourRating,
    CategoryThreshold,
    CoachingNote,
    ComponentWeight,
    Delegation,
    DistributionRule,
    Employee,
    EvidenceFile,
    FeedbackMessage,
    GuidePage,
    IkmBand,
    IkmElement,
    Indicator,
    Job,
    Notification,
    NotificationOptout,
    NotificationSetting,
    Objection,
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    Period,
    PeriodicJudgement,
    PeriodicRealisation,
    PolicyChange,
    Position,
    PositionKind,
    PredicateBand,
    PredicateMatrixCell,
    Program,
    PublicFeedback,
    PublicService,
    Rank,
    RaterAssignment,
    RaterRoleWeight,
    Realisation,
    SchemeFormula,
    ScoreDetail,
    ScoreResult,
    ScoringScheme,
    Setting,
    SpecialExpectation,
    StrategicGoal,
    SubPeriod,
    SurveyNonce,
    Target,
    TargetJudgement,
    Unit,
    UnitRating,
    User,
    WorkPlan,
)


@dataclass(frozen=True)
class Rule:
    """Allowed when the user has one of `who` for the row and every given state matches."""

    who: frozenset
    plan: frozenset | None = None      # plan statuses
    period: frozenset | None = None    # period statuses
    result: frozenset | None = None    # score result statuses
    assignment: frozenset | None = None  # rater assignment statuses
    reason: bool = False               # a written reason must accompany the change
    when: str | None = None            # a named condition on the row (see check.CONDITIONS)


def allow(*who, plan=None, period=None, result=None, assignment=None, reason=False, when=None) -> Rule:
    def fs(v):
        return None if v is None else frozenset((v,) if isinstance(v, str) else v)

    return Rule(frozenset(who), fs(plan), fs(period), fs(result), fs(assignment), reason, when)


SYSTEM = ()      # no rule: only the workflow / scoring / rating services write it
IMMUTABLE = "immutable"  # given when the row is created (by whoever may create it), never changed
CREATOR = "creator"      # in a tuple of rules: given by whoever creates the row, changed later per the rules

# states, named once
PLAN_CONTENT = {"draft", "returned"}             # SKP content is editable by the employee
PLAN_RUNNING = {"approved", "realised"}          # realisation and evidence are recorded
PLAN_BEFORE_ASSESSMENT = {"draft", "submitted", "approved", "returned", "realised"}
PLAN_JUDGED = {"realised"}                       # the rater judges a realised plan, then assesses it
PERIOD_PLANNING = {"planning", "running"}
PERIOD_REALISING = {"running", "assessing"}
PERIOD_OPEN = {"draft", "planning", "running", "assessing"}

SKP_CONTENT = allow("subject", "staff", plan=PLAN_CONTENT, period=PERIOD_PLANNING)
REALISATION = allow("subject", plan=PLAN_RUNNING, period=PERIOD_REALISING)
RATER_FEEDBACK = allow("rater", plan=PLAN_RUNNING, period=PERIOD_REALISING)
JUDGEMENT = allow("rater", plan=PLAN_JUDGED, period=PERIOD_REALISING)
# through the year (PermenPANRB 6/2022 periodic evaluation): within a window of the period, from its
# start until its due date, while the plan is approved and not yet assessed
PERIODIC_REALISATION = allow("subject", plan=PLAN_RUNNING, period=PERIOD_REALISING, when="window_open")
PERIODIC_JUDGEMENT = allow("rater", plan=PLAN_RUNNING, period=PERIOD_REALISING, when="window_open")
# continuous feedback: the employee, the rater and the rater's superior write in the SKP's threads while
# the period is open; the rater alone writes a private coaching note for the employee
FEEDBACK = allow("subject", "rater", "rater_superior", period=PERIOD_OPEN)
COACHING = allow("rater", period=PERIOD_OPEN)
EXPECTATION = allow("rater", plan=PLAN_BEFORE_ASSESSMENT - {"realised"}, period=PERIOD_PLANNING)
HIERARCHY = allow("staff", plan=PLAN_BEFORE_ASSESSMENT, period=PERIOD_OPEN, reason=True)
STAFF_OPEN = allow("staff", period=PERIOD_OPEN)
STAFF = allow("staff")
ADMIN = allow("admin")


@dataclass
class ModelPolicy:
    model: type
    label: str                                   # Indonesian name for messages
    fields: dict                                 # column -> Rule | tuple of Rules | SYSTEM | IMMUTABLE
    create: tuple = SYSTEM
    delete: tuple = SYSTEM
    parent: tuple | None = None                  # (fk column, relationship, parent model)
    anchor: str | None = None                    # how the row's state is loaded: plan/result/assignment/period
    period_bound: bool = False                   # under the closed-period lock
    audited: str | None = None                   # "all", "changes" (no insert rows) or None
    enforced: bool = True                        # the session guard applies `fields`/`create`/`delete`
    labels: dict = field(default_factory=dict)   # Indonesian field names for messages
    masked_roles: frozenset = frozenset()        # assignment roles whose rater stays anonymous in the audit
    window: str | None = None                    # column of the periodic window whose dates the rules read
    private: frozenset = frozenset()             # fields whose values never enter the audit trail


TECHNICAL = {"id", "version", "created_at", "updated_at"}  # kept by the ORM itself

POLICIES: list[ModelPolicy] = [
    # --- the appraisal record -----------------------------------------------------------------
    ModelPolicy(
        WorkPlan, "SKP", anchor="plan", period_bound=True, audited="all",
        create=(allow("staff", period={"draft", "planning", "running"}),),
        delete=(allow("admin", plan="draft", period=PERIOD_PLANNING),),
        fields={
            "period_id": IMMUTABLE, "employee_id": IMMUTABLE,
            # derived from the hierarchy when the period opens; changed by BKPSDM with a reason
            "rater_id": HIERARCHY, "rater_superior_id": HIERARCHY, "unit_id": HIERARCHY,
            "position_id": HIERARCHY,
            # the workflow's own stamps
            "status": SYSTEM, "return_reason": SYSTEM, "submitted_at": SYSTEM, "approved_at": SYSTEM,
            "approved_by_id": SYSTEM,
            # the rater's judgement (PermenPANRB 6/2022): never the subject's
            "hasil_rating": JUDGEMENT, "perilaku_rating": JUDGEMENT, "innovation": JUDGEMENT,
            "innovation_note": JUDGEMENT, "feedback": JUDGEMENT,
        },
        labels={"period_id": "periode", "employee_id": "pegawai", "rater_id": "pejabat penilai",
                "rater_superior_id": "atasan pejabat penilai", "unit_id": "unit kerja", "position_id": "jabatan",
                "status": "status", "return_reason": "alasan dikembalikan", "submitted_at": "waktu diajukan",
                "approved_at": "waktu disetujui", "approved_by_id": "penyetuju",
                "hasil_rating": "rating hasil kerja", "perilaku_rating": "rating perilaku",
                "innovation": "inovasi", "innovation_note": "catatan inovasi", "feedback": "umpan balik penilai"}),
    ModelPolicy(
        Target, "sasaran (RHK)", parent=("work_plan_id", "work_plan", WorkPlan), period_bound=True,
        audited="all", create=(SKP_CONTENT,), delete=(SKP_CONTENT,),
        fields={"work_plan_id": IMMUTABLE, "seq": SKP_CONTENT, "description": SKP_CONTENT,
                # the plan's period: set with the plan (a form's SKP field writes both), kept equal to
                # it by the database (the key (work_plan_id, period_id))
                "period_id": IMMUTABLE,
                # the cascade (intervensi): part of the SKP's content; which links are valid is the
                # invariant cascade_link (kinerja_admin.planning.cascade)
                "parent_target_id": SKP_CONTENT, "org_indicator_id": SKP_CONTENT},
        labels={"work_plan_id": "SKP", "seq": "nomor urut", "description": "rencana hasil kerja",
                "parent_target_id": "RHK atasan yang diintervensi",
                "org_indicator_id": "indikator kinerja organisasi"}),
    ModelPolicy(
        Indicator, "indikator", parent=("target_id", "target", Target), period_bound=True, audited="all",
        create=(SKP_CONTENT,), delete=(SKP_CONTENT,),
        fields={"target_id": IMMUTABLE, "period_id": IMMUTABLE, "aspect": SKP_CONTENT, "description": SKP_CONTENT,
                "target_value": SKP_CONTENT, "unit_label": SKP_CONTENT, "lower_is_better": SKP_CONTENT,
                "formula_code": SKP_CONTENT},
        labels={"target_id": "sasaran", "aspect": "aspek", "description": "indikator", "target_value": "target",
                "unit_label": "satuan", "lower_is_better": "makin kecil makin baik", "formula_code": "rumus"}),
    ModelPolicy(
        Realisation, "realisasi", parent=("indicator_id", "indicator", Indicator), period_bound=True,
        audited="all", create=(REALISATION,), delete=(REALISATION,),
        fields={"indicator_id": IMMUTABLE, "period_id": IMMUTABLE, "value": REALISATION, "evidence_url": REALISATION,
                "evidence_note": REALISATION, "feedback": RATER_FEEDBACK,
                "recorded_by_id": SYSTEM,  # stamped with the acting user by the guard
                # the annual realisation written from the periodic ones (kinerja_admin.periodic)
                "derived": SYSTEM},
        labels={"indicator_id": "indikator", "value": "nilai realisasi", "evidence_url": "tautan bukti",
                "evidence_note": "catatan bukti", "feedback": "umpan balik penilai", "recorded_by_id": "pencatat"}),
    # evidence files: uploaded by the employee with the realisation, never changed (a wrong file is
    # removed and uploaded again); type and size are checked by kinerja_admin.skp.evidence
    ModelPolicy(
        EvidenceFile, "berkas bukti dukung", parent=("realisation_id", "realisation", Realisation),
        period_bound=True, audited="all", create=(REALISATION,), delete=(REALISATION,),
        fields={"realisation_id": IMMUTABLE, "period_id": IMMUTABLE, "filename": IMMUTABLE, "content_type": IMMUTABLE,
                "size": IMMUTABLE,
                "sha256": IMMUTABLE, "content": IMMUTABLE,
                "recorded_by_id": SYSTEM},  # stamped with the acting user by the guard
        labels={"realisation_id": "realisasi", "filename": "nama berkas", "content_type": "jenis berkas",
                "size": "ukuran", "sha256": "sidik berkas", "content": "isi berkas", "recorded_by_id": "pengunggah"}),
    # the rater's judgement of each RHK (PermenPANRB 6/2022), beside the overall one on the plan
    ModelPolicy(
        TargetJudgement, "penilaian RHK", parent=("target_id", "target", Target), period_bound=True,
        audited="all", create=(JUDGEMENT,), delete=(JUDGEMENT,),
        fields={"target_id": IMMUTABLE, "category": JUDGEMENT, "feedback": JUDGEMENT,
                "recorded_by_id": SYSTEM},  # stamped with the acting user by the guard
        labels={"target_id": "RHK", "category": "penilaian RHK", "feedback": "umpan balik RHK",
                "recorded_by_id": "penilai"}),
    # --- through the year (issue 18) ----------------------------------------------------------------
    # periodic evaluation windows of a period (bulanan / triwulanan / semesteran): BKPSDM
    ModelPolicy(
        SubPeriod, "jendela evaluasi periodik", anchor="period", period_bound=True, audited="all",
        create=(STAFF_OPEN,), delete=(STAFF_OPEN,),
        fields={"period_id": IMMUTABLE, "frequency": IMMUTABLE, "seq": IMMUTABLE, "name": STAFF_OPEN,
                "start_date": STAFF_OPEN, "end_date": STAFF_OPEN, "due_date": STAFF_OPEN},
        labels={"period_id": "periode", "frequency": "frekuensi", "seq": "urutan", "name": "nama",
                "start_date": "tanggal mulai", "end_date": "tanggal selesai", "due_date": "batas waktu"}),
    ModelPolicy(
        PeriodicRealisation, "realisasi periodik", parent=("indicator_id", "indicator", Indicator),
        period_bound=True, audited="all", window="sub_period_id",
        create=(PERIODIC_REALISATION,), delete=(PERIODIC_REALISATION,),
        fields={"indicator_id": IMMUTABLE, "sub_period_id": IMMUTABLE, "value": PERIODIC_REALISATION,
                "evidence_url": PERIODIC_REALISATION, "evidence_note": PERIODIC_REALISATION,
                "recorded_by_id": SYSTEM},  # stamped with the acting user by the guard
        labels={"indicator_id": "indikator", "sub_period_id": "jendela evaluasi", "value": "realisasi periodik",
                "evidence_url": "tautan bukti", "evidence_note": "catatan bukti", "recorded_by_id": "pencatat"}),
    ModelPolicy(
        PeriodicJudgement, "penilaian periodik RHK", parent=("target_id", "target", Target),
        period_bound=True, audited="all", window="sub_period_id",
        create=(PERIODIC_JUDGEMENT,), delete=(PERIODIC_JUDGEMENT,),
        fields={"target_id": IMMUTABLE, "sub_period_id": IMMUTABLE, "category": PERIODIC_JUDGEMENT,
                "feedback": PERIODIC_JUDGEMENT, "recorded_by_id": SYSTEM},
        labels={"target_id": "RHK", "sub_period_id": "jendela evaluasi", "category": "penilaian periodik",
                "feedback": "umpan balik periodik", "recorded_by_id": "penilai"}),
    # append-only: a message is never changed or removed once posted (the author included)
    ModelPolicy(
        FeedbackMessage, "umpan balik berkelanjutan", parent=("work_plan_id", "work_plan", WorkPlan),
        period_bound=True, audited="all", create=(FEEDBACK,),
        fields={"work_plan_id": IMMUTABLE, "target_id": IMMUTABLE, "body": IMMUTABLE,
                "recorded_by_id": SYSTEM},  # the author, stamped by the guard
        labels={"work_plan_id": "SKP", "target_id": "RHK", "body": "pesan", "recorded_by_id": "penulis"}),
    # private: seen by the rater and the employee only (kinerja_admin.scope, for every role); its text
    # never enters the audit trail
    ModelPolicy(
        CoachingNote, "catatan bimbingan/konseling", parent=("work_plan_id", "work_plan", WorkPlan),
        period_bound=True, audited="all", create=(COACHING,), private=frozenset({"body"}),
        fields={"work_plan_id": IMMUTABLE, "kind": IMMUTABLE, "body": IMMUTABLE, "recorded_by_id": SYSTEM},
        labels={"work_plan_id": "SKP", "kind": "jenis", "body": "catatan", "recorded_by_id": "penulis"}),
    ModelPolicy(
        SpecialExpectation, "ekspektasi khusus pimpinan", parent=("work_plan_id", "work_plan", WorkPlan),
        period_bound=True, audited="all", create=(EXPECTATION,), delete=(EXPECTATION,),
        fields={"work_plan_id": IMMUTABLE, "aspect_id": EXPECTATION, "text": EXPECTATION,
                "category_hint": EXPECTATION},
        labels={"work_plan_id": "SKP", "aspect_id": "aspek perilaku", "text": "ekspektasi",
                "category_hint": "kategori"}),
    ModelPolicy(
        RaterAssignment, "penugasan penilai", anchor="assignment", period_bound=True, audited="all",
        masked_roles=frozenset({"rekan", "bawahan"}),
        create=(allow("staff", period=PERIOD_OPEN),),
        delete=(allow("staff", assignment="pending", period=PERIOD_OPEN),),
        fields={"period_id": IMMUTABLE, "ratee_id": IMMUTABLE, "role": IMMUTABLE,
                "rater_id": (CREATOR, allow("admin", assignment="pending", period=PERIOD_OPEN)),
                "status": SYSTEM, "submitted_at": SYSTEM},
        labels={"period_id": "periode", "ratee_id": "pegawai dinilai", "role": "peran penilai",
                "rater_id": "penilai", "status": "status", "submitted_at": "waktu dikirim"}),
    ModelPolicy(
        BehaviourRating, "nilai perilaku", parent=("assignment_id", "assignment", RaterAssignment),
        period_bound=True, audited="all",
        create=(allow("assigned_rater", assignment="pending", period=PERIOD_REALISING),),
        fields={"assignment_id": IMMUTABLE, "aspect_id": IMMUTABLE,
                # the assignment's key, copied from it and kept equal to it by the database
                "period_id": SYSTEM, "assignment_status": SYSTEM, "ratee_id": SYSTEM, "role": SYSTEM,
                "value": allow("assigned_rater", assignment="pending", period=PERIOD_REALISING),
                "comment": allow("assigned_rater", assignment="pending", period=PERIOD_REALISING)},
        labels={"assignment_id": "penugasan", "aspect_id": "aspek", "value": "nilai", "comment": "komentar"}),
    ModelPolicy(
        ScoreResult, "hasil penilaian", anchor="result", period_bound=True, audited="all",
        # computed by the scoring engine, moved by the score workflow, changed after publication only
        # by an objection decision: nobody edits a result as a plain record
        fields={c: SYSTEM for c in (
            "period_id", "employee_id", "work_plan_id", "unit_id", "scheme_id", "scheme_version", "skp_value",
            "behaviour_value", "atasan_avg", "rekan_avg", "bawahan_avg", "diri_avg", "masyarakat_avg",
            "final_value", "hasil_category", "perilaku_category", "predicate", "status", "computed_at",
            "approved_at", "approved_by_id", "published_at",
            # the inputs the engine used and its note (for the explanation and the inspector workbook)
            "innovation", "structural", "hasil_source", "perilaku_source", "public_responses", "public_score_sum",
            "note")},
        labels={"predicate": "predikat", "final_value": "nilai akhir", "status": "status"}),
    ModelPolicy(
        ScoreDetail, "rincian nilai", parent=("result_id", "result", ScoreResult), period_bound=True,
        audited="all", fields={c: SYSTEM for c in ("result_id", "period_id", "role", "aspect_id", "average",
                                                   "raters")}),
    ModelPolicy(
        Objection, "keberatan", parent=("result_id", "result", ScoreResult), period_bound=True, audited="all",
        # filed by the subject and decided by the decider through workflow.objection, never edited
        fields={c: SYSTEM for c in (
            "result_id", "period_id", "employee_id", "decider_id", "reasons", "status", "filed_at", "decided_at",
            "decided_by_id", "decision_reason", "new_predicate", "new_value", "old_predicate", "old_value")},
        labels={"decider_id": "pemutus", "new_value": "nilai baru", "new_predicate": "predikat baru"}),
    ModelPolicy(
        Period, "periode", anchor="period", audited="all",
        create=(STAFF,), delete=(allow("admin", period="draft"),),
        fields={"code": STAFF_OPEN, "name": STAFF_OPEN, "start_date": STAFF_OPEN, "end_date": STAFF_OPEN,
                # ends of the planning and assessment stages (deadline reminders)
                "planning_until": STAFF_OPEN, "assessment_until": STAFF_OPEN,
                # while the period has no result; afterwards only through "Ganti skema" (workflow.period)
                "scheme_id": allow("staff", period=PERIOD_OPEN, when="no_results"),
                # the period workflow; published_at: publishing its organisational data (planning.publication)
                "status": SYSTEM, "published_at": SYSTEM},
        labels={"code": "kode", "name": "nama", "start_date": "tanggal mulai", "end_date": "tanggal selesai",
                "scheme_id": "skema penilaian", "status": "status", "planning_until": "batas perencanaan",
                "assessment_until": "batas penilaian"}),
    ModelPolicy(
        UnitRating, "predikat organisasi", anchor="period", period_bound=True, audited="all",
        create=(STAFF_OPEN,), delete=(STAFF_OPEN,),
        fields={"period_id": IMMUTABLE, "unit_id": IMMUTABLE, "rating": STAFF_OPEN},
        labels={"rating": "predikat kinerja organisasi"}),
    ModelPolicy(
        PublicFeedback, "umpan balik publik", anchor="period", period_bound=True, audited="changes",
        create=(allow("public", period=PERIOD_OPEN),),
        fields={**{c: IMMUTABLE for c in (
            "period_id", "unit_id", "service_id", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9",
            "employee_id", "employee_score", "comment", "client_hash", "fingerprint", "respondent_key",
            "employee_key")},
            # held on arrival when part of a burst; released or rejected only by moderation (rating.feedback)
            "status": (CREATOR,), "held_reason": (CREATOR,), "moderated_by_id": SYSTEM, "moderated_at": SYSTEM,
            "comment_hidden": STAFF_OPEN},
        labels={"comment_hidden": "komentar disembunyikan", "status": "status moderasi"}),
    # --- organisational performance (kinerja_admin.planning): BKPSDM maintains it per OPD and period ---
    *(ModelPolicy(m, label, anchor="period", period_bound=True, audited="all",
                  create=(STAFF_OPEN,), delete=(STAFF_OPEN,),
                  fields={c.key: STAFF_OPEN for c in m.__table__.columns if c.key not in TECHNICAL})
      for m, label in ((PerformanceAgreement, "perjanjian kinerja"), (Program, "program/kegiatan"),
                       (OrgIndicator, "indikator kinerja organisasi"))),
    ModelPolicy(StrategicGoal, "sasaran strategis", parent=("agreement_id", "agreement", PerformanceAgreement),
                period_bound=True, audited="all", create=(STAFF_OPEN,), delete=(STAFF_OPEN,),
                fields={c.key: STAFF_OPEN for c in StrategicGoal.__table__.columns if c.key not in TECHNICAL}),
    ModelPolicy(OrgRealisation, "realisasi indikator organisasi", parent=("indicator_id", "indicator", OrgIndicator),
                period_bound=True, audited="all", create=(STAFF_OPEN,), delete=(STAFF_OPEN,),
                fields={**{c.key: STAFF_OPEN for c in OrgRealisation.__table__.columns if c.key not in TECHNICAL},
                        "recorded_by_id": SYSTEM}),  # stamped with the acting user by the guard
    # a recorded policy or program change (dated, not bound to one period)
    ModelPolicy(PolicyChange, "perubahan kebijakan", audited="all", enforced=False,
                fields={c.key: STAFF for c in PolicyChange.__table__.columns if c.key not in TECHNICAL},
                create=(STAFF,), delete=(STAFF,)),
    # --- master data and configuration: rights by view (kinerja_admin.permissions), no row states ---
    *(ModelPolicy(m, m.__tablename__, enforced=False,
                  fields={c.key: STAFF for c in m.__table__.columns if c.key not in TECHNICAL},
                  create=(STAFF,), delete=(STAFF,))
      for m in (Unit, Position, Employee, PublicService, ScoringScheme, ComponentWeight, RaterRoleWeight,
                BehaviourAspect, SchemeFormula, AchievementBand, PredicateBand, PredicateMatrixCell,
                CategoryThreshold, DistributionRule)),
    *(ModelPolicy(m, m.__tablename__, enforced=False,
                  fields={c.key: ADMIN for c in m.__table__.columns if c.key not in TECHNICAL},
                  create=(ADMIN,), delete=(ADMIN,))
      for m in (PositionKind, Rank, IkmElement, IkmBand, Setting, User)),
    # acting superiors (Plt/Plh): BKPSDM records them; while in force their holder has the rights of the
    # superior they stand in for (kinerja_admin.delegation, through policy.check.relations)
    ModelPolicy(Delegation, "Plt/Plh", audited="all", create=(STAFF,), delete=(STAFF,),
                fields={c.key: STAFF for c in Delegation.__table__.columns if c.key not in TECHNICAL},
                labels={"holder_id": "pelaksana", "principal_id": "pejabat yang digantikan", "unit_id": "unit kerja",
                        "start_date": "tanggal mulai", "end_date": "tanggal selesai", "kind": "jenis",
                        "decree": "nomor surat perintah", "note": "keterangan"}),
    # notifications (kinerja_admin.notify): created by the workflows' event hook and the reminder job,
    # read and marked read by their recipient, preferences by their owner, through the notify services
    *(ModelPolicy(m, label, enforced=False,
                  fields={c.key: SYSTEM for c in m.__table__.columns if c.key not in TECHNICAL})
      for m, label in ((Notification, "pemberitahuan"), (NotificationSetting, "pengaturan pemberitahuan"),
                       (NotificationOptout, "pemberitahuan yang tidak diterima"))),
    # background jobs (kinerja_admin.jobs): queued by a user with the right for the work, then written
    # only by the queue and the runner; the work itself obeys the rules of what it writes
    ModelPolicy(Job, "tugas latar", enforced=False,
                fields={c.key: SYSTEM for c in Job.__table__.columns if c.key not in TECHNICAL}),
    # editable guidance pages (Panduan): rights by view (admin all, operator edit)
    ModelPolicy(GuidePage, "halaman panduan", enforced=False,
                fields={c.key: STAFF for c in GuidePage.__table__.columns if c.key not in TECHNICAL},
                create=(ADMIN,), delete=(ADMIN,)),
    # consumed survey nonces: written only by the survey (public/feedback.py), never by a user
    ModelPolicy(SurveyNonce, "nonce survei", enforced=False,
                fields={c.key: SYSTEM for c in SurveyNonce.__table__.columns}),
    # append-only (workflow/guards.py): rows are only added, by the audit trail
    ModelPolicy(AuditLog, "jejak audit", enforced=False,
                fields={c.key: SYSTEM for c in AuditLog.__table__.columns if c.key not in TECHNICAL}),
]


@dataclass(frozen=True)
class Transition:
    """A workflow step: from `sources` to `target`, by `who`, while the period is in `periods`."""

    name: str
    sources: tuple
    target: str
    verb: str                       # Indonesian past participle for reports: "disetujui"
    who: tuple
    periods: tuple
    needs_reason: bool = False
    self_allowed: bool = False      # may the subject do it to their own record (submit, realise)
    plan_states: tuple = ()         # the SKP behind a result must be in one of these (empty: any)


PLAN_TRANSITIONS = {t.name: t for t in (
    Transition("submit", ("draft", "returned"), "submitted", "diajukan", ("subject", "staff"),
               ("planning", "running"), self_allowed=True),
    Transition("approve", ("submitted",), "approved", "disetujui", ("rater", "staff"), ("planning", "running")),
    Transition("return", ("submitted",), "returned", "dikembalikan", ("rater", "staff"), ("planning", "running"),
               needs_reason=True),
    # perubahan SKP: the rater reopens an approved plan for changes, with a reason
    Transition("revise", ("approved", "realised"), "draft", "dibuka untuk perubahan", ("rater",),
               ("planning", "running"), needs_reason=True),
    Transition("realise", ("approved",), "realised", "direalisasikan", ("subject", "rater", "staff"),
               ("running", "assessing"), self_allowed=True),
    Transition("assess", ("realised",), "assessed", "dinilai", ("rater", "staff"), ("running", "assessing")),
    Transition("finalise", ("assessed",), "final", "difinalkan", ("rater", "rater_superior", "staff"),
               ("assessing",)),
)}

SCORE_TRANSITIONS = {t.name: t for t in (
    # a result is signed off only once its SKP is assessed: from then on nothing that fed it moves
    Transition("approve", ("computed",), "approved", "disetujui", ("rater_superior", "staff"),
               ("running", "assessing"), plan_states=("assessed", "final")),
    Transition("publish", ("approved",), "published", "diumumkan", ("staff",), ("running", "assessing")),
)}

# Objections: the subject files against a published result; the decider (the rater's superior)
# decides, finally. Period statuses in which either may happen:
OBJECTION_PERIODS = ("running", "assessing")

# Invariants (check.INVARIANTS) enforced on every write, by name:
#  plan_raters        rater and rater's superior are never the subject, never the same person, and the
#                     rater is not below the subject in the supervisor hierarchy
#  objection_decider  the decider is neither the subject nor the rater whose judgement is contested;
#                     an accepted decision gives a value inside the scheme's scale and a predicate the
#                     scheme defines
#  assignment_pair    nobody rates themselves except in the role "diri"; the public role has no rater
#  indicator_formula  an indicator's formula is one the period's scheme allows for its aspect
#  period_scheme      a period's scheme changes only while the period has no result
#  feedback_thread    an RHK thread's RHK belongs to the SKP of the thread; a message has text
#  delegation_valid   a Plt/Plh never stands in for themselves
#  annual_derived     (users' writes) no annual realisation by hand where the scheme derives it from the
#                     periodic ones
#  cascade_link       (users' writes) an RHK intervenes in at most one thing: an RHK of its rater's
#                     approved SKP of the same period (no loop), or, for the OPD head, an indicator of
#                     its OPD and period
INVARIANTS = ("plan_raters", "objection_decider", "assignment_pair", "indicator_formula", "period_scheme",
              "cascade_link", "feedback_thread", "delegation_valid", "annual_derived")

WHO_TEXT = {
    "subject": "pegawai yang bersangkutan", "rater": "pejabat penilai", "rater_superior": "atasan pejabat penilai",
    "decider": "pemutus keberatan", "assigned_rater": "penilai yang ditugaskan", "staff": "operator/admin",
    "admin": "admin", "public": "masyarakat",
}
