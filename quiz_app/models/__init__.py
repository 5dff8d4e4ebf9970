"""Typed tables only: no Flask imports beyond the shared ``db`` object."""

from quiz_app.models import survey as _survey  # noqa: F401  (registers the survey tables)
from quiz_app.models.attempt import (
    ApiToken,
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

__all__ = [
    "ROLE_LABELS",
    "ApiToken",
    "Attempt",
    "AttemptCounting",
    "AttemptItem",
    "AttemptStatus",
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
    "User",
    "WrongAnswer",
]
