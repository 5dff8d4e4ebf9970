"""Admission control for signing in: a queue for the hash, beyond it a 503 with Retry-After, in Chinese;
the page retries by itself; other pages never wait behind it; Redis shares the limit by nodes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quiz_app.extensions import db
from quiz_app.web.admission import Gate
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import make_user


@pytest.fixture()
def gate(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Gate:
    gate: Gate = app.extensions["quiz_admission"]

    def limit(n: int) -> None:
        monkeypatch.setattr(gate, "limit", n)
        monkeypatch.setattr(gate, "_slots", threading.BoundedSemaphore(n) if n > 0 else None)

    gate.set_limit = limit  # type: ignore[attr-defined]
    return gate


@pytest.fixture()
def person(app: Flask) -> str:
    with app.app_context():
        make_user("zhang")
        db.session.commit()
    return "zhang"


def _assert_busy(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert 1 <= int(response.headers["Retry-After"]) <= 3
    body = response.get_json(silent=True)
    text = body["error"] if body else response.get_data(as_text=True)
    assert "登录的人较多" in text and "秒后再试" in text


def test_with_no_slot_a_token_request_gets_a_fast_503(
    client: FlaskClient, gate: Gate, person: str
) -> None:
    gate.set_limit(0)  # type: ignore[attr-defined]
    response = client.post("/api/v1/tokens", json={"username": person, "password": "x"})
    _assert_busy(response)
    assert response.get_json()["code"] == "busy"
    assert response.get_json()["retry_after"] == int(response.headers["Retry-After"])


def test_with_no_slot_the_sign_in_page_says_so_and_still_shows(
    client: FlaskClient, gate: Gate, person: str
) -> None:
    gate.set_limit(0)  # type: ignore[attr-defined]
    _assert_busy(client.post("/login", data={"username": person, "password": DEFAULT_PASSWORD}))
    page = client.get("/login")  # only the POST is guarded
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-signin" in html and "js/signin.js" in html


def test_one_slot_refuses_a_second_sign_in_while_the_first_runs(
    app: Flask, gate: Gate, person: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate.set_limit(1)  # type: ignore[attr-defined]
    inside, release = threading.Event(), threading.Event()
    from quiz_app.web import auth

    real_sign_in = auth.check_credentials

    def slow_sign_in(*args, **kwargs):  # type: ignore[no-untyped-def]
        inside.set()
        release.wait(30)
        return real_sign_in(*args, **kwargs)

    monkeypatch.setattr(auth, "check_credentials", slow_sign_in)
    outcome: dict[str, int] = {}

    def first() -> None:
        response = app.test_client().post(
            "/api/v1/tokens", json={"username": person, "password": DEFAULT_PASSWORD}
        )
        outcome["first"] = response.status_code

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(30)
    second = app.test_client().post(
        "/api/v1/tokens", json={"username": person, "password": DEFAULT_PASSWORD}
    )
    _assert_busy(second)
    # a person already answering is not held up by the sign-in in flight
    assert app.test_client().get("/healthz").status_code == 200
    release.set()
    thread.join(30)
    assert outcome["first"] == 201
    third = app.test_client().post(
        "/api/v1/tokens", json={"username": person, "password": DEFAULT_PASSWORD}
    )
    assert third.status_code == 201  # the slot was given back


def test_the_page_script_backs_off_with_jitter_and_no_inline_code() -> None:
    js = (Path(__file__).parents[1] / "quiz_app/static/js/signin.js").read_text()
    assert "Retry-After" in js and "Math.random()" in js and "503" in js


# --- Redis: one limit shared by every node -------------------------------------------------------


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    pytest.importorskip("redis")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_two_nodes_share_one_redis_limit(redis_url: str) -> None:
    node_a, node_b = Gate(5, 1, redis_url), Gate(5, 1, redis_url)
    with node_a.admitted() as a:
        assert a
        with node_b.admitted() as b:
            assert not b  # node A holds the only shared slot
    with node_b.admitted() as b:
        assert b  # given back when A finished


def test_without_redis_reachable_sign_in_still_works() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    pytest.importorskip("redis")
    gate = Gate(1, 1, f"redis://127.0.0.1:{port}/0")
    with gate.admitted() as ok:
        assert ok


@pytest.fixture()
def one_turn() -> Iterator[None]:
    """The machine-wide hashing queue gunicorn's master would make, with one turn."""
    from quiz_app.web import admission

    admission.share_between_workers(1)
    try:
        yield
    finally:
        admission._node_slots = None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork with threads (Python 3.12+)
