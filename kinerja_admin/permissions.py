"""Who may do what, as data: one declarative table of admin endpoint -> role -> rights.

Rights are letters: r = list/details, c = create, u = edit, d = delete, x = export, a = bulk actions.
A view whose endpoint is missing here is closed to everyone (and the access-matrix test fails),
so adding a view forces a decision about it. Row scope (which rows) lives in kinerja_admin.scope.
"""
from __future__ import annotations

ROLES = ("admin", "operator", "penilai", "pegawai", "inspektur")

_MASTER = {"admin": "rcudx", "operator": "rcudx", "inspektur": "rx"}
_REFERENCE = {"admin": "rcud", "operator": "r", "inspektur": "r"}
_RULES = {"admin": "rcudxa", "operator": "rcudxa", "inspektur": "rx"}
_PLANNING = {"admin": "rcudx", "operator": "rcudx", "inspektur": "rx", "penilai": "r", "pegawai": "r"}
_READ_ALL = {"admin": "rcud", "operator": "rcu", "inspektur": "r", "penilai": "r", "pegawai": "r"}

ACCESS: dict[str, dict[str, str]] = {
    # dashboard (admin index): every logged-in role
    "admin": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # organisation and people
    "unit": _MASTER,
    "position": _MASTER,
    "position_kind": _REFERENCE,
    "rank": _REFERENCE,
    "employee": {"admin": "rcudx", "operator": "rcudx", "inspektur": "rx", "penilai": "r", "pegawai": "r"},
    "user": {"admin": "rcud", "inspektur": "r"},
    # appraisal
    "period": _READ_ALL | {"admin": "rcuda", "operator": "rcua"},
    # Which fields of which record each of these may change in which state is the record policy's
    # (kinerja_admin.policy.rules); the letters here only open the screens. A penilai has an SKP too.
    # the SKP page and its assessment page (views.skp): a plan inside the reader's row scope; what each
    # viewer may change there, and which transitions they may take, is the record policy's and the
    # plan workflow's
    "skp": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    "work_plan": {"admin": "rcudxa", "operator": "rcuxa", "inspektur": "rx", "penilai": "rua", "pegawai": "ra"},
    "target": {"admin": "rcud", "operator": "rcud", "inspektur": "r", "penilai": "rcud", "pegawai": "rcud"},
    "indicator": {"admin": "rcud", "operator": "rcud", "inspektur": "r", "penilai": "rcud", "pegawai": "rcud"},
    # realisation and evidence are the employee's own, the rater adds feedback (a clerk with an SKP of
    # their own records theirs too): the policy refuses anything else
    "realisation": {"admin": "rcud", "operator": "rcud", "inspektur": "r", "penilai": "rcud", "pegawai": "rcud"},
    # operators add/remove assignments but never edit one (rater identities of peers and
    # subordinates are masked for everyone but admin, see views.appraisal.RaterAssignmentView)
    "rater_assignment": {"admin": "rcud", "operator": "rcd", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # 360 rating pages (views.rating): own rating forms, completeness per unit
    "my_ratings": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    "rating_completeness": {"admin": "ra", "operator": "ra", "inspektur": "r"},
    "behaviour_rating": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # ekspektasi khusus pimpinan: the rater's (the policy refuses anyone else)
    "special_expectation": {"admin": "rcud", "operator": "rcud", "inspektur": "r", "penilai": "rcud", "pegawai": "r"},
    # scoring rules
    "scoring_scheme": _RULES,
    "unit_rating": _RULES,
    # results
    # results change only through scoring, the score workflow and objection decisions: never edited
    "score_result": {"admin": "rxa", "operator": "rxa", "inspektur": "rx", "penilai": "ra", "pegawai": "r"},
    # filed in Kinerja Saya, decided on /admin/objection/decide/ by the rater's superior (workflow rule)
    "objection": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # public voice
    "public_service": _MASTER,
    "public_feedback": {"admin": "rxa", "operator": "rxa", "inspektur": "rx"},  # a: hide/show comments, moderate
    # responses held back by burst detection (views.public.FeedbackModerationView): a = release/reject
    "feedback_moderation": {"admin": "ra", "operator": "ra", "inspektur": "r"},
    "ikm": {"admin": "r", "operator": "r", "inspektur": "r"},
    "ikm_element": _REFERENCE,
    "ikm_band": _REFERENCE,
    # organisational performance (issue 17): BKPSDM maintains it, auditors read and export, an OPD's
    # people read their own OPD's rows (row scope: kinerja_admin.scope)
    "performance_agreement": _PLANNING,
    "strategic_goal": _PLANNING,
    "program": _PLANNING,
    "org_indicator": _PLANNING,
    "org_realisation": _PLANNING,
    "policy_change": {"admin": "rcud", "operator": "rcud", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # cascade tree per OPD (views.planning.CascadeView): everyone, inside the OPD scope
    "cascade": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # effectiveness pages (views.planning.EffectivenessView); a = publish a period's program data
    "effectiveness": {"admin": "ra", "operator": "ra", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # programs workbook (views.planning.PlanningImportView): r = page and template, c = upload
    "planning_import": {"admin": "rc", "operator": "rc", "inspektur": "r"},
    # system
    "audit_log": {"admin": "rx", "inspektur": "rx"},
    "setting": {"admin": "ru", "operator": "r", "inspektur": "r"},
    # Panduan pages (views.system.GuidePageView): BKPSDM runs the sosialisasi and edits the text
    "guide_page": {"admin": "rcud", "operator": "ru", "inspektur": "r"},
    # background jobs page (views.jobs.JobsView): everyone sees their own jobs; starting one needs the
    # right of the work itself (period 'a', score_result 'x', excel_import 'c'), checked again when it runs
    "jobs": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # Excel master-data import page (views.excel.ExcelImportView): r = page and template, c = upload
    "excel_import": {"admin": "rc", "operator": "rc", "inspektur": "r"},
    # Kinerja Saya (views.me.MeView): own results only; accounts without an employee record get a notice
    "me": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # through the year (issue 18): one's own notifications and worklist (every role; rows are the user's)
    "notifikasi": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    "tugas": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
    # acting superiors (Plt/Plh): BKPSDM records them, auditors read them
    "delegation": {"admin": "rcud", "operator": "rcud", "inspektur": "r"},
    # periodic evaluation windows (a = make them) and the allowance export (x, a background job)
    "periodik": {"admin": "rxa", "operator": "rxa", "inspektur": "rx"},
    # printable SKP / evaluation documents (views.me.PrintView): rows inside the user's row scope
    "cetak": {"admin": "r", "operator": "r", "inspektur": "r", "penilai": "r", "pegawai": "r"},
}


def rights(endpoint: str, role: str | None) -> str:
    if not role:
        return ""
    return ACCESS.get(endpoint, {}).get(role, "")


def can(endpoint: str, role: str | None, right: str) -> bool:
    return right in rights(endpoint, role)
