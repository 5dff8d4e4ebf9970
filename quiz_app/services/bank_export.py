"""Question bank → .xlsx in exactly the layout the importer reads, so an export can be edited in
Excel and uploaded again; also the blank template with examples and column help."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from quiz_app.services.importing.columns import CANONICAL
from quiz_app.services.importing.types import OPTION_KEYS, QuestionData, QuestionType
from quiz_app.services.importing.validate import CATEGORY_RULE
from quiz_app.services.xlsx_out import safe_cell

SHEET = "题库"
HELP_SHEET = "填写说明"
HEADER = CANONICAL  # 题型, 题干, 选项A…选项H, 答案, 解析, 分类, 难度, 分值

EXAMPLES = (
    QuestionData(
        type=QuestionType.SINGLE,
        stem="中国共产党的最高领导机关是（　）。",
        options=(
            "党的全国代表大会和它所产生的中央委员会",
            "中央政治局",
            "中央书记处",
            "中央纪律检查委员会",
        ),
        answer=("A",),
        explanation="《中国共产党章程》规定，党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。",
        categories=("党章",),
        difficulty="易",
        score=Decimal(2),
    ),
    QuestionData(
        type=QuestionType.MULTIPLE,
        stem="根据《中华人民共和国保守国家秘密法》，国家秘密的密级分为（　）。",
        options=("绝密", "机密", "秘密", "内部"),
        answer=("A", "B", "C"),
        explanation="国家秘密的密级分为绝密、机密、秘密三级。",
        categories=("保密",),
        difficulty="中",
        score=Decimal(3),
    ),
    QuestionData(
        type=QuestionType.JUDGE,
        stem="预备党员的预备期为一年。",
        answer=("T",),
        explanation="《中国共产党章程》第七条规定，预备党员的预备期为一年。",
        categories=("党章",),
        difficulty="易",
        score=Decimal(1),
    ),
    QuestionData(
        type=QuestionType.BLANK,
        stem="国家秘密的密级分为____、____、____三级。",
        blanks=(("绝密",), ("机密",), ("秘密",)),
        explanation="多个空的答案用“；”分隔；同一空有多个可接受答案时用“|”分隔，如“一|1”。",
        categories=("保密", "法规"),
        difficulty="中",
    ),
)

HELP_ROWS = (
    ("列名", "是否必填", "填写说明"),
    ("题型", "必填", "单选、多选、判断、填空（也可写“单选题”“多项选择题”等）。"),
    ("题干", "必填", "题目内容。填空题用“____”（两个及以上下划线）或“（　）”标出每个空。"),
    (
        "选项A～选项H",
        "选择题必填",
        "单选、多选题至少填两个选项，须从选项A起连续填写，不能跳空；判断题、填空题不填。",
    ),
    (
        "答案",
        "必填",
        "单选填一个字母，如 B；多选填两个及以上字母，如 AC（也可写 A,C、A、C）；"
        "判断填 正确/错误（也可写 对/错、√/×）；填空题多个空用“；”分隔，"
        "同一空有多个可接受答案用“|”分隔，如“绝密；机密|机密级”。",
    ),
    ("解析", "选填", "答题后显示的解析。"),
    ("分类", "选填", f"知识点或分类，{CATEGORY_RULE}。不填为“未分类”。"),
    ("难度", "选填", "易、中、难（也可写 简单/一般/困难）；不填默认为“中”。"),
    ("分值", "选填", "大于0的数字；不填则使用竞答活动的默认分值。"),
    ("", "", ""),
    (
        "注意",
        "",
        "第一行为表头，请勿修改列名；文件中有任何错误时整个文件都不会导入，请按提示修改后重新上传。",
    ),
    ("", "", "请保存为 .xlsx 格式（不支持 .xls）；单次最多导入 20000 道题。"),
)


def _answer_text(q: QuestionData) -> str:
    if q.type is QuestionType.JUDGE:
        return "正确" if q.answer == ("T",) else "错误"
    if q.type is QuestionType.BLANK:
        return "；".join("|".join(alts) for alts in q.blanks)
    return "".join(q.answer)


def _score(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def question_row(q: QuestionData) -> list[object]:
    """One question as a row of the template, in HEADER order; text that Excel would run as a
    formula is quoted by the same guard as every other export (the importer removes it again)."""
    options = list(q.options) + [""] * (len(OPTION_KEYS) - len(q.options))
    row: list[object] = [
        q.type.label,
        q.stem,
        *[o or None for o in options],
        _answer_text(q),
        q.explanation or None,
        "；".join(q.categories) or None,
        q.difficulty,
        _score(q.score),
    ]
    return [safe_cell(v) for v in row]


def _bank_sheet(ws: Worksheet) -> None:
    ws.title = SHEET
    ws.append(list(HEADER))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    ws.freeze_panes = "A2"
    widths = {"A": 8, "B": 48, "K": 10, "L": 30, "M": 14, "N": 8, "O": 8}
    for letter in "CDEFGHIJ":
        ws.column_dimensions[letter].width = 16
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width


def questions_to_xlsx(questions: Iterable[QuestionData]) -> bytes:
    """Export questions in the template layout; parse_upload of the result gives them back.

    Options are written as text cells, so “1921” stays text; scores are numbers.
    """
    wb = Workbook()
    ws = wb.active
    _bank_sheet(ws)
    for q in questions:
        ws.append(question_row(q))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_xlsx() -> bytes:
    """The download offered to organisers: header, one example per type, and a help sheet."""
    wb = Workbook()
    ws = wb.active
    _bank_sheet(ws)
    for q in EXAMPLES:
        ws.append(question_row(q))
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    help_ws = wb.create_sheet(HELP_SHEET)
    for row in HELP_ROWS:
        help_ws.append(list(row))
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["B"].width = 12
    help_ws.column_dimensions["C"].width = 90
    for row in help_ws.iter_rows(min_row=2):
        row[2].alignment = wrap
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
