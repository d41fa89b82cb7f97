"""Flask-Admin views. `init_admin(app)` builds a fresh Admin with every view for one app."""
from __future__ import annotations

from pathlib import Path

from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from models import (
    AuditLog,
    BehaviourRating,
    Delegation,
    Employee,
    GuidePage,
    IkmBand,
    IkmElement,
    Indicator,
    Objection,
    Period,
    Position,
    PositionKind,
    PublicFeedback,
    PublicService,
    Rank,
    RaterAssignment,
    Realisation,
    ScoreResult,
    ScoringScheme,
    Setting,
    SpecialExpectation,
    Target,
    Unit,
    UnitRating,
    User,
    WorkPlan,
)

from .appraisal import (
    BehaviourRatingView,
    IndicatorView,
    PeriodView,
    RaterAssignmentView,
    RealisationView,
    SpecialExpectationView,
    TargetView,
    WorkPlanView,
)
from .base import DashboardView
from .excel import ExcelImportView
from .jobs import JobsView
from .me import MeView, PrintView
from .org import EmployeeView, PositionKindView, PositionView, RankView, UnitView, UserView
from .planning import register as register_planning
from .public import FeedbackModerationView, IkmBandView, IkmElementView, PublicFeedbackView, PublicServiceView
from .rating import CompletenessView, IkmView, MyRatingsView
from .results import ObjectionView, ScoreResultView
from .rules import ScoringSchemeView, UnitRatingView
from .skp import SkpView
from .system import AuditLogView, GuidePageView, SettingView
from .year import DelegationView, NotificationsView, PeriodicView, TasksView

TRANSLATIONS = Path(__file__).resolve().parent.parent / "kinerja_admin" / "translations"

# menu categories
ORG = "Organisasi"
SKP = "Penilaian"
RULES = "Aturan Penilaian"
RESULTS = "Hasil"
PUBLIC = "Publik"
SYSTEM = "Sistem"


def init_admin(app) -> Admin:
    from kinerja_admin.security import csp_nonce

    admin = Admin(
        name="e-Kinerja",
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        index_view=DashboardView(name="Beranda", url="/admin", template="admin/dashboard.html"),
        translations_path=str(TRANSLATIONS),
        csp_nonce_generator=csp_nonce,
    )
    admin.init_app(app)
    add = admin.add_view
    add(UnitView(Unit, name="Unit Kerja", category=ORG))
    add(PositionView(Position, name="Jabatan", category=ORG))
    add(EmployeeView(Employee, name="Pegawai", category=ORG))
    add(PositionKindView(PositionKind, name="Jenis Jabatan", category=ORG))
    add(RankView(Rank, name="Pangkat/Golongan", category=ORG))
    add(DelegationView(Delegation, name="Plt/Plh", endpoint="delegation", category=ORG))
    add(MeView(name="Kinerja Saya", endpoint="me", url="/admin/saya"))
    add(TasksView(name="Tugas Saya", endpoint="tugas", url="/admin/tugas"))
    add(NotificationsView(name="Pemberitahuan", endpoint="notifikasi", url="/admin/notifikasi"))
    add(PrintView(name="Cetak Dokumen", endpoint="cetak", url="/admin/cetak"))
    add(ExcelImportView(name="Impor Excel", endpoint="excel_import", category=ORG))

    add(PeriodView(Period, name="Periode", category=SKP))
    add(SkpView(name="SKP Saya", endpoint="skp", url="/admin/skp", category=SKP))
    add(WorkPlanView(WorkPlan, name="SKP", category=SKP))
    add(TargetView(Target, name="Sasaran (RHK)", category=SKP))
    add(IndicatorView(Indicator, name="Indikator", category=SKP))
    add(RealisationView(Realisation, name="Realisasi", category=SKP))
    add(RaterAssignmentView(RaterAssignment, name="Penugasan Penilai", category=SKP))
    add(BehaviourRatingView(BehaviourRating, name="Nilai Perilaku", category=SKP))
    add(SpecialExpectationView(SpecialExpectation, name="Ekspektasi Khusus", category=SKP))
    add(MyRatingsView(name="Penilaian Perilaku Saya", endpoint="my_ratings", category=SKP))
    add(CompletenessView(name="Kelengkapan Penilai", endpoint="rating_completeness", category=SKP))
    add(PeriodicView(name="Evaluasi Periodik", endpoint="periodik", url="/admin/periodik", category=SKP))

    add(ScoringSchemeView(ScoringScheme, name="Skema Penilaian", category=RULES))
    add(UnitRatingView(UnitRating, name="Predikat Organisasi", category=RULES))

    add(ScoreResultView(ScoreResult, name="Hasil Penilaian", category=RESULTS))
    add(ObjectionView(Objection, name="Keberatan", category=RESULTS))

    add(PublicServiceView(PublicService, name="Layanan Publik", category=PUBLIC))
    add(PublicFeedbackView(PublicFeedback, name="Umpan Balik Publik", category=PUBLIC))
    add(FeedbackModerationView(PublicFeedback, name="Moderasi Umpan Balik", endpoint="feedback_moderation",
                               category=PUBLIC))
    add(IkmElementView(IkmElement, name="Unsur IKM", category=PUBLIC))
    add(IkmBandView(IkmBand, name="Mutu IKM", category=PUBLIC))
    add(IkmView(name="Indeks Kepuasan (IKM)", endpoint="ikm", category=PUBLIC))

    register_planning(admin, add)  # organisational performance, cascade, effectiveness (issue 17)

    add(UserView(User, name="Pengguna", category=SYSTEM))
    add(AuditLogView(AuditLog, name="Jejak Audit", category=SYSTEM))
    add(SettingView(Setting, name="Pengaturan", category=SYSTEM))
    add(GuidePageView(GuidePage, name="Halaman Panduan", category=SYSTEM))
    add(JobsView(name="Tugas", endpoint="jobs", url="/admin/jobs"))
    admin.add_link(MenuLink(name="Panduan", url="/panduan/"))
    return admin
