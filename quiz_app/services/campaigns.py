"""Campaigns: who they are for, what is open to whom, and publishing with its fairness checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Quiz,
    ReviewPolicy,
    User,
)
from quiz_app.services import papers
from quiz_app.services.audience import in_audience


class CampaignError(ValueError):
    """A campaign change that is not allowed; the message is shown as is."""


def is_open(campaign: Campaign, moment: datetime | None = None) -> bool:
    """Published and inside its window."""
    moment = moment or now()
    return (
        campaign.status == CampaignStatus.PUBLISHED
        and campaign.opens_at <= moment < campaign.closes_at
    )


@dataclass(frozen=True)
class QuizState:
    """A quiz as the home page shows it to one person."""

    quiz: Quiz
    state: str  # 未参加 / 进行中 / 已完成
    attempts_used: int
    attempts_allowed: int | None
    best_score: Decimal | None
    in_progress_id: int | None

    @property
    def can_start(self) -> bool:
        return self.in_progress_id is None and (
            self.attempts_allowed is None or self.attempts_used < self.attempts_allowed
        )


def open_quizzes_for(user: User, moment: datetime | None = None) -> list[QuizState]:
    """Every quiz open to ``user`` now, with their state in it, soonest-closing first."""
    moment = moment or now()
    # Everything the audience check and the list read, in one statement per table however many
    # campaigns are open (every phone asks for this list, all at once at 9:00).
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(
            Campaign.status == CampaignStatus.PUBLISHED,
            Campaign.opens_at <= moment,
            Campaign.closes_at > moment,
        )
        .order_by(Campaign.closes_at)
        .options(
            selectinload(Campaign.branches),
            selectinload(Campaign.groups),
            selectinload(Campaign.quizzes).selectinload(Quiz.sections),
        )
    ).all()
    quizzes = [q for c in campaigns if in_audience(user, c) for q in c.quizzes]
    by_id = {c.id: c for c in campaigns}
    for quiz in quizzes:  # the quiz keeps its campaign: callers read quiz.campaign after this
        set_committed_value(quiz, "campaign", by_id[quiz.campaign_id])
    if not quizzes:
        return []
    rows = db.session.execute(
        sa.select(Attempt.quiz_id, Attempt.id, Attempt.status, Attempt.score).where(
            Attempt.user_id == user.id, Attempt.quiz_id.in_([q.id for q in quizzes])
        )
    ).all()
    states = []
    for quiz in quizzes:
        mine = [r for r in rows if r.quiz_id == quiz.id]
        running = next((r.id for r in mine if r.status == AttemptStatus.IN_PROGRESS), None)
        scores = [
            r.score for r in mine if r.status != AttemptStatus.IN_PROGRESS and r.score is not None
        ]
        state = "进行中" if running else ("已完成" if scores else "未参加")
        states.append(
            QuizState(
                quiz, state, len(mine), quiz.attempts_allowed, max(scores, default=None), running
            )
        )
    return states


def shortfalls(quiz: Quiz) -> list[str]:
    """Why the banks cannot fill the quiz's paper, one line per problem (empty when they can)."""
    return papers.shortfalls(quiz)


def publish(campaign: Campaign, moment: datetime | None = None) -> None:
    """Open the campaign for its audience once every quiz's paper can be filled."""
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError("只有草稿状态的活动可以发布")
    problems: list[str] = []
    if not campaign.branches:
        problems.append("请先选择参加的部门")
    if not campaign.quizzes:
        problems.append("活动中还没有竞答或练习")
    for quiz in campaign.quizzes:
        if not quiz.sections:
            problems.append(f"“{quiz.title}”还没有设置题目")
        problems.extend(f"“{quiz.title}”：{p}" for p in shortfalls(quiz))
    if problems:
        raise CampaignError("；".join(problems))
    campaign.status = CampaignStatus.PUBLISHED.value
    campaign.published_at = moment or now()


def close(campaign: Campaign, moment: datetime | None = None) -> None:
    """End a campaign early: its closing time becomes now, so open attempts end at once."""
    moment = moment or now()
    if campaign.status != CampaignStatus.PUBLISHED:
        raise CampaignError("只有已发布的活动可以结束")
    campaign.status = CampaignStatus.CLOSED.value
    if campaign.opens_at < moment < campaign.closes_at:
        campaign.closes_at = moment  # the figures and reviews then speak of the real end
    db.session.execute(
        sa.update(Attempt)
        .where(
            Attempt.quiz_id.in_([q.id for q in campaign.quizzes]),
            Attempt.status == AttemptStatus.IN_PROGRESS,
            sa.or_(Attempt.deadline.is_(None), Attempt.deadline > moment),
        )
        .values(deadline=moment, end_reason="closed_early")  # finalize keeps it unless handed in
    )


def rules_locked(quiz: Quiz) -> bool:
    """After publishing, the rules that decide fairness (paper, time, attempts, scoring) are fixed."""
    return quiz.campaign.status != CampaignStatus.DRAFT


_STRICTNESS = {ReviewPolicy.IMMEDIATE: 0, ReviewPolicy.AFTER_CLOSE: 1, ReviewPolicy.NEVER: 2}


def review_policy_problem(quiz: Quiz, new_policy: str) -> str | None:
    """Once rules are locked, when answers are shown may become stricter, never looser: people
    who finished early took the quiz on the promise that the keys stay hidden from the rest."""
    try:
        new = ReviewPolicy(new_policy)
    except ValueError:
        return "请选择公布答案的时机"
    old = ReviewPolicy(quiz.review_policy)
    if rules_locked(quiz) and _STRICTNESS[new] < _STRICTNESS[old]:
        return (
            "活动已发布，公布答案的时机只能改得更严（交卷后立即 → 活动结束后 → 不公布），"
            "不能放宽：已交卷的人可能把答案告诉还没作答的人"
        )
    return None


def set_editors(campaign: Campaign, editors: list[User]) -> None:
    """Replace a campaign's co-editors (organizers other than its creator)."""
    campaign.editors = [u for u in editors if u.id != campaign.created_by_id]
