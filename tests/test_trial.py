"""试答: an organizer takes a fresh paper on the staff quiz page and sees it graded; nothing is
stored, only editors may, and a tampered or foreign token is refused with a message."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Quiz
from quiz_app.services import trial
from tests.conftest import sign_in
from tests.factories import make_bank, make_campaign, make_quiz, make_user

BASE = "/manage/campaigns"


def _row_counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
        for t in db.metadata.sorted_tables
    }


@pytest.fixture()
def setup(app: Flask, organizer_client: FlaskClient) -> dict[str, int]:
    with app.app_context():
        bank = make_bank()
        campaign = make_campaign(status="draft", title="保密知识竞答")
        quiz = make_quiz(
            campaign,
            bank,
            sections=(("single", 2, "5"), ("multiple", 1, "4"), ("judge", 1, "2")),
        )
        quiz.time_limit_seconds = 600
        quiz.multiple_scoring = "half_for_partial"
        db.session.commit()
        return {"campaign": campaign.id, "quiz": quiz.id}


def _page(client: FlaskClient, setup: dict[str, int]) -> tuple[str, dict]:  # type: ignore[type-arg]
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/trial"
    page = client.get(url)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    token = html.unescape(re.search(r'data-token="([^"]+)"', body).group(1))  # type: ignore[union-attr]
    paper = json.loads(
        html.unescape(re.search(r'id="quiz-paper">(.*?)</script>', body, re.S).group(1))  # type: ignore[union-attr]
    )
    return token, paper


def _key_answers(paper: dict) -> dict[str, object]:  # type: ignore[type-arg]
    """Right answers in the keys as shown (factory keys: single B, multiple AC, judge true)."""
    out: dict[str, object] = {}
    for q in paper["questions"]:
        shown = {o["text"]: o["key"] for o in q["options"]}
        if q["type"] == "single":
            out[str(q["id"])] = shown["乙"]
        elif q["type"] == "multiple":
            out[str(q["id"])] = sorted([shown["甲"], shown["丙"]])
        elif q["type"] == "judge":
            out[str(q["id"])] = True
    return out


def test_trial_page_is_the_staff_quiz_page_without_keys(
    organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/trial"
    body = organizer_client.get(url).get_data(as_text=True)
    assert "js/quiz.js" in body and 'id="quiz"' in body  # the same page script as staff use
    assert "不计入任何成绩" in body
    _token, paper = _page(organizer_client, setup)
    assert len(paper["questions"]) == 4
    assert paper["deadline"] is not None  # the quiz's 10-minute clock runs in the trial too
    for q in paper["questions"]:
        assert "correct_answer" not in q and "explanation" not in q  # no key before 交卷


def test_trial_grades_like_staff_and_writes_nothing(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    token, paper = _page(organizer_client, setup)
    answers = _key_answers(paper)
    multiple = next(q for q in paper["questions"] if q["type"] == "multiple")
    first_of_key = {o["text"]: o["key"] for o in multiple["options"]}["甲"]
    answers[str(multiple["id"])] = [first_of_key]  # 漏选: half of 4 under "half" scoring
    with app.app_context():
        before = _row_counts()
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/trial"
    result = organizer_client.post(url, data={"token": token, "answers": json.dumps(answers)})
    body = result.get_data(as_text=True)
    assert result.status_code == 200
    assert "<strong>14</strong> / 16 分" in body  # 5 + 5 + 2 + 2 (half of the multiple)
    assert "部分正确（漏选）" in body
    assert "单选解析" in body  # the review with 解析
    assert "已交卷" in body
    with app.app_context():
        assert _row_counts() == before  # no attempt, item, tally, point or audit entry


def test_trial_grading_service_matches_time_and_shape_rules(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    with app.app_context():
        quiz = db.session.get(Quiz, setup["quiz"])
        assert quiz is not None
        moment = clock.now()
        paper = trial.draw(quiz, 1, moment)
        token = trial.encode(paper, "s3cret")
        again = trial.decode(token, "s3cret", quiz, 1)
        assert [i.option_order for i in again.items] == [i.option_order for i in paper.items]
        first = str(paper.items[0].question_id)
        late = trial.grade(quiz, again, {first: "Z"}, moment + timedelta(minutes=11))
        assert late.score == Decimal("0.00")
        assert late.time_used_seconds == 600  # capped at the limit, as an attempt is
        assert late.end_label.startswith("时间到")
        assert late.problems and late.problems[0].startswith("第 1 题：")
        with pytest.raises(trial.TrialError, match="重新开始试答"):
            trial.decode(token, "other-secret", quiz, 1)
        with pytest.raises(trial.TrialError, match="不属于"):
            trial.decode(token, "s3cret", quiz, 2)  # another organizer's paper


def test_tampered_token_is_a_message_not_a_500(
    organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/trial"
    result = organizer_client.post(
        url, data={"token": "abc.def", "answers": "{}"}, follow_redirects=True
    )
    assert result.status_code == 200
    assert "请重新开始试答" in result.get_data(as_text=True)
    token, _paper = _page(organizer_client, setup)
    result = organizer_client.post(
        url, data={"token": token, "answers": "not json"}, follow_redirects=True
    )
    assert "答案无法读取" in result.get_data(as_text=True)


def test_non_editor_gets_403_and_employee_too(
    app: Flask, setup: dict[str, int], organizer_client: FlaskClient, employee_client: FlaskClient
) -> None:
    with app.app_context():
        make_user("organizer2", roles=["organizer"])
        db.session.commit()
    other = app.test_client()
    sign_in(other, "organizer2")
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/trial"
    assert other.get(url).status_code == 403
    assert other.post(url, data={"token": "x", "answers": "{}"}).status_code == 403
    assert employee_client.get(url).status_code == 403


def test_campaign_page_offers_trial_before_publishing(
    organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    body = organizer_client.get(f"{BASE}/{setup['campaign']}").get_data(as_text=True)
    assert f"/quizzes/{setup['quiz']}/trial" in body
