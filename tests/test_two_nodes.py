"""Two app nodes on two ports, one database: a participant served by both, alternately, in the
middle of an attempt, loses nothing.

Each node is its own process (its own app, engine, pool and caches), as behind a load balancer;
they share only the database and the secret key. Runs on SQLite and on PostgreSQL, whichever the
suite runs on. The phone's token comes from one node and its saves alternate between both; a
browser's session cookie and CSRF token from one node are accepted by the other; a stale save
that reaches the other node late never overwrites the newer answer.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, QuizResult
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import make_bank, make_campaign, make_quiz, make_user

ROOT = Path(__file__).resolve().parents[1]
SERVE = """
import sys
from werkzeug.serving import run_simple
from quiz_app import create_app
from quiz_app.services import accounts
accounts.HASH_METHOD = "pbkdf2:sha256:1000"
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
run_simple("127.0.0.1", int(sys.argv[2]), app, threaded=True)
"""
RIGHT = {"single": "B", "multiple": ["A", "C"], "judge": True, "blank": ["甲", "乙"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nodes(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    tmp_path = tmp_path_factory.mktemp("nodes")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {
        **os.environ,
        "QUIZ_SECRET_KEY": "shared-by-every-node",
        "QUIZ_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("QUIZ_ENV", None)
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SERVE, url, str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base in bases:
            for _ in range(300):
                try:
                    with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            else:
                pytest.fail(f"{base} did not become ready")
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)


class Caller:
    """A phone or a browser: JSON over HTTP with its own cookies."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.headers: dict[str, str] = {}

    def call(self, method: str, url: str, body: Any = None, form: bool = False) -> tuple[int, Any]:
        data, headers = None, dict(self.headers)
        if body is not None and form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as r:
                raw = r.read().decode()
                status = r.status
        except urllib.error.HTTPError as err:
            raw, status = err.read().decode(), err.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw


@pytest.fixture()
def quiz_id(app: Flask) -> int:
    with app.app_context():
        quiz = make_quiz(make_campaign(), make_bank(per_type=3), time_limit_seconds=1800)
        make_user("phone")
        make_user("browser")
        db.session.commit()
        return quiz.id


def _take_alternately(
    caller: Caller, nodes: list[str], quiz_id: int
) -> tuple[int, dict[int, tuple[Any, int]]]:
    """Start on one node, save every question on alternating nodes (each twice, the second a
    change), send one stale save late to the other node, submit; returns what was acknowledged."""
    status, paper = caller.call("POST", f"{nodes[1]}/api/v1/quizzes/{quiz_id}/attempts")
    assert status == 201, paper
    attempt_id = paper["id"]
    status, again = caller.call("POST", f"{nodes[0]}/api/v1/quizzes/{quiz_id}/attempts")
    assert (status, again["id"]) == (200, attempt_id)  # the other node finds the same attempt
    acknowledged: dict[int, tuple[Any, int]] = {}
    seq = 0
    for round_ in range(2):
        for q in paper["questions"]:
            seq += 1
            answer = RIGHT[q["type"]] if round_ else _wrong(q)
            node = nodes[seq % 2]
            url = f"{node}/api/v1/attempts/{attempt_id}/answers/{q['id']}"
            status, saved = caller.call("PUT", url, {"answer": answer, "seq": seq})
            assert status == 200 and saved["applied"], saved
            acknowledged[q["id"]] = (saved["answer"], seq)
    first = paper["questions"][0]
    stale_url = f"{nodes[(seq + 1) % 2]}/api/v1/attempts/{attempt_id}/answers/{first['id']}"
    status, stale = caller.call("PUT", stale_url, {"answer": _wrong(first), "seq": 1})
    assert status == 200 and not stale["applied"]
    assert stale["answer"] == acknowledged[first["id"]][0]  # the newer answer stands
    status, shown = caller.call("GET", f"{nodes[1]}/api/v1/attempts/{attempt_id}")
    assert status == 200 and shown["last_seq"] == seq
    assert {int(k): v for k, v in shown["answers"].items()} == {
        q: a for q, (a, _) in acknowledged.items()
    }
    status, result = caller.call("POST", f"{nodes[0]}/api/v1/attempts/{attempt_id}/submit")
    assert status == 200 and result["status"] == "submitted", result
    assert Decimal(result["result"]["score"]) == Decimal("12")
    status, _ = caller.call("PUT", stale_url, {"answer": _wrong(first), "seq": seq + 1})
    assert status == 409  # final on every node
    return attempt_id, acknowledged


def _wrong(q: dict[str, Any]) -> Any:
    return {"single": "A", "multiple": ["B"], "judge": False}.get(q["type"], ["x", "y"])


def _check_stored(app: Flask, attempt_id: int, acknowledged: dict[int, tuple[Any, int]]) -> None:
    with app.app_context():
        items = db.session.scalars(
            sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
        ).all()
        assert {i.question_id: (i.answer, i.answer_seq) for i in items} == acknowledged
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None and attempt.score == Decimal("12")
        stored = db.session.scalar(
            sa.select(QuizResult.score).where(QuizResult.attempt_id == attempt_id)
        )
        assert stored == Decimal("12")


def test_a_phone_served_by_two_nodes_alternately_loses_nothing(
    app: Flask, nodes: list[str], quiz_id: int
) -> None:
    phone = Caller()
    status, token = phone.call(
        "POST", f"{nodes[0]}/api/v1/tokens", {"username": "phone", "password": DEFAULT_PASSWORD}
    )
    assert status == 201, token
    phone.headers["Authorization"] = f"Bearer {token['token']}"
    attempt_id, acknowledged = _take_alternately(phone, nodes, quiz_id)
    _check_stored(app, attempt_id, acknowledged)


def test_a_browser_session_signed_in_on_one_node_works_on_the_other(
    app: Flask, nodes: list[str], quiz_id: int
) -> None:
    browser = Caller()
    status, page = browser.call("GET", f"{nodes[0]}/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert status == 200 and token is not None
    status, _ = browser.call(
        "POST",
        f"{nodes[0]}/login",
        {"csrf_token": token.group(1), "username": "browser", "password": DEFAULT_PASSWORD},
        form=True,
    )
    assert status == 200  # redirected to the home page, signed in
    browser.headers["X-CSRFToken"] = token.group(1)  # the page sends it with every change
    attempt_id, acknowledged = _take_alternately(browser, nodes, quiz_id)
    _check_stored(app, attempt_id, acknowledged)
