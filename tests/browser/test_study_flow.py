"""An employee on a phone studies an article of a 专题 to completion: the heartbeat runs while
they read and scroll, the end of the article comes into view, and the page says 已完成. The live
server's heartbeat is shortened through its config so the test takes seconds, not minutes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"
PARAGRAPH = (
    "国家秘密是关系国家安全和利益，依照法定程序确定，在一定时间内只限一定范围的人员知悉的事项。"
    "（《中华人民共和国保守国家秘密法》2024年修订，第二条）"
)


@pytest.fixture()
def quick_heartbeat(live_server: Any) -> Iterator[None]:
    config = live_server.app.config
    saved = {
        k: config[k]
        for k in (
            "QUIZ_STUDY_HEARTBEAT_SECONDS",
            "QUIZ_STUDY_SLACK_SECONDS",
            "QUIZ_STUDY_IDLE_SECONDS",
        )
    }
    config.update(
        QUIZ_STUDY_HEARTBEAT_SECONDS=1, QUIZ_STUDY_SLACK_SECONDS=1, QUIZ_STUDY_IDLE_SECONDS=5
    )
    yield
    config.update(saved)


def seed_track(seed: Callable[[], Any]) -> tuple[int, int]:
    from quiz_app.extensions import db
    from tests import factories
    from tests.study_helpers import make_material, make_track

    with seed():
        branch = factories.make_branch(name="保密学习处")
        factories.make_user("st_emp", real_name="周学习", branch=branch)
        track = make_track([branch], title="保密法学习专题")
        body = "## 第一章 总则\n\n" + "\n\n".join(f"{n}. {PARAGRAPH}" for n in range(1, 16))
        article = make_material(track, min_seconds=3, title="保密法总则导读", body=body)
        make_material(
            track,
            kind="link",
            min_seconds=0,
            title="本局保密制度（内网）",
            url="http://oa.example.internal/x",
        )
        db.session.flush()
        return track.id, article.id


def test_employee_studies_an_article_to_completion(
    page: Any, seed, axe_check, quick_heartbeat
) -> None:  # type: ignore[no-untyped-def]
    track_id, article_id = seed_track(seed)
    sign_in(page, "st_emp", PASSWORD)
    page.goto("/study/")
    page.get_by_role("link", name="保密法学习专题").first.click()
    expect(page.get_by_role("heading", name="保密法学习专题")).to_be_visible()
    expect(page.get_by_text("完成 0/2 项")).to_be_visible()
    axe_check(page, "track page")

    page.get_by_role("link", name="保密法总则导读").click()
    status = page.locator("#study [data-role=status]")
    expect(status).to_contain_text("要求 3 秒")
    axe_check(page, "article page")
    end = page.locator("#study-end")
    # read slowly: scroll a little at a time (each scroll is the activity the heartbeat needs)
    for _ in range(60):
        if end.is_visible() and end.bounding_box() and end.bounding_box()["y"] < 667:
            break
        page.mouse.wheel(0, 250)
        time.sleep(0.3)
    end.scroll_into_view_if_needed()
    for _ in range(20):  # keep "reading" until the server has credited the time
        if "已完成" in status.inner_text():
            break
        page.mouse.wheel(0, -20)
        page.mouse.wheel(0, 20)
        time.sleep(0.5)
    expect(status).to_have_text("已完成", timeout=10_000)
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "study_article_done")

    page.get_by_role("link", name="返回专题").click()
    expect(page).to_have_url(f"{page.url.split('/study/')[0]}/study/tracks/{track_id}")
    expect(page.get_by_text("完成 1/2 项")).to_be_visible()
    row = page.get_by_role("listitem").filter(has_text="保密法总则导读")
    expect(row.get_by_text("已完成")).to_be_visible()
    shot(page, "study_track")
    with seed():
        from quiz_app.extensions import db
        from quiz_app.models.study import StudyProgress

        row = db.session.scalars(
            db.select(StudyProgress).where(StudyProgress.material_id == article_id)
        ).one()
        assert row.end_seen and row.completed_at is not None and row.seconds == 3
