"""Word-style text: pasted, .txt (UTF-8/GBK) and .docx."""

from __future__ import annotations

import io
from decimal import Decimal

import docx

from quiz_app.services.importing import QuestionType, parse_text, parse_upload

PAPER = """2024年保密知识竞赛试题
一、单选题（每题2分）
1．中国共产党的最高领导机关是（　）。
A．党的全国代表大会和它所产生的中央委员会
B．中央政治局
C．中央书记处
D．中央纪律检查委员会
答案：A
解析：依据《中国共产党章程》。
本题考查党的组织制度：
1. 这一行是解析里的列表，不是新题
2、预备党员的预备期为（ B ）。
A．半年 B．一年 C．两年 D．三年
二、多项选择题（每题3分）
（1）国家秘密的密级分为（　）。
A、绝密
B、机密
C、秘密
D、内部
【答案】ABC【解析】保密法规定为三级。
三、判断题
(1) 预备党员的预备期为一年。（√）
(2) 国家秘密的密级分为四级。
答案：错
四、填空题
1) 国家秘密的密级分为____、____、____三级。
答案：绝密；机密；秘密
分类：保密、法规
难度：易
五、简答题
1．简述保密工作的方针。
答案：略
"""


def test_word_paper_with_headings():
    result = parse_text(PAPER)
    assert result.format == "text"
    assert result.ok, [e.message for e in result.errors]
    qs = result.questions
    assert [q.type for q in qs] == [
        QuestionType.SINGLE,
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.JUDGE,
        QuestionType.JUDGE,
        QuestionType.BLANK,
    ]
    assert qs[0].options[0] == "党的全国代表大会和它所产生的中央委员会"
    assert qs[0].explanation.endswith("1. 这一行是解析里的列表，不是新题")
    assert qs[0].score == Decimal(2)
    assert qs[1].options == ("半年", "一年", "两年", "三年")
    assert qs[1].answer == ("B",)  # inline （ B ）
    assert qs[1].stem == "预备党员的预备期为（　）。"
    assert qs[2].answer == ("A", "B", "C")
    assert qs[2].explanation == "保密法规定为三级。"
    assert qs[2].score == Decimal(3)
    assert qs[3].answer == ("T",)
    assert qs[4].answer == ("F",)
    assert qs[5].blanks == (("绝密",), ("机密",), ("秘密",))
    assert qs[5].categories == ("保密", "法规")
    assert qs[5].difficulty == "易"
    assert [q.where for q in qs] == ["第1题", "第2题", "第3题", "第4题", "第5题", "第6题"]
    assert [s.message for s in result.skipped] == ["第7题（简答题）：本平台无对应题型，已跳过"]


def test_types_inferred_without_headings():
    text = """1.党的最高领导机关是（ ）
A.全国代表大会和中央委员会
B.中央政治局
答案:A
2.国家秘密的密级包括（ ）
(A)绝密 (B)机密 (C)内部
答案：A、B
3.预备党员的预备期为一年。
答案：√
4.国家秘密的密级分为（　）级。
答案：三|3
"""
    result = parse_text(text)
    assert result.ok, [e.message for e in result.errors]
    assert [q.type for q in result.questions] == [
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.JUDGE,
        QuestionType.BLANK,
    ]
    assert result.questions[1].options == ("绝密", "机密", "内部")
    assert result.questions[3].blanks == (("三", "3"),)


def test_text_errors_name_the_question_number():
    text = "一、单选题\n1．题一（　）。\nA．甲\nB．乙\n答案：E\n2．题二（　）。\nA．甲\nB．乙\n"
    result = parse_text(text)
    assert [e.message for e in result.errors] == [
        "第1题【答案】：答案“E”不在选项A–B中",
        "第2题【答案】：答案为空",
    ]


def test_txt_upload_in_gbk():
    result = parse_upload("试题.txt", PAPER.encode("gbk"))
    assert result.format == "text"
    assert len(result.questions) == 6


def test_no_questions_found():
    result = parse_text("这只是一段普通的文字。\n没有题号。")
    assert [e.message for e in result.errors] == [
        "没有找到题目：题目应以“1．”“1、”“（1）”等题号开头"
    ]


def test_docx_paragraphs_and_tables():
    document = docx.Document()
    document.add_paragraph("保密知识测试")
    document.add_paragraph("一、单选题（每题1分）")
    document.add_paragraph("1．保密工作的方针是（　）。")
    document.add_paragraph("A．积极防范、突出重点、依法管理 B．谁主管谁负责")
    document.add_paragraph("答案：A")
    document.add_paragraph("二、判断题")
    table = document.add_table(rows=2, cols=1)
    table.cell(0, 0).text = "1．预备党员的预备期为一年。"
    table.cell(1, 0).text = "答案：对"
    buf = io.BytesIO()
    document.save(buf)
    result = parse_upload("试卷.docx", buf.getvalue())
    assert result.format == "docx"
    assert result.ok, [e.message for e in result.errors]
    assert [q.type for q in result.questions] == [QuestionType.SINGLE, QuestionType.JUDGE]
    assert result.questions[0].options == ("积极防范、突出重点、依法管理", "谁主管谁负责")
    assert result.questions[0].score == Decimal(1)


def test_broken_docx():
    result = parse_upload("x.docx", b"PK\x03\x04garbage")
    assert [e.message for e in result.errors] == [
        "文件不是有效的 .docx（可能已损坏或并非 Word 文件）"
    ]
