"""学习积分: the rules (versioned by the date they take effect) and the append-only ledger."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from quiz_app.clock import now
from quiz_app.extensions import db

ACTIVITIES = (
    "material_finished",
    "study_minutes",
    "practice_done",
    "quiz_taken",
    "quiz_passed",
    "report_approved",
)
_KNOWN = "activity IN (" + ", ".join(f"'{a}'" for a in ACTIVITIES) + ")"


class PointRule(db.Model):
    """Points for one activity from ``effective_from`` (a Beijing date) until the next rule."""

    __tablename__ = "point_rule"
    __table_args__ = (
        sa.UniqueConstraint("activity", "effective_from", name="uq_point_rule_activity_from"),
        sa.CheckConstraint(_KNOWN, name="activity_known"),
        sa.CheckConstraint("points >= 0", name="points_not_negative"),
        sa.CheckConstraint("daily_cap IS NULL OR daily_cap >= 0", name="cap_not_negative"),
        sa.CheckConstraint("per_minutes IS NULL OR per_minutes > 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity: Mapped[str] = mapped_column(sa.String(30))
    points: Mapped[int] = mapped_column(comment="每次得分（学习时长：每 per_minutes 分钟得分）")
    per_minutes: Mapped[int | None] = mapped_column(comment="学习时长按多少分钟计一次")
    daily_cap: Mapped[int | None] = mapped_column(comment="每天最多得分；为空表示不限")
    effective_from: Mapped[date] = mapped_column(sa.Date, comment="北京时间，从这一天起生效")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)


class PointEntry(db.Model):
    """One line of the ledger. Never updated or deleted: a correction is a new (negative) line.

    (user, activity, source_key) names the thing points are for; ``revision`` counts the lines
    about it (0 the award, 1 its correction, 2 a renewed award …), and the unique key makes a
    second award of the same thing impossible even when two requests race."""

    __tablename__ = "point_entry"
    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "activity", "source_key", "revision", name="uq_point_entry_source"
        ),
        sa.CheckConstraint(_KNOWN, name="activity_known"),
        sa.CheckConstraint("kind IN ('award', 'correction')", name="kind_known"),
        sa.Index("ix_point_entry_user_day", "user_id", "day"),
        sa.Index("ix_point_entry_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(sa.String(30))
    source_key: Mapped[str] = mapped_column(sa.String(120), comment="来源，如 quiz:12、2026-06-01")
    revision: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(10), default="award")
    amount: Mapped[int] = mapped_column(comment="积分；更正为负数")
    day: Mapped[str] = mapped_column(sa.String(10), comment="计入的北京时间日期")
    at: Mapped[datetime]
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point_rule.id"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
