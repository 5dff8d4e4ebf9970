"""An employee on a phone answers an anonymous survey: the notice comes first, then the questions;
the organizer reads the results with the 5-answer threshold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

TITLE = "第四季度思想动态调查"
QUESTIONS = """[量表] 您对本单位当前学习安排的总体满意度（1很不满意，5很满意）

[单选] 您认为当前工作压力主要来自
业务任务繁重
学习考核较多
其他

[多选] 您希望增加哪些学习形式
专题讲座
线上学习
交流研讨

[文字] 您对单位工作有什么意见和建议（选答）"""


def seed_survey(seed: Callable[[], Any]) -> int:
    """调研科 has 6 people (sv_0 … sv_5); five have answered, sv_0 has not."""
    from quiz_app import clock
    from quiz_app.extensions import db
    from quiz_app.models.survey import Survey
    from quiz_app.services.surveys import answering, authoring
    from tests import factories

    with seed():
        dept = factories.make_branch(name="调研科")
        people = [factories.make_user(f"sv_{i}", branch=dept) for i in range(6)]
        organizer = factories.make_user("sv_org", roles=["organizer"])
        now = clock.now()
        survey = Survey(status="draft", created_by=organizer)
        authoring.save_draft(
            survey,
            title=TITLE,
            description="了解大家的学习和工作状态，结果只用于改进工作。",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=7),
            branches=[dept],
            groups=[],
            questions=QUESTIONS,
        )
        db.session.add(survey)
        db.session.flush()
        authoring.publish(survey)
        q = [x.id for x in survey.questions]
        for i, person in enumerate(people[1:]):
            answering.submit(
                survey,
                person,
                {f"q{q[0]}": [str(3 + i % 3)], f"q{q[1]}": [str(i % 3)], f"q{q[2]}": ["0"]},
            )
        return survey.id


def test_employee_sees_the_notice_then_answers(
    new_page: Callable[[], Any], seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    seed_survey(seed)
    page = new_page()
    sign_in(page, "sv_0", DEFAULT_PASSWORD)
    page.get_by_role("link", name="思想动态问卷").tap()
    page.get_by_role("link", name=TITLE).tap()
    notice = page.locator("#anonymity-notice")
    expect(notice).to_contain_text("本问卷匿名")
    expect(notice).to_contain_text("少于 5 人的部门合并到上级部门显示")
    first_question = page.locator(".survey-q").first
    assert notice.bounding_box()["y"] < first_question.bounding_box()["y"]
    assert notice.bounding_box()["y"] < 667  # on the first screen, before any question is answered
    axe_check(page, "survey answer page")
    shot(page, "20-survey-answer")

    # a missing answer is refused (400) with the question's number, nothing saved
    page.gates.allowed_errors.append("status of 400")  # type: ignore[attr-defined]
    page.get_by_role("button", name="提交问卷").tap()
    expect(page.get_by_role("alert")).to_contain_text("第1题：请作答")

    page.get_by_label("4", exact=True).check()
    page.get_by_label("学习考核较多").check()
    page.get_by_label("专题讲座").check()
    page.get_by_label("交流研讨").check()
    page.get_by_role("textbox").fill("希望学习时间安排在工作日")
    for box in page.locator("label.choice").all():  # tap targets stay phone-sized
        assert box.bounding_box()["height"] >= 44
    page.get_by_role("button", name="提交问卷").tap()
    expect(page.get_by_text("已提交，谢谢您的参与")).to_be_visible()
    expect(page.get_by_text("已填写")).to_be_visible()

    organizer = new_page()
    sign_in(organizer, "sv_org", DEFAULT_PASSWORD)
    organizer.goto("/surveys/manage")
    organizer.get_by_role("link", name=TITLE).tap()
    organizer.get_by_role("link", name="查看结果").tap()
    expect(organizer.get_by_text("收回答卷 6 份")).to_be_visible()
    expect(organizer.get_by_text("希望学习时间安排在工作日")).to_be_visible()
    axe_check(organizer, "survey results")
    shot(organizer, "21-survey-results", full_page=True)
    organizer.goto("/surveys/new")
    expect(organizer.get_by_label("题目")).to_contain_text("[量表]")  # an example to edit
    axe_check(organizer, "new survey form")


def test_year_report_on_a_phone(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    from quiz_app.extensions import db
    from quiz_app.models.survey import Survey

    with seed():  # the survey of the test above, or a fresh one when this test runs alone
        exists = db.session.query(Survey.id).filter(Survey.title == TITLE).first()
    if exists is None:
        seed_survey(seed)
    sign_in(page, "sv_org", DEFAULT_PASSWORD)
    page.goto("/dashboard/year")
    paragraph = page.locator("#year-paragraph")
    expect(paragraph).to_contain_text("今年以来")
    expect(paragraph).to_contain_text("开展干部职工思想动态匿名问卷调查")
    expect(page.locator("#year-missing")).to_contain_text("平台上没有以下记录")
    for link in paragraph.get_by_role("link").all():
        assert link.get_attribute("href")
    axe_check(page, "year report")
    shot(page, "22-year-report")
