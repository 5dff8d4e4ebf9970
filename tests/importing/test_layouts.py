"""The layouts organizers really have (issue 14), each from a small sample written for the test:
Word-style text and .docx, spreadsheets with a sheet per type, GIFT and Aiken quirks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from importing_helpers import make_xlsx, messages

from quiz_app.services.importing import QuestionType, parse_text, parse_upload

SAMPLES = Path(__file__).parent / "samples"
WORD = (SAMPLES / "word_layouts.txt").read_text(encoding="utf-8")


def _docx(lines: list[str]) -> bytes:
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _check_word_sample(result) -> None:  # type: ignore[no-untyped-def]
    assert result.ok, messages(result)
    got = [(q.type, q.stem, q.options, q.answer) for q in result.questions]
    single, judge, multiple = QuestionType.SINGLE, QuestionType.JUDGE, QuestionType.MULTIPLE
    assert got == [
        # a number followed by a tab; four options two to a line, padded with spaces
        (single, "对党员的纪律处分中最高一级是（ ）。", ("警告", "严重警告", "留党察看", "开除党籍"), ("D",)),
        # the answer inside the stem's brackets
        (single, "党的最高领导机关是党的全国代表大会和它所产生的（　）。", ("中央委员会", "中央政治局"), ("A",)),
        # an exporting system's prefix dropped; “my” answer ignored, the correct one taken
        (single, "中国共产党成立于（ ）年。", ("1919", "1921", "1927"), ("B",)),
        # a stem that starts with a digit is question 4, not part of question 3
        (single, "2024年是中华人民共和国成立（ ）周年。", ("70", "75", "80"), ("B",)),
        # true/false with the pseudo-options “正确 / 错误” and “A. 对 B. 错”
        (judge, "预备党员的预备期为一年。", (), ("T",)),
        (judge, "党员的党龄从申请入党之日算起。（　）", (), ("F",)),
        (judge, "预备党员享有表决权。", (), ("F",)),
        (judge, "党的全国代表大会每五年举行一次。", (), ("T",)),
        (multiple, "《中国共产党纪律处分条例》规定的党的纪律包括（　）。", ("政治纪律", "组织纪律", "廉洁纪律", "生活纪律"), ("A", "B", "C", "D")),
        (multiple, "国家秘密的密级分为（ ）。", ("绝密", "机密", "秘密", "内部"), ("A", "B", "C")),
    ]  # fmt: skip
    # part headings become the category; a prefix's score is kept
    assert [q.categories for q in result.questions] == [("党章",)] * 8 + [("党规与保密法",)] * 2
    assert [str(q.score) for q in result.questions if q.score is not None] == ["1.0", "1.0"]
    assert result.reconciliation.seen == result.reconciliation.recognised == 10
    assert result.reconciliation.matches


def test_word_text_sample():
    result = parse_upload("word_layouts.txt", WORD.encode("utf-8"))
    assert result.format == "text"
    _check_word_sample(result)


def test_word_text_sample_saved_as_gb18030():
    _check_word_sample(parse_upload("题库.txt", WORD.encode("gb18030")))


def test_docx_sample():
    result = parse_upload("word_layouts.docx", _docx(WORD.splitlines()))
    assert result.format == "docx"
    _check_word_sample(result)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("✔", "T"), ("√", "T"), ("对", "T"), ("正确", "T"), ("T", "T"), ("✔️", "T"),
        ("✘", "F"), ("❌", "F"), ("×", "F"), ("错", "F"), ("错误", "F"), ("F", "F"),
    ],
)  # fmt: skip
def test_true_false_answers_in_every_spelling(written, value):
    result = parse_text(f"判断题\n1. 预备党员的预备期为一年。\n答案：{written}\n")
    assert result.ok, messages(result)
    assert result.questions[0].type is QuestionType.JUDGE
    assert result.questions[0].answer == (value,)


def test_judge_marked_inline_with_a_cross_mark():
    result = parse_text("1. 预备党员享有表决权。（❌）\n")
    assert result.ok, messages(result)
    assert result.questions[0].answer == ("F",)


def test_prefix_of_a_type_we_do_not_have_is_skipped_not_left_in_the_stem():
    text = "1.(单选题, 2 分) 党的最高领导机关是（ ）。\nA. 党的全国代表大会和它所产生的中央委员会\nB. 中央政治局\n答案：A\n2.(简答题, 10 分) 简述保密工作的方针。\n"
    result = parse_text(text)
    assert result.ok, messages(result)
    assert [q.stem for q in result.questions] == ["党的最高领导机关是（ ）。"]
    assert result.questions[0].score == 2
    assert [s.message for s in result.skipped] == ["第2题（简答题）：本平台无对应题型，已跳过"]


def test_numbers_before_a_digit_stem_do_not_merge_questions():
    text = (
        "8. 中国共产党成立于（ ）年。\nA. 1921 B. 1927\n答案：A\n"
        "9.2024年是中华人民共和国成立（ ）周年。\nA. 70 B. 75\n答案：B\n"
    )
    result = parse_text(text)
    assert result.ok, messages(result)
    assert [q.stem[:4] for q in result.questions] == ["中国共产", "2024"]


def test_bare_type_headings_and_part_headings_set_type_and_category():
    text = "=== 保密知识 ===\n判断题\n1. 国家秘密的密级分为绝密、机密、秘密三级。\n答案：对\n"
    result = parse_text(text)
    assert result.ok, messages(result)
    q = result.questions[0]
    assert (q.type, q.categories) == (QuestionType.JUDGE, ("保密知识",))


def test_a_number_that_is_not_read_as_a_question_shows_in_the_reconciliation():
    text = (
        "1. 中国共产党成立于（ ）年。\nA. 1921 B. 1927\n答案：A\n"
        "3.2024年是中华人民共和国成立（ ）周年。\nA. 70 B. 75\n答案：B\n"
    )
    result = parse_text(text)
    rec = result.reconciliation
    assert (rec.seen, rec.recognised) == (3, 1)
    assert [n.message for n in rec.notes] == [
        "核对：第4行“3.2024年是中华人民共和国成立（ ）”像是题号，但没有识别为新题目，位于第1题之内",
        "核对：第6行是第1题的第二个答案行，可能有两道题被合并成了一道",
    ]
    warnings = [w.message for w in result.warnings]
    assert "核对：文件中看起来有3道题，识别出1道，请对照下面列出的位置检查文件" in warnings


def test_two_answer_lines_in_one_question_are_an_error_and_a_reconciliation_note():
    text = "1. 甲（ ）。\nA. 子 B. 丑\n答案：A\n乙（ ）。\n答案：B\n"
    result = parse_text(text)
    assert not result.ok
    assert result.reconciliation.notes[0].message == (
        "核对：第5行是第1题的第二个答案行，可能有两道题被合并成了一道"
    )


def test_verbatim_repeat_in_text_is_skipped_with_a_warning():
    one = "{n}. 国家秘密的密级分为（ ）。\nA. {a}\nB. {b}\nC. 内部\n答案：{k}\n"
    text = one.format(n=1, a="绝密", b="公开", k="A") + one.format(n=2, a="公开", b="绝密", k="B")
    result = parse_text(text)
    assert result.ok, messages(result)
    assert len(result.questions) == 1
    assert [w.message for w in result.repeats] == [
        "第2题：与第1题重复（题型、题干、选项和答案均相同），只导入第1题，第2题已跳过"
    ]


# --- spreadsheets --------------------------------------------------------------------------------


def test_one_sheet_per_type_without_a_type_column():
    choice = ["题目", "A", "B", "C", "D", "正确选项", "标签"]
    data = make_xlsx(
        [choice, ["党的最高领导机关是（　）。", "全国代表大会和中央委员会", "中央政治局", "", "", "A", "党章 组织"]],
        title="单选题",
        extra_sheets=[
            ("多选题", [choice, ["国家秘密的密级有（　）。", "绝密", "机密", "秘密", "内部", "ABC", "保密、法规"]]),
            ("判断题", [["问题", "答案", "知识类型"], ["预备党员的预备期为一年。", "√", "党章,基础"]]),
            ("填空题", [["试题", "空1", "空2", "空3"], ["国家秘密的密级分为____、____、____三级。", "绝密", "机密", "秘密"]]),
            ("使用说明", [["本表说明"], ["每类题型一个工作表"]]),
        ],
    )  # fmt: skip
    result = parse_upload("按题型分表.xlsx", data)
    assert result.ok, messages(result)
    assert [q.type for q in result.questions] == list(QuestionType)
    assert [q.categories for q in result.questions] == [
        ("党章", "组织"),
        ("保密", "法规"),
        ("党章", "基础"),
        (),
    ]
    assert result.questions[3].blanks == (("绝密",), ("机密",), ("秘密",))
    assert [s.message for s in result.skipped] == [
        "工作表“使用说明”（2行内容）没有题目表头（前9行中需有同时含“题干”和“答案”的行），未读取"
    ]
    assert not any("没有“题型”列" in w.message for w in result.warnings)


def test_fill_in_columns_with_a_gap_name_the_empty_blank():
    data = make_xlsx([["题型", "题干", "空1", "空2"], ["填空", "密级分为____和____。", "", "机密"]])
    assert messages(parse_upload("b.xlsx", data)) == [
        "第2行【答案】：第1空没有答案（各空之间用“；”分隔）"
    ]


def test_csv_with_header_synonyms():
    csv = "试题类型,题目内容,选项A,选项B,正确选项,知识点\n单选,党章规定的最高领导机关是（　）,党的全国代表大会和它所产生的中央委员会,中央政治局,A,党章\n"
    result = parse_upload("x.csv", csv.encode("utf-8"))
    assert result.ok, messages(result)
    assert result.questions[0].answer == ("A",)


# --- GIFT and Aiken ------------------------------------------------------------------------------


def test_gift_partial_credit_wrong_answers_keep_a_single_answer_question():
    result = parse_text("::密级::国家秘密分为几级？{=三级 ~%50%两级 ~四级}\n", "gift")
    assert result.ok, messages(result)
    q = result.questions[0]
    assert (q.type, q.options, q.answer) == (QuestionType.SINGLE, ("三级", "两级", "四级"), ("A",))
    assert any("部分得分" in w.message for w in result.warnings)


def test_gift_missing_word_keeps_the_spaces_around_the_blank():
    result = parse_text("Moodle costs {=nothing =0} because it is free.\n", "gift")
    assert result.ok, messages(result)
    assert result.questions[0].stem == "Moodle costs ____ because it is free."


def test_gift_without_blank_lines_and_a_glued_category_reads_each_question():
    text = (
        "$CATEGORY: $course$/保密\n"
        "::q1::国家秘密的密级分为三级。{T}\n"
        "::q2::国家秘密的密级有几级？{=三级 ~四级}\n"
        "预备党员的预备期为一年。\n{TRUE}\n"
        "预备党员享有表决权。\n{FALSE}\n"
    )
    result = parse_text(text)
    assert result.format == "gift"
    assert result.ok, messages(result)
    assert [q.stem for q in result.questions] == [
        "国家秘密的密级分为三级。",
        "国家秘密的密级有几级？",
        "预备党员的预备期为一年。",
        "预备党员享有表决权。",
    ]
    assert {q.categories for q in result.questions} == {("保密",)}
    assert result.reconciliation.matches


def test_gift_block_holding_two_answer_parts_is_refused_naming_it():
    text = "国家秘密的密级分为三级。{T} 预备党员享有表决权。{F}\n"
    result = parse_text(text, "gift")
    assert messages(result) == [
        "第1题（第1行起）：一个题目中有2个答案部分{…}，可能是几道题之间缺少空行；请在每道题之间空一行"
    ]
    assert result.reconciliation.seen == 2


def test_aiken_options_differing_only_in_sign_are_not_repeats():
    text = "方程 x² = 4 的负数解是：\nA. -2.0\nB. 2.0\nC. 4.0\nANSWER: A\n"
    result = parse_text(text)
    assert result.format == "aiken"
    assert result.ok, messages(result)
    assert result.questions[0].options == ("-2.0", "2.0", "4.0")


def test_aiken_sample_file_reconciles():
    data = (SAMPLES / "dangzhang_aiken.txt").read_bytes()
    result = parse_upload("dangzhang_aiken.txt", data)
    assert result.reconciliation.matches  # its errors are counted, not lost


def test_tags_split_on_spaces_but_category_names_keep_theirs():
    data = make_xlsx(
        [
            ["题型", "题干", "答案", "分类", "标签"],
            [
                "判断",
                "预备党员的预备期为一年。",
                "对",
                "Default for New Features",
                "党章 基础，组织",
            ],
        ]
    )
    result = parse_upload("t.xlsx", data)
    assert result.ok, messages(result)
    assert result.questions[0].categories == ("Default for New Features", "党章", "基础", "组织")


def test_a_date_title_and_an_example_mark_are_not_questions_or_prefixes():
    text = "2025.12 党章知识测试\n1.【例题】预备党员的预备期为一年。\n答案：对\n"
    result = parse_text(text)
    assert result.ok, messages(result)
    assert [q.stem for q in result.questions] == ["【例题】预备党员的预备期为一年。"]


def test_numbering_that_carries_on_after_a_heading_keeps_digit_stems_apart():
    text = (
        "一、单选题\n1. 中国共产党成立于（ ）年。\nA. 1921 B. 1927\n答案：A\n"
        "二、判断题\n2.2024年是中华人民共和国成立75周年。\n答案：对\n"
    )
    result = parse_text(text)
    assert result.ok, messages(result)
    assert [q.type for q in result.questions] == [QuestionType.SINGLE, QuestionType.JUDGE]


def test_gift_quirks_sample():
    result = parse_upload("gift_quirks.gift", (SAMPLES / "gift_quirks.gift").read_bytes())
    assert result.ok, messages(result)
    got = [(q.type, q.stem, q.options, q.answer, q.blanks) for q in result.questions]
    assert got == [
        (QuestionType.SINGLE, "国家秘密的密级分为几级？", ("三级", "两级", "四级"), ("A",), ()),
        (QuestionType.JUDGE, "预备党员的预备期为一年。", (), ("T",), ()),
        (QuestionType.BLANK, "申请入党的人须年满 ____ 岁。", (), (), (("十八", "18"),)),
    ]
    assert {q.categories for q in result.questions} == {("保密",)}
    assert result.reconciliation.matches


def test_fill_in_columns_csv_sample():
    data = (SAMPLES / "fill_in_columns.csv").read_bytes()
    result = parse_upload("fill_in_columns.csv", data)
    assert result.ok, messages(result)
    assert [q.blanks for q in result.questions] == [
        (("绝密",), ("机密",), ("秘密",)),
        (("1921",),),
    ]
    assert [q.categories for q in result.questions] == [("保密",), ("党史",)]


@pytest.mark.parametrize("marked", ["(ABC)", "（ABC）", "( A B C )", "（A、B、C）"])
def test_multiple_choice_answer_in_the_stems_brackets(marked):
    text = f"1. 国家秘密的密级包括{marked}。\nA. 绝密 B. 机密 C. 秘密 D. 内部\n"
    result = parse_text(text)
    assert result.ok, messages(result)
    q = result.questions[0]
    assert (q.type, q.answer, q.stem) == (
        QuestionType.MULTIPLE,
        ("A", "B", "C"),
        "国家秘密的密级包括（　）。",
    )
