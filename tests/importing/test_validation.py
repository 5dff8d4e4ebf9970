"""Every validation rule, with the exact Chinese message and the Excel row it names."""

from __future__ import annotations

import pytest
from importing_helpers import bank, messages

from quiz_app.services.importing import QuestionType, normalise_blank_answer, normalise_stem
from quiz_app.services.importing import parse_upload as _parse


def parse(*rows):
    return _parse("v.xlsx", bank(*rows))


def only_error(*rows) -> str:
    result = parse(*rows)
    assert not result.ok
    assert len(result.errors) == 1, messages(result)
    return result.errors[0].message


def test_answer_outside_options():
    msg = only_error(["单选", "题（　）。", "甲", "乙", "丙", "丁", "E"])
    assert msg == "第2行【答案】：答案“E”不在选项A–D中"


def test_multiple_choice_needs_two_answers():
    msg = only_error(["多选", "题（　）。", "甲", "乙", "丙", "", "B"])
    assert msg.startswith("第2行【答案】：多选题至少需要两个正确答案")


def test_single_choice_with_two_answers():
    msg = only_error(["单选", "题（　）。", "甲", "乙", "丙", "", "AB"])
    assert msg == "第2行【答案】：单选题只能有一个正确答案，答案“AB”包含2个"


@pytest.mark.parametrize("answer", ["A,C", "AC", "A、C", "A C", "ａｃ", "A，C", "A;C", "c a"])
def test_multiple_answer_spellings(answer):
    result = parse(["多选", "题（　）。", "甲", "乙", "丙", "", answer])
    assert result.ok, messages(result)
    assert result.questions[0].answer == ("A", "C")


@pytest.mark.parametrize("answer", ["b", "Ｂ", " B ", "乙"])
def test_single_answer_spellings(answer):
    result = parse(["单选", "题（　）。", "甲", "乙", "丙", "", answer])
    assert result.ok, messages(result)
    assert result.questions[0].answer == ("B",)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("对", "T"),
        ("错", "F"),
        ("√", "T"),
        ("×", "F"),
        ("✓", "T"),
        ("✗", "F"),
        ("正确", "T"),
        ("错误", "F"),
        ("T", "T"),
        ("F", "F"),
        ("true", "T"),
        ("FALSE", "F"),
        ("是", "T"),
        ("否", "F"),
        ("Y", "T"),
        ("N", "F"),
        ("ｔ", "T"),
    ],
)
def test_judge_answer_spellings(answer, expected):
    result = parse(["判断", "题。", "", "", "", "", answer])
    assert result.ok, messages(result)
    assert result.questions[0].answer == (expected,)


@pytest.mark.parametrize(
    ("options", "answer", "expected"),
    [
        (("正确", "错误"), "A", "T"),
        (("正确", "错误"), "B", "F"),
        (("错", "对"), "A", "F"),
    ],
)
def test_judge_with_true_false_options_maps_letters(options, expected, answer):
    result = parse(["判断", "题。", *options, "", "", answer])
    assert result.ok, messages(result)
    assert result.questions[0].answer == (expected,)
    assert result.questions[0].options == ()


def test_judge_answer_not_true_or_false():
    msg = only_error(["判断", "题。", "", "", "", "", "也许"])
    assert msg.startswith("第2行【答案】：判断题答案“也许”无法识别")


def test_judge_with_other_options_is_an_error():
    msg = only_error(["判断", "题。", "甲", "乙", "", "", "A"])
    assert msg == "第2行【选项A】：判断题的选项只能是“正确/错误”两项，或不填选项"


def test_empty_stem():
    msg = only_error(["单选", "", "甲", "乙", "", "", "A"])
    assert msg == "第2行【题干】：题干为空"


def test_fewer_than_two_options():
    result = parse(["单选", "题（　）。", "甲", "", "", "", "A"])
    assert messages(result) == ["第2行【选项A】：选择题至少需要两个选项"]


def test_duplicate_options_after_width_and_space_normalisation():
    msg = only_error(
        ["单选", "题（　）。", "党章", "党纲", "ＤＡＮＧ ＺＨＡＮＧ", "DANG  ZHANG", "A"]
    )
    assert msg == "第2行【选项D】：选项D与选项C内容重复"


