"""Who may see what: roles and branch scope, decided in one place for pages, API and exports."""

from __future__ import annotations

import sqlalchemy as sa

from quiz_app.models import Branch, Role, User


def is_admin(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def can_organize(user: User) -> bool:
    """Organizers and admins manage banks and campaigns."""
    return user.has_role(Role.ORGANIZER) or is_admin(user)


def can_lead(user: User) -> bool:
    return user.has_role(Role.LEADER) or is_admin(user)


def leader_scope(user: User) -> list[Branch] | None:
    """The branches whose subtrees a person may see figures for; None means everything."""
    if is_admin(user):
        return None
    roots: list[Branch] = []
    for grant in user.grants:
        if grant.role != Role.LEADER:
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


def home_links(user: User) -> list[tuple[str, str]]:
    """(endpoint, label) of the work areas a person's roles open, for the home page and menu."""
    links: list[tuple[str, str]] = []
    if can_organize(user):
        links.append(("campaigns.index", "活动与竞答"))
        links.append(("banks.index", "题库管理"))
        links.append(("surveys.manage", "思想动态问卷"))
    if can_lead(user) or can_organize(user):
        links.append(("dashboard.index", "统计"))
    if is_admin(user):
        links.append(("admin.users", "人员与部门管理"))
    return links
