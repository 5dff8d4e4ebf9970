"""Frequency rules and the compliance calendar."""

from __future__ import annotations

import pytest

from quiz_app.extensions import db
from quiz_app.services.meetings import compliance, rules
from tests.meetings.helpers import bj, held_meeting, make_party

pytestmark = pytest.mark.usefixtures("ctx")


def _cell(cells, code, key):  # type: ignore[no-untyped-def]
    return next(c for c in cells if c.mtype.code == code and c.key == key)


def test_a_quarter_with_no_party_congress_is_overdue_and_an_exemption_clears_it() -> None:
    party = make_party()
    held_meeting(party, "party_congress", "2026-05-10T09:00")  # Q2 only
    cells = compliance.year_cells([party.branch], 2026, bj(2026, 7, 15, 12))
    q1 = _cell(cells, "party_congress", "2026-Q1")
    assert (q1.required, q1.held, q1.status) == (1, 0, "overdue")
    assert _cell(cells, "party_congress", "2026-Q2").status == "ok"
    assert _cell(cells, "party_congress", "2026-Q3").status == "open"
    assert _cell(cells, "party_congress", "2026-Q4").status == "future"

    rules.add_exemption(
        party.branch, rules.type_by_code("party_congress"), "2026-Q1", "换届选举改在4月", None
    )
    cells = compliance.year_cells([party.branch], 2026, bj(2026, 7, 15, 12))
    q1 = _cell(cells, "party_congress", "2026-Q1")
    assert q1.status == "exempt" and q1.exemption_reason == "换届选举改在4月"


def test_monthly_committee_meetings_count_per_month_in_beijing_time() -> None:
    party = make_party()
    held_meeting(party, "committee", "2026-01-31T23:30")  # still January in Beijing (15:30 UTC)
    held_meeting(party, "committee", "2026-03-02T09:00")
    cells = compliance.year_cells([party.branch], 2026, bj(2026, 3, 25, 12))
    assert _cell(cells, "committee", "2026-01").status == "ok"
    assert _cell(cells, "committee", "2026-02").status == "overdue"
    assert _cell(cells, "committee", "2026-03").status == "ok"
    april = _cell(cells, "committee", "2026-04")
    assert april.status == "future" and april.required == 1


def test_due_soon_near_the_end_of_an_unmet_month() -> None:
    party = make_party()
    cells = compliance.year_cells([party.branch], 2026, bj(2026, 3, 27, 12))
    assert _cell(cells, "committee", "2026-03").status == "due_soon"
    cells = compliance.year_cells([party.branch], 2026, bj(2026, 3, 10, 12))
    assert _cell(cells, "committee", "2026-03").status == "open"


def test_a_meeting_in_another_branch_does_not_count() -> None:
    party = make_party()
    held_meeting(party, "party_congress", "2026-02-10T09:00", branch=party.other)
    cells = compliance.year_cells([party.branch, party.other], 2026, bj(2026, 4, 2, 12))
    assert (
        _cell([c for c in cells if c.branch is party.branch], "party_congress", "2026-Q1").status
        == "overdue"
    )
    assert (
        _cell([c for c in cells if c.branch is party.other], "party_congress", "2026-Q1").status
        == "ok"
    )


def test_a_branch_rule_overrides_the_kind_rule_which_overrides_the_default() -> None:
    party = make_party()
    lecture = rules.type_by_code("lecture")
    book = rules.RuleBook()
    assert book.requirement(party.branch, lecture) == rules.Requirement(
        "quarter", 1, lecture.source
    )
    assert book.requirement(party.office, lecture) is None  # 机关处室 hold no 党课 by default
    rules.set_rule(lecture, "half", 1, kind="党支部")
    rules.set_rule(lecture, "month", 2, branch=party.other)
    book = rules.RuleBook()
    assert book.requirement(party.branch, lecture).period == "half"  # type: ignore[union-attr]
    assert book.requirement(party.other, lecture) == rules.Requirement("month", 2, "本部门的设置")
    rules.set_rule(lecture, "month", 0, branch=party.other)  # 0 = not required here
    assert rules.RuleBook().requirement(party.other, lecture) is None


def test_bad_settings_are_refused_with_the_field_named() -> None:
    party = make_party()
    lecture = rules.type_by_code("lecture")
    with pytest.raises(rules.RuleError, match="【次数】"):
        rules.set_rule(lecture, "month", -1, branch=party.branch)
    with pytest.raises(rules.RuleError, match="【周期】"):
        rules.add_exemption(party.branch, lecture, "2026-Q5", "理由", None)
    with pytest.raises(rules.RuleError, match="【免除原因】"):
        rules.add_exemption(party.branch, lecture, "2026-Q1", "  ", None)
    with pytest.raises(rules.RuleError, match="【编码】"):
        rules.add_type("party_congress", "重复", "month", 1, "")


def test_period_keys_and_bounds_follow_beijing_midnight() -> None:
    start, end = rules.period_bounds("2026-Q1")
    assert start == bj(2026, 1, 1) and end == bj(2026, 4, 1)
    assert rules.period_key(bj(2026, 6, 30, 23, 59), "half") == "2026-H1"
    assert rules.period_label("2026-H2") == "2026年下半年"
    assert rules.frequency_label("quarter", 1) == "每季度至少1次"


def test_grid_shows_the_worst_status_in_the_month_things_fall_due() -> None:
    party = make_party()
    for month in (1, 2, 3):
        held_meeting(party, "committee", f"2026-{month:02d}-05T09:00")
        held_meeting(party, "theme_day", f"2026-{month:02d}-06T09:00")
    db.session.flush()
    rows = compliance.grid([party.branch], 2026, bj(2026, 4, 20, 12))
    months = rows[0].months
    assert months[0][0] == "ok" and months[0][2] == 2  # January: both held
    assert months[2][0] == "overdue"  # March closes Q1: no 党员大会, no 党课
    assert {c.mtype.code for c in rows[0].problems} >= {"party_congress", "lecture"}


def test_changing_a_types_default_says_so_in_its_source() -> None:
    make_party()
    congress = rules.type_by_code("party_congress")
    rules.set_type_default(congress, "quarter", 1, "党支部，党委")
    assert congress.kinds == ["党支部", "党委"] and "第十一条" in congress.source
    assert not congress.source.startswith("管理员")
    rules.set_type_default(congress, "month", 1, "党支部")
    assert congress.source.startswith("管理员已修改") and "第十一条" in congress.source


def test_the_secretarys_todo_shows_only_the_latest_overdue_period_of_each_type() -> None:
    party = make_party()
    items = compliance.todo_items(party.secretary, bj(2026, 11, 25, 12))
    committee = [i for i in items if "支部委员会会议" in str(i["title"])]
    assert [i["status"] for i in committee] == ["overdue", "due_soon"]
    assert "10月" in str(committee[0]["title"]) and "11月" in str(committee[1]["title"])
