"""The stored results (QuizResult, QuizItemTally) that the leaders' pages read: recorded attempt
by attempt they must equal a rebuild from the raw attempts, whatever the counting rule, after
timeouts, a re-grade, and for data that existed before the tables did (the migration)."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import replace
from datetime import timedelta
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
from tests.factories import make_user
from tests.test_stats import GRACE, T0, World, build_world, take

MIGRATION = (
    Path(__file__).parents[1] / "migrations/versions/0004_counted_results_and_item_tallies.py"
)


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
    twice = (
        db.session.execute(
            sa.select(Attempt.user_id)
            .where(Attempt.quiz_id == w.quiz.id, Attempt.status != "in_progress")
            .group_by(Attempt.user_id)
            .having(sa.func.count() == 2)
        )
        .scalars()
        .all()
    )
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
    spec = importlib.util.spec_from_file_location("m0004", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
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
