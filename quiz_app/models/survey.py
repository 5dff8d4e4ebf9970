"""Anonymous 思想动态 surveys: the survey and its questions, who has answered, and the answers.

Anonymity is a property of the schema, not of the code that reads it:

- ``survey_participation`` says who has answered (for reminders and one answer per person) and
  holds nothing about what or when they answered; it is rewritten in a shuffled order on every
  submission, so PostgreSQL's system columns (xmin, ctid) carry no order either.
- ``survey_response`` / ``survey_answer`` hold what was answered and have no user column, no
  foreign key to ``account`` or to ``survey_participation``, and no timestamp. Their keys are
  random UUIDs (no sequence), and on SQLite they are WITHOUT ROWID tables, so neither a key nor
  the hidden rowid gives away the order in which people answered.
- ``survey_response.report_branch_id`` is the respondent's branch already merged upward, at the
  moment of answering, to the nearest branch with at least ``MIN_GROUP`` people in the audience
  (NULL when even the whole audience is smaller): a one-person branch never appears there.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.org import Branch, Group, User

# Hidden rowids would number responses in the order people answered.
_NO_ROWID = {"sqlite_with_rowid": False}


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布", "closed": "已结束"}[self.value]


class SurveyQuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"
    TEXT = "text"

    @property
    def label(self) -> str:
        return {"single": "单选", "multiple": "多选", "scale": "量表1-5", "text": "文字"}[
            self.value
        ]


survey_branch = sa.Table(
    "survey_branch",
    db.metadata,
    sa.Column("survey_id", sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)
survey_group = sa.Table(
    "survey_group",
    db.metadata,
    sa.Column("survey_id", sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.ForeignKey("account_group.id", ondelete="CASCADE"), primary_key=True),
)


class Survey(db.Model):
    """A short anonymous survey for an audience (branches with subtrees, narrowed by groups)."""

    __tablename__ = "survey"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published', 'closed')", name="status_known"),
        sa.CheckConstraint("closes_at > opens_at", name="window_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default=SurveyStatus.DRAFT.value)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=now)
    published_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    branches: Mapped[list[Branch]] = relationship(secondary=survey_branch)
    groups: Mapped[list[Group]] = relationship(secondary=survey_group)
    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> SurveyStatus:
        return SurveyStatus(self.status)


class SurveyQuestion(db.Model):
    """One question; ``options`` lists the choices of single/multiple questions."""

    __tablename__ = "survey_question"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('single', 'multiple', 'scale', 'text')", name="kind_known"),
        sa.UniqueConstraint("survey_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(comment="题号，从1开始")
    kind: Mapped[str] = mapped_column(sa.String(10))
    prompt: Mapped[str] = mapped_column(sa.String(500))
    options: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    required: Mapped[bool] = mapped_column(default=True)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    @property
    def kind_enum(self) -> SurveyQuestionKind:
        return SurveyQuestionKind(self.kind)


class SurveyParticipation(db.Model):
    """Who has answered: a row per person and nothing else (no date, no time). Every submission
    rewrites the survey's rows in a shuffled order (``answering.submit``), so on PostgreSQL they
    all carry the same transaction id (xmin) and their physical order (ctid) is random: neither
    can be lined up with the responses' order of arrival."""

    __tablename__ = "survey_participation"
    __table_args__ = _NO_ROWID

    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )


def _uuid() -> str:
    return str(uuid.uuid4())


class SurveyResponse(db.Model):
    """One person's submission, with no way back to the person (see the module docstring)."""

    __tablename__ = "survey_response"
    __table_args__ = (sa.Index(None, "survey_id"), _NO_ROWID)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=_uuid)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    report_branch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("branch.id", ondelete="SET NULL"),
        comment="答卷人部门向上合并到问卷对象不少于5人的一级；为空表示归入“其他”",
    )

    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan")


class SurveyAnswer(db.Model):
    """One answer value: a chosen option (one row per ticked option), a 1–5 scale or a text."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        sa.CheckConstraint("scale IS NULL OR (scale >= 1 AND scale <= 5)", name="scale_range"),
        _NO_ROWID,
    )

    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, default=0, comment="多选题的第几个选项")
    option_index: Mapped[int | None]
    scale: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(sa.Text)
