"""The employee's quiz pages: who may see a quiz, starting it, and the result page's review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from tests.conftest import sign_in
from tests.factories import make_bank, make_branch, make_campaign, make_quiz, make_user, root_branch

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def test_draft_and_other_audiences_are_invisible(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        bank = make_bank(per_type=2)
        office = make_branch("办公室", "BGS", root_branch())
        other = make_branch("信息中心", "XXZX", root_branch())
        draft = make_quiz(make_campaign([office], status="draft"), bank).id
        theirs = make_quiz(make_campaign([other]), bank).id
        mine = make_quiz(make_campaign([office], title="保密知识学习"), bank, title="保密竞答").id
        make_user("t1", branch=office)
        db.session.commit()
    sign_in(client, "t1")
    assert client.get(f"/quizzes/{draft}").status_code == 404
    assert client.get(f"/quizzes/{theirs}").status_code == 404
    assert client.post(f"/quizzes/{theirs}/start").status_code == 404
    page = client.get(f"/quizzes/{mine}").get_data(as_text=True)
    assert "保密竞答" in page and "开始答题" in page and "10 分钟" in page


def test_start_resume_and_result_with_review(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = make_quiz(
            make_campaign(), make_bank(per_type=2), sections=(("judge", 1, "5"),)
        ).id
        make_user("t2")
        db.session.commit()
    sign_in(client, "t2")
    started = client.post(f"/quizzes/{quiz_id}/start")
    attempt_url = started.headers["Location"]
    assert attempt_url.startswith("/attempts/")
    assert "继续答题" in client.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert client.post(f"/quizzes/{quiz_id}/start").headers["Location"] == attempt_url  # resumes
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    result_url = f"/my/results/{attempt_id}"
    assert client.get(f"{attempt_url}/result").headers["Location"] == result_url  # old address
    assert client.get(result_url).headers["Location"] == attempt_url  # not final yet
    payload = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    qid = payload["questions"][0]["id"]
    client.put(f"/api/v1/attempts/{attempt_id}/answers/{qid}", json={"answer": True, "seq": 1})
    client.post(f"/api/v1/attempts/{attempt_id}/submit")
    assert client.get(attempt_url).headers["Location"] == result_url
    result = client.get(result_url).get_data(as_text=True)
    assert "5</strong> / 5 分" in result and "判断解析" in result and "第 1 名 / 1 人" in result
    assert "已交卷" in result
    # No attempts left: the quiz's card and address lead to the result, not to a dead-end intro.
    assert client.get(f"/quizzes/{quiz_id}").headers["Location"] == result_url


def test_nobody_else_reads_my_result(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = make_quiz(
            make_campaign(), make_bank(per_type=1), sections=(("judge", 1, "5"),)
        ).id
        make_user("t3")
        make_user("t4")
        db.session.commit()
    sign_in(client, "t3")
    attempt_url = client.post(f"/quizzes/{quiz_id}/start").headers["Location"]
    client.post("/logout")
    sign_in(client, "t4")
    assert client.get(attempt_url).status_code == 404
    assert client.get(f"{attempt_url}/result").headers["Location"].startswith("/my/results/")
    assert client.get(attempt_url.replace("/attempts/", "/my/results/")).status_code == 404


def test_overdue_attempt_is_finished_when_its_page_is_opened(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = make_quiz(
            make_campaign(), make_bank(per_type=1), sections=(("judge", 1, "5"),)
        ).id
        make_user("t5")
        db.session.commit()
    sign_in(client, "t5")
    attempt_url = client.post(f"/quizzes/{quiz_id}/start").headers["Location"]
    clock.set_now(T0 + timedelta(minutes=11))
    result_url = client.get(attempt_url).headers["Location"]
    assert result_url.startswith("/my/results/")
    assert "时间到，已按保存的答案自动交卷" in client.get(result_url).get_data(as_text=True)
