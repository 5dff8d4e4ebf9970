"""One line of figures per campaign for the statistics list (参与率 · 得分率 · 未完成 N 人).

Computed once per campaign here (from ``figures.branch_figures`` over the person's whole scope,
the campaign's first quiz), never per template call, so the list and the campaign page agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quiz_app.models import Campaign, User
from quiz_app.services.stats.common import StatsDenied
from quiz_app.services.stats.figures import branch_figures
from quiz_app.services.stats.scope import campaign_scope, focus_for

FEW_PEOPLE = 5  # a figure resting on fewer people than this is marked 仅供参考


@dataclass(frozen=True)
class CampaignSummary:
    """The headline of a campaign's first quiz in the viewer's scope."""

    quiz_title: str
    expected: int
    finished: int
    scored: int
    participation_rate: float | None
    score_rate: float | None

    @property
    def unfinished(self) -> int:
        return max(self.expected - self.finished, 0)

    @property
    def few(self) -> bool:
        """The score rate rests on fewer than FEW_PEOPLE people: say so beside it."""
        return 0 < self.scored < FEW_PEOPLE


def campaign_summaries(user: User, campaigns: Sequence[Campaign]) -> dict[int, CampaignSummary]:
    """Campaign id → its summary, for the campaigns that have a quiz and that ``user`` may see."""
    out: dict[int, CampaignSummary] = {}
    for camp in campaigns:
        quizzes = list(camp.quizzes)
        if not quizzes:
            continue
        try:
            focus = focus_for(campaign_scope(user, camp), None)
        except StatsDenied:
            continue
        quiz = quizzes[0]
        total = branch_figures(camp, quiz, focus).total
        out[camp.id] = CampaignSummary(
            quiz_title=quiz.title,
            expected=total.expected,
            finished=total.finished,
            scored=total.scored,
            participation_rate=total.participation_rate,
            score_rate=total.score_rate,
        )
    return out
