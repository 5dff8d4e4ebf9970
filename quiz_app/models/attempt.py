"""Attempts: a person's paper with the exact question revisions drawn, their answers and scores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.bank import Question, QuestionRevision
from quiz_app.models.campaign import Quiz
from quiz_app.models.org import Branch, User


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # by the person
    TIMED_OUT = "timed_out"  # graded from its saved answers after the deadline

    @property
    def label(self) -> str:
        return {"in_progress": "进行中", "submitted": "已交卷", "timed_out": "超时自动交卷"}[
            self.value
        ]


class EndReason(StrEnum):
    """Why an attempt became final, said truthfully on the quiz page and the result."""

    SUBMITTED = "submitted"  # the person handed in
    TIME_UP = "time_up"  # the quiz's own time limit ran out
    CLOSED_EARLY = "closed_early"  # the organizer ended the campaign early
    CAMPAIGN_CLOSED = "campaign_closed"  # the campaign reached its closing time

    @property
    def label(self) -> str:
        return {
            "submitted": "已交卷",
            "time_up": "时间到，已按保存的答案自动交卷",
            "closed_early": "组织者提前结束了活动，已按保存的答案自动交卷",
            "campaign_closed": "活动已截止，已按保存的答案自动交卷",
        }[self.value]


class Attempt(db.Model):
    """One go at a quiz. At most one is in progress per person and quiz (a partial unique index),
    and (quiz, person, number) is unique, so concurrent starts cannot exceed the allowance."""

    __tablename__ = "attempt"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "user_id", "number", name="uq_attempt_quiz_user_number"),
        sa.Index(
            "uq_attempt_one_in_progress",
            "quiz_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status = 'in_progress'"),
            sqlite_where=sa.text("status = 'in_progress'"),
        ),
        sa.CheckConstraint(
            "status IN ('in_progress', 'submitted', 'timed_out')", name="status_known"
        ),
        sa.Index("ix_attempt_quiz_status", "quiz_id", "status"),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('submitted', 'time_up', 'closed_early', 'campaign_closed')",
            name="end_reason_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    branch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("branch.id"), index=True, comment="作答时所在部门，统计按此归属"
    )
    number: Mapped[int] = mapped_column(comment="第几次作答")
    status: Mapped[str] = mapped_column(sa.String(12), default=AttemptStatus.IN_PROGRESS.value)
    seed: Mapped[int] = mapped_column(sa.BigInteger, comment="抽题随机种子，可复现")
    started_at: Mapped[datetime] = mapped_column(default=now)
    deadline: Mapped[datetime | None] = mapped_column(
        comment="交卷截止：开始+限时 与 活动结束 取早者"
    )
    finished_at: Mapped[datetime | None] = mapped_column(comment="交卷或超时判定的时间")
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2), default=0)
    passed: Mapped[bool | None]
    time_used_seconds: Mapped[int | None]
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, comment="已接受的最大保存序号")
    end_reason: Mapped[str | None] = mapped_column(
        sa.String(16),
        comment="结束原因：submitted/time_up/closed_early/campaign_closed；"
        "交卷时写定（提前结束活动时预先记为 closed_early）",
    )

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    branch: Mapped[Branch] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_final(self) -> bool:
        return self.status != AttemptStatus.IN_PROGRESS

    @property
    def end_label(self) -> str:
        """How it ended, in words (attempts finalised before the reason was kept say less)."""
        if not self.is_final:
            return ""
        if self.end_reason:
            return EndReason(self.end_reason).label
        return "已交卷" if self.status == AttemptStatus.SUBMITTED else "已按保存的答案自动交卷"


class AttemptItem(db.Model):
    """One question of an attempt's paper: the revision drawn, the option order shown, the answer."""

    __tablename__ = "attempt_item"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position", name="uq_attempt_item_position"),
        sa.UniqueConstraint("attempt_id", "question_id", name="uq_attempt_item_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), index=True)
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("question_revision.id"), index=True)
    option_order: Mapped[list[int]] = mapped_column(
        sa.JSON, default=list, comment="显示顺序：第i个显示的选项是原第option_order[i]个"
    )
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    answer: Mapped[Any | None] = mapped_column(sa.JSON, comment="按原始选项字母保存")
    answer_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    answered_at: Mapped[datetime | None]
    flagged: Mapped[bool] = mapped_column(default=False, comment="标记待检查")
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    correct: Mapped[bool | None]

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship()
    revision: Mapped[QuestionRevision] = relationship()