def test_options_differing_in_sign_or_point_are_not_repeats():
    result = parse(["单选", "x²=4 的一个解是（　）。", "-2.0", "2.0", "20", "", "A"])
    assert result.ok, messages(result)
    assert result.questions[0].options == ("-2.0", "2.0", "20")


def test_gap_in_options():
    msg = only_error(["单选", "题（　）。", "甲", "乙", "", "丁", "A"])
    assert msg == "第2行【选项C】：选项C为空，但其后的选项有内容；选项须从A起连续填写"


def test_unknown_type():
    msg = only_error(["简答题", "题。", "", "", "", "", "略"])
    assert msg == "第2行【题型】：题型“简答题”无法识别，应为单选、多选、判断或填空"


def test_empty_type_cell():
    msg = only_error(["", "题。", "", "", "", "", "对"])
    assert msg == "第2行【题型】：题型为空，应填写单选、多选、判断或填空"


@pytest.mark.parametrize("score", ["abc", "0", "-1", "NaN", "inf"])
def test_bad_score(score):
    msg = only_error(["判断", "题。", "", "", "", "", "对", "", "", "", score])
    assert msg == f"第2行【分值】：分值“{score}”无效，应为大于0的数字"


def test_unknown_difficulty():
    msg = only_error(["判断", "题。", "", "", "", "", "对", "", "", "超难"])
    assert msg == "第2行【难度】：难度“超难”无法识别，应为易、中或难"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("简单", "易"),
        ("容易", "易"),
        ("中等", "中"),
        ("一般", "中"),
        ("较难", "难"),
        ("困难", "难"),
    ],
)
def test_difficulty_words(text, level):
    result = parse(["判断", "题。", "", "", "", "", "对", "", "", text])
    assert result.questions[0].difficulty == level


@pytest.mark.parametrize("qtype", ["单选", "判断", "填空"])
def test_empty_answer(qtype):
    options = ("甲", "乙") if qtype == "单选" else ("", "")
    result = parse([qtype, "题____。", *options, "", "", ""])
    assert "第2行【答案】：答案为空" in messages(result)


def test_blank_count_mismatch_names_both_counts():
    msg = only_error(["填空", "密级分为____、____、（　）三级。", "", "", "", "", "绝密；机密"])
    assert msg == "第2行【答案】：题干中有3处空，但答案给出了2个空的答案（各空之间用“；”分隔）"


def test_blank_answers_split_on_semicolons_only():
    result = parse(["填空", "填空题（ ）。", "", "", "", "", "甲、乙|丙"])
    assert result.ok, messages(result)
    assert result.questions[0].blanks == (("甲、乙", "丙"),)


def test_blank_without_markers_accepts_any_count():
    result = parse(["填空", "写出三个密级", "", "", "", "", "绝密；机密；秘密"])
    assert result.ok
    assert len(result.questions[0].blanks) == 3


def test_empty_middle_blank():
    msg = only_error(["填空", "A____B____C____", "", "", "", "", "甲；；丙"])
    assert msg == "第2行【答案】：第2空没有答案（各空之间用“；”分隔）"


def test_categories_split_on_all_separators():
    result = parse(
        ["判断", "题。", "", "", "", "", "对", "", "党章；保密;廉政，纪律,法规、安全/党史；党章"]
    )
    assert result.questions[0].categories == (
        "党章",
        "保密",
        "廉政",
        "纪律",
        "法规",
        "安全",
        "党史",
    )


def test_duplicate_inside_file_names_both_rows():
    result = parse(
        ["单选", "保密工作的方针是（　）。", "甲", "乙", "", "", "A"],
        ["判断", "其他题。", "", "", "", "", "对"],
        ["单选", " 保密工作的方针是（ ）", "乙 ", "甲", "", "", "A"],  # same key, other answer
        ["判断", "保密工作的方针是（　）。", "", "", "", "", "对"],  # same stem, other type: fine
        ["单选", "保密工作的方针是（　）。", "丙", "丁", "", "", "A"],  # other options: fine
    )
    assert messages(result) == [
        "第4行【答案】：与第2行的题型、题干和选项相同，但答案不同；请删去其中一道或改正答案"
    ]
    assert [q.where for q in result.questions] == ["第2行", "第3行", "第5行", "第6行"]


