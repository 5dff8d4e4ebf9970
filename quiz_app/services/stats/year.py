"""The year's figures: every domain's numbers for a date range and a part of the tree.

``PROVIDERS`` lists functions ``(start, end, branch_ids) -> [{"key", "label", "value", "unit",
"url"?}]``; this module provides 网上知识竞答 (``quiz_year_figures``) and wires in study,
一学一报, meetings and surveys. ``yearreport`` writes the paragraph from the keys present.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from quiz_app.clock import LOCAL_TZ, now
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    Branch,
    Campaign,
    CampaignStatus,
    QuizResult,
    User,
)
from quiz_app.models.campaign import campaign_branch
from quiz_app.services import access
from quiz_app.services.audience import audience_condition
from quiz_app.services.stats.common import (
    _f,
    _final,
    _int,
    _ratio,
)
from quiz_app.services.stats.scope import (
    Scope,
    _under,
    focus_for,
)

# --- the year's figures ------------------------------------------------------------------------


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


def quiz_counts(
    campaigns: Sequence[Campaign],
    lo: datetime,
    hi: datetime,
    inside: Callable[[Any], sa.ColumnElement[bool]],
) -> tuple[int, int, int, float | None, float | None, int, int]:
    """(quizzes, people, 人次, average score rate, participation rate, expected, finished) of
    these campaigns' quizzes; ``inside(branch_column)`` limits everything to a part of the tree."""
    quiz_ids = [q.id for c in campaigns for q in c.quizzes]
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
                inside(Attempt.branch_id),
            )
        ).one()
        participants, person_times, avg_rate = int(row[0]), int(row[1]), _f(row[2])
    expected = finished = 0
    for c in campaigns:
        for q in c.quizzes:
            done = sa.select(QuizResult.user_id).where(QuizResult.quiz_id == q.id)
            e, f = db.session.execute(
                sa.select(sa.func.count(), sa.func.sum(_int(User.id.in_(done)))).where(
                    audience_condition(c), inside(User.branch_id)
                )
            ).one()
            expected += int(e or 0)
            finished += int(f or 0)
    return (
        len(quiz_ids),
        participants,
        person_times,
        avg_rate,
        _ratio(finished, expected),
        expected,
        finished,
    )


def campaigns_reaching(start: datetime, end: datetime, branch_ids: Any) -> list[Campaign]:
    """Published or closed campaigns opened in [start, end) whose audience reaches a branch of
    ``branch_ids`` (a SELECT of ids, or None for the whole tree), oldest first."""
    stmt = (
        sa.select(Campaign)
        .where(
            Campaign.status != CampaignStatus.DRAFT,
            Campaign.opens_at >= start,
            Campaign.opens_at < end,
        )
        .order_by(Campaign.opens_at, Campaign.id)
    )
    if branch_ids is not None:
        aud, inside = aliased(Branch), aliased(Branch)
        stmt = stmt.where(
            Campaign.id.in_(
                sa.select(campaign_branch.c.campaign_id)
                .join(aud, aud.id == campaign_branch.c.branch_id)
                .join(inside, inside.path.startswith(aud.path))
                .where(inside.id.in_(branch_ids))
            )
        )
    return list(db.session.scalars(stmt))


def quiz_year_figures(start: datetime, end: datetime, branch_ids: Any) -> list[dict[str, Any]]:
    """Report provider for 网上知识竞答: campaigns opened in the range and reaching the branches,
    their final attempts finished in the range by people of those branches (branch at the time),
    and participation against the roster (people of those branches in each audience)."""

    def inside(col: Any) -> sa.ColumnElement[bool]:
        return sa.true() if branch_ids is None else col.in_(branch_ids)

    campaigns = campaigns_reaching(start, end, branch_ids)
    _quizzes, people, times, avg_rate, rate, _exp, _fin = quiz_counts(campaigns, start, end, inside)
    url = "#campaigns"  # the campaign list under the report, each linking to its statistics
    return [
        {
            "key": "quiz.count",
            "label": "网上知识竞答",
            "value": len(campaigns),
            "unit": "次",
            "url": url,
        },
        {"key": "quiz.people", "label": "竞答参与人数", "value": people, "unit": "人", "url": url},
        {
            "key": "quiz.person_times",
            "label": "竞答参与人次",
            "value": times,
            "unit": "人次",
            "url": url,
        },
        {
            "key": "quiz.participation_rate",
            "label": "竞答参与率",
            "value": None if rate is None else round(rate * 100, 1),
            "unit": "%",
            "url": url,
        },
        {
            "key": "quiz.avg_score_rate",
            "label": "竞答平均得分率",
            "value": None if avg_rate is None else round(avg_rate * 100, 1),
            "unit": "%",
            "url": url,
        },
    ]


def _survey_figures(start: datetime, end: datetime, branch_ids: Any) -> list[dict[str, Any]]:
    from quiz_app.services.surveys.results import year_figures as survey_year_figures

    return survey_year_figures(start, end, branch_ids)


def _linked(figures: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    """Figures that name no page of their own link to the records' page of their domain."""
    return [fig if fig.get("url") else {**fig, "url": url} for fig in figures]


def _study_figures(start: datetime, end: datetime, branch_ids: Any) -> list[dict[str, Any]]:
    from quiz_app.services.study.figures import year_figures as study_year_figures

    return _linked(study_year_figures(start, end, branch_ids), "/study/stats")


def _report_figures(start: datetime, end: datetime, branch_ids: Any) -> list[dict[str, Any]]:
    from quiz_app.services.reports.figures import year_figures as report_year_figures

    return _linked(report_year_figures(start, end, branch_ids), "/reports/")


def _meeting_figures(start: datetime, end: datetime, branch_ids: Any) -> list[dict[str, Any]]:
    from quiz_app.services.meetings.figures import year_figures as meeting_year_figures

    return _linked(meeting_year_figures(start, end, branch_ids), "/meetings/calendar")  # type: ignore[arg-type]


Provider = Callable[[datetime, datetime, Any], list[dict[str, Any]]]

# The year report's sources. Each returns [{"key", "label", "value", "unit", "url"?}] for
# [start, end) in UTC and branch_ids (None = whole tree, else a SELECT of branch ids as
# access.scope_branch_ids returns).
PROVIDERS: list[Provider] = [
    quiz_year_figures,
    _study_figures,
    _report_figures,
    _meeting_figures,
    _survey_figures,
]


def collect(start: datetime, end: datetime, branch_ids: Any) -> dict[str, dict[str, Any]]:
    """Every provider's figures by key (the first provider to give a key wins)."""
    out: dict[str, dict[str, Any]] = {}
    for provider in PROVIDERS:
        for fig in provider(start, end, branch_ids):
            out.setdefault(fig["key"], fig)
    return out


def branch_ids_of(focus: Sequence[Branch]) -> Any:
    """The report's branch_ids for a focus: None for the whole tree, else a SELECT of ids."""
    if getattr(focus, "whole", False):
        return None
    return sa.select(Branch.id).where(_under(Branch.path, focus))


def year_focus(user: User, branch_id: int | None) -> list[Branch]:
    """The year page's part of the tree: a leader's scope, or everything for admins/organizers."""
    if access.is_admin(user) or not access.can_lead(user):
        scope = Scope(None)
    else:
        roots = access.leader_scope(user)
        scope = Scope(None if roots is None else tuple(roots))
    return focus_for(scope, branch_id)
