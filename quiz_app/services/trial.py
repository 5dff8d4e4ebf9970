"""试答: an organizer takes a freshly drawn paper on the staff quiz page, then sees it graded.

Why stateless: a trial that wrote an Attempt would have to be filtered out of every count —
statistics, rankings, points, the not-yet list, progress, 我的成绩, the audit of participation —
and one forgotten filter would leak it. So a trial writes nothing at all. The drawn paper travels
in a signed token (question, revision, points and option order per item; no answer keys), the
answers stay in the page until 交卷, and the server grades them with ``grading`` — the same rules
as staff — and renders the review. There is nothing to exclude because nothing is stored.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer

from quiz_app.extensions import db
from quiz_app.models import QuestionRevision, Quiz
from quiz_app.services import attempts, grading, papers
from quiz_app.services.attempt_payload import question_json

SALT = "quiz-trial-v1"
# A trial token outlives its time limit by this much (a slow organizer, a phone put away).
TOKEN_SLACK = timedelta(hours=12)
# An answer handed in this long after the clock ran out is still graded, but said to be late.
LATE_GRACE = timedelta(seconds=30)


class TrialError(ValueError):
    """A trial that cannot be drawn or graded; the message is for the organizer."""


@dataclass(frozen=True)
class TrialItem:
    """One question of a trial paper (duck-types AttemptItem for key conversion)."""

    question_id: int
    revision: QuestionRevision
    points: Decimal
    option_order: list[int]


@dataclass(frozen=True)
class TrialPaper:
    quiz_id: int
    user_id: int
    nonce: str
    started_at: datetime
    deadline: datetime | None
    items: list[TrialItem]


def draw(
    quiz: Quiz, user_id: int, moment: datetime, rng: random.Random | None = None
) -> TrialPaper:
    """A fresh paper by the quiz's own rules (``papers.draw_paper``); TrialError when short."""
    try:
        drawn = papers.draw_paper(quiz, rng or random.Random(secrets.randbits(64)))
    except ValueError as exc:
        raise TrialError(f"暂不能试答：{exc}") from exc
    if not drawn:
        raise TrialError("暂不能试答：这场竞答还没有题目。")
    revisions = _revisions([d.revision_id for d in drawn])
    deadline = (
        moment + timedelta(seconds=quiz.time_limit_seconds) if quiz.time_limit_seconds else None
    )
    return TrialPaper(
        quiz.id,
        user_id,
        secrets.token_hex(8),
        moment,
        deadline,
        [
            TrialItem(
                d.question_id, revisions[d.revision_id], Decimal(d.points), list(d.option_order)
            )
            for d in drawn
        ],
    )


def _revisions(ids: list[int]) -> dict[int, QuestionRevision]:
    return {
        r.id: r
        for r in db.session.scalars(sa.select(QuestionRevision).where(QuestionRevision.id.in_(ids)))
    }


