"""Moodle GIFT: the types that map (multiple choice, multiple response, true/false, short answer)
become questions; essay, matching, numerical and descriptions are listed as skipped, with why."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .limits import DEFAULT_LIMITS, Limits
from .types import OPTION_KEYS, ImportIssue, ParseResult, Reconciliation
from .validate import RawQuestion, build_result

_ESCAPABLE = "~=#{}:\\"
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]\s*", re.IGNORECASE)
# [^<>] rather than [^>]: a text of many “<” without “>” must not rescan to its end each time.
_TAG = re.compile(r"<[^<>]*>")
_BREAK = re.compile(r"<[ \t]*(?:br|/p|/div|/li)\b[^<>]*>", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TITLE = re.compile(r"^::((?:\\.|[^\\])*?)::", re.DOTALL)
_CATEGORY = re.compile(r"^\$CATEGORY:[ \t]*(.*)$")
GIFT_HINT = re.compile(r"^[ \t]*::[^\n]+?::|\{\s*(?:[=~#}]|T\s*\}|F\s*\}|TRUE|FALSE)", re.MULTILINE)


def _find(text: str, chars: str, start: int = 0) -> int:
    """Index of the first unescaped char from chars at or after start, or -1."""
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch in chars:
            return i
        i += 1
    return -1


def _split(text: str, chars: str) -> list[str]:
    """Split at every unescaped char of chars, keeping each separator at the start of its piece."""
    pieces, last = [], 0
    i = _find(text, chars)
    while i >= 0:
        pieces.append(text[last:i])
        last = i
        i = _find(text, chars, i + 1)
    pieces.append(text[last:])
    return pieces


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _clean(text: str, is_html: bool = False) -> str:
    """GIFT text → plain text: format marker dropped, HTML tags stripped, escapes resolved."""
    m = _FORMAT.match(text)
    if m:
        is_html = is_html or m.group(1).lower() == "html"
        text = text[m.end() :]
    text = _unescape(text)
    if is_html or (_TAG.search(text) and m is not None):
        text = _BREAK.sub("\n", text)
        text = html.unescape(_TAG.sub("", text))
    text = re.sub(r"[ \t]+", " ", text)
    return "\n".join(part.strip() for part in text.splitlines() if part.strip())


@dataclass
class _Answer:
    correct: bool
    weight: float | None
    text: str
    feedback: str


def _answers(block: str, is_html: bool) -> list[_Answer]:
    answers = []
    for piece in _split(block, "=~"):
        if not piece or piece[0] not in "=~":
            continue
        body = piece[1:]
        weight = None
        wm = _WEIGHT.match(body.strip())
        if wm:
            weight = float(wm.group(1))
            body = body.strip()[wm.end() :]
        hash_at = _find(body, "#")
        feedback = body[hash_at + 1 :] if hash_at >= 0 else ""
        body = body[:hash_at] if hash_at >= 0 else body
        answers.append(
            _Answer(piece[0] == "=", weight, _clean(body, is_html), _clean(feedback, is_html))
        )
    return answers


def _category_name(value: str) -> str:
    """“$course$/Top/保密知识” → “保密知识”: the last level, as our categories are flat."""
    parts = [p.strip() for p in value.split("/")]
    parts = [p for p in parts if p and not re.fullmatch(r"\$\w+\$", p)]
    return parts[-1] if parts else ""


@dataclass
class _Block:
    text: str
    line: int  # where it starts, for messages
    groups: int  # answer blocks {…} at the top level


def _blocks(text: str) -> list[_Block]:
    """Question texts: comment lines removed, separated by blank lines outside answer braces.

    A $CATEGORY line is always a block of its own, and a line starting with a ::title:: or
    holding a new answer block after one has closed begins a new question (taking along the
    lines written since that answer block closed, its stem), so files written without blank
    lines between questions are still read one question at a time.
    """
    blocks: list[_Block] = []
    current: list[tuple[int, str]] = []  # (line number, text)
    groups = depth = 0
    closed_at = 0  # lines of current up to the end of its last answer block

    def close(keep: int | None = None) -> None:
        nonlocal current, groups
        done, current = (current[:keep], current[keep:]) if keep is not None else (current, [])
        if done:
            blocks.append(_Block("\n".join(t for _, t in done), done[0][0], groups))
        groups = 0

    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip() and depth == 0:
            close()
            continue
        head = line.lstrip()
        if depth == 0 and current:
            if (
                head.startswith("$CATEGORY")
                or _CATEGORY.match(current[0][1].lstrip())
                or (groups and head.startswith("::"))
            ):
                close()
            elif groups and _find(line, "{") >= 0:
                close(closed_at)
        current.append((lineno, line))
        i = _find(line, "{}")
        while i >= 0:
            if line[i] == "{":
                groups += depth == 0
                depth += 1
            else:
                depth = max(0, depth - 1)
                if depth == 0:
                    closed_at = len(current)
            i = _find(line, "{}", i + 1)
    close()
    return blocks


def parse_gift(
    text: str, limits: Limits = DEFAULT_LIMITS, result: ParseResult | None = None
) -> ParseResult:
    """Map every GIFT question we can, and say why each other one was skipped."""
    result = result if result is not None else ParseResult()
    category = ""
    raws: list[RawQuestion] = []
    number = 0
    census = Reconciliation()
    for block in _blocks(text.lstrip("\ufeff")):
        stripped = block.text.strip()
        cat = _CATEGORY.match(stripped)
        if cat:
            category = _category_name(cat.group(1))
            continue
        number += 1
        where = f"第{number}题"
        census.seen += max(1, block.groups)
        census.recognised += 1
        if block.groups > 1:
            census.notes.append(
                ImportIssue(
                    where,
                    f"核对：第{block.line}行起的{where}中有{block.groups}个答案部分{{…}}，"
                    "可能是几道题之间缺少空行",
                )
            )
            result.errors.append(
                ImportIssue(
                    where,
                    f"{where}（第{block.line}行起）：一个题目中有{block.groups}个答案部分{{…}}，"
                    "可能是几道题之间缺少空行；请在每道题之间空一行",
                )
            )
            continue
        raw = _question(stripped, where, result)
        if raw is not None:
            if category:
                raw.categories = [category]
            raws.append(raw)
    return build_result(raws, "gift", limits, result, census)


def _skip(result: ParseResult, where: str, kind: str, title: str) -> None:
    named = f"“{title}”" if title else ""
    result.skipped.append(
        ImportIssue(where, f"{where}{named}（GIFT {kind}）：本平台无对应题型，已跳过")
    )


def _question(block: str, where: str, result: ParseResult) -> RawQuestion | None:
    title = ""
    m = _TITLE.match(block)
    if m:
        title = _unescape(m.group(1)).strip()
        block = block[m.end() :]
    fm = _FORMAT.match(block)
    is_html = bool(fm and fm.group(1).lower() == "html")
    open_at = _find(block, "{")
    close_at = _find(block, "}", open_at + 1) if open_at >= 0 else -1
    if open_at < 0 or close_at < 0:
        named = f"“{title}”" if title else ""
        result.skipped.append(
            ImportIssue(where, f"{where}{named}（GIFT 说明文字）：没有答案，已跳过")
        )
        return None
    before, inside, after = block[:open_at], block[open_at + 1 : close_at], block[close_at + 1 :]
    stem = _clean(before, is_html)
    tail = _clean(after, is_html)
    if re.search(r"\w", tail):  # “missing word” form: the answer block marks a blank in the text
        # The spaces around the block stay, so “costs {…} because” reads “costs ____ because”.
        left = " " if before[-1:].isspace() and stem else ""
        right = " " if after[:1].isspace() else ""
        stem = f"{stem}{left}____{right}{tail}"

    body = inside.strip()
    general = ""
    gi = body.find("####")
    if gi >= 0:
        general = _clean(body[gi + 4 :], is_html)
        body = body[:gi].strip()
    if not body:
        _skip(result, where, "问答题", title)
        return None
    if body.startswith("#"):
        _skip(result, where, "数值题", title)
        return None
    tf = re.match(r"^(T|TRUE|F|FALSE)\s*(?:#|$)", body, re.IGNORECASE)
    if tf:
        value = tf.group(1).upper().startswith("T")
        feedback = [_clean(p, is_html) for p in _split(body[tf.end(1) :], "#")[1:] if p]
        # Moodle's order: the first feedback is for a wrong answer, the second for a right one.
        explanation = general or (
            _clean(feedback[1].lstrip("#"), is_html) if len(feedback) > 1 else ""
        )
        answer = "T" if value else "F"
        return RawQuestion(where, type="判断", stem=stem, answer=answer, explanation=explanation)
    answers = _answers(body, is_html)
    if not answers:
        result.skipped.append(ImportIssue(where, f"{where}（GIFT）：无法识别答案部分，已跳过"))
        return None
    if any("->" in a.text for a in answers):
        _skip(result, where, "匹配题", title)
        return None
    if all(a.correct for a in answers):
        accepted = tuple(
            a.text for a in answers if a.weight in (None, 100.0) and a.text not in ("", "*")
        )
        dropped = [a.text for a in answers if a.text not in accepted]
        if dropped:
            result.warnings.append(
                ImportIssue(
                    where,
                    f"{where}【答案】：部分得分或通配的答案“{'、'.join(dropped)}”不被本平台支持，已忽略",
                    "答案",
                )
            )
        feedback = next((a.feedback for a in answers if a.text in accepted and a.feedback), "")
        return RawQuestion(
            where=where,
            type="填空",
            stem=stem,
            blanks=(accepted,) if accepted else None,
            explanation=general or feedback,
        )
    full = [i for i, a in enumerate(answers) if a.correct]
    if len(full) == 1:
        # Moodle's rule: one “=” answer makes a single-answer question, even when some “~”
        # answers carry partial credit (~%50%); that credit is not kept.
        right = full
        if any(a.weight and a.weight > 0 for a in answers if not a.correct):
            result.warnings.append(
                ImportIssue(
                    where,
                    f"{where}【答案】：部分得分的错误选项按不得分导入（本平台单选题只有一个正确答案）",
                    "答案",
                )
            )
    else:
        right = [
            i
            for i, a in enumerate(answers)
            if (a.weight is None and a.correct) or (a.weight is not None and a.weight > 0)
        ]
    correct = [OPTION_KEYS[i] if i < len(OPTION_KEYS) else "?" for i in right]
    feedback = next((answers[i].feedback for i in right if answers[i].feedback), "")
    return RawQuestion(
        where=where,
        type="多选" if len(correct) > 1 else "单选",
        stem=stem,
        options=[a.text for a in answers],
        answer="".join(correct),
        explanation=general or feedback,
    )
