"""Practice: 每日一练 (a short daily set with the answer shown after each question) and the
wrong-answer book (错题本), from which a question leaves after two right answers in a row."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from quiz_app.clock import to_local
from quiz_app.extensions import db
from quiz_app.models import (
    Bank,
    MultipleScoring,
    PracticeAnswer,
    Question,
    QuestionRevision,
    User,
    WrongAnswer,
)
from quiz_app.services import campaigns, grading, points, secrecy

DAILY_SIZE = 5
STREAK_TO_CLEAR = 2


def day_of(moment: datetime) -> str:
    """The Beijing calendar day of a moment, "2026-06-01": a daily set changes at local midnight."""
    local = to_local(moment)
    assert local is not None
    return local.date().isoformat()


def practice_bank_ids(user: User, moment: datetime) -> list[int]:
    """Banks behind the quizzes open to this person now (random sections and fixed questions)."""
    ids: set[int] = set()
    fixed: set[int] = set()
    for state in campaigns.open_quizzes_for(user, moment):
        for section in state.quiz.sections:
            ids.update(section.bank_ids or [])
            fixed.update(section.fixed_question_ids or [])
    if fixed:
        ids.update(db.session.scalars(sa.select(Question.bank_id).where(Question.id.in_(fixed))))
    return sorted(ids)


def daily_set(user: User, moment: datetime, size: int = DAILY_SIZE) -> list[Question]:
    """Today's questions for this person: the same all day, different tomorrow and for others."""
    bank_ids = practice_bank_ids(user, moment)
    if not bank_ids:
        return []
    pool = list(
        db.session.scalars(
            sa.select(Question.id)
            .where(
                Question.bank_id.in_(bank_ids),
                Question.active,
                Question.current_revision_id.is_not(None),
                ~secrecy.practice_hidden_condition(user, moment),
            )
            .order_by(Question.id)
        )
    )
    seed = int(hashlib.sha256(f"{user.id}:{day_of(moment)}".encode()).hexdigest()[:12], 16)
    chosen = random.Random(seed).sample(pool, min(size, len(pool)))
    by_id = {
        q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(chosen)))
    }
    return [by_id[i] for i in chosen]


NOTHING_OPEN = "目前没有面向您的学习活动，暂无练习题。"
ALL_IN_RUNNING_QUIZ = (
    "今天的练习题都出自您正在参加的竞答的题库。为保证公平，竞答期间这些题目暂不开放练习；"
    "可以先做错题本。"
)


def empty_reason(user: User, moment: datetime) -> str:
    """Why today's set is empty, truthfully: no quiz open to the person, or every question of
    its banks withheld while a quiz of theirs still runs (secrecy.practice_hidden_condition)."""
    return ALL_IN_RUNNING_QUIZ if practice_bank_ids(user, moment) else NOTHING_OPEN


def answered_today(user: User, moment: datetime) -> dict[int, bool]:
    """Question id → correct, for today's daily answers (the first answer to each counts)."""
    rows = db.session.execute(
        sa.select(PracticeAnswer.question_id, PracticeAnswer.correct)
        .where(
            PracticeAnswer.user_id == user.id,
            PracticeAnswer.day == day_of(moment),
            PracticeAnswer.kind == "daily",
        )
        .order_by(PracticeAnswer.id)
    ).all()
    result: dict[int, bool] = {}
    for qid, correct in rows:
        result.setdefault(qid, correct)
    return result


@dataclass(frozen=True)
class Feedback:
    """What the person sees right after answering: right or not, the key, the 解析."""

    question: Question
    revision: QuestionRevision
    answer: Any
    correct: bool
    cleared: bool  # left the wrong-answer book with this answer


def answer(user: User, question: Question, raw: Any, moment: datetime, kind: str) -> Feedback:
    """Grade a practice answer, record it, and update the wrong-answer book.

    Raises grading.AnswerShapeError for an answer that does not fit the question.
    """
    revision = question.current_revision
    assert revision is not None
    stored = grading.normalise_answer(
        revision.type, raw, len(revision.options), len(revision.blanks)
    )
    _score, correct = grading.grade(revision, stored, Decimal(1), MultipleScoring.ALL_OR_NOTHING)
    db.session.add(
        PracticeAnswer(
            user_id=user.id,
            question_id=question.id,
            revision_id=revision.id,
            day=day_of(moment),
            kind=kind,
            answer=stored,
            correct=correct,
            at=moment,
        )
    )
    cleared = _update_book(user, question, correct, moment)
    db.session.flush()
    if kind == "daily":
        _award_if_day_done(user, moment)
    return Feedback(question, revision, stored, correct, cleared)