def encode(paper: TrialPaper, secret: str) -> str:
    """The signed token the page carries (ids and orders only: no answer key is in it)."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(
        {
            "q": paper.quiz_id,
            "u": paper.user_id,
            "n": paper.nonce,
            "s": paper.started_at.isoformat(),
            "d": paper.deadline.isoformat() if paper.deadline else None,
            "i": [
                [i.question_id, i.revision.id, str(i.points), i.option_order] for i in paper.items
            ],
        }
    )


def decode(token: str, secret: str, quiz: Quiz, user_id: int) -> TrialPaper:
    """The paper a token stands for, if it was signed here, for this quiz and this person."""
    limit = (quiz.time_limit_seconds or 0) + int(TOKEN_SLACK.total_seconds())
    try:
        raw = URLSafeTimedSerializer(secret, salt=SALT).loads(token[:20000], max_age=limit)
        if raw["q"] != quiz.id or raw["u"] != user_id:
            raise TrialError("这份试答试卷不属于这场竞答，请重新开始试答。")
        rows = [
            (int(q), int(r), Decimal(p), [int(o) for o in order]) for q, r, p, order in raw["i"]
        ]
        started = datetime.fromisoformat(raw["s"])
        deadline = datetime.fromisoformat(raw["d"]) if raw["d"] else None
    except BadSignature as exc:
        raise TrialError("试答已过期或试卷无效，请重新开始试答。") from exc
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, TrialError):
            raise
        raise TrialError("试答试卷无效，请重新开始试答。") from exc
    revisions = _revisions([r for _, r, _, _ in rows])
    if len(revisions) != len({r for _, r, _, _ in rows}):
        raise TrialError("试卷中的题目已被删除，请重新开始试答。")
    items = [TrialItem(q, revisions[r], p, order) for q, r, p, order in rows]
    return TrialPaper(quiz.id, user_id, str(raw["n"]), started, deadline, items)


def _question_json(item: TrialItem, position: int) -> dict[str, Any]:
    return question_json(item.question_id, position, item.revision, item.option_order, item.points)


def payload(quiz: Quiz, paper: TrialPaper, moment: datetime) -> dict[str, Any]:
    """What the quiz page needs, in the shape of ``attempts.attempt_payload`` (no keys)."""
    return {
        "id": f"trial-{paper.nonce}",
        "quiz_id": quiz.id,
        "quiz_title": quiz.title,
        "number": 0,
        "status": "in_progress",
        "started_at": paper.started_at.isoformat(),
        "deadline": paper.deadline.isoformat() if paper.deadline else None,
        "server_time": moment.isoformat(),
        "last_seq": 0,
        "questions": [_question_json(item, n) for n, item in enumerate(paper.items, start=1)],
        "answers": {},
        "flagged": [],
        "review": False,
        "trial": True,
    }


@dataclass(frozen=True)
class TrialResult:
    payload: dict[str, Any]  # reviewable, as ``review.from_payload`` reads it
    score: Decimal
    max_score: Decimal
    passed: bool | None
    time_used_seconds: int
    end_label: str
    problems: list[str]


def grade(
    quiz: Quiz, paper: TrialPaper, answers: Any, moment: datetime, by_clock: bool = False
) -> TrialResult:
    """Grade the answers (in the keys as shown) exactly as an attempt is graded; store nothing.

    An answer that does not fit its question counts as unanswered and is named in ``problems``.
    """
    given = answers if isinstance(answers, dict) else {}
    questions, shown_answers, problems = [], {}, []
    total = Decimal("0.00")
    max_score = Decimal("0.00")
    for n, item in enumerate(paper.items, start=1):
        rev = item.revision
        shown = given.get(str(item.question_id))
        try:
            stored = attempts.to_stored(item, shown)  # type: ignore[arg-type]
        except attempts.AttemptError as exc:
            problems.append(f"第 {n} 题：{exc.message}")
            stored = None
        score, correct = grading.grade(rev, stored, item.points, quiz.multiple_scoring)
        total += score
        max_score += item.points
        q = _question_json(item, n)
        q["awarded"] = str(score)
        q["correct"] = correct
        q["explanation"] = rev.explanation
        if rev.type == "judge":
            q["correct_answer"] = rev.answer == ["T"]
        elif rev.type == "blank":
            q["correct_answer"] = [list(b) for b in rev.blanks]
        elif rev.type == "single":
            q["correct_answer"] = attempts.to_shown(item, rev.answer[0])  # type: ignore[arg-type]
        else:
            q["correct_answer"] = attempts.to_shown(item, list(rev.answer))  # type: ignore[arg-type]
        questions.append(q)
        if stored is not None:
            shown_answers[str(item.question_id)] = attempts.to_shown(item, stored)  # type: ignore[arg-type]
    end = paper.deadline
    timed_out = end is not None and (by_clock or moment >= end)
    used_until = min(moment, end) if end is not None else moment
    if end is not None and moment > end + LATE_GRACE:
        label = "时间到（交卷晚于限时，正式作答时将按保存的答案自动交卷）"
    elif timed_out:
        label = "时间到，已自动交卷"
    else:
        label = "已交卷"
    passed = None if quiz.pass_mark is None else total >= quiz.pass_mark
    return TrialResult(
        payload={
            "questions": questions,
            "answers": shown_answers,
            "review": True,
        },
        score=total,
        max_score=max_score,
        passed=passed,
        time_used_seconds=max(0, int((used_until - paper.started_at).total_seconds())),
        end_label=label,
        problems=problems,
    )
