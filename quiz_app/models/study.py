"""Online study: 专题 (tracks), study materials, their files, and each person's credited study time."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.campaign import Campaign, Quiz
from quiz_app.models.org import Branch, Group, User


class TrackStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布"}[self.value]


class MaterialKind(StrEnum):
    ARTICLE = "article"
    PDF = "pdf"
    VIDEO = "video"
    LINK = "link"

    @property
    def label(self) -> str:
        return {"article": "文章", "pdf": "PDF 文件", "video": "视频", "link": "链接"}[self.value]


track_branch = sa.Table(
    "study_track_branch",
    db.metadata,
    sa.Column("track_id", sa.ForeignKey("study_track.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)
track_group = sa.Table(
    "study_track_group",
    db.metadata,
    sa.Column("track_id", sa.ForeignKey("study_track.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("account_group.id", ondelete="CASCADE"), primary_key=True),
)


class StudyTrack(db.Model):
    """A 专题: ordered materials, an optional closing quiz, an audience and a window."""

    __tablename__ = "study_track"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        sa.CheckConstraint("closes_at > opens_at", name="window_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default=TrackStatus.DRAFT.value)
    quiz_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quiz.id", ondelete="SET NULL"), comment="结业测试（可选）"
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)
    published_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    quiz: Mapped[Quiz | None] = relationship()
    # The audience, as for campaigns: these branches with subtrees, narrowed to these groups.
    branches: Mapped[list[Branch]] = relationship(secondary=track_branch)
    groups: Mapped[list[Group]] = relationship(secondary=track_group)
    materials: Mapped[list[StudyMaterial]] = relationship(
        back_populates="track",
        order_by="(StudyMaterial.position, StudyMaterial.id)",
        cascade="all, delete-orphan",
    )

    @property
    def status_enum(self) -> TrackStatus:
        return TrackStatus(self.status)


class StudyMaterial(db.Model):
    """One thing to study, in a campaign or in a 专题 (exactly one of the two)."""

    __tablename__ = "study_material"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('article', 'pdf', 'video', 'link')", name="kind_known"),
        sa.CheckConstraint(
            "(campaign_id IS NULL) <> (track_id IS NULL)", name="in_campaign_or_track"
        ),
        sa.CheckConstraint("min_seconds >= 0", name="min_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("study_track.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(200))
    body_md: Mapped[str] = mapped_column(sa.Text, default="", comment="文章正文（Markdown）")
    body_html: Mapped[str] = mapped_column(sa.Text, default="", comment="净化后的 HTML")
    url: Mapped[str] = mapped_column(sa.String(1000), default="", comment="外部链接")
    file_name: Mapped[str] = mapped_column(
        sa.String(200), default="", comment="上传时的原文件名，仅用于下载时显示"
    )
    page_count: Mapped[int] = mapped_column(default=0, comment="PDF 页数")
    min_seconds: Mapped[int] = mapped_column(default=0, comment="要求的最短学习时间（秒）")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)

    track: Mapped[StudyTrack | None] = relationship(back_populates="materials")
    campaign: Mapped[Campaign | None] = relationship()
    files: Mapped[list[StudyFile]] = relationship(
        back_populates="material", cascade="all, delete-orphan", order_by="StudyFile.page_no"
    )

    @property
    def kind_enum(self) -> MaterialKind:
        return MaterialKind(self.kind)


class StudyFile(db.Model):
    """An uploaded file, stored under a random name: an article image, a PDF (with its page
    images) or a video."""

    __tablename__ = "study_file"
    __table_args__ = (
        sa.CheckConstraint("role IN ('image', 'pdf', 'page', 'video')", name="role_known"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, comment="随机编号，即文件名")
    material_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_material.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(10))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    page_no: Mapped[int] = mapped_column(default=0, comment="PDF 页图的页码（从 1 起）")
    created_at: Mapped[datetime] = mapped_column(default=now)

    material: Mapped[StudyMaterial] = relationship(back_populates="files")


class StudyProgress(db.Model):
    """One person's study of one material: credited seconds, end seen, opened, done."""

    __tablename__ = "study_progress"
    __table_args__ = (sa.CheckConstraint("seconds >= 0", name="seconds_not_negative"),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_material.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seconds: Mapped[int] = mapped_column(default=0, comment="已计入的学习秒数")
    end_seen: Mapped[bool] = mapped_column(default=False, comment="已看到结尾")
    opened_at: Mapped[datetime] = mapped_column(default=now)
    completed_at: Mapped[datetime | None]


class StudyDay(db.Model):
    """Credited seconds per person, material and Beijing date, with the branch at the time:
    what the year's figures and per-branch study time add up."""

    __tablename__ = "study_day"
    __table_args__ = (sa.CheckConstraint("seconds >= 0", name="seconds_not_negative"),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        sa.ForeignKey("study_material.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    day: Mapped[date] = mapped_column(primary_key=True, comment="北京时间日期")
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    seconds: Mapped[int] = mapped_column(default=0)


class StudyPresence(db.Model):
    """Each person's last accepted heartbeat: one row per person, so one material at a time and
    two tabs or phones never count twice."""

    __tablename__ = "study_presence"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("study_material.id", ondelete="SET NULL")
    )
    beat_at: Mapped[datetime] = mapped_column(comment="服务器收到上一次心跳的时间")
    page: Mapped[str] = mapped_column(sa.String(40), default="", comment="页面标识（防重放）")
    seq: Mapped[int] = mapped_column(default=0, comment="该页面上一次心跳的序号")
