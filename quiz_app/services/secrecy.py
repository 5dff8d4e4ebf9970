"""When answer keys must stay hidden from a person: the one rule behind practice, the
wrong-answer book and item analysis, so no side door shows a running quiz's keys to its own
audience before the quiz's review policy allows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Question,
    Quiz,
    ReviewPolicy,
    User,
)
from quiz_app.services import access, audience, papers


def _final_quiz_ids(user: User, quiz_ids: list[int]) -> set[int]:
    if not quiz_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Attempt.quiz_id).where(
                Attempt.user_id == user.id,
                Attempt.quiz_id.in_(quiz_ids),
                Attempt.status != AttemptStatus.IN_PROGRESS.value,
            )
        )
    )


def _live_quizzes_for(user: User, moment: datetime) -> list[Quiz]:
    """Quizzes of published campaigns that are running or scheduled and meant for ``user``."""
    found = db.session.scalars(
        sa.select(Campaign).where(
            Campaign.status == CampaignStatus.PUBLISHED, Campaign.closes_at > moment
        )
    ).all()
    return [
        q
        for c in found
        if audience.in_audience(user, c) and not access.can_edit_campaign(user, c)
        for q in c.quizzes
    ]


def practice_hidden_condition(user: User, moment: datetime) -> sa.ColumnElement[bool]:
    """SQL condition on Question: the questions practice must not show this person now, because
    a running or scheduled quiz of theirs may ask them and its keys are not yet theirs to see
    (every policy but "立即公布" after their own final attempt)."""
    quizzes = _live_quizzes_for(user, moment)
    finished = _final_quiz_ids(user, [q.id for q in quizzes])
    pools: list[sa.ColumnElement[bool]] = []
    for quiz in quizzes:
        if quiz.review_policy == ReviewPolicy.IMMEDIATE and quiz.id in finished:
            continue
        for section in quiz.sections:
            if section.is_fixed:
                pools.append(Question.id.in_(section.fixed_question_ids or [-1]))
            else:
                pools.append(papers.pool_condition(section))
    return sa.or_(*pools) if pools else sa.false()


def analysis_refusal(user: User, campaign: Campaign, moment: datetime) -> str | None:
    """Why ``user`` may not yet see the keys in item analysis (or an export holding it): a
    leader who is in the audience of a running quiz and has not finished it. None when allowed."""
    if access.can_edit_campaign(user, campaign):
        return None
    if campaign.status == CampaignStatus.CLOSED or campaign.closes_at <= moment:
        return None
    if not audience.in_audience(user, campaign):
        return None
    finished = _final_quiz_ids(user, [q.id for q in campaign.quizzes])
    if all(q.id in finished for q in campaign.quizzes):
        return None
    return "您也在本活动的参加范围内：交卷之后（或活动结束后）才能查看试题分析和导出，以免提前看到答案。"
