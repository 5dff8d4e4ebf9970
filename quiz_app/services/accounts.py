"""Accounts: passwords, signing in with throttling, and role grants."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2 import exceptions as argon2_exceptions
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Branch, LoginFailure, Role, RoleGrant, User

# Initial passwords are read off a printed sheet and typed on a phone: lower case only (no shift
# key) and nothing that looks or sounds like something else — no 0/o, 1/l/i/j, 2/z, 5/s, 6/b, 8
# (B), 9/g/q, u/v. 15 letters + 5 digits; 8 characters give about 34 bits, ample for a password
# that must be changed at first sign-in behind the sign-in throttle.
PASSWORD_LETTERS = "acdefhkmnprtwxy"
PASSWORD_DIGITS = "34679"
_PASSWORD_ALPHABET = PASSWORD_LETTERS + PASSWORD_DIGITS
MIN_PASSWORD_LENGTH = 8
# argon2id at OWASP's recommended cost (m=19 MiB, t=2, p=1): about a third of the CPU of the
# scrypt default it replaces, which matters when hundreds sign in at 9:00. Older werkzeug hashes
# still verify and are upgraded at the next sign-in. Tests set a cheap werkzeug method instead.
HASH_METHOD = "argon2id"
_ARGON2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY: dict[str, str] = {}


def generate_password(length: int = 8) -> str:
    """A random initial password, easy to read and type, with letters and digits both."""
    while True:
        pw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def hash_password(password: str) -> str:
    """The stored form of a password, by the current ``HASH_METHOD``."""
    if HASH_METHOD == "argon2id":
        return _ARGON2.hash(password.encode("utf-8", "surrogatepass"))
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(stored: str, password: str) -> tuple[bool, bool]:
    """(matches, should be re-hashed with the current method). Never raises on odd input."""
    if stored.startswith("$argon2"):
        try:
            _ARGON2.verify(stored, password.encode("utf-8", "surrogatepass"))
        except (argon2_exceptions.VerificationError, argon2_exceptions.InvalidHashError):
            return False, False
        return True, HASH_METHOD == "argon2id" and _ARGON2.check_needs_rehash(stored)
    try:
        ok = check_password_hash(stored, password)
    except (ValueError, UnicodeEncodeError):
        ok = False
    return ok, ok and HASH_METHOD == "argon2id"


def _dummy_hash() -> str:
    """A hash in the current method, checked for unknown names so they cost the same time."""
    if HASH_METHOD not in _DUMMY:
        _DUMMY[HASH_METHOD] = hash_password(secrets.token_urlsafe(12))
    return _DUMMY[HASH_METHOD]


def set_password(user: User, password: str, *, must_change: bool) -> None:
    """Hash and store a password; ``must_change`` for initial or reset passwords."""
    user.password_hash = hash_password(password)
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
    remaining: int | None = None  # tries left before the lock, after a wrong password


@dataclass(frozen=True)
class SignInTicket:
    """An attempt already counted against its account (see ``begin_sign_in``)."""

    username: str
    user_id: int | None
    account_key: str
    address_key: str
    tries: int  # this attempt's number in the account's current window
    refused: SignInResult | None
    stored_hash: str | None = None  # the account's hash, read here so the check needs no query


def _account_key(username: str, user: User | None) -> str:
    # The counter belongs to the account, whichever of its names is typed; a name that is no
    # account gets a counter of its own, so both answer alike and guessing one is throttled too.
    return f"acct:{user.id}" if user is not None else f"name:{username.casefold()[:100]}"


def _find_account(username: str) -> User | None:
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == username.lower())
    )
    if user is None and username.isdigit():
        user = db.session.scalar(sa.select(User).where(User.phone == username))
    return user


def _count(key: str, policy: ThrottlePolicy, moment: datetime) -> tuple[int, datetime | None]:
    """Add one to ``key``'s counter in one atomic statement (a new window starts once the old
    one is over and no lock holds); returns (count, locked_until). Concurrent requests each get
    their own number, so a burst of guesses cannot slip past the limit together."""
    table = LoginFailure.__table__
    stale = sa.and_(
        table.c.window_start < moment - policy.window,
        sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= moment),
    )
    dialect = db.session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    stmt = insert.values(key=key, window_start=moment, failures=1, locked_until=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": sa.case((stale, 1), else_=table.c.failures + 1),
            "window_start": sa.case((stale, moment), else_=table.c.window_start),
            "locked_until": sa.case((stale, None), else_=table.c.locked_until),
        },
    ).returning(table.c.failures, table.c.locked_until)
    failures, locked_until = db.session.execute(stmt).one()
    return int(failures), locked_until


def _lock(key: str, until: datetime) -> None:
    db.session.execute(
        sa.update(LoginFailure)
        .where(LoginFailure.key == key)
        .values(locked_until=sa.func.coalesce(LoginFailure.locked_until, until))
    )


def _locked_message(until: datetime, moment: datetime) -> SignInResult:
    minutes = _minutes_left(until, moment)
    return SignInResult(
        None, f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试", throttled=True
    )


def begin_sign_in(username: str, address: str, policy: ThrottlePolicy) -> SignInTicket:
    """Count this attempt against the account before the password is checked.

    The caller commits right after, so the count is visible to concurrent attempts while the
    (deliberately slow) password hash runs, and the row lock is not held during it."""
    moment = now()
    username = username.strip()
    user = _find_account(username)
    account_key, address_key = _account_key(username, user), f"addr:{address[:100]}"
    tries, locked_until = _count(account_key, policy, moment)
    refused: SignInResult | None = None
    addr_lock = db.session.scalar(
        sa.select(LoginFailure.locked_until).where(
            LoginFailure.key == address_key, LoginFailure.locked_until > moment
        )
    )
    until = max((t for t in (locked_until, addr_lock) if t and t > moment), default=None)
    if until is not None:
        refused = _locked_message(until, moment)
    elif tries > policy.max_failures_user:
        until = moment + policy.window
        _lock(account_key, until)
        refused = _locked_message(until, moment)
    return SignInTicket(
        username,
        user.id if user else None,
        account_key,
        address_key,
        tries,
        refused,
        user.password_hash if user else None,
    )


def uncount_sign_in(ticket: SignInTicket) -> None:
    """Take back the count of an attempt whose password was never checked (no turn in the
    sign-in queue, web/admission.py), so waiting for a busy server costs nobody a try.

    A lock that holds is left alone (set by attempts that were checked), and a counter back at
    nothing is removed, so the account is exactly as if the attempt had not come."""
    if ticket.refused is not None:
        return
    live = sa.and_(LoginFailure.key == ticket.account_key, LoginFailure.locked_until.is_(None))
    db.session.execute(
        sa.update(LoginFailure).where(live).values(failures=LoginFailure.failures - 1)
    )
    db.session.execute(sa.delete(LoginFailure).where(live, LoginFailure.failures <= 0))


def check_password(ticket: SignInTicket, password: str) -> tuple[bool, bool]:
    """The slow part of a sign-in, alone, so a caller can queue it (see web/admission.py).

    An unknown name is checked against a dummy hash, so both take the same time. No query: on
    SQLite every transaction starts BEGIN IMMEDIATE, so a query first would hold the write lock,
    and every answer save, across the hash."""
    if ticket.refused is not None:
        return False, False
    return verify_password(ticket.stored_hash or _dummy_hash(), password)


def finish_sign_in(
    ticket: SignInTicket,
    password: str,
    policy: ThrottlePolicy,
    checked: tuple[bool, bool] | None = None,
) -> SignInResult:
    """The outcome of a counted attempt (``checked`` = ``check_password``'s answer, computed here
    when not given): both an unknown name and a wrong password give the same message; a
    deactivated account says so only after the right password."""
    if ticket.refused is not None:
        return ticket.refused
    ok, upgrade = checked if checked is not None else check_password(ticket, password)
    moment = now()
    user = db.session.get(User, ticket.user_id) if ticket.user_id is not None else None
    if user is None or not ok:
        if ticket.tries >= policy.max_failures_user:
            _lock(ticket.account_key, moment + policy.window)
        addr_tries, _ = _count(ticket.address_key, policy, moment)
        if addr_tries >= policy.max_failures_addr:
            _lock(ticket.address_key, moment + policy.window)
        remaining = max(0, policy.max_failures_user - ticket.tries)
        if remaining == 0:
            return SignInResult(
                None,
                f"登录名或密码错误。失败次数过多，已暂时锁定，"
                f"请 {_minutes_left(moment + policy.window, moment)} 分钟后再试",
                remaining=0,
            )
        return SignInResult(None, f"登录名或密码错误，还可尝试 {remaining} 次", remaining=remaining)
    if not user.active:
        return SignInResult(None, "该账号已停用，请联系管理员")
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == ticket.account_key))
    if upgrade:
        user.password_hash = hash_password(password)
    user.last_login_at = moment
    return SignInResult(user)


def _minutes_left(until: datetime, moment: datetime) -> int:
    return max(1, int((until - moment).total_seconds() + 59) // 60)


def set_roles(
    user: User,
    roles: set[Role],
    leader_scope_branch_id: int | None = None,
    *,
    organizer_scope_branch_id: int | None = None,
    secretary_scope_branch_id: int | None = None,
) -> None:
    """Replace a person's roles. A leader's (or organizer's) scope is a branch id, or None for
    everything; a secretary's is the branch whose meetings they record (default: their own)."""
    wanted = {Role(r) for r in roles}
    for grant in list(user.grants):
        if grant.role not in wanted:
            user.grants.remove(grant)
    have = {g.role: g for g in user.grants}
    scopes = {Role.LEADER: leader_scope_branch_id, Role.ORGANIZER: organizer_scope_branch_id}
    for role in wanted:
        grant = have.get(role)
        if grant is None:
            grant = RoleGrant(role=role.value)
            user.grants.append(grant)
        grant.scope_branch_id = scopes.get(role)
        if role == Role.SECRETARY:
            grant.scope_branch_id = secretary_scope_branch_id or user.branch_id


def describe_roles(user: User) -> str:
    """Roles with their scopes in words, for the audit log: "组织者（办公室）、领导（全局）"."""
    parts = []
    for grant in sorted(user.grants, key=lambda g: g.role):
        label = Role(grant.role).label
        if grant.role in (Role.LEADER, Role.ORGANIZER, Role.SECRETARY):
            scope = db.session.get(Branch, grant.scope_branch_id) if grant.scope_branch_id else None
            label += f"（{scope.name if scope else '全局'}）"
        parts.append(label)
    return "、".join(parts) or "员工"
