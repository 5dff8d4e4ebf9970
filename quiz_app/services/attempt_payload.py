"""What a person may see of an attempt: the phone's payload, and whether the key is shown yet.

The answer key and 解析 never leave the server before the attempt is final and the quiz's review
policy allows it; ``review_allowed`` is the one place that decides.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, CampaignStatus, QuestionRevision, ReviewPolicy
from quiz_app.services.attempts import shown_answer
from quiz_app.services.importing import OPTION_KEYS
from quiz_app.services.revision_cache import Revision, revisions


def review_allowed(attempt: Attempt, moment: datetime) -> bool:
    """May the person see the right answers and 解析 now? Never before the attempt is final."""
    if not attempt.is_final:
        return False
    policy = attempt.quiz.review_policy
    if policy == ReviewPolicy.IMMEDIATE:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        campaign = attempt.quiz.campaign
        return campaign.status == CampaignStatus.CLOSED or moment >= campaign.closes_at
    return False


def question_json(
    question_id: int,
    position: int,
    revision: QuestionRevision | Revision,
    option_order: list[int],
    points: Decimal,
) -> dict[str, Any]:
    """One question as the quiz page shows it while answering (a staff paper or an organizer's
    试答): the options in this paper's order, never the key."""
    return {
        "id": question_id,
        "position": position,
        "type": revision.type,
        "stem": revision.stem,
        "options": [
            {"key": OPTION_KEYS[i], "text": revision.options[orig]}
            for i, orig in enumerate(option_order)
        ],
        "blanks": len(revision.blanks) if revision.type == "blank" else 0,
        "score": str(points),
    }


def attempt_payload(attempt: Attempt, moment: datetime) -> dict[str, Any]:
    """What the phone receives. The key and 解析 only once the attempt is final and review allowed.

    The items are read as plain rows and their revisions from revision_cache: every start,
    resume and hand-in builds this for 30 questions, and ORM objects for them cost more CPU
    than the rest of the request."""
    reveal = review_allowed(attempt, moment)
    questions, answers, flags = [], {}, []
    items = db.session.execute(
        sa.select(
            AttemptItem.question_id,
            AttemptItem.position,
            AttemptItem.revision_id,
            AttemptItem.option_order,
            AttemptItem.points,
            AttemptItem.answer,
            AttemptItem.flagged,
            AttemptItem.score,
            AttemptItem.correct,
        )
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.position)
    ).all()
    revs = revisions(i.revision_id for i in items)
    for item in items:
        rev = revs[item.revision_id]
        q = question_json(item.question_id, item.position, rev, item.option_order, item.points)
        if reveal:
            q["awarded"] = str(item.score)
            q["correct"] = item.correct
            q["explanation"] = rev.explanation
            if rev.type == "judge":
                q["correct_answer"] = list(rev.answer) == ["T"]
            elif rev.type == "blank":
                q["correct_answer"] = [list(b) for b in rev.blanks]
            elif rev.type == "single":
                q["correct_answer"] = shown_answer(rev.type, item.option_order, rev.answer[0])
            else:
                q["correct_answer"] = shown_answer(rev.type, item.option_order, list(rev.answer))
        questions.append(q)
        if item.answer is not None:
            answers[str(item.question_id)] = shown_answer(rev.type, item.option_order, item.answer)
        if item.flagged:
            flags.append(item.question_id)
    payload: dict[str, Any] = {
        "id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "quiz_title": attempt.quiz.title,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at.isoformat(),
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "server_time": moment.isoformat(),
        "last_seq": attempt.last_seq,
        "questions": questions,
        "answers": answers,
        "flagged": flags,
        "review": reveal,
    }
    if attempt.is_final:
        payload["result"] = {
            "score": str(attempt.score),
            "max_score": str(attempt.max_score),
            "passed": attempt.passed,
            "time_used_seconds": attempt.time_used_seconds,
            "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
            "end_reason": attempt.end_reason,
            "end_label": attempt.end_label,
        }
    return payload
