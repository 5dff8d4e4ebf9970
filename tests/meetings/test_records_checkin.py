"""Recording, review and versions, 补学, check-in by rotating QR code, and the year's figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models.meetings import Meeting, MeetingAttendee
from quiz_app.services.meetings import checkin, compliance, figures, records, rules
from tests import factories
from tests.meetings.helpers import bj, held_meeting, make_party, meeting_input

pytestmark = pytest.mark.usefixtures("ctx")
SECRET = "test-secret"


def test_members_are_the_people_of_the_covered_branches() -> None:
    party = make_party()
    outsider = factories.make_user(branch=party.other)
    people = records.members(party.branch)
    assert {u.id for u in party.members} <= {u.id for u in people}
    assert outsider not in people


def test_bad_input_is_refused_whole_with_each_field_named() -> None:
    party = make_party()
    data = meeting_input(party, topic=" ", planned_at="明天上午", duration_minutes="0")
    data.leave_reasons = {party.members[0].id: ""}
    with pytest.raises(records.MeetingError) as info:
        records.create_meeting(party.branch, data, party.secretary)
    text = str(info.value)
    for part in ("【议题】", "【计划时间】", "【时长（分钟）】", "【请假原因】"):
        assert part in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_a_secretary_cannot_record_for_another_branch() -> None:
    party = make_party()
    with pytest.raises(records.MeetingForbidden):
        records.create_meeting(party.branch, meeting_input(party), party.other_secretary)


def test_review_locks_the_record_and_later_changes_are_versions() -> None:
    party = make_party()
    meeting = held_meeting(party, "party_congress", "2026-03-05T09:00")
    with pytest.raises(records.MeetingError, match="【会议内容】"):
        records.submit(meeting, party.secretary)
    meeting.content = "传达学习了全会精神。"
    records.submit(meeting, party.secretary)
    with pytest.raises(records.MeetingError, match="审核（通过或退回）之前不能修改"):
        records.update_meeting(meeting, meeting_input(party), party.secretary)
    with pytest.raises(records.MeetingForbidden):
        records.review(meeting, party.other_secretary, True, "")  # not the branch above
    with pytest.raises(records.MeetingError, match="【审核意见】"):
        records.review(meeting, party.reviewer, False, "")
    records.review(meeting, party.reviewer, False, "请补充会议决议")
    assert meeting.status == "returned" and meeting.review_comment == "请补充会议决议"
    meeting.resolutions = "一致同意……"
    records.submit(meeting, party.secretary)
    records.review(meeting, party.reviewer, True, "")
    assert meeting.locked and meeting.version == 1

    data = meeting_input(party, held_at="2026-03-05T09:00", content="传达学习了全会精神。")
    data.present_ids = [m.id for m in party.members[:4]]
    with pytest.raises(records.MeetingError, match="【修改说明】"):
        records.update_meeting(meeting, data, party.secretary)
    data.version_note = "更正：党员4实际缺席"
    records.update_meeting(meeting, data, party.secretary)
    assert meeting.locked and meeting.version == 2
    versions = records.version_rows(meeting)
    assert [v.version for v, _ in versions] == [1, 2]
    first, second = versions[0][1], versions[1][1]
    assert [a["status"] for a in first["attendees"]].count("缺席") == 0  # type: ignore[union-attr]
    assert [a["status"] for a in second["attendees"]].count("缺席") == 1  # type: ignore[union-attr]
    assert versions[1][0].note == "更正：党员4实际缺席"


def test_absentees_get_a_makeup_task_that_counts_apart_from_attendance() -> None:
    party = make_party()
    data = meeting_input(party, held_at="2026-03-05T09:00", content="学习")
    absent, on_leave = party.members[3], party.members[4]
    data.present_ids = [m.id for m in party.members[:3]]
    data.leave_reasons = {on_leave.id: "出差"}
    meeting = records.create_meeting(party.branch, data, party.secretary)
    assert records.makeup_tasks(absent) == []  # not yet sent up
    records.submit(meeting, party.secretary)
    assert [r.meeting_id for r in records.makeup_tasks(absent)] == [meeting.id]
    assert [r.status for r in records.makeup_tasks(on_leave)] == ["leave"]
    with pytest.raises(records.MeetingError, match="无需补学"):
        records.confirm_makeup(meeting, party.members[0])
    records.confirm_makeup(meeting, absent)
    rates = {
        a.key: a
        for a in compliance.attendance([party.branch.id], bj(2026, 1, 1), bj(2027, 1, 1), "person")
    }
    assert rates[absent.id].present == 0 and rates[absent.id].makeup_done == 1
    assert rates[party.members[0].id].rate == 100.0
    branch_rate = compliance.attendance([party.branch.id], bj(2026, 1, 1), bj(2027, 1, 1), "branch")
    assert branch_rate[0].rate == 60.0


# --- check-in ---------------------------------------------------------------------------------------


def _planned(party):  # type: ignore[no-untyped-def]
    meeting = records.create_meeting(
        party.branch, meeting_input(party, planned_at="2026-03-05T09:00"), party.secretary
    )
    db.session.flush()
    return meeting


def test_a_scanned_code_checks_the_person_in_once() -> None:
    party = make_party()
    meeting = _planned(party)
    moment = bj(2026, 3, 5, 9, 2)
    token = checkin.make_token(meeting.id, checkin.window_index(moment), SECRET)
    result = checkin.check_in(token, party.members[0], moment, SECRET, 30)
    assert not result.already and result.attendee.method == "qr"
    assert result.attendee.checked_in_at == moment
    again = checkin.check_in(token, party.members[0], moment + timedelta(seconds=5), SECRET, 30)
    assert again.already and again.attendee.checked_in_at == moment


def test_the_code_rotates_and_an_old_code_is_refused() -> None:
    party = make_party()
    meeting = _planned(party)
    moment = bj(2026, 3, 5, 9, 0, 1)
    token = checkin.make_token(meeting.id, checkin.window_index(moment), SECRET)
    later = moment + timedelta(seconds=30)
    assert checkin.make_token(meeting.id, checkin.window_index(later), SECRET) != token
    # the previous window is still accepted (scan latency) …
    checkin.check_in(token, party.members[0], later, SECRET, 30)
    # … one more window and it is a photo of an old code
    with pytest.raises(checkin.CheckinRefused, match="二维码已过期"):
        checkin.check_in(token, party.members[1], moment + timedelta(seconds=60), SECRET, 30)


def test_a_tampered_code_or_another_meetings_code_is_refused() -> None:
    party = make_party()
    meeting = _planned(party)
    other = records.create_meeting(
        party.other,
        meeting_input(
            party, expected_ids=[party.other_secretary.id], planned_at="2026-03-05T09:00"
        ),
        party.reviewer,
    )
    db.session.flush()
    moment = bj(2026, 3, 5, 9, 1)
    window = checkin.window_index(moment)
    good = checkin.make_token(meeting.id, window, SECRET)
    forged = checkin.make_token(other.id, window, "another-secret")
    with pytest.raises(checkin.CheckinRefused, match="二维码无效"):
        checkin.check_in(forged, party.members[0], moment, SECRET, 30)
    with pytest.raises(checkin.CheckinRefused, match="二维码无效"):
        checkin.check_in(good[:-3] + "abc", party.members[0], moment, SECRET, 30)
    with pytest.raises(checkin.CheckinRefused, match=r"不在.*应到人员中"):
        checkin.check_in(
            checkin.make_token(other.id, window, SECRET), party.members[0], moment, SECRET, 30
        )


def test_a_person_not_expected_and_a_scan_outside_the_time_are_refused() -> None:
    party = make_party()
    meeting = _planned(party)
    moment = bj(2026, 3, 5, 9, 1)
    token = checkin.make_token(meeting.id, checkin.window_index(moment), SECRET)
    with pytest.raises(checkin.CheckinRefused, match="应到人员"):
        checkin.check_in(token, party.other_secretary, moment, SECRET, 30)
    early = bj(2026, 3, 5, 8, 20)  # 40 minutes before, margin 30
    with pytest.raises(checkin.CheckinRefused, match="不在签到时间内"):
        checkin.check_in(
            checkin.make_token(meeting.id, checkin.window_index(early), SECRET),
            party.members[0],
            early,
            SECRET,
            30,
        )
    late = bj(2026, 3, 5, 11, 5)  # 90-minute meeting ends 10:30, + 30 = 11:00
    with pytest.raises(checkin.CheckinRefused, match="不在签到时间内"):
        checkin.check_in(
            checkin.make_token(meeting.id, checkin.window_index(late), SECRET),
            party.members[0],
            late,
            SECRET,
            30,
        )
    # a wider margin lets the early scan in
    checkin.check_in(
        checkin.make_token(meeting.id, checkin.window_index(early), SECRET),
        party.members[0],
        early,
        SECRET,
        45,
    )


def test_the_secretary_marks_by_hand_and_the_record_shows_how() -> None:
    party = make_party()
    meeting = _planned(party)
    clock.set_now(bj(2026, 3, 5, 9, 10))
    row = checkin.mark_by_hand(meeting, party.members[2].id, party.secretary)
    assert (row.status, row.method, row.marked_by_id) == ("present", "manual", party.secretary.id)
    with pytest.raises(records.MeetingForbidden):
        checkin.mark_by_hand(meeting, party.members[3].id, party.other_secretary)
    assert records.METHOD_LABELS[row.method] == "手工"


# --- figures ----------------------------------------------------------------------------------------


def test_year_figures_match_a_count_from_raw_rows() -> None:
    party = make_party()
    for when in ("2026-01-10T09:00", "2026-04-10T09:00", "2025-12-30T09:00"):
        held_meeting(party, "party_congress", when)
    held_meeting(party, "committee", "2026-02-01T09:00", branch=party.other)
    data = meeting_input(
        party, "committee", held_at="2026-02-03T09:00", planned_at="2026-02-03T09:00"
    )
    data.present_ids = [m.id for m in party.members[:2]]
    records.create_meeting(party.branch, data, party.secretary)
    records.create_meeting(
        party.branch,
        meeting_input(party, "lecture", planned_at="2026-05-01T09:00"),
        party.secretary,
    )  # not held
    db.session.flush()
    start, end = bj(2026, 1, 1), bj(2027, 1, 1)

    def raw(branch_ids: set[int] | None) -> dict[str, object]:
        out: dict[str, object] = {}
        meetings = [
            m
            for m in db.session.scalars(sa.select(Meeting))
            if m.held_at is not None
            and start <= m.held_at < end
            and (branch_ids is None or m.branch_id in branch_ids)
        ]
        for code in ("party_congress", "committee", "lecture"):
            mine = [m for m in meetings if m.type.code == code]
            rows = [
                a
                for m in mine
                for a in db.session.scalars(
                    sa.select(MeetingAttendee).where(MeetingAttendee.meeting_id == m.id)
                )
            ]
            present = sum(1 for a in rows if a.status == "present")
            out[f"meeting.{code}.count"] = len(mine)
            out[f"meeting.{code}.attendance"] = present
            out[f"meeting.{code}.rate"] = round(100 * present / len(rows), 1) if rows else None
        return out

    for scope in (None, {party.branch.id}):
        select = None if scope is None else sa.select(sa.literal(party.branch.id))
        got = {f["key"]: f["value"] for f in figures.year_figures(start, end, select)}
        for key, value in raw(scope).items():
            assert got[key] == value, key
    got = {f["key"]: f for f in figures.year_figures(start, end, None)}
    assert got["meeting.party_congress.count"]["value"] == 2
    assert got["meeting.committee.rate"]["value"] == pytest.approx(100 * 7 / 10)
    assert got["meeting.center_group.rate"]["value"] is None
    assert got["meeting.special.count"]["unit"] == "次"
    assert len(got) == 3 * len(rules.all_types())


def test_todo_items_for_a_secretary_and_a_member() -> None:
    party = make_party()
    moment = bj(2026, 3, 5, 8, 0)
    _planned(party)
    items = compliance.todo_items(party.secretary, moment)
    assert any(i["status"] == "overdue" and "2月" in str(i["title"]) for i in items)
    assert all(set(i) == {"kind", "title", "url", "due_at", "status", "action"} for i in items)
    mine = compliance.todo_items(party.members[0], moment)
    assert [i["status"] for i in mine] == ["today"]


def test_a_leader_sees_the_meetings_of_a_party_branch_covering_their_branches() -> None:
    party = make_party()
    meeting = held_meeting(party, "committee", "2026-03-05T09:00")
    office_leader = factories.make_user(roles=["leader"], scope=party.office)
    elsewhere = factories.make_user(roles=["leader"], scope=party.other)
    assert records.can_view(office_leader, meeting)
    assert not records.can_view(elsewhere, meeting)
    assert not records.can_review(office_leader, meeting)  # reviewing is for the branch above


def test_a_party_branch_expects_its_party_members_by_default() -> None:
    party = make_party()
    tagged = factories.make_user(branch=party.office, groups=["党员"])
    assert records.default_expected(party.branch) == [tagged]
    assert len(records.default_expected(party.office)) == len(records.members(party.office))
