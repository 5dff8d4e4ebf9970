"""An employee's pages around the quiz, on a phone: 我的成绩 reopened a week later, typing a blank
with half the screen taken by the keyboard, and the answer sheet closed by the backdrop and by
the phone's back gesture (not leaving the quiz while its clock runs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from quiz_app import clock
from tests.browser.conftest import shot, sign_in
from tests.browser.test_quiz_flows import at, jump, pick, saved, seed_quiz, start_quiz

pytestmark = pytest.mark.browser
PASSWORD = "Passw0rd2024"


def test_a_result_reopens_a_week_later_with_the_answers_released(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    s = seed_quiz(
        seed,
        username="wangwu_r",
        sections=(("single", 2, "5"), ("multiple", 1, "10"), ("judge", 1, "5")),
        time_limit_seconds=900,
        title="保密知识竞答",
        branch_name="保密办",
        real_name="王五",
        review_policy="after_close",
        closes_at=clock.now() + timedelta(days=2),
        realistic=True,
        pass_mark=15,
    )
    sign_in(page, s.username, PASSWORD, remember=True)  # 记住我: still signed in a week later
    attempt_id = start_quiz(page, s.quiz_title)
    at(page, 1, 4, "单选")
    pick(page, "A")  # wrong on purpose: the review has something to teach
    saved(page)
    page.locator(".qbar").get_by_role("button", name="交卷").tap()
    page.get_by_role("button", name="确认交卷").tap()
    page.wait_for_url(f"**/my/results/{attempt_id}")
    expect(page.locator(".end-note")).to_have_text("已交卷")
    expect(page.get_by_text("正确答案和解析将在活动结束")).to_be_visible()
    expect(page.get_by_text("解析：")).to_have_count(0)

    # Home: the quiz is done, and its card shows the score and pass/fail — not a dead-end intro.
    page.goto("/")
    card = page.locator(".quiz-card", has_text=s.quiz_title)
    expect(card).to_contain_text(re.compile(r"未及格 · \d+ 分"))  # not a green 已完成
    expect(card.locator(".state")).to_have_class(re.compile("state-fail"))
    expect(card).to_contain_text("查看成绩")

    # A week later (the server's clock moved on): the campaign closed, the answers are out.
    clock.set_now(clock.now() + timedelta(days=7))
    try:
        page.goto("/")
        notice = page.get_by_role("link", name=f"《{s.quiz_title}》已公布答案和解析 ›")
        expect(notice).to_be_visible()
        axe_check(page, "home a week later")
        page.get_by_role("link", name="我的成绩").click()
        expect(page.get_by_role("heading", name="我的成绩")).to_be_visible()
        row = page.locator(".result-card", has_text=s.quiz_title)
        expect(row).to_contain_text("可查看答案和解析")
        expect(row).to_contain_text(re.compile(r"\d+ 分 · 未及格"))
        expect(row).not_to_contain_text(".0")
        axe_check(page, "my results")
        shot(page, "11-my-results")
        row.get_by_role("link").click()
        page.wait_for_url(f"**/my/results/{attempt_id}")
        expect(page.get_by_text("解析：").first).to_be_visible()
        expect(page.locator(".type-summary")).to_contain_text("单选")
        page.get_by_role("link", name=re.compile("^只看错题")).click()
        expect(page.locator(".review-item.right")).to_have_count(0)
        expect(page.locator(".review-item").first).to_contain_text("我的答案")
        axe_check(page, "review, wrong only")
        page.evaluate("() => document.getElementById('review-title').scrollIntoView()")
        page.evaluate("() => window.scrollBy(0, -60)")  # below the sticky top bar
        shot(page, "12-review-wrong-only")
    finally:
        clock.set_now(None)


def test_a_blank_being_typed_stays_above_the_bottom_bar_with_the_keyboard_up(
    new_page: Callable[[], Any], seed: Callable[[], Any]
) -> None:
    s = seed_quiz(
        seed,
        username="qianba",
        sections=(("single", 1, "1"), ("blank", 1, "2")),
        time_limit_seconds=900,
        title="填空练手",
        branch_name="人事科",
        real_name="钱八",
        realistic=True,
    )
    page = new_page()
    sign_in(page, s.username, PASSWORD)
    start_quiz(page, s.quiz_title)
    page.get_by_role("button", name="下一题").tap()
    at(page, 2, 2, "填空")
    nav = page.locator(".qnav")

    def assert_in_view(field: Any, height: int) -> None:
        page.wait_for_timeout(300)  # the visualViewport resize handler and its scroll
        box = field.bounding_box()
        top_bar = page.locator(".qbar").bounding_box()
        assert box is not None and top_bar is not None
        assert box["y"] >= top_bar["y"] + top_bar["height"] - 1, (box, top_bar)  # not under the top
        assert box["y"] + box["height"] <= height, box  # on screen
        if nav.is_visible():
            bar = nav.bounding_box()
            assert bar is not None
            assert box["y"] + box["height"] <= bar["y"], (box, bar)  # not covered by the bar

    # An Android keyboard takes half the screen: what is left is 375×370. The field gets focus
    # the way the keyboard's "next" key gives it (the browser's own scroll-into-view, which stops
    # at the screen's edge, right under a fixed bar).
    page.set_viewport_size({"width": 375, "height": 370})
    page.evaluate("() => window.scrollTo(0, 0)")
    last = page.locator("input.qz-blank").last
    last.focus()
    expect(last).to_be_focused()
    assert_in_view(last, 370)
    # The keyboard rising while a field already has focus: the viewport shrinks under it.
    page.set_viewport_size({"width": 375, "height": 667})
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    last.focus()
    page.set_viewport_size({"width": 375, "height": 370})
    assert_in_view(last, 370)
    last.fill("实事求是")
    saved(page)
    shot(page, "13-keyboard")
    # Typing done: the bar is back.
    page.locator(".qz-stem").tap()
    expect(nav).to_be_visible()


def test_the_answer_sheet_closes_on_its_backdrop_and_on_the_back_gesture(
    page: Any, seed: Callable[[], Any]
) -> None:
    s = seed_quiz(
        seed,
        username="zhoujiu",
        sections=(("single", 3, "1"), ("judge", 1, "1")),
        time_limit_seconds=900,
        title="答题卡返回",
        branch_name="宣传科",
        real_name="周九",
    )
    sign_in(page, s.username, PASSWORD)
    start_quiz(page, s.quiz_title)
    quiz_url = page.url
    sheet = page.get_by_role("dialog", name="答题卡")

    # The dimmed backdrop (above the sheet's panel) closes it.
    page.get_by_role("button", name="答题卡").tap()
    expect(sheet).to_be_visible()
    page.mouse.click(187, 40)
    expect(sheet).to_be_hidden()
    assert page.url == quiz_url

    # The phone's back gesture closes the sheet and stays on the quiz, clock running.
    page.get_by_role("button", name="答题卡").tap()
    expect(sheet).to_be_visible()
    page.go_back()
    expect(sheet).to_be_hidden()
    assert page.url == quiz_url
    expect(page.locator(".qnum")).to_have_text("第 1 / 4 题")
    expect(page.locator(".qz-timer")).to_have_text(re.compile(r"剩余 1[45]:\d\d"))

    # Closed with its own button, then a jump: no history entry is left behind for back to eat.
    jump(page, 3)
    at(page, 3, 4, "单选")
    page.get_by_role("button", name="答题卡").tap()
    sheet.get_by_role("button", name="关闭").tap()
    expect(sheet).to_be_hidden()
    page.wait_for_timeout(200)
    assert page.evaluate("() => history.state && history.state.qzSheet") in (None, False)


def test_practice_shows_my_answer_and_the_wrong_book_runs_in_one_go(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    s = seed_quiz(
        seed,
        username="wushi",
        sections=(("single", 1, "1"),),
        time_limit_seconds=900,
        title="练习用竞答",
        branch_name="后勤科",
        real_name="吴十",
        realistic=True,
    )
    sign_in(page, s.username, PASSWORD)
    expect(page.locator(".todo-practice")).to_contain_text("今日 5 题 · 已做 0 题")
    page.goto("/practice/")
    axe_check(page, "practice")
    page.get_by_role("link", name="开始练习").click()
    wrong = 0
    for _ in range(5):
        expect(page.locator(".practice-question")).to_be_visible()
        choices = page.locator(
            ".practice-question input[type=radio], .practice-question input[type=checkbox]"
        )
        if choices.count():
            choices.first.check()  # often wrong: the book gets something
        else:
            page.locator(".practice-question input[type=text]").first.fill("不知道")
        page.get_by_role("button", name="提交").click()
        expect(page.locator(".answer-pair")).to_contain_text("我的答案")
        if page.get_by_text("✗ 回答错误").count():
            wrong += 1
            if wrong == 1:
                axe_check(page, "practice feedback")
                shot(page, "14-practice-feedback")
        page.locator(".btn-primary.btn-block").click()
    expect(page.get_by_text("今天的练习已完成")).to_be_visible()
    page.goto("/")
    expect(page.locator(".todo-practice")).to_contain_text("今日已完成")
    if wrong:
        page.goto("/practice/")
        page.get_by_role("button", name="开始错题重练").click()
        expect(page.locator(".crumbs")).to_contain_text(f"错题重练 · 第 1 / {wrong} 题")
        axe_check(page, "wrong-book run")


def test_an_early_close_is_said_on_the_quiz_page_before_it_leaves(
    page: Any, seed: Callable[[], Any]
) -> None:
    from quiz_app.extensions import db
    from quiz_app.models import Quiz
    from quiz_app.services import campaigns

    s = seed_quiz(
        seed,
        username="zhengshiyi",
        sections=(("single", 2, "1"),),
        time_limit_seconds=900,
        title="提前结束的竞答",
        branch_name="法规科",
        real_name="郑十一",
    )
    sign_in(page, s.username, PASSWORD)
    attempt_id = start_quiz(page, s.quiz_title)
    pick(page, "B")
    saved(page)
    with seed():
        campaigns.close(db.session.get(Quiz, s.quiz_id).campaign)
    page.wait_for_timeout(3500)  # past the save grace (3 s in these tests)
    page.gates.allowed_errors.append("status of 409")
    page.get_by_role("button", name="下一题").tap()
    pick(page, "A")  # refused: the quiz is over
    note = page.locator(".qz-finishing")
    expect(note).to_contain_text("组织者提前结束了活动，已按保存的答案自动交卷")
    expect(note.get_by_role("link", name="查看成绩")).to_be_visible()
    page.wait_for_url(f"**/my/results/{attempt_id}")
    expect(page.locator(".end-note")).to_have_text("组织者提前结束了活动，已按保存的答案自动交卷")
    expect(page.locator(".score")).to_have_text(re.compile(r"^\s*1 / 2 分\s*$"))
