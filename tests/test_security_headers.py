"""Headers that keep personal data out of caches and pin HTTPS in production (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app.extensions import db
from tests.conftest import sign_in
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.fixture()
def person(app: Flask) -> Iterator[int]:
    with app.app_context():
        user = make_user("hdr1")
        db.session.commit()
        yield user.id


def test_every_api_response_is_no_store(client: FlaskClient, person: int) -> None:
    token = client.post("/api/v1/tokens", json={"username": "hdr1", "password": DEFAULT_PASSWORD})
    assert token.status_code == 201 and token.headers["Cache-Control"] == "no-store"
    auth = {"Authorization": f"Bearer {token.get_json()['token']}"}
    for response in (
        client.get("/api/v1/me", headers=auth),
        client.get("/api/v1/quizzes", headers=auth),
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/nowhere"),  # 404
        client.post("/api/v1/tokens", json={"username": "hdr1", "password": "wrong"}),
        client.get("/api/v1/openapi.json"),
    ):
        assert response.headers.get("Cache-Control") == "no-store", response.request.path


def test_signed_in_pages_are_no_store_and_public_ones_may_cache(
    client: FlaskClient, person: int
) -> None:
    login = client.get("/login")
    assert login.status_code == 200 and "no-store" not in login.headers.get("Cache-Control", "")
    sign_in(client, "hdr1")
    for url in ("/", "/practice/"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_the_initial_password_page_is_no_store(admin_client: FlaskClient, person: int) -> None:
    response = admin_client.post(f"/admin/users/{person}/reset-password")
    assert response.status_code == 200 and "密码已重置" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_only_in_production(app: Flask, client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["QUIZ_ENV"] = "production"
    try:
        hsts = client.get("/login").headers.get("Strict-Transport-Security", "")
    finally:
        app.config["QUIZ_ENV"] = "development"
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1]) >= 15552000


def test_a_form_without_its_csrf_token_gets_a_chinese_400_page(
    app: Flask, client: FlaskClient
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"username": "x", "password": "y"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "页面已过期（安全令牌失效）" in response.get_data(as_text=True)
