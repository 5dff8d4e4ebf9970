"""Trust: every sign-in as a server-side session that can be ended, and the append-only audit log.
(Co-editors of campaigns and banks live beside those tables.)"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.org import User


class SessionKind(StrEnum):
    """How a person signed in; each kind has its own lifetime (see services.sessions)."""

    WEB = "web"  # a browser session: ends with the browser or after a few idle hours
    REMEMBER = "remember"  # 记住我 on a personal phone: weeks, renewed by use
    API = "api"  # a bearer token for other clients

    @property
    def label(self) -> str:
        return {"web": "浏览器登录", "remember": "记住我（长期登录）", "api": "接口令牌"}[
            self.value
        ]


class SignInSession(db.Model):
    """One sign-in, held on the server so that signing out, a password change or an admin can end
    it at once. The client holds a random key; only its SHA-256 is stored."""

    __tablename__ = "sign_in_session"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('web', 'remember', 'api')", name="kind_known"),
        sa.Index("ix_sign_in_session_user_live", "user_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime] = mapped_column(comment="到期时间；网页登录和记住我随使用顺延")
    last_seen_at: Mapped[datetime] = mapped_column(default=now)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(30))
    label: Mapped[str] = mapped_column(
        sa.String(100), default="", comment="设备，如“微信 · Android”"
    )
    address: Mapped[str] = mapped_column(sa.String(64), default="")

    user: Mapped[User] = relationship()

    @property
    def kind_enum(self) -> SessionKind:
        return SessionKind(self.kind)


class AuditEntry(db.Model):
    """Who did what and when. Written only by services.audit, never updated or deleted by any
    route: the answer to "can a score be changed without a trace?"."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(
        sa.String(120), default="", comment="操作时的姓名和登录名，账号删除后仍可读"
    )
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(30), default="")
    object_id: Mapped[int | None]
    # The campaign an entry concerns, so organizers and leaders can read "their" entries.
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    address: Mapped[str] = mapped_column(sa.String(64), default="")

    actor: Mapped[User | None] = relationship()