def _award_if_day_done(user: User, moment: datetime) -> None:
    """The day's set fully answered: the 每日一练 point (once per Beijing day)."""
    today = daily_set(user, moment)
    done = answered_today(user, moment)
    if today and all(q.id in done for q in today):
        points.award(user.id, "practice_done", day_of(moment), moment)


def _update_book(user: User, question: Question, correct: bool, moment: datetime) -> bool:
    entry = db.session.scalar(
        sa.select(WrongAnswer).where(
            WrongAnswer.user_id == user.id, WrongAnswer.question_id == question.id
        )
    )
    if not correct:
        if entry is None:
            db.session.add(
                WrongAnswer(
                    user_id=user.id,
                    question_id=question.id,
                    bank_id=question.bank_id,
                    right_streak=0,
                    times_wrong=1,
                    added_at=moment,
                    last_wrong_at=moment,
                    available_at=moment,
                )
            )
        else:
            entry.times_wrong += 1
            entry.right_streak = 0
            entry.last_wrong_at = moment
            entry.cleared_at = None
            if entry.available_at is None or entry.available_at > moment:
                entry.available_at = moment
        return False
    if entry is None or entry.cleared_at is not None:
        return False
    if entry.available_at is None or entry.available_at > moment:
        return False  # not yet reviewable: a right answer in a quiz does not touch the book
    entry.right_streak += 1
    if entry.right_streak >= STREAK_TO_CLEAR:
        entry.cleared_at = moment
        return True
    return False


def book_condition(user: User, moment: datetime) -> sa.ColumnElement[bool]:
    """The person's open wrong-answer entries that may be shown now (never a question whose
    key a running quiz of theirs still hides)."""
    return sa.and_(
        WrongAnswer.user_id == user.id,
        WrongAnswer.cleared_at.is_(None),
        WrongAnswer.available_at.is_not(None),
        WrongAnswer.available_at <= moment,
        WrongAnswer.question_id.not_in(
            sa.select(Question.id).where(secrecy.practice_hidden_condition(user, moment))
        ),
    )


def book(user: User, moment: datetime) -> list[tuple[Bank, list[WrongAnswer]]]:
    """The wrong-answer book grouped per bank, most recent mistakes first."""
    entries = db.session.scalars(
        sa.select(WrongAnswer)
        .where(book_condition(user, moment))
        .order_by(WrongAnswer.last_wrong_at.desc())
    ).all()
    banks = {
        b.id: b
        for b in db.session.scalars(
            sa.select(Bank).where(Bank.id.in_({e.bank_id for e in entries}))
        )
    }
    grouped: dict[int, list[WrongAnswer]] = {}
    for e in entries:
        grouped.setdefault(e.bank_id, []).append(e)
    return [
        (banks[bid], items)
        for bid, items in sorted(grouped.items(), key=lambda kv: banks[kv[0]].name)
    ]


def book_entry(user: User, question_id: int, moment: datetime) -> WrongAnswer | None:
    return db.session.scalar(
        sa.select(WrongAnswer).where(
            book_condition(user, moment), WrongAnswer.question_id == question_id
        )
    )


def redo_queue(
    user: User, moment: datetime, bank_id: int | None = None, question_type: str | None = None
) -> list[WrongAnswer]:
    """错题重练 in one run: the open wrong-answer entries, optionally of one bank and one question
    type, in a fixed order (by question) so a run can step on with "after this question"."""
    entries = db.session.scalars(
        sa.select(WrongAnswer)
        .where(book_condition(user, moment))
        .where(WrongAnswer.bank_id == bank_id if bank_id else sa.true())
        .order_by(WrongAnswer.question_id)
    ).all()
    if question_type:
        entries = [
            e
            for e in entries
            if e.question.current_revision is not None
            and e.question.current_revision.type == question_type
        ]
    return list(entries)
