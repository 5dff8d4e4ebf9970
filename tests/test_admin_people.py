"""Issue 13, admins: explicit scopes, new branches under the selected one, easy initial passwords,
a roster preview before anything is written, the people table with bulk actions, head-counts."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import AuditEntry, Branch, Role, User
from quiz_app.services import people
from quiz_app.services.accounts import generate_password, password_problem
from tests.admin_helpers import preview_token, upload_roster
from tests.conftest import sign_in
from tests.factories import make_branch, make_user, root_branch


@pytest.fixture()
def office(app: Flask) -> int:
    with app.app_context():
        branch = make_branch("办公室", "BGS", root_branch())
        db.session.commit()
        return branch.id


def _entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def _user(app: Flask, username: str) -> User | None:
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


# --- 1. a leader's and a secretary's scope is chosen on purpose -----------------------------------


def test_new_person_form_starts_scopes_at_please_choose(admin_client: FlaskClient) -> None:
    page = admin_client.get("/admin/users/new").get_data(as_text=True)
    leader = re.search(r'<select[^>]*id="leader_scope".*?</select>', page, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r'<option selected value="">请选择</option>', leader)
    assert "全局（全部部门）" in leader  # still a deliberate choice
    secretary = re.search(r'<select[^>]*id="secretary_scope".*?</select>', page, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r'<option selected value="">请选择</option>', secretary)


def test_a_new_leader_without_a_chosen_scope_is_refused(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    base = {"username": "ld1", "real_name": "领导甲", "branch_id": office, "roles": ["leader"]}
    page = admin_client.post("/admin/users/new", data={**base, "leader_scope": ""})
    text = page.get_data(as_text=True)
    assert "请选择领导可查看的范围" in text
    assert _user(app, "ld1") is None
    admin_client.post("/admin/users/new", data={**base, "leader_scope": "0", "active": "y"})
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "ld1"))
        assert user is not None and user.grants[0].scope_branch_id is None  # 全局, chosen


def test_adding_the_leader_role_on_edit_also_needs_a_scope(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    with app.app_context():
        uid = make_user("p1", real_name="张三").id
        db.session.commit()
    page = admin_client.get(f"/admin/users/{uid}").get_data(as_text=True)
    leader = re.search(r'<select[^>]*id="leader_scope".*?</select>', page, re.S).group(0)  # type: ignore[union-attr]
    assert '<option selected value="">请选择</option>' in leader
    data = {"username": "p1", "real_name": "张三", "branch_id": office, "active": "y"}
    refused = admin_client.post(f"/admin/users/{uid}", data={**data, "roles": ["secretary"]})
    assert "请选择支部书记负责的组织" in refused.get_data(as_text=True)
    admin_client.post(
        f"/admin/users/{uid}", data={**data, "roles": ["leader"], "leader_scope": office}
    )
    with app.app_context():
        grant = db.session.get(User, uid).grants[0]  # type: ignore[union-attr]
        assert (grant.role, grant.scope_branch_id) == ("leader", office)


# --- 2. a new branch goes under the selected one -------------------------------------------------


def test_new_branch_defaults_to_the_selected_parent(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    edit = admin_client.get(f"/admin/branches/{office}").get_data(as_text=True)
    assert f'href="/admin/branches?parent={office}#new"' in edit
    page = admin_client.get(f"/admin/branches?parent={office}").get_data(as_text=True)
    parent = re.search(r'<select[^>]*id="parent_id".*?</select>', page, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(rf'<option selected value="{office}">', parent)
    plain = admin_client.get("/admin/branches").get_data(as_text=True)
    assert re.search(r'<option selected value="0">', plain)


# --- 3. initial passwords easy to type -----------------------------------------------------------


def test_initial_passwords_are_eight_unambiguous_characters() -> None:
    for _ in range(300):
        pw = generate_password()
        assert len(pw) == 8
        assert not set(pw) & set("0Oo1lIiJj2Zz5Ss8Bbgqvu")  # 6 and 9 stay: b, g, q are out, pw
        assert pw == pw.lower()  # no shift key on the phone
        assert password_problem(pw) is None


# --- 4. roster: preview, then confirm ------------------------------------------------------------


def _roster(*rows: tuple[str, ...]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "工号/登录名", "手机号", "所属部门", "角色", "分组", "初始密码"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_roster_preview_says_what_each_row_will_do_and_writes_nothing(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    with app.app_context():
        make_user("2001", real_name="老员工")
        make_user("2002", real_name="离职人员", active=False)
        db.session.commit()
    data = _roster(
        ("新同事", "2000", "", "BGS", "员工", "", ""),
        ("老员工", "2001", "", "BGS", "员工", "", "abc12345"),
        ("离职人员", "2002", "", "BGS", "员工", "", ""),
    )
    preview = upload_roster(admin_client, data).get_data(as_text=True)
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td class="who">([^<]+)<br>.*?</td>\s*<td[^>]*>([^<]+)(<br><span class="muted">密码不用)?',
        preview,
    )
    assert rows == [
        ("2", "新同事", "新建", ""),
        ("3", "老员工", "更新", '<br><span class="muted">密码不用'),
        ("4", "离职人员", "重新启用", ""),
    ]
    assert "新建 1 人，更新 1 人，重新启用 1 人" in preview
    assert "不会使用" in preview and "老员工" in preview
    assert _user(app, "2000") is None
    assert _user(app, "2002").active is False  # type: ignore[union-attr]
    done = admin_client.post(
        "/admin/users/import/confirm", data={"token": preview_token(preview)}
    ).get_data(as_text=True)
    assert "新增 1 人，更新 2 人（其中重新启用 1 人）" in done
    assert _user(app, "2000") is not None and _user(app, "2002").active is True  # type: ignore[union-attr]
    again = admin_client.post(
        "/admin/users/import/confirm",
        data={"token": preview_token(preview)},
        follow_redirects=True,
    )
    assert "已经完成或已过期" in again.get_data(as_text=True)


def test_roster_confirm_checks_again_and_writes_nothing_on_a_new_clash(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    data = _roster(
        ("甲", "3001", "13900000001", "BGS", "员工", "", ""),
        ("乙", "3002", "13900000002", "BGS", "员工", "", ""),
    )
    preview = upload_roster(admin_client, data).get_data(as_text=True)
    with app.app_context():  # between preview and confirm, someone takes 乙's phone number
        make_user("other", phone="13900000002")
        db.session.commit()
    page = admin_client.post(
        "/admin/users/import/confirm", data={"token": preview_token(preview)}
    ).get_data(as_text=True)
    assert "第3行【手机号】：“13900000002”已被账号“other”使用" in page
    assert "未导入任何数据" in page
    assert _user(app, "3001") is None


def test_roster_token_belongs_to_the_admin_who_uploaded(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    preview = upload_roster(admin_client, _roster(("甲", "3101", "", "BGS", "", "", ""))).get_data(
        as_text=True
    )
    with app.app_context():
        make_user("admin2", roles=["admin"])
        db.session.commit()
    other = app.test_client()
    sign_in(other, "admin2")
    response = other.post("/admin/users/import/confirm", data={"token": preview_token(preview)})
    assert response.status_code == 302
    assert _user(app, "3101") is None


def test_roster_cli_still_imports(app: Flask, tmp_path: object, office: int) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "roster.xlsx"
    path.write_bytes(_roster(("丙", "3201", "", "BGS", "", "", "")))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-users", str(path), "--dry-run"])
    assert dry.exit_code == 0 and _user(app, "3201") is None
    sheet = Path(str(tmp_path)) / "初始密码.xlsx"
    real = runner.invoke(args=["import-users", str(path), "--credentials", str(sheet)])
    assert real.exit_code == 0, real.output
    assert _user(app, "3201") is not None and sheet.exists()


# --- 5. the people table -------------------------------------------------------------------------


def test_people_table_shows_roles_status_and_last_sign_in(
    app: Flask, admin_client: FlaskClient, office: int
) -> None:
    with app.app_context():
        branch = db.session.get(Branch, office)
        seen = make_user("6001", real_name="王组织", branch=branch, roles=["organizer"])
        seen.last_login_at = datetime(clock.now().year, 12, 7, 9, 14, tzinfo=UTC)
        make_user("6002", real_name="李停用", branch=branch, active=False)
        db.session.commit()
    page = admin_client.get(f"/admin/users?branch={office}&status=all").get_data(as_text=True)
    row = re.search(r"<tr>.*?王组织.*?</tr>", page, re.S).group(0)  # type: ignore[union-attr]
    assert "组织者" in row and "在用" in row and "12月7日 17:14" in row
    stopped = re.search(r'<tr class="retired">.*?李停用.*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "停用" in stopped and "从未登录" in stopped
    active_only = admin_client.get(f"/admin/users?branch={office}").get_data(as_text=True)
    assert "王组织" in active_only and "李停用" not in active_only
    inactive = admin_client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "李停用" in inactive and "王组织" not in inactive
    organizers = admin_client.get("/admin/users?role=organizer").get_data(as_text=True)
    assert "王组织" in organizers and "admin1" not in organizers
    employees = admin_client.get("/admin/users?role=employee&status=all").get_data(as_text=True)
    assert "李停用" in employees and "王组织" not in employees
    assert admin_client.get("/admin/users?role=nonsense&status=weird").status_code == 200


def test_people_table_pages_keep_the_filters(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        for n in range(people_page_size() + 3):
            make_user(f"m{n:03d}", real_name=f"成员{n:03d}")
        db.session.commit()
    first = admin_client.get("/admin/users?q=成员").get_data(as_text=True)
    assert "第 1 / 2 页" in first
    link = re.search(r'href="(/admin/users\?[^"]*page=2[^"]*)"', first).group(1)  # type: ignore[union-attr]
    assert "q=" in link and "status=active" in link
    second = admin_client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "成员052" in second and "成员000" not in second


def people_page_size() -> int:
    from quiz_app.web.admin import PAGE_SIZE

    return PAGE_SIZE


def test_bulk_deactivate_and_activate_audit_each_person_and_end_sessions(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        ids = [make_user(f"b{n}", real_name=f"批量{n}").id for n in range(3)]
        me = db.session.scalar(sa.select(User).where(User.username == "admin1"))
        my_id = me.id  # type: ignore[union-attr]
        db.session.commit()
    phone = app.test_client()
    sign_in(phone, "b0")
    assert phone.get("/").status_code == 200
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert 'value="deactivate"' in page and "data-confirm=" in page
    response = admin_client.post(
        "/admin/users/bulk",
        data={"action": "deactivate", "user_ids": [*map(str, ids[:2]), str(my_id)]},
        follow_redirects=True,
    )
    assert "已停用 2 人（不能停用自己的账号，已跳过）" in response.get_data(as_text=True)
    assert phone.get("/").status_code == 302  # the open session ended
    assert len(_entries(app, "account.active")) == 2
    with app.app_context():
        states = [db.session.get(User, i).active for i in [*ids, my_id]]  # type: ignore[union-attr]
    assert states == [False, False, True, True]
    admin_client.post("/admin/users/bulk", data={"action": "activate", "user_ids": [str(ids[0])]})
    assert _user(app, "b0").active is True  # type: ignore[union-attr]
    assert len(_entries(app, "account.active")) == 3
    empty = admin_client.post(
        "/admin/users/bulk", data={"action": "deactivate"}, follow_redirects=True
    )
    assert "请先勾选人员" in empty.get_data(as_text=True)


def test_bulk_reset_gives_a_one_time_sheet_and_ends_sessions(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        ids = [make_user(f"r{n}", real_name=f"重置{n}").id for n in range(2)]
        db.session.commit()
    phone = app.test_client()
    sign_in(phone, "r0")
    page = admin_client.post(
        "/admin/users/bulk", data={"action": "reset", "user_ids": [str(i) for i in ids]}
    ).get_data(as_text=True)
    assert "已为 2 人重置密码" in page
    assert phone.get("/").status_code == 302
    link = re.search(r'href="(/admin/users/import/credentials/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    sheet = load_workbook(io.BytesIO(admin_client.get(link).data)).active
    rows = {sheet.cell(r, 2).value: sheet.cell(r, 4).value for r in (2, 3)}
    assert set(rows) == {"r0", "r1"}
    assert "/password" in sign_in(app.test_client(), "r1", rows["r1"]).headers["Location"]
    assert admin_client.get(link).status_code == 302  # handed out once
    assert len(_entries(app, "password.reset")) == 2


def test_single_deactivate_goes_through_the_same_path(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        uid = make_user("s1", real_name="单个").id
        db.session.commit()
    admin_client.post(f"/admin/users/{uid}/deactivate")
    [entry] = _entries(app, "account.active")
    assert "停用了 单个" in entry.summary


# --- 6. head-counts per branch -------------------------------------------------------------------


def test_branch_tree_counts_direct_and_with_subtree_in_one_query(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        top = make_branch("机关", "JG", root_branch())
        child = make_branch("科室", "KS", top)
        make_user("c1", branch=top)
        make_user("c2", branch=child)
        make_user("c3", branch=child)
        make_user("c4", branch=child, active=False)
        db.session.commit()
        tree = [b for b in db.session.scalars(sa.select(Branch))]
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            counts = people.head_counts(tree)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert len(statements) == 1 and "GROUP BY" in statements[0]
        assert (counts[top.id].direct, counts[top.id].total) == (1, 3)
        assert (counts[child.id].direct, counts[child.id].total) == (2, 2)
        top_id = top.id
    page = admin_client.get("/admin/branches").get_data(as_text=True)
    assert "直属" in page and "含下级" in page
    row = re.search(rf'<a href="/admin/branches/{top_id}">机关</a>.*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert re.findall(r'<td class="num tree-count">(\d+)</td>', row) == ["1", "3"]


def test_roles_are_shown_by_their_chinese_names(app: Flask, admin_client: FlaskClient) -> None:
    with app.app_context():
        make_user("sec1", real_name="书记甲", roles=[Role.SECRETARY.value], scope=root_branch())
        db.session.commit()
    page = admin_client.get("/admin/users?role=secretary").get_data(as_text=True)
    assert "支部书记" in page and "书记甲" in page
