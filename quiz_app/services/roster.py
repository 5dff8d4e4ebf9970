"""Roster import: a spreadsheet of people becomes accounts, all rows or none.

Re-importing the same roster updates people (matched by sign-in name) instead of duplicating them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, Group, Role, User
from quiz_app.services.accounts import generate_password, set_password, set_roles
from quiz_app.services.branches import BranchLookup, full_name
from quiz_app.services.tabular import TableError, is_blank, read_rows
from quiz_app.services.textcheck import column_length, text_problem
from quiz_app.services.xlsx_out import workbook_bytes

# Header aliases seen in rosters exported by HR and OA systems.
COLUMNS: dict[str, tuple[str, ...]] = {
    "姓名": ("姓名", "真实姓名", "名字"),
    "工号/登录名": ("工号/登录名", "工号", "登录名", "账号", "用户名", "员工编号"),
    "手机号": ("手机号", "手机号码", "手机", "联系电话"),
    "所属部门": ("所属部门", "部门", "所属单位", "单位", "部门编码"),
    "角色": ("角色",),
    "分组": ("分组", "标签", "人员分组"),
    "初始密码": ("初始密码", "密码"),
}
ROLE_WORDS: dict[str, tuple[Role | None, bool]] = {
    # word -> (role, leader scope is the whole organisation)
    "员工": (None, False),
    "职工": (None, False),
    "干部职工": (None, False),
    "组织者": (Role.ORGANIZER, False),
    "领导": (Role.LEADER, False),
    "领导(全局)": (Role.LEADER, True),
    "局领导": (Role.LEADER, True),
    "管理员": (Role.ADMIN, False),
}
_SPLIT = re.compile(r"[;；,，、/\s]+")
_PHONE = re.compile(r"^1\d{10}$")
MIN_INITIAL_PASSWORD = 6


@dataclass
class RosterRow:
    line: int
    real_name: str
    username: str
    phone: str | None
    branch: Branch
    roles: set[Role] | None  # None: the file has no 角色 column, keep what people have
    global_leader: bool
    groups: list[str] | None
    password: str | None


@dataclass
class Credential:
    real_name: str
    username: str
    branch: str
    password: str


@dataclass
class RosterReport:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    credentials: list[Credential] = field(default_factory=list)
    # Passwords given for people who already have an account: never applied (an import must not
    # take over an account); listed so the admin knows to reset them on the people page instead.
    passwords_ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    for pos, raw in enumerate(header):
        name = raw.strip().replace(" ", "")
        for canonical, aliases in COLUMNS.items():
            if name in aliases and canonical not in index:
                index[canonical] = pos
    problems = []
    missing = [c for c in ("姓名", "所属部门") if c not in index]
    if "工号/登录名" not in index and "手机号" not in index:
        missing.append("工号/登录名（或手机号）")
    if missing:
        problems.append(
            "缺少必需的列："
            + "、".join(missing)
            + "。第一行应为列名：姓名、工号/登录名、手机号、所属部门"
        )
    return index, problems


def _parse_roles(text: str) -> tuple[set[Role], bool, str | None]:
    roles: set[Role] = set()
    global_leader = False
    for word in _SPLIT.split(text.replace("（", "(").replace("）", ")")):
        if not word:
            continue
        if word not in ROLE_WORDS:
            known = "、".join(k for k in ROLE_WORDS if k != "领导(全局)")
            return roles, False, f"不认识的角色“{word}”（可填：{known}、领导（全局））"
        role, is_global = ROLE_WORDS[word]
        if role is not None:
            roles.add(role)
        global_leader = global_leader or is_global
    return roles, global_leader, None


def parse_roster(
    filename: str, data: bytes, check: Callable[[bytes], None] | None = None
) -> RosterReport:
    """Read and validate every row; nothing is written. Errors name the row and the column."""
    report = RosterReport()
    try:
        rows = read_rows(filename, data, check)
    except TableError as exc:
        report.errors.append(str(exc))
        return report
    start = next((i for i, r in enumerate(rows) if not is_blank(r)), None)
    if start is None:
        report.errors.append("文件是空的：没有列名，也没有人员数据")
        return report
    index, problems = _map_header(rows[start])
    if problems:
        report.errors.extend(problems)
        return report
    data_rows = [(start + 2 + i, r) for i, r in enumerate(rows[start + 1 :]) if not is_blank(r)]
    if not data_rows:
        report.errors.append("文件中没有人员数据：列名下面没有任何一行")
        return report

    lookup = BranchLookup()
    seen_username: dict[str, int] = {}
    seen_phone: dict[str, int] = {}

    def cell(row: list[str], column: str) -> str:
        pos = index.get(column)
        return row[pos].strip() if pos is not None and pos < len(row) else ""

    for line, row in data_rows:
        errors: list[str] = []

        def err(column: str, message: str, line: int = line, errors: list[str] = errors) -> None:
            errors.append(f"第{line}行【{column}】：{message}")

        real_name = cell(row, "姓名")
        if not real_name:
            err("姓名", "不能为空")
        elif problem := text_problem(real_name, max_len=column_length(User.real_name)):
            err("姓名", problem)
        phone = cell(row, "手机号") or None
        if phone is not None and not _PHONE.match(phone):
            err("手机号", f"“{phone}”不是11位手机号")
        username = cell(row, "工号/登录名") or (phone or "")
        if not username:
            err("工号/登录名", "工号/登录名和手机号至少填写一项")
        elif problem := text_problem(username, max_len=column_length(User.username)):
            err("工号/登录名", problem)
        elif re.search(r"\s", username):
            err("工号/登录名", f"“{username}”不能含空格")
        elif username.casefold() in seen_username:
            err("工号/登录名", f"“{username}”与第{seen_username[username.casefold()]}行重复")
        else:
            seen_username[username.casefold()] = line
        if phone is not None and _PHONE.match(phone):
            if phone in seen_phone:
                err("手机号", f"“{phone}”与第{seen_phone[phone]}行重复")
            else:
                seen_phone[phone] = line
        branch_text = cell(row, "所属部门")
        branch = lookup.find(branch_text) if branch_text else None
        if not branch_text:
            err("所属部门", "不能为空")
        elif branch is None:
            err(
                "所属部门",
                f"找不到部门“{branch_text}”（可填部门编码或完整路径，如“局机关/办公室”）",
            )
        roles: set[Role] | None = None
        global_leader = False
        if "角色" in index:
            roles, global_leader, problem = _parse_roles(cell(row, "角色"))
            if problem:
                err("角色", problem)
        groups = [g for g in _SPLIT.split(cell(row, "分组")) if g] if "分组" in index else None
        for name in groups or ():
            if problem := text_problem(name, max_len=column_length(Group.name)):
                err("分组", f"“{name[:20]}”{problem}")
                break
        password = cell(row, "初始密码") or None
        if password is not None and (problem := text_problem(password)):
            err("初始密码", problem)
        elif password is not None and len(password) < MIN_INITIAL_PASSWORD:
            err("初始密码", f"初始密码至少{MIN_INITIAL_PASSWORD}位")
        if errors:
            report.errors.extend(errors)
            continue
        assert branch is not None
        report.rows.append(
            RosterRow(
                line, real_name, username, phone, branch, roles, global_leader, groups, password
            )
        )

    _check_against_database(report)
    return report


def _check_against_database(report: RosterReport) -> None:
    """A phone number may belong to one person only, across the file and the existing accounts."""
    phones = {r.phone: r for r in report.rows if r.phone}
    if not phones:
        return
    owners = db.session.execute(
        sa.select(User.phone, User.username).where(User.phone.in_(list(phones)))
    ).all()
    for phone, owner in owners:
        row = phones[phone]
        if owner.casefold() != row.username.casefold():
            report.errors.append(f"第{row.line}行【手机号】：“{phone}”已被账号“{owner}”使用")


@dataclass(frozen=True)
class PreviewRow:
    line: int
    real_name: str
    username: str
    branch: str
    action: str  # 新建 / 更新 / 重新启用
    password_ignored: bool  # a password was given for someone who already has an account


def _existing(rows: list[RosterRow]) -> dict[str, User]:
    return {
        u.username.casefold(): u
        for u in db.session.scalars(
            sa.select(User).where(
                sa.func.lower(User.username).in_([r.username.lower() for r in rows])
            )
        )
    }


def preview_roster(report: RosterReport) -> list[PreviewRow]:
    """What ``apply_roster`` would do to each row, read only: shown before anything is written."""
    existing = _existing(report.rows)
    out = []
    for row in report.rows:
        user = existing.get(row.username.casefold())
        action = "新建" if user is None else ("更新" if user.active else "重新启用")
        out.append(
            PreviewRow(
                row.line,
                row.real_name,
                row.username,
                full_name(row.branch),
                action,
                user is not None and bool(row.password),
            )
        )
    return out


def apply_roster(report: RosterReport, acting_user_id: int | None = None) -> RosterReport:
    """Write a validated roster. Refuses a report with errors; flushes, the caller commits."""
    if not report.ok:
        raise ValueError("roster has errors; nothing may be written")
    existing = _existing(report.rows)
    groups = {g.name: g for g in db.session.scalars(sa.select(Group))}

    def group(name: str) -> Group:
        if name not in groups:
            groups[name] = Group(name=name)
            db.session.add(groups[name])
        return groups[name]

    for row in report.rows:
        user = existing.get(row.username.casefold())
        if user is None:
            password = row.password or generate_password()
            user = User(username=row.username, real_name=row.real_name, branch=row.branch)
            set_password(user, password, must_change=True)
            db.session.add(user)
            report.created += 1
            report.credentials.append(
                Credential(row.real_name, row.username, full_name(row.branch), password)
            )
        else:
            report.updated += 1
            if not user.active:
                user.active = True
                report.reactivated += 1
            if row.password:
                report.passwords_ignored.append(f"{row.real_name}（{row.username}）")
        user.real_name, user.phone, user.branch = row.real_name, row.phone, row.branch
        if row.groups is not None:
            user.groups = [group(g) for g in dict.fromkeys(row.groups)]
        if row.roles is not None:
            roles = set(row.roles)
            if user.id is not None and user.id == acting_user_id and user.has_role(Role.ADMIN):
                roles.add(Role.ADMIN)  # an admin cannot lock themselves out by a roster import
            scope = None if row.global_leader else row.branch.id
            kept = next((g.scope_branch_id for g in user.grants if g.role == Role.ORGANIZER), None)
            set_roles(user, roles, scope, organizer_scope_branch_id=kept)
    db.session.flush()
    return report


def credentials_xlsx(credentials: list[Credential]) -> bytes:
    """The sheet of initial passwords, handed out once after an import."""
    return workbook_bytes(
        [
            (
                "初始密码",
                ["姓名", "登录名", "所属部门", "初始密码", "说明"],
                [
                    (c.real_name, c.username, c.branch, c.password, "首次登录后须修改密码")
                    for c in credentials
                ],
            )
        ]
    )
