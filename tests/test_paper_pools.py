"""Drawing from the cached pools: a start reads no bank questions once the pool is known, and any
change to the banks' questions (edit, retire, import) is drawn from at the very next start."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import AttemptItem, Bank, Question, QuestionRevision
from quiz_app.services import attempts, banks, paper_pools
from quiz_app.services.importing import QuestionData, QuestionType, parse_text
from tests.factories import make_bank, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
GRACE = timedelta(seconds=10)


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def _judge_quiz(bank: Bank, count: int = 3, **rules: Any):  # type: ignore[no-untyped-def]
    return make_quiz(
        make_campaign(), bank, sections=(("judge", count, "1"),), attempts_allowed=None, **rules
    )


def _drawn(quiz, user) -> set[int]:  # type: ignore[no-untyped-def]
    attempt, _ = attempts.start_attempt(quiz, user, clock.now(), GRACE)
    ids = {i.question_id for i in attempt.items}
    attempts.submit(attempt.id, user, clock.now(), GRACE)
    return ids


def test_a_second_start_reads_no_questions_of_the_bank(ctx: None) -> None:
    clock.set_now(T0)
    quiz = _judge_quiz(make_bank(per_type=5))
    first, second = make_user(), make_user()
    attempts.start_attempt(quiz, first, T0, GRACE)
    db.session.flush()
    with statements() as seen:
        attempt, created = attempts.start_attempt(quiz, second, T0, GRACE)
        db.session.flush()
    assert created and len(attempt.items) == 3
    bank_reads = [s for s in seen if " FROM question" in s or "FROM question_revision" in s]
    assert bank_reads == [], bank_reads


def test_a_retired_question_is_never_drawn_after_it_is_retired(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=3)
    quiz = _judge_quiz(bank)
    user = make_user()
    assert len(_drawn(quiz, user)) == 3  # the pool is now cached
    retired = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.type == "judge")
    ).first()
    assert retired is not None
    banks.set_active(retired, False)
    db.session.flush()
    try:
        attempts.start_attempt(quiz, make_user(), T0, GRACE)
    except attempts.AttemptError as exc:  # 2 judge questions left for 3 places
        assert exc.status == 409 and "只有 2 题" in exc.message
    else:
        raise AssertionError("drew from a stale pool")


def test_an_edit_is_drawn_with_its_new_revision(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=1)
    quiz = _judge_quiz(bank, count=1)
    _drawn(quiz, make_user())
    question = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.type == "judge")
    ).one()
    banks.revise_question(
        question, QuestionData(QuestionType.JUDGE, "改过的判断题。", (), ("F",)), None
    )
    db.session.flush()
    attempt, _ = attempts.start_attempt(quiz, make_user(), T0, GRACE)
    item = db.session.scalars(
        sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
    ).one()
    revision = db.session.get(QuestionRevision, item.revision_id)
    assert revision is not None and revision.stem == "改过的判断题。"


def test_papers_show_and_grade_their_own_revision_with_the_revisions_cached(ctx: None) -> None:
    """Revisions are cached per process (never changed once written): a paper drawn before an
    edit still shows and grades the old text and key, one drawn after shows and grades the new,
    and showing a paper again reads no revision from the database."""
    from quiz_app.services.attempt_payload import attempt_payload

    clock.set_now(T0)
    bank = make_bank(per_type=1)
    quiz = _judge_quiz(bank, count=1)
    before, after = make_user(), make_user()
    old, _ = attempts.start_attempt(quiz, before, T0, GRACE)
    old_stem = attempt_payload(old, T0)["questions"][0]["stem"]
    question = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.type == "judge")
    ).one()
    banks.revise_question(  # the key turns from 正确 to 错误
        question, QuestionData(QuestionType.JUDGE, "改过的判断题。", (), ("F",)), None
    )
    db.session.flush()
    new, _ = attempts.start_attempt(quiz, after, T0, GRACE)
    with statements() as seen:
        shown_old = attempt_payload(old, T0)["questions"][0]
        shown_new = attempt_payload(new, T0)["questions"][0]
    assert shown_old["stem"] == old_stem != "改过的判断题。"
    assert shown_new["stem"] == "改过的判断题。"
    revision_reads = [s for s in seen if "FROM question_revision" in s]
    assert len(revision_reads) == 1  # the new revision; the old one came from the cache
    for attempt, user in ((old, before), (new, after)):
        attempts.save_answer(attempt.id, user, question.id, True, 1, T0, GRACE)
        attempts.submit(attempt.id, user, T0, GRACE)
    assert (old.score, new.score) == (1, 0)  # "true" was right before the edit, wrong after
    keys = [attempt_payload(a, T0)["questions"][0]["correct_answer"] for a in (old, new)]
    assert keys == [True, False]  # each paper's review shows its own revision's key


def test_questions_imported_in_bulk_join_the_pool(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=1)
    quiz = _judge_quiz(bank, count=2, shuffle_questions=False)
    with contextlib.suppress(attempts.AttemptError):  # one judge question: too few
        attempts.start_attempt(quiz, make_user(), T0, GRACE)
    result = parse_text("一、判断题\n1．新导入的判断题。\n答案：正确\n")
    banks.apply_import(bank, result, banks.OnDuplicate.SKIP, None)
    db.session.flush()
    attempt, created = attempts.start_attempt(quiz, make_user(), T0, GRACE)
    assert created and len(attempt.items) == 2


def test_the_version_is_read_from_the_database_so_other_nodes_see_changes(ctx: None) -> None:
    """Another node changed the bank: this process's cache entry is keyed by the old version."""
    clock.set_now(T0)
    bank = make_bank(per_type=3)
    quiz = _judge_quiz(bank)
    _drawn(quiz, make_user())
    bank_id = bank.id
    before = paper_pools.stats["misses"]
    _drawn(quiz, make_user())
    assert paper_pools.stats["misses"] == before  # served from the cache
    db.session.commit()
    with db.engine.begin() as other_node:  # a write this process's session never saw
        paper_pools.bump(other_node, {bank_id})
    _drawn(quiz, make_user())
    assert paper_pools.stats["misses"] == before + 1
