"""Organisation life: 三会一课 and other meetings, their rules, attendance, review and versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.org import Branch, User

PERIODS = ("month", "quarter", "half", "year")
PERIOD_LABELS = {"month": "每月", "quarter": "每季度", "half": "每半年", "year": "每年"}
_PERIOD_CHECK = "period IN ('month', 'quarter', 'half', 'year')"


class PartyBranchCover(db.Model):
    """A 党支部 (or 党小组) covers a branch of the administrative tree: its people are members."""

    __tablename__ = "party_branch_cover"

    party_branch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MeetingType(db.Model):
    """A kind of meeting (党员大会, 支委会 …) with its default frequency; admins add more."""

    __tablename__ = "meeting_type"
    __table_args__ = (
        sa.CheckConstraint(
            "default_period IS NULL OR default_period IN ('month', 'quarter', 'half', 'year')",
            name="period_known",
        ),
        sa.CheckConstraint("default_count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True, comment="如 party_congress")
    name: Mapped[str] = mapped_column(sa.String(50))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    default_period: Mapped[str | None] = mapped_column(
        sa.String(10), comment="默认频次的周期；为空表示不作要求"
    )
    default_count: Mapped[int] = mapped_column(default=0, comment="每个周期至少召开的次数")
    default_kinds: Mapped[str] = mapped_column(
        sa.String(200), default="", comment="默认频次适用的部门类别，用顿号分隔"
    )
    source: Mapped[str] = mapped_column(sa.String(300), default="", comment="默认频次的依据")

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.default_kinds.split("、") if k]


class MeetingRule(db.Model):
    """An admin's frequency for a type, for every branch of a kind or for one branch."""

    __tablename__ = "meeting_rule"
    __table_args__ = (
        sa.CheckConstraint(_PERIOD_CHECK, name="period_known"),
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
        sa.CheckConstraint("(branch_kind IS NULL) <> (branch_id IS NULL)", name="kind_or_branch"),
        sa.UniqueConstraint("type_id", "branch_kind", name="uq_meeting_rule_type_kind"),
        sa.UniqueConstraint("type_id", "branch_id", name="uq_meeting_rule_type_branch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_type.id", ondelete="CASCADE"))
    branch_kind: Mapped[str | None] = mapped_column(sa.String(20))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(10))
    count: Mapped[int] = mapped_column(comment="0 表示不作要求")

    type: Mapped[MeetingType] = relationship()
    branch: Mapped[Branch | None] = relationship()


class MeetingExemption(db.Model):
    """A branch need not hold a type in one period (e.g. 2026-Q1), with the reason."""

    __tablename__ = "meeting_exemption"
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "type_id", "period_key", name="uq_meeting_exemption"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"))
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_type.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(
        sa.String(10), comment="2026-03、2026-Q1、2026-H1 或 2026"
    )
    reason: Mapped[str] = mapped_column(sa.String(300))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)

    branch: Mapped[Branch] = relationship()
    type: Mapped[MeetingType] = relationship()


class Meeting(db.Model):
    """One meeting of a branch: planned, held, recorded, reviewed by the branch above."""

    __tablename__ = "meeting"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'approved')", name="status_known"
        ),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.Index("ix_meeting_branch_held", "branch_id", "held_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_type.id"))
    topic: Mapped[str] = mapped_column(sa.String(200), comment="议题")
    planned_at: Mapped[datetime] = mapped_column(comment="计划时间")
    held_at: Mapped[datetime | None] = mapped_column(comment="实际召开时间；为空表示尚未召开")
    duration_minutes: Mapped[int] = mapped_column(default=90)
    place: Mapped[str] = mapped_column(sa.String(100), default="")
    host: Mapped[str] = mapped_column(sa.String(50), default="", comment="主持人")
    recorder: Mapped[str] = mapped_column(sa.String(50), default="", comment="记录人")
    observers: Mapped[str] = mapped_column(sa.String(300), default="", comment="列席人员")
    content: Mapped[str] = mapped_column(sa.Text, default="", comment="会议内容")
    resolutions: Mapped[str] = mapped_column(sa.Text, default="", comment="会议决议")
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    review_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=0, comment="审核通过后每次修改加一")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    branch: Mapped[Branch] = relationship()
    type: Mapped[MeetingType] = relationship()
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[MeetingAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingAttachment.id"
    )
    versions: Mapped[list[MeetingVersion]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingVersion.version"
    )

    @property
    def locked(self) -> bool:
        return self.status == "approved"

    @property
    def starts_at(self) -> datetime:
        return self.held_at or self.planned_at


class MeetingAttendee(db.Model):
    """A person expected (应到) at a meeting and how it went: present, on leave or absent."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (
        sa.CheckConstraint("status IN ('present', 'leave', 'absent')", name="status_known"),
        sa.CheckConstraint("method IS NULL OR method IN ('qr', 'manual')", name="method_known"),
    )

    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(10), default="absent")
    leave_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    method: Mapped[str | None] = mapped_column(sa.String(10), comment="qr 扫码 / manual 手工")
    checked_in_at: Mapped[datetime | None]
    marked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    makeup_done_at: Mapped[datetime | None] = mapped_column(comment="补学确认“已学习”的时间")

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class MeetingAttachment(db.Model):
    """A photo or PDF of a meeting, stored under the instance folder by a random name."""

    __tablename__ = "meeting_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=now)


class MeetingVersion(db.Model):
    """A snapshot of a reviewed record; every change after approval adds one."""

    __tablename__ = "meeting_version"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "version", name="uq_meeting_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    version: Mapped[int]
    snapshot: Mapped[str] = mapped_column(sa.Text, comment="该版本的记录（JSON）")
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=now)

    changed_by: Mapped[User | None] = relationship()
