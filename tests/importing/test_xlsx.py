"""Spreadsheet import: layout tolerance (title rows, aliases, merges, formulas, numbers)."""

from __future__ import annotations

from decimal import Decimal

from importing_helpers import HEADER, bank, make_xlsx, messages, raw_xlsx

from quiz_app.services.importing import QuestionType, parse_upload, preview_counts


def test_all_four_types_parse_with_every_field():
    data = bank(
        [
            "单选题",
            "党的最高领导机关是（　）。",
            "全国代表大会和中央委员会",
            "政治局",
            "书记处",
            "",
            "A",
            "见党章。",
            "党章；基础",
            "易",
            2,
        ],
        [
            "多选",
            "国家秘密的密级分为（　）。",
            "绝密",
            "机密",
            "秘密",
            "内部",
            "A,C、B",
            "",
            "保密",
            "困难",
            "3.5",
        ],
        ["判断题", "预备党员的预备期为一年。", "", "", "", "", "√", "", "", "", ""],
        [
            "填空题",
            "国家秘密的密级分为____、____、____三级。",
            "",
            "",
            "",
            "",
            "绝密;机密｜机密级；秘密",
            "",
            "",
            "一般",
            "",
        ],
    )
    result = parse_upload("题库.xlsx", data)
    assert result.ok, messages(result)
    assert result.format == "xlsx"
    single, multiple, judge, blank = result.questions
    assert single.type is QuestionType.SINGLE
    assert single.options == ("全国代表大会和中央委员会", "政治局", "书记处")
    assert single.answer == ("A",)
    assert single.categories == ("党章", "基础")
    assert single.difficulty == "易"
    assert single.score == Decimal(2)
    assert single.explanation == "见党章。"
    assert single.where == "第2行"
    assert multiple.answer == ("A", "B", "C")
    assert multiple.difficulty == "难"
    assert multiple.score == Decimal("3.5")
    assert judge.answer == ("T",) and judge.options == ()
    assert judge.difficulty == "中"  # empty → 中
    assert blank.blanks == (("绝密",), ("机密", "机密级"), ("秘密",))
    assert blank.answer == ()
    assert blank.score is None


def test_title_rows_above_header_and_header_aliases_shift_row_numbers():
    rows = [
        ["2024年度保密知识竞赛题库"],
        ["填报单位：办公室", None, "填报日期：2024年5月"],
        [],
        [
            "试题类型",
            "试题内容",
            "A选项",
            "选项 B",
            "C",
            "标准答案",
            "答案解析",
            "知识点",
            "难度",
            "分数",
        ],
        [
            "单项选择题",
            "保密工作的方针是（　）。",
            "积极防范、突出重点、依法管理",
            "谁主管谁负责",
            "x",
            "a",
            "",
            "保密",
            "",
            "",
        ],
        ["单选", "这一行的答案超出了选项范围（　）。", "甲", "乙", "丙", "E", "", "", "", ""],
    ]
    result = parse_upload("bank.xlsx", make_xlsx(rows))
    assert messages(result) == ["第6行【答案】：答案“E”不在选项A–C中"]
    assert not result.ok
    assert result.questions[0].where == "第5行"
    assert result.questions[0].answer == ("A",)
    assert result.questions[0].categories == ("保密",)


def test_header_not_found_is_one_clear_error():
    result = parse_upload("x.xlsx", make_xlsx([["姓名", "部门"], ["张三", "办公室"]]))
    assert len(result.errors) == 1
    assert "没有同时包含“题干”和“答案”列名的行" in result.errors[0].message


def test_merged_cells_give_their_value_to_every_cell_of_the_range():
    rows = [
        HEADER,
        ["单选", "第一题题干（　）。", "甲", "乙", "", "", "A", "", "党章", "", ""],
        ["单选", "第二题题干（　）。", "丙", "丁", "", "", "B", "", "", "", ""],
        ["单选", "第三题题干（　）。", "戊", "己", "", "", "B", "", "", "", ""],
    ]
    # 分类 I2:I4 merged vertically; 题型 A2:A4 merged as well.
    data = make_xlsx(rows, merges=["I2:I4", "A2:A4"])
    result = parse_upload("merged.xlsx", data)
    assert result.ok, messages(result)
    assert [q.categories for q in result.questions] == [("党章",)] * 3
    assert all(q.type is QuestionType.SINGLE for q in result.questions)