class RegradeEvent(db.Model):
    """An organizer's explicit re-grade after correcting a key: which revision, how many attempts."""

    __tablename__ = "regrade_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"))
    to_revision_id: Mapped[int] = mapped_column(sa.ForeignKey("question_revision.id"))
    attempts_changed: Mapped[int] = mapped_column(default=0)
    items_regraded: Mapped[int] = mapped_column(default=0)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=now)
    note: Mapped[str] = mapped_column(sa.String(200), default="")


class PracticeAnswer(db.Model):
    """An answer given in practice (每日一练 or redoing the wrong-answer book)."""

    __tablename__ = "practice_answer"
    __table_args__ = (sa.Index("ix_practice_user_day", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(sa.ForeignKey("question_revision.id"))
    day: Mapped[str] = mapped_column(sa.String(10), comment="北京时间日期 YYYY-MM-DD")
    kind: Mapped[str] = mapped_column(sa.String(10), default="daily", comment="daily / wrongbook")
    answer: Mapped[Any] = mapped_column(sa.JSON)
    correct: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=now)


class WrongAnswer(db.Model):
    """A question in a person's wrong-answer book (错题本); leaves after two right answers in a row."""

    __tablename__ = "wrong_answer"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "question_id", name="uq_wrong_answer_user_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("bank.id", ondelete="CASCADE"))
    right_streak: Mapped[int] = mapped_column(default=0)
    times_wrong: Mapped[int] = mapped_column(default=1)
    added_at: Mapped[datetime] = mapped_column(default=now)
    last_wrong_at: Mapped[datetime] = mapped_column(default=now)
    # A quiz's mistakes join the book only once its review policy lets the key be seen.
    available_at: Mapped[datetime | None] = mapped_column(
        comment="何时起可在错题本中看到；为空表示不显示"
    )
    cleared_at: Mapped[datetime | None] = mapped_column(comment="连续答对两次后移出错题本的时间")

    question: Mapped[Question] = relationship()


class QuizResult(db.Model):
    """Each person's counted attempt of a quiz, kept ready for statistics and rankings.

    A materialisation of ``results.counted_attempts`` written only by ``services.results`` (on
    finalising an attempt, and rebuilt on re-grading), so the leaders' pages group ~N people
    instead of ranking every attempt on each request."""

    __tablename__ = "quiz_result"
    __table_args__ = (
        sa.Index("ix_quiz_result_quiz_branch", "quiz_id", "branch_id"),
        # leaderboard and a person's rank: read backwards, ties sorted in small groups
        sa.Index("ix_quiz_result_quiz_score", "quiz_id", "score"),
    )

    quiz_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempt.id", ondelete="CASCADE"), unique=True, comment="计入成绩的那次作答"
    )
    branch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("branch.id"), comment="该次作答开始时所在部门"
    )
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    passed: Mapped[bool | None]
    time_used_seconds: Mapped[int | None]
    finished_at: Mapped[datetime | None]
    first_finished_at: Mapped[datetime | None] = mapped_column(comment="第一次完成作答的时间")
    finals: Mapped[int] = mapped_column(default=1, comment="已完成的作答次数")


class QuizItemTally(db.Model):
    """Answered / correct counts per (quiz, branch, question) over counted attempts: the topic
    mastery figures without scanning every answer. Written only by ``services.results``."""

    __tablename__ = "quiz_item_tally"

    quiz_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), primary_key=True)
    answered: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)


class QuizDayTally(db.Model):
    """Per (quiz, Beijing date, branch at the start of the attempt): attempts finished (人次) and
    people finishing for the first time — the daily trend. Written only by ``services.results``."""

    __tablename__ = "quiz_day_tally"

    quiz_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(sa.String(10), primary_key=True, comment="北京时间日期")
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), primary_key=True)
    finished: Mapped[int] = mapped_column(default=0, comment="当天完成的作答人次")
    first_time: Mapped[int] = mapped_column(default=0, comment="当天第一次完成的人数")


class QuizScoreTally(db.Model):
    """Counted attempts per (quiz, branch, score, full marks): how many, how many passed, and
    their time — every score figure (sums, medians, pass rate, the histogram) without reading
    each person. Written only by ``services.results``."""

    __tablename__ = "quiz_score_tally"

    quiz_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), primary_key=True)
    score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2), primary_key=True)
    max_score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2), primary_key=True)
    people: Mapped[int] = mapped_column(default=0)
    passed: Mapped[int] = mapped_column(default=0, comment="其中及格的人数")
    pass_known: Mapped[int] = mapped_column(default=0, comment="其中设有及格线的人数")
    sum_time: Mapped[int] = mapped_column(sa.BigInteger, default=0, comment="用时合计（秒）")
    n_time: Mapped[int] = mapped_column(default=0, comment="有用时记录的人数")
