"""At 9:00 the server answers some sign-ins with 503: the sign-in page says so and retries by
itself, and the person lands on the home page without pressing 登录 again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.browser


def test_a_busy_server_is_retried_by_the_page_until_it_signs_in(
    page: Any, seed: Callable[[], Any], live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with seed():
        factories.make_user("qianqi", real_name="钱七")
    gate = live_server.app.extensions["quiz_admission"]
    monkeypatch.setattr(gate, "limit", 0)  # every sign-in refused: 503 + Retry-After
    page.gates.allowed_errors.append("503")  # Chromium logs each refused fetch
    page.goto("/login")
    page.get_by_label("登录名").fill("qianqi")
    page.get_by_label("密码", exact=True).fill(factories.DEFAULT_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("status")).to_contain_text("登录的人较多，正在排队")
    expect(page.get_by_role("button", name="登录")).to_be_disabled()  # no double sending
    with page.expect_navigation(timeout=30_000):
        monkeypatch.setattr(gate, "limit", 2)  # a slot frees up; the next retry gets in
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("钱七")).to_be_visible()
