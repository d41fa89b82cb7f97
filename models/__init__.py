"""SQLAlchemy 2 typed models, one module per aggregate. Importing this package registers them all."""
from kinerja_admin.extensions import db
from kinerja_admin.links import install_link_guard
from kinerja_admin.numbers import install_model_guard

from .appraisal import EvidenceFile, Indicator, Period, Realisation, Target, TargetJudgement, WorkPlan
from .audit import AuditLog, Setting
from .guide import GuidePage
from .jobs import Job
from .org import Position, PositionKind, Rank, Unit
from .people import Employee, User
from .planning import (
    OrgIndicator,
    OrgRealisation,
    PerformanceAgreement,
    PolicyChange,
    Program,
    StrategicGoal,
)
from .public import IkmBand, IkmElement, PublicFeedback, PublicService, SurveyNonce
from .rating import BehaviourRating, RaterAssignment, SpecialExpectation
from .results import Objection, ScoreDetail, ScoreResult
from .rules import (
    AchievementBand,
    BehaviourAspect,
    CategoryThreshold,
    ComponentWeight,
    DistributionRule,
    PredicateBand,
    PredicateMatrixCell,
    RaterRoleWeight,
    SchemeFormula,
    ScoringScheme,
    UnitRating,
)
from .year import (
    CoachingNote,
    Delegation,
    FeedbackMessage,
    Notification,
    NotificationOptout,
    NotificationSetting,
    PeriodicJudgement,
    PeriodicRealisation,
    SubPeriod,
)

# No ORM path stores NaN, Infinity or a number beyond its column's precision (kinerja_admin.numbers).
install_model_guard(db.Model)
install_link_guard(db.Model)

__all__ = [
    "db", "AchievementBand", "AuditLog", "BehaviourAspect", "BehaviourRating", "CategoryThreshold",
    "ComponentWeight", "DistributionRule", "Employee", "EvidenceFile", "GuidePage", "Job", "IkmBand", "IkmElement",
    "Indicator", "Objection", "OrgIndicator", "OrgRealisation", "PerformanceAgreement", "Period", "PolicyChange",
    "Position", "PositionKind", "PredicateBand", "PredicateMatrixCell", "Program",
    "PublicFeedback", "PublicService", "SurveyNonce", "Rank", "RaterAssignment", "RaterRoleWeight", "Realisation",
    "SchemeFormula", "ScoreDetail", "ScoreResult", "ScoringScheme", "Setting", "SpecialExpectation",
    "StrategicGoal", "Target", "TargetJudgement", "Unit", "UnitRating", "User", "WorkPlan",
    "CoachingNote", "Delegation", "FeedbackMessage", "Notification", "NotificationOptout", "NotificationSetting",
    "PeriodicJudgement", "PeriodicRealisation", "SubPeriod",
]
