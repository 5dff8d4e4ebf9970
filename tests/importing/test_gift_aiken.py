"""GIFT and Aiken readers on our own Chinese samples."""

from __future__ import annotations

from pathlib import Path

from quiz_app.services.importing import QuestionType, parse_text, parse_upload

SAMPLES = Path(__file__).parent / "samples"


def test_gift_sample_maps_types_and_skips_the_rest():
    data = (SAMPLES / "baomi.gift").read_bytes()
    result = parse_upload("baomi.gift", data)
    assert result.format == "gift"
    assert result.ok, [e.message for e in result.errors]
    by_stem = {q.stem: q for q in result.questions}
    assert len(result.questions) == 6

    q = by_stem["国家秘密的密级分为几级？"]
    assert q.type is QuestionType.SINGLE
    assert q.options == ("两级", "三级", "四级")
    assert q.answer == ("B",)
    assert q.explanation == "绝密、机密、秘密三级。"
    assert q.categories == ("保密",)

    q = by_stem["根据保密法，下列属于国家秘密密级的是："]
    assert q.type is QuestionType.MULTIPLE
    assert q.answer == ("A", "B")

    q = by_stem["预备党员的预备期为一年。"]
    assert q.type is QuestionType.JUDGE and q.answer == ("T",)
    assert q.explanation == "《中国共产党章程》第七条。"

    q = by_stem["党的最高领导机关是党的全国代表大会和它所产生的中央委员会。"]
    assert q.answer == ("T",)  # [html] tags stripped

    q = by_stem["申请加入中国共产党须年满多少岁？"]
    assert q.type is QuestionType.BLANK
    assert q.blanks == (("十八岁", "18岁", "18"),)
    assert q.categories == ("党章",)

    assert "大括号 { } 与冒号 : 和等号 = 都可以转义，这句话是否正确？" in by_stem

    skipped = [s.message for s in result.skipped]
    assert skipped == [
        "第7题“简答”（GIFT 问答题）：本平台无对应题型，已跳过",
        "第8题“数值”（GIFT 数值题）：本平台无对应题型，已跳过",
        "第9题“匹配”（GIFT 匹配题）：本平台无对应题型，已跳过",
        "第10题（GIFT 说明文字）：没有答案，已跳过",
    ]


def test_gift_detected_in_txt_and_pasted_text():
    text = (SAMPLES / "baomi.gift").read_text(encoding="utf-8")
    assert parse_upload("题库.txt", text.encode("gb18030")).format == "gift"
    assert parse_text(text).format == "gift"


def test_gift_partial_credit_short_answers_are_dropped_with_a_warning():
    result = parse_text("::q::首都是？{=北京 =%50%北平 =%0%*}")
    assert result.questions[0].blanks == (("北京",),)
    assert "“北平、*”不被本平台支持" in result.warnings[0].message


def test_aiken_sample():
    data = (SAMPLES / "dangzhang_aiken.txt").read_bytes()
    result = parse_upload("dz.txt", data)
    assert result.format == "aiken"
    assert [q.answer for q in result.questions] == [("A",), ("B",)]
    assert all(q.type is QuestionType.SINGLE for q in result.questions)
    assert result.questions[0].options[0] == "党的全国代表大会和它所产生的中央委员会"
    assert [e.message for e in result.errors] == [
        "第3题【答案】：答案“D”不在选项A–C中",
        "第4题【选项A】：选择题至少需要两个选项",
    ]


def test_aiken_missing_answer_and_orphan_options():
    text = "题一\nA. 甲\nB. 乙\n\n题二\nA. 丙\nB. 丁\nANSWER: A\n\nA. 没有题干\nANSWER: A\n"
    result = parse_text(text)
    assert result.format == "aiken"
    assert [e.message for e in result.errors] == [
        "第1题【答案】：缺少“ANSWER:”答案行（题目从第1行开始）",
        "第3题【题干】：选项或答案出现在题干之前（第10行），缺少题干",
    ]
    assert [q.stem for q in result.questions] == ["题二"]
