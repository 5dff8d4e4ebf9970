"""Demo data for organisation life: party branches mapped onto the demo tree, this year's
meetings of every type with attendance by QR and by hand, one branch overdue on its quarterly
党员大会, and the demo secretary. Idempotent: meetings are only made when there are none."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from quiz_app.clock import LOCAL_TZ, to_local
from quiz_app.extensions import db
from quiz_app.models import Branch, Group, Role, User
from quiz_app.models.meetings import Meeting
from quiz_app.services.accounts import set_password, set_roles
from quiz_app.services.branches import create_branch
from quiz_app.services.meetings import records, rules

DEMO_PASSWORD = "Demo@2021"
KINDS = {
    "SFJ": "局",
    "BGS": "机关处室",
    "RSC": "机关处室",
    "ZCFGC": "机关处室",
    "YWGLC": "机关处室",
    "JGDW": "党委",
    "XXZX": "下属单位",
    "ZFZD": "下属单位",
    "ZFZD1": "下属单位",
    "ZFZD2": "下属单位",
}
# (code, name, parent code, kind, covered codes)
PARTY_BRANCHES = (
    ("DZB1", "机关第一党支部", "JGDW", "党支部", ("BGS", "RSC")),
    ("DZB2", "机关第二党支部", "JGDW", "党支部", ("ZCFGC", "YWGLC")),
    ("DZB3", "信息中心党支部", "JGDW", "党支部", ("XXZX",)),
    ("DZB4", "执法支队党支部", "JGDW", "党支部", ("ZFZD",)),
    ("DXZ1", "执法一大队党小组", "DZB4", "党小组", ("ZFZD1",)),
)
OVERDUE_BRANCH = "DZB2"  # skips its 党员大会 last quarter
TOPICS = {
    "party_congress": ["学习贯彻党的二十届三中全会精神", "讨论接收预备党员", "民主评议党员"],
    "committee": ["研究本月支部工作安排", "研究发展党员工作", "研究主题党日活动方案"],
    "group": ["集体学习《中国共产党章程》", "谈心谈话与批评和自我批评"],
    "lecture": ["书记讲党课：坚定理想信念", "党课：全面从严治党永远在路上"],
    "theme_day": ["重温入党誓词", "志愿服务进社区", "参观廉政教育基地"],
    "life_meeting": ["年度组织生活会"],
    "center_group": ["学习习近平新时代中国特色社会主义思想专题", "学习《中国共产党纪律处分条例》"],
    "special": ["保密知识专题学习"],
}


def _branches() -> dict[str, Branch]:
    return {b.code: b for b in db.session.scalars(sa.select(Branch))}


def seed_organisation() -> dict[str, Branch]:
    """Kinds on the demo tree and the party branches with what they cover."""
    found = _branches()
    for code, kind in KINDS.items():
        if code in found and not found[code].kind:
            found[code].kind = kind
    for code, name, parent, kind, covers in PARTY_BRANCHES:
        if code not in found and parent in found:
            found[code] = create_branch(name, code, found[parent])
            found[code].kind = kind
            db.session.flush()
            records.set_covers(found[code], [found[c].id for c in covers if c in found])
    return found


def seed_secretary(branches: dict[str, Branch]) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == "demo-secretary"))
    if user is None:
        user = User(username="demo-secretary", real_name="赵书记", branch=branches["BGS"])
        party = db.session.scalar(sa.select(Group).where(Group.name == "党员"))
        user.groups = [party] if party else []
        db.session.add(user)
    user.active = True
    set_password(user, DEMO_PASSWORD, must_change=False)
    db.session.flush()
    set_roles(user, {Role.SECRETARY}, None, secretary_scope_branch_id=branches["DZB1"].id)
    return user


def _local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, min(day, 28), hour, minute, tzinfo=LOCAL_TZ)


def _months(moment: datetime) -> list[tuple[int, int]]:
    """January to this month (Beijing): the calendar shows a whole year so far."""
    local = to_local(moment)
    assert local is not None
    return [(local.year, month) for month in range(1, local.month + 1)]


def _plan(moment: datetime, branches: dict[str, Branch]) -> list[tuple[str, str, datetime]]:
    """(branch code, type code, when) of the demo's meetings."""
    plan: list[tuple[str, str, datetime]] = []
    months = _months(moment)
    this_quarter_start = (months[-1][1] - 1) // 3 * 3 + 1
    last_quarter_middle = (months[-1][0], this_quarter_start - 2)  # none in January–March
    for year, month in months:
        last_of_quarter = month % 3 == 0
        middle_of_quarter = month % 3 == 2
        for code in ("DZB1", "DZB2", "DZB3", "DZB4"):
            plan.append((code, "committee", _local(year, month, 5, 9)))
            plan.append((code, "theme_day", _local(year, month, 15, 14, 30)))
            skipped = code == OVERDUE_BRANCH and (year, month) == last_quarter_middle
            if middle_of_quarter and not skipped:
                plan.append((code, "party_congress", _local(year, month, 20, 9)))
            if last_of_quarter:
                plan.append((code, "lecture", _local(year, month, 10, 15)))
        plan.append(("DXZ1", "group", _local(year, month, 8, 16)))
        plan.append(("SFJ", "center_group", _local(year, month, 12, 9)))
    year, month = months[-1]
    plan.append(("DZB1", "life_meeting", _local(year, month, 3, 9)))
    plan.append(("DZB3", "special", _local(year, month, 2, 15)))
    return [p for p in plan if p[0] in branches]


