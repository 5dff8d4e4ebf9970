"""一学一报 on a phone: an employee writes a report (saved as typed, also through a dropped
connection), submits it; the organizer returns it with a comment; the employee revises and
resubmits; it is approved, and the points show on 我的学习."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"
TITLE = "学习《中国共产党纪律处分条例》心得体会"
FIRST = (
    "通过纪律教育月的学习，我重新学习了2023年修订的《中国共产党纪律处分条例》。"
    "条例分则按政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律六项纪律排列。"
)
ADDED = "结合办公室的公文和会务工作，我将严格按程序办事，主动接受监督。"


def seed_requirement(seed: Callable[[], Any]) -> int:
    from quiz_app import clock
    from quiz_app.services.reports import requirements
    from tests import factories

    with seed():
        office = factories.make_branch(name="办公室")
        factories.make_user("rp_emp", real_name="张敏", branch=office)
        factories.make_user("rp_other", real_name="李强", branch=office)
        org = factories.make_user("rp_org", real_name="陈组织", roles=["organizer"])
        data = requirements.RequirementData(
            title=TITLE,
            instructions="结合纪律教育月的学习，联系本职工作谈体会。",
            due_at=clock.now() + timedelta(days=5),
            min_chars=60,
            max_photos=2,
            branch_ids=[office.id],
            group_ids=[],
        )
        return requirements.save_requirement(data, org).id


def test_employee_writes_is_returned_revises_and_earns_points(
    new_page: Callable[[], Any], seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    rid = seed_requirement(seed)
    me = new_page()
    sign_in(me, "rp_emp", PASSWORD)
    me.get_by_role("link", name="一学一报").tap()
    expect(me.get_by_role("heading", name="我要写的报告")).to_be_visible()
    axe_check(me, "report list")
    me.get_by_role("link", name=TITLE).tap()
    expect(me.get_by_role("heading", name=TITLE)).to_be_visible()

    # Typing saves by itself; the indicator says so.
    state = me.locator("#save-state")
    body = me.get_by_label("报告正文")
    body.fill(FIRST[:30])
    expect(state).to_have_text("已保存", timeout=8000)

    # The connection drops while typing: the page says so, and catches up when it returns.
    me.context.set_offline(True)
    body.fill(FIRST)
    expect(state).to_have_text("离线，将自动重试", timeout=8000)
    me.context.set_offline(False)
    me.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(state).to_have_text("已保存", timeout=8000)
    me.reload()
    expect(me.get_by_label("报告正文")).to_have_value(FIRST)  # it reached the server
    expect(me.locator("#char-count")).to_have_text(str(len(FIRST)))
    axe_check(me, "writing page")
    me.locator("#report-form").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 64)"
    )
    shot(me, "11-report-write")
    me.get_by_role("button", name="提交").tap()
    expect(me.get_by_text("已提交，等待审阅")).to_be_visible()
    expect(me.get_by_text("第 1 稿")).to_be_visible()

    # The organizer returns it with a comment.
    org = new_page()
    sign_in(org, "rp_org", PASSWORD)
    org.goto(f"/reports/{rid}")
    expect(org.get_by_role("region", name="各部门报送情况", exact=True)).to_contain_text("办公室")
    expect(org.locator("#copy-text")).to_have_value("办公室（1 人）：李强")
    axe_check(org, "requirement overview")
    org.get_by_role("link", name="张敏").tap()
    expect(org.get_by_role("heading", name="张敏的报告")).to_be_visible()
    org.get_by_label("退回修改").check()
    org.get_by_label("审阅意见（退回时必填）").fill("请结合本处室的具体工作，谈一谈准备怎样落实。")
    axe_check(org, "review page")
    org.get_by_role("button", name="确定").tap()
    expect(org.get_by_text("张敏的报告已退回")).to_be_visible()

    # The employee sees the comment, revises and resubmits.
    me.reload()
    expect(me.get_by_role("note")).to_contain_text("请结合本处室的具体工作")
    me.get_by_label("报告正文").fill(FIRST + ADDED)
    expect(state).to_have_text("已保存", timeout=8000)
    me.get_by_role("button", name="提交").tap()
    expect(me.get_by_text("第 2 稿")).to_be_visible()

    # Approved; both versions stay on record.
    org.goto(f"/reports/{rid}")
    org.get_by_role("link", name="张敏").tap()
    org.get_by_label("通过").check()
    org.get_by_role("button", name="确定").tap()
    expect(org.get_by_text("张敏的报告已通过")).to_be_visible()

    me.reload()
    expect(me.get_by_text("报告已通过审阅，不能再修改。")).to_be_visible()
    expect(me.get_by_text("第 1 稿")).to_be_visible()
    expect(me.get_by_label("报告正文")).to_have_count(0)
    me.goto("/")
    me.get_by_role("link", name="我的学习").tap()
    expect(me.get_by_role("heading", name="我的学习")).to_be_visible()
    expect(me.locator("#points-total")).to_have_text("3")
    expect(me.get_by_role("region", name="积分记录", exact=True)).to_contain_text("一学一报")
    expect(me.get_by_text("已通过")).to_be_visible()
    axe_check(me, "my study page")
    shot(me, "12-my-study")
    # every tap target on the writing flow's pages is at least 44 px high
    small = me.evaluate(
        """() => [...document.querySelectorAll('main a, main button')]
              .filter(e => e.offsetParent && e.closest('.list-item, .btn, .tabs'))
              .map(e => e.getBoundingClientRect().height).filter(h => h < 44)"""
    )
    assert small == [], small
