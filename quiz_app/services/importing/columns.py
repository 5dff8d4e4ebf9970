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
TAGS = "标签"  # read into the categories too, but split on spaces as well
OPTION_COLUMNS = tuple(f"选项{k}" for k in OPTION_KEYS)
CANONICAL = (TYPE, STEM, *OPTION_COLUMNS, ANSWER, EXPLANATION, CATEGORY, DIFFICULTY, SCORE)

_ALIASES: dict[str, str] = {}
for _canon, _names in {
    TYPE: ("题型", "试题类型", "题目类型", "类型"),
    STEM: ("题干", "题目", "试题内容", "试题题干", "题目内容", "试题", "问题", "题目名称"),
    ANSWER: ("答案", "正确答案", "参考答案", "标准答案", "正确选项"),
    EXPLANATION: ("解析", "试题解析", "答案解析", "解释"),
    CATEGORY: ("分类", "知识点", "类别", "知识类型", "知识点名称", "知识分类"),
    TAGS: ("标签", "关键词", "关键字"),
    DIFFICULTY: ("难度", "难易程度", "难度等级"),
    SCORE: ("分值", "分数"),
}.items():
    for _name in _names:
        _ALIASES[_name] = _canon
for _k in OPTION_KEYS:
    for _name in (_k, f"选项{_k}", f"{_k}选项"):
        _ALIASES[_name] = f"选项{_k}"

# "题干（必填）", "*答案", "分值(分)": decorations around a header name.
_DECOR = re.compile(r"[\s*＊:：]|[(（【\[][^(（【\[)）】\]]*[)）】\]]")
# 填空 answers spread over columns: 空1, 空2 … (also 填空1, 答案1).
_BLANK_COLUMN = re.compile(r"(?:填空|空|答案)([0-9]{1,2})")
_LONGEST_HEADER = 40  # longer cells are text, never a column name (and stay cheap to test)


def blank_column(n: int) -> str:
    """The canonical name of the column holding the n-th blank's answer."""
    return f"空{n}"


def canonical_column(header: object) -> str | None:
    """The canonical column a header cell names, or None if it is not one we know."""
    if not isinstance(header, str) or len(header) > _LONGEST_HEADER:
        return None
    text = _DECOR.sub("", unicodedata.normalize("NFKC", header)).upper()
    found = _ALIASES.get(text)
    if found is None and (m := _BLANK_COLUMN.fullmatch(text)) and int(m.group(1)) > 0:
        return blank_column(int(m.group(1)))
    return found


def blank_columns(mapping: dict[str, int]) -> list[int]:
    """Column indexes of 空1…空N in blank order (a missing number leaves a gap: None)."""
    numbers = [int(k[1:]) for k in mapping if k.startswith("空")]
    if not numbers:
        return []
    return [mapping.get(blank_column(n), -1) for n in range(1, max(numbers) + 1)]


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

    A header must name the stem column and the answer column (or 空1…空N), so a title such as
    “2024年保密知识竞赛题库” is never mistaken for it.
    """
    for idx, row in enumerate(rows[: max_title_rows + 1]):
        mapping = map_header(row)
        if STEM in mapping and (ANSWER in mapping or blank_columns(mapping)):
            return idx, mapping
    return None
