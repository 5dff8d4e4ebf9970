"""Typed tables only: no Flask imports beyond the shared ``db`` object."""

from quiz_app.models.bank import Bank, Question, QuestionCategory, QuestionRevision
from quiz_app.models.org import ROLE_LABELS, Branch, Group, LoginFailure, Role, RoleGrant, User

__all__ = [
    "Bank",
    "Question",
    "QuestionCategory",
    "QuestionRevision",
    "ROLE_LABELS",
    "Branch",
    "Group",
    "LoginFailure",
    "Role",
    "RoleGrant",
    "User",
]
