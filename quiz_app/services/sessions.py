"""Sign-in sessions held on the server: browser sign-ins, "记住我" on a personal phone and API
tokens are one kind of row, so signing out, a password change, an admin reset or the owner can
end any of them at once, on every app node (the row is in the shared database).

The client keeps a random key (in the signed session cookie, or as the bearer token); only its
SHA-256 is stored. A lookup is one indexed query joined to the account; ``last_seen_at`` and the
sliding expiry are written at most once per ``TOUCH_EVERY``, so a busy quiz page does not turn
every answer save into a write here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import SessionKind, SignInSession, User

TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Lifetimes:
    """How long each kind lives: web and remember slide with use, API tokens are fixed."""

    web_idle: timedelta = timedelta(hours=12)
    remember: timedelta = timedelta(days=30)
    api: timedelta = timedelta(days=7)

    def of(self, kind: SessionKind) -> timedelta:
        return {SessionKind.WEB: self.web_idle, SessionKind.REMEMBER: self.remember}.get(
            kind, self.api
        )


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def device_label(user_agent: str) -> str:
    """A short, human name for the device a session came from (for 我的登录设备)."""
    ua = user_agent or ""
    app = "微信" if "MicroMessenger" in ua else ("浏览器" if "Mozilla" in ua else "客户端")
    system = next(
        (
            name
            for key, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS", "Mac"),
                ("Linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    return f"{app} · {system}" if system else app


def open_session(
    user: User,
    kind: SessionKind,
    lifetimes: Lifetimes,
    *,
    label: str = "",
    address: str = "",
) -> tuple[str, SignInSession]:
    """Start a session; returns the key to give the client (never stored) and the row."""
    key = secrets.token_urlsafe(32)
    moment = now()
    row = SignInSession(
        key_hash=key_hash(key),
        user_id=user.id,
        kind=kind.value,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetimes.of(kind),
        label=label[:100],
        address=address[:64],
    )
    db.session.add(row)
    db.session.flush()
    return key, row


# Built once: every request of a signed-in person runs it (an answer save among them), and
# building the expression each time cost about as much CPU as running it.
_RESOLVE = (
    sa.select(SignInSession.id, SignInSession.kind, SignInSession.last_seen_at, User)
    .join(User, User.id == SignInSession.user_id)
    .where(
        SignInSession.key_hash == sa.bindparam("key_hash"),
        SignInSession.kind.in_(sa.bindparam("kinds", expanding=True)),
        SignInSession.revoked_at.is_(None),
        SignInSession.expires_at > sa.bindparam("moment"),
        User.active.is_(True),
    )
)
_TOUCH = (
    sa.update(SignInSession)
    .where(SignInSession.id == sa.bindparam("row_id"))
    .values(last_seen_at=sa.bindparam("moment"))
)
_TOUCH_SLIDING = _TOUCH.values(expires_at=sa.bindparam("expires_at"))


def resolve(
    key: str,
    kinds: tuple[SessionKind, ...],
    lifetimes: Lifetimes,
    *,
    commit_touch: bool = False,
) -> User | None:
    """The active account behind a live session key of one of ``kinds``, or None.

    ``commit_touch``: commit the last-seen (and sliding expiry) update at once when one was
    due, for callers whose request may only read. Otherwise it rides on the request's own
    commit. Committing on every request instead would expire the account and cost a reload
    on the hot path (an answer save), for a write made once per TOUCH_EVERY."""
    if not key or len(key) > 200:
        return None
    moment = now()
    found = db.session.execute(
        _RESOLVE,
        {"key_hash": key_hash(key), "kinds": [k.value for k in kinds], "moment": moment},
    ).first()
    if found is None:
        return None
    row_id, kind, last_seen_at, user = found
    if moment - last_seen_at >= TOUCH_EVERY:
        if kind == SessionKind.API:
            db.session.execute(_TOUCH, {"row_id": row_id, "moment": moment})
        else:
            expires_at = moment + lifetimes.of(SessionKind(kind))
            db.session.execute(
                _TOUCH_SLIDING, {"row_id": row_id, "moment": moment, "expires_at": expires_at}
            )
        if commit_touch:
            db.session.commit()
    return user


def revoke(row: SignInSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = now(), reason


def revoke_key(key: str, reason: str) -> None:
    """End the session holding ``key`` (signing out)."""
    db.session.execute(
        sa.update(SignInSession)
        .where(SignInSession.key_hash == key_hash(key), SignInSession.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)
    )


def revoke_all(user: User, reason: str, *, keep_key: str | None = None) -> int:
    """End every live session and token of ``user`` except the one holding ``keep_key``;
    returns how many were ended (a password change, an admin reset, deactivation)."""
    stmt = sa.update(SignInSession).where(
        SignInSession.user_id == user.id, SignInSession.revoked_at.is_(None)
    )
    if keep_key:
        stmt = stmt.where(SignInSession.key_hash != key_hash(keep_key))
    result = db.session.execute(stmt.values(revoked_at=now(), revoked_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def live_sessions(user: User) -> list[SignInSession]:
    """A person's sessions and tokens that can still be used, newest first."""
    return list(
        db.session.scalars(
            sa.select(SignInSession)
            .where(
                SignInSession.user_id == user.id,
                SignInSession.revoked_at.is_(None),
                SignInSession.expires_at > now(),
            )
            .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
        )
    )


def is_current(row: SignInSession, key: str | None) -> bool:
    return bool(key) and row.key_hash == key_hash(key or "")


def expiry_of(row: SignInSession) -> datetime:
    return row.expires_at
