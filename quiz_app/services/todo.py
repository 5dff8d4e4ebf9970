"""Home as a to-do list: what this person should do next, then what they have done.

Items come from providers. A provider is a plain function ``(user, moment) -> Iterable[dict]``;
each dict has the keys

    kind     short ASCII word for what it is: "quiz", "practice", "material", "report", "meeting"…
    title    what the card says in bold, e.g. "保密知识竞答"
    url      where tapping the card leads
    due_at   an aware UTC datetime, or None (no deadline)
    status   the few words in the status badge: "未参加", "进行中", "未及格 · 17 分"…
    action   the verb for the tap: "开始答题", "继续答题", "查看成绩", "开始练习"…

and may add

    done       bool, default False: True puts it under 已完成 instead of 待完成
    tone       "new" / "running" / "pass" / "fail" / "done" (the badge's colour), default "new"
    subtitle   one small line above the title (the campaign), default ""
    detail     one small line under it ("剩余 12分05秒", "还可作答 2 次"), default ""
    remaining  seconds left on an in-progress attempt (server clock), default None

Other features (study materials, reports, meetings) write such a function in their own package and
the lead adds it to ``PROVIDERS``. ``POINTS_PROVIDER`` is the place for "今日积分": a function
``(user, moment) -> int | None``; None (the default) hides the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from quiz_app.clock import format_duration
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Quiz,
    QuizResult,
    User,
)
from quiz_app.services import campaigns, practice

DUE_SOON = timedelta(hours=24)
RECENTLY_CLOSED = timedelta(days=14)  # completed quizzes of closed campaigns stay on home this long

Provider = Callable[[User, datetime], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class TodoItem:
    kind: str
    title: str
    url: str
    due_at: datetime | None
    status: str
    action: str
    done: bool = False
    tone: str = "new"
    subtitle: str = ""
    detail: str = ""
    remaining: int | None = None

    def due_soon(self, moment: datetime) -> bool:
        return not self.done and self.due_at is not None and self.due_at - moment <= DUE_SOON


def _quiz_url(endpoint: str, **values: Any) -> str:
    from flask import url_for  # URLs need the app; the rules here do not

    return url_for(endpoint, **values)


def quiz_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    """Quizzes open to the person, and those they finished in campaigns closed recently."""
    open_states = {s.quiz.id: s for s in campaigns.open_quizzes_for(user, moment)}
    rows = db.session.execute(
        sa.select(QuizResult, Quiz)
        .join(Quiz, Quiz.id == QuizResult.quiz_id)
        .join(Campaign, Campaign.id == Quiz.campaign_id)
        .where(
            QuizResult.user_id == user.id,
            Campaign.status != CampaignStatus.DRAFT,
            Campaign.closes_at > moment - RECENTLY_CLOSED,
        )
    ).all()
    counted = {quiz.id: (result, quiz) for result, quiz in rows}
    running = {
        a.quiz_id: a
        for a in db.session.scalars(
            sa.select(Attempt).where(
                Attempt.user_id == user.id, Attempt.status == AttemptStatus.IN_PROGRESS
            )
        )
    }
    items: list[dict[str, Any]] = []
    for state in open_states.values():
        quiz = state.quiz
        base = {"kind": "quiz", "title": quiz.title, "subtitle": quiz.campaign.title}
        attempt = running.get(quiz.id)
        if attempt is not None:
            remaining = (
                None
                if attempt.deadline is None
                else max(0, int((attempt.deadline - moment).total_seconds()))
            )
            items.append(
                base
                | {
                    "url": _quiz_url("take.attempt", attempt_id=attempt.id),
                    "due_at": attempt.deadline,
                    "status": "进行中",
                    "action": "继续答题",
                    "tone": "running",
                    "remaining": remaining,
                    "detail": "" if remaining is None else f"剩余 {format_duration(remaining)}",
                }
            )
        elif quiz.id not in counted and state.can_start:
            items.append(
                base
                | {
                    "url": _quiz_url("take.quiz", quiz_id=quiz.id),
                    "due_at": quiz.campaign.closes_at,
                    "status": "未参加",
                    "action": "开始答题",
                    "detail": _limits(quiz),
                }
            )
    for result, quiz in counted.values():
        if quiz.id in running:
            continue
        state = open_states.get(quiz.id)
        left = None
        if state is not None and state.can_start:
            left = (
                "不限次数"
                if quiz.attempts_allowed is None
                else f"还可作答 {quiz.attempts_allowed - state.attempts_used} 次"
            )
        score = f"{_points(result.score)} 分"
        if result.passed is None:
            status, tone = f"已完成 · {score}", "done"
        elif result.passed:
            status, tone = f"已及格 · {score}", "pass"
        else:
            status, tone = f"未及格 · {score}", "fail"
        items.append(
            {
                "kind": "quiz",
                "title": quiz.title,
                "subtitle": quiz.campaign.title,
                "url": _quiz_url("results.show", attempt_id=result.attempt_id),
                "due_at": quiz.campaign.closes_at,
                "status": status,
                "tone": tone,
                "action": "查看成绩",
                "done": True,
                "detail": left or ("活动已结束" if state is None else "已用完作答次数"),
            }
        )
    return items


def _points(value: Any) -> str:
    """ "45", "17.5": the same form as the ``points`` filter."""
    return f"{Decimal(str(value or 0)).quantize(Decimal('0.01')).normalize():f}"


def _limits(quiz: Quiz) -> str:
    parts = [f"限时 {format_duration(quiz.time_limit_seconds)}" if quiz.time_limit_seconds else ""]
    if quiz.attempts_allowed:
        parts.append(f"可作答 {quiz.attempts_allowed} 次")
    return " · ".join(p for p in parts if p)


def practice_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    """Today's 每日一练: how far the person got today."""
    today = practice.daily_set(user, moment)
    if not today:
        return []
    done = practice.answered_today(user, moment)
    finished = len(done) >= len(today)
    right = sum(1 for q in today if done.get(q.id))
    return [
        {
            "kind": "practice",
            "title": "每日一练",
            "subtitle": "今天",
            "url": _quiz_url("practice.index" if finished else "practice.daily"),
            "due_at": None,
            "status": f"今日已完成 · 答对 {right}/{len(today)}"
            if finished
            else f"今日 {len(today)} 题 · 已做 {len(done)} 题",
            "tone": "done" if finished else ("running" if done else "new"),
            "action": "查看练习" if finished else ("继续练习" if done else "开始练习"),
            "done": finished,
        }
    ]


