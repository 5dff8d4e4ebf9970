"""/healthz and /readyz for the load balancer, and one log line per request without secrets."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app.extensions import db
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import make_user


def test_healthz_answers_without_signing_in(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_the_schema_is_at_head(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ready"


def test_readyz_refuses_traffic_while_migrations_are_behind(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        real = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "quiz-app init" in response.get_json()["reason"]
    finally:
        with app.app_context():
            db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": real})
            db.session.commit()


def test_readyz_refuses_traffic_when_the_database_is_unreachable(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_a, **_k):  # type: ignore[no-untyped-def]
        raise sa.exc.OperationalError("connect", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(type(db.engine), "connect", down)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "数据库无法连接"


def test_every_request_logs_one_line_with_its_id_user_route_status_and_no_secret(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        user_id = make_user("li").id
        db.session.commit()
    caplog.set_level(logging.INFO, logger="quiz_app.access")
    token = client.post(
        "/api/v1/tokens", json={"username": "li", "password": DEFAULT_PASSWORD}
    ).get_json()["token"]
    caplog.clear()
    response = client.get(
        "/api/v1/me?x=1",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "lb-42"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-42"
    lines = [r.getMessage() for r in caplog.records if r.name == "quiz_app.access"]
    assert len(lines) == 1
    line = lines[0]
    assert "request_id=lb-42" in line and f"user={user_id}" in line
    assert "route=/api/v1/me" in line and "status=200" in line and "ms=" in line
    assert token not in line and "x=1" not in line


def test_a_made_up_request_id_is_replaced_and_the_password_never_logged(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="quiz_app.access")
    response = client.post(
        "/login",
        data={"username": "nobody", "password": "Secret123"},
        headers={"X-Request-ID": "bad id forged=1"},
    )
    assert response.status_code == 401
    rid = response.headers["X-Request-ID"]
    assert len(rid) == 32 and "forged" not in rid
    lines = [r.getMessage() for r in caplog.records if r.name == "quiz_app.access"]
    assert len(lines) == 1
    assert f"request_id={rid}" in lines[0] and "user=-" in lines[0] and "status=401" in lines[0]
    assert "Secret123" not in caplog.text and "nobody" not in lines[0]
