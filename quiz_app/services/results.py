"""Which attempt counts, and the ready-made tables the statistics read.

``counted_attempts`` is the one definition of each person's counted attempt (best or last final
one, as the quiz says). Ranking every attempt of a 20,000-person quiz on each page view costs
hundreds of milliseconds, so its result is kept in two tables written only here:

- ``QuizResult``: one row per (quiz, person) with the counted attempt's score, time and branch;
- ``QuizItemTally``: answered / correct per (quiz, branch, question) over counted attempts;
- ``QuizScoreTally``: counted attempts per (quiz, branch, score, full marks), with pass and
  time sums;
- ``QuizDayTally``: attempts finished and first-timers per (quiz, Beijing date, branch).

They change in exactly two places: ``record_final`` when an attempt becomes final (called by
``attempts.finalize``), and ``rebuild`` after a re-grade (or a bulk load, or by hand with
``quiz-app rebuild-stats``). Both run inside the caller's transaction, so the tables commit or
roll back with the attempt itself. A test checks that recording attempt by attempt gives the same
tables as rebuilding from scratch.

Concurrency: ``record_final`` holds a shared lock on the quiz row and ``rebuild`` an exclusive
one (PostgreSQL; SQLite writers are serialised anyway), so a rebuild never interleaves with a
submission. Tally rows are upserted in key order, so two submissions cannot deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from quiz_app.clock import format_local
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptCounting,
    AttemptItem,
    AttemptStatus,
    Quiz,
    QuizDayTally,
    QuizItemTally,
    QuizResult,
    QuizScoreTally,
    User,
)


def counted_attempts(
    quiz_id: int, counting: str, user_id: int | None = None, totals: bool = False
) -> sa.Subquery:
    """Each person's attempt that counts (best or last final one), as a subquery.

    Best: higher score, then less time, then earlier finish (then the lower id, so ties are
    decided the same way every time). Last: the highest attempt number.
    Columns: attempt_id, user_id, branch_id, score, time_used, finished_at; with ``totals`` also
    first_at (the person's first finish) and finals (how many final attempts).
    """
    if counting == AttemptCounting.LAST:
        order = [Attempt.number.desc()]
    else:
        order = [
            Attempt.score.desc().nulls_last(),  # the same on both databases
            Attempt.time_used_seconds.asc(),
            Attempt.finished_at.asc(),
            Attempt.id.asc(),
        ]
    where = [Attempt.quiz_id == quiz_id, Attempt.status != AttemptStatus.IN_PROGRESS]
    if user_id is not None:
        where.append(Attempt.user_id == user_id)
    columns: list[Any] = [
        Attempt.id.label("attempt_id"),
        Attempt.user_id,
        Attempt.branch_id,
        Attempt.score,
        Attempt.time_used_seconds.label("time_used"),
        Attempt.finished_at,
        sa.func.row_number().over(partition_by=Attempt.user_id, order_by=order).label("rn"),
    ]
    if totals:  # window aggregates: no second pass, no join a planner could get wrong
        person = Attempt.user_id
        columns.append(sa.func.min(Attempt.finished_at).over(partition_by=person).label("first_at"))
        columns.append(sa.func.count().over(partition_by=person).label("finals"))
    ranked = sa.select(*columns).where(*where).subquery()
    # "rn <= 1", not "rn = 1": the same rows, but PostgreSQL estimates "= 1" on a window result
    # at 0.5 % of attempts and joins 400k answers by nested loop (≈1 s instead of ≈0.2 s).
    return sa.select(ranked).where(ranked.c.rn <= 1).subquery("counted")


def counted(quiz_id: int) -> sa.Subquery:
    """The counted attempts as stored in ``QuizResult``, with ``counted_attempts``' columns."""
    return (
        sa.select(
            QuizResult.attempt_id,
            QuizResult.user_id,
            QuizResult.branch_id,
            QuizResult.score,
            QuizResult.time_used_seconds.label("time_used"),
            QuizResult.finished_at,
        )
        .where(QuizResult.quiz_id == quiz_id)
        .subquery("counted")
    )


# --- writing -----------------------------------------------------------------------------------


def lock_quiz(quiz_id: int, exclusive: bool) -> None:
    """Shared for a submission, exclusive for a rebuild (PostgreSQL row lock on the quiz)."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite: the writer already holds the database (BEGIN IMMEDIATE)
    stmt = sa.select(Quiz.id).where(Quiz.id == quiz_id).with_for_update(read=not exclusive)
    db.session.execute(stmt)


def _insert(table: Any) -> Any:
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def local_date_sql(col: Any) -> sa.ColumnElement[str]:
    """'YYYY-MM-DD' of a stored UTC timestamp in Beijing time (UTC+8 all year)."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("Asia/Shanghai", col), "YYYY-MM-DD")
    # whole seconds (as Python's date of the same moment): SQLite rounds fractions to the
    # millisecond, which would tip 15:59:59.9995 UTC into the next Beijing day
    return sa.func.strftime("%Y-%m-%d", sa.func.substr(col, 1, 19), "+8 hours")


def _increment(model: Any, keys: list[str], values: list[str], rows: list[dict[str, Any]]) -> None:
    """Add ``values`` to counter rows, creating them as needed. Rows go in key order, so two
    transactions lock shared rows in the same order and cannot deadlock."""
    rows = sorted(
        (r for r in rows if any(r[v] for v in values)), key=lambda r: [r[k] for k in keys]
    )
    if not rows:
        return
    table = model.__table__
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={v: table.c[v] + stmt.excluded[v] for v in values},
    )
    db.session.execute(stmt, rows)


def _increment_merged(
    model: Any, keys: list[str], values: list[str], rows: list[dict[str, Any]]
) -> None:
    """``_increment`` for rows that may share a key (one statement may not touch a row twice)."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        if key in merged:
            for v in values:
                merged[key][v] += row[v]
        else:
            merged[key] = dict(row)
    _increment(model, keys, values, list(merged.values()))


def _add_tallies(quiz_id: int, delta: dict[tuple[int, int], list[int]]) -> None:
    """Add (answered, correct) per (branch, question) to the quiz's item tallies."""
    rows = [
        {"quiz_id": quiz_id, "branch_id": b, "question_id": q, "answered": n, "correct": c}
        for (b, q), (n, c) in delta.items()
    ]
    _increment(
        QuizItemTally, ["quiz_id", "branch_id", "question_id"], ["answered", "correct"], rows
    )


SCORE_KEYS = ["quiz_id", "branch_id", "score", "max_score"]
SCORE_VALUES = ["people", "passed", "pass_known", "sum_time", "n_time"]


def _score_row(quiz_id: int, r: QuizResult | Attempt, sign: int) -> dict[str, Any]:
    """One person's counted attempt as a ``QuizScoreTally`` increment (sign −1 to take it out)."""
    used = r.time_used_seconds
    return {
        "quiz_id": quiz_id,
        "branch_id": r.branch_id,
        "score": r.score if r.score is not None else 0,
        "max_score": r.max_score,
        "people": sign,
        "passed": sign if r.passed else 0,
        "pass_known": sign if r.passed is not None else 0,
        "sum_time": sign * (used or 0),
        "n_time": sign if used is not None else 0,
    }


def _item_counts(attempt_id: int) -> list[tuple[int, bool]]:
    stmt = sa.select(AttemptItem.question_id, AttemptItem.correct).where(
        AttemptItem.attempt_id == attempt_id
    )
    return [(int(q), bool(c)) for q, c in db.session.execute(stmt)]


def record_final(attempt: Attempt) -> None:
    """Bring the person's ``QuizResult`` and the tallies up to date after ``attempt`` became
    final (its row locked and its grade flushed by the caller)."""
    quiz = attempt.quiz
    lock_quiz(quiz.id, exclusive=False)
    current = counted_attempts(quiz.id, quiz.counting, attempt.user_id)
    best = db.session.execute(sa.select(current.c.attempt_id)).scalar_one()
    best_attempt = (
        attempt if best == attempt.id else db.session.get(Attempt, best, populate_existing=True)
    )
    assert best_attempt is not None
    result = db.session.scalars(
        sa.select(QuizResult)
        .where(QuizResult.quiz_id == quiz.id, QuizResult.user_id == attempt.user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    previous = None if result is None else (result.attempt_id, result.branch_id)
    old_score = None if result is None else _score_row(quiz.id, result, -1)
    day = format_local(attempt.finished_at, "%Y-%m-%d")
    _increment(
        QuizDayTally,
        ["quiz_id", "day", "branch_id"],
        ["finished", "first_time"],
        [
            {
                "quiz_id": quiz.id,
                "day": day,
                "branch_id": attempt.branch_id,
                "finished": 1,
                "first_time": 1 if result is None else 0,
            }
        ],
    )
    if result is None:
        result = QuizResult(
            quiz_id=quiz.id,
            user_id=attempt.user_id,
            first_finished_at=attempt.finished_at,
            finals=0,
        )
        db.session.add(result)
    result.finals += 1
    if attempt.finished_at is not None and (
        result.first_finished_at is None or attempt.finished_at < result.first_finished_at
    ):
        result.first_finished_at = attempt.finished_at
    result.attempt_id = best_attempt.id
    result.branch_id = best_attempt.branch_id
    result.score = best_attempt.score
    result.max_score = best_attempt.max_score
    result.passed = best_attempt.passed
    result.time_used_seconds = best_attempt.time_used_seconds
    result.finished_at = best_attempt.finished_at
    db.session.flush()
    if previous is not None and previous[0] == best_attempt.id:
        return
    score_rows = [_score_row(quiz.id, best_attempt, 1)]
    if old_score is not None:
        score_rows.append(old_score)
    _increment_merged(QuizScoreTally, SCORE_KEYS, SCORE_VALUES, score_rows)
    delta: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for qid, ok in _item_counts(best_attempt.id):
        cell = delta[(best_attempt.branch_id, qid)]
        cell[0] += 1
        cell[1] += ok
    if previous is not None:
        for qid, ok in _item_counts(previous[0]):
            cell = delta[(previous[1], qid)]
            cell[0] -= 1
            cell[1] -= ok
    _add_tallies(quiz.id, delta)


def rebuild(quiz: Quiz) -> int:
    """Recompute the quiz's ``QuizResult`` rows and tallies from its attempts (after a re-grade,
    a bulk load or a repair). Returns how many people have a counted attempt."""
    lock_quiz(quiz.id, exclusive=True)
    db.session.flush()
    for model in (QuizItemTally, QuizScoreTally, QuizDayTally):
        db.session.execute(sa.delete(model).where(model.quiz_id == quiz.id))
    db.session.execute(sa.delete(QuizResult).where(QuizResult.quiz_id == quiz.id))
    ranked = counted_attempts(quiz.id, quiz.counting, totals=True)
    rows = sa.select(
        sa.literal(quiz.id),
        ranked.c.user_id,
        ranked.c.attempt_id,
        ranked.c.branch_id,
        Attempt.score,
        Attempt.max_score,
        Attempt.passed,
        Attempt.time_used_seconds,
        Attempt.finished_at,
        ranked.c.first_at,
        ranked.c.finals,
    ).join(Attempt, Attempt.id == ranked.c.attempt_id)
    columns = [
        "quiz_id",
        "user_id",
        "attempt_id",
        "branch_id",
        "score",
        "max_score",
        "passed",
        "time_used_seconds",
        "finished_at",
        "first_finished_at",
        "finals",
    ]
    db.session.execute(sa.insert(QuizResult).from_select(columns, rows))
    tallies = (
        sa.select(
            sa.literal(quiz.id),
            QuizResult.branch_id,
            AttemptItem.question_id,
            sa.func.count(),
            sa.func.sum(sa.case((AttemptItem.correct.is_(True), 1), else_=0)),
        )
        .join(AttemptItem, AttemptItem.attempt_id == QuizResult.attempt_id)
        .where(QuizResult.quiz_id == quiz.id)
        .group_by(QuizResult.branch_id, AttemptItem.question_id)
    )
    db.session.execute(
        sa.insert(QuizItemTally).from_select(
            ["quiz_id", "branch_id", "question_id", "answered", "correct"], tallies
        )
    )
    r = QuizResult
    score = sa.func.coalesce(r.score, sa.literal_column("0"))  # same SQL text in GROUP BY
    scores = (
        sa.select(
            sa.literal(quiz.id),
            r.branch_id,
            score,
            r.max_score,
            sa.func.count(),
            sa.func.sum(sa.case((r.passed.is_(True), 1), else_=0)),
            sa.func.count(r.passed),
            sa.func.coalesce(sa.func.sum(r.time_used_seconds), 0),
            sa.func.count(r.time_used_seconds),
        )
        .where(r.quiz_id == quiz.id)
        .group_by(r.branch_id, score, r.max_score)
    )
    db.session.execute(sa.insert(QuizScoreTally).from_select(SCORE_KEYS + SCORE_VALUES, scores))
    final = (
        sa.select(
            Attempt.branch_id,
            local_date_sql(Attempt.finished_at).label("day"),
            sa.func.row_number()
            .over(partition_by=Attempt.user_id, order_by=(Attempt.finished_at, Attempt.id))
            .label("nth"),
        )
        .where(Attempt.quiz_id == quiz.id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .subquery("final")
    )
    days = sa.select(
        sa.literal(quiz.id),
        final.c.day,
        final.c.branch_id,
        sa.func.count(),
        sa.func.sum(sa.case((final.c.nth == 1, 1), else_=0)),
    ).group_by(final.c.day, final.c.branch_id)
    db.session.execute(
        sa.insert(QuizDayTally).from_select(
            ["quiz_id", "day", "branch_id", "finished", "first_time"], days
        )
    )
    db.session.expire_all()
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(QuizResult).where(QuizResult.quiz_id == quiz.id)
        )
        or 0
    )


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    rank_overall: int
    total_overall: int
    rank_branch: int
    total_branch: int


def standing(quiz: Quiz, user: User) -> Standing | None:
    """The person's rank among counted attempts: higher score, then less time, then earlier."""
    mine = db.session.get(QuizResult, (quiz.id, user.id))
    if mine is None:
        return None
    r = QuizResult
    better = sa.or_(
        r.score > mine.score,
        sa.and_(r.score == mine.score, r.time_used_seconds < mine.time_used_seconds),
        sa.and_(
            r.score == mine.score,
            r.time_used_seconds == mine.time_used_seconds,
            r.finished_at < mine.finished_at,
        ),
    )

    def count(*where: Any) -> int:
        stmt = sa.select(sa.func.count()).select_from(r).where(r.quiz_id == quiz.id, *where)
        return db.session.scalar(stmt) or 0

    same_branch = r.branch_id == mine.branch_id
    return Standing(
        rank_overall=count(better) + 1,
        total_overall=count(),
        rank_branch=count(better, same_branch) + 1,
        total_branch=count(same_branch),
    )
