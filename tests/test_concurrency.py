"""Races a phone on a bad network produces: double starts, many submits, a save racing a submit.

Each request runs in its own thread with its own session and transaction, against the same
database — SQLite (WAL, busy timeout, BEGIN IMMEDIATE) or PostgreSQL (row locks, unique indexes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, Quiz, QuizResult, User
from quiz_app.services import attempts, results
from quiz_app.services.attempts import AttemptError
from tests.factories import make_bank, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
GRACE = timedelta(seconds=10)


@pytest.fixture()
def ids(app: Flask) -> tuple[int, int]:
    clock.set_now(T0)
    with app.app_context():
        quiz = make_quiz(make_campaign(), make_bank(per_type=3), attempts_allowed=1)
        user = make_user("racer")
        db.session.commit()
        return quiz.id, user.id


def run_together(app: Flask, n: int, job: Callable[[Quiz, User], Any]) -> list[Any]:
    """Run ``job`` n times at once, each as its own request (app context, session, commit)."""
    barrier = threading.Barrier(n)

    def one(quiz_id: int, user_id: int) -> Any:
        with app.app_context():
            barrier.wait(timeout=30)  # before touching the database: SQLite would hold its lock
            quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
            try:
                result = job(quiz, user)  # type: ignore[arg-type]
                db.session.commit()
                return result
            except AttemptError as exc:
                db.session.commit()
                return exc
            except Exception as exc:
                db.session.rollback()
                return exc

    return one


def test_two_starts_at_once_give_one_attempt(app: Flask, ids: tuple[int, int]) -> None:
    quiz_id, user_id = ids
    one = run_together(app, 2, lambda q, u: attempts.start_attempt(q, u, T0, GRACE)[0].id)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: one(quiz_id, user_id), range(2)))
    assert all(isinstance(r, int) for r in results), results
    assert results[0] == results[1]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_a_start_that_sees_the_other_attempt_only_when_counting_resumes_it(
    app: Flask, ids: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window behind a rare PostgreSQL failure of the test above: the second start looked for
    a running attempt before the first one committed and counted attempts after, and was refused
    (已用完全部作答机会) although its owner had an attempt in progress."""
    quiz_id, user_id = ids
    with app.app_context():
        quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
        first, _ = attempts.start_attempt(quiz, user, T0, GRACE)  # type: ignore[arg-type]
        db.session.commit()
        first_id = first.id
    real = attempts._running
    looks: list[int] = []

    def before_the_commit_then_real(q: Quiz, u: User) -> Attempt | None:
        looks.append(1)
        return None if len(looks) == 1 else real(q, u)

    monkeypatch.setattr(attempts, "_running", before_the_commit_then_real)
    with app.app_context():
        quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
        attempt, created = attempts.start_attempt(quiz, user, T0, GRACE)  # type: ignore[arg-type]
        assert (attempt.id, created) == (first_id, False)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_ten_starts_at_once_never_exceed_the_allowance(app: Flask, ids: tuple[int, int]) -> None:
    quiz_id, user_id = ids

    def start_and_submit(q: Quiz, u: User) -> int:
        attempt, _ = attempts.start_attempt(q, u, T0, GRACE)
        attempts.submit(attempt.id, u, T0, GRACE)
        return attempt.id

    one = run_together(app, 10, start_and_submit)
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: one(quiz_id, user_id), range(10)))
    assert not [
        r for r in results if isinstance(r, Exception) and not isinstance(r, AttemptError)
    ], results
    refused = [r for r in results if isinstance(r, AttemptError)]
    assert all(r.code == "no_attempts_left" for r in refused)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def _started_with_answers(app: Flask, quiz_id: int, user_id: int) -> int:
    with app.app_context():
        quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, user_id)
        attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)  # type: ignore[arg-type]
        first = attempt.items[0]
        attempts.save_answer(attempt.id, user, first.question_id, "B", 1, T0, GRACE)  # type: ignore[arg-type]
        db.session.commit()
        return attempt.id