def seed_meetings(moment: datetime, branches: dict[str, Branch]) -> int:
    """A few months of meetings; none if any meeting exists. Returns how many were made."""
    if db.session.scalar(sa.select(Meeting.id).limit(1)) is not None:
        return 0
    rng = random.Random(2018)
    admin = db.session.scalar(sa.select(User).where(User.username == "demo-admin"))
    employee = db.session.scalar(sa.select(User).where(User.username == "demo-employee"))
    if admin is None:
        return 0
    cadres = db.session.scalar(sa.select(Group).where(Group.name == "中层干部"))
    made = 0
    plan = _plan(moment, branches)
    latest_for_employee = max(
        (when for code, _t, when in plan if code == "DZB1" and when < moment), default=None
    )
    for code, type_code, when in plan:
        branch = branches[code]
        mtype = rules.type_by_code(type_code)
        people = records.default_expected(branch)
        if type_code == "center_group" and cadres is not None:
            people = [p for p in people if cadres in p.groups]
        held = when < moment
        data = records.MeetingInput(
            type_id=mtype.id,
            topic=rng.choice(TOPICS[type_code]),
            planned_at=when.strftime("%Y-%m-%dT%H:%M"),
            held_at=when.strftime("%Y-%m-%dT%H:%M") if held else "",
            place=rng.choice(["三楼会议室", "党员活动室", "五楼报告厅"]),
            host="赵书记" if code == "DZB1" else "支部书记",
            recorder="组织委员",
            content="传达学习了有关文件精神，结合本部门工作进行了讨论。" if held else "",
            resolutions="会议一致同意上述安排。" if held and type_code != "theme_day" else "",
            expected_ids=[p.id for p in people],
        )
        if held:
            for person in people:
                roll = rng.random()
                if (
                    employee is not None
                    and person.id == employee.id
                    and when == latest_for_employee
                ):
                    roll = 0.95  # demo-employee missed the latest one: a 补学 task to show
                if roll < 0.86:
                    data.present_ids.append(person.id)
                elif roll < 0.94:
                    data.leave_reasons[person.id] = rng.choice(["出差", "病假", "外出执法"])
        meeting = records.create_meeting(branch, data, admin)
        for row in meeting.attendees:
            if row.status == "present":
                by_qr = rng.random() < 0.8
                row.method = "qr" if by_qr else "manual"
                row.checked_in_at = when + timedelta(minutes=rng.randint(-10, 5))
                row.marked_by_id = None if by_qr else admin.id
        if held:
            age = moment - when
            if age > timedelta(days=20):
                records.submit(meeting, admin)
                records.review(meeting, admin, True, "记录完整")
                for row in meeting.attendees:
                    if row.status != "present" and rng.random() < 0.6:
                        row.makeup_done_at = when + timedelta(days=rng.randint(1, 7))
            elif age > timedelta(days=3):
                records.submit(meeting, admin)
        made += 1
    # a meeting starting soon, to try the QR check-in as demo-secretary and demo-employee
    soon = (moment + timedelta(minutes=20)).astimezone(LOCAL_TZ)
    if "DZB1" in branches:
        today = records.MeetingInput(
            type_id=rules.type_by_code("special").id,
            topic="保密知识专题学习（演示：可扫码签到）",
            planned_at=soon.strftime("%Y-%m-%dT%H:%M"),
            place="三楼会议室",
            host="赵书记",
            recorder="组织委员",
            expected_ids=[p.id for p in records.default_expected(branches["DZB1"])],
        )
        records.create_meeting(branches["DZB1"], today, admin)
        made += 1
    db.session.flush()
    return made


def seed(moment: datetime) -> int:
    """Everything organisation life shows in the demo; flushes, the caller commits."""
    rules.ensure_default_types()
    branches = seed_organisation()
    db.session.flush()
    if "DZB1" not in branches or "BGS" not in branches:
        return 0
    seed_secretary(branches)
    db.session.flush()
    return seed_meetings(moment, branches)
