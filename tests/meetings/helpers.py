"""Shared set-up for the meeting tests: a 党支部 covering two 处室, its secretary and members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quiz_app.clock import LOCAL_TZ
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.meetings import Meeting
from quiz_app.services.meetings import records, rules
from tests import factories


def bj(*args: int) -> datetime:
    """A Beijing wall-clock time as an aware datetime."""
    return datetime(*args, tzinfo=LOCAL_TZ)  # type: ignore[misc]


@dataclass
class Party:
    committee: Branch  # 机关党委, the branch above
    branch: Branch  # 第一党支部
    office: Branch
    hr: Branch
    other: Branch  # 第二党支部
    secretary: User
    other_secretary: User
    reviewer: User
    members: list[User]


def make_party() -> Party:
    rules.ensure_default_types()
    committee = factories.make_branch("机关党委", "JGDW")
    committee.kind = "党委"
    office = factories.make_branch("办公室", "BGS")
    office.kind = "机关处室"
    hr = factories.make_branch("人事处", "RSC")
    first = factories.make_branch("第一党支部", "DZB1", parent=committee)
    first.kind = "党支部"
    second = factories.make_branch("第二党支部", "DZB2", parent=committee)
    second.kind = "党支部"
    db.session.flush()
    records.set_covers(first, [office.id, hr.id])
    members = [
        factories.make_user(real_name=f"党员{i}", branch=office if i < 3 else hr) for i in range(5)
    ]
    secretary = factories.make_user(
        "sec1", real_name="书记甲", branch=office, roles=["secretary"], scope=first
    )
    other_secretary = factories.make_user(
        "sec2", real_name="书记乙", branch=hr, roles=["secretary"], scope=second
    )
    reviewer = factories.make_user(
        "jgdw", real_name="党委书记", branch=committee, roles=["secretary"], scope=committee
    )
    db.session.flush()
    return Party(
        committee, first, office, hr, second, secretary, other_secretary, reviewer, members
    )


def meeting_input(party: Party, code: str = "party_congress", **kw: object) -> records.MeetingInput:
    values: dict[str, object] = {
        "type_id": rules.type_by_code(code).id,
        "topic": "学习贯彻党的二十届三中全会精神",
        "planned_at": "2026-03-05T09:00",
        "held_at": "",
        "place": "三楼会议室",
        "host": "书记甲",
        "recorder": "党员1",
        "expected_ids": [m.id for m in party.members],
    }
    values.update(kw)
    return records.MeetingInput(**values)  # type: ignore[arg-type]


def held_meeting(party: Party, code: str, when: str, branch: Branch | None = None) -> Meeting:
    """A meeting already held at ``when`` (Beijing, ISO), everyone present."""
    data = meeting_input(party, code, planned_at=when, held_at=when)
    data.present_ids = list(data.expected_ids)
    actor = party.secretary if branch is None else party.reviewer
    return records.create_meeting(branch or party.branch, data, actor)