def study_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    from quiz_app.services.study import todo as study_todo

    return study_todo.todo_items(user, moment)


def report_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    from quiz_app.services.reports import figures as report_figures

    return report_figures.todo_items(user, moment)


def meeting_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    from quiz_app.services.meetings import compliance

    return compliance.todo_items(user, moment)  # type: ignore[return-value]


def _points_today(user: User, moment: datetime) -> int | None:
    from quiz_app.services.points import boards

    return boards.points_today(user, moment)


PROVIDERS: list[Provider] = [quiz_items, practice_items, study_items, report_items, meeting_items]
POINTS_PROVIDER: Callable[[User, datetime], int | None] | None = _points_today


def todo_items(user: User, moment: datetime) -> list[TodoItem]:
    """All providers' items: 待完成 first (soonest due first, no deadline last), then 已完成
    (latest due first)."""
    items = [TodoItem(**d) for provider in PROVIDERS for d in provider(user, moment)]
    far = datetime.max.replace(tzinfo=moment.tzinfo)
    pending = sorted((i for i in items if not i.done), key=lambda i: (i.due_at or far, i.title))
    done = sorted(
        (i for i in items if i.done),
        key=lambda i: (i.due_at or far, i.title),
        reverse=True,
    )
    return pending + done


def points_today(user: User, moment: datetime) -> int | None:
    """Today's points, when a points feature is plugged in; None hides the line."""
    return POINTS_PROVIDER(user, moment) if POINTS_PROVIDER is not None else None
