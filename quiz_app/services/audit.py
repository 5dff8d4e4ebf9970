"""The audit log: who did what and when. Append-only: this module only inserts, and no route
updates or deletes an entry, so a changed key, a re-grade or an export of names always leaves
a trace that admins can filter and export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import AuditEntry, User

ACTIONS: dict[str, str] = {
    "bank.import": "导入题目",
    "bank.editors": "题库协作者变更",
    "question.edit": "修改题目",
    "campaign.create": "创建活动",
    "campaign.edit": "修改活动",
    "campaign.editors": "活动协作者变更",
    "campaign.publish": "发布活动",
    "campaign.close": "提前结束活动",
    "campaign.delete": "删除活动",
    "quiz.rules": "修改竞答规则",
    "regrade": "重新评分",
    "export.personal": "导出个人数据",
    "account.create": "新建人员",
    "account.roles": "角色和范围变更",
    "account.active": "停用或启用账号",
    "password.reset": "管理员重置密码",
    "password.changed": "修改密码",
    "roster.import": "导入花名册",
    "token.created": "创建接口令牌",
    "session.revoked": "结束登录或令牌",
    "sign_in.failed": "登录失败",
    "sign_in.locked": "登录锁定",
}


def record(
    actor: User | None,
    action: str,
    summary: str,
    *,
    object_type: str = "",
    object_id: int | None = None,
    campaign_id: int | None = None,
    details: dict[str, Any] | None = None,
    address: str = "",
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the deed)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=f"{actor.real_name}（{actor.username}）" if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        campaign_id=campaign_id,
        summary=summary,
        details=details or {},
        address=address[:64],
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""  # part of a name or login name
    campaign_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(f: AuditFilter) -> sa.Select[tuple[AuditEntry]]:
    """Entries matching ``f``, newest first."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.actor:
        stmt = stmt.where(AuditEntry.actor_name.contains(f.actor, autoescape=True))
    if f.campaign_id is not None:
        stmt = stmt.where(AuditEntry.campaign_id == f.campaign_id)
    if f.since is not None:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt
