"""The stored results (QuizResult, QuizItemTally) that the leaders' pages read: recorded attempt
by attempt they must equal a rebuild from the raw attempts, whatever the counting rule, after
timeouts, a re-grade, and for data that existed before the tables did (the migration)."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptItem,
    Question,
    QuizDayTally,
    QuizItemTally,
    QuizResult,
    QuizScoreTally,
)
from quiz_app.services import attempts, banks, regrade, results, stats
from tests.factories import (
    make_bank,
    make_branch,
    make_campaign,
    make_quiz,
    make_user,
    root_branch,
)
from tests.test_stats import GRACE, T0, World, build_world, take

MIGRATION = (
    Path(__file__).parents[1] / "migrations/versions/0004_counted_results_and_item_tallies.py"
)


def load_migration() -> Any:
    spec = importlib.util.spec_from_file_location("m0004", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def snapshot(quiz_id: int) -> tuple[list[tuple[Any, ...]], ...]:
    db.session.flush()
    r = QuizResult
    people = db.session.execute(
        sa.select(
            r.user_id,
            r.attempt_id,
            r.branch_id,
            r.score,
            r.max_score,
            r.passed,
            r.time_used_seconds,
            r.finished_at,
            r.first_finished_at,
            r.finals,
        )
        .where(r.quiz_id == quiz_id)
        .order_by(r.user_id)
    ).all()
    t = QuizItemTally
    tallies = db.session.execute(
        sa.select(t.branch_id, t.question_id, t.answered, t.correct)
        .where(t.quiz_id == quiz_id, t.answered != 0)
        .order_by(t.branch_id, t.question_id)
    ).all()
    d = QuizDayTally
    days = db.session.execute(
        sa.select(d.day, d.branch_id, d.finished, d.first_time)
        .where(d.quiz_id == quiz_id)
        .order_by(d.day, d.branch_id)
    ).all()
    s = QuizScoreTally
    scores = db.session.execute(
        sa.select(s.branch_id, s.score, s.max_score, s.people, s.passed, s.pass_known, s.sum_time,
                  s.n_time)
        .where(s.quiz_id == quiz_id, s.people != 0)
        .order_by(s.branch_id, s.score, s.max_score)
    ).all()  # fmt: skip
    return (
        [tuple(p) for p in people],
        [tuple(x) for x in tallies],
        [tuple(x) for x in days],
        [tuple(x) for x in scores],
    )


def finished_twice(w: World) -> list[int]:
    """People with two final attempts."""
    return list(
        db.session.scalars(
            sa.select(Attempt.user_id)
            .where(Attempt.quiz_id == w.quiz.id, Attempt.status != "in_progress")
            .group_by(Attempt.user_id)
            .having(sa.func.count() == 2)
            .order_by(Attempt.user_id)
        )
    )


def finish_the_abandoned(w: World) -> int:
    """Two more people start, answer a little and walk away; everyone who only started runs out
    of time and is graded by the cron command."""
    for n in range(2):
        person = make_user(branch=w.it)
        take(w.quiz, person, T0 + timedelta(days=2, hours=n), random.Random(n), 0.5, submit=False)
    later = T0 + timedelta(days=9)
    clock.set_now(later)
    return attempts.finalize_overdue(later, GRACE)


@pytest.mark.parametrize("counting", ["best", "last"])
def test_recorded_results_equal_a_rebuild(ctx: None, counting: str) -> None:
    w = build_world(seed=5, counting=counting)
    assert finish_the_abandoned(w) > 0
    recorded = snapshot(w.quiz.id)
    people, tallies, days, scores = recorded
    finals = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Attempt.user_id))).where(
            Attempt.quiz_id == w.quiz.id, Attempt.status != "in_progress"
        )
    )
    assert len(people) == finals > 20
    assert any(p[-1] == 2 for p in people)  # some took it twice
    assert sum(t[2] for t in tallies) == len(people) * 8  # eight questions on every paper
    assert sum(d[3] for d in days) == len(people)
    assert sum(x[3] for x in scores) == len(people)
    assert sum(d[2] for d in days) == sum(p[-1] for p in people)
    assert results.rebuild(w.quiz) == len(people)
    assert snapshot(w.quiz.id) == recorded


@pytest.mark.parametrize("counting", ["best", "last"])
def test_counted_attempt_follows_the_rule(ctx: None, counting: str) -> None:
    """Best keeps the better of two attempts; last always takes the newer one."""
    w = build_world(seed=9, counting=counting)
    twice = finished_twice(w)
    assert twice
    rules_disagree = 0  # people for whom best and last pick different attempts
    for uid in twice:
        tries = db.session.scalars(
            sa.select(Attempt).where(Attempt.quiz_id == w.quiz.id, Attempt.user_id == uid)
        ).all()
        stored = db.session.get(QuizResult, (w.quiz.id, uid))
        assert stored is not None
        last = max(tries, key=lambda a: a.number)
        best = max(tries, key=lambda a: (a.score, -a.time_used_seconds, -a.id))
        rules_disagree += last is not best
        want = last if counting == "last" else best
        assert stored.attempt_id == want.id
        assert stored.score == want.score
        assert stored.first_finished_at == min(a.finished_at for a in tries)
    assert rules_disagree


def test_regrade_moves_scores_rankings_and_topic_figures(ctx: None) -> None:
    w = build_world(seed=7)
    quiz = w.quiz
    # the most drawn 单选: correct its key to another option
    qid, _ = db.session.execute(
        sa.select(AttemptItem.question_id, sa.func.count())
        .join(Question, Question.id == AttemptItem.question_id)
        .where(Question.type == "single")
        .group_by(AttemptItem.question_id)
        .order_by(sa.func.count().desc(), AttemptItem.question_id)
    ).first()
    question = db.session.get(Question, qid)
    assert question is not None and question.current_revision is not None
    old_key = question.current_revision.answer[0]
    new_key = "C" if old_key != "C" else "D"
    data = replace(banks.revision_data(question.current_revision), answer=[new_key])
    assert banks.revise_question(question, data, None, "更正答案") is not None
    before = snapshot(quiz.id)
    regrade.regrade_question(quiz, qid, None)
    after = snapshot(quiz.id)
    assert after != before
    tally = db.session.get(QuizItemTally, (quiz.id, w.it.id, qid))
    right = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AttemptItem)
        .join(QuizResult, QuizResult.attempt_id == AttemptItem.attempt_id)
        .where(
            QuizResult.quiz_id == quiz.id,
            QuizResult.branch_id == w.it.id,
            AttemptItem.question_id == qid,
            AttemptItem.correct.is_(True),
        )
    )
    assert tally is not None and tally.correct == right
    # the stored figures are what a rebuild from the re-graded attempts gives
    results.rebuild(quiz)
    assert snapshot(quiz.id) == after
    board = stats.leaderboard(quiz, stats.tree_roots(), 100)
    scores = [Decimal(str(p.score)) for p in board]
    assert scores == sorted(scores, reverse=True)
    best = db.session.scalar(
        sa.select(sa.func.max(Attempt.score)).where(
            Attempt.quiz_id == quiz.id, Attempt.status != "in_progress"
        )
    )
    assert scores[0] == best


def test_the_migration_fills_the_tables_from_existing_attempts(ctx: None) -> None:
    """Attempts taken before revision 0004 get the same rows as if recorded as they finished."""
    w = build_world(seed=11)
    finish_the_abandoned(w)
    recorded = snapshot(w.quiz.id)
    migration = load_migration()
    for model in (QuizItemTally, QuizDayTally, QuizScoreTally, QuizResult):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.text(migration.BACKFILL_RESULTS))
    db.session.execute(sa.text(migration.BACKFILL_TALLIES))
    db.session.execute(sa.text(migration.BACKFILL_SCORES))
    local_day = migration.LOCAL_DAY[db.engine.dialect.name]
    db.session.execute(sa.text(migration.BACKFILL_DAYS.format(local_day=local_day)))
    db.session.expire_all()
    assert snapshot(w.quiz.id) == recorded


def test_rebuild_command(ctx: None, app: Any) -> None:
    w = build_world(seed=3)
    recorded = snapshot(w.quiz.id)
    db.session.execute(sa.delete(QuizItemTally))
    db.session.execute(sa.delete(QuizDayTally))
    db.session.execute(sa.delete(QuizScoreTally))
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["rebuild-stats", str(w.quiz.id)])
    assert out.exit_code == 0, out.output
    assert "已重算" in out.output
    assert snapshot(w.quiz.id) == recorded
    missing = app.test_cli_runner().invoke(args=["rebuild-stats", "999999"])
    assert missing.exit_code != 0
    assert "找不到" in missing.output


def test_a_finish_just_before_midnight_counts_for_that_day(ctx: None) -> None:
    """23:59:59.9995 in Beijing is still that day, when recorded and when rebuilt (SQLite would
    round the fraction up to the next second, and so to the next day)."""
    clock.set_now(T0)
    campaign = make_campaign(opens_at=T0 - timedelta(hours=1), closes_at=T0 + timedelta(days=3))
    quiz = make_quiz(campaign, make_bank(per_type=2), time_limit_seconds=None)
    person = make_user()
    attempt, _ = attempts.start_attempt(quiz, person, T0, GRACE)
    late = datetime(2026, 3, 2, 15, 59, 59, 999900, tzinfo=UTC)  # 23:59:59.9999 Beijing
    attempts.submit(attempt.id, person, late, GRACE)
    recorded = snapshot(quiz.id)
    assert [d[0] for d in recorded[2]] == ["2026-03-02"]
    results.rebuild(quiz)
    assert snapshot(quiz.id) == recorded


def test_an_unscored_attempt_never_counts_before_a_scored_one(ctx: None) -> None:
    """Data loaded by hand may lack a score; the attempt with a score counts on both databases,
    in the stored results and in the migration's backfill alike."""
    w = build_world(seed=4)
    twice = finished_twice(w)[0]
    tries = db.session.scalars(
        sa.select(Attempt)
        .where(Attempt.quiz_id == w.quiz.id, Attempt.user_id == twice)
        .order_by(Attempt.number)
    ).all()
    tries[0].score = None
    db.session.flush()
    results.rebuild(w.quiz)
    stored = db.session.get(QuizResult, (w.quiz.id, twice))
    assert stored is not None and stored.attempt_id == tries[1].id
    migration = load_migration()
    db.session.execute(sa.delete(QuizResult))
    db.session.execute(sa.text(migration.BACKFILL_RESULTS))
    db.session.expire_all()
    stored = db.session.get(QuizResult, (w.quiz.id, twice))
    assert stored is not None and stored.attempt_id == tries[1].id


def test_a_branch_left_behind_shows_no_empty_topics(ctx: None) -> None:
    """A person does badly in 信息中心, moves to 财务处 and does better: the counted attempt
    moves with them, and 信息中心's topic table has nothing left rather than rows of zeros."""
    clock.set_now(T0)
    root = root_branch()
    it, finance = make_branch("信息中心", "XX", root), make_branch("财务处", "CW", root)
    campaign = make_campaign(opens_at=T0 - timedelta(hours=1), closes_at=T0 + timedelta(days=3))
    quiz = make_quiz(campaign, make_bank(per_type=2), attempts_allowed=2)
    person = make_user(branch=it)
    take(quiz, person, T0, random.Random(1), 0.0, skip=1.0)  # answers nothing: 0 points
    person.branch_id = finance.id
    db.session.flush()
    take(quiz, person, T0 + timedelta(hours=1), random.Random(2), 1.0, skip=0.0)
    stored = db.session.get(QuizResult, (quiz.id, person.id))
    assert stored is not None and stored.branch_id == finance.id
    assert stats.topic_mastery(quiz, [it], []) == []
    assert stats.topic_mastery(quiz, [finance], [])
