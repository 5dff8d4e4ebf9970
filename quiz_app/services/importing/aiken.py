"""Moodle's Aiken format: a question line, “A) …” / “A. …” options, then “ANSWER: B”.

Read line by line like Moodle does, so a block that never gets its ANSWER line, or options that
arrive before any question, is reported once and reading carries on with the next question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .limits import DEFAULT_LIMITS, Limits
from .types import ParseResult, Reconciliation
from .validate import RawQuestion, build_result

_OPTION = re.compile(r"^([A-Z])\s*[.)．）]\s*(.*)$")
_ANSWER = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)
ANSWER_LINE = re.compile(r"^[ \t]*ANSWER\s*[:：]\s*[A-Za-z]", re.MULTILINE)


@dataclass
class _Block:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    answer: str | None = None
    orphan: bool = False  # options or ANSWER seen before any question text


def _raw(index: int, block: _Block) -> RawQuestion:
    where = f"第{index}题"
    raw = RawQuestion(
        where=where,
        type="单选",
        stem=" ".join(block.stem),
        options=block.options,
        answer=block.answer or "",
    )
    if block.orphan:
        raw.issues.append(("题干", f"选项或答案出现在题干之前（第{block.line}行），缺少题干"))
        raw.broken = True
    elif block.answer is None:
        raw.issues.append(("答案", f"缺少“ANSWER:”答案行（题目从第{block.line}行开始）"))
        raw.broken = True
    return raw


def parse_aiken(
    text: str, limits: Limits = DEFAULT_LIMITS, result: ParseResult | None = None
) -> ParseResult:
    """Every block becomes a single-choice question or an error naming its number."""
    result = result if result is not None else ParseResult()
    blocks: list[_Block] = []
    cur: _Block | None = None
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip(" \t\u3000\ufeff\r")
        if not line:
            continue
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            if cur is None:
                cur = _Block(lineno, orphan=True)
                blocks.append(cur)
            cur.answer = answer.group(1).strip()
            cur = None
        elif option and (cur is None or cur.stem or cur.orphan):
            if cur is None:
                cur = _Block(lineno, orphan=True)
                blocks.append(cur)
            cur.options.append(option.group(2).strip())
        elif cur is not None and not cur.options and not cur.orphan:
            cur.stem.append(line)  # a question written over several lines
        else:
            cur = _Block(lineno, stem=[line])
            blocks.append(cur)
    raws = [_raw(i, b) for i, b in enumerate(blocks, start=1)]
    # An ANSWER line ends a question and any other line after one starts the next, so nothing
    # can merge: each ANSWER line and each block lacking one (reported) is one question seen.
    return build_result(raws, "aiken", limits, result, Reconciliation(len(blocks), len(blocks)))
