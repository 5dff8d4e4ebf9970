"""Spreadsheet header recognition: the many names people give the same column."""

from __future__ import annotations

import re
import unicodedata

from .types import OPTION_KEYS

TYPE = "题型"
STEM = "题干"
ANSWER = "答案"
EXPLANATION = "解析"
CATEGORY = "分类"
DIFFICULTY = "难度"
SCORE = "分值"
OPTION_COLUMNS = tuple(f"选项{k}" for k in OPTION_KEYS)
CANONICAL = (TYPE, STEM, *OPTION_COLUMNS, ANSWER, EXPLANATION, CATEGORY, DIFFICULTY, SCORE)

_ALIASES: dict[str, str] = {}
for _canon, _names in {
    TYPE: ("题型", "试题类型", "题目类型", "类型"),
    STEM: ("题干", "题目", "试题内容", "试题题干", "题目内容", "试题"),
    ANSWER: ("答案", "正确答案", "参考答案", "标准答案"),
    EXPLANATION: ("解析", "试题解析", "答案解析", "解释"),
    CATEGORY: ("分类", "知识点", "标签", "类别"),
    DIFFICULTY: ("难度", "难易程度", "难度等级"),
    SCORE: ("分值", "分数"),
}.items():
    for _name in _names:
        _ALIASES[_name] = _canon
for _k in OPTION_KEYS:
    for _name in (_k, f"选项{_k}", f"{_k}选项"):
        _ALIASES[_name] = f"选项{_k}"

# "题干（必填）", "*答案", "分值(分)": decorations around a header name.
_DECOR = re.compile(r"[\s*＊:：]|[(（【\[].*?[)）】\]]")


def canonical_column(header: object) -> str | None:
    """The canonical column a header cell names, or None if it is not one we know."""
    if not isinstance(header, str):
        return None
    text = _DECOR.sub("", unicodedata.normalize("NFKC", header)).upper()
    return _ALIASES.get(text)


def map_header(row: list[str]) -> dict[str, int]:
    """Canonical column → index for a header row; the first of repeated columns wins."""
    found: dict[str, int] = {}
    for idx, cell in enumerate(row):
        canon = canonical_column(cell)
        if canon is not None and canon not in found:
            found[canon] = idx
    return found


def find_header(
    rows: list[list[str]], max_title_rows: int = 8
) -> tuple[int, dict[str, int]] | None:
    """Index of the header row among the first rows (title rows may sit above it) and its map.

    A header must name the stem column and the answer column, so a title such as
    “2024年保密知识竞赛题库” is never mistaken for it.
    """
    for idx, row in enumerate(rows[: max_title_rows + 1]):
        mapping = map_header(row)
        if STEM in mapping and ANSWER in mapping:
            return idx, mapping
    return None
