"""Hostile input gets a 4xx in Chinese, never a 500, and nothing half-written (issue 12).

Each test reproduces one failure found by an attacker's session; each fails without its fix.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, Campaign, Quiz, QuizSection, User
from quiz_app.services import attempts, campaigns
from quiz_app.services.campaigns import CampaignError
from quiz_app.services.textcheck import column_length, numeric_max, parse_id, text_problem
from quiz_app.services.xlsx_out import workbook_bytes
from tests.admin_helpers import import_roster
from tests.conftest import sign_in
from tests.factories import (
    DEFAULT_PASSWORD,
    make_bank,
    make_branch,
    make_campaign,
    make_quiz,
    make_user,
    root_branch,
)

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
GRACE = timedelta(seconds=10)
SURROGATE_JSON = '"\\ud800"'  # a lone surrogate, as JSON allows it to be written


@pytest.fixture()
def quiz_id(app: Flask) -> int:
    clock.set_now(T0)
    with app.app_context():
        office = make_branch("办公室")
        quiz = make_quiz(make_campaign([office], title="纪律教育月"), make_bank(per_type=2))
        make_user("taker", real_name="王五", branch=office)
        # A whole-tree leader outside the quiz's audience: item analysis (with keys) is open.
        make_user("boss", roles=["leader"])
        db.session.commit()
        return quiz.id


def bearer(client: FlaskClient, username: str = "taker") -> dict[str, str]:
    response = client.post(
        "/api/v1/tokens", json={"username": username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def started(client: FlaskClient, quiz_id: int, auth: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=auth)
    assert response.status_code == 201
    return response.get_json()


def put_raw(client: FlaskClient, url: str, body: str, auth: dict[str, str]) -> Any:
    return client.put(url, data=body, content_type="application/json", headers=auth)


# --- answers -----------------------------------------------------------------------------------


def test_a_lone_surrogate_or_control_character_in_an_answer_is_refused(
    client: FlaskClient, quiz_id: int, app: Flask
) -> None:
    auth = bearer(client)
    attempt = started(client, quiz_id, auth)
    blank = next(q for q in attempt["questions"] if q["type"] == "blank")
    url = f"/api/v1/attempts/{attempt['id']}/answers/{blank['id']}"
    for seq, text in enumerate((SURROGATE_JSON, '"a\\u000bb"', '"\\u0000"'), start=1):
        response = put_raw(client, url, f'{{"answer": [{text}, "乙"], "seq": {seq}}}', auth)
        assert response.status_code == 422, response.get_data(as_text=True)
        assert "字符" in response.get_json()["error"]
    with app.app_context():
        assert all(i.answer is None for i in db.session.scalars(sa.select(AttemptItem)))


@pytest.mark.parametrize(
    ("qtype", "answer"),
    [
        ("single", ""),
        ("single", "AB"),
        ("single", "ABCD"),
        ("multiple", [""]),
        ("multiple", ["AB"]),
    ],
)
def test_choice_answers_that_are_not_one_key_are_refused(
    client: FlaskClient, quiz_id: int, qtype: str, answer: Any, app: Flask
) -> None:
    auth = bearer(client)
    attempt = started(client, quiz_id, auth)
    question = next(q for q in attempt["questions"] if q["type"] == qtype)
    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        json={"answer": answer, "seq": 1},
        headers=auth,
    )
    assert response.status_code == 422 and response.get_json()["code"] == "bad_answer"
    with app.app_context():
        assert all(i.answer is None for i in db.session.scalars(sa.select(AttemptItem)))


def test_a_save_sequence_past_bigint_is_refused(client: FlaskClient, quiz_id: int) -> None:
    auth = bearer(client)
    attempt = started(client, quiz_id, auth)
    question = attempt["questions"][0]
    url = f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}"
    for seq in (2**63, 10**30, -(2**64)):
        response = client.put(url, json={"answer": None, "seq": seq}, headers=auth)
        assert response.status_code == 422, (seq, response.get_data(as_text=True))


def _finished_with_stored_surrogate(app: Flask, quiz_id: int) -> int:
    """An attempt whose blank answer holds a lone surrogate, stored before the edge refused it."""
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        quiz.review_policy = "immediate"
        user = db.session.scalar(sa.select(User).where(User.username == "taker"))
        user.real_name = "王\x0b五"  # and a control character in a name, as in the report
        attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
        item = next(i for i in attempt.items if i.revision.type == "blank")
        item.answer = ["\ud800", "乙"]
        item.answer_seq = 1
        attempts.submit(attempt.id, user, T0 + timedelta(minutes=1), GRACE)
        db.session.commit()
        return attempt.id


def test_stored_bad_text_does_not_break_result_analysis_or_export(
    app: Flask, client: FlaskClient, quiz_id: int
) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            pytest.skip("PostgreSQL refuses a lone surrogate at the driver; SQLite stores it")
    attempt_id = _finished_with_stored_surrogate(app, quiz_id)
    sign_in(client, "taker")
    result = client.get(f"/attempts/{attempt_id}/result", follow_redirects=True)
    assert result.status_code == 200 and "\ufffd" in result.get_data(as_text=True)
    client.post("/logout")
    with app.app_context():
        campaign_id = db.session.get(Quiz, quiz_id).campaign_id
    sign_in(client, "boss")
    assert client.get(f"/dashboard/quizzes/{quiz_id}/items").status_code == 200
    export = client.get(f"/dashboard/campaigns/{campaign_id}/export.xlsx")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    cells = [
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    ]
    assert "王\ufffd五" in cells
    auth = bearer(client, "boss")
    items = client.get(f"/api/v1/campaigns/{campaign_id}/stats/items", headers=auth)
    assert items.status_code == 200


def test_workbook_writer_survives_every_control_character() -> None:
    text = "".join(chr(c) for c in range(32)) + "\ud800\udfff\ufffe尾"
    book = load_workbook(io.BytesIO(workbook_bytes([("表", ["名\x0b"], [[text, 1]])])))
    value = next(book.active.iter_rows(min_row=2, values_only=True))[0]
    assert value.endswith("尾") and "\t" in value and "\x0b" not in value


# --- names and other text ------------------------------------------------------------------------


def test_admin_user_form_refuses_control_characters_and_overlong_names(
    admin_client: FlaskClient, app: Flask
) -> None:
    with app.app_context():
        branch_id = root_branch().id
        db.session.commit()
    base = {"username": "zhang", "real_name": "张三", "branch_id": branch_id, "leader_scope": 0}
    nul = admin_client.post("/admin/users/new", data={**base, "real_name": "张\x00三"})
    assert nul.status_code == 422 and "空字符" in nul.get_data(as_text=True)
    vt = admin_client.post("/admin/users/new", data={**base, "real_name": "张\x0b三"})
    assert vt.status_code == 422 and "U+000B" in vt.get_data(as_text=True)
    newline = admin_client.post("/admin/users/new", data={**base, "real_name": "张\n三"})
    assert newline.status_code == 200 and "【姓名】含有不可见的控制字符" in newline.get_data(
        as_text=True
    )
    long = admin_client.post("/admin/users/new", data={**base, "real_name": "张" * 10_000})
    assert long.status_code == 200 and "【姓名】不能超过50个字符" in long.get_data(as_text=True)
    group = admin_client.post("/admin/users/new", data={**base, "groups": "党员、" + "组" * 60})
    assert group.status_code == 200 and "【分组】" in group.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "zhang")) is None


def _roster(*rows: tuple[str, ...]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "工号/登录名", "手机号", "所属部门", "角色", "分组", "初始密码"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import(client: FlaskClient, data: bytes) -> Any:
    return import_roster(client, data)


def test_roster_rows_with_bad_names_are_reported_and_nothing_is_written(
    admin_client: FlaskClient, app: Flask
) -> None:
    with app.app_context():
        root_branch()
        db.session.commit()
    # openpyxl itself refuses U+000B in a cell, so the bad row arrives as CSV (as from WPS).
    csv = (
        "姓名,工号/登录名,手机号,所属部门,角色,分组,初始密码\n"
        "张三,2001,,ROOT,员工,,\n"
        "李\x0b四,2002,,ROOT,员工,,\n"
        f"{'王' * 51},2003,,ROOT,员工,,\n"
    ).encode()
    response = admin_client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(csv), "roster.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "第3行【姓名】：含有不可见的控制字符（U+000B）" in page
    assert "第4行【姓名】：不能超过50个字符" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1  # the admin


def test_roster_import_is_all_or_nothing_with_its_password_sheet(
    admin_client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz_app.services import roster

    with app.app_context():
        root_branch()
        db.session.commit()

    def broken(_credentials: Any) -> bytes:
        raise RuntimeError("password sheet could not be written")

    monkeypatch.setattr(roster, "credentials_xlsx", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError):
        _import(admin_client, _roster(("张三", "3001", "", "ROOT", "员工", "", "")))
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(sa.select(User).where(User.username == "3001")) is None


# --- numbers, ids and dates ----------------------------------------------------------------------


def test_ids_past_int32_and_non_ascii_digits_are_404_or_422(
    client: FlaskClient, organizer_client: FlaskClient, quiz_id: int
) -> None:
    auth = bearer(client)
    for url in ("/api/v1/attempts/2147483648", f"/api/v1/attempts/{10**20}"):
        response = client.get(url, headers=auth)
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert client.post("/api/v1/quizzes/99999999999/attempts", headers=auth).status_code == 404
    stats = client.get("/api/v1/campaigns/1/stats?branch_id=²", headers=bearer(client, "boss"))
    assert stats.status_code == 422 and "整数" in stats.get_json()["error"]
    huge = client.get(f"/api/v1/campaigns/1/stats?quiz_id={2**40}", headers=bearer(client, "boss"))
    assert huge.status_code == 422
    page = organizer_client.get("/manage/campaigns/2147483648")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)


def test_huge_page_numbers_show_a_page(admin_client: FlaskClient, app: Flask) -> None:
    for url in ("/admin/users?page=" + "1" + "0" * 20, "/admin/users?page=²&branch=²"):
        assert admin_client.get(url).status_code == 200
    with app.app_context():
        from tests.factories import make_bank as bank

        bank_id = bank(per_type=1).id
        db.session.commit()
    organizer = admin_client  # an admin may also manage banks
    assert organizer.get(f"/manage/banks/{bank_id}?page={10**20}").status_code in (200, 403)


def test_superscript_digit_as_a_posted_id_is_not_a_500(
    organizer_client: FlaskClient, app: Flask
) -> None:
    """ "²".isdigit() is true and int("²") raises: the fixed-question picker took it for an id."""
    with app.app_context():
        quiz = make_quiz(make_campaign(status="draft"), make_bank(per_type=1))
        url = f"/manage/campaigns/{quiz.campaign_id}/quizzes/{quiz.id}/sections/new?kind=fixed"
        db.session.commit()
    response = organizer_client.post(url, data={"points": "1", "question_ids": ["²"]})
    assert response.status_code == 200 and "请至少勾选一道题目" in response.get_data(as_text=True)
    assert organizer_client.post("/practice/daily", data={"question_id": "²"}).status_code == 404


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_years_out_of_range_in_a_date_field_are_a_form_error(
    organizer_client: FlaskClient, app: Flask, when: str
) -> None:
    with app.app_context():
        branch_id = root_branch().id
        db.session.commit()
    response = organizer_client.post(
        "/manage/campaigns/new",
        data={
            "title": "远古活动",
            "opens_at": when,
            "closes_at": "2026-12-31T00:00",
            "branch_ids": [branch_id],
        },
    )
    assert response.status_code == 200 and "年份应在2000到2099之间" in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_year_1_in_the_year_figures_is_a_400(leader_client: FlaskClient) -> None:
    for query in ("start=0001-01-01", "end=9999-12-31"):
        response = leader_client.get(f"/dashboard/year?{query}")
        assert response.status_code == 400 and "参数不正确" in response.get_data(as_text=True)


def test_a_paper_whose_total_overflows_is_refused_at_save_and_publish(
    organizer_client: FlaskClient, app: Flask
) -> None:
    clock.set_now(T0)
    with app.app_context():
        bank = make_bank(per_type=30)
        campaign = make_campaign(status="draft")
        quiz = make_quiz(campaign, bank, sections=[("single", 30, "9999.99")])
        ids = (campaign.id, quiz.id, bank.id)
        db.session.commit()
    campaign_id, quiz_id, bank_id = ids
    response = organizer_client.post(
        f"/manage/campaigns/{campaign_id}/quizzes/{quiz_id}/sections/new",
        data={"question_type": "multiple", "count": "71", "points": "9999.99", "bank_ids": bank_id},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "超过上限 999999.99 分" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizSection)) == 1
        # a paper made some other way (an older version, the shell) is refused at publishing
        quiz = db.session.get(Quiz, quiz_id)
        quiz.sections.append(
            QuizSection(
                position=1, question_type="judge", count=71, points=Decimal("9999.99"),
                bank_ids=[bank_id],
            )
        )  # fmt: skip
        db.session.flush()
        with pytest.raises(CampaignError, match="超过上限"):
            campaigns.publish(db.session.get(Campaign, campaign_id))
        db.session.rollback()


# --- JSON shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '["taker", "x"]', "1", '"text"'])
def test_a_json_body_that_is_not_an_object_is_422(client: FlaskClient, body: str) -> None:
    response = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert response.status_code == 422 and response.get_json()["code"] == "bad_request"


def test_unknown_api_urls_and_methods_answer_in_the_api_shape(client: FlaskClient) -> None:
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "找不到该资源", "code": "not_found"}
    wrong = client.delete("/api/v1/tokens")
    assert wrong.status_code == 405
    assert wrong.get_json() == {"error": "不支持该请求方法", "code": "method_not_allowed"}
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    page = client.delete("/login")
    assert page.status_code == 405 and "不支持" in page.get_data(as_text=True)


def test_word_line_breaks_in_a_pasted_bank_are_not_refused(
    organizer_client: FlaskClient, app: Flask
) -> None:
    """Word copies a manual line break as U+000B: in the paste box it is a line end."""
    with app.app_context():
        bank_id = make_bank(per_type=1).id
        db.session.commit()
    paste = "1. 党的最高领导机关是（　）。\x0bA. 党的全国代表大会\x0bB. 中央委员会\n答案：A\n"
    url = f"/manage/banks/{bank_id}/import"
    accepted = organizer_client.post(url, data={"text": paste, "format": ""})
    assert accepted.status_code != 422
    refused = organizer_client.post(url, data={"text": paste.replace("\x0b", "\x01")})
    assert refused.status_code == 422 and "U+0001" in refused.get_data(as_text=True)


def test_a_10000_character_sign_in_name_is_refused_before_the_throttle(
    client: FlaskClient, quiz_id: int
) -> None:
    """On PostgreSQL the throttle's key column (varchar) overflowed: a 500 on every try."""
    name = "甲" * 10_000
    page = client.post("/login", data={"username": name, "password": "x"})
    assert page.status_code == 400 and "【登录名】不能超过50个字符" in page.get_data(as_text=True)
    api = client.post("/api/v1/tokens", json={"username": name, "password": "x"})
    assert api.status_code == 422 and api.get_json()["error"] == "登录名过长"


def test_token_request_with_surrogate_or_nul_is_422(client: FlaskClient) -> None:
    for name in (SURROGATE_JSON, '"a\\u0000"'):
        body = f'{{"username": {name}, "password": "x"}}'
        response = client.post("/api/v1/tokens", data=body, content_type="application/json")
        assert response.status_code == 422 and response.get_json()["code"] == "bad_text"


# --- the shared checks -------------------------------------------------------------------------


def test_parse_id_and_text_problem() -> None:
    assert parse_id("12") == 12 and parse_id(" 7 ") == 7
    for raw in ("²", "0", "-1", "2147483648", "1e3", "١٢", "", None):
        assert parse_id(raw) is None, raw
    assert text_problem("张三") is None
    assert text_problem("一\n二", multiline=True) is None
    assert "控制字符" in (text_problem("一\n二") or "")
    assert "U+D800" in (text_problem("\ud800", multiline=True) or "")
    assert "不能超过3个字符" in (text_problem("一二三四", max_len=3) or "")
    assert column_length(User.real_name) == 50
    assert numeric_max(QuizSection.points) == Decimal("9999.99")
    assert numeric_max(Attempt.max_score) == Decimal("999999.99")
