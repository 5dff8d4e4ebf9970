"""Statistics for leaders and organizers: participation and mastery per branch, rolled up the tree.

The package splits by concern: ``scope`` (who sees what), ``figures`` (per-branch participation
and mastery), ``ranking``, ``items`` (item analysis), ``year`` (the year's figures and their
providers), ``yearreport`` (the year's paragraph and downloads) and ``export`` (the campaign
workbook); ``common`` holds the refusal and small helpers. This module re-exports the public
names so ``stats.branch_figures(...)`` keeps working.

Definitions (stated on the pages too):

- Scope: admins see everything; an organizer sees every branch of the campaigns they created; a
  leader sees the branches in their scope (their branch and its subtree, or everything) of any
  campaign whose audience reaches into that scope. Anything else is refused (``StatsDenied``).
- A branch's figures include its whole subtree (a prefix join on ``Branch.path``).
- 应参与 (expected): active people in the campaign's audience (``audience_condition``), by their
  current branch, whether or not they ever signed in. 已参与 / 已完成: those of them with any
  attempt / a final (submitted or timed-out) attempt. 参与率 = 已完成 ÷ 应参与.
- Scores (平均分, 中位数, 最高分, 及格率, 平均用时, 得分率) come from each person's counted attempt
  (``results.counted_attempts``: best or last, as the quiz says), attributed to the branch the
  person was in when the attempt started (``Attempt.branch_id``). 得分率 = Σ得分 ÷ Σ满分.
- The counted attempts and their per-branch tallies are stored (``services.results``: kept up
  to date when an attempt becomes final, rebuilt on re-grade, in the same transaction), so a
  page groups a few thousand stored rows instead of ranking every attempt on each request.
- Every figure is a SQL aggregate over leaf branches (GROUP BY branch, and for scores by branch and
  score value), summed up the tree here. Medians are read off those per-score counts (portable
  SQL has no median), so no per-person rows are ever loaded for the figures.
- Fair ranking shrinks a branch's score rate toward the overall mean: (n·x̄ + k·μ) ÷ (n + k).
- Topic mastery uses the question's current categories (``QuestionCategory``): a portable join,
  and fixing a category in the bank fixes past reports too.
- Item analysis: facility = share of drawn items answered fully right (unanswered counts wrong);
  discrimination = upper 27% facility − lower 27% facility, groups by counted score; KR-20 with
  Σ(nᵢ/N)·pᵢqᵢ over items (equal to the textbook formula when everyone gets the same paper);
  standard deviation is the sample one (n − 1).
- Nothing is cached in memory: every request reads the database (the stored results commit with
  the submission that changed them), so figures never go stale or leak across users.
"""

from __future__ import annotations

from quiz_app.services.stats.common import (
    DEFAULT_K,
    DEFAULT_TOP,
    DEFAULT_WEIGHT,
    MIN_FLAG_ANSWERS,
    TYPE_LABELS,
    UPPER_LOWER,
    StatsDenied,
    median,
    shrunk,
)
from quiz_app.services.stats.export import (
    export_xlsx,
)
from quiz_app.services.stats.figures import (
    Bin,
    BranchRow,
    Missing,
    QuizFigures,
    ScoreCount,
    TopicRow,
    TrendDay,
    _counted,
    _hist_median,
    bare_branch_query,
    branch_figures,
    daily_trend,
    distribution,
    missing_text,
    not_participated,
    topic_mastery,
)
from quiz_app.services.stats.items import (
    ItemAnalysis,
    ItemRow,
    OptionCount,
    item_analysis,
)
from quiz_app.services.stats.ranking import (
    RANK_BY,
    Leader,
    RankRow,
    leaderboard,
    peers,
    rank_branches,
)
from quiz_app.services.stats.scope import (
    Focus,
    Scope,
    branches_under,
    campaign_scope,
    focus_for,
    get_campaign,
    get_quiz,
    may_view_stats,
    tree_roots,
    visible_campaigns,
)
from quiz_app.services.stats.summary import (
    FEW_PEOPLE,
    CampaignSummary,
    campaign_summaries,
)
from quiz_app.services.stats.year import (
    local_bounds,
    pct,
    this_year,
    year_focus,
)

__all__ = [
    "DEFAULT_K",
    "DEFAULT_TOP",
    "DEFAULT_WEIGHT",
    "FEW_PEOPLE",
    "MIN_FLAG_ANSWERS",
    "RANK_BY",
    "TYPE_LABELS",
    "UPPER_LOWER",
    "Bin",
    "BranchRow",
    "CampaignSummary",
    "Focus",
    "ItemAnalysis",
    "ItemRow",
    "Leader",
    "Missing",
    "OptionCount",
    "QuizFigures",
    "RankRow",
    "Scope",
    "ScoreCount",
    "StatsDenied",
    "TopicRow",
    "TrendDay",
    "_counted",
    "_hist_median",
    "bare_branch_query",
    "branch_figures",
    "branches_under",
    "campaign_scope",
    "campaign_summaries",
    "daily_trend",
    "distribution",
    "export_xlsx",
    "focus_for",
    "get_campaign",
    "get_quiz",
    "item_analysis",
    "leaderboard",
    "local_bounds",
    "may_view_stats",
    "median",
    "missing_text",
    "not_participated",
    "pct",
    "peers",
    "rank_branches",
    "shrunk",
    "this_year",
    "topic_mastery",
    "tree_roots",
    "visible_campaigns",
    "year_focus",
]
