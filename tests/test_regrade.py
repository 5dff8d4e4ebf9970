"""Re-grading after a key is corrected in the bank: explicit, final attempts only, and refused when
the corrected question no longer fits the answers given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, Question, RegradeEvent
from quiz_app.services import attempts, banks, regrade
from quiz_app.services.importing import QuestionType
from tests.factories import make_bank, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
BASE = "/manage/campaigns"


def setup_quiz() -> tuple[int, int, int, int, int]:
    """A published quiz of two 单选 (key "B", 5 points each). 甲 answered "A" to the first and
    "B" to the second and handed in (5 points); 乙 is still answering, with "A" to both.
    Returns (campaign id, quiz id, first question id, 甲's attempt id, 乙's attempt id)."""
    clock.set_now(T0)
    bank = make_bank(per_type=2)
    campaign = make_campaign(opens_at=T0 - timedelta(hours=1), closes_at=T0 + timedelta(days=1))
    quiz = make_quiz(campaign, bank, sections=(("single", 2, "5"),), time_limit_seconds=None)
    first = min(
        db.session.scalars(
            sa.select(Question.id).where(Question.bank_id == bank.id, Question.type == "single")
        )
    )
    jia, yi = make_user("jia", real_name="甲"), make_user("yi", real_name="乙")
    done, _ = attempts.start_attempt(quiz, jia, T0)
    for seq, item in enumerate(done.items, start=1):
        answer = "A" if item.question_id == first else "B"
        attempts.save_answer(
            done.id, jia, item.question_id, attempts.to_shown(item, answer), seq, T0
        )
    attempts.submit(done.id, jia, T0 + timedelta(minutes=1))
    running, _ = attempts.start_attempt(quiz, yi, T0)
    for seq, item in enumerate(running.items, start=1):
        attempts.save_answer(running.id, yi, item.question_id, "A", seq, T0)
    db.session.flush()
    assert done.score == Decimal("5.00")
    return campaign.id, quiz.id, first, done.id, running.id


def change_question(question_id: int, **changes: object) -> None:
    question = db.session.get(Question, question_id)
    assert question is not None and question.current_revision is not None
    data = replace(banks.revision_data(question.current_revision), **changes)  # type: ignore[arg-type]
    assert banks.revise_question(question, data, None, "更正答案") is not None


def item_of(attempt_id: int, question_id: int) -> AttemptItem:
    return db.session.scalars(
        sa.select(AttemptItem).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.question_id == question_id
        )
    ).one()


def test_corrected_key_changes_scores_only_after_the_explicit_regrade(
    app: Flask, organizer_client: FlaskClient
) -> None:
    with app.app_context():
        campaign_id, quiz_id, first, done_id, running_id = setup_quiz()
        bank_id = db.session.get(Question, first).bank_id  # type: ignore[union-attr]
        db.session.commit()
    # The organizer corrects the key on the bank page: the answer is A, not B.
    edited = organizer_client.post(
        f"/manage/banks/{bank_id}/questions/{first}",
        data={
            "type": "single",
            "stem": "单选题0（　）",
            "option_a": "甲",
            "option_b": "乙",
            "option_c": "丙",
            "option_d": "丁",
            "answer": "A",
            "explanation": "单选解析0",
            "categories": "党章",
            "difficulty": "中",
        },
    )
    assert edited.status_code == 302
    with app.app_context():
        assert db.session.get(Attempt, done_id).score == Decimal("5.00")  # type: ignore[union-attr]
    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}/regrade"
    listing = organizer_client.get(url).get_data(as_text=True)
    assert "单选题0" in listing and "第 1 版 → 题库当前：第 2 版" in listing
    assert "已交卷 1 份" in listing and "作答中 1 份（暂不处理）" in listing
    assert "按新答案重新评分" in listing
    overview = organizer_client.get(f"{BASE}/{campaign_id}").get_data(as_text=True)
    assert "有 1 道题已在题库中修改" in overview

    response = organizer_client.post(url, data={"question_id": first}, follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert "已按新答案重新评分 1 份答卷，其中 1 份得分有变化" in shown
    assert "第1版→第2版：重新评分1份答卷，1份得分有变化" in shown  # the history
    with app.app_context():
        done = db.session.get(Attempt, done_id)
        assert done is not None and done.score == Decimal("10.00")
        assert item_of(done_id, first).revision.number == 2
        assert item_of(done_id, first).correct is True
        # 乙 is still answering: the paper keeps the revision it was drawn with
        assert item_of(running_id, first).revision.number == 1
        event = db.session.scalars(sa.select(RegradeEvent)).one()
        assert (event.question_id, event.attempts_changed, event.items_regraded) == (first, 1, 1)
        assert event.by_id is not None
        # once 乙 hands in, a second re-grade picks the attempt up
        yi = db.session.get(Attempt, running_id)
        assert yi is not None
        attempts.submit(running_id, yi.user, T0 + timedelta(minutes=5))
        assert yi.score == Decimal("0.00")
        db.session.commit()
    again = organizer_client.post(url, data={"question_id": first}, follow_redirects=True)
    assert "已按新答案重新评分 1 份答卷" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Attempt, running_id).score == Decimal("5.00")  # type: ignore[union-attr]
        assert db.session.get(Attempt, done_id).score == Decimal("10.00")  # type: ignore[union-attr]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RegradeEvent)) == 2
    nothing = organizer_client.post(url, data={"question_id": first}, follow_redirects=True)
    assert "这道题没有需要重新评分的已交卷答卷" in nothing.get_data(as_text=True)
    assert "没有需要重新评分的题目" in nothing.get_data(as_text=True)


def test_a_changed_option_count_is_refused(app: Flask, organizer_client: FlaskClient) -> None:
    with app.app_context():
        campaign_id, quiz_id, first, done_id, _ = setup_quiz()
        change_question(first, options=("甲", "乙", "丙"), answer=("A",))
        db.session.commit()
    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}/regrade"
    listing = organizer_client.get(url).get_data(as_text=True)
    assert "不能重新评分：选项个数已由4个改为3个" in listing
    response = organizer_client.post(url, data={"question_id": first}, follow_redirects=True)
    assert "不能重新评分：选项个数已由4个改为3个" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Attempt, done_id).score == Decimal("5.00")  # type: ignore[union-attr]
        assert item_of(done_id, first).revision.number == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RegradeEvent)) == 0


def test_a_changed_type_is_refused(ctx: None) -> None:
    _, quiz_id, first, done_id, _ = setup_quiz()
    change_question(first, type=QuestionType.MULTIPLE, answer=("A", "B"))
    from quiz_app.models import Quiz

    quiz = db.session.get(Quiz, quiz_id)
    assert quiz is not None
    [stale] = regrade.stale_questions(quiz)
    assert stale.problem is not None and "题型已由“单选”改为“多选”" in stale.problem
    assert not stale.can_regrade
    with pytest.raises(regrade.RegradeError, match="题型已由“单选”改为“多选”"):
        regrade.regrade_question(quiz, first, None)
    assert db.session.get(Attempt, done_id).score == Decimal("5.00")  # type: ignore[union-attr]


def test_an_unchanged_question_needs_no_regrade(ctx: None) -> None:
    from quiz_app.models import Quiz

    _, quiz_id, first, _, _ = setup_quiz()
    quiz = db.session.get(Quiz, quiz_id)
    assert quiz is not None
    assert regrade.stale_questions(quiz) == []
    with pytest.raises(regrade.RegradeError, match="没有需要重新评分的已交卷答卷"):
        regrade.regrade_question(quiz, first, None)
    # only an explanation fix: listed, re-grading keeps the score and says so
    change_question(first, explanation="依据《中国共产党章程》第三条")
    event = regrade.regrade_question(quiz, first, None, T0)
    assert (event.items_regraded, event.attempts_changed) == (1, 0)
    assert regrade.history(quiz)[0].event.id == event.id


def test_regrade_page_is_for_organizers_only(app: Flask, employee_client: FlaskClient) -> None:
    with app.app_context():
        campaign_id, quiz_id, first, _, _ = setup_quiz()
        db.session.commit()
    url = f"{BASE}/{campaign_id}/quizzes/{quiz_id}/regrade"
    assert employee_client.get(url).status_code == 403
    assert employee_client.post(url, data={"question_id": first}).status_code == 403


def test_regrade_keeps_the_wrong_answer_book_in_step(ctx: None) -> None:
    from quiz_app.models import WrongAnswer
    from quiz_app.services import practice

    _cid, quiz_id, first, done_id, _running_id = setup_quiz()
    jia = db.session.scalar(sa.select(Attempt).where(Attempt.id == done_id)).user  # type: ignore[union-attr]

    def book() -> set[int]:
        return {e.question_id for _, es in practice.book(jia, T0 + timedelta(hours=1)) for e in es}

    assert first in book()  # 甲 answered "A" where the key said "B"
    change_question(first, answer=("A",))  # the organizer finds the key was wrong: it is "A"
    from quiz_app.models import Quiz

    regrade.regrade_question(db.session.get(Quiz, quiz_id), first, None, T0)  # type: ignore[arg-type]
    assert first not in book()  # right after all: no longer a mistake
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(WrongAnswer)
            .where(WrongAnswer.question_id == first)
        )
        == 0
    )