def test_verbatim_repeat_with_shuffled_options_is_a_warning_naming_both_rows():
    result = parse(
        ["单选", "保密工作的方针是（　）。", "甲", "乙", "", "", "A"],
        ["判断", "其他题。", "", "", "", "", "对"],
        ["单选", " 保密工作的方针是（ ）", "乙 ", "甲", "", "", "B"],  # reordered, same key
    )
    assert result.ok, messages(result)
    assert [q.where for q in result.questions] == ["第2行", "第3行"]
    repeat = "第4行：与第2行重复（题型、题干、选项和答案均相同），只导入第2行，第4行已跳过"
    assert [w.message for w in result.repeats] == [repeat]
    assert repeat in [w.message for w in result.warnings]


def test_generic_stem_with_other_options_is_not_a_duplicate():
    result = parse(
        ["单选", "下列说法正确的是（　）。", "甲对", "乙对", "", "", "A"],
        ["单选", "下列说法正确的是（　）。", "丙对", "丁对", "", "", "B"],
    )
    assert result.ok, messages(result)
    assert len(result.questions) == 2


def test_every_error_is_collected_not_just_the_first():
    result = parse(
        ["单选", "", "甲", "", "丙", "", "Z", "", "", "很难", "x"],
        ["多选", "题二（　）。", "甲", "乙", "", "", "A"],
        ["判断", "题三。", "", "", "", "", "对"],
    )
    msgs = messages(result)
    assert "第2行【题干】：题干为空" in msgs
    assert "第2行【难度】：难度“很难”无法识别，应为易、中或难" in msgs
    assert "第2行【分值】：分值“x”无效，应为大于0的数字" in msgs
    assert "第2行【选项B】：选项B为空，但其后的选项有内容；选项须从A起连续填写" in msgs
    assert "第2行【答案】：答案“Z”不在选项A–C中" in msgs
    assert any(m.startswith("第3行【答案】：多选题至少需要两个正确答案") for m in msgs)
    assert not result.ok
    assert [q.where for q in result.questions] == ["第4行"]  # valid ones are still reported


def test_issue_fields():
    result = parse(["单选", "题（　）。", "甲", "乙", "", "", "E"])
    issue = result.errors[0]
    assert issue.where == "第2行"
    assert issue.column == "答案"


def test_normalise_stem_ignores_width_case_space_punctuation_and_blank_markers():
    a = normalise_stem("中国共产党的最高领导机关是（　　）。")
    assert a == normalise_stem("中国共产党的最高领导机关是____")
    assert a == normalise_stem(" 中国共产党的 最高领导机关是( ) ")
    assert normalise_stem("ＡＢＣ，abc！") == "abcabc"
    assert normalise_stem("《党章》——“总纲”…") == "党章总纲"
    assert normalise_stem("党章") != normalise_stem("党纲")


def test_normalise_blank_answer():
    assert normalise_blank_answer(" 中央委员会。") == normalise_blank_answer("中央委员会")
    assert normalise_blank_answer("ＮＥＷ York") == "newyork"
    assert normalise_blank_answer("1921年") == "1921年"


def test_type_words_accepted():
    words = {
        "单选": QuestionType.SINGLE,
        "单项选择": QuestionType.SINGLE,
        "单项选择题": QuestionType.SINGLE,
        "多项选择": QuestionType.MULTIPLE,
        "多项选择题": QuestionType.MULTIPLE,
        "不定项": QuestionType.MULTIPLE,
        "多选题": QuestionType.MULTIPLE,
    }
    rows = [
        [w, f"题{i}（　）。", "甲", "乙", "丙", "", "AB" if t is QuestionType.MULTIPLE else "A"]
        for i, (w, t) in enumerate(words.items())
    ]
    result = parse(*rows)
    assert result.ok, messages(result)
    assert [q.type for q in result.questions] == list(words.values())
