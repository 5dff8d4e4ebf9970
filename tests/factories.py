"""Factories for branches and people, with sensible defaults so tests name only what matters."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, Group, Role, User
from quiz_app.services.accounts import set_password, set_roles
from quiz_app.services.branches import create_branch

DEFAULT_PASSWORD = "Passw0rd2024"
_seq = itertools.count(1)


def root_branch() -> Branch:
    """The organisation's top branch, created on first use."""
    root = db.session.scalar(sa.select(Branch).where(Branch.code == "ROOT"))
    return root or create_branch("测试局", "ROOT", None)


def make_branch(
    name: str | None = None, code: str | None = None, parent: Branch | None = None
) -> Branch:
    n = next(_seq)
    return create_branch(name or f"部门{n}", code or f"B{n}", parent or root_branch())


def make_user(
    username: str | None = None,
    *,
    real_name: str | None = None,
    branch: Branch | None = None,
    roles: Iterable[str] = (),
    scope: Branch | None = None,
    groups: Iterable[str] = (),
    password: str = DEFAULT_PASSWORD,
    must_change: bool = False,
    phone: str | None = None,
    active: bool = True,
) -> User:
    n = next(_seq)
    user = User(
        username=username or f"u{n}",
        real_name=real_name or f"测试{n}",
        branch=branch or root_branch(),
        phone=phone,
        active=active,
    )
    set_password(user, password, must_change=must_change)
    for name in groups:
        group = db.session.scalar(sa.select(Group).where(Group.name == name)) or Group(name=name)
        user.groups.append(group)
    db.session.add(user)
    db.session.flush()
    set_roles(user, {Role(r) for r in roles}, scope.id if scope else None)
    db.session.flush()
    return user
