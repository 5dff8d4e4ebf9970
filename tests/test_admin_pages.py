"""Admin pages: only admins, and each action does what the admin sees."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from quiz_app.extensions import db
from quiz_app.models import Branch, Role, User
from tests.admin_helpers import preview_token, upload_roster
from tests.conftest import sign_in
from tests.factories import make_branch, make_user, root_branch


@pytest.fixture()
def office(app: Flask) -> int:
    with app.app_context():
        branch = make_branch("办公室", "BGS", root_branch())
        db.session.commit()
        return branch.id


@pytest.mark.parametrize("path", ["/admin/users", "/admin/branches", "/admin/users/import"])
def test_non_admins_get_403(
    path: str,
    employee_client: FlaskClient,
    organizer_client: FlaskClient,
    leader_client: FlaskClient,
) -> None:
    for client in (employee_client, organizer_client, leader_client):
        assert client.get(path).status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client: FlaskClient) -> None:
    assert "/login" in client.get("/admin/users").headers["Location"]


def test_add_branch_and_see_it_in_the_tree(admin_client: FlaskClient, office: int) -> None:
    response = admin_client.post(
        "/admin/branches", data={"name": "文秘组", "code": "WMZ", "parent_id": office}
    )
    assert response.status_code == 302
    page = admin_client.get("/admin/branches").get_data(as_text=True)
    assert "文秘组" in page and "WMZ" in page
    clash = admin_client.post("/admin/branches", data={"name": "x", "code": "WMZ", "parent_id": 0})
    assert "部门编码“WMZ”已被使用" in clash.get_data(as_text=True)


def test_rename_move_and_retire_a_branch(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    with app.app_context():
        other = make_branch("人事处", "RSC", root_branch()).id
        db.session.commit()
    admin_client.post(
        f"/admin/branches/{office}",
        data={"action": "rename", "name": "综合办公室", "code": "ZHBGS", "parent_id": 0},
    )
    admin_client.post(f"/admin/branches/{office}", data={"action": "move", "parent_id": other})
    page = admin_client.post(
        f"/admin/branches/{other}", data={"action": "retire"}, follow_redirects=True
    )
    assert "下级部门" in page.get_data(as_text=True)  # still holds 综合办公室
    with app.app_context():
        branch = db.session.get(Branch, office)
        assert branch is not None
        assert (branch.name, branch.code, branch.parent_id) == ("综合办公室", "ZHBGS", other)
        assert db.session.get(Branch, other).active  # type: ignore[union-attr]
    admin_client.post(f"/admin/branches/{office}", data={"action": "retire"})
    with app.app_context():
        assert db.session.get(Branch, office).active is False  # type: ignore[union-attr]


def test_create_user_shows_the_initial_password_once(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    response = admin_client.post(
        "/admin/users/new",
        data={
            "username": "3001",
            "real_name": "周八",
            "phone": "13900000001",
            "branch_id": office,
            "roles": ["leader"],
            "leader_scope": office,
            "groups": "党员、中层干部",
            "active": "y",
        },
    )
    page = response.get_data(as_text=True)
    assert "账号已创建" in page
    password = re.search(r'<p class="secret"[^>]*>([^<]+)</p>', page).group(1)  # type: ignore[union-attr]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "3001"))
        assert user is not None and user.roles == {Role.LEADER}
        assert sorted(g.name for g in user.groups) == ["中层干部", "党员"]
        assert user.grants[0].scope_branch_id == office
    fresh = app.test_client()
    assert "/password" in sign_in(fresh, "3001", password).headers["Location"]


def test_user_form_refuses_a_taken_sign_in_name(admin_client: FlaskClient, office: int) -> None:
    page = admin_client.post(
        "/admin/users/new",
        data={"username": "admin1", "real_name": "重名", "branch_id": office, "leader_scope": 0},
    ).get_data(as_text=True)
    assert "登录名“admin1”已被使用" in page


def test_admin_cannot_remove_own_admin_role(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        me = db.session.scalar(sa.select(User).where(User.username == "admin1"))
        assert me is not None
        my_id, branch_id = me.id, me.branch_id
    page = admin_client.post(
        f"/admin/users/{my_id}",
        data={
            "username": "admin1",
            "real_name": "我",
            "branch_id": branch_id,
            "leader_scope": 0,
            "active": "y",
        },
    ).get_data(as_text=True)
    assert "不能取消自己的管理员角色" in page


def test_reset_password_and_deactivate(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        user_id = make_user("4001").id
        db.session.commit()
    page = admin_client.post(f"/admin/users/{user_id}/reset-password").get_data(as_text=True)
    password = re.search(r'<p class="secret"[^>]*>([^<]+)</p>', page).group(1)  # type: ignore[union-attr]
    fresh = app.test_client()
    assert "/password" in sign_in(fresh, "4001", password).headers["Location"]
    admin_client.post(f"/admin/users/{user_id}/deactivate")
    assert fresh.get("/").status_code == 302  # the open session ends with the account
    assert sign_in(app.test_client(), "4001", password).status_code == 401


def test_user_list_search_and_branch_filter(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    with app.app_context():
        branch = db.session.get(Branch, office)
        make_user("5001", real_name="欧阳娜", branch=branch)
        make_user("5002", real_name="司马光")
        db.session.commit()
    page = admin_client.get("/admin/users?q=欧阳").get_data(as_text=True)
    assert "欧阳娜" in page and "司马光" not in page
    page = admin_client.get(f"/admin/users?branch={office}").get_data(as_text=True)
    assert "欧阳娜" in page and "司马光" not in page


def test_roster_upload_with_an_error_imports_nothing(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    data = "姓名,工号,所属部门\n张三,1001,BGS\n李四,1002,不存在\n".encode("gbk")
    page = admin_client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), "名单.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "发现 1 处错误，未导入任何数据" in page
    assert "第3行【所属部门】：找不到部门“不存在”" in page
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "1001")) is None


def test_roster_upload_gives_the_password_sheet_once(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    data = "姓名,工号,所属部门\n张三,1001,BGS\n".encode()
    preview = upload_roster(admin_client, data, "名单.csv").get_data(as_text=True)
    assert "尚未写入" in preview and "新建" in preview
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "1001")) is None
    page = admin_client.post(
        "/admin/users/import/confirm", data={"token": preview_token(preview)}
    ).get_data(as_text=True)
    assert "新增 1 人" in page
    link = re.search(r'href="(/admin/users/import/credentials/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    first = admin_client.get(link)
    assert first.status_code == 200
    sheet = load_workbook(io.BytesIO(first.data)).active
    assert sheet.cell(2, 2).value == "1001"
    again = admin_client.get(link, follow_redirects=True)
    assert "已下载过或已失效" in again.get_data(as_text=True)


def test_roster_template_download(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin/users/import/template.xlsx")
    header = [c.value for c in load_workbook(io.BytesIO(response.data)).active[1]]
    assert header == ["姓名", "工号/登录名", "手机号", "所属部门", "角色", "分组", "初始密码"]
