"""Who sees which statistics: the scope of a campaign for a person, and the part of the tree a report covers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from quiz_app.extensions import db
from quiz_app.models import (
    Branch,
    Campaign,
    CampaignStatus,
    Quiz,
    User,
)
from quiz_app.models.campaign import campaign_branch
from quiz_app.services import access
from quiz_app.services.stats.common import (
    StatsDenied,
)

# --- scope -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The branches a person sees figures for: ``roots`` and their subtrees, or all (None)."""

    roots: tuple[Branch, ...] | None

    def contains(self, branch: Branch) -> bool:
        return self.roots is None or any(branch.path.startswith(r.path) for r in self.roots)


def _under(path_col: Any, roots: Sequence[Branch]) -> sa.ColumnElement[bool]:
    if not roots:
        return sa.false()
    return sa.or_(*(path_col.startswith(r.path) for r in roots))


class Focus(list[Branch]):
    """The branches whose subtrees a report covers; ``whole`` when that is the entire tree."""

    whole: bool = False


def _within(branch_col: Any, focus: Sequence[Branch]) -> sa.ColumnElement[bool]:
    """``branch_col`` names a branch in the focus subtrees. When the focus is the whole tree
    (an admin, a bureau-wide leader) this is no condition at all, which spares each figure's
    query a join over the branch table."""
    if getattr(focus, "whole", False):
        return sa.true()
    roots = set(db.session.scalars(sa.select(Branch.id).where(Branch.parent_id.is_(None))))
    if roots and roots <= {b.id for b in focus}:
        return sa.true()
    return branch_col.in_(sa.select(Branch.id).where(_under(Branch.path, focus)))


def _overlaps(campaign_paths: Sequence[str], roots: Sequence[Branch]) -> bool:
    return any(p.startswith(r.path) or r.path.startswith(p) for p in campaign_paths for r in roots)


def may_view_stats(user: User) -> bool:
    return access.can_lead(user) or access.can_organize(user)


def campaign_scope(user: User, campaign: Campaign) -> Scope:
    """What ``user`` may see of ``campaign``; StatsDenied(403) when nothing."""
    if access.can_edit_campaign(user, campaign):
        return Scope(None)
    if campaign.status == CampaignStatus.DRAFT:
        raise StatsDenied(403, "活动尚未发布，统计只对其创建者和协作者可见")
    if access.can_lead(user):
        roots = access.leader_scope(user)
        if roots is None:
            return Scope(None)
        if roots and _overlaps([b.path for b in campaign.branches], roots):
            return Scope(tuple(roots))
    raise StatsDenied(403, "您无权查看该活动的统计")


def visible_campaigns(user: User) -> list[Campaign]:
    """Campaigns (not drafts) the person may see figures for, newest first."""
    stmt = (
        sa.select(Campaign)
        .where(Campaign.status != CampaignStatus.DRAFT)
        .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
    )
    if access.is_admin(user):
        return list(db.session.scalars(stmt))
    conditions: list[sa.ColumnElement[bool]] = []
    if access.can_organize(user):
        conditions.append(access.editable_campaigns_clause(user))
    if access.can_lead(user):
        roots = access.leader_scope(user)
        if roots is None:
            return list(db.session.scalars(stmt))
        if roots:
            aud = aliased(Branch)
            overlap = sa.or_(
                *(
                    sa.or_(aud.path.startswith(r.path), sa.literal(r.path).startswith(aud.path))
                    for r in roots
                )
            )
            conditions.append(
                Campaign.id.in_(
                    sa.select(campaign_branch.c.campaign_id)
                    .join(aud, aud.id == campaign_branch.c.branch_id)
                    .where(overlap)
                )
            )
    if not conditions:
        return []
    return list(db.session.scalars(stmt.where(sa.or_(*conditions))))


def get_campaign(user: User, campaign_id: int) -> tuple[Campaign, Scope]:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise StatsDenied(404, "找不到该活动")
    return campaign, campaign_scope(user, campaign)


def get_quiz(user: User, quiz_id: int) -> tuple[Quiz, Scope]:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise StatsDenied(404, "找不到该竞答")
    return quiz, campaign_scope(user, quiz.campaign)


def tree_roots() -> Focus:
    """Every top branch: the whole tree as a report's focus."""
    roots = Focus(
        db.session.scalars(sa.select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id))
    )
    roots.whole = True
    return roots


def focus_for(scope: Scope, branch_id: int | None) -> list[Branch]:
    """The part of the tree a report covers: one branch asked for, or the whole scope."""
    if branch_id is not None:
        branch = db.session.get(Branch, branch_id)
        if branch is None:
            raise StatsDenied(404, "找不到该部门")
        if not scope.contains(branch):
            raise StatsDenied(403, "该部门不在您的查看范围内")
        return [branch]
    if scope.roots is None:
        return tree_roots()
    roots = list(scope.roots)
    # nested roots (a leader of a branch and of its parent) count once
    return [r for r in roots if not any(o is not r and r.path.startswith(o.path) for o in roots)]


def branches_under(focus: Sequence[Branch]) -> list[Branch]:
    """Every branch in the focus subtrees, depth-first in display order."""
    rows = db.session.scalars(sa.select(Branch).where(_under(Branch.path, focus))).all()
    by_parent: dict[int | None, list[Branch]] = defaultdict(list)
    ids = {b.id for b in rows}
    for b in rows:
        by_parent[b.parent_id if b.parent_id in ids else None].append(b)
    ordered: list[Branch] = []

    def walk(parent_id: int | None) -> None:
        for b in sorted(by_parent.get(parent_id, []), key=lambda x: (x.sort_order, x.id)):
            ordered.append(b)
            walk(b.id)

    walk(None)
    return ordered