def test_formula_cells_read_as_cached_values():
    data = raw_xlsx(
        [
            HEADER,
            [
                "单选",
                "题干一（　）。",
                ("=1920+1", 1921),
                "1949",
                None,
                None,
                ('="A"', "A"),
                None,
                None,
                None,
                ("=1+1", 2),
            ],
        ]
    )
    result = parse_upload("f.xlsx", data)
    assert result.ok, messages(result)
    q = result.questions[0]
    assert q.options == ("1921", "1949")
    assert q.answer == ("A",)
    assert q.score == Decimal(2)


def test_formula_without_cached_value_is_a_clear_error_not_formula_text():
    data = raw_xlsx([HEADER, ["单选", "题干（　）。", "甲", "乙", None, None, ("=C2",)]])
    result = parse_upload("f.xlsx", data)
    assert messages(result) == [
        "第2行【答案】：单元格是公式，但文件中没有保存计算结果；请用 Excel 打开并保存后再上传"
    ]
    assert not any("=" in m for m in messages(result))


def test_numbers_come_back_as_typed_and_spaces_are_trimmed():
    data = bank(
        [
            "  单选 ",
            "  中国共产党成立于（　）年。 ",
            1921.0,
            1949,
            1927,
            "",
            " b ",
            "",
            "",
            "",
            1.0,
        ],
    )
    result = parse_upload("n.xlsx", data)
    assert result.ok, messages(result)
    q = result.questions[0]
    assert q.stem == "中国共产党成立于（　）年。"
    assert q.options == ("1921", "1949", "1927")
    assert q.answer == ("B",)
    assert q.score == Decimal(1)


def test_blank_rows_are_skipped_silently_and_rows_keep_their_numbers():
    data = make_xlsx(
        [
            HEADER,
            ["判断", "题一。", "", "", "", "", "对"],
            [],
            [None, "  "],
            ["判断", "题二。", "", "", "", "", "X"],
        ]
    )
    result = parse_upload("b.xlsx", data)
    assert result.ok
    assert [q.where for q in result.questions] == ["第2行", "第5行"]
    assert result.questions[1].answer == ("F",)


def test_sheet_without_header_is_reported_not_ignored():
    other = [["说明"], ["请在“题库”表中填写"]]
    data = make_xlsx(
        [HEADER, ["判断", "题库表中的题。", "", "", "", "", "对"]],
        extra_sheets=[("说明", other)],
        first_title="说明",
    )
    result = parse_upload("s.xlsx", data)
    assert result.ok, messages(result)
    assert [q.stem for q in result.questions] == ["题库表中的题。"]
    assert [s.message for s in result.skipped] == [
        "工作表“说明”（2行内容）没有题目表头（前9行中需有同时含“题干”和“答案”的行），未读取"
    ]


def test_every_sheet_is_read_and_messages_name_the_sheet():
    data = make_xlsx(
        [HEADER, ["判断", "第一张表的题。", "", "", "", "", "错"]],
        title="Sheet1",
        extra_sheets=[("其他", [HEADER, ["判断", "第二张表的题。", "", "", "", "", "不知道"]])],
    )
    result = parse_upload("s.xlsx", data)
    assert [q.stem for q in result.questions] == ["第一张表的题。"]
    assert messages(result) == [
        "工作表“其他”第2行【答案】：判断题答案“不知道”无法识别，应为 正确/错误、对/错、√/×、T/F 之一"
    ]


def test_missing_type_column_infers_type_with_a_warning():
    rows = [
        ["题干", "选项A", "选项B", "选项C", "答案"],
        ["单选推断（　）。", "甲", "乙", "丙", "B"],
        ["多选推断（　）。", "甲", "乙", "丙", "AB"],
        ["判断推断。", "", "", "", "错误"],
        ["填空推断____。", "", "", "", "答案"],
        ["判断选项推断。", "正确", "错误", "", "B"],
    ]
    result = parse_upload("i.xlsx", make_xlsx(rows))
    assert result.ok, messages(result)
    assert [q.type for q in result.questions] == [
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.JUDGE,
        QuestionType.BLANK,
        QuestionType.JUDGE,
    ]
    assert result.questions[4].answer == ("F",)
    assert any("没有“题型”列" in w.message for w in result.warnings)


def test_preview_counts_by_type_and_category():
    data = bank(
        ["单选", "一（　）。", "甲", "乙", "", "", "A", "", "党章；保密"],
        ["单选", "二（　）。", "甲", "乙", "", "", "A", "", "党章"],
        ["判断", "三。", "", "", "", "", "对"],
    )
    counts = preview_counts(parse_upload("p.xlsx", data))
    assert counts["total"] == 3
    assert counts["by_type"] == {"单选": 2, "多选": 0, "判断": 1, "填空": 0}
    assert counts["by_category"] == {"党章": 2, "保密": 1, "未分类": 1}
    assert counts["errors"] == 0
