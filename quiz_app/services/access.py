"""Who may see what: roles and branch scope, decided in one place for pages, API and exports."""

from __future__ import annotations

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Bank, Branch, Campaign, Role, User


def is_admin(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def can_organize(user: User) -> bool:
    """Organizers and admins manage banks and campaigns."""
    return user.has_role(Role.ORGANIZER) or is_admin(user)


def can_lead(user: User) -> bool:
    return user.has_role(Role.LEADER) or is_admin(user)


def can_edit_campaign(user: User, campaign: Campaign) -> bool:
    """A campaign belongs to its creator and the co-editors they name (and admins): only they
    change it, re-grade it, or read its lists of names."""
    if is_admin(user):
        return True
    if not can_organize(user):
        return False
    return campaign.created_by_id == user.id or any(e.id == user.id for e in campaign.editors)


def can_edit_bank(user: User, bank: Bank) -> bool:
    """Every organizer reads every bank (to draw papers from it); its owner, the co-editors they
    name and admins change it."""
    if is_admin(user):
        return True
    if not can_organize(user):
        return False
    return bank.owner_id == user.id or any(e.id == user.id for e in bank.editors)


def editable_campaigns_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL condition: the campaigns ``user`` may change (for lists)."""
    from quiz_app.models.campaign import campaign_editor

    if is_admin(user):
        return sa.true()
    if not can_organize(user):
        return sa.false()
    return sa.or_(
        Campaign.created_by_id == user.id,
        Campaign.id.in_(
            sa.select(campaign_editor.c.campaign_id).where(campaign_editor.c.user_id == user.id)
        ),
    )


def organizer_scope(user: User) -> list[Branch] | None:
    """The subtrees an organizer may address campaigns to; None means the whole tree."""
    return _scope(user, Role.ORGANIZER)


def leader_scope(user: User) -> list[Branch] | None:
    """The branches whose subtrees a person may see figures for; None means everything."""
    return _scope(user, Role.LEADER)


def _scope(user: User, role: Role) -> list[Branch] | None:
    if is_admin(user):
        return None
    roots: list[Branch] = []
    for grant in user.grants:
        if grant.role != role:
            continue
        if grant.scope_branch_id is None:
            return None
        if grant.scope_branch is not None:
            roots.append(grant.scope_branch)
    return roots


def branch_in_scope(user: User, branch: Branch) -> bool:
    """Whether ``branch`` lies inside the part of the tree ``user`` leads."""
    scope = leader_scope(user)
    if scope is None:
        return True
    return any(branch.path.startswith(root.path) for root in scope)


def scope_branch_ids(user: User) -> sa.Select[tuple[int]] | None:
    """SELECT of the branch ids a leader sees (for IN clauses); None means no restriction."""
    scope = leader_scope(user)
    if scope is None:
        return None
    if not scope:
        return sa.select(Branch.id).where(sa.false())
    return sa.select(Branch.id).where(sa.or_(*(Branch.path.startswith(r.path) for r in scope)))


def secretary_scope(user: User) -> list[Branch] | None:
    """Branches whose meetings a 支部书记 records (each with its subtree); None means all (admin)."""
    if is_admin(user):
        return None
    return [
        g.scope_branch
        for g in user.grants
        if g.role == Role.SECRETARY and g.scope_branch is not None
    ]


def can_record_meetings(user: User, branch: Branch) -> bool:
    """Whether ``user`` may plan, record and check people in at ``branch``'s meetings."""
    scope = secretary_scope(user)
    if scope is None:
        return True
    return any(branch.path.startswith(root.path) for root in scope)


def home_links(user: User) -> list[tuple[str, str]]:
    """(endpoint, label) of the work areas a person's roles open, for the home page and menu."""
    links: list[tuple[str, str]] = [
        ("me.index", "我的学习"),
        ("study.index", "专题学习"),
        ("reports.index", "一学一报"),
    ]
    if can_organize(user):
        links.append(("campaigns.index", "活动与竞答"))
        links.append(("banks.index", "题库管理"))
        links.append(("surveys.manage", "思想动态问卷"))
    if can_lead(user) or can_organize(user):
        links.append(("dashboard.index", "统计"))
    links.append(("meetings.index", "三会一课"))
    if is_admin(user):
        links.append(("admin.users", "人员与部门管理"))
    return links


def changed_editors(
    current: list[User], owner_id: int | None, username: str, remove_id: int | None
) -> tuple[list[User], str | None]:
    """The co-editor list after an add (by login name) or a remove, or an error in Chinese.
    Co-editors must be active organizers; the creator is never listed as their own co-editor."""
    if remove_id:
        return [u for u in current if u.id != remove_id], None
    name = username.strip()[:50]
    person = db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == name.lower()))
    if person is None or not person.active:
        return current, f"找不到登录名为“{name}”的在用账号"
    if not can_organize(person):
        return current, f"{person.real_name}不是组织者，不能作为协作者"
    if person.id == owner_id or person in current:
        return current, None
    return [*current, person], None
