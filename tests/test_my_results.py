"""我的成绩, the review gates, how an attempt ended, and home as a to-do list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, Campaign, Quiz
from quiz_app.services import campaigns, todo
from tests.conftest import sign_in
from tests.factories import make_bank, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def _quiz(**rules: Any) -> int:
    rules.setdefault("sections", (("judge", 1, "5"), ("multiple", 1, "4")))
    campaign = make_campaign(
        closes_at=rules.pop("closes_at", None), title=rules.pop("campaign_title", "保密知识学习月")
    )
    return make_quiz(campaign, make_bank(per_type=2), **rules).id


def _take(client: FlaskClient, quiz_id: int, answers: dict[str, Any], submit: bool = True) -> int:
    """Start, answer by question type, hand in; the attempt's id."""
    location = client.post(f"/quizzes/{quiz_id}/start").headers["Location"]
    attempt_id = int(location.rsplit("/", 1)[1])
    payload = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    for n, q in enumerate(payload["questions"], start=1):
        if q["type"] in answers:
            res = client.put(
                f"/api/v1/attempts/{attempt_id}/answers/{q['id']}",
                json={"answer": answers[q["type"]], "seq": n},
            )
            assert res.status_code == 200, res.get_json()
    if submit:
        client.post(f"/api/v1/attempts/{attempt_id}/submit")
    return attempt_id


