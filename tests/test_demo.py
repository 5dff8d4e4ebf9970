"""The demo: believable data, four fixed sign-ins, safe to run twice."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from quiz_app.extensions import db
from quiz_app.models import Branch, Role, User
from tests.conftest import sign_in


def test_demo_twice_gives_the_same_data(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    for name in ("demo-admin", "demo-organizer", "demo-leader", "demo-employee"):
        assert name in first.output
    assert "Demo@2021" in first.output
    with app.app_context():
        people = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        branches = db.session.scalar(sa.select(sa.func.count()).select_from(Branch))
    second = runner.invoke(args=["demo", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "本次新增 0 人" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == people
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Branch)) == branches
    assert people is not None and 80 <= people <= 90
    assert branches is not None and branches >= 9


def test_demo_accounts_sign_in_with_their_roles(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    runner.invoke(args=["demo", "--no-serve"])
    for username in ("demo-admin", "demo-organizer", "demo-leader", "demo-employee"):
        client = app.test_client()
        response = sign_in(client, username, "Demo@2021")
        assert response.headers["Location"] == "/", username  # no forced change for the demo
    with app.app_context():
        leader = db.session.scalar(sa.select(User).where(User.username == "demo-leader"))
        assert leader is not None and leader.roles == {Role.LEADER}
        assert leader.grants[0].scope_branch is not None
        assert leader.grants[0].scope_branch.name == "局机关"
        admin = db.session.scalar(sa.select(User).where(User.username == "demo-admin"))
        assert admin is not None and admin.roles == {Role.ADMIN}


def test_demo_opens_a_timed_quiz_for_the_employee(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    runner.invoke(args=["demo", "--no-serve"])
    client = app.test_client()
    sign_in(client, "demo-employee", "Demo@2021")
    home = client.get("/").get_data(as_text=True)
    assert "党史学习教育竞答" in home and "未参加" in home
    listing = client.get("/api/v1/quizzes").get_json()["quizzes"]
    timed = [q for q in listing if q["time_limit_seconds"]]
    assert timed and timed[0]["max_score"] == "100.00"


def test_simulate_adds_participants_once(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    from quiz_app.models import Attempt

    first = runner.invoke(args=["demo", "--no-serve", "--simulate", "12"])
    assert first.exit_code == 0, first.output
    assert "已模拟 12 名人员" in first.output
    again = runner.invoke(args=["demo", "--no-serve", "--simulate", "12"])
    assert "已模拟 0 名人员" in again.output
    with app.app_context():
        finals = db.session.scalars(sa.select(Attempt).where(Attempt.status != "in_progress")).all()
        assert len(finals) == 12
        scores = {a.score for a in finals}
        assert len(scores) > 3  # plausible, not all the same
        assert all(a.time_used_seconds and a.time_used_seconds <= 1200 for a in finals)
