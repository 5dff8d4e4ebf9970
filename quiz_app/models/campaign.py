"""Campaigns (学习活动/竞答活动), their audience, and the quizzes inside them with their paper rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.org import Branch, Group, User


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布", "closed": "已结束"}[self.value]


campaign_branch = sa.Table(
    "campaign_branch",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)
campaign_group = sa.Table(
    "campaign_group",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("account_group.id", ondelete="CASCADE"), primary_key=True),
)
# Co-editors named by a campaign's creator: they may change it as the creator can.
campaign_editor = sa.Table(
    "campaign_editor",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(db.Model):
    """A study or quiz campaign with an audience and an opening window."""

    __tablename__ = "campaign"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published', 'closed')", name="status_known"),
        sa.CheckConstraint("closes_at > opens_at", name="window_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    theme: Mapped[str] = mapped_column(sa.String(100), default="", comment="主题，如党史学习教育")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default=CampaignStatus.DRAFT.value)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)
    published_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    # The audience: these branches with their subtrees, narrowed to these groups when any are set.
    branches: Mapped[list[Branch]] = relationship(secondary=campaign_branch)
    groups: Mapped[list[Group]] = relationship(secondary=campaign_group)
    editors: Mapped[list[User]] = relationship(secondary=campaign_editor, order_by=User.real_name)
    quizzes: Mapped[list[Quiz]] = relationship(
        back_populates="campaign", order_by="Quiz.id", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> CampaignStatus:
        return CampaignStatus(self.status)


class ReviewPolicy(StrEnum):
    IMMEDIATE = "immediate"
    AFTER_CLOSE = "after_close"
    NEVER = "never"

    @property
    def label(self) -> str:
        return {
            "immediate": "交卷后立即显示答案和解析",
            "after_close": "活动结束后显示答案和解析",
            "never": "只显示得分，不显示答案",
        }[self.value]


class MultipleScoring(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    HALF_FOR_PARTIAL = "half_for_partial"

    @property
    def label(self) -> str:
        return {
            "all_or_nothing": "全部选对才得分",
            "half_for_partial": "少选得一半分，错选不得分",
        }[self.value]


class AttemptCounting(StrEnum):
    BEST = "best"
    LAST = "last"


class Quiz(db.Model):
    """A paper inside a campaign: its sections, timing, attempts and review rules."""

    __tablename__ = "quiz"
    __table_args__ = (
        sa.CheckConstraint(
            "review_policy IN ('immediate', 'after_close', 'never')", name="review_known"
        ),
        sa.CheckConstraint(
            "multiple_scoring IN ('all_or_nothing', 'half_for_partial')", name="scoring_known"
        ),
        sa.CheckConstraint("counting IN ('best', 'last')", name="counting_known"),
        sa.CheckConstraint(
            "time_limit_seconds IS NULL OR time_limit_seconds > 0", name="time_positive"
        ),
        sa.CheckConstraint(
            "attempts_allowed IS NULL OR attempts_allowed > 0", name="attempts_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions: Mapped[str] = mapped_column(sa.Text, default="")
    time_limit_seconds: Mapped[int | None] = mapped_column(comment="限时（秒）；为空表示不限时")
    attempts_allowed: Mapped[int | None] = mapped_column(
        default=1, comment="可作答次数；为空表示不限"
    )
    counting: Mapped[str] = mapped_column(sa.String(10), default=AttemptCounting.BEST.value)
    pass_mark: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 2), comment="及格分（得分）")
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    review_policy: Mapped[str] = mapped_column(sa.String(12), default=ReviewPolicy.IMMEDIATE.value)
    multiple_scoring: Mapped[str] = mapped_column(
        sa.String(20), default=MultipleScoring.ALL_OR_NOTHING.value
    )
    created_at: Mapped[datetime] = mapped_column(default=now)

    campaign: Mapped[Campaign] = relationship(back_populates="quizzes")
    sections: Mapped[list[QuizSection]] = relationship(
        back_populates="quiz", order_by="QuizSection.position", cascade="all, delete-orphan"
    )

    @property
    def max_score(self) -> Decimal:
        return sum((s.points * s.size for s in self.sections), Decimal(0))


class QuizSection(db.Model):
    """Part of a paper: N random questions of one type from given banks/categories/difficulties,
    or a fixed list of questions; every question in it is worth ``points``."""

    __tablename__ = "quiz_section"
    __table_args__ = (
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(100), default="")
    question_type: Mapped[str | None] = mapped_column(sa.String(10), comment="随机抽题的题型")
    count: Mapped[int] = mapped_column(default=0, comment="随机抽题的题数")
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), comment="每题分值")
    bank_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list, comment="为空表示不限")
    difficulties: Mapped[list[str]] = mapped_column(sa.JSON, default=list, comment="为空表示不限")
    # A fixed list of question ids instead of random drawing, in this order.
    fixed_question_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    quiz: Mapped[Quiz] = relationship(back_populates="sections")

    @property
    def is_fixed(self) -> bool:
        return bool(self.fixed_question_ids)

    @property
    def size(self) -> int:
        return len(self.fixed_question_ids) if self.is_fixed else self.count
