"""The organisation: the branch tree, people, their roles and groups, and sign-in throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db


class Branch(db.Model):
    """A unit of the organisation (局, 处室, 党支部, 小组 …) at any depth."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), comment="显示名称，如“办公室”")
    code: Mapped[str] = mapped_column(
        sa.String(50), unique=True, comment="单位编码，花名册可用它指代部门"
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True
    )
    # Materialised path of ids, "/1/4/9/": subtree queries and roll-ups become one prefix match.
    path: Mapped[str] = mapped_column(sa.String(500), index=True, default="/")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True, comment="撤销的部门保留历史数据，不再可选")
    kind: Mapped[str | None] = mapped_column(
        sa.String(20),
        comment="部门类别：机关处室、党支部、党小组、下属单位、局……（会议频次按它定）",
    )
    created_at: Mapped[datetime] = mapped_column(default=now)

    parent: Mapped[Branch | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Branch]] = relationship(
        back_populates="parent", order_by="(Branch.sort_order, Branch.id)"
    )

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Branch {self.code} {self.name}>"


class Role(StrEnum):
    """Roles besides employee, which everyone is."""

    ORGANIZER = "organizer"
    LEADER = "leader"
    ADMIN = "admin"
    SECRETARY = "secretary"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ORGANIZER: "组织者",
    Role.LEADER: "领导",
    Role.ADMIN: "管理员",
    Role.SECRETARY: "支部书记",
}


# Table names avoid the SQL keywords USER and GROUP, so hand-written SQL needs no quoting.
user_group = sa.Table(
    "account_group_member",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("account_group.id", ondelete="CASCADE"), primary_key=True),
)


class Group(db.Model):
    """A tag that cuts across branches (党员, 入党积极分子, 中层干部), used to narrow audiences."""

    __tablename__ = "account_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)


class User(db.Model):
    """A person who signs in. Everyone is an employee; RoleGrant adds the rest."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(
        sa.String(50), unique=True, comment="登录名：工号或手机号"
    )
    real_name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    must_change_password: Mapped[bool] = mapped_column(
        default=True, comment="初始密码或重置后的密码，首次登录须修改"
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_login_at: Mapped[datetime | None]

    branch: Mapped[Branch] = relationship()
    groups: Mapped[list[Group]] = relationship(secondary=user_group, order_by=Group.name)
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol, without importing Flask into the models.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, role: Role) -> bool:
        return any(g.role == role for g in self.grants)

    @property
    def roles(self) -> set[Role]:
        return {Role(g.role) for g in self.grants}

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleGrant(db.Model):
    """A role given to a person. A leader's scope is a branch and its subtree, or everything (NULL)."""

    __tablename__ = "role_grant"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", name="uq_role_grant_user_role"),
        sa.CheckConstraint(
            "role IN ('organizer', 'leader', 'admin', 'secretary')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(20))
    scope_branch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("branch.id"), comment="领导的范围：该部门及下级；为空表示全局"
    )

    user: Mapped[User] = relationship(back_populates="grants")
    scope_branch: Mapped[Branch | None] = relationship()


class LoginFailure(db.Model):
    """Failed sign-ins counted per key ("user:…" or "addr:…") in a sliding window, for throttling."""

    __tablename__ = "login_failure"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
