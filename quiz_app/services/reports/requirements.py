"""Report requirements (一学一报): creating them, who they are for, and who may do what.

The audience has a campaign's shape (branches with their subtrees, narrowed by groups), so
``services.audience`` decides it (``in_audience``: whether someone must write this report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from quiz_app.extensions import db
from quiz_app.models import (
    Branch,
    Campaign,
    ReportRequirement,
    StudyReport,
    User,
)
from quiz_app.services import access
from quiz_app.services.audience import in_audience, set_audience

MAX_MIN_CHARS = 5000
MAX_PHOTOS = 9


class ReportError(ValueError):
    """Something about a report that is refused; ``status`` is the HTTP code, the message is
    shown as is."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RequirementData:
    """What an organizer fills in (times already UTC)."""

    title: str
    instructions: str
    due_at: datetime
    min_chars: int
    max_photos: int
    branch_ids: list[int]
    group_ids: list[int]
    campaign_id: int | None = None
    subject_kind: str | None = None
    subject_id: int | None = None


def _check(data: RequirementData, user: User) -> list[str]:
    problems = []
    if not data.title.strip():
        problems.append("【标题】不能为空")
    elif len(data.title.strip()) > 200:
        problems.append("【标题】不能超过200个字")
    if not 0 <= data.min_chars <= MAX_MIN_CHARS:
        problems.append(f"【最少字数】应在 0 到 {MAX_MIN_CHARS} 之间")
    if not 0 <= data.max_photos <= MAX_PHOTOS:
        problems.append(f"【照片】最多可设 {MAX_PHOTOS} 张")
    if not data.branch_ids:
        problems.append("【报送范围】请至少选择一个部门")
    if data.campaign_id is not None:
        campaign = db.session.get(Campaign, data.campaign_id)
        if campaign is None:
            problems.append("【所属活动】找不到这个活动")
        elif not access.can_edit_campaign(user, campaign):
            problems.append("【所属活动】您不能给这个活动添加要求")
    return problems


def save_requirement(
    data: RequirementData, by: User, requirement: ReportRequirement | None = None
) -> ReportRequirement:
    """Create (or edit) a requirement; all fields checked first, nothing written on an error."""
    problems = _check(data, by)
    if problems:
        raise ReportError("；".join(problems))
    if requirement is None:
        requirement = ReportRequirement(created_by_id=by.id)
        db.session.add(requirement)
    requirement.title = data.title.strip()
    requirement.instructions = data.instructions.strip()
    requirement.due_at = data.due_at
    requirement.min_chars = data.min_chars
    requirement.max_photos = data.max_photos
    requirement.campaign_id = data.campaign_id
    requirement.subject_kind = data.subject_kind
    requirement.subject_id = data.subject_id
    set_audience(requirement, data.branch_ids, data.group_ids)
    db.session.flush()
    return requirement


# --- who may do what -----------------------------------------------------------------------------


def can_manage(user: User, requirement: ReportRequirement) -> bool:
    """The requirement's creator and admins edit it, see every report and export them."""
    return access.is_admin(user) or (
        access.can_organize(user) and requirement.created_by_id == user.id
    )


def _secretary_roots(user: User) -> list[Branch]:
    """The party organisations a 支部书记 runs, with the branches each covers (a 党支部 may
    cover several 处室): the people whose reports they review."""
    from quiz_app.services.meetings.records import covered_branches

    scope = access.secretary_scope(user) or []
    return [*scope, *(b for root in scope for b in covered_branches(root))]


def can_review(user: User, report: StudyReport) -> bool:
    """Who approves or returns a report: the requirement's creator, an admin, or the secretary
    of the party organisation the author belongs to — never the author."""
    if user.id == report.user_id:
        return False
    if can_manage(user, report.requirement):
        return True
    author = report.user.branch
    return any(author.path.startswith(root.path) for root in _secretary_roots(user))


def can_see_counts(user: User, requirement: ReportRequirement) -> bool:
    """Counts and the not-yet list: managers (everything), leaders (their subtree) and
    secretaries (their organisation)."""
    return (
        can_manage(user, requirement) or access.can_lead(user) or bool(access.secretary_scope(user))
    )


def counts_scope(user: User, requirement: ReportRequirement) -> sa.Select[tuple[int]] | None:
    """Branch ids whose people the user's counts and exports cover; None: all of the audience."""
    if can_manage(user, requirement):
        return None
    roots = (access.leader_scope(user) or []) if access.can_lead(user) else []
    if access.can_lead(user) and access.leader_scope(user) is None:
        return None
    roots = [*roots, *_secretary_roots(user)]
    if not roots:
        return sa.select(Branch.id).where(sa.false())
    return sa.select(Branch.id).where(sa.or_(*(Branch.path.startswith(r.path) for r in roots)))


def visible_requirements(user: User) -> list[ReportRequirement]:
    """Requirements on the organizer/leader list, newest due first: admins see all, organizers
    their own, leaders those whose audience reaches into their part of the tree."""
    rows = list(
        db.session.scalars(
            sa.select(ReportRequirement).order_by(
                ReportRequirement.due_at.desc(), ReportRequirement.id.desc()
            )
        )
    )
    if access.is_admin(user):
        return rows
    scope = access.leader_scope(user) if access.can_lead(user) else []
    if scope is None:
        return rows
    scope = [*scope, *_secretary_roots(user)]

    def reaches(r: ReportRequirement) -> bool:
        return any(
            b.path.startswith(root.path) or root.path.startswith(b.path)
            for b in r.branches
            for root in scope or []
        )

    return [r for r in rows if can_manage(user, r) or reaches(r)]


def requirements_for(user: User) -> list[ReportRequirement]:
    """The requirements ``user`` must write for, soonest due first."""
    rows = db.session.scalars(
        sa.select(ReportRequirement)
        .options(selectinload(ReportRequirement.branches), selectinload(ReportRequirement.groups))
        .order_by(ReportRequirement.due_at, ReportRequirement.id)
    )
    return [r for r in rows if in_audience(user, r)]


def report_of(user: User, requirement: ReportRequirement) -> StudyReport | None:
    return db.session.scalar(
        sa.select(StudyReport).where(
            StudyReport.requirement_id == requirement.id, StudyReport.user_id == user.id
        )
    )


def describe(requirement: ReportRequirement) -> dict[str, Any]:
    """Words for the audience line: "办公室、党建科；限 党员"."""
    names = "、".join(b.name for b in requirement.branches) or "未选择"
    if requirement.groups:
        names += "；限 " + "、".join(g.name for g in requirement.groups)
    return {"audience": names}
