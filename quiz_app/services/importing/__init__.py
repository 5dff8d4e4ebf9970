"""Question-bank import: every supported format parsed into one ParseResult through one validation
path. Pure functions over bytes/text: no Flask, no database, so callers decide what to write."""

from __future__ import annotations

import posixpath
import re
from collections import Counter

from .aiken import ANSWER_LINE, parse_aiken
from .csv_ import decode_text, parse_csv
from .docx_ import docx_lines
from .gift import GIFT_HINT, parse_gift
from .limits import DEFAULT_LIMITS, HostileFile, Limits, size_message
from .normalise import normalise_blank_answer, normalise_stem, question_key
from .text import parse_word_text
from .types import (
    DIFFICULTIES,
    OPTION_KEYS,
    ImportIssue,
    ParseResult,
    QuestionData,
    QuestionType,
    Reconciliation,
)
from .xlsx import parse_xlsx

__all__ = [
    "DEFAULT_LIMITS",
    "DIFFICULTIES",
    "FORMATS",
    "OPTION_KEYS",
    "ImportIssue",
    "Limits",
    "ParseResult",
    "QuestionData",
    "QuestionType",
    "Reconciliation",
    "detect_text_format",
    "normalise_blank_answer",
    "normalise_stem",
    "parse_text",
    "parse_upload",
    "preview_counts",
    "question_key",
]

FORMATS = ("xlsx", "csv", "text", "docx", "gift", "aiken")
_BY_EXTENSION = {
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".docx": "docx",
    ".gift": "gift",
    ".aiken": "aiken",
    ".txt": None,  # decided from the content
    "": None,
}
UNCATEGORISED = "未分类"


# [ \t]* rather than \s*: \s* crosses line ends, so on a paste of blank lines every line start
# would scan all the rest (quadratic: 120 KB of line breaks kept a worker busy for minutes).
GIFT_TITLE = re.compile(r"^[ \t]*::[^\n]+?::", re.MULTILINE)


def detect_text_format(text: str) -> str:
    """gift for ::title:: or {…} answer blocks, aiken for “ANSWER: X” lines, else Word text.

    Every pattern here runs in time linear in the text (tests/importing/test_hostile.py).
    """
    if GIFT_TITLE.search(text):
        return "gift"
    if ANSWER_LINE.search(text):
        return "aiken"
    if GIFT_HINT.search(text):
        return "gift"
    return "text"


def _unsupported(ext: str) -> str:
    shown = ext or "（无扩展名）"
    extra = "；Word 文件请另存为 .docx" if ext in (".doc", ".wps", ".rtf") else ""
    return f"不支持该文件格式（{shown}）：请另存为 .xlsx 后上传{extra}"


def _sniff_binary(data: bytes) -> str | None:
    """Format of an upload without a usable extension, from its first bytes."""
    if data.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536]:
            return "docx"
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls / .doc / .et
        return "ole"
    return None


def parse_text(text: str, fmt: str | None = None, limits: Limits = DEFAULT_LIMITS) -> ParseResult:
    """Parse pasted text; Word-style unless it looks like GIFT or Aiken (or fmt says so)."""
    fmt = fmt or detect_text_format(text)
    if fmt == "gift":
        return parse_gift(text, limits)
    if fmt == "aiken":
        return parse_aiken(text, limits)
    if fmt == "text":
        return parse_word_text(text, limits)
    raise ValueError(f"unknown text format {fmt!r}")


def parse_upload(
    filename: str, data: bytes, fmt: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParseResult:
    """Parse an uploaded file. Nothing is raised for bad input: every problem is an ImportIssue,
    and any error means the caller must import nothing.

    fmt overrides detection; otherwise the extension decides, and .txt or a missing extension is
    settled from the content.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    result = ParseResult(format=fmt or "")
    too_big = size_message(len(data), limits)
    if too_big:
        result.errors.append(ImportIssue("文件", too_big))
        return result

    ext = posixpath.splitext(filename.replace("\\", "/").lower())[1]
    if fmt is None:
        if ext not in _BY_EXTENSION:
            result.errors.append(ImportIssue("文件", _unsupported(ext)))
            return result
        fmt = _BY_EXTENSION[ext]
        if fmt is None:
            sniffed = _sniff_binary(data)
            if sniffed == "ole":
                result.errors.append(ImportIssue("文件", _unsupported(ext)))
                return result
            fmt = sniffed
    if fmt == "xlsx":
        return parse_xlsx(data, limits, result)
    if fmt == "csv":
        return parse_csv(data, limits, result)
    if fmt == "docx":
        return _parse_docx(data, limits, result)

    text = decode_text(data)
    if text is None:
        result.format = fmt or "text"
        result.errors.append(
            ImportIssue("文件", "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的文本文件后上传")
        )
        return result
    fmt = fmt or detect_text_format(text)
    if fmt == "gift":
        return parse_gift(text, limits, result)
    if fmt == "aiken":
        return parse_aiken(text, limits, result)
    return parse_word_text(text, limits, result)


def _parse_docx(data: bytes, limits: Limits, result: ParseResult) -> ParseResult:
    result.format = "docx"
    try:
        lines, numbered = docx_lines(data, limits)
    except HostileFile as exc:
        result.errors.append(ImportIssue("文件", str(exc)))
        return result
    if numbered:
        result.warnings.append(
            ImportIssue(
                "文件",
                f"文件：有{numbered}个段落使用了 Word 自动编号，自动生成的题号和选项字母无法读取；"
                "如题目识别不全，请先将自动编号转换为文本（或粘贴为纯文本）后再上传",
            )
        )
    return parse_word_text("\n".join(lines), limits, result, fmt="docx")


def preview_counts(result: ParseResult) -> dict[str, object]:
    """Counts for the pre-import report.

    Returns {"total", "by_type": {label: n} (all four labels, fixed order), "by_category":
    {name: n} (a question counts under each of its categories; “未分类” when it has none),
    "errors", "warnings", "skipped"}.
    """
    by_type = {t.label: 0 for t in QuestionType}
    by_category: Counter[str] = Counter()
    for q in result.questions:
        by_type[q.type.label] += 1
        for cat in q.categories or (UNCATEGORISED,):
            by_category[cat] += 1
    return {
        "total": len(result.questions),
        "by_type": by_type,
        "by_category": dict(by_category),
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "skipped": len(result.skipped),
        "repeats": len(result.repeats),
    }
