"""Conformance with Moodle's own GIFT and Aiken fixtures (read in place, never copied)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from quiz_app.services.importing import QuestionType, parse_upload, preview_counts

INTEROP = Path(__file__).resolve().parents[2] / ".." / "shared" / "interop"

pytestmark = pytest.mark.skipif(not INTEROP.is_dir(), reason="../shared/interop/ not present")


def load(name: str):
    return parse_upload(name, (INTEROP / name).read_bytes())


def test_aiken_two_valid_single_choice_questions():
    result = load("moodle-aiken-questions.txt")
    assert result.format == "aiken"
    assert result.ok
    assert len(result.questions) == 2
    assert all(q.type is QuestionType.SINGLE for q in result.questions)
    assert [q.answer for q in result.questions] == [("B",), ("A",)]
    assert result.questions[0].options[1] == "Martin Dougiamas"
    assert '<html class="cool"> & images' in result.questions[1].stem


def test_aiken_errors_two_valid_and_three_malformed_blocks_reported():
    result = load("moodle-aiken-errors.txt")
    assert [q.stem for q in result.questions] == ["A good question", "A second good question"]
    assert result.questions[1].answer == ("B",)  # "B)Correct (No space)"
    assert len(result.errors) == 3
    assert [e.where for e in result.errors] == ["第1题", "第2题", "第4题"]
    assert "至少需要两个选项" in result.errors[0].message
    assert "缺少题干" in result.errors[1].message
    assert "缺少“ANSWER:”" in result.errors[2].message
    assert not result.ok


def test_gift_questions_map_and_unmapped_types_are_skipped_with_reason():
    result = load("moodle-gift-questions.txt")
    assert result.format == "gift"
    types = Counter(q.type for q in result.questions)
    # Q2 multiple choice, "colours" multiple response, Shortanswer, Q1 + first "2-08 TSL" true/false.
    assert types == {
        QuestionType.SINGLE: 1,
        QuestionType.MULTIPLE: 1,
        QuestionType.BLANK: 1,
        QuestionType.JUDGE: 2,
    }
    assert [s.message for s in result.skipped] == [
        "第1题“Q8”（GIFT 问答题）：本平台无对应题型，已跳过",
        "第2题“Moodle activities”（GIFT 匹配题）：本平台无对应题型，已跳过",
        "第5题“Q5”（GIFT 数值题）：本平台无对应题型，已跳过",
    ]
    colours = next(q for q in result.questions if q.type is QuestionType.MULTIPLE)
    assert colours.options == ("yellow", "red", "off-beige", "blue")
    assert colours.answer == ("A", "C")
    short = next(q for q in result.questions if q.type is QuestionType.BLANK)
    assert short.blanks == (("Frog",),)
    q1 = next(q for q in result.questions if q.stem.startswith("42 is"))
    assert q1.answer == ("F",)
    assert q1.explanation.startswith("This is, of course")
    # The file repeats "TSL is blablabla." as {T} and {TRUE}: a verbatim repeat, skipped.
    assert result.ok
    assert [w.message for w in result.repeats] == [
        "第9题：与第8题重复（题型、题干、选项和答案均相同），只导入第8题，第9题已跳过"
    ]


def test_gift_in_category():
    result = load("moodle-gift-questions-in-category.txt")
    assert result.ok
    assert preview_counts(result)["by_type"] == {"单选": 1, "多选": 0, "判断": 1, "填空": 1}
    assert {q.categories for q in result.questions} == {("Default for New Features",)}
    greeting = next(q for q in result.questions if q.type is QuestionType.SINGLE)
    assert greeting.stem == "Listen to this greeting:\nWhat language is being spoken?"
    assert greeting.answer == ("B",)
    assert [s.message for s in result.skipped] == [
        "第1题“Moodle activities”（GIFT 匹配题）：本平台无对应题型，已跳过"
    ]
