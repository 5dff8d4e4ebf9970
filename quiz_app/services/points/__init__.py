"""学习积分: rules (data an admin edits, versioned by date), the append-only ledger, boards."""

from quiz_app.services.points.boards import (
    branch_board,
    history,
    period_bounds,
    person_board,
    points_today,
    rank_of,
    streak,
    total,
)
from quiz_app.services.points.ledger import (
    award,
    award_study_time,
    correct,
    local_day,
    quiz_finished,
    quiz_regraded,
)

__all__ = [
    "award",
    "award_study_time",
    "branch_board",
    "correct",
    "history",
    "local_day",
    "period_bounds",
    "person_board",
    "points_today",
    "quiz_finished",
    "quiz_regraded",
    "rank_of",
    "streak",
    "total",
]
