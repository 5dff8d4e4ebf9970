"""CSV as saved by Excel/WPS: encodings and delimiters."""

from __future__ import annotations

import pytest
from importing_helpers import messages

from quiz_app.services.importing import QuestionType, parse_upload

CSV = (
    "题型,题干,选项A,选项B,选项C,答案,分类\n"
    "单选,中国共产党的最高领导机关是（　）。,党的全国代表大会和它所产生的中央委员会,中央政治局,"
    "中央书记处,A,党章\n"
    '多选,"国家秘密的密级分为（　）。",绝密,机密,秘密,"A,B,C","保密,法规"\n'
    "判断,预备党员的预备期为一年。,,,,对,\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(encoding):
    result = parse_upload("题库.csv", CSV.encode(encoding))
    assert result.format == "csv"
    assert result.ok, messages(result)
    assert [q.type for q in result.questions] == [
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.JUDGE,
    ]
    assert result.questions[0].stem == "中国共产党的最高领导机关是（　）。"
    assert result.questions[1].categories == ("保密", "法规")
    assert result.questions[1].answer == ("A", "B", "C")


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_other_delimiters(delimiter):
    text = (
        f"题型{delimiter}题干{delimiter}选项A{delimiter}选项B{delimiter}答案{delimiter}分类\n"
        f"单选{delimiter}题，带逗号（　）。{delimiter}甲{delimiter}乙{delimiter}B{delimiter}党章,保密\n"
    )
    result = parse_upload("t.csv", text.encode("utf-8-sig"))
    assert result.ok, messages(result)
    assert result.questions[0].stem == "题，带逗号（　）。"
    assert result.questions[0].categories == ("党章", "保密")


def test_row_numbers_with_title_row_and_errors():
    text = "2024年题库\n题型,题干,选项A,选项B,答案\n单选,题（　）。,甲,乙,C\n"
    result = parse_upload("t.csv", text.encode("gbk"))
    assert messages(result) == ["第3行【答案】：答案“C”不在选项A–B中"]


def test_undecodable_bytes():
    result = parse_upload("t.csv", b"\xff\xfe\xfd\x80\x81" * 3 + b"\x00\xd8")
    assert not result.ok
