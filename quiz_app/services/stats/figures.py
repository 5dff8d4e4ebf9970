"""Participation and mastery per branch, rolled up the tree: the campaign page's figures, daily trend, score distribution, who has not taken part, topic mastery."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptStatus,
    Branch,
    Campaign,
    QuestionCategory,
    Quiz,
    QuizDayTally,
    QuizItemTally,
    QuizResult,
    QuizScoreTally,
    User,
)
from quiz_app.services import results
from quiz_app.services.audience import audience_condition
from quiz_app.services.results import counted_attempts
from quiz_app.services.stats.common import (
    _f,
    _ratio,
)
from quiz_app.services.stats.scope import (
    _within,
    branches_under,
)

# --- per-branch figures ------------------------------------------------------------------------


@dataclass
class BranchRow:
    branch_id: int | None
    name: str
    path: str
    depth: int
    expected: int = 0
    took_part: int = 0
    finished: int = 0
    scored: int = 0  # counted attempts attributed here
    avg_score: float | None = None
    median_score: float | None = None
    max_score_got: float | None = None
    score_rate: float | None = None  # Σscore ÷ Σmax
    pass_rate: float | None = None
    avg_time: float | None = None

    @property
    def participation_rate(self) -> float | None:
        return _ratio(self.finished, self.expected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch_id": self.branch_id,
            "branch": self.name,
            "expected": self.expected,
            "took_part": self.took_part,
            "finished": self.finished,
            "participation_rate": _round(self.participation_rate),
            "scored": self.scored,
            "avg_score": _round(self.avg_score, 2),
            "median_score": _round(self.median_score, 2),
            "max_score": _round(self.max_score_got, 2),
            "score_rate": _round(self.score_rate),
            "pass_rate": _round(self.pass_rate),
            "avg_time_seconds": _round(self.avg_time, 1),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _counted(quiz: Quiz) -> sa.Subquery:
    """The quiz's counted attempts as kept in ``QuizResult`` (``results``: the one definition,
    stored when an attempt becomes final)."""
    return results.counted(quiz.id)


@dataclass
class Missing:
    branch_id: int
    branch: str
    branch_path: str
    people: list[tuple[str, str]]  # (real_name, username)

    @property
    def line(self) -> str:
        return f"{self.branch}（{len(self.people)} 人）：" + "、".join(n for n, _ in self.people)


@dataclass
class _Roster:
    leaves: list[tuple[int, int, int, int]]  # (current branch, expected, took part, finished)
    missing: list[Missing]  # people without a final attempt, grouped by branch


def _roster(
    campaign: Campaign,
    quiz: Quiz,
    focus: Sequence[Branch],
    branches: Sequence[Branch] | None = None,
) -> _Roster:
    """The audience by current branch: how many are expected, took part and finished — and
    who has not finished yet (the reminder list).

    Two queries: people per branch (a plain count), and the people without a ``QuizResult``
    with their names (an anti-join that returns only them). Finished = expected − not
    finished; took part = finished + those of the others with an attempt in progress."""
    audience = [audience_condition(campaign), _within(User.branch_id, focus)]
    expected = dict(
        db.session.execute(
            sa.select(User.branch_id, sa.func.count()).where(*audience).group_by(User.branch_id)
        ).all()
    )
    running = sa.select(Attempt.user_id).where(
        Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.IN_PROGRESS.value
    )
    finished = sa.select(QuizResult.user_id).where(
        QuizResult.quiz_id == quiz.id, QuizResult.user_id == User.id
    )
    stmt = (
        sa.select(User.branch_id, User.real_name, User.username, User.id.in_(running))
        .where(*audience, ~sa.exists(finished))
        .order_by(User.branch_id, User.real_name, User.username)
    )
    people: dict[int, list[tuple[str, str]]] = defaultdict(list)
    started: dict[int, int] = defaultdict(int)
    for bid, person, username, is_running in db.session.execute(stmt):
        people[int(bid)].append((person, username))
        started[int(bid)] += bool(is_running)
    leaves = []
    for bid, n in expected.items():
        # ≥ 0 even if someone moved branch between the two statements
        fin = max(0, int(n) - len(people.get(bid, ())))
        leaves.append((int(bid), int(n), fin + started.get(bid, 0), fin))
    if branches is None:
        branches = branches_under(focus) if people else []
    missing = [Missing(b.id, b.name, b.path, people[b.id]) for b in branches if b.id in people]
    return _Roster(leaves, missing)


def _counted_in(quiz: Quiz, focus: Sequence[Branch]) -> tuple[sa.Subquery, sa.ColumnElement[bool]]:
    """The counted attempts, and the condition "attributed to a branch in the focus"."""
    counted = _counted(quiz)
    return counted, _within(counted.c.branch_id, focus)


@dataclass(frozen=True)
class ScoreCount:
    """Counted attempts of one (branch, score, full marks): how many, passed, time."""

    branch_id: int
    score: Decimal | None
    max_score: Decimal
    n: int
    passed: int
    pass_known: int  # how many of the n had a pass mark to meet
    sum_time: int
    n_time: int


def _score_counts(quiz: Quiz, focus: Sequence[Branch]) -> list[ScoreCount]:
    """Counted attempts by (branch, score, full marks), read off the stored ``QuizScoreTally``: a
    few hundred rows that give every score figure — sums, maxima, pass counts, medians, the
    histogram — rolled up."""
    t = QuizScoreTally
    stmt = sa.select(
        t.branch_id, t.score, t.max_score, t.people, t.passed, t.pass_known, t.sum_time, t.n_time
    ).where(t.quiz_id == quiz.id, t.people != 0, _within(t.branch_id, focus))
    return [
        ScoreCount(int(b), Decimal(s), Decimal(m), int(n), int(p), int(k), int(st), int(nt))
        for b, s, m, n, p, k, st, nt in db.session.execute(stmt)
    ]


def bare_branch_query(quiz: Quiz) -> list[Any]:
    """The benchmark's yardstick: one GROUP BY per branch over counted attempts, computed from
    the raw attempts (``counted_attempts``), as a page without stored results would have to."""
    counted = counted_attempts(quiz.id, quiz.counting)
    stmt = sa.select(
        counted.c.branch_id,
        sa.func.count(),
        sa.func.avg(counted.c.score),
        sa.func.max(counted.c.score),
    ).group_by(counted.c.branch_id)
    return list(db.session.execute(stmt))


def _ancestors(path: str, report: set[int]) -> list[int]:
    """The report branches whose subtree holds the branch with this ``path`` (itself included)."""
    return [int(p) for p in path.strip("/").split("/") if p and int(p) in report]


@dataclass
class _Acc:
    """Sums that roll up the tree: roster counts and the score histogram of a subtree."""

    expected: int = 0
    took: int = 0
    fin: int = 0
    hist: dict[Decimal, int] = field(default_factory=lambda: defaultdict(int))
    n: int = 0
    sum_score: Decimal = Decimal(0)
    max_score: Decimal | None = None
    sum_max: Decimal = Decimal(0)
    passed: int = 0
    pass_known: int = 0
    sum_time: int = 0
    n_time: int = 0

    def add_roster(self, expected: int, took: int, fin: int) -> None:
        self.expected += expected
        self.took += took
        self.fin += fin

    def add_scores(self, c: ScoreCount) -> None:
        self.n += c.n
        if c.score is not None:
            self.sum_score += c.score * c.n
            self.hist[c.score] += c.n
            if self.max_score is None or c.score > self.max_score:
                self.max_score = c.score
        self.sum_max += c.max_score * c.n
        self.pass_known += c.pass_known
        self.passed += c.passed
        self.sum_time += c.sum_time
        self.n_time += c.n_time

    def fill(self, row: BranchRow) -> None:
        row.expected, row.took_part, row.finished = self.expected, self.took, self.fin
        if self.n:
            row.scored = self.n
            row.avg_score = float(self.sum_score) / self.n
            row.max_score_got = _f(self.max_score)
            row.score_rate = _ratio(self.sum_score, self.sum_max)
            row.pass_rate = _ratio(self.passed, self.pass_known) if self.pass_known else None
            row.avg_time = _ratio(self.sum_time, self.n_time)
        row.median_score = _hist_median(self.hist)


def _hist_median(hist: dict[Decimal, int]) -> float | None:
    """The median of a score histogram (value → how many), as ``median`` of the sorted list."""
    total = sum(hist.values())
    if not total:
        return None
    want = [(total - 1) // 2, total // 2]  # 0-based positions of the middle one or two
    found: list[float] = []
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        while want and want[0] < seen:
            found.append(float(value))
            want.pop(0)
        if not want:
            break
    return found[0] if total % 2 else (found[0] + found[1]) / 2


@dataclass
class QuizFigures:
    quiz: Quiz
    max_score: float
    total: BranchRow
    rows: list[BranchRow]  # every branch under the focus with anyone expected or scored
    score_counts: list[ScoreCount] = field(default_factory=list, repr=False)
    missing: list[Missing] = field(default_factory=list, repr=False)

    @property
    def overall_score_rate(self) -> float | None:
        return self.total.score_rate


def branch_figures(campaign: Campaign, quiz: Quiz, focus: Sequence[Branch]) -> QuizFigures:
    """Per branch (rolled up) and in total: participation and scores for one quiz.

    Two GROUP BY queries per leaf branch (roster; counted scores by value), summed up the tree
    here: sums, counts and histograms roll up, and the median is read off the histogram. The
    not-yet-participated list comes with them (``figures.missing``)."""
    branches = branches_under(focus)
    report = {b.id for b in branches}
    paths = {b.id: b.path for b in branches}
    acc: dict[int, _Acc] = defaultdict(_Acc)
    total = _Acc()
    roster = _roster(campaign, quiz, focus, branches)
    for bid, e, t, f in roster.leaves:
        total.add_roster(e, t, f)
        for rid in _ancestors(paths.get(bid, ""), report):
            acc[rid].add_roster(e, t, f)
    counts = _score_counts(quiz, focus)
    for c in counts:
        total.add_scores(c)
        for rid in _ancestors(paths.get(c.branch_id, ""), report):
            acc[rid].add_scores(c)
    top_depth = min((b.depth for b in branches), default=0)
    rows = []
    for b in branches:
        row = BranchRow(b.id, b.name, b.path, b.depth - top_depth)
        acc.get(b.id, _Acc()).fill(row)
        if row.expected or row.scored or row.took_part:
            rows.append(row)
    total_row = BranchRow(None, "合计", "", 0)
    total.fill(total_row)
    return QuizFigures(quiz, float(quiz.max_score), total_row, rows, counts, roster.missing)


@dataclass
class TrendDay:
    day: str
    attempts: int  # final attempts finished that day (人次)
    new_people: int  # people whose first final attempt was that day
    cumulative: int = 0
    cumulative_rate: float | None = None


def daily_trend(quiz: Quiz, focus: Sequence[Branch], expected: int) -> list[TrendDay]:
    """Per Beijing date: 人次 finished, people finishing for the first time, running rate.

    Read off the stored day tallies (``QuizDayTally``), attributed to the branch where each
    attempt started."""
    t = QuizDayTally
    per_day: dict[str, int] = {}
    firsts: dict[str, int] = {}
    for day, finished, first in db.session.execute(
        sa.select(t.day, sa.func.sum(t.finished), sa.func.sum(t.first_time))
        .where(t.quiz_id == quiz.id, _within(t.branch_id, focus))
        .group_by(t.day)
    ):
        per_day[day], firsts[day] = int(finished or 0), int(first or 0)
    days = sorted(set(per_day) | set(firsts))
    if not days:
        return []
    out: list[TrendDay] = []
    d, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    running = 0
    while d <= last:
        key = d.isoformat()
        running += int(firsts.get(key, 0))
        out.append(
            TrendDay(
                key,
                int(per_day.get(key, 0)),
                int(firsts.get(key, 0)),
                running,
                _ratio(running, expected),
            )
        )
        d += timedelta(days=1)
    return out


@dataclass
class Bin:
    label: str
    low: float
    high: float
    count: int


def distribution(
    quiz: Quiz, focus: Sequence[Branch], figures: QuizFigures | None = None
) -> list[Bin]:
    """Counted scores in ten bins of 10% of the paper's full marks (the top bin includes 100%).

    Read off ``figures``' GROUP BY rows (counted attempts by score and full marks) when given —
    the campaign page has them already — else grouped here."""
    counts = figures.score_counts if figures is not None else _score_counts(quiz, focus)
    bins = [0] * 10
    for c in counts:
        s, m = c.score, c.max_score
        if s is None or m <= 0:
            continue
        for i in range(9, -1, -1):  # s·10 ≥ m·i, the highest such i (exact decimals)
            if s * 10 >= m * i or i == 0:
                if s * 10 >= m * i:
                    bins[i] += c.n
                break
    full = float(quiz.max_score)
    return [
        Bin(
            f"{i * 10}–{(i + 1) * 10}%" if i < 9 else "90–100%",
            full * i / 10,
            full * (i + 1) / 10,
            bins[i],
        )
        for i in range(10)
    ]


# --- not yet participated ----------------------------------------------------------------------


def not_participated(
    campaign: Campaign, quiz: Quiz, focus: Sequence[Branch], figures: QuizFigures | None = None
) -> list[Missing]:
    """People in the audience (signed in or not) with no final attempt, grouped by branch in
    display order. Read off ``figures`` when the caller has them (same query, no second pass)."""
    if figures is not None:
        return figures.missing
    return _roster(campaign, quiz, focus).missing


def missing_text(groups: Sequence[Missing]) -> str:
    return "\n".join(g.line for g in groups)


# --- topic mastery -----------------------------------------------------------------------------


@dataclass
class TopicRow:
    category: str
    answered: int
    correct: int
    by_branch: dict[int, tuple[int, int]] = field(default_factory=dict)  # id → (n, correct)

    @property
    def rate(self) -> float | None:
        return _ratio(self.correct, self.answered)

    def branch_rate(self, branch_id: int) -> float | None:
        n, c = self.by_branch.get(branch_id, (0, 0))
        return _ratio(c, n)


def topic_mastery(
    quiz: Quiz, focus: Sequence[Branch], columns: Sequence[BranchRow]
) -> list[TopicRow]:
    """Correct rate per category (QuestionCategory) in counted attempts, overall and per column
    branch (rolled up). Weakest first.

    One query over the stored tallies (``QuizItemTally``: answered / correct per branch and
    question of counted attempts, a few thousand rows) grouped by (branch, category); the
    per-branch sums are rolled up to the columns here."""
    t = QuizItemTally
    leaf = (
        sa.select(
            t.branch_id,
            Branch.path,
            QuestionCategory.name,
            sa.func.sum(t.answered),
            sa.func.sum(t.correct),
        )
        .join(QuestionCategory, QuestionCategory.question_id == t.question_id)
        .join(Branch, Branch.id == t.branch_id)
        # a row can fall back to 0 when a counted attempt moves to another branch
        .where(t.quiz_id == quiz.id, t.answered != 0, _within(t.branch_id, focus))
        .group_by(t.branch_id, Branch.path, QuestionCategory.name)
    )
    col_paths = [(r.branch_id, r.path) for r in columns if r.branch_id is not None]
    rows: dict[str, TopicRow] = {}
    for _bid, path, cat, n, c in db.session.execute(leaf):
        n, c = int(n or 0), int(c or 0)
        row = rows.setdefault(cat, TopicRow(cat, 0, 0))
        row.answered += n
        row.correct += c
        for cid, cpath in col_paths:
            if path.startswith(cpath):
                old_n, old_c = row.by_branch.get(cid, (0, 0))
                row.by_branch[cid] = (old_n + n, old_c + c)
    return sorted(rows.values(), key=lambda t: (t.rate if t.rate is not None else 2, t.category))
