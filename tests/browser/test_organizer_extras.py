"""An organizer on a phone (375×667): 预览试卷 / 试答 of a draft that counts nowhere, then publishing
(asked first: "将锁定规则，面向 N 人") and the share code — read from the page, opened by a
signed-out employee, who signs in and lands on the quiz."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"


def _seed(seed: Callable[[], Any], tag: str) -> dict[str, Any]:
    """An organizer, an employee in one branch, and a draft campaign (the live database is shared
    by the whole run, so names carry ``tag``)."""
    from tests import factories

    with seed():
        branch = factories.make_branch(name=f"保密办{tag}")
        factories.make_user(f"org_{tag}", real_name="周组织", branch=branch, roles=["organizer"])
        factories.make_user(f"emp_{tag}", real_name="李职工", branch=branch)
        bank = factories.make_bank(f"保密知识题库{tag}", per_type=3, owner=f"org_{tag}")
        campaign = factories.make_campaign(
            [branch], status="draft", title="保密知识学习月", owner=f"org_{tag}"
        )
        quiz = factories.make_quiz(
            campaign,
            bank,
            sections=(("single", 2, "5"), ("judge", 1, "2")),
            title="保密知识竞答",
            review_policy="after_close",
        )
        return {"campaign": campaign.id, "quiz": quiz.id}


def _counted(seed: Callable[[], Any], quiz_id: int) -> int:
    from quiz_app.extensions import db
    from quiz_app.models import Attempt

    with seed():
        return (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Attempt).where(Attempt.quiz_id == quiz_id)
            )
            or 0
        )


def test_preview_takes_the_paper_and_counts_nowhere(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    ids = _seed(seed, "pv")
    sign_in(page, "org_pv", PASSWORD)
    page.goto(f"/manage/campaigns/{ids['campaign']}")
    page.get_by_role("link", name="预览试卷").click()
    expect(page.get_by_text("这是预览，不计入任何成绩、统计和积分。")).to_be_visible()
    expect(page.locator("fieldset.preview-q")).to_have_count(3)
    # Factory keys: single → B (“乙”), judge → 正确.
    for i in (1, 2):
        page.locator("fieldset.preview-q").nth(i - 1).get_by_text("乙").click()
    page.locator("fieldset.preview-q").nth(2).get_by_text("错误").click()
    axe_check(page, "preview paper")
    page.get_by_role("button", name=re.compile("交卷")).click()
    expect(page.locator("#preview-result")).to_contain_text("试答得分：10 分")
    expect(page.locator(".verdict-wrong")).to_contain_text("正确答案：正确")
    shot(page, "30-organizer-preview")
    assert (
        _counted(seed, ids["quiz"]) == 0
    )  # no attempt, so nothing to tally, rank or show in 我的成绩


def test_trial_on_the_staff_quiz_page_counts_nowhere(
    page: Any, new_page: Callable[[], Any], seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    """试答 of a published campaign: the organizer answers on the staff quiz page (timer, answer
    sheet, 上一题/下一题), hands in, sees the graded review; the not-yet list and the leader's
    statistics read the same before and after."""
    from quiz_app.extensions import db
    from quiz_app.models import Branch, Campaign
    from tests import factories

    ids = _seed(seed, "tr")
    with seed():
        campaign = db.session.get(Campaign, ids["campaign"])
        assert campaign is not None
        campaign.status = "published"
        branch = db.session.scalar(sa.select(Branch).where(Branch.name == "保密办tr"))
        factories.make_user("lead_tr", real_name="马局长", branch=branch, roles=["leader"])
    leader = new_page()
    sign_in(leader, "lead_tr", PASSWORD)
    leader.goto(f"/dashboard/campaigns/{ids['campaign']}")
    stats_before = leader.locator("main").inner_text()
    sign_in(page, "org_tr", PASSWORD)
    participation = f"/manage/campaigns/{ids['campaign']}/quizzes/{ids['quiz']}/participation"
    page.goto(participation)
    not_yet_before = page.locator("main").inner_text()
    assert "0 / 3 人已完成" in not_yet_before  # the organizer is in the audience too
    assert "周组织" in not_yet_before

    page.goto(f"/manage/campaigns/{ids['campaign']}")
    page.get_by_role("link", name="试答", exact=True).first.click()
    expect(page.locator("#trial-note")).to_contain_text("不计入任何成绩")
    expect(page.locator(".qz-save")).to_have_text("试答，不计成绩")
    expect(page.get_by_role("button", name="上一题")).to_be_visible()
    # Factory keys: single → 乙, judge → 正确. Answer the singles right and the judge wrong.
    for _ in range(3):
        card = page.locator(".qcard")
        if card.get_by_text("乙", exact=False).count():
            card.locator("label.qz-opt", has_text="乙").click()
        else:
            card.locator("label.qz-opt", has_text="错误").click()
        if _ == 1:
            axe_check(page, "trial quiz page")
            shot(page, "30b-organizer-trial-quiz")
        page.locator(".nav-next").click()  # 下一题; on the last question it asks to hand in
    page.get_by_role("button", name="确认交卷").click()
    page.wait_for_url(re.compile(r"/trial$"))
    expect(page.locator("#trial-result")).to_contain_text("10 / 12 分")
    expect(page.locator(".review-item")).to_have_count(3)
    expect(page.locator(".review-item.wrong")).to_contain_text("正确答案")
    axe_check(page, "trial result")
    shot(page, "30c-organizer-trial-result")

    page.goto(participation)
    assert page.locator("main").inner_text() == not_yet_before
    leader.reload()
    assert leader.locator("main").inner_text() == stats_before
    assert _counted(seed, ids["quiz"]) == 0


def test_share_code_signs_in_and_lands_on_the_quiz(
    page: Any, new_page: Callable[[], Any], seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    ids = _seed(seed, "sh")
    sign_in(page, "org_sh", PASSWORD)
    page.goto(f"/manage/campaigns/{ids['campaign']}")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="发布活动").click()
    page.wait_for_load_state()
    assert asked and "将锁定规则，面向 2 人" in asked[0]
    expect(page.get_by_role("heading", name="扫码答题")).to_be_visible()
    expect(page.locator(".share-code svg")).to_be_visible()
    link = page.locator("#share-url").get_attribute("href")
    assert link and link.endswith(f"/c/{ids['campaign']}")
    expect(page.locator(".progress-line")).to_contain_text("已完成 0/2")
    axe_check(page, "campaign with share code")
    page.locator(".share-card").scroll_into_view_if_needed()
    shot(page, "31-organizer-share-code")

    phone = new_page()  # the employee's phone, not signed in, scanning the code
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.get_by_label("登录名").fill("emp_sh")
    phone.get_by_label("密码", exact=True).fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"**/quizzes/{ids['quiz']}")
    expect(phone.get_by_role("heading", name="保密知识竞答")).to_be_visible()
    shot(phone, "32-share-code-lands-on-quiz")

    # Back on the organizer's phone: the not-yet list with its ready reminder.
    page.goto(f"/manage/campaigns/{ids['campaign']}/quizzes/{ids['quiz']}/participation")
    expect(page.locator(".person-nowrap", has_text="李职工")).to_be_visible()
    expect(page.locator("#copy-text")).to_have_value(re.compile(r"【提醒】.*还有 2 人未完成"))
    page.get_by_role("button", name="复制提醒文字").click()
    expect(page.get_by_text("已复制，可到微信工作群粘贴。")).to_be_visible()
    expect(page.get_by_role("link", name="导出未完成名单（Excel）")).to_be_visible()
    axe_check(page, "not-yet list")
    shot(page, "33-organizer-not-yet-list")


def test_question_editor_ticks_the_right_option_and_the_filter_bar_holds(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    from quiz_app.extensions import db
    from quiz_app.models import Question
    from tests import factories

    with seed():
        factories.make_user("org_ed", real_name="编辑者", roles=["organizer"])
        bank = factories.make_bank("题目编辑题库", per_type=1, owner="org_ed")
        bank_id = bank.id
    sign_in(page, "org_ed", PASSWORD)
    page.goto(f"/manage/banks/{bank_id}")
    retired = page.locator("label[for=retired]")
    box = retired.bounding_box()
    assert box and box["height"] < 50 and box["width"] > box["height"]  # one line of text
    search = page.locator("#q").bounding_box()
    assert search and search["height"] < 60  # not stretched to 90 px
    page.goto(f"/manage/banks/{bank_id}/questions/new")
    page.get_by_label("题型").select_option("multiple")
    expect(page.get_by_label("答案", exact=True)).to_be_hidden()  # ticks replace typed letters
    expect(page.locator(".option-row:visible")).to_have_count(4)
    page.get_by_role("button", name="+ 添加选项").click()
    expect(page.locator(".option-row:visible")).to_have_count(5)
    page.get_by_label("题干").fill("保密工作的方针包括（　）。")
    options = ("积极防范", "突出重点", "放任自流", "依法管理", "各自为政")
    for key, text in zip("ABCDE", options, strict=True):
        page.get_by_label(f"选项{key}", exact=True).fill(text)
    page.get_by_label("选项A是正确答案").check()
    page.get_by_label("选项B是正确答案").check()
    page.get_by_label("选项D是正确答案").check()
    page.get_by_label("分类").fill("保密；方针")
    axe_check(page, "question editor")
    shot(page, "34-question-editor-ticks")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    with seed():
        saved = db.session.scalar(
            sa.select(Question).where(Question.bank_id == bank_id).order_by(Question.id.desc())
        )
        assert saved is not None and saved.current_revision is not None
        assert saved.current_revision.answer == ["A", "B", "D"]
        assert saved.current_revision.categories == ["保密", "方针"]


def test_random_draw_form_counts_live_and_lists_the_chosen_banks_categories(
    page: Any, seed: Callable[[], Any]
) -> None:
    ids = _seed(seed, "rd")
    from tests import factories

    with seed():
        factories.make_bank("纪律题库rd", per_type=2, categories=("纪律",), owner="org_rd")
    sign_in(page, "org_rd", PASSWORD)
    page.goto(f"/manage/campaigns/{ids['campaign']}/quizzes/{ids['quiz']}/sections/new")
    count = page.locator("#pool-count")
    expect(count).to_have_text("请先选择题库")
    page.get_by_label("题型").select_option("single")
    page.get_by_label("纪律题库rd").check()
    expect(count).to_have_text("符合条件的题目：2 道")
    categories = page.locator("#category-boxes")
    expect(categories.get_by_label("纪律", exact=True)).to_be_visible()
    expect(categories.get_by_label("党章", exact=True)).to_be_hidden()  # the other bank's category
    page.get_by_label("题数").fill("5")
    expect(count).to_have_text("符合条件的题目：2 道（不够抽 5 道）")
    shot(page, "35-random-draw-live-count")
