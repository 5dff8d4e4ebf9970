"""Ranking branches fairly (shrunk score rate, composite with participation) and the people's leaderboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    Branch,
    Quiz,
    User,
)
from quiz_app.services.stats.common import (
    DEFAULT_K,
    DEFAULT_TOP,
    DEFAULT_WEIGHT,
    _ratio,
    shrunk,
)
from quiz_app.services.stats.figures import (
    BranchRow,
    QuizFigures,
    _counted_in,
)

# --- ranking -----------------------------------------------------------------------------------


RANK_BY = {
    "participation": "按参与率",
    "score": "按平均得分率（收缩后）",
    "composite": "综合：参与率与得分率加权",
}


@dataclass
class RankRow:
    row: BranchRow
    shrunk_rate: float | None
    composite: float | None
    value: float | None
    rank: int = 0


def peers(figures: QuizFigures, focus: Sequence[Branch]) -> list[BranchRow]:
    """The branches ranked against each other: the focus's direct children (or the roots)."""
    focus_ids = {b.id for b in focus}
    children = [
        r
        for r in figures.rows
        if any(r.path != f.path and r.path.startswith(f.path) for f in focus) and r.depth == 1
    ]
    if children:
        return children
    return [r for r in figures.rows if r.branch_id in focus_ids]


def rank_branches(
    figures: QuizFigures,
    focus: Sequence[Branch],
    by: str = "composite",
    weight: float = DEFAULT_WEIGHT,
    k: float = DEFAULT_K,
) -> list[RankRow]:
    """Fair ranking of peer branches. Score rate is shrunk: (n·x̄ + k·μ) ÷ (n + k), μ the total's.

    composite = w·参与率 + (1 − w)·收缩得分率, w = ``weight`` %.
    """
    by = by if by in RANK_BY else "composite"
    w = min(max(weight, 0.0), 100.0) / 100
    mu = figures.total.score_rate
    out = []
    for row in peers(figures, focus):
        s = shrunk(row.scored, row.score_rate, mu, k)
        p = row.participation_rate
        comp = None if p is None or s is None else w * p + (1 - w) * s
        value = {"participation": p, "score": s, "composite": comp}[by]
        out.append(RankRow(row, s, comp, value))
    out.sort(key=lambda r: (r.value is None, -(r.value or 0), r.row.name))
    for i, r in enumerate(out, start=1):
        r.rank = i
    return out


# --- leaderboard, trend, distribution ----------------------------------------------------------


@dataclass
class Leader:
    rank: int
    user_id: int
    name: str
    username: str
    branch: str
    score: float
    score_rate: float | None
    time_used: int | None
    finished_at: datetime | None


def leaderboard(quiz: Quiz, focus: Sequence[Branch], top: int = DEFAULT_TOP) -> list[Leader]:
    """Top N counted attempts: higher score, then less time, then earlier submission."""
    counted, in_focus = _counted_in(quiz, focus)
    order = (
        counted.c.score.desc(),
        counted.c.time_used.asc(),
        counted.c.finished_at.asc(),
        counted.c.attempt_id,
    )
    # rank and cut first, then look up names for those N rows only
    best = sa.select(counted).where(in_focus).order_by(*order).limit(top).subquery("best")
    stmt = (
        sa.select(
            best.c.user_id,
            best.c.score,
            best.c.time_used,
            best.c.finished_at,
            Attempt.max_score,
            User.real_name,
            User.username,
            Branch.name.label("branch"),
        )
        .join(Attempt, Attempt.id == best.c.attempt_id)
        .join(User, User.id == best.c.user_id)
        .join(Branch, Branch.id == best.c.branch_id)
        .order_by(
            best.c.score.desc(), best.c.time_used.asc(), best.c.finished_at.asc(), best.c.attempt_id
        )
    )
    return [
        Leader(
            i,
            r.user_id,
            r.real_name,
            r.username,
            r.branch,
            float(r.score),
            _ratio(r.score, r.max_score),
            r.time_used,
            r.finished_at,
        )
        for i, r in enumerate(db.session.execute(stmt), start=1)
    ]
