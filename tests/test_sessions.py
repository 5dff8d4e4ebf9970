"""Sessions that end: signing out, a password change, an admin reset, 记住我 and idle expiry,
API tokens listed and revoked; the sign-in counter per account under concurrent guesses."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import AuditEntry, SignInSession, User
from quiz_app.services import accounts
from tests.conftest import DEFAULT_PASSWORD, sign_in
from tests.factories import make_user

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture()
def person(app: Flask) -> str:
    clock.set_now(T0)
    with app.app_context():
        make_user("zhang", real_name="张三", phone="13900000001")
        make_user("boss", roles=["admin"])
        db.session.commit()
    return "zhang"


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def _token(client: FlaskClient, username: str = "zhang", label: str = "") -> str:
    response = client.post(
        "/api/v1/tokens",
        json={"username": username, "password": DEFAULT_PASSWORD, "label": label},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_signing_out_ends_the_session_on_the_server(app: Flask, person: str) -> None:
    client = app.test_client()
    sign_in(client, person)
    stolen = _cookie(client)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not _signed_in(thief)  # the old cookie no longer opens anything


def test_a_password_change_ends_every_other_session_and_token(app: Flask, person: str) -> None:
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, person)
    sign_in(laptop, person)
    token = _token(app.test_client())
    response = laptop.post(
        "/password",
        data={"current": DEFAULT_PASSWORD, "new": "Changed2026", "confirm": "Changed2026"},
    )
    assert response.status_code == 302
    assert _signed_in(laptop)  # the device that changed it stays in
    assert not _signed_in(phone)
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "password.changed")
        )
        assert entry is not None and "张三" in entry.summary


def test_an_admin_reset_ends_all_sessions(app: Flask, person: str) -> None:
    phone = app.test_client()
    sign_in(phone, person)
    admin = app.test_client()
    sign_in(admin, "boss")
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == person))
    assert admin.post(f"/admin/users/{user_id}/reset-password").status_code == 200
    assert not _signed_in(phone)


def test_a_browser_session_ends_after_idle_hours_but_remember_me_lasts(
    app: Flask, person: str
) -> None:
    plain, remembered = app.test_client(), app.test_client()
    sign_in(plain, person)
    remembered.post(
        "/login", data={"username": person, "password": DEFAULT_PASSWORD, "remember": "y"}
    )
    # 记住我 sets a cookie that outlives the browser; a plain sign-in's cookie does not.
    assert remembered.get_cookie("session").expires is not None  # type: ignore[union-attr]
    assert plain.get_cookie("session").expires is None  # type: ignore[union-attr]
    clock.set_now(T0 + timedelta(hours=13))
    assert not _signed_in(plain)
    assert _signed_in(remembered)
    # Used now and then, it keeps going (a page that only reads renews it too: day 25 carries
    # it past day 30); unused for longer than 30 days, it ends.
    clock.set_now(T0 + timedelta(days=25))
    assert _signed_in(remembered)
    clock.set_now(T0 + timedelta(days=25 + 29))
    assert _signed_in(remembered)
    clock.set_now(T0 + timedelta(days=25 + 29 + 31))
    assert not _signed_in(remembered)


def test_tokens_are_listed_and_revoked_by_their_owner_or_an_admin(app: Flask, person: str) -> None:
    client = app.test_client()
    first, second = _token(client, label="OA 系统"), _token(client)
    auth = {"Authorization": f"Bearer {first}"}
    listed = client.get("/api/v1/tokens", headers=auth).get_json()["tokens"]
    assert len(listed) == 2 and {t["label"] for t in listed} >= {"OA 系统"}
    assert all("token" not in t for t in listed)  # the secret is never shown again
    expires = datetime.fromisoformat(listed[0]["expires_at"])
    assert expires - T0 == timedelta(days=7)  # QUIZ_TOKEN_DAYS: phones that sign in daily
    other_id = next(t["id"] for t in listed if t["label"] != "OA 系统")
    # Someone else cannot end it (and cannot learn that it exists).
    with app.app_context():
        make_user("li")
        db.session.commit()
    li = _token(client, "li")
    refused = client.delete(f"/api/v1/tokens/{other_id}", headers={"Authorization": f"Bearer {li}"})
    assert refused.status_code == 404
    assert client.delete(f"/api/v1/tokens/{other_id}", headers=auth).status_code == 204
    gone = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})
    assert gone.status_code == 401
    admin_token = _token(client, "boss")
    first_id = next(t["id"] for t in listed if t["label"] == "OA 系统")
    assert (
        client.delete(
            f"/api/v1/tokens/{first_id}", headers={"Authorization": f"Bearer {admin_token}"}
        ).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_the_devices_page_ends_one_session(app: Flask, person: str) -> None:
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, person)
    sign_in(laptop, person)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "本设备" in page and page.count("session-row") == 2
    with app.app_context():
        rows = db.session.scalars(sa.select(SignInSession).order_by(SignInSession.id)).all()
        phone_row = rows[0].id
    assert laptop.post(f"/account/sessions/{phone_row}/revoke").status_code == 302
    assert not _signed_in(phone) and _signed_in(laptop)


def test_the_lock_belongs_to_the_account_whatever_name_is_typed(app: Flask, person: str) -> None:
    client = app.test_client()
    for name in ("zhang", "13900000001", "ZHANG", "13900000001"):
        assert sign_in(client, name, "wrong-one").status_code == 401
    fifth = sign_in(client, "zhang", "wrong-one")
    assert "锁定" in fifth.get_data(as_text=True)
    assert sign_in(client, "13900000001").status_code == 429  # right password, still locked


def test_wrong_guesses_say_how_many_tries_are_left(app: Flask, person: str) -> None:
    client = app.test_client()
    first = client.post("/login", data={"username": person, "password": "nope"})
    assert "还可尝试 4 次" in first.get_data(as_text=True)
    unknown = client.post("/login", data={"username": "nobody", "password": "nope"})
    assert "登录名或密码错误，还可尝试 4 次" in unknown.get_data(as_text=True)


def test_an_unknown_name_costs_a_password_check_too(
    app: Flask, person: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts.verify_password

    def counting(stored: str, password: str) -> tuple[bool, bool]:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    client = app.test_client()
    assert sign_in(client, "nobody", "x").status_code == 401
    assert sign_in(client, person, "x").status_code == 401
    # Both ran one hash check, of the same method: the timing does not tell who exists.
    assert len(checked) == 2 and checked[0].split("$")[0] == checked[1].split("$")[0]


def test_concurrent_wrong_guesses_cannot_pass_the_limit(
    app: Flask, person: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = app.extensions["quiz_admission"]  # admission control would turn some away with 503
    monkeypatch.setattr(gate, "limit", -1)
    monkeypatch.setattr(gate, "_slots", None)
    n = 12
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def guess() -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post("/api/v1/tokens", json={"username": person, "password": "guess-123"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [401] * 5 + [429] * (n - 5)
    assert (
        app.test_client()
        .post("/api/v1/tokens", json={"username": person, "password": DEFAULT_PASSWORD})
        .status_code
        == 429
    )


def test_passwords_are_hashed_with_argon2id_and_old_hashes_upgraded(
    app: Flask, person: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "HASH_METHOD", "argon2id")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == person))
        assert user is not None and user.password_hash.startswith("pbkdf2:")  # the tests' cheap one
    assert sign_in(app.test_client(), person).status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == person))
        assert user is not None and user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert sign_in(app.test_client(), person).status_code == 302  # and the new hash verifies


def test_a_deactivated_account_says_so_only_after_the_right_password(
    app: Flask, person: str
) -> None:
    with app.app_context():
        make_user("gone", active=False)
        db.session.commit()
    client = app.test_client()
    assert "停用" not in sign_in(client, "gone", "wrong").get_data(as_text=True)
    assert "停用" in sign_in(client, "gone").get_data(as_text=True)


def test_a_new_password_mismatch_keeps_the_current_one(app: Flask, person: str) -> None:
    client = app.test_client()
    sign_in(client, person)
    page = client.post(
        "/password",
        data={"current": DEFAULT_PASSWORD, "new": "Changed2026", "confirm": "Changed2027"},
    ).get_data(as_text=True)
    assert "两次输入的新密码不一致" in page
    assert f'value="{DEFAULT_PASSWORD}"' in page and 'value="Changed2026"' not in page
