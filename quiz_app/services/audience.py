"""Who something is for: the one audience rule shared by campaigns, 专题 (study tracks), 一学一报
requirements and surveys.

Each of them stores its audience the same way (its own branch and group link tables): these
branches with their subtrees, narrowed to these groups when any are set (any one of them). Only
active people count; people who never signed in count too, since participation rates divide by
the audience.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, Group, User
from quiz_app.models.org import user_group
from quiz_app.services.branches import tree


class HasAudience(Protocol):
    """A campaign, a 专题, a report requirement or a survey."""

    branches: list[Branch]
    groups: list[Group]


def audience_condition(holder: HasAudience) -> sa.ColumnElement[bool]:
    """SQL condition on User for "this person is in the holder's audience"."""
    if not holder.branches:
        return sa.false()
    in_branches = User.branch_id.in_(
        sa.select(Branch.id).where(
            sa.or_(*(Branch.path.startswith(b.path) for b in holder.branches))
        )
    )
    condition = sa.and_(User.active, in_branches)
    if holder.groups:
        condition = sa.and_(
            condition,
            User.id.in_(
                sa.select(user_group.c.user_id).where(
                    user_group.c.group_id.in_([g.id for g in holder.groups])
                )
            ),
        )
    return condition


def in_audience(user: User, holder: HasAudience) -> bool:
    """Whether ``user`` is someone the holder is for (the same rule as ``audience_condition``)."""
    if not user.active or not any(user.branch.path.startswith(b.path) for b in holder.branches):
        return False
    if holder.groups:
        mine = {g.id for g in user.groups}
        return any(g.id in mine for g in holder.groups)
    return True


def audience_size(holder: HasAudience, under: Branch | None = None) -> int:
    """People in the audience, optionally only those in ``under`` and its subtree."""
    stmt = sa.select(sa.func.count()).select_from(User).where(audience_condition(holder))
    if under is not None:
        stmt = stmt.where(
            User.branch_id.in_(sa.select(Branch.id).where(Branch.path.startswith(under.path)))
        )
    return int(db.session.scalar(stmt) or 0)


def chosen(branch_ids: Iterable[int], group_ids: Iterable[int]) -> tuple[list[Branch], list[Group]]:
    """The branches (in tree order) and groups (by name) a form's ticked ids stand for."""
    bids, gids = list(branch_ids), list(group_ids)
    found_branches = (
        list(db.session.scalars(sa.select(Branch).where(Branch.id.in_(bids)).order_by(Branch.path)))
        if bids
        else []
    )
    found_groups = (
        list(db.session.scalars(sa.select(Group).where(Group.id.in_(gids)).order_by(Group.name)))
        if gids
        else []
    )
    return found_branches, found_groups


def set_audience(holder: HasAudience, branch_ids: Iterable[int], group_ids: Iterable[int]) -> None:
    """Replace the holder's audience with these branches and groups."""
    holder.branches, holder.groups = chosen(branch_ids, group_ids)


def pickable(
    holder: HasAudience | None, scope: list[Branch] | None = None
) -> tuple[list[Branch], list[Group]]:
    """What an audience form offers: active branches in tree order (within ``scope`` when given,
    an organizer's own part of the tree) plus any the holder already has, and every group."""
    kept = {b.id for b in holder.branches} if holder is not None else set()
    offered = [
        b
        for b in tree()
        if (b.active and (scope is None or any(b.path.startswith(r.path) for r in scope)))
        or b.id in kept
    ]
    groups = list(db.session.scalars(sa.select(Group).order_by(Group.name)))
    return offered, groups
