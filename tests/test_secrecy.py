"""Answer keys stay secret until the review policy allows: a leader who is also in a quiz's
audience, drafts' statistics, and a review policy that may only become stricter (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Quiz
from quiz_app.services import attempts
from tests.conftest import sign_in
from tests.factories import make_bank, make_branch, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture()
def running(app: Flask) -> dict[str, int]:
    clock.set_now(T0)
    with app.app_context():
        elsewhere = make_branch("外单位")
        make_user("lead_in", roles=["leader"])  # in the root branch: in the audience
        make_user("lead_out", roles=["leader"], branch=elsewhere)
        make_user("owner", roles=["organizer"])
        campaign = make_campaign(closes_at=T0 + timedelta(days=2), owner="owner")
        quiz = make_quiz(campaign, make_bank(per_type=3, owner="owner"), review_policy="never")
        draft = make_campaign(status="draft", owner="owner", title="草稿活动")
        taker = make_user("taker")
        attempt, _ = attempts.start_attempt(quiz, taker, T0)
        attempts.submit(attempt.id, taker, T0 + timedelta(minutes=2))
        db.session.commit()
        return {"quiz": quiz.id, "campaign": campaign.id, "draft": draft.id}


def _as(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_a_leader_in_the_audience_sees_item_analysis_only_after_finishing(
    app: Flask, running: dict[str, int]
) -> None:
    clock.set_now(T0 + timedelta(hours=1))
    leader = _as(app, "lead_in")
    url = f"/dashboard/quizzes/{running['quiz']}/items"
    refused = leader.get(url)
    assert refused.status_code == 403 and "交卷之后" in refused.get_data(as_text=True)
    assert leader.get(f"/dashboard/campaigns/{running['campaign']}/export.xlsx").status_code == 403
    api = leader.get(f"/api/v1/campaigns/{running['campaign']}/stats/items")
    assert api.status_code == 403
    # The participation figures (no keys) stay visible.
    assert leader.get(f"/dashboard/campaigns/{running['campaign']}").status_code == 200
    with app.app_context():
        quiz = db.session.get(Quiz, running["quiz"])
        from quiz_app.models import User

        me = db.session.query(User).filter_by(username="lead_in").one()
        attempt, _ = attempts.start_attempt(quiz, me, clock.now())  # type: ignore[arg-type]
        attempts.submit(attempt.id, me, clock.now() + timedelta(minutes=1))
        db.session.commit()
    assert leader.get(url).status_code == 200


def test_after_the_campaign_ends_the_analysis_is_open(app: Flask, running: dict[str, int]) -> None:
    clock.set_now(T0 + timedelta(days=3))
    assert _as(app, "lead_in").get(f"/dashboard/quizzes/{running['quiz']}/items").status_code == 200


def test_a_drafts_statistics_are_not_shown_to_leaders(app: Flask, running: dict[str, int]) -> None:
    leader = _as(app, "lead_out")
    response = leader.get(f"/dashboard/campaigns/{running['draft']}")
    assert response.status_code == 403
    assert _as(app, "owner").get(f"/dashboard/campaigns/{running['draft']}").status_code == 200


def test_a_published_quizs_review_policy_only_becomes_stricter(
    app: Flask, running: dict[str, int]
) -> None:
    owner = _as(app, "owner")
    url = f"/manage/campaigns/{running['campaign']}/quizzes/{running['quiz']}"
    with app.app_context():
        title = db.session.get(Quiz, running["quiz"]).title  # type: ignore[union-attr]
    looser = owner.post(
        url, data={"title": title, "review_policy": "immediate"}, follow_redirects=True
    )
    assert "只能改得更严" in looser.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Quiz, running["quiz"]).review_policy == "never"  # type: ignore[union-attr]
