"""Accounts: passwords, signing in with throttling, and role grants."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import LoginFailure, Role, RoleGrant, User

# Characters that survive being read aloud or copied from a printed sheet (no 0/O, 1/l/I).
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
MIN_PASSWORD_LENGTH = 8
# werkzeug's default (scrypt); tests swap in a cheap method to stay fast.
HASH_METHOD = "scrypt"


def generate_password(length: int = 10) -> str:
    """A random initial password with at least one letter and one digit."""
    while True:
        pw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def set_password(user: User, password: str, *, must_change: bool) -> None:
    """Hash and store a password; ``must_change`` for initial or reset passwords."""
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    user.must_change_password = must_change


def set_unusable_password(user: User) -> None:
    """An account nobody can sign in to until an admin resets its password (demo people)."""
    user.password_hash = "!"  # never a valid werkzeug hash, so every check fails
    user.must_change_password = True


def password_problem(password: str, user: User | None = None) -> str | None:
    """Why a new password is not acceptable, in Chinese, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要{MIN_PASSWORD_LENGTH}位"
    if not (any(c.isdigit() for c in password) and any(c.isalpha() for c in password)):
        return "密码须同时包含字母和数字"
    if user is not None and password in (user.username, user.phone):
        return "密码不能与登录名或手机号相同"
    return None


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_user: int = 5
    max_failures_addr: int = 30
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str | None = None
    throttled: bool = False


def _locked_until(keys: list[str], moment: datetime) -> datetime | None:
    rows = db.session.scalars(
        sa.select(LoginFailure).where(
            LoginFailure.key.in_(keys), LoginFailure.locked_until > moment
        )
    ).all()
    return max((r.locked_until for r in rows if r.locked_until), default=None)


def _record_failure(key: str, limit: int, policy: ThrottlePolicy, moment: datetime) -> None:
    row = db.session.get(LoginFailure, key)
    if row is None:
        row = LoginFailure(key=key, window_start=moment, failures=0)
        db.session.add(row)
    elif moment - row.window_start > policy.window:
        row.window_start, row.failures, row.locked_until = moment, 0, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = moment + policy.window


def _minutes_left(until: datetime, moment: datetime) -> int:
    return max(1, int((until - moment).total_seconds() + 59) // 60)


def sign_in(username: str, password: str, address: str, policy: ThrottlePolicy) -> SignInResult:
    """Check credentials, counting failures per account and per address.

    A locked key refuses even the right password, so guessing cannot go on behind the lock.
    Unknown and wrong are reported the same way, so the page does not reveal who has an account.
    """
    moment = now()
    username = username.strip()
    user_key, addr_key = f"user:{username.casefold()}", f"addr:{address}"
    until = _locked_until([user_key, addr_key], moment)
    if until is not None:
        minutes = _minutes_left(until, moment)
        return SignInResult(
            None, f"登录失败次数过多，已暂时锁定，请{minutes}分钟后再试", throttled=True
        )
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == username.lower())
    )
    if user is None and username.isdigit():
        user = db.session.scalar(sa.select(User).where(User.phone == username))
    if user is None or not check_password_hash(user.password_hash, password):
        _record_failure(user_key, policy.max_failures_user, policy, moment)
        _record_failure(addr_key, policy.max_failures_addr, policy, moment)
        return SignInResult(None, "登录名或密码错误")
    if not user.active:
        return SignInResult(None, "该账号已停用，请联系管理员")
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == user_key))
    user.last_login_at = moment
    return SignInResult(user)


def set_roles(
    user: User,
    roles: set[Role],
    leader_scope_branch_id: int | None = None,
    secretary_scope_branch_id: int | None = None,
) -> None:
    """Replace a person's roles; a leader's scope is a branch id, or None for everything;
    a secretary's scope is the branch whose meetings they record (defaults to their own)."""
    wanted = {Role(r) for r in roles}
    for grant in list(user.grants):
        if grant.role not in wanted:
            user.grants.remove(grant)
    have = {g.role: g for g in user.grants}
    for role in wanted:
        grant = have.get(role)
        if grant is None:
            grant = RoleGrant(role=role.value)
            user.grants.append(grant)
        grant.scope_branch_id = leader_scope_branch_id if role == Role.LEADER else None
        if role == Role.SECRETARY:
            grant.scope_branch_id = secretary_scope_branch_id or user.branch_id
