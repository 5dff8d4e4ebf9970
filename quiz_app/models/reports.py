"""一学一报: a report requirement (who must write what, by when), each person's report, every
submitted version with its review, and the photos attached to a report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.campaign import Campaign
from quiz_app.models.org import Branch, Group, User


class ReportStatus(StrEnum):
    DRAFT = "draft"  # written, never submitted
    SUBMITTED = "submitted"  # waiting for review
    RETURNED = "returned"  # sent back with a comment; the author revises
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "submitted": "待审阅", "returned": "已退回", "approved": "已通过"}[
            self.value
        ]


report_requirement_branch = sa.Table(
    "report_requirement_branch",
    db.metadata,
    sa.Column(
        "requirement_id",
        sa.ForeignKey("report_requirement.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("branch_id", sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)
report_requirement_group = sa.Table(
    "report_requirement_group",
    db.metadata,
    sa.Column(
        "requirement_id",
        sa.ForeignKey("report_requirement.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("group_id", sa.ForeignKey("account_group.id", ondelete="CASCADE"), primary_key=True),
)


class ReportRequirement(db.Model):
    """ "After studying X, these people write a report of at least N characters by this date"."""

    __tablename__ = "report_requirement"
    __table_args__ = (
        sa.CheckConstraint("min_chars >= 0", name="min_chars_not_negative"),
        sa.CheckConstraint("max_photos >= 0 AND max_photos <= 9", name="max_photos_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions: Mapped[str] = mapped_column(sa.Text, default="", comment="写作要求")
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="SET NULL"), index=True, comment="所跟随的活动"
    )
    # Room for a 专题 track or a meeting to be linked later, without a foreign key yet.
    subject_kind: Mapped[str | None] = mapped_column(sa.String(20), comment="topic / meeting …")
    subject_id: Mapped[int | None]
    min_chars: Mapped[int] = mapped_column(default=300, comment="最少字数（不计空白）")
    max_photos: Mapped[int] = mapped_column(default=3, comment="最多可附照片数，0 表示不收照片")
    due_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)

    campaign: Mapped[Campaign | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    # The audience: these branches with their subtrees, narrowed to these groups when any are set
    # (the same shape as a campaign's, so services.audience serves both).
    branches: Mapped[list[Branch]] = relationship(secondary=report_requirement_branch)
    groups: Mapped[list[Group]] = relationship(secondary=report_requirement_group)


class StudyReport(db.Model):
    """One person's report for one requirement: the current text (the draft) and its state."""

    __tablename__ = "study_report"
    __table_args__ = (
        sa.UniqueConstraint("requirement_id", "user_id", name="uq_study_report_requirement_user"),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'approved')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("report_requirement.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), comment="作者提交时所在部门")
    status: Mapped[str] = mapped_column(sa.String(10), default=ReportStatus.DRAFT.value)
    body: Mapped[str] = mapped_column(sa.Text, default="", comment="当前文本（草稿或最后提交的）")
    draft_seq: Mapped[int] = mapped_column(default=0, comment="最后采用的自动保存序号")
    draft_saved_at: Mapped[datetime | None]
    first_submitted_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None] = mapped_column(comment="最近一次提交")
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    requirement: Mapped[ReportRequirement] = relationship()
    user: Mapped[User] = relationship()
    branch: Mapped[Branch] = relationship()
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", order_by="ReportVersion.number", cascade="all, delete-orphan"
    )
    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> ReportStatus:
        return ReportStatus(self.status)

    @property
    def latest(self) -> ReportVersion | None:
        return self.versions[-1] if self.versions else None


class ReportVersion(db.Model):
    """A submitted text, kept for ever; its reviews hang below it."""

    __tablename__ = "study_report_version"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "number", name="uq_study_report_version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_report.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(comment="第几次提交，从 1 起")
    body: Mapped[str] = mapped_column(sa.Text)
    photo_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list, comment="提交时的照片")
    submitted_at: Mapped[datetime]

    report: Mapped[StudyReport] = relationship(back_populates="versions")
    reviews: Mapped[list[ReportReview]] = relationship(
        back_populates="version", order_by="ReportReview.id", cascade="all, delete-orphan"
    )

    @property
    def decision(self) -> str | None:
        return self.reviews[-1].decision if self.reviews else None


class ReportReview(db.Model):
    """A reviewer's decision on a version: approved, or returned with a comment. An approval
    that is later withdrawn gets a second (returned) review; nothing is overwritten."""

    __tablename__ = "study_report_review"
    __table_args__ = (
        sa.CheckConstraint("decision IN ('approved', 'returned')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_report_version.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(sa.String(10))
    comment: Mapped[str] = mapped_column(sa.Text, default="", comment="审阅意见")
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime]

    version: Mapped[ReportVersion] = relationship(back_populates="reviews")
    reviewed_by: Mapped[User | None] = relationship()


class ReportPhoto(db.Model):
    """An image attached to a report, stored under the instance folder with a random name."""

    __tablename__ = "study_report_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_report.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(30))
    size: Mapped[int]
    # Removed photos stay on disk and in the table: a submitted version may still show them.
    removed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now)

    report: Mapped[StudyReport] = relationship(back_populates="photos")
