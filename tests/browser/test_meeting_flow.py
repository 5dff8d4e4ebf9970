"""A branch secretary shows the rotating check-in QR code on a projector (1280×800); an employee
opens the code's link on a phone (375×667), signs in, and is checked in once; a second scan is a
friendly note; the projector page shows how each person was marked; a leader reads the
compliance grid on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Gates, LiveServer, shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"


def seed_meeting(seed: Callable[[], Any]) -> dict[str, Any]:
    from quiz_app.clock import now, to_local
    from quiz_app.extensions import db
    from quiz_app.services.meetings import records
    from tests import factories
    from tests.meetings.helpers import make_party, meeting_input

    with seed():
        party = make_party()
        party.members[0].username = "mtg-employee"
        party.members[0].real_name = "张职工"
        party.secretary.username = "mtg-secretary"
        factories.make_user(
            "mtg-leader", real_name="刘领导", roles=["leader"], scope=party.committee
        )
        factories.make_user("mtg-admin", real_name="王管理", roles=["admin"])
        start = to_local(now())
        data = meeting_input(
            party,
            "theme_day",
            topic="重温入党誓词",
            planned_at=start.strftime("%Y-%m-%dT%H:%M"),
        )
        meeting = records.create_meeting(party.branch, data, party.secretary)
        db.session.flush()
        return {"id": meeting.id}


def test_secretary_shows_the_code_and_an_employee_checks_in(
    browser: Any,
    live_server: LiveServer,
    new_page: Callable[[], Any],
    seed: Callable[[], Any],
    axe_check: Callable[..., Any],
) -> None:
    seeded = seed_meeting(seed)
    projector_ctx = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 800},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    gates = Gates(live_server.host)
    try:
        projector = projector_ctx.new_page()
        gates.attach(projector)
        sign_in(projector, "mtg-secretary", PASSWORD)
        projector.goto(f"/meetings/{seeded['id']}/qr")
        qr = projector.locator("#qr")
        expect(qr.locator("svg")).to_be_visible()
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 300 and box["y"] + box["height"] <= 800
        # the page fetches a fresh code by itself (here: when it becomes visible again)
        with projector.expect_response(re.compile(r"/qr\.json$")) as polled:
            projector.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        assert polled.value.status == 200
        url = qr.get_attribute("data-checkin-url")
        assert url and "/meetings/checkin?t=" in url
        expect(projector.get_by_role("link", name="无法扫码？点此打开签到链接")).to_have_attribute(
            "href", url
        )
        axe_check(projector, "QR projector page")
        shot(projector, "11-meeting-qr-projector")

        phone = new_page()
        phone.goto(url)  # the camera opens the link; not signed in yet
        expect(phone).to_have_url(re.compile(r"/login"))
        phone.get_by_label("登录名").fill("mtg-employee")
        phone.get_by_label("密码", exact=True).fill(PASSWORD)
        phone.get_by_role("button", name="登录").click()
        expect(phone.get_by_text(re.compile(r"签到成功（\d\d:\d\d，扫码）"))).to_be_visible()
        axe_check(phone, "check-in result")
        shot(phone, "12-meeting-checkin-phone")
        phone.goto(url)  # a second scan
        expect(phone.get_by_text(re.compile(r"您已签到（\d\d:\d\d）"))).to_be_visible()

        projector.reload()
        expect(projector.locator("#qr-present")).to_have_text("1")
        row = projector.locator(".person", has_text="张职工")
        expect(row).to_contain_text("扫码")
        projector.get_by_role("button", name=re.compile("为党员1手工签到")).click()
        expect(projector.locator(".person", has_text="党员1")).to_contain_text("手工")
        shot(projector, "13-meeting-qr-after-checkin")
        projector.goto(f"/meetings/{seeded['id']}")
        expect(projector.get_by_role("heading", name="出席情况")).to_be_visible()
        axe_check(projector, "meeting record")
        projector.goto("/meetings/new")
        expect(projector.get_by_label("议题")).to_be_visible()
        axe_check(projector, "new meeting form")

        leader = new_page()
        sign_in(leader, "mtg-leader", PASSWORD)
        leader.goto("/meetings/calendar")
        expect(leader.get_by_role("region", name=re.compile("逐月落实情况表"))).to_be_visible()
        expect(leader.get_by_role("heading", name="逾期与即将到期")).to_be_visible()
        assert (
            leader.evaluate("document.documentElement.scrollWidth") <= 375
        )  # only the grid scrolls
        axe_check(leader, "compliance calendar")
        shot(leader, "14-meeting-calendar-phone")

        admin = new_page()
        sign_in(admin, "mtg-admin", PASSWORD)
        admin.goto("/meetings/settings/")
        expect(admin.get_by_text("不是全国统一规定").first).to_be_visible()
        axe_check(admin, "meeting settings")
    finally:
        projector_ctx.close()
    gates.check()
