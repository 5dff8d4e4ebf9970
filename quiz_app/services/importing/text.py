"""Word-style question text (pasted, .txt or .docx paragraphs): numbered stems, lettered options,
“答案：” lines and section headings such as “二、多项选择题（每题2分）”."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .limits import DEFAULT_LIMITS, Limits
from .types import ImportIssue, ParseResult, Reconciliation
from .validate import RawQuestion, build_result, type_named_in

_CN_NUM = "一二三四五六七八九十"
_HEADING = re.compile(
    rf"^(?:第?[{_CN_NUM}]+\s*(?:部分\s*)?[、.．,，:：]|[(（][{_CN_NUM}]+[)）]|第[{_CN_NUM}]+部分)\s*(.+)$"
)
# No two neighbouring quantifiers may match the same characters: a line of spaces must not make
# the engine try every split between them (a 120 KB paste once kept a worker busy that way).
_BARE_HEADING = re.compile(
    r"^(单选题|单项选择题|多选题|多项选择题|不定项选择题|判断题|是非题|填空题|选择题)"
    r"\s*(?:[(（].*[)）]\s*)?[:：]?$"
)
_QUESTION = re.compile(
    r"^(?:第\s*([0-9０-９]+)\s*题\s*[.．、:：]?"
    r"|([0-9０-９]+)(?:\t|\s*(?:[.．、]|[)）](?![0-9０-９]))(?![0-9０-９]))"
    r"|[(（]\s*([0-9０-９]+)\s*[)）])\s*(.*)$"
)
# “9.2025年中央经济工作会议指出……”: a number whose stem starts with a digit; it is a question
# only when it continues the numbering, so “3.14” inside a stem stays text.
_QUESTION_DIGIT = re.compile(r"^([0-9０-９]{1,4})[.．、]([0-9０-９].*)$")
# What looks like a question number to a person, for the reconciliation count.
_LOOSE_NUMBER = re.compile(
    r"^(?:第\s*[0-9０-９]{1,5}\s*题|[0-9０-９]{1,5}[ \t]*[.．、)）\t]|[(（][0-9０-９]{1,5}[)）])"
)
# An exporting system's prefix before the stem: “(单选题, 1.0 分)”, “(1分)”, “【多选题】”.
_PREFIX = re.compile(
    r"[(（【\[][ \t]*(?:(?P<type>[\u4e00-\u9fff]{1,7}题)[ \t]*[,，、]?[ \t]*)?"
    r"(?:(?P<score>[0-9]{1,4}(?:\.[0-9]{1,2})?)[ \t]*分)?[ \t]*[)）】\]][ \t]*"
)
# “正确 / 错误” after the stem of an exported true/false item: options, not stem text.
_TRUTH_LINE = re.compile(r"(正确|对|√|✓|✔)[ \t\u3000]*[/／|｜、,，]?[ \t\u3000]*(错误|错|×|✗|✘|❌)")
_PART_DECOR = "-—–=*#~_＝"
# Types of other exam systems the platform has not; a prefix naming one skips the question.
_OTHER_TYPES = (
    "简答",
    "问答",
    "论述",
    "案例",
    "计算",
    "材料",
    "名词解释",
    "主观",
    "匹配",
    "连线",
    "排序",
)
_MARKER = re.compile(
    r"(?:[(（]\s*([A-HＡ-Ｈ])\s*[)）]"
    r"|(?<![A-Za-z0-9Ａ-Ｚａ-ｚ])([A-HＡ-Ｈ])\s*[.．、:：)）])[ \t\u3000]*"
)
_LABELS = {
    "mine": "我的答案|得分",  # an exam-review export: the examinee's answer, never the key
    "answer": "正确答案|参考答案|标准答案|答案",
    "explanation": "答案解析|试题解析|解析",
    "difficulty": "难易程度|难度",
    "categories": "分类|知识点|标签|类别",
    "score": "分值|分数",
    "type": "题型",
}
_LABEL_ALT = "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items())
_META = re.compile(
    rf"(?:[【\[]\s*(?:{_LABEL_ALT})\s*[】\]]\s*[:：]?"
    rf"|(?:{_LABEL_ALT.replace('?P<', '?P<_')})\s*[:：])[ \t\u3000]*"
)
_INLINE_CHOICE = re.compile(
    r"[(（][ \t\u3000]*([A-HＡ-Ｈ](?:[ \t\u3000,，、]*[A-HＡ-Ｈ])*)[ \t\u3000]*[)）]"
)
_INLINE_JUDGE = re.compile(
    r"[(（][ \t\u3000]*(√|×|✓|✗|✔|✘|❌|对|错|正确|错误)\ufe0f?[ \t\u3000]*[)）]"
    r"(?=[ \t\u3000。.！!]*$)"
)
_SCORE_EACH = re.compile(
    r"每(?:小)?题\s*([0-9]+(?:\.[0-9]+)?)\s*分|([0-9]+(?:\.[0-9]+)?)\s*分\s*/\s*题"
)


def _num(text: str) -> int:
    return int(unicodedata.normalize("NFKC", text))


@dataclass
class _Section:
    type: str = ""
    score: str = ""
    unsupported: str = ""
    part: str = ""  # “--- 《党章》部分 ---”: the category of the questions under it


@dataclass
class _Draft:
    number: int
    line: int
    section: _Section
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    issues: list[tuple[str | None, str]] = field(default_factory=list)
    state: str = "stem"
    unsupported: str = ""  # a prefix naming a type the platform has not (简答题)
    prefix_type: str = ""
    prefix_score: str = ""


def _part(line: str) -> str | None:
    """The title inside a part heading such as “--- 《党章》部分 ---”, or None."""
    if len(line) > 60 or len(line) < 5:
        return None
    if not (all(c in _PART_DECOR for c in line[:2]) and all(c in _PART_DECOR for c in line[-2:])):
        return None
    inner = line.strip(_PART_DECOR + " \t\u3000")
    return inner or None


def _heading(line: str, current: _Section | None = None) -> _Section | None:
    """A section heading (一、单选题（每题2分）) → its type and default score; a part heading
    (--- 《党章》部分 ---) → the current section, whose questions now take the part's name as
    their category."""
    part = current.part if current is not None else ""
    inner = _part(line)
    if inner is not None:
        found = _heading(inner, current)
        if found is not None:
            return found
        name = inner.strip("《》〈〉<> ").removesuffix("部分").strip("《》〈〉<> ")
        kept = current or _Section()
        return _Section(kept.type, kept.score, kept.unsupported, name or inner)
    m = _HEADING.match(line)
    rest = m.group(1) if m else None
    if rest is None and _BARE_HEADING.match(line):
        rest = line
    if rest is None or "题" not in rest:
        return None
    if len(rest) > 40:
        return None
    section = _Section(part=part)
    qtype = type_named_in(rest)
    if qtype is not None:
        section.type = qtype.label
    elif "选择" not in rest:  # 选择题 alone: single or multiple, told by each answer
        section.unsupported = re.split(r"[(（:：]", rest, maxsplit=1)[0].strip()
    score = _SCORE_EACH.search(unicodedata.normalize("NFKC", rest))
    if score:
        section.score = score.group(1) or score.group(2)
    return section


def split_options(text: str, first: int = 0, at_start: bool = True) -> tuple[str, list[str]]:
    """“A．党章 B．党纲 C．…” → ("", ["党章", "党纲", …]).

    Only markers in alphabetical sequence count, so “维生素B．” inside an option is not a split.
    With at_start False the chain may begin mid-line (options written after the stem) but must
    then hold at least two options. Returns the text before the first marker and the options.
    """
    expected = first
    cuts: list[tuple[int, int]] = []
    for m in _MARKER.finditer(text):
        letter = unicodedata.normalize("NFKC", m.group(1) or m.group(2))
        if ord(letter) - ord("A") != expected:
            continue
        if not cuts and at_start and m.start() != 0:
            return text, []
        if not cuts and not at_start and m.start() > 0 and not text[m.start() - 1].isspace():
            continue
        cuts.append((m.start(), m.end()))
        expected += 1
    if not cuts or (not at_start and len(cuts) < 2):
        return text, []
    options = []
    for i, (_start, end) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        options.append(text[end:stop].strip())
    return text[: cuts[0][0]].strip(), options


def _meta_items(line: str) -> list[tuple[str, str]] | None:
    """Labelled values on a line (“答案：B　解析：…”); None unless it starts with a label."""
    matches = list(_META.finditer(line))
    if not matches or matches[0].start() != 0:
        return None
    items = []
    for i, m in enumerate(matches):
        kind = next(k.lstrip("_") for k, v in m.groupdict().items() if v)
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        if kind == "explanation":
            items.append((kind, line[m.end() :].strip()))
            break
        items.append((kind, line[m.end() : stop].strip()))
    return items


class _Reader:
    def __init__(self) -> None:
        self.section = _Section()
        self.drafts: list[_Draft] = []
        self.cur: _Draft | None = None
        self.last_number = 0
        self.warnings: list[ImportIssue] = []
        self.seen = 0  # question-like blocks: numbers, and answer lines that began no question
        self.notes: list[ImportIssue] = []

    def _note(self, lineno: int, text: str) -> None:
        self.notes.append(ImportIssue(f"第{lineno}行", f"核对：第{lineno}行{text}"))

    def _number(self, line: str) -> tuple[int, str] | None:
        m = _QUESTION.match(line)
        if m:
            return _num(m.group(1) or m.group(2) or m.group(3)), m.group(4).strip()
        m = _QUESTION_DIGIT.match(line)
        if m is None:
            return None
        number = _num(m.group(1))
        # It continues the numbering, or opens a section whose numbering carries on from the
        # last; a title such as “2025.12 党章知识测试” above the first question is not one.
        after_heading = self.cur is None and bool(self.drafts) and number > self.last_number
        if number == self.last_number + 1 or after_heading:
            return number, m.group(2).strip()
        return None

    def feed(self, lineno: int, line: str) -> None:
        cur = self.cur
        section = _heading(line, self.section)
        if section is not None:
            self.cur = None
            self.last_number = 0
            self.section = section
            return
        found = self._number(line)
        # “1. …” inside an explanation is a list item, unless it continues the numbering.
        in_list = bool(
            cur and cur.state == "explanation" and found and found[0] <= self.last_number
        )
        if found and not in_list:
            self.seen += 1
            self._start(lineno, *found)
            return
        if not in_list and _LOOSE_NUMBER.match(line):
            self.seen += 1
            where = f"位于第{len(self.drafts)}题之内" if cur else "不属于任何题目，已忽略"
            self._note(lineno, f"“{line[:20]}”像是题号，但没有识别为新题目，{where}")
        items = _meta_items(line)
        if cur is None:
            if items is not None and any(kind == "answer" for kind, _ in items):
                self._note(lineno, f"的答案行“{line[:20]}”不属于任何题目，已忽略")
            return
        if items is not None:
            for kind, value in items:
                if kind == "mine":
                    continue  # the examinee's own answer in a review export: never the key
                if kind in cur.meta and kind != "explanation":
                    cur.issues.append((None, f"“{_LABELS[kind].split('|')[-1]}”出现了两次"))
                    if kind == "answer":
                        self.seen += 1
                        self._note(
                            lineno,
                            f"是第{len(self.drafts)}题的第二个答案行，可能有两道题被合并成了一道",
                        )
                cur.meta[kind] = value
                cur.state = "explanation" if kind == "explanation" else "answer"
            return
        if cur.state == "explanation":
            cur.meta["explanation"] = f"{cur.meta['explanation']}\n{line}".strip()
            return
        if cur.state == "stem" and len(line) <= 20 and (t := _TRUTH_LINE.fullmatch(line)):
            cur.options = [t.group(1), t.group(2)]  # “正确 / 错误” after an exported 判断 stem
            cur.state = "option"
            return
        _, options = split_options(line, len(cur.options))
        if options:
            cur.options.extend(options)
            cur.state = "option"
        elif _MARKER.match(line) and cur.state in ("stem", "option"):
            cur.issues.append(("选项", f"选项“{line[:20]}”的字母顺序不对，应从A起按顺序排列"))
        elif cur.state == "stem":
            cur.stem.append(line)
        elif cur.state == "option":
            cur.options[-1] = f"{cur.options[-1]}{line}"
        else:
            self.warnings.append(
                ImportIssue(
                    f"第{len(self.drafts)}题",
                    f"第{len(self.drafts)}题：无法识别的内容“{line[:30]}”，已忽略",
                )
            )

    def _start(self, lineno: int, number: int, rest: str) -> None:
        draft = _Draft(number=number, line=lineno, section=self.section)
        rest = _drop_prefixes(draft, rest)
        before, options = split_options(rest, 0, at_start=False)
        draft.stem.append(before if options else rest)
        if options:
            draft.options.extend(options)
            draft.state = "option"
        self.drafts.append(draft)
        self.cur = draft
        self.last_number = number


def _drop_prefixes(draft: _Draft, rest: str) -> str:
    """Remove “(单选题, 1.0 分) (1分)” before a stem, keeping the type and the score."""
    for _ in range(3):
        m = _PREFIX.match(rest[:60])  # a bounded slice: the pattern never sees a long line
        if m is None or not (m.group("type") or m.group("score")):
            break
        word = m.group("type")
        if word:
            qtype = type_named_in(word)
            if qtype is not None:
                draft.prefix_type = draft.prefix_type or qtype.label
            elif any(kind in word for kind in _OTHER_TYPES):
                draft.unsupported = word
            elif "选择" not in word:
                break  # “【例题】”: not a type, so part of the stem
        if m.group("score"):
            draft.prefix_score = draft.prefix_score or m.group("score")
        rest = rest[m.end() :]
    return rest


def _to_raw(index: int, draft: _Draft) -> RawQuestion:
    stem = "\n".join(s for s in draft.stem if s).strip()
    meta = draft.meta
    answer = meta.get("answer", "")
    if not answer:
        pattern = _INLINE_CHOICE if draft.options else _INLINE_JUDGE
        found = list(pattern.finditer(stem))
        if len(found) == 1:
            answer = found[0].group(1)
            stem = f"{stem[: found[0].start()]}（　）{stem[found[0].end() :]}"
    qtype = meta.get("type", "") or draft.prefix_type or draft.section.type
    return RawQuestion(
        where=f"第{index}题",
        type=qtype,
        stem=stem,
        options=list(draft.options),
        answer=answer,
        explanation=meta.get("explanation", ""),
        categories=meta.get("categories", "") or draft.section.part,
        difficulty=meta.get("difficulty", ""),
        score=meta.get("score", "") or draft.prefix_score or draft.section.score,
        infer_type=not qtype,
        issues=list(draft.issues),
    )


def parse_word_text(
    text: str, limits: Limits = DEFAULT_LIMITS, result: ParseResult | None = None, fmt: str = "text"
) -> ParseResult:
    """Parse Word-style text; questions under headings of other types (简答题) are skipped."""
    result = result if result is not None else ParseResult()
    reader = _Reader()
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip(" \t\u3000\ufeff\r")
        if line:
            reader.feed(lineno, line)
    raws = []
    for index, draft in enumerate(reader.drafts, start=1):
        unsupported = draft.unsupported or draft.section.unsupported
        if unsupported:
            where = f"第{index}题"
            result.skipped.append(
                ImportIssue(where, f"{where}（{unsupported}）：本平台无对应题型，已跳过")
            )
            continue
        raws.append(_to_raw(index, draft))
    result.warnings.extend(reader.warnings)
    if not reader.drafts:
        result.format = fmt
        result.errors.append(
            ImportIssue("文件", "没有找到题目：题目应以“1．”“1、”“（1）”等题号开头")
        )
        return result
    census = Reconciliation(reader.seen, len(reader.drafts), reader.notes)
    return build_result(raws, fmt, limits, result, census)
