"""我的成绩: a person's final attempts, newest first, with what the home page says about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptStatus, Campaign, Quiz, QuizResult, ReviewPolicy, User
from quiz_app.services import attempt_payload, results

RELEASE_NOTICE_DAYS = 14  # how long home says "已公布答案和解析" after a campaign's close


@dataclass(frozen=True)
class ResultRow:
    attempt: Attempt
    counted: bool  # the attempt that counts for the quiz (best or last, as the quiz says)
    standing: results.Standing | None  # only on the counted attempt
    review_open: bool  # the key and 解析 may be seen now
    review_note: str  # when not: why, in words


def counted_attempt_id(user: User, quiz_id: int) -> int | None:
    """The attempt that counts for the person's score in a quiz (best or last), if any."""
    row = db.session.get(QuizResult, (quiz_id, user.id))
    return row.attempt_id if row is not None else None


def review_note(attempt: Attempt, moment: datetime) -> str:
    """Empty when the review is open; else when it opens, or that it never does."""
    if attempt_payload.review_allowed(attempt, moment):
        return ""
    if attempt.quiz.review_policy == ReviewPolicy.AFTER_CLOSE:
        return "活动结束后公布答案和解析"
    return "本次竞答不公布答案"


def final_attempts(user: User, moment: datetime) -> list[ResultRow]:
    """Every final attempt of ``user``, newest first, with rank on each quiz's counted one."""
    rows = db.session.scalars(
        sa.select(Attempt)
        .where(Attempt.user_id == user.id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .options(joinedload(Attempt.quiz).joinedload(Quiz.campaign))
        .order_by(Attempt.finished_at.desc(), Attempt.id.desc())
    ).all()
    counted = dict(
        db.session.execute(
            sa.select(QuizResult.quiz_id, QuizResult.attempt_id).where(
                QuizResult.user_id == user.id
            )
        ).all()
    )
    standings: dict[int, results.Standing | None] = {}
    out = []
    for a in rows:
        is_counted = counted.get(a.quiz_id) == a.id
        if is_counted and a.quiz_id not in standings:
            standings[a.quiz_id] = results.standing(a.quiz, user)
        note = review_note(a, moment)
        out.append(
            ResultRow(
                a, is_counted, standings.get(a.quiz_id) if is_counted else None, not note, note
            )
        )
    return out


def released(user: User, moment: datetime) -> list[Attempt]:
    """Counted attempts whose answers were held until the campaign closed and are now out
    (closed in the last two weeks): home says "《…》已公布答案和解析"."""
    since = moment - timedelta(days=RELEASE_NOTICE_DAYS)
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .join(QuizResult, QuizResult.attempt_id == Attempt.id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .join(Campaign, Campaign.id == Quiz.campaign_id)
            .where(
                Attempt.user_id == user.id,
                Quiz.review_policy == ReviewPolicy.AFTER_CLOSE.value,
                Campaign.closes_at <= moment,
                Campaign.closes_at > since,
            )
            .order_by(Campaign.closes_at.desc())
        )
    )