def test_a_machine_wide_turn_is_shared_by_forked_workers(one_turn: None) -> None:
    """gunicorn's master makes the semaphore before forking: a turn taken in one worker process
    is missing in another, which waits for it rather than hashing alongside."""
    import multiprocessing

    gate = Gate(5, queue_seconds=0.2)
    ctx = multiprocessing.get_context("fork")
    held, release = ctx.Event(), ctx.Event()

    def worker() -> None:
        with gate.turn() as ok:
            assert ok
            held.set()
            release.wait(30)

    other = ctx.Process(target=worker)
    other.start()
    assert held.wait(30)
    with gate.turn() as ok:
        assert not ok  # the other worker holds the machine's only turn past our wait
    release.set()
    other.join(30)
    with gate.turn() as ok:
        assert ok


def _hold_the_turn(app: Flask, seconds: float) -> threading.Thread:
    gate: Gate = app.extensions["quiz_admission"]
    from quiz_app.web import admission

    gate._node = admission._node_slots  # the app was made before the fixture's semaphore
    taken = threading.Event()

    def hold() -> None:
        with gate.turn() as ok:
            assert ok
            taken.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    return thread


def test_a_sign_in_waits_for_its_turn_instead_of_being_refused(
    app: Flask, person: str, one_turn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.extensions["quiz_admission"], "queue_seconds", 10)
    holder = _hold_the_turn(app, 0.5)  # another sign-in is hashing
    started = time.monotonic()
    response = app.test_client().post(
        "/api/v1/tokens", json={"username": person, "password": DEFAULT_PASSWORD}
    )
    holder.join(10)
    assert response.status_code == 201  # waited in the queue, then signed in: no 503, no retry
    assert time.monotonic() - started >= 0.4


def test_no_turn_in_time_is_a_503_and_does_not_count_as_a_failed_try(
    app: Flask, person: str, one_turn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz_app.models import LoginFailure

    monkeypatch.setattr(app.extensions["quiz_admission"], "queue_seconds", 0.2)
    holder = _hold_the_turn(app, 1.0)
    response = app.test_client().post(
        "/login", data={"username": person, "password": "wrong-password"}
    )
    holder.join(10)
    _assert_busy(response)
    with app.app_context():
        assert db.session.query(LoginFailure).count() == 0  # the person keeps all five tries
    wrong = app.test_client().post(
        "/api/v1/tokens", json={"username": person, "password": "wrong-password"}
    )
    assert wrong.status_code == 401 and "还可尝试 4 次" in wrong.get_json()["error"]


def test_a_busy_queue_takes_back_only_its_own_try(
    app: Flask, person: str, one_turn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two wrong tries count; a third that never got a turn does not, and the lock still comes
    after exactly five checked tries."""
    for left in (4, 3):
        wrong = app.test_client().post(
            "/api/v1/tokens", json={"username": person, "password": "wrong-password"}
        )
        assert f"还可尝试 {left} 次" in wrong.get_json()["error"]
    monkeypatch.setattr(app.extensions["quiz_admission"], "queue_seconds", 0.2)
    holder = _hold_the_turn(app, 1.0)
    _assert_busy(
        app.test_client().post(
            "/api/v1/tokens", json={"username": person, "password": "wrong-password"}
        )
    )
    holder.join(10)
    for left in (2, 1):
        wrong = app.test_client().post(
            "/api/v1/tokens", json={"username": person, "password": "wrong-password"}
        )
        assert f"还可尝试 {left} 次" in wrong.get_json()["error"]
    last = app.test_client().post(
        "/api/v1/tokens", json={"username": person, "password": "wrong-password"}
    )
    assert last.status_code == 401 and "已暂时锁定" in last.get_json()["error"]
    right = app.test_client().post(
        "/api/v1/tokens", json={"username": person, "password": DEFAULT_PASSWORD}
    )
    assert right.status_code == 429  # locked, even with the right password


def test_a_locked_account_is_told_at_once_even_while_the_queue_is_full(
    app: Flask, person: str, one_turn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock needs no password hash, so it does not wait behind other people's sign-ins: the
    person reads how long the lock lasts instead of "busy, retrying"."""
    for _ in range(5):
        app.test_client().post(
            "/api/v1/tokens", json={"username": person, "password": "wrong-password"}
        )
    monkeypatch.setattr(app.extensions["quiz_admission"], "queue_seconds", 5)
    holder = _hold_the_turn(app, 2.0)
    started = time.monotonic()
    locked = app.test_client().post(
        "/login", data={"username": person, "password": DEFAULT_PASSWORD}
    )
    waited = time.monotonic() - started
    holder.join(10)
    assert locked.status_code == 429
    assert "已暂时锁定" in locked.get_data(as_text=True)
    assert waited < 1.5  # did not queue for the turn the holder keeps for 2 s
