"""A leader reads a campaign's statistics on a phone (375×667): one card per branch with
参与率 · 得分率 · 未完成 N 人 that drills down when tapped, jump links to each section, the wide
tables kept for the desktop, and an item analysis of a 20-question quiz that reads at full width
with option bars, 正确/错误 for judge questions and the questions needing attention first.
The tap-target and font-size check (conftest.py) is enforced on these pages, as on every page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"
TITLE = "纪律教育月·党章党规知识测试"
QUIZ_TITLE = "党章党规测试（20题）"
BANK_CSV = Path(__file__).resolve().parents[2] / "question_banks" / "discipline.csv"
TAKE = {"单选": 8, "多选": 4, "判断": 5, "填空": 3}  # 20 questions from the sample bank


@dataclass
class Seeded:
    campaign_id: int
    quiz_id: int
    flagged_stem: str


def twenty_question_csv() -> bytes:
    """The sample bank's first 8 单选, 4 多选, 5 判断 and 3 填空 (sourced in SOURCES.md)."""
    rows = list(csv.reader(io.StringIO(BANK_CSV.read_text(encoding="utf-8-sig"))))
    left = dict(TAKE)
    keep = [rows[0]]
    for row in rows[1:]:
        if left.get(row[0], 0) > 0:
            left[row[0]] -= 1
            keep.append(row)
    out = io.StringIO()
    csv.writer(out).writerows(keep)
    return out.getvalue().encode("utf-8-sig")


def key_answer(rev: Any) -> Any:
    if rev.type == "single":
        return rev.answer[0]
    if rev.type == "multiple":
        return list(rev.answer)
    if rev.type == "judge":
        return list(rev.answer) == ["T"]
    return None  # 填空: left empty (counts wrong)


def wrong_answer(rev: Any) -> Any:
    if rev.type == "single":
        return next(k for k in "ABCD" if k != rev.answer[0])
    if rev.type == "multiple":
        return ["A"] if list(rev.answer) != ["A"] else ["B"]
    if rev.type == "judge":
        return list(rev.answer) != ["T"]
    return None


def seed_campaign(seed: Callable[[], Any]) -> Seeded:
    """第一分局: 综合科 8 people, 执法科 5, 法制科 3 (fewer than 5: its figures are cautioned).
    Everyone draws the same 20 questions; one 判断 is answered wrongly by almost everyone
    (a key set wrongly looks like this), so it is flagged and listed first."""
    from quiz_app import clock
    from quiz_app.extensions import db
    from quiz_app.models import QuestionRevision
    from quiz_app.services import attempts, banks
    from quiz_app.services.importing import parse_upload
    from tests import factories

    with seed():
        first = factories.make_branch(name="第一分局")
        kids = {
            n: factories.make_branch(name=n, parent=first) for n in ("综合科", "执法科", "法制科")
        }
        office = factories.make_branch(name="局领导办公室")
        factories.make_user(
            "lp_leader", real_name="马局长", branch=office, roles=["leader"], scope=first
        )
        people = []
        for branch, count in (("综合科", 8), ("执法科", 5), ("法制科", 3)):
            for i in range(count):
                people.append(
                    factories.make_user(
                        f"lp_{branch}_{i}", real_name=f"{branch[:2]}{i}号", branch=kids[branch]
                    )
                )
        result = parse_upload("discipline.csv", twenty_question_csv())
        assert result.ok, [e.message for e in result.errors]
        bank = banks.get_or_create_bank("党章党规与廉洁纪律", None)
        banks.apply_import(bank, result, banks.OnDuplicate.SKIP, None)
        now = clock.now()
        campaign = factories.make_campaign(
            [first],
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=4),
            title=TITLE,
        )
        quiz = factories.make_quiz(
            campaign,
            bank,
            sections=tuple(
                (t, n, "5") for t, n in (("single", 8), ("multiple", 4), ("judge", 5), ("blank", 3))
            ),
            time_limit_seconds=None,
            title=QUIZ_TITLE,
            pass_mark=Decimal(60),
        )
        flagged_stem, target = "", 0
        # 2 people of 综合科 and 1 of 执法科 never take part.
        takers = people[:6] + people[8:12] + people[13:]
        for p, user in enumerate(takers):
            started = now - timedelta(days=2, hours=p)
            attempt, _created = attempts.start_attempt(quiz, user, started)
            db.session.flush()
            for n, item in enumerate(sorted(attempt.items, key=lambda i: i.position)):
                rev = db.session.get(QuestionRevision, item.revision_id)
                assert rev is not None
                right = (p * 7 + n * 3) % 10 < 4 + p % 5
                if rev.type == "judge" and not flagged_stem:
                    flagged_stem, target = rev.stem, item.question_id
                if item.question_id == target:
                    right = p == 0
                answer = key_answer(rev) if right else wrong_answer(rev)
                if answer is None:
                    continue
                attempts.save_answer(
                    attempt.id,
                    user,
                    item.question_id,
                    answer,
                    n + 1,
                    started + timedelta(seconds=30 * (n + 1)),
                )
            attempts.submit(attempt.id, user, started + timedelta(minutes=12, seconds=p))
            user.last_login_at = started
        db.session.flush()
        return Seeded(campaign.id, quiz.id, flagged_stem)


