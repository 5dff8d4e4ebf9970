"""错题重练 as one run through the book (filterable by bank and type); practice shows 我的答案."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Question
from quiz_app.services import practice
from tests.conftest import sign_in
from tests.factories import make_bank, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
WRONG = {"single": "A", "multiple": ["A"], "judge": False, "blank": ["错", "错"]}
RIGHT = {"single": "B", "multiple": ["A", "C"], "judge": True, "blank": ["甲", "乙"]}
FORM_RIGHT = {
    "single": {"answer": "B"},
    "multiple": {"answer": ["A", "C"]},
    "judge": {"answer": "true"},
    "blank": {"blank": ["甲", "乙"]},
}


def _book(app: Flask) -> dict[str, int]:
    """Two banks; every question of bank A wrong once, one single of bank B. Returns bank ids."""
    with app.app_context():
        a = make_bank("甲题库", per_type=1)
        b = make_bank("乙题库", per_type=1)
        # The open quiz draws from a third bank: a running quiz's own questions are withheld
        # from the book while its keys are hidden (services.secrecy).
        make_quiz(make_campaign(closes_at=T0 + timedelta(days=3)), make_bank("丙题库", per_type=1))
        user = make_user("w1")
        for q in db.session.query(Question).filter(Question.bank_id == a.id):
            practice.answer(user, q, WRONG[q.current_revision.type], T0, "daily")
        single_b = next(
            q
            for q in db.session.query(Question).filter(Question.bank_id == b.id)
            if q.current_revision.type == "single"
        )
        practice.answer(user, single_b, "A", T0, "daily")
        db.session.commit()
        return {"a": a.id, "b": b.id}


def test_one_run_goes_through_every_wrong_question_with_one_tap_each(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    _book(app)
    sign_in(client, "w1")
    index = client.get("/practice/").get_data(as_text=True)
    assert "开始错题重练" in index
    url = "/practice/wrong/run"
    seen = []
    for step in range(1, 6):
        page = client.get(url).get_data(as_text=True)
        assert f"第 {step} / 5 题" in page
        qid = int(re.search(r'name="question_id" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
        seen.append(qid)
        qtype = re.search(r'<span class="tag">(.+?)</span>', page).group(1)  # type: ignore[union-attr]
        kind = {"单选": "single", "多选": "multiple", "判断": "judge", "填空": "blank"}[qtype]
        action = re.search(r'action="([^"]+)" class="card practice-question"', page).group(1)  # type: ignore[union-attr]
        feedback = client.post(
            action.replace("&amp;", "&"), data={"question_id": qid, **FORM_RIGHT[kind]}
        ).get_data(as_text=True)
        assert "回答正确" in feedback and "我的答案" in feedback and "正确答案" in feedback
        url = re.search(r'class="btn btn-primary btn-block" href="([^"]+)"', feedback).group(1)  # type: ignore[union-attr]
        url = url.replace("&amp;", "&")
        assert ("下一题" in feedback) == (step < 5)
    assert len(set(seen)) == 5
    done = client.get(url).get_data(as_text=True)
    assert "本轮错题重练完成" in done and "还有 5 题" in done  # one right answer does not clear


def test_the_run_filters_by_bank_and_type(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    ids = _book(app)
    sign_in(client, "w1")
    page = client.get(f"/practice/wrong/run?bank={ids['b']}").get_data(as_text=True)
    assert "第 1 / 1 题" in page and "单选题0" in page
    page = client.get("/practice/wrong/run?type=judge").get_data(as_text=True)
    assert "第 1 / 1 题" in page and "判断题0" in page
    assert client.get("/practice/wrong/run?type=essay").status_code == 404
    empty = client.get(f"/practice/wrong/run?bank={ids['b']}&type=judge").get_data(as_text=True)
    assert "所选范围内的错题都已移出错题本" in empty


def test_practice_feedback_shows_my_answer_beside_the_right_one(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    _book(app)
    sign_in(client, "w1")
    page = client.get("/practice/wrong/run?type=multiple").get_data(as_text=True)
    qid = int(re.search(r'name="question_id" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    feedback = client.post(
        "/practice/wrong/run?type=multiple", data={"question_id": qid, "answer": ["A", "B"]}
    ).get_data(as_text=True)
    assert "回答错误" in feedback and "错误（错选）" in feedback
    mine = re.search(r"<dt>我的答案</dt><dd>(.*?)</dd>", feedback).group(1)  # type: ignore[union-attr]
    key = re.search(r"<dt>正确答案</dt><dd>(.*?)</dd>", feedback).group(1)  # type: ignore[union-attr]
    assert (mine, key) == ("AB", "AC")
    assert "opt-extra" in feedback and "opt-missed" in feedback
