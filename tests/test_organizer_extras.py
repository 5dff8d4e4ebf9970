"""Organizer extras: preview that counts nowhere, safer defaults, share code, progress, not-yet
export — and refusals for organizers who do not own the campaign."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import AuditEntry, Bank, Campaign
from quiz_app.services import attempts
from tests.conftest import sign_in
from tests.factories import DEFAULT_PASSWORD, make_bank, make_campaign, make_quiz, make_user

BASE = "/manage/campaigns"


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _row_counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
        for t in db.metadata.sorted_tables
    }


@pytest.fixture()
def setup(app: Flask, organizer_client: FlaskClient) -> dict[str, int]:
    with app.app_context():
        bank = make_bank()
        campaign = make_campaign(status="draft", title="保密知识竞答")
        quiz = make_quiz(campaign, bank, sections=(("single", 2, "5"), ("judge", 1, "2")))
        for i in range(3):
            make_user(f"staff{i}", real_name=f"职工{i}")
        db.session.commit()
        return {"campaign": campaign.id, "quiz": quiz.id}


def test_preview_grades_like_staff_and_writes_nothing(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/preview"
    page = organizer_client.get(url)
    assert page.status_code == 200
    assert "不计入任何成绩" in text(page)
    seed = re.search(r'name="seed" value="(\d+)"', text(page)).group(1)  # type: ignore[union-attr]
    with app.app_context():
        before = _row_counts()
    # Factory keys: single → B, judge → 正确. Two singles right, the judge wrong.
    result = organizer_client.post(url, data={"seed": seed, "q1": "B", "q2": "B", "q3": "F"})
    assert result.status_code == 200
    assert "试答得分：10 分" in text(result)
    assert "正确答案：" in text(result)
    with app.app_context():
        assert _row_counts() == before  # no attempt, result, tally, point or audit entry


def test_preview_bad_answer_is_a_message_not_a_500(
    organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/preview"
    result = organizer_client.post(url, data={"seed": "7", "q1": "Z"})
    assert result.status_code == 200
    assert "第 1 题：" in text(result)


def test_other_organizer_gets_403_on_every_extra(
    app: Flask, setup: dict[str, int], organizer_client: FlaskClient
) -> None:
    with app.app_context():
        make_user("organizer2", roles=["organizer"])
        db.session.commit()
    other = app.test_client()
    sign_in(other, "organizer2")
    prefix = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}"
    assert other.get(f"{prefix}/preview").status_code == 403
    assert other.post(f"{prefix}/preview", data={"seed": "1"}).status_code == 403
    assert other.get(f"{prefix}/not-yet.xlsx").status_code == 403


def test_employee_cannot_preview(employee_client: FlaskClient, setup: dict[str, int]) -> None:
    url = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}/preview"
    assert employee_client.get(url).status_code == 403


def test_new_campaign_and_quiz_defaults(
    organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    page = text(organizer_client.get(f"{BASE}/new"))
    start, end = clock.to_local(clock.now()), clock.to_local(clock.now() + timedelta(days=7))
    assert f'value="{start:%Y-%m-%d}T' in page
    assert f'value="{end:%Y-%m-%d}T' in page
    quiz_page = text(organizer_client.get(f"{BASE}/{setup['campaign']}/quizzes/new"))
    checked = re.search(r'<input checked[^>]*name="review_policy"[^>]*value="(\w+)"', quiz_page)
    checked = checked or re.search(r'name="review_policy"[^>]*value="(\w+)"[^>]*checked', quiz_page)
    assert checked and checked.group(1) == "after_close"


def test_publish_and_close_ask_first(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    page = text(organizer_client.get(f"{BASE}/{setup['campaign']}"))
    assert "将锁定规则，面向 4 人" in page  # three staff and the organizer, all under the root
    with app.app_context():
        campaign = db.session.get(Campaign, setup["campaign"])
        campaign.status = "published"
        from quiz_app.models import Quiz, User

        quiz = db.session.get(Quiz, setup["quiz"])
        staff = db.session.scalar(sa.select(User).where(User.username == "staff0"))
        attempts.start_attempt(quiz, staff, clock.now())
        db.session.commit()
    page = text(organizer_client.get(f"{BASE}/{setup['campaign']}"))
    assert "当前 1 人正在作答" in page
    assert "已完成 0/4" in page


def test_share_link_signs_in_then_lands_on_the_quiz(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    with app.app_context():
        db.session.get(Campaign, setup["campaign"]).status = "published"
        db.session.commit()
    page = text(organizer_client.get(f"{BASE}/{setup['campaign']}"))
    assert "<svg" in page and "扫码答题" in page
    link = re.search(r'id="share-url" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    path = link.replace("http://localhost", "")
    visitor = app.test_client()
    first = visitor.get(path)
    assert first.status_code == 302 and "/login" in first.location
    assert "next=" in first.location
    login = visitor.post(
        first.location, data={"username": "staff1", "password": DEFAULT_PASSWORD, "next": path}
    )
    assert login.status_code == 302 and login.location == path  # back to the share link
    landed = visitor.get(path)
    assert landed.status_code == 302
    assert landed.location.endswith(f"/quizzes/{setup['quiz']}")


def test_share_link_refuses_draft_and_outsiders(
    app: Flask, employee_client: FlaskClient, setup: dict[str, int]
) -> None:
    assert employee_client.get(f"/c/{setup['campaign']}").status_code == 404  # still a draft
    assert employee_client.get("/c/999999").status_code == 404


def test_not_yet_list_export_and_reminder(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    with app.app_context():
        db.session.get(Campaign, setup["campaign"]).status = "published"
        db.session.commit()
    prefix = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}"
    page = text(organizer_client.get(f"{prefix}/participation"))
    assert "复制提醒文字" in page
    assert "【提醒】" in page and "还有 4 人未完成" in page and "/c/" in page
    assert 'class="person-nowrap"' in page
    response = organizer_client.get(f"{prefix}/not-yet.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"职工0", "职工1", "职工2"} <= names
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "export.personal")
        )
        assert entry is not None and entry.campaign_id == setup["campaign"]


def test_campaign_cards_show_progress(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    with app.app_context():
        db.session.get(Campaign, setup["campaign"]).status = "published"
        db.session.commit()
    assert "已完成 0/4" in text(organizer_client.get(f"{BASE}/"))


def test_pool_count_and_category_map(
    app: Flask, organizer_client: FlaskClient, setup: dict[str, int]
) -> None:
    with app.app_context():
        other = make_bank("保密题库", per_type=2, categories=("保密",))
        first = db.session.scalar(sa.select(Bank).where(Bank.id != other.id))
        ids = {"first": first.id, "other": other.id}
        db.session.commit()
    prefix = f"{BASE}/{setup['campaign']}/quizzes/{setup['quiz']}"
    url = f"{prefix}/pool-count"
    both = organizer_client.get(
        url, query_string={"question_type": "single", "bank_ids": [ids["first"], ids["other"]]}
    )
    assert both.get_json() == {"count": 7}
    only = organizer_client.get(
        url,
        query_string={
            "question_type": "single",
            "bank_ids": [ids["first"], ids["other"]],
            "categories": "保密",
        },
    )
    assert only.get_json() == {"count": 2}
    assert organizer_client.get(url, query_string={"question_type": "x"}).status_code == 400
    page = text(organizer_client.get(f"{prefix}/sections/new?kind=random"))
    assert 'id="pool-count"' in page and "data-category-banks=" in page
    raw = re.search(r'data-category-banks="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    assert json.loads(html.unescape(raw))["保密"] == [ids["other"]]
