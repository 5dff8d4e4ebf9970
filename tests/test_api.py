"""The JSON API: tokens, the quiz flow over HTTP, error codes, CSRF, and the OpenAPI document."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Bank
from tests.conftest import sign_in
from tests.factories import (
    DEFAULT_PASSWORD,
    make_bank,
    make_branch,
    make_campaign,
    make_quiz,
    make_user,
)

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture()
def quiz_id(app: Flask) -> int:
    clock.set_now(T0)
    with app.app_context():
        quiz = make_quiz(
            make_campaign(title="纪律教育月"), make_bank(per_type=2), time_limit_seconds=300
        )
        make_user("api1")
        db.session.commit()
        return quiz.id


def token(client: FlaskClient, username: str = "api1") -> dict[str, str]:
    response = client.post(
        "/api/v1/tokens", json={"username": username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_token_for_right_credentials_only(client: FlaskClient, quiz_id: int) -> None:
    body = client.post(
        "/api/v1/tokens", json={"username": "api1", "password": DEFAULT_PASSWORD}
    ).get_json()
    assert set(body) == {"token", "id", "expires_at", "user"} and body["user"]["username"] == "api1"
    wrong = client.post("/api/v1/tokens", json={"username": "api1", "password": "nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"].startswith("登录名或密码错误")
    assert client.post("/api/v1/tokens", json={}).status_code == 422


def test_token_requests_are_throttled(client: FlaskClient, quiz_id: int) -> None:
    for _ in range(5):
        client.post("/api/v1/tokens", json={"username": "api1", "password": "nope"})
    locked = client.post("/api/v1/tokens", json={"username": "api1", "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429 and "登录失败次数过多" in locked.get_json()["error"]


def test_requests_without_credentials_get_401(client: FlaskClient, quiz_id: int) -> None:
    assert client.get("/api/v1/quizzes").status_code == 401
    bad = client.get("/api/v1/quizzes", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "unauthorized"


def test_the_whole_flow_over_the_api(client: FlaskClient, quiz_id: int) -> None:
    auth = token(client)
    listing = client.get("/api/v1/quizzes", headers=auth).get_json()
    assert [(q["id"], q["state"]) for q in listing["quizzes"]] == [(quiz_id, "未参加")]
    started = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=auth)
    assert started.status_code == 201
    attempt = started.get_json()
    assert attempt["deadline"] == (T0 + timedelta(minutes=5)).isoformat()
    assert "correct_answer" not in str(attempt) and "解析" not in str(attempt)
    again = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=auth)
    assert again.status_code == 200 and again.get_json()["id"] == attempt["id"]
    answers = {"single": "B", "multiple": ["A", "C"], "judge": True, "blank": ["甲", "乙"]}
    for seq, q in enumerate(attempt["questions"], start=1):
        saved = client.put(
            f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}",
            json={"answer": answers[q["type"]], "seq": seq},
            headers=auth,
        )
        assert saved.status_code == 200 and saved.get_json()["applied"] is True
    resumed = client.get(f"/api/v1/attempts/{attempt['id']}", headers=auth).get_json()
    assert len(resumed["answers"]) == len(attempt["questions"]) and resumed["last_seq"] == 5
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=auth).get_json()
    assert result["result"]["score"] == "12.00" and result["status"] == "submitted"
    assert all("correct_answer" in q and q["explanation"] for q in result["questions"])
    again = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=auth).get_json()
    assert again["result"] == result["result"]
    late = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{attempt['questions'][0]['id']}",
        json={"answer": "A", "seq": 99},
        headers=auth,
    )
    assert late.status_code == 409 and late.get_json()["code"] == "final"


def test_wrong_shapes_and_other_peoples_attempts(
    client: FlaskClient, app: Flask, quiz_id: int
) -> None:
    auth = token(client)
    attempt = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=auth).get_json()
    single = next(q for q in attempt["questions"] if q["type"] == "single")
    bad = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{single['id']}",
        json={"answer": ["B"], "seq": 1},
        headers=auth,
    )
    assert bad.status_code == 422 and "单选题" in bad.get_json()["error"]
    no_seq = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{single['id']}",
        json={"answer": "B"},
        headers=auth,
    )
    assert no_seq.status_code == 422
    with app.app_context():
        make_user("api2")
        db.session.commit()
    other = token(client, "api2")
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=other).status_code == 404
    stolen = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{single['id']}",
        json={"answer": "B", "seq": 1},
        headers=other,
    )
    assert stolen.status_code == 404
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=other).status_code == 404


def test_saves_after_deadline_and_grace_get_409(client: FlaskClient, quiz_id: int) -> None:
    auth = token(client)
    attempt = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=auth).get_json()
    qid = attempt["questions"][0]["id"]
    clock.set_now(T0 + timedelta(minutes=5, seconds=8))
    ok = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{qid}",
        json={"answer": "B", "seq": 1},
        headers=auth,
    )
    assert ok.status_code == 200
    clock.set_now(T0 + timedelta(minutes=5, seconds=11))
    late = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{qid}",
        json={"answer": "C", "seq": 2},
        headers=auth,
    )
    assert late.status_code == 409 and "已超过交卷时间" in late.get_json()["error"]
    shown = client.get(f"/api/v1/attempts/{attempt['id']}", headers=auth).get_json()
    assert shown["status"] == "timed_out" and shown["result"]["score"] == "2.00"


def test_browser_session_needs_the_csrf_header(app: Flask, quiz_id: int) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post(
            "/login",
            data={"username": "api1", "password": DEFAULT_PASSWORD, "csrf_token": csrf_token},
        )
        assert client.get("/api/v1/quizzes").status_code == 200
        refused = client.post(f"/api/v1/quizzes/{quiz_id}/attempts")
        assert refused.status_code == 400 and refused.get_json()["code"] == "csrf"
        accepted = client.post(
            f"/api/v1/quizzes/{quiz_id}/attempts", headers={"X-CSRFToken": csrf_token}
        )
        assert accepted.status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_initial_password_must_be_changed_before_using_the_api(
    client: FlaskClient, app: Flask, quiz_id: int
) -> None:
    with app.app_context():
        make_user("fresh", must_change=True)
        db.session.commit()
    sign_in(client, "fresh")
    response = client.get("/api/v1/quizzes")
    assert response.status_code == 403 and response.get_json()["code"] == "password_change_required"


def test_openapi_document_matches_the_routes(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
                routed.add((path, method.lower()))
    assert documented == routed
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            assert {p["name"] for p in op.get("parameters", []) if p["in"] == "path"} == params, (
                path
            )


def test_the_quiz_list_costs_the_same_however_many_campaigns_are_open(
    app: Flask, client: FlaskClient, quiz_id: int
) -> None:
    """Every phone asks for the list at 9:00: its statements must not grow per campaign or quiz,
    and a campaign for another branch or group stays out of it."""
    from tests.test_paper_pools import statements

    auth = token(client)

    def listing() -> tuple[list[str], int]:
        with app.app_context(), statements() as seen:
            body = client.get("/api/v1/quizzes", headers=auth).get_json()
        return [q["title"] for q in body["quizzes"]], len(seen)

    with app.app_context():
        bank = make_bank()
        make_quiz(make_campaign(groups=("宣传组",)), bank, title="宣传组专场")
        make_quiz(make_campaign([make_branch("别的部门")]), bank, title="别处的竞答")
        db.session.commit()
        bank_id = bank.id
    titles, one = listing()
    with app.app_context():
        bank = db.session.get(Bank, bank_id)
        for n in range(3):
            make_quiz(make_campaign(), bank, title=f"加赛{n}")
        db.session.commit()
    more, five = listing()
    assert "宣传组专场" not in more and "别处的竞答" not in more
    assert more == [*titles, "加赛0", "加赛1", "加赛2"]
    assert five == one
