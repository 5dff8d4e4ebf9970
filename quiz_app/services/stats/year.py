"""The year's figures: 网上知识竞答 over a date range and a part of the tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from quiz_app.clock import LOCAL_TZ, now
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    Branch,
    Campaign,
    QuizResult,
    User,
)
from quiz_app.services import access
from quiz_app.services.campaigns import audience_condition
from quiz_app.services.stats.common import (
    StatsDenied,
    _f,
    _final,
    _int,
    _ratio,
)
from quiz_app.services.stats.scope import (
    Scope,
    _overlaps,
    _within,
    campaign_scope,
    focus_for,
    visible_campaigns,
)

# --- the year's figures ------------------------------------------------------------------------


@dataclass
class YearFigures:
    start: date
    end: date
    branch_names: list[str]
    campaigns: int
    quizzes: int
    participants: int
    person_times: int
    avg_score_rate: float | None
    participation_rate: float | None
    expected: int
    finished: int

    def paragraph(self, today: date | None = None) -> str:
        today = today or now().astimezone(LOCAL_TZ).date()
        if self.start == date(today.year, 1, 1) and self.end >= today:
            since = "今年以来"
        else:
            since = f"{self.start.year}年{self.start.month}月{self.start.day}日至{self.end.year}年{self.end.month}月{self.end.day}日"
        return (
            f"{since}，共组织网上知识竞答{self.campaigns}次（{self.quizzes}场），"
            f"参与{self.participants}人、{self.person_times}人次，"
            f"平均得分率{pct(self.avg_score_rate)}，参与率{pct(self.participation_rate)}。"
        )


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Beijing, as UTC."""
    lo = datetime.combine(start, time(), LOCAL_TZ).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ).astimezone(UTC)
    return lo, hi


def this_year() -> tuple[date, date]:
    today = now().astimezone(LOCAL_TZ).date()
    return date(today.year, 1, 1), date(today.year, 12, 31)


def year_campaigns(user: User, start: date, end: date, focus: Sequence[Branch]) -> list[Campaign]:
    """Campaigns opened in [start, end] (Beijing), visible to the person and reaching the focus."""
    lo, hi = local_bounds(start, end)
    out = []
    for c in visible_campaigns(user):
        if not (lo <= c.opens_at < hi):
            continue
        try:
            campaign_scope(user, c)
        except StatsDenied:
            continue
        if _overlaps([b.path for b in c.branches], focus):
            out.append(c)
    return out


def year_figures(
    user: User, start: date, end: date, focus: Sequence[Branch]
) -> tuple[YearFigures, list[Campaign]]:
    """Campaigns opened in the range: how many, people and 人次 (final attempts finished in the
    range, by the branch at the time), average score rate of those attempts, participation rate =
    Σ people finished ÷ Σ people expected over every quiz of those campaigns."""
    campaigns = year_campaigns(user, start, end, focus)
    quiz_ids = [q.id for c in campaigns for q in c.quizzes]
    lo, hi = local_bounds(start, end)
    participants = person_times = 0
    avg_rate = None
    if quiz_ids:
        row = db.session.execute(
            sa.select(
                sa.func.count(sa.distinct(Attempt.user_id)),
                sa.func.count(),
                sa.func.avg(sa.case((Attempt.max_score > 0, Attempt.score / Attempt.max_score))),
            ).where(
                Attempt.quiz_id.in_(quiz_ids),
                _final(),
                Attempt.finished_at >= lo,
                Attempt.finished_at < hi,
                _within(Attempt.branch_id, focus),
            )
        ).one()
        participants, person_times, avg_rate = int(row[0]), int(row[1]), _f(row[2])
    expected = finished = 0
    for c in campaigns:
        for q in c.quizzes:
            done = sa.select(QuizResult.user_id).where(QuizResult.quiz_id == q.id)
            e, f = db.session.execute(
                sa.select(sa.func.count(), sa.func.sum(_int(User.id.in_(done)))).where(
                    audience_condition(c), _within(User.branch_id, focus)
                )
            ).one()
            expected += int(e or 0)
            finished += int(f or 0)
    figures = YearFigures(
        start,
        end,
        [b.name for b in focus],
        len(campaigns),
        len(quiz_ids),
        participants,
        person_times,
        avg_rate,
        _ratio(finished, expected),
        expected,
        finished,
    )
    return figures, campaigns


def year_focus(user: User, branch_id: int | None) -> list[Branch]:
    """The year page's part of the tree: a leader's scope, or everything for admins/organizers."""
    if access.is_admin(user) or not access.can_lead(user):
        scope = Scope(None)
    else:
        roots = access.leader_scope(user)
        scope = Scope(None if roots is None else tuple(roots))
    return focus_for(scope, branch_id)
