"""Export → parse gives the same questions; the template parses and documents every column."""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from quiz_app.services.bank_export import EXAMPLES, HEADER, questions_to_xlsx, template_xlsx
from quiz_app.services.importing import QuestionData, QuestionType, parse_upload

QUESTIONS = [
    QuestionData(
        QuestionType.SINGLE,
        "中国共产党成立于（　）年。",
        ("1921", "1949", "1927", "1935", "1978", "1840", "1919", "2012"),
        ("A",),
        explanation="1921年7月，中国共产党第一次全国代表大会召开。",
        categories=("党史", "基础"),
        difficulty="易",
        score=Decimal("2.5"),
    ),
    QuestionData(
        QuestionType.MULTIPLE, "密级包括（　）。", ("绝密", "机密", "秘密"), ("A", "B", "C")
    ),
    QuestionData(QuestionType.JUDGE, "预备党员的预备期为一年。", answer=("T",), score=Decimal(1)),
    QuestionData(QuestionType.JUDGE, "国家秘密的密级分为四级。", answer=("F",), difficulty="难"),
    QuestionData(
        QuestionType.BLANK,
        "预备党员的预备期为____年，密级分为____级。",
        blanks=(("一", "1"), ("三", "3")),
        categories=("党章",),
    ),
]


def strip_where(questions):
    return [dataclasses.replace(q, where="") for q in questions]


def test_round_trip_export_then_parse():
    data = questions_to_xlsx(QUESTIONS)
    result = parse_upload("导出.xlsx", data)
    assert result.ok, [e.message for e in result.errors]
    assert strip_where(result.questions) == QUESTIONS


def test_export_layout():
    ws = load_workbook(io.BytesIO(questions_to_xlsx(QUESTIONS)))["题库"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert tuple(rows[0]) == HEADER
    col = {name: i for i, name in enumerate(HEADER)}
    assert rows[1][col["分值"]] == 2.5
    assert rows[2][col["答案"]] == "ABC"
    assert rows[3][col["答案"]] == "正确"
    assert rows[4][col["答案"]] == "错误"
    assert rows[5][col["答案"]] == "一|1；三|3"
    assert rows[1][col["分类"]] == "党史；基础"
    assert rows[2][col["分值"]] is None
    assert rows[1][col["选项A"]] == "1921"  # text, not a number


def test_template_parses_to_its_examples_and_has_help_sheet():
    data = template_xlsx()
    result = parse_upload("template.xlsx", data)
    assert result.ok
    assert strip_where(result.questions) == list(EXAMPLES)
    assert {q.type for q in result.questions} == set(QuestionType)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["题库", "填写说明"]
    help_text = "\n".join(
        str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value
    )
    for column in ("题型", "题干", "选项A", "答案", "解析", "分类", "难度", "分值"):
        assert column in help_text


def test_committed_template_matches_generator():
    path = Path(__file__).resolve().parents[2] / "question_banks" / "template.xlsx"
    assert path.is_file()
    result = parse_upload(path.name, path.read_bytes())
    assert strip_where(result.questions) == list(EXAMPLES)
