"""SQLAlchemy 2 typed models, one module per aggregate. Importing this package registers them all."""
from kinerja_admin.extensions import db
from kinerja_admin.numbers import install_model_guard

from .appraisal import Indicator, Period, Realisation, Target, WorkPlan
from .audit import AuditLog, Setting
from .org import Position, PositionKind, Rank, Unit
from .people import Employee, User
from .public import IkmBand, IkmElement, PublicFeedback, PublicService
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

# No ORM path stores NaN, Infinity or a number beyond its column's precision (kinerja_admin.numbers).
install_model_guard(db.Model)

__all__ = [
    "db", "AchievementBand", "AuditLog", "BehaviourAspect", "BehaviourRating", "CategoryThreshold",
    "ComponentWeight", "DistributionRule", "Employee", "IkmBand", "IkmElement", "Indicator",
    "Objection", "Period", "Position", "PositionKind", "PredicateBand", "PredicateMatrixCell",
    "PublicFeedback", "PublicService", "Rank", "RaterAssignment", "RaterRoleWeight", "Realisation",
    "SchemeFormula", "ScoreDetail", "ScoreResult", "ScoringScheme", "Setting", "SpecialExpectation",
    "Target", "Unit", "UnitRating", "User", "WorkPlan",
]
