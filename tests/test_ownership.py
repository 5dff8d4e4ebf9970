"""Organizers' work has owners: every organizer route, tried by the creator, a co-editor, an
organizer who has nothing to do with the campaign or bank, and an admin (issue 12)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app.extensions import db
from quiz_app.models import AuditEntry, Question, QuizSection
from tests.conftest import sign_in
from tests.factories import make_bank, make_campaign, make_quiz, make_user

# Routes any organizer may use whatever they own (lists, new, the template; reading a bank).
OPEN_TO_EVERY_ORGANIZER = {
    "banks.index",
    "banks.template",
    "banks.show",
    "banks.export",
    "campaigns.index",
    "campaigns.new",
    "campaign_extras.share",  # the share link is for the campaign's audience, not its editors
}


@pytest.fixture()
def world(app: Flask) -> dict[str, int]:
    """Campaign, quiz, section and bank of "owner"; "helper" is a co-editor of both; "stranger"
    is an organizer with no part in them."""
    with app.app_context():
        owner = make_user("owner", roles=["organizer"])
        helper = make_user("helper", roles=["organizer"])
        make_user("stranger", roles=["organizer"])
        make_user("boss", roles=["admin"])
        db.session.flush()
        bank = make_bank(per_type=3, owner="owner")
        campaign = make_campaign(status="draft", owner="owner", title="保密知识竞答")
        quiz = make_quiz(campaign, bank, sections=(("single", 1, "2"),))
        campaign.editors = [helper]
        bank.editors = [helper]
        db.session.commit()
        section = db.session.scalar(sa.select(QuizSection).where(QuizSection.quiz_id == quiz.id))
        question = db.session.scalar(sa.select(Question).where(Question.bank_id == bank.id))
        assert owner and section and question
        return {
            "campaign_id": campaign.id,
            "quiz_id": quiz.id,
            "section_id": section.id,
            "bank_id": bank.id,
            "question_id": question.id,
        }


def _organizer_routes(app: Flask, ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route of the organizer blueprints."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("campaigns", "campaign_extras", "banks"):
            continue
        url = re.sub(r"<int:(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return routes


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_every_organizer_route_refuses_a_stranger(app: Flask, world: dict[str, int]) -> None:
    stranger = _client(app, "stranger")
    routes = _organizer_routes(app, world)
    assert len(routes) >= 35  # the matrix covers the blueprints, not a hand-picked few
    for endpoint, method, url in routes:
        response = stranger.open(url, method=method, data={"confirm": "y", "username": "x"})
        if endpoint in OPEN_TO_EVERY_ORGANIZER:
            assert response.status_code != 403, (endpoint, method)
        else:
            assert response.status_code == 403, (endpoint, method, response.status_code)
            body = response.get_data(as_text=True)
            assert "其他组织者" in body or "创建者" in body, (endpoint, method)
    with app.app_context():  # and nothing was changed on the way
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizSection)) == 1


@pytest.mark.parametrize("who", ["owner", "helper", "boss"])
def test_creator_co_editor_and_admin_are_let_in(
    app: Flask, world: dict[str, int], who: str
) -> None:
    client = _client(app, who)
    for endpoint, method, url in _organizer_routes(app, world):
        if method != "GET" or endpoint == "campaign_extras.share":  # a draft has no share link
            continue
        response = client.get(url)
        # Let in: never refused or hidden (a 400 for a missing query argument is past the check).
        assert response.status_code in (200, 302, 400), (who, endpoint, response.status_code)


def test_a_stranger_sees_neither_the_campaign_in_lists_nor_its_statistics(
    app: Flask, world: dict[str, int]
) -> None:
    stranger = _client(app, "stranger")
    assert "保密知识竞答" not in stranger.get("/manage/campaigns/").get_data(as_text=True)
    assert "保密知识竞答" in _client(app, "helper").get("/manage/campaigns/").get_data(as_text=True)


def test_a_stranger_cannot_change_a_key_in_someone_elses_bank(
    app: Flask, world: dict[str, int]
) -> None:
    url = f"/manage/banks/{world['bank_id']}/questions/{world['question_id']}"
    form = {
        "type": "single",
        "stem": "单选题0（　）",
        "option_a": "甲",
        "option_b": "乙",
        "option_c": "丙",
        "option_d": "丁",
        "answer": "C",
        "difficulty": "中",
    }
    assert _client(app, "stranger").post(url, data=form).status_code == 403
    with app.app_context():
        question = db.session.get(Question, world["question_id"])
        assert question is not None and question.current_revision.answer == ["B"]
    helper = _client(app, "helper")
    assert helper.post(url, data=form).status_code == 302
    with app.app_context():
        question = db.session.get(Question, world["question_id"])
        assert question is not None and question.current_revision.answer == ["C"]
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "question.edit"))
        assert entry is not None and entry.details["old_key"] == "B"
        assert entry.details["new_key"] == "C" and "helper" in entry.actor_name


def test_only_the_creator_names_co_editors(app: Flask, world: dict[str, int]) -> None:
    url = f"/manage/campaigns/{world['campaign_id']}/editors"
    helper = _client(app, "helper")
    assert helper.post(url, data={"username": "stranger"}).status_code == 403
    owner = _client(app, "owner")
    assert owner.post(url, data={"username": "stranger"}).status_code == 302
    assert (
        _client(app, "stranger").get(f"/manage/campaigns/{world['campaign_id']}").status_code == 200
    )
    employee_url = url
    with app.app_context():
        make_user("plain")
        db.session.commit()
    page = owner.post(employee_url, data={"username": "plain"}, follow_redirects=True)
    assert "不是组织者" in page.get_data(as_text=True)
