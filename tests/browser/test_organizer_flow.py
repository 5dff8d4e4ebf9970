"""An organizer on a phone: a new bank, an Excel file with one bad row (refused whole, the row's
error in Chinese), the fixed file imported; then a campaign in Beijing time for one branch, a quiz
drawing at random from that bank, published; and an employee of that branch sees the quiz."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd2024"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEIJING = ZoneInfo("Asia/Shanghai")
HEADER = (
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "答案",
    "解析",
    "分类",
    "难度",
    "分值",
)
BANK_NAME = "保密知识学习题库"
CAMPAIGN_TITLE = "保密知识学习月竞答"
QUIZ_TITLE = "保密知识竞答（第一轮）"

# Row 2 is the first question under the header; row 3 carries the mistake (an answer "E" for a
# four-option single choice) until the organizer fixes it.
ROWS = [
    (
        "单选",
        "涉密人员离岗离职前，应当（　）。",
        "自行销毁涉密资料",
        "清退所保管和使用的国家秘密载体",
        "将涉密资料交给同事",
        "带回家中保存",
        "B",
        "依据《保密法》（2024年修订）第三章“保密制度”关于涉密人员离岗离职的规定。",
        "保密法",
        "中",
        "",
    ),
    (
        "单选",
        "国家秘密的密级分为（　）。",
        "绝密、机密、秘密",
        "绝密、机密、内部",
        "机密、秘密、内部",
        "绝密、秘密、公开",
        "E",
        "依据《保密法》（2024年修订）第二章“国家秘密的范围和密级”：国家秘密的密级分为绝密、机密、秘密三级。",
        "保密法",
        "易",
        "",
    ),
    (
        "单选",
        "机关、单位对所产生的国家秘密事项，应当按照（　）确定密级。",
        "领导意见",
        "国家秘密及其密级的具体范围的规定",
        "个人判断",
        "上级口头通知",
        "B",
        "依据《保密法》（2024年修订）第二章“国家秘密的范围和密级”关于确定密级的规定。",
        "保密法",
        "中",
        "",
    ),
    (
        "单选",
        "在互联网上处理涉密信息，（　）。",
        "经领导批准后可以",
        "严格禁止",
        "加密后可以",
        "下班后可以",
        "B",
        "依据《保密法》（2024年修订）第三章“保密制度”：禁止在互联网及其他公共信息网络中传递国家秘密。",
        "保密法",
        "易",
        "",
    ),
    (
        "判断",
        "涉密计算机可以连接互联网，只要安装了杀毒软件。",
        "",
        "",
        "",
        "",
        "错误",
        "涉密计算机严禁接入互联网。",
        "保密法",
        "易",
        "",
    ),
]
FIXED_ROW_3_ANSWER = "A"


def workbook(rows: list[tuple[str, ...]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "题库"
    ws.append(list(HEADER))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(page: Any, rows: list[tuple[str, ...]]) -> None:
    page.get_by_label("上传文件（.xlsx、.csv、.txt、.docx）").set_input_files(
        {"name": "保密知识题库.xlsx", "mimeType": XLSX, "buffer": workbook(rows)}
    )
    page.get_by_role("button", name="检查并预览").tap()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()


def bank_size(seed: Callable[[], Any], name: str) -> int:
    from quiz_app.extensions import db
    from quiz_app.models import Bank, Question

    with seed():
        bank = db.session.scalar(sa.select(Bank).where(Bank.name == name))
        assert bank is not None
        return (
            db.session.scalar(
                sa.select(sa.func.count(Question.id)).where(Question.bank_id == bank.id)
            )
            or 0
        )


def beijing_input(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def scroll_below_topbar(locator: Any) -> None:
    """Scroll so the element starts just under the sticky top bar (for a screenshot)."""
    locator.evaluate(
        """e => {
            const bar = document.querySelector('.topbar');
            const top = e.getBoundingClientRect().top + window.scrollY;
            window.scrollTo({top: top - (bar ? bar.offsetHeight : 0) - 8, behavior: 'instant'});
        }"""
    )


def test_organizer_builds_a_bank_and_publishes_a_campaign(
    new_page: Callable[[], Any], seed: Callable[[], Any], axe_check: Callable[..., Any]
) -> None:
    from tests import factories

    with seed():
        city = factories.make_branch(name="城区分局")
        suburb = factories.make_branch(name="郊区分局")
        office = factories.make_branch(name="局机关办公室")
        factories.make_user("org_chen", real_name="陈组织", branch=office, roles=["organizer"])
        factories.make_user("wang_xh", real_name="王小红", branch=city)
        factories.make_user("li_jg", real_name="李建国", branch=city)
        factories.make_user("zhao_m", real_name="赵敏", branch=suburb)
        factories.make_user("qian_l", real_name="钱磊", branch=suburb)

    page = new_page()
    sign_in(page, "org_chen", PASSWORD)

    # 题库: a new bank, then the import page.
    page.get_by_role("link", name="题库管理").tap()
    expect(page.get_by_role("heading", name="题库", exact=True)).to_be_visible()
    axe_check(page, "bank list")
    page.get_by_label("题库名称").fill(BANK_NAME)
    page.get_by_label("说明").fill("《中华人民共和国保守国家秘密法》学习用题")
    page.get_by_role("button", name="新建").tap()
    expect(page.get_by_text(f"已创建题库“{BANK_NAME}”，现在可以导入题目")).to_be_visible()
    expect(page.get_by_role("heading", name="导入题目")).to_be_visible()
    axe_check(page, "import")

    # A file with one bad row: the whole file is refused, the row's error is named in Chinese.
    upload(page, ROWS)
    errors = page.get_by_role("region", name=re.compile("发现 1 处错误"))
    expect(errors).to_contain_text("未导入任何题目")
    messages = errors.locator("ol.error-list li")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text("第3行【答案】")
    expect(messages.first).to_contain_text("E")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    axe_check(page, "import preview with an error")
    scroll_below_topbar(errors)
    shot(page, "07-import-preview-error")
    assert bank_size(seed, BANK_NAME) == 0

    # Fixed and uploaded again: the preview counts them; confirming writes them.
    page.get_by_role("link", name="重新上传").tap()
    fixed = [*ROWS]
    fixed[1] = (*ROWS[1][:6], FIXED_ROW_3_ANSWER, *ROWS[1][7:])
    upload(page, fixed)
    expect(page.locator("section.errors")).to_have_count(0)
    expect(page.get_by_text("共识别 5 题")).to_be_visible()
    expect(page.get_by_role("heading", name="可以导入")).to_be_visible()
    expect(page.get_by_text("新增 5 题")).to_be_visible()
    axe_check(page, "import preview, ready")
    assert bank_size(seed, BANK_NAME) == 0
    page.get_by_role("button", name="确认导入").tap()
    expect(page.get_by_text("导入完成：新增 5 题")).to_be_visible()
    expect(page.get_by_role("heading", name=BANK_NAME)).to_be_visible()
    expect(page.get_by_text("找到 5 题")).to_be_visible()
    questions = page.locator("ol.questions > li")
    expect(questions).to_have_count(5)
    expect(questions.filter(has_text="国家秘密的密级分为")).to_have_count(1)
    axe_check(page, "bank")
    assert bank_size(seed, BANK_NAME) == 5

    # A campaign for 城区分局, opening an hour ago and closing in a week (Beijing time).
    page.goto("/")
    page.get_by_role("link", name="活动与竞答").tap()
    page.get_by_role("link", name="新建活动").tap()
    expect(page.get_by_role("heading", name="新建活动")).to_be_visible()
    opens = datetime.now(BEIJING).replace(second=0, microsecond=0) - timedelta(hours=1)
    closes = opens + timedelta(days=7)
    page.get_by_label("活动名称").fill(CAMPAIGN_TITLE)
    page.get_by_label("活动说明").fill("全体干部职工参加，每人一次机会。")
    page.get_by_label("主题（可不填）").fill("保密知识学习")
    page.get_by_label("开始时间（北京时间）").fill(beijing_input(opens))
    page.get_by_label("结束时间（北京时间）").fill(beijing_input(closes))
    page.get_by_label("城区分局", exact=True).check()
    axe_check(page, "campaign form")
    page.get_by_role("button", name="保存").tap()
    expect(page.get_by_text(f"已创建活动“{CAMPAIGN_TITLE}”（草稿）")).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(
        re.compile(rf"开始\s*{opens.month}月{opens.day}日 {opens:%H:%M}\s*北京时间")
    )
    expect(facts).to_contain_text(
        re.compile(rf"结束\s*{closes.month}月{closes.day}日 {closes:%H:%M}\s*北京时间")
    )
    expect(facts).to_contain_text("城区分局")
    expect(facts).to_contain_text("共 2 人")
    expect(page.get_by_role("heading", name=re.compile(CAMPAIGN_TITLE))).to_contain_text("草稿")

    # A quiz with one random section drawn from the new bank.
    page.locator("section.card").get_by_role("link", name="新增竞答").tap()
    page.get_by_label("竞答名称").fill(QUIZ_TITLE)
    page.get_by_label("限时（分钟；留空为不限时）").fill("10")
    axe_check(page, "new quiz")
    page.get_by_role("button", name="创建并设置题目").tap()
    expect(page.get_by_text(f"已创建“{QUIZ_TITLE}”，请添加题目")).to_be_visible()
    page.get_by_role("link", name="添加随机抽题").tap()
    expect(page.get_by_role("heading", name="添加随机抽题")).to_be_visible()
    page.get_by_label("小标题（可不填，如“一、单选题”）").fill("一、单选题")
    page.get_by_label("题型").select_option(label="单选")
    page.get_by_label("题数").fill("3")
    page.get_by_label("每题分值").fill("5")
    page.get_by_label(BANK_NAME, exact=True).check()
    axe_check(page, "random section")
    page.get_by_role("button", name="保存").tap()
    expect(page.get_by_text("已保存：", exact=False).first).to_be_visible()
    section = page.locator("ol.sections > li")
    expect(section).to_have_count(1)
    expect(section).to_contain_text("一、单选题")
    expect(section).to_contain_text("3 题 × 5 分")
    expect(section).to_contain_text("符合条件的在用题目 4 道")
    expect(page.locator(".max-score")).to_contain_text("15")
    expect(page.get_by_role("alert")).to_have_count(0)  # no shortfall
    axe_check(page, "quiz with a section")

    # A fixed section picked by hand: a tick survives changing the filter before saving.
    page.get_by_role("link", name="添加指定题目").tap()
    expect(page.get_by_role("heading", name="添加指定题目")).to_be_visible()
    page.get_by_label("题库", exact=True).select_option(label=BANK_NAME)
    page.get_by_label("题型").select_option(label="判断")
    page.get_by_role("button", name="筛选").tap()
    judge = page.locator("label", has_text="涉密计算机可以连接互联网")
    expect(judge).to_have_count(1)
    judge.tap()
    page.get_by_label("题型").select_option(label="单选")
    page.get_by_role("button", name="筛选").tap()
    chosen = page.locator("fieldset.picker ol.pick-list").first
    expect(chosen.locator("li")).to_have_count(1)
    expect(chosen).to_contain_text("涉密计算机可以连接互联网")
    expect(chosen.locator("input[type=checkbox]")).to_be_checked()
    expect(page.locator(".error")).to_have_count(0)  # filtering names no unfinished field
    axe_check(page, "fixed section picker")
    page.get_by_label("每题分值").fill("2")
    page.get_by_role("button", name="保存").tap()
    expect(page.get_by_text("已保存：指定题目 1 题")).to_be_visible()
    expect(page.locator("ol.sections > li")).to_have_count(2)
    expect(page.locator(".max-score")).to_contain_text("17")

    # Publish, and see it published.
    page.get_by_role("link", name=CAMPAIGN_TITLE).first.tap()
    expect(page.get_by_role("heading", name="发布")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())  # "将锁定规则，面向 N 人" is asked first
    page.get_by_role("button", name="发布活动").tap()
    expect(page.get_by_text("已发布：参加人员在开始时间后即可在首页看到并作答")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(CAMPAIGN_TITLE))).to_contain_text("已发布")
    expect(page.get_by_role("button", name="发布活动")).to_have_count(0)
    expect(page.get_by_role("link", name="参与情况")).to_be_visible()
    expect(page.locator(".quiz-admin")).to_contain_text(re.compile(r"满分 17(\.0+)? 分"))
    axe_check(page, "published campaign")
    shot(page, "08-campaign-published")

    from quiz_app.extensions import db
    from quiz_app.models import Campaign

    with seed():
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.title == CAMPAIGN_TITLE))
        assert campaign is not None and campaign.status == "published"
        assert [b.name for b in campaign.branches] == ["城区分局"]
        assert campaign.opens_at.astimezone(BEIJING) == opens

    # An employee of 城区分局 sees the quiz on the home page; one of 郊区分局 does not.
    employee = new_page()
    sign_in(employee, "wang_xh", PASSWORD)
    expect(employee.get_by_role("heading", name=re.compile("^待完成"))).to_be_visible()
    card = employee.locator(".quiz-card", has_text=QUIZ_TITLE)
    expect(card).to_be_visible()
    expect(card).to_contain_text(CAMPAIGN_TITLE)
    expect(card).to_contain_text("未参加")
    axe_check(employee, "employee home")
    outsider = new_page()
    sign_in(outsider, "zhao_m", PASSWORD)
    expect(outsider.get_by_role("heading", name=re.compile("^待完成"))).to_be_visible()
    expect(outsider.get_by_text(QUIZ_TITLE)).to_have_count(0)
