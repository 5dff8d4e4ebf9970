"""An admin on a phone (375×667): the people list with filters and a bulk action, and a roster
import that previews every row before anything is written. Gates, axe and the tap/font check
apply (the admin's people pages are in the enforced set of tests/browser/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "Passw0rd2024"


def _seed_people(seed: Callable[[], Any]) -> None:
    import sqlalchemy as sa

    from quiz_app import clock
    from quiz_app.extensions import db
    from quiz_app.models import Role, User
    from tests.factories import make_branch, make_user, root_branch

    with seed():
        if db.session.scalar(sa.select(User).where(User.username == "admin_m")) is not None:
            return  # the live server's database is shared by this file's tests
        office = make_branch("办公室", "ADMBGS", root_branch())
        law = make_branch("执法科", "ADMZFK", root_branch())
        make_user("admin_m", real_name="管理员", roles=[Role.ADMIN.value], password=PASSWORD)
        year = clock.now().year
        for n, (name, branch) in enumerate(
            [("张伟", office), ("王芳", office), ("李娜", law), ("刘洋", law), ("陈静", office)]
        ):
            user = make_user(f"10{n}", real_name=name, branch=branch)
            if n % 2 == 0:
                user.last_login_at = datetime(year, 12, 7, 9, 14 + n, tzinfo=UTC)
        make_user("109", real_name="赵磊", branch=law, roles=[Role.ORGANIZER.value], scope=law)
        make_user("110", real_name="周敏", branch=office, active=False)


def test_people_list_and_bulk_deactivate_on_a_phone(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    _seed_people(seed)
    sign_in(page, "admin_m", PASSWORD)
    page.goto("/admin/users")
    table = page.locator(".people-table")
    expect(table.locator("tr", has_text="周敏")).to_have_count(0)  # active people only, by default
    expect(table.locator("tr", has_text="张伟")).to_contain_text(re.compile(r"12月7日 \d\d:\d\d"))
    expect(table.locator("tr", has_text="赵磊")).to_contain_text("组织者")
    # One card per person on a phone: nothing scrolls sideways, each figure says what it is.
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    expect(table.locator("thead")).to_have_css("position", "absolute")  # still read aloud
    card = table.locator("tr", has_text="赵磊").bounding_box()
    assert card and card["width"] <= 375 and card["height"] > 90  # stacked, not one wide row
    axe_check(page, "people list")
    shot(page, "50-admin-people-list")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(table.locator("thead")).not_to_have_css("position", "absolute")  # the desktop table
    page.set_viewport_size({"width": 375, "height": 667})

    page.get_by_label("角色").select_option("employee")
    page.get_by_label("状态").select_option("all")
    page.get_by_role("button", name="筛选").tap()
    expect(table.locator("tr", has_text="周敏")).to_contain_text("停用")
    expect(table.locator("tr", has_text="赵磊")).to_have_count(0)

    page.goto("/admin/users?q=王")
    page.get_by_label("选择王芳").check()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="停用").tap()
    expect(page.get_by_text("已停用 1 人")).to_be_visible()
    page.goto("/admin/users?q=王&status=inactive")
    expect(page.locator(".people-table tr", has_text="王芳")).to_contain_text("停用")


def _roster_file(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "工号/登录名", "手机号", "所属部门", "角色", "分组", "初始密码"])
    ws.append(["孙丽", "201", "", "ADMBGS", "员工", "党员", ""])
    ws.append(["张伟", "100", "", "ADMBGS", "员工", "", "abc12345"])
    ws.append(["周敏", "110", "", "ADMBGS", "员工", "", ""])
    path = tmp_path / "花名册.xlsx"
    wb.save(path)
    return path


def test_roster_import_previews_before_writing(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any], tmp_path: Path
) -> None:
    _seed_people(seed)
    sign_in(page, "admin_m", PASSWORD)
    page.goto("/admin/users/import")
    page.get_by_label("选择文件").set_input_files(str(_roster_file(tmp_path)))
    page.get_by_role("button", name="上传并预览").tap()
    expect(page.get_by_role("heading", name="尚未写入：请核对后确认")).to_be_visible()
    rows = page.locator(".preview-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("新建")
    expect(rows.nth(1)).to_contain_text(re.compile("更新\\s*密码不用"))
    expect(rows.nth(2)).to_contain_text("重新启用")
    axe_check(page, "roster preview")
    shot(page, "51-admin-roster-preview")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="确认导入").tap()
    expect(page.get_by_role("heading", name="导入完成")).to_be_visible()
    expect(page.get_by_text("新增 1 人，更新 2 人（其中重新启用 1 人）")).to_be_visible()
    expect(page.get_by_role("link", name="下载初始密码表")).to_be_visible()
