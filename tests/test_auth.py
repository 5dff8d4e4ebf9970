"""Signing in, the forced password change, signing out and throttling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from tests.conftest import sign_in
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.fixture()
def person(app: Flask) -> str:
    with app.app_context():
        make_user("1001", real_name="张三", phone="13800000001")
        db.session.commit()
    return "1001"


def test_pages_need_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sign_in_shows_home_with_name(client: FlaskClient, person: str) -> None:
    response = sign_in(client, person)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "张三，您好" in page


def test_sign_in_with_phone_number(client: FlaskClient, person: str) -> None:
    assert sign_in(client, "13800000001").status_code == 302


def test_wrong_password_is_refused_with_chinese_message(client: FlaskClient, person: str) -> None:
    response = sign_in(client, person, "wrong-password")
    assert response.status_code == 401
    assert "登录名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_user_gets_the_same_message(client: FlaskClient, person: str) -> None:
    response = sign_in(client, "nobody")
    assert response.status_code == 401
    assert "登录名或密码错误" in response.get_data(as_text=True)


def test_inactive_account_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user("gone", active=False)
        db.session.commit()
    response = sign_in(client, "gone")
    assert response.status_code == 401
    assert "已停用" in response.get_data(as_text=True)


def test_initial_password_forces_a_change_first(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user("new1", must_change=True, password="Init1234")
        db.session.commit()
    response = sign_in(client, "new1", "Init1234")
    assert "/password" in response.headers["Location"]
    # every other page sends the person back to the password form
    assert "/password" in client.get("/").headers["Location"]
    weak = client.post(
        "/password", data={"current": "Init1234", "new": "abc", "confirm": "abc"}
    ).get_data(as_text=True)
    assert "密码至少需要8位" in weak
    same = client.post(
        "/password", data={"current": "Init1234", "new": "Init1234", "confirm": "Init1234"}
    ).get_data(as_text=True)
    assert "新密码不能与当前密码相同" in same
    mismatch = client.post(
        "/password", data={"current": "Init1234", "new": "Better2024", "confirm": "Better2025"}
    ).get_data(as_text=True)
    assert "两次输入的新密码不一致" in mismatch
    ok = client.post(
        "/password", data={"current": "Init1234", "new": "Better2024", "confirm": "Better2024"}
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert sign_in(client, "new1", "Init1234").status_code == 401
    assert sign_in(client, "new1", "Better2024").status_code == 302


def test_wrong_current_password_does_not_change_it(client: FlaskClient, person: str) -> None:
    sign_in(client, person)
    page = client.post(
        "/password", data={"current": "nope", "new": "Better2024", "confirm": "Better2024"}
    ).get_data(as_text=True)
    assert "当前密码不正确" in page
    client.post("/logout")
    assert sign_in(client, person).status_code == 302


def test_sign_out(client: FlaskClient, person: str) -> None:
    sign_in(client, person)
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_next_only_goes_to_local_pages(client: FlaskClient, person: str) -> None:
    response = client.post(
        "/login",
        data={"username": person, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login", data={"username": person, "password": DEFAULT_PASSWORD, "next": "/password"}
    )
    assert response.headers["Location"] == "/password"


def test_account_is_locked_after_five_failures_even_for_the_right_password(
    client: FlaskClient, person: str
) -> None:
    clock.set_now(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    for _ in range(5):
        assert sign_in(client, person, "bad").status_code == 401
    locked = sign_in(client, person)  # the right password, but the account is locked
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    assert "15 分钟后再试" in locked.get_data(as_text=True)
    clock.advance(minutes=10)
    assert "5 分钟后再试" in sign_in(client, person).get_data(as_text=True)
    clock.advance(minutes=6)
    assert sign_in(client, person).status_code == 302


def test_failures_outside_the_window_do_not_add_up(client: FlaskClient, person: str) -> None:
    clock.set_now(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    for _ in range(4):
        sign_in(client, person, "bad")
    clock.advance(minutes=16)
    for _ in range(4):
        sign_in(client, person, "bad")
    assert sign_in(client, person).status_code == 302


def test_success_clears_the_account_counter(client: FlaskClient, person: str) -> None:
    for _ in range(4):
        sign_in(client, person, "bad")
    assert sign_in(client, person).status_code == 302
    client.post("/logout")
    for _ in range(4):
        sign_in(client, person, "bad")
    assert sign_in(client, person).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app: Flask, client: FlaskClient) -> None:
    app.config["QUIZ_LOGIN_MAX_FAILURES_ADDR"] = 6
    try:
        with app.app_context():
            make_user("victim")
            db.session.commit()
        for n in range(6):  # six different accounts, one failure each
            assert sign_in(client, f"guess{n}", "bad").status_code == 401
        response = sign_in(client, "victim")
        assert response.status_code == 429
        assert "登录失败次数过多" in response.get_data(as_text=True)
        # another address is not affected
        other = app.test_client()
        response = other.post(
            "/login",
            data={"username": "victim", "password": DEFAULT_PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        )
        assert response.status_code == 302
    finally:
        app.config["QUIZ_LOGIN_MAX_FAILURES_ADDR"] = 30


def test_forms_need_the_csrf_token_when_enabled(app: Flask, person: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = sign_in(client, person)
        assert response.status_code == 400  # no token: not signed in
        page = client.get("/login").get_data(as_text=True)
        assert 'name="csrf_token"' in page
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
