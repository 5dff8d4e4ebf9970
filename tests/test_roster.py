"""Roster import: every bad path gets a Chinese message with the row, and nothing half-written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import Workbook, load_workbook

from quiz_app.extensions import db
from quiz_app.models import Branch, Role, User
from quiz_app.services import roster
from tests.factories import make_branch, make_user, root_branch

HEADER = ["姓名", "工号/登录名", "手机号", "所属部门", "角色", "分组", "初始密码"]


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(r) for r in rows).encode(encoding)


@pytest.fixture()
def org(ctx: None) -> dict[str, Branch]:
    root = root_branch()
    jg = make_branch("局机关", "JG", root)
    return {
        "root": root,
        "jg": jg,
        "bgs": make_branch("办公室", "BGS", jg),
        "rsc": make_branch("人事处", "RSC", jg),
    }


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def test_good_roster_creates_people_with_roles_groups_and_passwords(org: dict[str, Branch]) -> None:
    data = xlsx(
        [
            HEADER,
            ["张三", "1001", "13800000001", "局机关/办公室", "员工", "党员", ""],
            ["李四", 1002, 13800000002, "RSC", "组织者、领导", "党员；中层干部", "Chu5hi2024"],
            ["王五", "", "13800000003", "测试局/局机关/人事处", "领导（全局）", "", ""],
        ]
    )
    report = roster.parse_roster("花名册.xlsx", data)
    assert report.ok, report.errors
    roster.apply_roster(report)
    db.session.commit()
    assert (report.created, report.updated) == (3, 0)
    li = db.session.scalar(sa.select(User).where(User.username == "1002"))
    assert li is not None and li.phone == "13800000002" and li.branch is org["rsc"]
    assert li.roles == {Role.ORGANIZER, Role.LEADER}
    assert [g.name for g in li.groups] == ["中层干部", "党员"]
    leader_grant = next(g for g in li.grants if g.role == Role.LEADER)
    assert leader_grant.scope_branch_id == org["rsc"].id
    wang = db.session.scalar(sa.select(User).where(User.username == "13800000003"))
    assert wang is not None  # no 工号: the phone number is the sign-in name
    assert next(g for g in wang.grants if g.role == Role.LEADER).scope_branch_id is None
    assert all(u.must_change_password for u in (li, wang))
    # generated passwords for those without one, the given one for 李四, all in the sheet
    by_name = {c.username: c.password for c in report.credentials}
    assert by_name["1002"] == "Chu5hi2024"
    assert len(by_name["1001"]) >= 8
    sheet = load_workbook(io.BytesIO(roster.credentials_xlsx(report.credentials))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("姓名", "登录名", "所属部门", "初始密码")
    assert ("张三", "1001", "测试局/局机关/办公室", by_name["1001"]) in [r[:4] for r in rows]


def test_reimport_updates_instead_of_duplicating(org: dict[str, Branch]) -> None:
    first = roster.parse_roster(
        "a.csv", csv_bytes([HEADER, ["张三", "1001", "", "BGS", "", "党员", ""]])
    )
    roster.apply_roster(first)
    db.session.commit()
    second = roster.parse_roster(
        "a.csv", csv_bytes([HEADER, ["张三丰", "1001", "13800000009", "RSC", "组织者", "", ""]])
    )
    assert second.ok, second.errors
    roster.apply_roster(second)
    db.session.commit()
    assert count_users() == 1
    assert (second.created, second.updated) == (0, 1)
    assert second.credentials == []  # an existing password is never replaced silently
    user = db.session.scalar(sa.select(User))
    assert user is not None
    assert (user.real_name, user.phone, user.branch) == ("张三丰", "13800000009", org["rsc"])
    assert user.roles == {Role.ORGANIZER} and user.groups == []


def test_gbk_csv_as_saved_by_chinese_excel(org: dict[str, Branch]) -> None:
    data = csv_bytes([HEADER, ["欧阳修", "2001", "", "局机关/办公室", "", "", ""]], "gbk")
    report = roster.parse_roster("名单.csv", data)
    assert report.ok, report.errors
    assert report.rows[0].real_name == "欧阳修"


def test_gb18030_rare_character_name(org: dict[str, Branch]) -> None:
    data = csv_bytes([HEADER, ["王𠀾", "2002", "", "BGS", "", "", ""]], "gb18030")
    report = roster.parse_roster("名单.csv", data)
    assert report.ok, report.errors
    assert report.rows[0].real_name == "王𠀾"


def test_missing_column_is_named(org: dict[str, Branch]) -> None:
    report = roster.parse_roster("a.csv", csv_bytes([["姓名", "工号"], ["张三", "1001"]]))
    assert not report.ok
    assert "缺少必需的列：所属部门" in report.errors[0]


def test_unknown_branch_names_row_and_column(org: dict[str, Branch]) -> None:
    report = roster.parse_roster(
        "a.csv",
        csv_bytes(
            [
                HEADER,
                ["张三", "1001", "", "BGS", "", "", ""],
                ["李四", "1002", "", "局机关/宣传科", "", "", ""],
            ]
        ),
    )
    assert report.errors == [
        "第3行【所属部门】：找不到部门“局机关/宣传科”（可填部门编码或完整路径，如“局机关/办公室”）"
    ]


def test_duplicate_sign_in_name_in_the_file(org: dict[str, Branch]) -> None:
    report = roster.parse_roster(
        "a.csv",
        csv_bytes(
            [
                HEADER,
                ["张三", "1001", "", "BGS", "", "", ""],
                ["李四", "1002", "", "BGS", "", "", ""],
                ["张三", "1001", "", "RSC", "", "", ""],
            ]
        ),
    )
    assert "第4行【工号/登录名】：“1001”与第2行重复" in report.errors


def test_every_error_is_reported_and_nothing_is_written(org: dict[str, Branch]) -> None:
    data = xlsx(
        [
            HEADER,
            ["张三", "1001", "", "BGS", "", "", ""],
            ["", "1002", "", "BGS", "", "", ""],
            ["王五", "1003", "1380000", "BGS", "", "", ""],
            ["赵六", "1004", "", "BGS", "主任", "", ""],
            ["钱七", "", "", "BGS", "", "", ""],
            ["孙八", "1006", "", "BGS", "", "", "123"],
        ]
    )
    report = roster.parse_roster("a.xlsx", data)
    assert report.errors == [
        "第3行【姓名】：不能为空",
        "第4行【手机号】：“1380000”不是11位手机号",
        "第5行【角色】：不认识的角色“主任”（可填：员工、职工、干部职工、组织者、领导、局领导、管理员、领导（全局））",
        "第6行【工号/登录名】：工号/登录名和手机号至少填写一项",
        "第7行【初始密码】：初始密码至少6位",
    ]
    with pytest.raises(ValueError):
        roster.apply_roster(report)
    assert count_users() == 0


def test_phone_already_used_by_another_account(org: dict[str, Branch]) -> None:
    make_user("9001", phone="13800000001")
    report = roster.parse_roster(
        "a.csv", csv_bytes([HEADER, ["张三", "1001", "13800000001", "BGS", "", "", ""]])
    )
    assert report.errors == ["第2行【手机号】：“13800000001”已被账号“9001”使用"]


def test_empty_file(org: dict[str, Branch]) -> None:
    assert roster.parse_roster("a.csv", b"").errors == ["文件是空的：没有列名，也没有人员数据"]
    assert roster.parse_roster("a.xlsx", xlsx([])).errors == [
        "文件是空的：没有列名，也没有人员数据"
    ]
    header_only = roster.parse_roster("a.xlsx", xlsx([HEADER]))
    assert header_only.errors == ["文件中没有人员数据：列名下面没有任何一行"]


def test_not_a_spreadsheet(org: dict[str, Branch]) -> None:
    fake = roster.parse_roster("a.xlsx", b"%PDF-1.4 this is not a workbook")
    assert fake.errors == ["文件不是有效的 .xlsx（可能已损坏或并非 Excel 文件）"]
    assert "另存为 .xlsx" in roster.parse_roster("old.xls", b"\xd0\xcf\x11\xe0").errors[0]
    assert "请上传 .xlsx 或 .csv" in roster.parse_roster("photo.jpg", b"\xff\xd8\xff").errors[0]
    binary = roster.parse_roster("a.csv", bytes(range(256)) * 4)
    assert not binary.ok


def test_blank_rows_and_title_spaces_are_tolerated(org: dict[str, Branch]) -> None:
    data = xlsx(
        [[], [" 姓名 ", "工号", "部门"], [], ["  张三 ", " 1001 ", " BGS "], [None, None, None]]
    )
    report = roster.parse_roster("a.xlsx", data)
    assert report.ok, report.errors
    assert (report.rows[0].real_name, report.rows[0].username, report.rows[0].line) == (
        "张三",
        "1001",
        4,
    )


def test_importing_admin_keeps_own_admin_role(org: dict[str, Branch]) -> None:
    admin = make_user("admin1", roles=["admin"], branch=org["bgs"])
    report = roster.parse_roster(
        "a.csv", csv_bytes([HEADER, ["管理员", "admin1", "", "BGS", "员工", "", ""]])
    )
    roster.apply_roster(report, acting_user_id=admin.id)
    assert admin.has_role(Role.ADMIN)


def test_cli_import_users(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_branch("办公室", "BGS", root_branch())
        db.session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, ["张三", "1001", "", "XXX", "", "", ""]]))
    result = runner.invoke(args=["import-users", str(bad)])
    assert result.exit_code == 1
    assert "第2行【所属部门】" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([HEADER, ["张三", "1001", "", "BGS", "", "", ""]]))
    dry = runner.invoke(args=["import-users", str(good), "--dry-run"])
    assert dry.exit_code == 0 and "检查通过" in dry.output
    with app.app_context():
        assert count_users() == 0
    out = tmp_path / "pw.xlsx"
    result = runner.invoke(args=["import-users", str(good), "--credentials", str(out)])
    assert result.exit_code == 0, result.output
    assert "新增 1 人" in result.output
    assert load_workbook(out).active.cell(2, 2).value == "1001"
    with app.app_context():
        assert count_users() == 1


def test_reimport_with_a_password_never_changes_an_existing_account(
    org: dict[str, Branch],
) -> None:
    from quiz_app.services.accounts import verify_password

    first = roster.parse_roster(
        "a.csv", csv_bytes([HEADER, ["张三", "1001", "", "BGS", "", "", "Start123"]])
    )
    roster.apply_roster(first)
    db.session.commit()
    again = roster.parse_roster(
        "a.csv", csv_bytes([HEADER, ["张三", "1001", "", "BGS", "", "", "Hijack999"]])
    )
    roster.apply_roster(again)
    db.session.commit()
    user = db.session.scalar(sa.select(User))
    assert user is not None
    assert verify_password(user.password_hash, "Start123")[0]
    assert not verify_password(user.password_hash, "Hijack999")[0]
    assert again.credentials == [] and again.passwords_ignored == ["张三（1001）"]
