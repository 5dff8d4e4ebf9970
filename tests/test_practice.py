"""每日一练 and the wrong-answer book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Question, User, WrongAnswer
from quiz_app.services import attempts, practice
from tests.conftest import sign_in
from tests.factories import make_bank, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Beijing


@pytest.fixture()
def learner(ctx: None) -> User:
    clock.set_now(T0)
    bank = make_bank("练习题库", per_type=4)
    # The running quiz asks single-choice questions: practice keeps to the other three types
    # until the learner's own attempt is final (test_practice_never_shows_a_running_quizs_keys).
    make_quiz(make_campaign(closes_at=T0 + timedelta(days=3)), bank, sections=(("single", 2, "2"),))
    make_bank("无关题库", per_type=4)  # not behind any open quiz
    return make_user("p1")


def test_daily_set_is_stable_for_the_day_and_changes_the_next(learner: User) -> None:
    today = [q.id for q in practice.daily_set(learner, T0)]
    assert len(today) == 5
    assert [q.id for q in practice.daily_set(learner, T0 + timedelta(hours=5))] == today
    banks = {q.bank.name for q in practice.daily_set(learner, T0)}
    assert banks == {"练习题库"}
    later = [
        [q.id for q in practice.daily_set(learner, T0 + timedelta(days=d))] for d in range(1, 4)
    ]
    assert any(ids != today for ids in later)


def test_no_open_campaign_means_no_daily_set(ctx: None) -> None:
    make_bank(per_type=2)
    assert practice.daily_set(make_user(), T0) == []


def test_wrong_then_two_rights_in_a_row_clears_the_book(learner: User) -> None:
    question = practice.daily_set(learner, T0)[0]
    rev = question.current_revision
    assert rev is not None
    wrong = {"single": "A", "multiple": ["A"], "judge": False, "blank": ["错", "错"]}[rev.type]
    right = {"single": "B", "multiple": ["A", "C"], "judge": True, "blank": ["甲", "乙"]}[rev.type]
    assert practice.answer(learner, question, wrong, T0, "daily").correct is False
    entry = practice.book_entry(learner, question.id, T0)
    assert entry is not None and entry.times_wrong == 1
    assert practice.answer(learner, question, right, T0, "wrongbook").cleared is False
    practice.answer(learner, question, wrong, T0, "wrongbook")  # a slip resets the streak
    assert practice.book_entry(learner, question.id, T0).right_streak == 0  # type: ignore[union-attr]
    practice.answer(learner, question, right, T0, "wrongbook")
    assert practice.answer(learner, question, right, T0, "wrongbook").cleared is True
    assert practice.book_entry(learner, question.id, T0) is None


def test_quiz_mistakes_appear_only_once_reviewable(ctx: None) -> None:
    clock.set_now(T0)
    close = T0 + timedelta(hours=2)
    quiz = make_quiz(
        make_campaign(closes_at=close),
        make_bank(per_type=2),
        review_policy="after_close",
        sections=(("judge", 1, "1"),),
    )
    user = make_user()
    attempt, _ = attempts.start_attempt(quiz, user, T0, timedelta(seconds=10))
    attempts.save_answer(attempt.id, user, attempt.items[0].question_id, False, 1, T0)
    attempts.submit(attempt.id, user, T0 + timedelta(minutes=1))
    assert practice.book(user, T0 + timedelta(hours=1)) == []  # the key is still secret
    later = practice.book(user, close + timedelta(minutes=1))
    assert [len(entries) for _, entries in later] == [1]
    never = make_quiz(
        make_campaign(), make_bank(per_type=1), review_policy="never", sections=(("judge", 1, "1"),)
    )
    other = make_user()
    a2, _ = attempts.start_attempt(never, other, T0, timedelta(seconds=10))
    attempts.submit(a2.id, other, T0)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(WrongAnswer)
            .where(WrongAnswer.user_id == other.id)
        )
        == 0
    )


# --- pages -------------------------------------------------------------------------------------


def test_daily_page_hides_the_key_until_answered(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        bank = make_bank("页面练习", per_type=2)
        make_quiz(make_campaign(), bank, sections=(("single", 1, "2"),))
        user = make_user("p3")
        db.session.commit()
        first = practice.daily_set(user, T0)[0]
        qid, rev = first.id, first.current_revision
        explanation, qtype = rev.explanation, rev.type  # type: ignore[union-attr]
    sign_in(client, "p3")
    page = client.get("/practice/daily").get_data(as_text=True)
    assert "第 1 / 5 题" in page and explanation not in page and "正确答案" not in page
    empty = client.post("/practice/daily", data={"question_id": qid}).get_data(as_text=True)
    assert "请先作答再提交" in empty
    data = {
        "question_id": qid,
        **(
            {"blank": ["错", "错"]}
            if qtype == "blank"
            else {"answer": "false" if qtype == "judge" else "A"}
        ),
    }
    feedback = client.post("/practice/daily", data=data).get_data(as_text=True)
    assert "回答错误" in feedback and explanation in feedback and "正确答案" in feedback
    assert "第 2 / 5 题" in client.get("/practice/daily").get_data(as_text=True)
    index = client.get("/practice/").get_data(as_text=True)
    assert "错题本（1 题）" in index and "已做 1 题" in index


def test_someone_elses_wrong_book_entry_is_not_reachable(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        bank = make_bank(per_type=1)
        make_quiz(make_campaign(), bank, sections=(("single", 1, "2"),))
        owner = make_user("p4")
        question = db.session.scalars(sa.select(Question).where(Question.type == "judge")).first()
        practice.answer(owner, question, False, T0, "daily")  # type: ignore[arg-type]
        make_user("p5")
        db.session.commit()
        qid = question.id  # type: ignore[union-attr]
    sign_in(client, "p5")
    assert client.get(f"/practice/wrong/{qid}").status_code == 404
    client.post("/logout")
    sign_in(client, "p4")
    assert client.get(f"/practice/wrong/{qid}").status_code == 200


def test_practice_never_shows_a_running_quizs_keys(app: Flask, ctx: None) -> None:
    """One day of practice must not reveal the pool of a quiz whose keys are still hidden from
    its audience; after the person's own attempt, an "immediately" quiz's questions come back."""
    clock.set_now(T0)
    bank = make_bank("竞答题库", per_type=6)
    campaign = make_campaign(closes_at=T0 + timedelta(days=3))
    hidden = make_quiz(campaign, bank, sections=(("single", 2, "2"),), review_policy="never")
    scheduled = make_campaign(opens_at=T0 + timedelta(days=1), closes_at=T0 + timedelta(days=5))
    make_quiz(scheduled, bank, sections=(("multiple", 1, "2"),), review_policy="after_close")
    open_now = make_quiz(campaign, bank, sections=(("judge", 1, "2"),), review_policy="immediate")
    learner = make_user("p9")
    db.session.commit()
    seen = {q.type for q in practice.daily_set(learner, T0, size=30)}
    assert seen == {
        "blank"
    }  # single (never), multiple (scheduled) and judge (not yet taken) withheld
    attempt, _ = attempts.start_attempt(open_now, learner, T0)
    attempts.submit(attempt.id, learner, T0 + timedelta(minutes=1))
    db.session.commit()
    seen = {q.type for q in practice.daily_set(learner, T0 + timedelta(minutes=2), size=30)}
    assert seen == {"blank", "judge"}
    assert hidden.review_policy == "never"


def test_an_empty_daily_set_says_why(app: Flask, client: FlaskClient) -> None:
    """A quiz drawing its whole bank hides every question from practice while it runs: the page
    says so instead of claiming there is no campaign."""
    clock.set_now(T0)
    with app.app_context():
        make_user("p10")
        db.session.commit()
    sign_in(client, "p10")
    assert "目前没有面向您的学习活动" in client.get("/practice/daily").get_data(as_text=True)
    with app.app_context():
        bank = make_bank("整库竞答", per_type=1)
        make_quiz(
            make_campaign(closes_at=T0 + timedelta(days=3)),
            bank,
            sections=(
                ("single", 1, "2"),
                ("multiple", 1, "2"),
                ("judge", 1, "2"),
                ("blank", 1, "2"),
            ),
            review_policy="after_close",
        )
        db.session.commit()
    page = client.get("/practice/daily").get_data(as_text=True)
    assert "都出自您正在参加的竞答" in page and "目前没有面向您的学习活动" not in page
