"""The wrong-answer book (错题本) as quizzes feed it: an item answered wrong joins its owner's book
once the quiz's key may be seen, and leaves again if a re-grade finds it right after all.

Practice answers update the same rows in ``practice.answer`` (two right in a row clear an entry).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, Question, ReviewPolicy, WrongAnswer


def _book_available_from(attempt: Attempt) -> datetime | None:
    """When a quiz's mistakes may join the wrong-answer book: when its key may be seen."""
    policy = attempt.quiz.review_policy
    if policy == ReviewPolicy.NEVER:
        return None
    return (
        attempt.finished_at if policy == ReviewPolicy.IMMEDIATE else attempt.quiz.campaign.closes_at
    )


def book_wrong(attempt: Attempt, item: AttemptItem) -> None:
    """Put an item answered wrong into its owner's wrong-answer book (once reviewable)."""
    _book(attempt, [item.question_id])


def unbook_wrong(attempt: Attempt, item: AttemptItem) -> None:
    """Undo book_wrong for an item a re-grade found right after all."""
    entry = db.session.scalar(
        sa.select(WrongAnswer).where(
            WrongAnswer.user_id == attempt.user_id, WrongAnswer.question_id == item.question_id
        )
    )
    if entry is None or entry.cleared_at is not None:
        return
    entry.times_wrong -= 1
    if entry.times_wrong <= 0:
        db.session.delete(entry)


def book_from_attempt(attempt: Attempt) -> None:
    """Book every item a just-finished attempt got wrong, as ``book_wrong`` would one by one.

    In one read and one insert, not three statements per mistake: every hand-in at 9:00 runs
    this, and a 30-question paper with 20 mistakes cost 60 statements (bench/RESULTS.md §2g)."""
    _book(attempt, [item.question_id for item in attempt.items if not item.correct])


def _book(attempt: Attempt, question_ids: list[int]) -> None:
    available = _book_available_from(attempt)
    if available is None or not question_ids:
        return
    existing = {
        entry.question_id: entry
        for entry in db.session.scalars(
            sa.select(WrongAnswer).where(
                WrongAnswer.user_id == attempt.user_id, WrongAnswer.question_id.in_(question_ids)
            )
        )
    }
    missing = [qid for qid in question_ids if qid not in existing]
    if missing:  # plain rows, not ORM objects: nothing in this request reads them back
        banks = dict(
            db.session.execute(
                sa.select(Question.id, Question.bank_id).where(Question.id.in_(missing))
            ).all()
        )
        db.session.execute(
            sa.insert(WrongAnswer),
            [
                {
                    "user_id": attempt.user_id,
                    "question_id": qid,
                    "bank_id": banks[qid],
                    "right_streak": 0,
                    "times_wrong": 1,
                    "added_at": attempt.finished_at,
                    "last_wrong_at": attempt.finished_at,
                    "available_at": available,
                }
                for qid in missing
            ],
        )
    for entry in existing.values():
        entry.times_wrong += 1
        entry.right_streak = 0
        entry.cleared_at = None
        entry.last_wrong_at = attempt.finished_at  # type: ignore[assignment]
        if entry.available_at is None or available < entry.available_at:
            entry.available_at = available
    db.session.flush()
