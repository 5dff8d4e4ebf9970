"""Question banks, questions and their revisions.

A question's content lives in revisions: an edit adds a revision and moves ``current_revision``.
Attempts keep the revision they were drawn with, so an edit never rewrites history.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.org import User

QUESTION_TYPES = ("single", "multiple", "judge", "blank")
_TYPE_CHECK = "type IN ('single', 'multiple', 'judge', 'blank')"

# Co-editors named by a bank's owner: they may change it as the owner can (every organizer reads).
bank_editor = sa.Table(
    "bank_editor",
    db.metadata,
    sa.Column("bank_id", sa.ForeignKey("bank.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
)


class Bank(db.Model):
    """A named collection of questions, e.g. 党史学习教育题库."""

    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The categories organizers pick from; questions may add more, which are then offered too.
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    archived: Mapped[bool] = mapped_column(default=False)
    pool_version: Mapped[int] = mapped_column(
        default=0, server_default="0", comment="题目每有改动即加一，抽题缓存以此为键"
    )

    owner: Mapped[User | None] = relationship()
    editors: Mapped[list[User]] = relationship(secondary=bank_editor, order_by=User.real_name)


class Question(db.Model):
    """A question's identity in a bank; what it says is in its current revision.

    type, difficulty and stem_key copy the current revision so lists filter in SQL.
    """

    __tablename__ = "question"
    __table_args__ = (
        sa.CheckConstraint(_TYPE_CHECK, name="type_known"),
        sa.Index("ix_question_bank_stem", "bank_id", "stem_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("bank.id", ondelete="CASCADE"), index=True)
    current_revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_revision.id", use_alter=True, ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(sa.String(10))
    difficulty: Mapped[str] = mapped_column(sa.String(2), default="中")
    stem_key: Mapped[str] = mapped_column(
        sa.String(64), comment="题型+规范化题干+选项（全半角、空格、标点统一）的SHA-256，用于查重"
    )
    active: Mapped[bool] = mapped_column(default=True, comment="停用的题目不再抽取，历史保留")
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    bank: Mapped[Bank] = relationship()
    current_revision: Mapped[QuestionRevision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )
    revisions: Mapped[list[QuestionRevision]] = relationship(
        back_populates="question",
        foreign_keys="QuestionRevision.question_id",
        order_by="QuestionRevision.number",
        cascade="all, delete-orphan",
    )
    category_links: Mapped[list[QuestionCategory]] = relationship(
        cascade="all, delete-orphan", order_by="QuestionCategory.name"
    )

    @property
    def categories(self) -> list[str]:
        return [c.name for c in self.category_links]


class QuestionRevision(db.Model):
    """One version of a question's content, never changed once written."""

    __tablename__ = "question_revision"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "number", name="uq_question_revision_number"),
        sa.CheckConstraint(_TYPE_CHECK, name="type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(comment="第几版，从1开始")
    type: Mapped[str] = mapped_column(sa.String(10))
    stem: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, comment="选项文字，按A、B…顺序"
    )
    answer: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, comment='单选["B"]，多选["A","C"]，判断["T"]或["F"]'
    )
    blanks: Mapped[list[list[str]]] = mapped_column(
        sa.JSON, default=list, comment="填空：每空一组可接受的答案"
    )
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    difficulty: Mapped[str] = mapped_column(sa.String(2), default="中")
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    note: Mapped[str] = mapped_column(sa.String(200), default="", comment="来源：导入、编辑…")
    created_at: Mapped[datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )

    question: Mapped[Question] = relationship(
        back_populates="revisions", foreign_keys=[question_id]
    )
    created_by: Mapped[User | None] = relationship()

    def content(self) -> dict[str, Any]:
        """What makes two revisions the same question, for "did this edit change anything"."""
        return {
            "type": self.type,
            "stem": self.stem,
            "options": list(self.options),
            "answer": list(self.answer),
            "blanks": [list(b) for b in self.blanks],
            "explanation": self.explanation,
            "categories": list(self.categories),
            "difficulty": self.difficulty,
            "score": None if self.score is None else Decimal(self.score).normalize(),
        }


class QuestionCategory(db.Model):
    """A category (知识点) of a question's current revision, for filtering and per-topic figures."""

    __tablename__ = "question_category"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True, index=True)