def test_leader_reads_a_campaign_on_a_phone(
    page: Any,
    seed: Callable[[], Any],
    axe_check: Callable[..., Any],
    browser: Any,
    live_server: Any,
) -> None:
    s = seed_campaign(seed)
    sign_in(page, "lp_leader", PASSWORD)

    # The list: each campaign row carries its figures (13 of 16 finished).
    page.goto("/dashboard/")
    row = page.get_by_role("link", name=re.compile(TITLE))
    expect(row).to_contain_text(re.compile(r"参与率 81% · 得分率 \d+% · 未完成 3 人"))
    axe_check(page, "statistics list on a phone")
    shot(page, "40-leader-phone-list")

    # The campaign: jump links, one card per branch, no 12-column table on the phone.
    row.tap()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    jump = page.get_by_role("navigation", name="跳到")
    for name in ("各部门", "排名", "个人排行", "每日参与", "成绩分布", "知识点", "未完成"):
        expect(jump.get_by_role("link", name=name)).to_be_visible()
    expect(page.locator("table.dash-table")).to_be_hidden()
    cards = page.get_by_role("list", name="各部门卡片").get_by_role("listitem")
    expect(cards).to_have_count(3)
    texts = {c.locator(".bc-name").inner_text(): c.inner_text() for c in cards.all()}
    assert set(texts) == {"综合科", "执法科", "法制科"}, texts
    assert re.search(r"参与率 75\.0% · 得分率 [\d.]+% · 未完成 2 人", texts["综合科"]), texts
    assert re.search(r"参与率 80\.0% · 得分率 [\d.]+% · 未完成 1 人", texts["执法科"]), texts
    assert "未完成 0 人" in texts["法制科"] and "人数少于 5 人，仅供参考" in texts["法制科"]
    assert "仅供参考" not in texts["综合科"]
    # Plain words on the main screen: 收缩系数 k sits behind 说明.
    expect(page.get_by_label("收缩系数 k")).to_be_hidden()
    jump.get_by_role("link", name="各部门").tap()
    expect(page).to_have_url(re.compile(r"#branches$"))
    axe_check(page, "campaign on a phone")
    shot(page, "41-leader-phone-cards")

    # A jump link goes to its section; the chart labels are at least 14 px on the phone.
    jump.get_by_role("link", name="排名").tap()
    expect(page).to_have_url(re.compile(r"#ranking$"))
    sizes = page.locator("#ranking svg text").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 14, sizes
    people = page.get_by_role("list", name="个人排行").get_by_role("listitem")
    expect(people).to_have_count(13)  # everyone who handed in, as a list on the phone
    expect(people.first).to_contain_text(re.compile(r"\d+ 分 · 12:\d\d"))
    expect(page.get_by_label("个人排行表")).to_be_hidden()
    page.get_by_text("说明与排名设置", exact=True).tap()
    expect(page.get_by_label("收缩系数 k")).to_be_visible()

    # Tapping a card drills down to that branch.
    page.get_by_role("list", name="各部门卡片").get_by_role("link", name=re.compile("执法科")).tap()
    expect(page.get_by_text("范围：测试局/第一分局/执法科")).to_be_visible()
    expect(page.locator("#missing").get_by_role("heading")).to_have_text("尚未完成（1 人）")

    # Item analysis of the 20 questions: readable at full width, flagged first, 正确/错误.
    page.goto(f"/dashboard/quizzes/{s.quiz_id}/items")
    expect(page.get_by_role("heading", name=f"试题分析：{QUIZ_TITLE}")).to_be_visible()
    items = page.locator("li.item-card")
    expect(items).to_have_count(20)
    flags = items.evaluate_all("els => els.map(e => e.classList.contains('flagged'))")
    assert any(flags) and flags == sorted(flags, reverse=True), flags  # needs attention first
    first = page.locator("li.item-card.flagged").filter(has_text=s.flagged_stem)
    expect(first).to_have_count(1)
    expect(first.locator(".item-flag")).to_contain_text("需要检查")
    box = first.locator(".item-stem").bounding_box()
    assert box and box["width"] >= 300, box
    judge_texts = first.locator(".opt-text").all_inner_texts()
    assert [t.split()[0] for t in judge_texts] == ["正确", "错误"], judge_texts
    expect(first.locator(".key-mark")).to_have_count(1)
    expect(first.locator(".key-mark")).to_have_text("正确答案")
    judges = page.locator("li.item-card").filter(has=page.locator(".tag", has_text="判断"))
    expect(judges).to_have_count(5)
    opt_texts = judges.locator(".opt-text").all_inner_texts()
    assert len(opt_texts) == 10, opt_texts
    assert all(t.split()[0] in ("正确", "错误") for t in opt_texts), opt_texts  # never T / F
    kr20 = page.get_by_text(re.compile(r"^标准差 .* · 信度 KR-20"))
    expect(kr20).to_be_hidden()  # behind 说明
    expect(page.get_by_label("试题分析表")).to_be_hidden()  # the wide table is for the desktop
    axe_check(page, "item analysis on a phone")
    page.locator("#items-title").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 60)"
    )
    shot(page, "42-leader-phone-items")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 20 * 350, height  # ~320 px a question; the squeezed table took ~630
    page.get_by_text("说明（信度、区分度等指标）", exact=True).tap()
    expect(kr20).to_be_visible()

    # At 1280 px the full tables are back and the cards are gone (the same seeded campaign).
    desktop = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    try:
        wide = desktop.new_page()
        sign_in(wide, "lp_leader", PASSWORD)
        wide.goto(f"/dashboard/campaigns/{s.campaign_id}")
        expect(wide.locator("table.dash-table")).to_be_visible()
        expect(wide.get_by_role("list", name="各部门卡片")).to_be_hidden()
        wide.goto(f"/dashboard/quizzes/{s.quiz_id}/items")
        expect(wide.get_by_label("试题分析表")).to_be_visible()
    finally:
        desktop.close()
