"""What a phone downloads: the quiz page with everything it loads must stay under 100 KB.

Measured with the browser's cache off, as bytes on the wire (headers included) from DevTools'
Network.loadingFinished events, for the sign-in, home, quiz and result pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_quiz_flows import seed_quiz

QUIZ_PAGE_BUDGET = 100 * 1024

pytestmark = pytest.mark.browser


def transferred(page: Any, load: Callable[[], None]) -> tuple[int, dict[str, int]]:
    """Bytes received while ``load()`` runs and the page settles, and by URL (path)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    load()
    page.wait_for_load_state("networkidle")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.detach()
    by_url: dict[str, int] = {}
    for request_id, size in sizes.items():
        if request_id in urls:  # not a straggler from the page before
            path = urlsplit(urls[request_id]).path
            by_url[path] = by_url.get(path, 0) + size
    return sum(by_url.values()), by_url


def test_page_weight(page: Any, seed: Callable[[], Any]) -> None:
    s = seed_quiz(
        seed,
        username="wangwu",
        sections=(("single", 3, "1"), ("multiple", 3, "2"), ("judge", 3, "1"), ("blank", 3, "2")),
        time_limit_seconds=600,
        branch_name="人事科",
        real_name="王武",
    )
    figures: dict[str, int] = {}
    details: dict[str, dict[str, int]] = {}
    figures["sign-in"], details["sign-in"] = transferred(page, lambda: page.goto("/login"))
    sign_in(page, s.username, "Passw0rd2024")
    figures["home"], details["home"] = transferred(page, lambda: page.goto("/"))
    page.get_by_role("link", name=re.compile(s.quiz_title)).click()
    page.get_by_role("button", name="开始答题").click()
    expect(page.locator(".qnum")).to_have_text("第 1 / 12 题")
    attempt_url = page.url

    def open_quiz() -> None:
        page.goto(attempt_url)
        expect(page.locator(".qnum")).to_have_text("第 1 / 12 题")

    figures["quiz"], details["quiz"] = transferred(page, open_quiz)
    page.locator(".qbar").get_by_role("button", name="交卷").tap()
    page.get_by_role("button", name="确认交卷").tap()
    page.wait_for_url("**/my/results/*")
    figures["result"], details["result"] = transferred(page, lambda: page.goto(page.url))

    for name, size in figures.items():
        print(f"page weight {name}: {size / 1024:.1f} KB transferred ({size} bytes)")
        for path, n in sorted(details[name].items()):
            print(f"    {n:>7}  {path}")
    quiz_paths = details["quiz"]
    assert "/static/js/quiz.js" in quiz_paths
    assert any(p.startswith("/api/v1/attempts/") for p in quiz_paths)
    assert figures["quiz"] < QUIZ_PAGE_BUDGET, f"quiz page is {figures['quiz']} bytes"
