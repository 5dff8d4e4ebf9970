"""Statistics for leaders and organizers: participation and mastery per branch, rolled up the tree.

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

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from quiz_app.clock import LOCAL_TZ, format_local, now
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    Branch,
    Campaign,
    CampaignStatus,
    Question,
    QuestionCategory,
    QuestionRevision,
    Quiz,
    QuizDayTally,
    QuizItemTally,
    QuizResult,
    QuizScoreTally,
    User,
)
from quiz_app.models.campaign import campaign_branch
from quiz_app.services import access, results
from quiz_app.services.campaigns import audience_condition
from quiz_app.services.importing import OPTION_KEYS
from quiz_app.services.results import counted_attempts
from quiz_app.services.stats.common import (
    DEFAULT_K,
    DEFAULT_TOP,
    DEFAULT_WEIGHT,
    MIN_FLAG_ANSWERS,
    TYPE_LABELS,
    UPPER_LOWER,
    StatsDenied,
    _f,
    _final,
    _int,
    _ratio,
    median,
    shrunk,
)
from quiz_app.services.stats.figures import (
    Bin,
    BranchRow,
    Missing,
    QuizFigures,
    ScoreCount,
    TopicRow,
    TrendDay,
    _Acc,
    _ancestors,
    _counted,
    _counted_in,
    _hist_median,
    _Roster,
    _roster,
    _round,
    _score_counts,
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
    _answer_text,
    _key_value,
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
    _overlaps,
    _under,
    _within,
    branches_under,
    campaign_scope,
    focus_for,
    get_campaign,
    get_quiz,
    may_view_stats,
    tree_roots,
    visible_campaigns,
)
from quiz_app.services.stats.year import (
    YearFigures,
    local_bounds,
    pct,
    this_year,
    year_campaigns,
    year_figures,
    year_focus,
)
from quiz_app.services.xlsx_out import workbook_bytes

# --- export ------------------------------------------------------------------------------------


def _p(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _n(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def export_xlsx(campaign: Campaign, focus: Sequence[Branch]) -> bytes:
    """部门汇总, 个人成绩, 未参与名单, 知识点掌握, 试题分析 — values only, text neutralised."""
    from quiz_app.services.branches import full_name

    summary, people, missing, topics, items = [], [], [], [], []
    for quiz in campaign.quizzes:
        figs = branch_figures(campaign, quiz, focus)
        for r in [*figs.rows, figs.total]:
            summary.append(
                [
                    quiz.title,
                    ("　" * r.depth) + r.name,
                    r.expected,
                    r.took_part,
                    r.finished,
                    _p(r.participation_rate),
                    r.scored,
                    _n(r.avg_score),
                    _n(r.median_score),
                    _n(r.max_score_got),
                    _p(r.score_rate),
                    _p(r.pass_rate),
                    _n(r.avg_time, 0),
                ]
            )
        counted, in_focus = _counted_in(quiz, focus)
        stmt = (
            sa.select(
                User.real_name,
                User.username,
                Branch.id,
                counted.c.score,
                Attempt.max_score,
                Attempt.passed,
                counted.c.time_used,
                counted.c.finished_at,
            )
            .join(Attempt, Attempt.id == counted.c.attempt_id)
            .join(User, User.id == counted.c.user_id)
            .join(Branch, Branch.id == counted.c.branch_id)
            .where(in_focus)
            .order_by(
                counted.c.score.desc(), counted.c.time_used.asc(), counted.c.finished_at.asc()
            )
        )
        names: dict[int, str] = {}
        for i, r in enumerate(db.session.execute(stmt), start=1):
            if r[2] not in names:
                names[r[2]] = full_name(db.session.get(Branch, r[2]))  # type: ignore[arg-type]
            people.append(
                [
                    quiz.title,
                    i,
                    r.real_name,
                    r.username,
                    names[r[2]],
                    float(r.score),
                    float(r.max_score),
                    _p(_ratio(r.score, r.max_score)),
                    {True: "是", False: "否"}.get(r.passed, ""),
                    r.time_used,
                    format_local(r.finished_at, "%Y-%m-%d %H:%M:%S"),
                ]
            )
        for g in not_participated(campaign, quiz, focus, figs):
            bname = full_name(db.session.get(Branch, g.branch_id))  # type: ignore[arg-type]
            for name, username in g.people:
                missing.append([quiz.title, bname, name, username])
        cols = peers(figs, focus)
        for t in topic_mastery(quiz, focus, cols):
            topics.append([quiz.title, t.category, "合计", t.answered, t.correct, _p(t.rate)])
            for c in cols:
                n_, c_ = t.by_branch.get(c.branch_id or 0, (0, 0))
                if n_:
                    topics.append([quiz.title, t.category, c.name, n_, c_, _p(_ratio(c_, n_))])
        ia = item_analysis(quiz, focus)
        for it in ia.items:
            items.append(
                [
                    quiz.title,
                    it.question_id,
                    it.revision_number,
                    it.type_label,
                    it.stem,
                    it.key_text,
                    it.drawn,
                    it.answered,
                    _p(it.facility),
                    _n(it.discrimination, 3),
                    "；".join(f"{o.key}:{o.count}" for o in it.options),
                    it.top_answer or "",
                    "；".join(it.flags),
                ]
            )
    return workbook_bytes(
        [
            (
                "部门汇总",
                [
                    "竞答",
                    "部门",
                    "应参与人数",
                    "已参与人数",
                    "已完成人数",
                    "参与率(%)",
                    "计分人数",
                    "平均分",
                    "中位数",
                    "最高分",
                    "得分率(%)",
                    "及格率(%)",
                    "平均用时(秒)",
                ],
                summary,
            ),
            (
                "个人成绩",
                [
                    "竞答",
                    "名次",
                    "姓名",
                    "登录名",
                    "部门",
                    "得分",
                    "满分",
                    "得分率(%)",
                    "及格",
                    "用时(秒)",
                    "交卷时间",
                ],
                people,
            ),
            ("未参与名单", ["竞答", "部门", "姓名", "登录名"], missing),
            ("知识点掌握", ["竞答", "知识点", "部门", "作答题次", "答对题次", "答对率(%)"], topics),
            (
                "试题分析",
                [
                    "竞答",
                    "题目编号",
                    "版本",
                    "题型",
                    "题干",
                    "正确答案",
                    "抽到次数",
                    "作答次数",
                    "答对率(%)",
                    "区分度",
                    "各选项人次",
                    "选得最多的答案",
                    "提示",
                ],
                items,
            ),
        ]
    )
