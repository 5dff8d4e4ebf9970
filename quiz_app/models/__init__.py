"""Typed tables only: no Flask imports beyond the shared ``db`` object."""

from quiz_app.models import study as study  # registers the study tables
from quiz_app.models import survey as _survey  # noqa: F401  (registers the survey tables)
from quiz_app.models.attempt import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    PracticeAnswer,
    QuizDayTally,
    QuizItemTally,
    QuizResult,
    QuizScoreTally,
    RegradeEvent,
    WrongAnswer,
)
from quiz_app.models.bank import Bank, Question, QuestionCategory, QuestionRevision
from quiz_app.models.campaign import (
    AttemptCounting,
    Campaign,
    CampaignStatus,
    MultipleScoring,
    Quiz,
    QuizSection,
    ReviewPolicy,
)
from quiz_app.models.org import ROLE_LABELS, Branch, Group, LoginFailure, Role, RoleGrant, User
from quiz_app.models.points import PointEntry, PointRule  # noqa: F401
from quiz_app.models.reports import (  # noqa: F401
    ReportPhoto,
    ReportRequirement,
    ReportReview,
    ReportStatus,
    ReportVersion,
    StudyReport,
)
from quiz_app.models.security import AuditEntry, SessionKind, SignInSession

__all__ = [
    "ROLE_LABELS",
    "Attempt",
    "AttemptCounting",
    "AttemptItem",
    "AttemptStatus",
    "AuditEntry",
    "Bank",
    "Branch",
    "Campaign",
    "CampaignStatus",
    "Group",
    "LoginFailure",
    "MultipleScoring",
    "PracticeAnswer",
    "Question",
    "QuestionCategory",
    "QuestionRevision",
    "Quiz",
    "QuizDayTally",
    "QuizItemTally",
    "QuizResult",
    "QuizScoreTally",
    "QuizSection",
    "RegradeEvent",
    "ReviewPolicy",
    "Role",
    "RoleGrant",
    "SessionKind",
    "SignInSession",
    "User",
    "WrongAnswer",
]
from quiz_app.models import meetings as meetings  # registers the meeting tables
