"""An employee on a phone: first sign-in, a quiz of every question type with the answer sheet, a
reload, a dead network, hand-in and review; and a quiz whose time runs out."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

INITIAL_PASSWORD = "Chushi2024"
NEW_PASSWORD = "Xinmima2025"

pytestmark = pytest.mark.browser


@dataclass
class Seeded:
    username: str
    quiz_id: int
    quiz_title: str


# A small bank that reads like the real thing, for the screenshots. Keys follow the factories'
# pattern (单选 B, 多选 A+C, 判断 正确) so the flows can answer without looking.
PARTY_BANK = (
    (
        "single",
        "党的最高领导机关是（　）。",
        (
            "中央政治局",
            "党的全国代表大会和它所产生的中央委员会",
            "中央书记处",
            "中央纪律检查委员会",
        ),
        ("B",),
        "党章第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。",
    ),
    (
        "single",
        "党员的党龄，从（　）之日算起。",
        (
            "递交入党申请书",
            "预备期满转为正式党员",
            "被确定为入党积极分子",
            "支部大会通过接收为预备党员",
        ),
        ("B",),
        "党章第七条：党员的党龄，从预备期满转为正式党员之日算起。",
    ),
    (
        "single",
        "预备党员的预备期为（　）。",
        ("半年", "一年", "两年", "三年"),
        ("B",),
        "党章第七条：预备党员的预备期为一年。",
    ),
    (
        "multiple",
        "下列属于党的纪律的有（　）。",
        ("政治纪律", "宣传纪律", "组织纪律", "财经纪律"),
        ("A", "C"),
        "党的纪律主要包括政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律。",
    ),
    (
        "judge",
        "党的基层组织是党在社会基层组织中的战斗堡垒，是党全部工作和战斗力的基础。",
        (),
        ("T",),
        "党章第五章对党的基层组织的定位即如此表述。",
    ),
    (
        "judge",
        "党员有权参加党的有关会议，阅读党的有关文件，接受党的教育和培训。",
        (),
        ("T",),
        "这是党章第四条规定的党员权利之一。",
    ),
    (
        "blank",
        "中国共产党党员必须全心全意为____服务，不惜牺牲个人的一切，为实现____奋斗终身。",
        (),
        (("人民",), ("共产主义",)),
        "党章第二条。",
    ),
    (
        "blank",
        "党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。",
        (),
        (("实事求是",),),
        "见党章总纲。",
    ),
)
BLANK_ANSWERS = {"中国共产党党员必须": ["人民", "共产主义"], "党的思想路线": ["实事求是"]}


def party_bank():  # type: ignore[no-untyped-def]
    from quiz_app.extensions import db
    from quiz_app.models import Question
    from quiz_app.services import banks
    from quiz_app.services.importing import QuestionData, QuestionType

    bank = banks.get_or_create_bank("党章党规学习题库")
    if db.session.scalar(sa.select(sa.func.count()).where(Question.bank_id == bank.id)):
        return bank  # seeded by an earlier test of this session
    for kind, stem, options, key, explanation in PARTY_BANK:
        blank = kind == "blank"
        data = QuestionData(
            QuestionType(kind),
            stem,
            options,
            () if blank else key,
            blanks=key if blank else (),
            explanation=explanation,
            categories=("党章",),
        )
        banks.add_question(bank, data, None)
    return bank


def seed_quiz(
    seed: Callable[[], Any],
    *,
    username: str,
    sections: tuple[tuple[str, int, str], ...],
    time_limit_seconds: int | None,
    must_change: bool = False,
    title: str = "第一轮：党章党规基础",
    branch_name: str = "综合办公室",
    real_name: str = "张晓明",
    realistic: bool = False,
    review_policy: str = "immediate",
    closes_at: Any = None,
    pass_mark: int | None = None,
) -> Seeded:
    """A person in a branch of their own, and an open quiz for that branch (review immediate)."""
    from tests import factories

    with seed():
        branch = factories.make_branch(name=branch_name)
        factories.make_user(
            username,
            real_name=real_name,
            branch=branch,
            password=INITIAL_PASSWORD if must_change else factories.DEFAULT_PASSWORD,
            must_change=must_change,
        )
        bank = party_bank() if realistic else factories.make_bank(per_type=3)
        campaign = factories.make_campaign(
            [branch], title="2025年“学党章 守党规”知识竞答", closes_at=closes_at
        )
        quiz = factories.make_quiz(
            campaign,
            bank,
            sections=sections,
            time_limit_seconds=time_limit_seconds,
            title=title,
            review_policy=review_policy,
            pass_mark=pass_mark,
        )
        return Seeded(username, quiz.id, quiz.title)


def attempt_items(seed: Callable[[], Any], attempt_id: int) -> dict[int, Any]:
    """position → (answer, flagged) as stored (option keys are not shuffled in these quizzes)."""
    from quiz_app.extensions import db
    from quiz_app.models import AttemptItem

    with seed():
        rows = db.session.scalars(
            sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
        ).all()
        return {r.position: (r.answer, r.flagged) for r in rows}


def attempt_row(seed: Callable[[], Any], attempt_id: int) -> tuple[str, float]:
    from quiz_app.extensions import db
    from quiz_app.models import Attempt

    with seed():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        return attempt.status, float(attempt.score or 0)


def start_quiz(page: Any, title: str) -> int:
    page.get_by_role("link", name=re.compile(re.escape(title))).click()
    page.get_by_role("button", name="开始答题").click()
    expect(page.locator(".qnum")).to_have_text(re.compile(r"第 1 / \d+ 题"))
    return int(page.locator("#quiz").get_attribute("data-attempt-id") or 0)


def saved(page: Any) -> None:
    expect(page.locator(".qz-save")).to_have_text("已保存")


def at(page: Any, n: int, total: int, kind: str) -> None:
    expect(page.locator(".qnum")).to_have_text(f"第 {n} / {total} 题")
    expect(page.locator(".qtype")).to_have_text(kind)


def option(page: Any, label: str) -> Any:
    """An option by its letter as shown ("B") or, for 判断, its words ("正确")."""
    if re.fullmatch("[A-H]", label):
        key = page.locator(".qz-key").get_by_text(label, exact=True)
        return page.locator("label.qz-opt").filter(has=key)
    return page.locator("label.qz-opt", has_text=label)


def pick(page: Any, label: str) -> None:
    option(page, label).tap()


def jump(page: Any, n: int) -> None:
    page.get_by_role("button", name="答题卡").tap()
    sheet = page.get_by_role("dialog", name="答题卡")
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name=re.compile(f"^第 {n} 题")).tap()
    expect(sheet).to_be_hidden()


def remaining_seconds(page: Any) -> int:
    text = page.locator(".qz-timer").inner_text()
    m = re.search(r"(\d+):(\d\d)$", text)
    assert m, text
    return int(m.group(1)) * 60 + int(m.group(2))


SECTIONS_ALL = (("single", 3, "1"), ("multiple", 1, "2"), ("judge", 2, "1"), ("blank", 2, "2"))


def test_employee_takes_a_quiz_on_a_phone(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    s = seed_quiz(
        seed,
        username="zhangxm",
        sections=SECTIONS_ALL,
        time_limit_seconds=900,
        must_change=True,
        realistic=True,
    )
    total = 8

    # First sign-in with the initial password: forced to choose a new one.
    page.goto("/login")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    axe_check(page, "sign-in")
    shot(page, "01-sign-in")
    sign_in(page, s.username, INITIAL_PASSWORD)
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    page.get_by_label("当前密码").fill(INITIAL_PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()

    # The home page is a to-do list: the open quiz first, with its action.
    expect(page.get_by_role("heading", name=re.compile("^待完成"))).to_be_visible()
    expect(page.locator(".quiz-card").first).to_contain_text("开始答题")
    expect(page.get_by_text(s.quiz_title)).to_be_visible()
    axe_check(page, "home")
    shot(page, "02-home")

    attempt_id = start_quiz(page, s.quiz_title)

    # 1 单选 (right), then the answer sheet to 4 多选 (right).
    at(page, 1, total, "单选")
    expect(page.locator(".qpts")).to_have_text("1 分")
    expect(page.locator(".qz-timer")).to_have_text(re.compile(r"剩余 1[45]:\d\d"))
    pick(page, "B")
    expect(option(page, "B").locator("input")).to_be_checked()
    saved(page)
    jump(page, 4)
    at(page, 4, total, "多选")
    expect(page.locator("#qz-head")).to_be_focused()
    pick(page, "A")
    pick(page, "C")
    saved(page)
    axe_check(page, "quiz")
    shot(page, "03-quiz")

    # 5 判断 (right), 6 判断 (wrong), 7 填空 (right) with the buttons at the bottom.
    page.get_by_role("button", name="下一题").tap()
    at(page, 5, total, "判断")
    pick(page, "正确")
    page.get_by_role("button", name="下一题").tap()
    at(page, 6, total, "判断")
    pick(page, "错误")
    page.get_by_role("button", name="☆ 标记待查").tap()  # unsure: look again later
    page.get_by_role("button", name="下一题").tap()
    at(page, 7, total, "填空")
    stem = page.locator(".qz-stem").inner_text()
    words = next(w for start, w in BLANK_ANSWERS.items() if stem.startswith(start))
    for i, word in enumerate(words, 1):
        page.get_by_label(f"第{i}空").fill(word)
    saved(page)  # debounced, then sent

    # The answer sheet: 1, 4, 5, 6, 7 answered, 6 flagged; then flag 3 too.
    page.get_by_role("button", name="答题卡").tap()
    sheet = page.get_by_role("dialog", name="答题卡")
    expect(sheet.get_by_text("已答 5 题 · 未答 3 题 · 标记 1 题")).to_be_visible()
    expect(sheet.get_by_role("button", name="第 7 题，已作答")).to_be_focused()
    axe_check(page, "answer sheet")
    shot(page, "04-answer-sheet")
    sheet.get_by_role("button", name="第 3 题，未作答").tap()
    at(page, 3, total, "单选")
    page.get_by_role("button", name="☆ 标记待查").tap()
    expect(page.get_by_role("button", name="★ 已标记待查")).to_have_attribute(
        "aria-pressed", "true"
    )
    saved(page)

    stored = attempt_items(seed, attempt_id)
    assert stored[1] == ("B", False)
    assert stored[4] == (["A", "C"], False)
    assert stored[5] == (True, False)
    assert stored[6] == (False, True)
    assert stored[7][0] == words
    assert stored[3] == (None, True)

    # Reload mid-quiz: same question, answers and flag intact, the clock carries on.
    before, t0 = remaining_seconds(page), time.monotonic()
    page.reload()
    at(page, 3, total, "单选")
    expect(page.get_by_role("button", name="★ 已标记待查")).to_be_visible()
    after = remaining_seconds(page)
    assert abs((before - (time.monotonic() - t0)) - after) <= 2, (before, after)
    jump(page, 1)
    expect(option(page, "B").locator("input")).to_be_checked()
    jump(page, 4)
    for key, on in (("A", True), ("B", False), ("C", True), ("D", False)):
        box = option(page, key).locator("input")
        (expect(box).to_be_checked if on else expect(box).not_to_be_checked)()
    jump(page, 7)
    for i, word in enumerate(words, 1):
        expect(page.get_by_label(f"第{i}空")).to_have_value(word)

    # The network drops: two more answers wait on the phone, then go out when it returns.
    page.context.set_offline(True)
    jump(page, 2)
    pick(page, "C")
    expect(page.locator(".qz-save")).to_have_text("离线，将自动重试")
    page.get_by_role("button", name="下一题").tap()
    at(page, 3, total, "单选")
    pick(page, "B")
    expect(page.locator(".qz-save")).to_have_text("离线，将自动重试")
    time.sleep(0.5)
    assert attempt_items(seed, attempt_id)[2] == (None, False)
    page.context.set_offline(False)
    saved(page)
    stored = attempt_items(seed, attempt_id)
    assert stored[2] == ("C", False)
    assert stored[3] == ("B", True)

    # Hand in: warned about the one unanswered and the flagged question.
    page.locator(".qbar").get_by_role("button", name="交卷").tap()
    confirm = page.get_by_role("alertdialog", name="确认交卷？")
    expect(confirm).to_contain_text("还有 1 题未作答。")
    expect(confirm).to_contain_text("有 2 题标记待查。")
    expect(confirm.get_by_role("button", name="继续作答")).to_be_focused()
    shot(page, "05-submit-confirm")
    confirm.get_by_role("button", name="确认交卷").tap()
    page.wait_for_url(f"**/my/results/{attempt_id}")

    # 1+0+1+2+1+0+2+0 = 7 of 11, with the answers and 解析.
    expect(page.locator(".score")).to_have_text(re.compile(r"^\s*7 / 11 分\s*$"))
    expect(page.get_by_text("解析：").first).to_be_visible()
    expect(page.get_by_text("党章第七条：预备党员的预备期为一年。")).to_be_visible()
    assert attempt_row(seed, attempt_id) == ("submitted", 7.0)
    axe_check(page, "result")
    shot(page, "06-result")
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('quiz.'))") == []


def test_time_runs_out_and_the_page_hands_in(
    page: Any, seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    s = seed_quiz(
        seed,
        username="lisi",
        sections=(("single", 1, "1"), ("judge", 1, "1"), ("blank", 1, "2")),
        time_limit_seconds=20,
        title="限时快答",
        branch_name="财务科",
        real_name="李思",
    )
    sign_in(page, s.username, "Passw0rd2024")
    attempt_id = start_quiz(page, s.quiz_title)
    assert remaining_seconds(page) <= 20

    at(page, 1, 3, "单选")
    pick(page, "B")
    page.get_by_role("button", name="下一题").tap()
    pick(page, "正确")
    page.get_by_role("button", name="下一题").tap()
    at(page, 3, 3, "填空")
    page.get_by_label("第1空").fill("甲")
    saved(page)

    # The last minute is announced and shown; at zero the page hands in by itself and says why.
    expect(page.locator(".qz-timer")).to_have_class(re.compile("urgent"))
    expect(page.locator("[aria-live=assertive]")).to_contain_text("还剩", timeout=15_000)
    banner = page.locator(".qz-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"还剩 (1 分钟|\d+ 秒)，时间到会自动交卷"))
    expect(banner).to_have_class(re.compile("last"), timeout=20_000)  # red from 10 seconds
    expect(page.locator(".qz-finishing")).to_contain_text(
        "时间到，已按保存的答案自动交卷", timeout=25_000
    )
    page.wait_for_url(f"**/my/results/{attempt_id}", timeout=35_000)
    expect(page.locator(".end-note")).to_have_text("时间到，已按保存的答案自动交卷")

    # Graded from the saved answers: 1 + 1 + half of the two blanks (2) = 3 of 4.
    expect(page.locator(".score")).to_have_text(re.compile(r"^\s*3 / 4 分\s*$"))
    status, score = attempt_row(seed, attempt_id)
    assert status in ("submitted", "timed_out")
    assert score == 3.0
    axe_check(page, "result (timed)")


def test_second_phone_continues_and_the_first_learns_it_is_over(
    new_page: Callable[[], Any], seed: Callable[[], Any]
) -> None:
    s = seed_quiz(
        seed,
        username="zhaoliu",
        sections=(("single", 2, "1"), ("judge", 1, "1")),
        time_limit_seconds=600,
        title="换手机续答",
        branch_name="纪检室",
        real_name="赵六",
    )
    first, second = new_page(), new_page()
    sign_in(first, s.username, "Passw0rd2024")
    attempt_id = start_quiz(first, s.quiz_title)
    pick(first, "B")
    saved(first)
    first.get_by_role("button", name="下一题").tap()
    pick(first, "A")
    saved(first)

    # The same person on another phone resumes; its saves continue the sequence, so they count.
    sign_in(second, s.username, "Passw0rd2024")
    card = second.get_by_role("link", name=re.compile(s.quiz_title))
    expect(card).to_contain_text("继续答题")  # the card of an attempt in progress goes straight in
    expect(card).to_contain_text(re.compile(r"剩余 (9|10) 分"))  # with its own time left
    card.click()
    expect(second.locator(".qnum")).to_be_visible()
    jump(second, 1)
    expect(option(second, "B").locator("input")).to_be_checked()
    pick(second, "C")
    saved(second)
    assert attempt_items(seed, attempt_id)[1] == ("C", False)

    # Handed in there; the first phone's next save is refused (409) and it shows the result.
    second.locator(".qbar").get_by_role("button", name="交卷").tap()
    second.get_by_role("button", name="确认交卷").tap()
    second.wait_for_url(f"**/my/results/{attempt_id}")
    first.gates.allowed_errors.append("status of 409")
    first.get_by_role("button", name="下一题").tap()
    pick(first, "正确")
    expect(first.locator(".qz-finishing")).to_contain_text("本次作答已交卷")  # said, then left
    first.wait_for_url(f"**/my/results/{attempt_id}")
    assert attempt_items(seed, attempt_id)[3] == (None, False)


def test_unsent_answers_survive_a_reload(page: Any, seed: Callable[[], Any]) -> None:
    s = seed_quiz(
        seed,
        username="sunqi",
        sections=(("single", 1, "1"), ("blank", 1, "2")),
        time_limit_seconds=None,
        title="不限时练习赛",
        branch_name="档案室",
        real_name="孙七",
    )
    sign_in(page, s.username, "Passw0rd2024")
    attempt_id = start_quiz(page, s.quiz_title)
    # No time limit: the countdown runs to the campaign's close, a week away.
    expect(page.locator(".qz-timer")).to_have_text(re.compile(r"^剩余 [67] 天 \d+ 小时$"))

    # The server is unreachable for saves (the page itself still loads): answers wait on the phone.
    page.gates.allowed_errors.append("net::ERR_FAILED")
    page.route("**/answers/*", lambda route: route.abort())
    pick(page, "B")
    page.get_by_role("button", name="下一题").tap()
    page.get_by_label("第1空").fill("甲方")
    page.get_by_label("第1空").blur()
    expect(page.locator(".qz-save")).to_have_text("离线，将自动重试")
    page.reload()
    at(page, 2, 2, "填空")
    expect(page.get_by_label("第1空")).to_have_value("甲方")
    jump(page, 1)
    expect(option(page, "B").locator("input")).to_be_checked()
    assert attempt_items(seed, attempt_id) == {1: (None, False), 2: (None, False)}

    # Saves get through again: everything queued is stored, in order.
    page.unroute("**/answers/*")
    page.context.set_offline(True)  # and back: the "online" event sends the queue at once
    page.context.set_offline(False)
    saved(page)
    assert attempt_items(seed, attempt_id) == {1: ("B", False), 2: (["甲方", ""], False)}
