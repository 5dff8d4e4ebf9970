"""The admin's people list and the actions on accounts, one path for one person or many.

Deactivating or resetting a password always ends the person's sessions and is audited, whether
it comes from the user form, the account page's buttons or a bulk action on the list.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from quiz_app.extensions import db
from quiz_app.models import Branch, Role, RoleGrant, User
from quiz_app.services import audit, sessions
from quiz_app.services.accounts import generate_password, set_password
from quiz_app.services.branches import subtree_ids

# Role filter values on the people list: a granted role, or "employee" for people with none.
ROLE_FILTERS: dict[str, str] = {
    "employee": "仅员工",
    Role.ORGANIZER.value: "组织者",
    Role.LEADER.value: "领导",
    Role.SECRETARY.value: "支部书记",
    Role.ADMIN.value: "管理员",
}
STATUS_FILTERS: dict[str, str] = {"active": "在用", "inactive": "停用", "all": "全部状态"}


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    branch: Branch | None = None
    role: str = ""
    status: str = "active"


def people_query(f: PeopleFilter) -> sa.Select[tuple[User]]:
    """The list's rows, filtered; active people first, then by sign-in name."""
    stmt = (
        sa.select(User)
        .options(selectinload(User.grants), selectinload(User.branch))
        .order_by(User.active.desc(), User.username)
    )
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(
            sa.or_(User.username.ilike(like), User.real_name.ilike(like), User.phone.ilike(like))
        )
    if f.branch is not None:
        stmt = stmt.where(User.branch_id.in_(subtree_ids(f.branch)))
    if f.status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif f.status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    granted = sa.select(RoleGrant.id).where(RoleGrant.user_id == User.id)
    if f.role == "employee":
        stmt = stmt.where(~granted.exists())
    elif f.role in ROLE_FILTERS:
        stmt = stmt.where(granted.where(RoleGrant.role == f.role).exists())
    return stmt


@dataclass(frozen=True)
class HeadCount:
    direct: int  # 直属: active people whose branch is this one
    total: int  # 含下级: this branch and everything under it


def head_counts(tree: list[Branch]) -> dict[int, HeadCount]:
    """Active people per branch, direct and with the subtree: one grouped query, summed by path."""
    direct: dict[int, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(User.branch_id, sa.func.count())
            .where(User.active.is_(True))
            .group_by(User.branch_id)
        ).all()
    )
    totals = dict.fromkeys((b.id for b in tree), 0)
    for b in tree:
        n = direct.get(b.id, 0)
        if n:
            # "/1/4/9/" → every id on the way down from the top gets this branch's people.
            for part in b.path.strip("/").split("/"):
                if part and int(part) in totals:
                    totals[int(part)] += n
    return {b.id: HeadCount(direct.get(b.id, 0), totals[b.id]) for b in tree}


def deactivate(actor: User, user: User) -> int:
    """Stop an account: audited, and every sign-in and token of it ends. Returns sessions ended."""
    if not user.active:
        return 0
    user.active = False
    audit.record(
        actor,
        "account.active",
        f"停用了 {user.real_name}的账号",
        object_type="account",
        object_id=user.id,
    )
    return sessions.revoke_all(user, "deactivated")


def reactivate(actor: User, user: User) -> None:
    """Let a stopped account sign in again (its password is unchanged)."""
    if user.active:
        return
    user.active = True
    audit.record(
        actor,
        "account.active",
        f"启用了 {user.real_name}的账号",
        object_type="account",
        object_id=user.id,
    )


def reset_password(actor: User, user: User) -> str:
    """A new initial password (to be changed at sign-in); the old sessions end. Returns it."""
    password = generate_password()
    set_password(user, password, must_change=True)
    ended = sessions.revoke_all(user, "admin_reset")
    audit.record(
        actor,
        "password.reset",
        f"重置了 {user.real_name}的密码，结束了其 {ended} 个登录和令牌",
        object_type="account",
        object_id=user.id,
    )
    return password
