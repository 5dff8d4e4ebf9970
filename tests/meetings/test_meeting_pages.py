"""The meeting pages: who may do what (403s), saving all-or-nothing, check-in by link, files."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.meetings import Meeting, MeetingAttachment
from quiz_app.services.meetings import checkin, rules
from tests import factories
from tests.conftest import sign_in
from tests.meetings.helpers import bj, make_party

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture()
def party(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        p = make_party()
        ids = {
            "branch": p.branch.id,
            "other": p.other.id,
            "members": [m.id for m in p.members],
            "member_names": [m.username for m in p.members],
            "congress": rules.type_by_code("party_congress").id,
        }
        db.session.commit()
    return ids


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def _form(party: dict, **extra: object) -> dict[str, object]:  # type: ignore[type-arg]
    data: dict[str, object] = {
        "type_id": party["congress"],
        "topic": "学习党章",
        "planned_at": "2026-03-05T09:00",
        "held_at": "",
        "duration_minutes": "90",
        "place": "会议室",
        "host": "书记甲",
        "recorder": "党员1",
        "expected": party["members"],
        "branch": party["branch"],
    }
    data.update(extra)
    return data


def _new_meeting(app: Flask, party: dict, **extra: object) -> int:  # type: ignore[type-arg]
    client = _client(app, "sec1")
    response = client.post("/meetings/new", data=_form(party, **extra))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_secretary_records_a_meeting_and_members_see_it(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    client = _client(app, "sec1")
    page = client.get(f"/meetings/new?branch={party['branch']}").get_data(as_text=True)
    assert "党员0" in page and "党员4" in page  # members of the covered 处室
    meeting_id = _new_meeting(app, party)
    shown = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "学习党章" in shown and "应到 5 人" in shown
    member = _client(app, party["member_names"][0])
    assert member.get(f"/meetings/{meeting_id}").status_code == 200
    assert "学习党章" in member.get("/meetings/").get_data(as_text=True)


def test_a_secretary_of_branch_a_cannot_touch_branch_b(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    meeting_id = _new_meeting(app, party)
    other = _client(app, "sec2")
    assert other.get(f"/meetings/{meeting_id}/edit").status_code == 403
    assert other.post(f"/meetings/{meeting_id}/edit", data=_form(party)).status_code == 403
    assert other.get(f"/meetings/{meeting_id}").status_code == 403
    assert other.get(f"/meetings/{meeting_id}/qr").status_code == 403
    assert other.get(f"/meetings/{meeting_id}/qr.json").status_code == 403
    assert (
        other.post(f"/meetings/new?branch={party['branch']}", data=_form(party)).status_code == 403
    )
    outsider = factories  # a plain employee elsewhere
    with app.app_context():
        outsider.make_user("stranger")
        db.session.commit()
    stranger = _client(app, "stranger")
    assert stranger.get(f"/meetings/{meeting_id}").status_code == 403
    assert stranger.get("/meetings/new").status_code == 403
    assert stranger.get("/meetings/settings/").status_code == 403


def test_a_bad_save_names_the_fields_and_writes_nothing(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    client = _client(app, "sec1")
    response = client.post(
        "/meetings/new",
        data=_form(
            party, topic="", planned_at="下周", **{f"status_{party['members'][0]}": "leave"}
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "【议题】不能为空" in page and "【计划时间】" in page and "【请假原因】" in page
    with app.app_context():
        assert db.session.query(Meeting).count() == 0


def test_check_in_by_link_once_then_a_friendly_note(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    clock.set_now(bj(2026, 3, 5, 8, 55))
    meeting_id = _new_meeting(app, party)
    secretary = _client(app, "sec1")
    page = secretary.get(f"/meetings/{meeting_id}/qr").get_data(as_text=True)
    assert "<svg" in page and "无法扫码" in page
    url = re.search(r'data-checkin-url="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert url.startswith("http://localhost/meetings/checkin?t=")
    assert secretary.get(f"/meetings/{meeting_id}/qr.json").get_json()["url"] == url
    clock.advance(seconds=5)
    member = _client(app, party["member_names"][0])
    path = url.removeprefix("http://localhost")
    done = member.get(path)
    assert done.status_code == 200 and "签到成功（08:55" in done.get_data(as_text=True)
    again = member.get(path).get_data(as_text=True)
    assert "您已签到（08:55）" in again
    clock.advance(seconds=65)
    late = member.get(path)
    assert late.status_code == 200  # already checked in: still the friendly note
    other = _client(app, party["member_names"][1])
    refused = other.get(path)
    assert refused.status_code == 400 and "二维码已过期" in refused.get_data(as_text=True)
    shown = secretary.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "扫码 08:55" in shown


def test_a_scan_before_signing_in_is_kept_while_the_person_signs_in(
    app: Flask, party: dict
) -> None:  # type: ignore[type-arg]
    clock.set_now(bj(2026, 3, 5, 9, 0))
    meeting_id = _new_meeting(app, party)
    with app.app_context():
        token = checkin.make_token(meeting_id, checkin.window_index(clock.now()), "test-secret")
    phone = app.test_client()
    first = phone.get(f"/meetings/checkin?t={token}")
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    clock.advance(seconds=120)  # typing the password took two minutes
    signed = phone.post(
        "/login",
        data={
            "username": party["member_names"][2],
            "password": factories.DEFAULT_PASSWORD,
            "next": "/meetings/checkin",
        },
    )
    assert signed.headers["Location"].endswith("/meetings/checkin")
    page = phone.get("/meetings/checkin").get_data(as_text=True)
    assert "签到成功（09:02" in page


def test_manual_mark_and_review_by_the_branch_above(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    clock.set_now(bj(2026, 3, 5, 9, 5))
    meeting_id = _new_meeting(app, party, held_at="2026-03-05T09:00", content="学习了党章总纲。")
    secretary = _client(app, "sec1")
    marked = secretary.post(f"/meetings/{meeting_id}/mark/{party['members'][1]}")
    assert marked.status_code == 302
    assert "手工 09:05" in secretary.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert secretary.post(f"/meetings/{meeting_id}/submit").status_code == 302
    assert (
        _client(app, "sec2")
        .post(f"/meetings/{meeting_id}/review", data={"decision": "approve"})
        .status_code
        == 403
    )
    reviewer = _client(app, "jgdw")
    assert "待审核" in reviewer.get("/meetings/").get_data(as_text=True)
    reviewer.post(
        f"/meetings/{meeting_id}/review", data={"decision": "approve", "comment": "记录完整"}
    )
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting is not None and meeting.status == "approved" and meeting.version == 1
    # a change after approval needs a note and becomes version 2
    data = _form(party, held_at="2026-03-05T09:00", content="学习了党章总纲。")
    refused = secretary.post(f"/meetings/{meeting_id}/edit", data=data).get_data(as_text=True)
    assert "【修改说明】" in refused
    data["version_note"] = "补记地点"
    data["place"] = "党员活动室"
    assert secretary.post(f"/meetings/{meeting_id}/edit", data=data).status_code == 302
    history = secretary.get(f"/meetings/{meeting_id}/history").get_data(as_text=True)
    assert "第 2 版" in history and "第 1 版" in history and "补记地点" in history
    # absentees see the 补学 task
    absent = _client(app, party["member_names"][4])
    assert "补学" in absent.get("/meetings/").get_data(as_text=True)
    absent.post(f"/meetings/{meeting_id}/makeup")
    assert "您已于" in absent.get(f"/meetings/{meeting_id}").get_data(as_text=True)


def test_attachments_by_magic_bytes_only_for_those_who_may_see(
    app: Flask, party: dict, tmp_path
) -> None:  # type: ignore[no-untyped-def, type-arg]
    import io

    meeting_id = _new_meeting(app, party)
    secretary = _client(app, "sec1")
    fake = secretary.post(
        f"/meetings/{meeting_id}/attachments",
        data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "签到表.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "不是图片" in fake.get_data(as_text=True)
    secretary.post(
        f"/meetings/{meeting_id}/attachments",
        data={"file": (io.BytesIO(PNG), "../../签到表.png")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        item = db.session.query(MeetingAttachment).one()
        assert item.original_name == "签到表.png" and item.stored_name.endswith(".png")
        assert "签到表" not in item.stored_name
        attachment_id = item.id
    url = f"/meetings/{meeting_id}/attachments/{attachment_id}"
    got = secretary.get(url)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    got.close()
    assert _client(app, "sec2").get(url).status_code == 403


def test_calendar_for_a_leader_and_settings_for_an_admin(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    clock.set_now(bj(2026, 4, 10, 9, 0))
    with app.app_context():
        committee = db.session.get(Branch, party["branch"]).parent  # type: ignore[union-attr]
        factories.make_user("boss", roles=["leader"], scope=committee)
        factories.make_user("admin9", roles=["admin"])
        db.session.commit()
    leader = _client(app, "boss")
    page = leader.get("/meetings/calendar?year=2026").get_data(as_text=True)
    assert "第一党支部" in page and "第二党支部" in page and "逾期未开" in page
    assert 'tabindex="0" role="region"' in page
    detail = leader.get(f"/meetings/calendar/{party['branch']}?year=2026").get_data(as_text=True)
    assert "2026年第1季度：逾期未开" in detail and "第十一条" in detail
    admin = _client(app, "admin9")
    settings = admin.get("/meetings/settings/").get_data(as_text=True)
    assert "不是全国统一规定" in settings and "第十二条" in settings
    saved = admin.post(
        "/meetings/settings/exemptions",
        data={
            "ex-branch_id": party["branch"],
            "ex-type_id": party["congress"],
            "ex-period_key": "2026-Q1",
            "ex-reason": "换届",
        },
    )
    assert saved.status_code == 302
    detail = leader.get(f"/meetings/calendar/{party['branch']}?year=2026").get_data(as_text=True)
    assert "2026年第1季度：已免除" in detail
    bad = admin.post(
        "/meetings/settings/rules",
        data={
            "rule-type_id": party["congress"],
            "rule-scope": "kind:党支部",
            "rule-period": "month",
            "rule-count": "40",
        },
    )
    assert bad.status_code == 400 and "次数应为0到31" in bad.get_data(as_text=True)


def test_admin_grants_the_secretary_role_with_a_scope_and_sets_a_kind(
    app: Flask, party: dict
) -> None:  # type: ignore[type-arg]
    with app.app_context():
        factories.make_user("admin9", roles=["admin"])
        person = factories.make_user("newsec", real_name="新书记")
        db.session.commit()
        person_id, branch_id = person.id, person.branch_id
    admin = _client(app, "admin9")
    response = admin.post(
        f"/admin/users/{person_id}",
        data={
            "username": "newsec",
            "real_name": "新书记",
            "branch_id": branch_id,
            "roles": ["secretary"],
            "leader_scope": 0,
            "secretary_scope": party["other"],
            "active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        grant = db.session.get(User, person_id).grants[0]  # type: ignore[union-attr]
        assert (grant.role, grant.scope_branch_id) == ("secretary", party["other"])
    edit = admin.post(
        f"/admin/branches/{party['other']}",
        data={
            "action": "rename",
            "name": "第二党支部",
            "code": "DZB2",
            "parent_id": 0,
            "kind": "党小组",
        },
    )
    assert edit.status_code == 302
    with app.app_context():
        assert db.session.get(Branch, party["other"]).kind == "党小组"  # type: ignore[union-attr]


def test_the_demo_has_every_type_one_overdue_branch_and_a_secretary(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    clock.set_now(bj(2026, 11, 30, 10, 0))
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from quiz_app.services.meetings import compliance

        held_types = {
            m.type.code for m in db.session.query(Meeting).filter(Meeting.held_at.is_not(None))
        }
        assert held_types == {t.code for t in rules.all_types()}
        second = db.session.query(Branch).filter_by(code="DZB2").one()
        cells = compliance.year_cells([second], 2026, clock.now())
        q3 = next(c for c in cells if c.mtype.code == "party_congress" and c.key == "2026-Q3")
        assert q3.status == "overdue"
        methods = {a.method for m in db.session.query(Meeting) for a in m.attendees}
        assert {"qr", "manual"} <= methods
        count = db.session.query(Meeting).count()
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.query(Meeting).count() == count
    secretary = app.test_client()
    assert sign_in(secretary, "demo-secretary", "Demo@2021").status_code == 302
    page = secretary.get("/meetings/").get_data(as_text=True)
    assert "可扫码签到" in page
    leader = app.test_client()
    sign_in(leader, "demo-leader", "Demo@2021")
    grid = leader.get("/meetings/calendar").get_data(as_text=True)
    assert "机关第二党支部" in grid and "逾期未开" in grid
    employee = app.test_client()
    sign_in(employee, "demo-employee", "Demo@2021")
    assert "补学" in employee.get("/meetings/").get_data(as_text=True)


def test_a_planned_meeting_can_be_cancelled_until_someone_checks_in(
    app: Flask, party: dict
) -> None:  # type: ignore[type-arg]
    first = _new_meeting(app, party)
    second = _new_meeting(app, party)
    assert _client(app, "sec2").post(f"/meetings/{first}/cancel").status_code == 403
    secretary = _client(app, "sec1")
    assert secretary.post(f"/meetings/{first}/cancel").status_code == 302
    secretary.post(f"/meetings/{second}/mark/{party['members'][0]}")
    refused = secretary.post(f"/meetings/{second}/cancel", follow_redirects=True)
    assert "已有人签到的会议不能取消" in refused.get_data(as_text=True)
    with app.app_context():
        assert [m.id for m in db.session.query(Meeting)] == [second]


def test_leave_reasons_are_shown_to_the_secretary_not_to_other_members(
    app: Flask, party: dict
) -> None:  # type: ignore[type-arg]
    away = party["members"][3]
    meeting_id = _new_meeting(
        app,
        party,
        held_at="2026-03-05T09:00",
        **{f"status_{away}": "leave", f"reason_{away}": "住院治疗"},
    )
    assert "住院治疗" in _client(app, "sec1").get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "住院治疗" in _client(app, party["member_names"][3]).get(
        f"/meetings/{meeting_id}"
    ).get_data(as_text=True)
    other = (
        _client(app, party["member_names"][0]).get(f"/meetings/{meeting_id}").get_data(as_text=True)
    )
    assert "住院治疗" not in other and "请假" in other


def test_a_forged_type_is_refused_in_chinese(app: Flask, party: dict) -> None:  # type: ignore[type-arg]
    page = _client(app, "sec1").post("/meetings/new", data=_form(party, type_id="abc"))
    assert page.status_code == 200 and "【会议类型】请选择会议类型" in page.get_data(as_text=True)