def test_a_result_reopens_a_week_later_and_the_review_opens_after_close(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = _quiz(
            title="保密竞答",
            review_policy="after_close",
            pass_mark=6,
            closes_at=T0 + timedelta(days=2),
        )
        make_user("r1")
        db.session.commit()
    sign_in(client, "r1", remember=True)
    attempt_id = _take(client, quiz_id, {"judge": True, "multiple": ["A"]})
    url = f"/my/results/{attempt_id}"
    page = client.get(url).get_data(as_text=True)
    assert "<strong>5</strong> / 9 分" in page and "未及格" in page
    assert "判断解析" not in page and "活动结束" in page  # held until the campaign closes
    listing = client.get("/my/results/").get_data(as_text=True)
    assert "保密竞答" in listing and "5 分 · 未及格" in listing and "6月1日 10:00" in listing
    assert "5.00" not in listing and "5.0 分" not in listing
    home = client.get("/").get_data(as_text=True)
    assert "未及格 · 5 分" in home and url in home
    assert "已公布答案和解析" not in home

    clock.set_now(T0 + timedelta(days=7))  # a week later: the campaign closed on day two
    page = client.get(url).get_data(as_text=True)
    assert "判断解析" in page and "多选解析" in page
    assert "部分正确（漏选）" not in page  # all-or-nothing scoring: one of two is simply wrong
    assert "错误（漏选）" in page and "漏选" in page
    home = client.get("/").get_data(as_text=True)
    assert "《保密竞答》已公布答案和解析" in home and url in home
    assert client.get(f"/quizzes/{quiz_id}").headers["Location"] == url


def test_review_never_shows_under_never_and_shows_at_once_under_immediate(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        never = _quiz(review_policy="never", closes_at=T0 + timedelta(days=1))
        immediate = _quiz(review_policy="immediate")
        make_user("r2")
        db.session.commit()
    sign_in(client, "r2", remember=True)
    hidden = _take(client, never, {"judge": False})
    shown = _take(client, immediate, {"judge": True})
    assert "判断解析" in client.get(f"/my/results/{shown}").get_data(as_text=True)
    for moment in (T0, T0 + timedelta(days=30)):
        clock.set_now(moment)
        sign_in(client, "r2")  # a month away: signed in again
        page = client.get(f"/my/results/{hidden}").get_data(as_text=True)
        assert "判断解析" not in page and "本次竞答不公布答案" in page
        api = client.get(f"/api/v1/attempts/{hidden}").get_json()
        assert all("correct_answer" not in q for q in api["questions"])


def test_nobody_else_opens_my_result(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = _quiz(review_policy="immediate")
        make_user("r3")
        make_user("r4")
        db.session.commit()
    sign_in(client, "r3", remember=True)
    attempt_id = _take(client, quiz_id, {"judge": True})
    client.post("/logout")
    sign_in(client, "r4", remember=True)
    page = client.get(f"/my/results/{attempt_id}")
    assert page.status_code == 404 and "判断解析" not in page.get_data(as_text=True)
    assert "保密" not in client.get("/my/results/").get_data(as_text=True).split("<main")[-1]
    assert client.get("/my/results/999999").status_code == 404
    client.post("/logout")
    assert client.get(f"/my/results/{attempt_id}").status_code == 302  # to sign-in


def test_partial_credit_is_shown_per_option_and_only_wrong_filters(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = _quiz(review_policy="immediate", multiple_scoring="half_for_partial")
        make_user("r5")
        db.session.commit()
    sign_in(client, "r5", remember=True)
    attempt_id = _take(client, quiz_id, {"judge": True, "multiple": ["A"]})
    page = client.get(f"/my/results/{attempt_id}").get_data(as_text=True)
    assert "部分正确（漏选）" in page and "2 / 4 分" in page
    assert 'class="opt-hit key chosen"' in page and 'class="opt-missed key"' in page
    assert "我的答案" in page and "正确答案" in page
    assert '<th scope="row">多选</th><td>1</td><td>0</td><td>1</td><td>0</td>' in page
    wrong = client.get(f"/my/results/{attempt_id}?only=wrong").get_data(as_text=True)
    assert "多选解析" in wrong and "判断解析" not in wrong and "只看错题 1 题" in wrong


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("submit", "已交卷"),
        ("time_up", "时间到，已按保存的答案自动交卷"),
        ("closed_early", "组织者提前结束了活动"),
        ("campaign_closed", "活动已截止"),
    ],
)
def test_the_result_says_truthfully_how_the_quiz_ended(
    app: Flask, client: FlaskClient, how: str, said: str
) -> None:
    clock.set_now(T0)
    with app.app_context():
        limit = None if how == "campaign_closed" else 600
        quiz_id = _quiz(time_limit_seconds=limit, closes_at=T0 + timedelta(hours=1))
        make_user("r6")
        db.session.commit()
    sign_in(client, "r6", remember=True)
    attempt_id = _take(client, quiz_id, {"judge": True}, submit=how == "submit")
    if how == "time_up":
        clock.set_now(T0 + timedelta(minutes=11))
    elif how == "closed_early":
        clock.set_now(T0 + timedelta(minutes=2))
        with app.app_context():
            campaigns.close(db.session.get(Quiz, quiz_id).campaign)
            db.session.commit()
        clock.set_now(T0 + timedelta(minutes=3))
    elif how == "campaign_closed":
        clock.set_now(T0 + timedelta(hours=2))
    page = client.get(f"/my/results/{attempt_id}").get_data(as_text=True)
    note = re.search(r'<p class="end-note[^"]*">(.*?)</p>', page)
    assert note is not None and note.group(1).startswith(said)
    api = client.get(f"/api/v1/attempts/{attempt_id}").get_json()
    assert api["result"]["end_reason"] == {"submit": "submitted"}.get(how, how)
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).end_reason == api["result"]["end_reason"]


def test_a_hand_in_after_the_deadline_is_the_deadlines_doing(
    app: Flask, client: FlaskClient
) -> None:
    """Inside the grace after an early close, or the page's own hand-in as its countdown ends: the
    result says why it really ended, not 已交卷."""
    clock.set_now(T0)
    with app.app_context():
        quiz_id = _quiz(attempts_allowed=3)
        make_user("r7")
        db.session.commit()
    sign_in(client, "r7", remember=True)
    early = _take(client, quiz_id, {"judge": True}, submit=False)
    with app.app_context():
        campaigns.close(db.session.get(Quiz, quiz_id).campaign)
        db.session.commit()
    clock.set_now(T0 + timedelta(seconds=2))  # inside the grace: the answers still count
    client.post(f"/api/v1/attempts/{early}/submit")
    result = client.get(f"/api/v1/attempts/{early}").get_json()["result"]
    assert result["end_reason"] == "closed_early" and result["score"] == "5.00"


def test_the_pages_own_hand_in_at_zero_says_time_up_and_a_tap_before_says_handed_in(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = _quiz(attempts_allowed=3)
        make_user("r7b")
        db.session.commit()
    sign_in(client, "r7b", remember=True)
    by_page = _take(client, quiz_id, {"judge": True}, submit=False)
    clock.set_now(T0 + timedelta(minutes=10) - timedelta(seconds=1))  # the phone's clock is ahead
    client.post(f"/api/v1/attempts/{by_page}/submit", json={"auto": True})
    assert client.get(f"/api/v1/attempts/{by_page}").get_json()["result"]["end_reason"] == (
        "time_up"
    )
    by_hand = _take(client, quiz_id, {"judge": True}, submit=False)
    clock.advance(minutes=1)
    client.post(f"/api/v1/attempts/{by_hand}/submit", json={"auto": True})  # 9 minutes left
    assert client.get(f"/api/v1/attempts/{by_hand}").get_json()["result"]["end_reason"] == (
        "submitted"
    )


def test_home_lists_what_to_do_first_with_time_left_and_pass_or_fail(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        running = _quiz(title="进行中的竞答", time_limit_seconds=900)
        _quiz(title="明天截止的竞答", closes_at=T0 + timedelta(hours=20))
        failed = _quiz(title="没及格的竞答", pass_mark=9, attempts_allowed=2)
        make_user("r8")
        db.session.commit()
    sign_in(client, "r8", remember=True)
    _take(client, failed, {"judge": True})
    _take(client, running, {}, submit=False)
    clock.set_now(T0 + timedelta(minutes=3, seconds=5))
    home = client.get("/").get_data(as_text=True)
    todo_part, done_part = home.split('id="done-title"')
    assert todo_part.index("进行中的竞答") < todo_part.index("明天截止的竞答")  # due first
    assert "剩余 11 分 55 秒" in todo_part and "继续答题" in todo_part
    assert "due-soon" in todo_part and "开始答题" in todo_part
    assert "没及格的竞答" in done_part and "未及格 · 5 分" in done_part
    assert "还可作答 1 次" in done_part and "state-fail" in done_part
    assert "每日一练" in home and "今日 5 题 · 已做 0 题" in home


def test_home_takes_items_from_other_providers(app: Flask, client: FlaskClient) -> None:
    clock.set_now(T0)
    with app.app_context():
        make_user("r9")
        db.session.commit()

    def reading(user: Any, moment: datetime) -> list[dict[str, Any]]:
        return [
            {
                "kind": "material",
                "title": "学习《保密法》第三章",
                "url": "/materials/7",
                "due_at": moment + timedelta(hours=3),
                "status": "未学习",
                "action": "去学习",
            }
        ]

    todo.PROVIDERS.append(reading)
    todo.POINTS_PROVIDER = lambda user, moment: 12
    try:
        sign_in(client, "r9", remember=True)
        home = client.get("/").get_data(as_text=True)
    finally:
        todo.PROVIDERS.remove(reading)
        todo.POINTS_PROVIDER = None
    assert "学习《保密法》第三章" in home and 'href="/materials/7"' in home
    assert "今日积分 <strong>12</strong> 分" in home
    assert "6月1日 13:00 截止" in home


def test_one_date_form() -> None:
    this_year = datetime(2026, 12, 7, 9, 14, tzinfo=UTC)
    assert clock.format_when(this_year, today=this_year) == "12月7日 17:14"
    assert clock.format_when(this_year - timedelta(days=365), today=this_year) == (
        "2025年12月7日 17:14"
    )
    assert clock.format_when(None) == ""


def test_a_campaign_closed_long_ago_leaves_home_but_stays_in_my_results(
    app: Flask, client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        quiz_id = _quiz(title="去年的竞答", closes_at=T0 + timedelta(days=1))
        make_user("r10")
        db.session.commit()
    sign_in(client, "r10", remember=True)
    _take(client, quiz_id, {"judge": True})
    clock.set_now(T0 + timedelta(days=60))
    sign_in(client, "r10")  # two months away: signed in again
    assert "去年的竞答" not in client.get("/").get_data(as_text=True)
    assert "去年的竞答" in client.get("/my/results/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, db.session.get(Quiz, quiz_id).campaign_id) is not None


def test_option_marks_say_left_out_only_where_something_was_chosen() -> None:
    from quiz_app.services import review

    opts = [("A", "甲"), ("B", "乙"), ("C", "丙")]
    single = review.question_review(1, "single", "题", opts, "A", "B", False)
    assert [o.mark_label for o in single.options] == ["错选", "正确答案", ""]
    nothing = review.question_review(1, "multiple", "题", opts, None, ["A", "C"], False)
    assert nothing.verdict_label == "未作答"
    assert [o.mark_label for o in nothing.options] == ["正确答案", "", "正确答案"]
    partly = review.question_review(
        1, "multiple", "题", opts, ["A"], ["A", "C"], False, awarded=Decimal("1"), score=Decimal(2)
    )
    assert partly.verdict_label == "部分正确（漏选）"
    assert [o.mark_label for o in partly.options] == ["选对", "", "漏选"]
    both = review.question_review(1, "multiple", "题", opts, ["A", "B"], ["A", "C"], False)
    assert both.verdict_label == "错误（错选）"
    assert [o.mark_label for o in both.options] == ["选对", "错选", "漏选"]
