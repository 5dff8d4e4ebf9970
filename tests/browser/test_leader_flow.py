"""A leader of one branch subtree on a phone: a campaign's statistics where some people finished
and some never signed in. The charts are drawn, the tables beside them say the same, and the
not-yet-finished list names exactly the right people; a branch outside the scope is refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"
CAMPAIGN_TITLE = "纪律教育学习月知识竞答"
QUIZ_TITLE = "党纪学习教育测试"
OTHER_TITLE = "第二分局安全生产知识竞答"


@dataclass
class Seeded:
    campaign_id: int
    other_campaign_id: int
    outside_branch_id: int


def answer_and_submit(
    quiz: Any, user: Any, started: datetime, right: int, submit: bool = True
) -> None:
    """Start an attempt at ``started``; answer the first ``right`` items correctly, the rest
    wrongly; hand in five minutes later (or leave it running)."""
    from quiz_app.extensions import db
    from quiz_app.models import Question
    from quiz_app.services import attempts

    attempt, created = attempts.start_attempt(quiz, user, started)
    assert created
    db.session.flush()
    for n, item in enumerate(sorted(attempt.items, key=lambda i: i.position)):
        kind = db.session.get(Question, item.question_id).type  # type: ignore[union-attr]
        good = n < right
        answer: Any = ("B" if good else "A") if kind == "single" else good
        attempts.save_answer(
            attempt.id, user, item.question_id, answer, n + 1, started + timedelta(minutes=n + 1)
        )
    if submit:
        attempts.submit(attempt.id, user, started + timedelta(minutes=5))
    user.last_login_at = started - timedelta(minutes=1)
    db.session.flush()


def seed_campaign(seed: Callable[[], Any]) -> Seeded:
    """第一分局 (综合科, 执法科) is the leader's; 第二分局 is in the campaign but not theirs.

    综合科: 王芳 20/20, 李强 5/20, 赵敏 never signed in.  执法科: 陈刚 15/20, 刘洋 started only.
    第二分局: 孙丽 never signed in, 周涛 20/20.  Quiz: 2 单选 + 2 判断, 5 points each, pass 12.
    """
    from quiz_app import clock
    from tests import factories

    with seed():
        first = factories.make_branch(name="第一分局")
        general = factories.make_branch(name="综合科", parent=first)
        enforce = factories.make_branch(name="执法科", parent=first)
        second = factories.make_branch(name="第二分局")
        office = factories.make_branch(name="局领导办公室")
        factories.make_user(
            "ld_leader", real_name="马局长", branch=office, roles=["leader"], scope=first
        )
        people = {
            name: factories.make_user(f"ld_{i}", real_name=name, branch=branch)
            for i, (name, branch) in enumerate(
                (
                    ("王芳", general),
                    ("李强", general),
                    ("赵敏", general),
                    ("陈刚", enforce),
                    ("刘洋", enforce),
                    ("孙丽", second),
                    ("周涛", second),
                )
            )
        }
        now = clock.now()
        bank = factories.make_bank("纪律教育题库", per_type=2)
        campaign = factories.make_campaign(
            [first, second],
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=4),
            title=CAMPAIGN_TITLE,
        )
        quiz = factories.make_quiz(
            campaign,
            bank,
            sections=(("single", 2, "5"), ("judge", 2, "5")),
            time_limit_seconds=None,
            title=QUIZ_TITLE,
            pass_mark=Decimal(12),
        )
        answer_and_submit(quiz, people["王芳"], now - timedelta(days=2), right=4)
        answer_and_submit(quiz, people["李强"], now - timedelta(days=1), right=1)
        answer_and_submit(quiz, people["陈刚"], now - timedelta(days=1, hours=2), right=3)
        answer_and_submit(quiz, people["刘洋"], now - timedelta(hours=3), right=2, submit=False)
        answer_and_submit(quiz, people["周涛"], now - timedelta(days=2), right=4)
        other = factories.make_campaign(
            [second],
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=4),
            title=OTHER_TITLE,
        )
        factories.make_quiz(other, bank, sections=(("single", 1, "5"),), title="安全生产测试")
        return Seeded(campaign.id, other.id, second.id)


def chart_numbers(page: Any, title: str) -> dict[str, str]:
    """Branch → text of a server-drawn horizontal bar chart, read from each bar's <title>."""
    figure = page.get_by_role("img", name=title)
    expect(figure).to_be_visible()
    texts = figure.locator("g > title").all_text_contents()
    return dict(t.split("：", 1) for t in texts)