def test_twenty_submits_at_once_give_one_graded_result(app: Flask, ids: tuple[int, int]) -> None:
    quiz_id, user_id = ids
    attempt_id = _started_with_answers(app, quiz_id, user_id)

    def submit(q: Quiz, u: User) -> tuple[str, Decimal, datetime]:
        a = attempts.submit(attempt_id, u, T0 + timedelta(minutes=1), GRACE)
        return a.status, a.score, a.finished_at  # type: ignore[return-value]

    one = run_together(app, 20, submit)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: one(quiz_id, user_id), range(20)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1 and results[0][0] == "submitted" and results[0][1] == Decimal("2")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None and attempt.score == Decimal("2")
        assert sum(1 for i in attempt.items if i.score) == 1


def test_a_save_racing_a_submit_is_either_graded_or_refused(
    app: Flask, ids: tuple[int, int]
) -> None:
    quiz_id, user_id = ids
    attempt_id = _started_with_answers(app, quiz_id, user_id)
    with app.app_context():
        second_qid = db.session.get(Attempt, attempt_id).items[1].question_id  # type: ignore[union-attr]

    def job(q: Quiz, u: User) -> str:
        if threading.current_thread().name.endswith("_0"):
            attempts.submit(attempt_id, u, T0 + timedelta(minutes=1), GRACE)
            return "submitted"
        attempts.save_answer(attempt_id, u, second_qid, "B", 2, T0 + timedelta(minutes=1), GRACE)
        return "saved"

    one = run_together(app, 2, job)
    with ThreadPoolExecutor(2, thread_name_prefix="race") as pool:
        results = list(pool.map(lambda _: one(quiz_id, user_id), range(2)))
    assert not [
        r for r in results if isinstance(r, Exception) and not isinstance(r, AttemptError)
    ], results
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None and attempt.status == "submitted"
        saved = attempt.items[1].answer
        # whatever order the two took, the grade matches what was stored
        assert attempt.score == (Decimal("4") if saved == "B" else Decimal("2"))
        refused = [r for r in results if isinstance(r, AttemptError)]
        assert (saved is None) == bool(refused)
        if refused:
            assert refused[0].status == 409


def test_overdue_job_and_a_person_opening_their_page_do_not_deadlock(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two people of one branch walked away from their papers. The cron job grades 甲's, and
    while it moves on to 乙's, 乙 opens the page, which grades 乙's paper too. Both touch the
    branch's shared statistics counters: the job must let go of them (commit) before it waits
    for 乙's attempt, or PostgreSQL reports a deadlock and the job's work is rolled back."""
    clock.set_now(T0)
    with app.app_context():
        quiz = make_quiz(make_campaign(), make_bank(per_type=3), attempts_allowed=1)
        jia, yi = make_user("jia"), make_user("yi")
        first = attempts.start_attempt(quiz, jia, T0, GRACE)[0].id
        second = attempts.start_attempt(quiz, yi, T0, GRACE)[0].id
        db.session.commit()
        quiz_id = quiz.id
    later = T0 + timedelta(hours=1)
    clock.set_now(later)
    graded_first = threading.Event()
    record = results.record_final

    def record_then_pause(attempt: Attempt) -> None:
        record(attempt)
        if threading.current_thread().name == "cron" and not graded_first.is_set():
            graded_first.set()
            threading.Event().wait(1.0)  # 乙 opens the page now

    monkeypatch.setattr(results, "record_final", record_then_pause)
    outcome: dict[str, Any] = {}

    def cron() -> None:
        with app.app_context():
            try:
                outcome["cron"] = attempts.finalize_overdue(
                    later, GRACE, after_each=db.session.commit
                )
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                outcome["cron"] = exc

    def yi_opens_the_page() -> None:
        graded_first.wait(30)
        with app.app_context():
            try:
                attempt = db.session.get(Attempt, second)
                assert attempt is not None
                outcome["yi"] = attempts.touch(attempt, later, GRACE).status
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                outcome["yi"] = exc

    threads = [
        threading.Thread(target=cron, name="cron"),
        threading.Thread(target=yi_opens_the_page),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcome["yi"] == "timed_out", outcome
    assert outcome["cron"] in (1, 2), outcome
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(Attempt.status).where(Attempt.id.in_([first, second]))
        ).all()
        assert statuses == ["timed_out", "timed_out"]
        quiz = db.session.get(Quiz, quiz_id)
        stored = db.session.scalar(
            sa.select(sa.func.count()).select_from(QuizResult).where(QuizResult.quiz_id == quiz_id)
        )
        assert stored == 2
        assert quiz is not None
        assert results.rebuild(quiz) == 2
        db.session.rollback()