def table_rows(table: Any) -> list[list[str]]:
    return [
        [c.strip() for c in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def scroll_below_topbar(locator: Any) -> None:
    """Scroll so the element starts just under the sticky top bar (for a screenshot)."""
    locator.evaluate(
        """e => {
            const bar = document.querySelector('.topbar');
            const top = e.getBoundingClientRect().top + window.scrollY;
            window.scrollTo({top: top - (bar ? bar.offsetHeight : 0) - 8, behavior: 'instant'});
        }"""
    )


def test_leader_sees_their_branches_figures(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    s = seed_campaign(seed)
    sign_in(page, "ld_leader", PASSWORD)

    # 统计 from the home page: only campaigns reaching the leader's branches are listed.
    page.get_by_role("link", name="统计").tap()
    expect(page.get_by_role("heading", name="统计")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(CAMPAIGN_TITLE))).to_be_visible()
    expect(page.get_by_text(OTHER_TITLE)).to_have_count(0)
    axe_check(page, "dashboard list")
    page.get_by_role("link", name=re.compile(CAMPAIGN_TITLE)).tap()
    expect(page.get_by_role("heading", name=CAMPAIGN_TITLE)).to_be_visible()
    expect(page.get_by_text("范围：测试局/第一分局")).to_be_visible()

    # The headline figures: 3 of 5 finished (孙丽 and 周涛 are outside the scope).
    kpis = page.get_by_role("region", name="总体情况")
    expect(kpis).to_contain_text("60.0%")
    expect(kpis).to_contain_text("已完成 3 / 应参与 5 人")
    expect(kpis).to_contain_text(re.compile(r"平均得分率.*66\.7%"))  # (20 + 5 + 15) / 60
    expect(kpis).to_contain_text(re.compile(r"及格率\s*66\.7%"))  # 王芳 and 陈刚 reach 12
    axe_check(page, "leader dashboard")
    shot(page, "09-leader-dashboard")

    # Branch table: each row includes its sub-branches; only 第一分局's tree is shown.
    branch_table = page.locator("table.dash-table")
    rows = {r[0]: r for r in table_rows(branch_table)}
    assert set(rows) == {"第一分局", "综合科", "执法科", "合计"}, rows
    assert rows["综合科"][1:5] == ["3", "2", "2", "66.7%"]
    assert rows["执法科"][1:5] == ["2", "2", "1", "50.0%"]
    assert rows["合计"][1:5] == ["5", "4", "3", "60.0%"]
    assert rows["综合科"][7] == "62.5%" and rows["执法科"][7] == "75.0%"

    # The ranking charts are drawn (bars of non-zero size) and say what the table beside says.
    ranking = page.locator("#ranking")
    for title in ("各部门参与率", "各部门平均得分率（原始）"):
        svg = ranking.get_by_role("img", name=title)
        bars = svg.locator("rect.bar")
        expect(bars).to_have_count(2)
        sizes = [b.bounding_box() for b in bars.all()]
        assert all(box and box["width"] > 0 and box["height"] > 0 for box in sizes), sizes
    ranking_rows = table_rows(ranking.locator("table"))
    by_name = {r[1]: r for r in ranking_rows}
    assert set(by_name) == {"综合科", "执法科"}
    part = chart_numbers(ranking, "各部门参与率")
    score = chart_numbers(ranking, "各部门平均得分率（原始）")
    assert part == {"综合科": "66.7%", "执法科": "50.0%"}
    assert score == {"综合科": "62.5%", "执法科": "75.0%"}
    for name, row in by_name.items():
        assert row[2] == part[name] and row[4] == score[name], (name, row)
    scroll_below_topbar(ranking.locator(".chart-pair"))
    axe_check(page, "ranking")
    shot(page, "10-leader-ranking")

    # The daily trend and the histogram are drawn too, and match their tables.
    trend = page.locator("#trend")
    trend_bars = trend.locator("svg rect.bar")
    heights = [b.bounding_box()["height"] for b in trend_bars.all()]  # type: ignore[index]
    assert heights and max(heights) > 0
    assert sum(int(r[1]) for r in table_rows(trend.locator("table"))) == 3
    dist = page.locator("#distribution")
    drawn = [int(t) for t in dist.locator("svg text.chart-value").all_text_contents()]
    counted = [int(r[2]) for r in table_rows(dist.locator("table")) if r[2] != "0"]
    assert sorted(drawn) == sorted(counted) and sum(counted) == 3

    # Individual ranking: only the leader's people, best first.
    leaders = [r[1] for r in table_rows(page.locator("#leaders table"))]
    assert leaders == ["王芳", "陈刚", "李强"]

    # Not yet finished: 赵敏 (never signed in) and 刘洋 (still answering) — nobody else.
    missing = page.locator("#missing")
    expect(missing.get_by_role("heading")).to_have_text("尚未完成（2 人）")
    names = {n for r in table_rows(missing.locator("table")) for n in r[2].split("、")}
    assert names == {"赵敏", "刘洋"}
    text = missing.get_by_label("未完成名单文字").input_value()
    assert "综合科（1 人）：赵敏" in text and "执法科（1 人）：刘洋" in text
    for absent in ("王芳", "李强", "陈刚", "孙丽", "周涛", "马局长"):
        assert absent not in text
        expect(missing.get_by_text(absent)).to_have_count(0)

    # A sub-branch of their own is fine; a branch outside the scope, or a campaign only for it,
    # is refused with the error page.
    page.get_by_role("link", name="综合科").first.tap()
    expect(page.get_by_text("范围：测试局/第一分局/综合科")).to_be_visible()
    expect(page.locator("#missing").get_by_role("heading")).to_have_text("尚未完成（1 人）")
    page.gates.allowed_errors.append("403")  # type: ignore[attr-defined]
    for url in (
        f"/dashboard/campaigns/{s.campaign_id}?branch={s.outside_branch_id}",
        f"/dashboard/campaigns/{s.other_campaign_id}",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
        expect(page.get_by_text("孙丽")).to_have_count(0)
    axe_check(page, "403 page")
