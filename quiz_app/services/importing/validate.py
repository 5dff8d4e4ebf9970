"""The single validation path: every reader turns its input into RawQuestion objects and this
module turns them into QuestionData or precise Chinese errors: all formats obey the same rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import columns as col
from .fields import bad_character_message, category_max, score_bounds
from .limits import DEFAULT_LIMITS, Limits
from .normalise import normalise_blank_answer, normalise_stem, question_key
from .types import (
    OPTION_KEYS,
    ImportIssue,
    ParseResult,
    QuestionData,
    QuestionType,
    Reconciliation,
)


@dataclass
class RawQuestion:
    """One question as read, all text, before any rule is applied.

    options keeps empty strings for empty cells so gaps (选项C empty, 选项D filled) stay visible.
    blanks is set by readers whose syntax already separates 填空 answers (GIFT); otherwise the
    answer text is split here. issues are structural problems found by the reader; when broken is
    set those are reported alone, since further checks would only repeat them.
    """

    where: str
    type: str = ""
    stem: str = ""
    options: list[str] = field(default_factory=list)
    answer: str = ""
    explanation: str = ""
    categories: str | Sequence[str] = ""
    difficulty: str = ""
    score: str = ""
    blanks: tuple[tuple[str, ...], ...] | None = None
    infer_type: bool = False
    issues: list[tuple[str | None, str]] = field(default_factory=list)
    broken: bool = False


_TYPE_WORDS = {
    QuestionType.SINGLE: ("单选", "单选题", "单项选择", "单项选择题", "single"),
    QuestionType.MULTIPLE: (
        "多选",
        "多选题",
        "多项选择",
        "多项选择题",
        "不定项",
        "不定项选择",
        "不定项选择题",
        "multiple",
    ),
    QuestionType.JUDGE: ("判断", "判断题", "是非题", "judge"),
    QuestionType.BLANK: ("填空", "填空题", "blank"),
}
_TYPES = {word: qtype for qtype, words in _TYPE_WORDS.items() for word in words}

_TRUE = {"对", "√", "✓", "✔", "✅", "☑", "正确", "t", "true", "是", "y", "yes", "right"}
_FALSE = {"错", "×", "✗", "✘", "❌", "✖", "❎", "x", "错误", "f", "false", "否", "n", "no", "wrong"}

_DIFFICULTY = {
    "易": "易",
    "简单": "易",
    "容易": "易",
    "较易": "易",
    "低": "易",
    "中": "中",
    "一般": "中",
    "中等": "中",
    "适中": "中",
    "难": "难",
    "困难": "难",
    "较难": "难",
    "高": "难",
}

_CHOICE_SEP = re.compile(r"[\s,;、/|]+")
_BLANK_SPLIT = re.compile(r"[;；]")
_ALT_SPLIT = re.compile(r"[|｜]")
_CATEGORY_SPLIT = re.compile(r"[;；,，、/／]")
# The one rule every page and the template state: write “；”; the others are read too.
CATEGORY_RULE = "多个分类用“；”分隔（逗号、顿号也可），如“党章；保密”"
_TAG_SPLIT = re.compile(r"[;；,，、/／\s]+")
_STEM_BLANK = re.compile(r"_{2,}|＿{2,}|[(（][ \t\u3000]*[)）]")


def parse_type(text: str) -> QuestionType | None:
    """The question type a type cell names (单选题, 多项选择, 判断 …), or None."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()
    return _TYPES.get(key)


# Words in a heading or sheet name (“二、多项选择题（每题2分）”, “判断题50道”) and their type;
# the longer word first, so 多项选择 is not read as 选择.
TYPE_IN_WORDS = (
    ("不定项", QuestionType.MULTIPLE),
    ("多项选择", QuestionType.MULTIPLE),
    ("多选", QuestionType.MULTIPLE),
    ("单项选择", QuestionType.SINGLE),
    ("单选", QuestionType.SINGLE),
    ("判断", QuestionType.JUDGE),
    ("是非", QuestionType.JUDGE),
    ("填空", QuestionType.BLANK),
)


def type_named_in(text: str) -> QuestionType | None:
    """The question type a heading or sheet name mentions, or None."""
    for word, qtype in TYPE_IN_WORDS:
        if word in text:
            return qtype
    return None


_LOOSE = {"x", "y", "n", "yes", "no", "right", "wrong"}


def judge_value(text: str, strict: bool = False) -> bool | None:
    """True/False for 对/错, √/×, T/F, 正确/错误 and the like; None when it is neither.

    strict leaves out words that are also ordinary option texts (x, y, yes, no …), for deciding
    whether a pair of options is really 正确/错误.
    """
    key = re.sub(r"[\s\ufe0f]+", "", unicodedata.normalize("NFKC", text)).casefold().rstrip("。.")
    if strict and key in _LOOSE:
        return None
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def count_stem_blanks(stem: str) -> int:
    """Blanks marked in a 填空 stem with ____ or （　）/()."""
    return len(_STEM_BLANK.findall(stem))


def split_tags(text: str) -> list[str]:
    """A 标签 cell: tags separated by spaces as well as by ；;，,、/ (category names keep spaces)."""
    return [t for t in _TAG_SPLIT.split(text) if t]


def split_categories(value: str | Sequence[str]) -> tuple[str, ...]:
    """Categories from one cell (separated by ；;，,、/) or a reader's list; trimmed, unique."""
    parts = _CATEGORY_SPLIT.split(value) if isinstance(value, str) else list(value)
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def split_blanks(answer: str) -> list[list[str]]:
    """填空 answer → one list of alternatives per blank (；/; between blanks, | within one)."""
    parts = _BLANK_SPLIT.split(answer)
    while parts and not parts[-1].strip():
        parts.pop()
    return [[alt.strip() for alt in _ALT_SPLIT.split(part) if alt.strip()] for part in parts]


def option_form(text: str) -> str:
    """An option as written, up to width and spacing: “-2.0” and “2.0” stay different options."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def _option_range(n: int) -> str:
    return "A" if n <= 1 else f"A–{OPTION_KEYS[min(n, len(OPTION_KEYS)) - 1]}"


@dataclass
class Checked:
    """Outcome of check(): the question (None if any error), its resolved type, and messages."""

    question: QuestionData | None
    qtype: QuestionType | None
    errors: list[ImportIssue]
    warnings: list[ImportIssue]


class _Row:
    """Collects the messages of one question in the house style “第12行【答案】：……”."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.errors: list[ImportIssue] = []
        self.warnings: list[ImportIssue] = []

    def _issue(self, column: str | None, text: str) -> ImportIssue:
        place = f"{self.where}【{column}】" if column else self.where
        return ImportIssue(self.where, f"{place}：{text}", column)

    def error(self, column: str | None, text: str) -> None:
        self.errors.append(self._issue(column, text))

    def warn(self, column: str | None, text: str) -> None:
        self.warnings.append(self._issue(column, text))


def _choice_letters(answer: str) -> str | None:
    """“A,C” “ａｃ” “A、C” “A；C” → "AC"; None when the text is not made of letters."""
    text = _CHOICE_SEP.sub("", unicodedata.normalize("NFKC", answer)).upper()
    if text and text.isascii() and text.isalpha():
        return text
    return None


def _resolve_type(raw: RawQuestion, row: _Row, options: list[str]) -> QuestionType | None:
    if raw.type.strip():
        qtype = parse_type(raw.type)
        if qtype is None:
            row.error(col.TYPE, f"题型“{raw.type.strip()}”无法识别，应为单选、多选、判断或填空")
        return qtype
    if not raw.infer_type:
        row.error(col.TYPE, "题型为空，应填写单选、多选、判断或填空")
        return None
    if any(options):
        if _truth_pair(options) is not None:
            return QuestionType.JUDGE
        letters = _choice_letters(raw.answer) or ""
        return QuestionType.MULTIPLE if len(set(letters)) > 1 else QuestionType.SINGLE
    if raw.blanks is None and judge_value(raw.answer) is not None:
        return QuestionType.JUDGE
    return QuestionType.BLANK


def _truth_pair(options: list[str]) -> tuple[bool, bool] | None:
    filled = [o for o in options if o]
    if len(filled) != 2 or (len(options) > 2 and any(options[2:])):
        return None
    a, b = judge_value(filled[0], strict=True), judge_value(filled[1], strict=True)
    if a is None or b is None or a == b:
        return None
    return a, b


def _score(raw: RawQuestion, row: _Row) -> Decimal | None:
    text = raw.score.strip()
    if not text:
        return None
    number = unicodedata.normalize("NFKC", text).removesuffix("分").strip()
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        row.error(col.SCORE, f"分值“{text}”无效，应为大于0的数字")
        return None
    top, places = score_bounds()
    if value > top or value != value.quantize(Decimal(1).scaleb(-places)):
        row.error(col.SCORE, f"分值“{text}”无效，最大{top}，最多{places}位小数")
        return None
    return value


def _check_options(options: list[str], row: _Row) -> list[str]:
    """Options without trailing empties; reports gaps, too many and repeated options."""
    last = max((i for i, o in enumerate(options) if o), default=-1)
    used = options[: last + 1]
    if len(used) > len(OPTION_KEYS):
        row.error(col.OPTION_COLUMNS[-1], f"选项有{len(used)}个，最多支持8个（A–H）")
        used = used[: len(OPTION_KEYS)]
    gaps = [OPTION_KEYS[i] for i, o in enumerate(used) if not o]
    if gaps:
        empties = "、".join(f"选项{k}" for k in gaps)
        first = gaps[0]
        row.error(
            f"选项{first}",
            f"{empties}为空，但其后的选项有内容；选项须从A起连续填写",
        )
    seen: dict[str, str] = {}
    for key, text in zip(OPTION_KEYS, used, strict=False):
        if not text:
            continue
        norm = option_form(text)
        if norm in seen:
            row.error(f"选项{key}", f"选项{key}与选项{seen[norm]}内容重复")
        else:
            seen[norm] = key
    return used


def _choice_answer(
    raw: RawQuestion, qtype: QuestionType, options: list[str], row: _Row
) -> tuple[str, ...] | None:
    answer = raw.answer.strip()
    letters = _choice_letters(answer)
    if letters is None:
        # An answer written out as an option's text (“1921”) is accepted when it matches one option.
        norm = normalise_stem(answer)
        matches = [
            k for k, o in zip(OPTION_KEYS, options, strict=False) if o and normalise_stem(o) == norm
        ]
        if qtype is QuestionType.SINGLE and norm and len(matches) == 1:
            return (matches[0],)
        row.error(col.ANSWER, f"答案“{answer}”应为选项字母，如 A 或 AC")
        return None
    keys = tuple(sorted(set(letters)))
    outside = [k for k in keys if k not in OPTION_KEYS[: len(options)]]
    if outside:
        row.error(
            col.ANSWER,
            f"答案“{'、'.join(outside)}”不在选项{_option_range(len(options))}中",
        )
        return None
    if qtype is QuestionType.SINGLE and len(keys) > 1:
        row.error(col.ANSWER, f"单选题只能有一个正确答案，答案“{answer}”包含{len(keys)}个")
        return None
    if qtype is QuestionType.MULTIPLE and len(keys) < 2:
        row.error(col.ANSWER, "多选题至少需要两个正确答案（只有一个正确答案的题目请改为单选题）")
        return None
    return keys


def _judge_answer(raw: RawQuestion, options: list[str], row: _Row) -> tuple[str, ...] | None:
    answer = raw.answer.strip()
    value = judge_value(answer)
    if any(options):
        pair = _truth_pair(options)
        if pair is None:
            row.error(col.OPTION_COLUMNS[0], "判断题的选项只能是“正确/错误”两项，或不填选项")
            return None
        letters = _choice_letters(answer)
        if value is None and letters in ("A", "B"):
            value = pair[0] if letters == "A" else pair[1]
    if value is None:
        row.error(
            col.ANSWER,
            f"判断题答案“{answer}”无法识别，应为 正确/错误、对/错、√/×、T/F 之一",
        )
        return None
    return ("T",) if value else ("F",)


def _blank_answer(raw: RawQuestion, stem: str, row: _Row) -> tuple[tuple[str, ...], ...] | None:
    given = raw.blanks
    blanks = [list(b) for b in given] if given is not None else split_blanks(raw.answer)
    empty = [str(i + 1) for i, alts in enumerate(blanks) if not alts]
    if empty:
        row.error(col.ANSWER, f"第{'、'.join(empty)}空没有答案（各空之间用“；”分隔）")
        return None
    marked = count_stem_blanks(stem)
    if marked and marked != len(blanks):
        row.error(
            col.ANSWER,
            f"题干中有{marked}处空，但答案给出了{len(blanks)}个空的答案（各空之间用“；”分隔）",
        )
        return None
    return tuple(tuple(alts) for alts in blanks)


def _check_text(raw: RawQuestion, row: _Row) -> None:
    """Every text the question holds must be storable: no control characters, no surrogates."""
    cats = raw.categories if isinstance(raw.categories, str) else "".join(raw.categories)
    fields = [
        (col.TYPE, raw.type),
        (col.STEM, raw.stem),
        *((f"选项{k}", o) for k, o in zip(OPTION_KEYS, raw.options, strict=False)),
        (col.ANSWER, raw.answer),
        (col.ANSWER, "".join("".join(b) for b in raw.blanks or ())),
        (col.EXPLANATION, raw.explanation),
        (col.CATEGORY, cats),
        (col.DIFFICULTY, raw.difficulty),
        (col.SCORE, raw.score),
    ]
    for column, text in fields:
        message = bad_character_message(text) if text else None
        if message:
            row.error(column, message)


def check(raw: RawQuestion) -> Checked:
    """Apply every per-question rule; returns the question or all of its errors."""
    row = _Row(raw.where)
    for column, text in raw.issues:
        row.error(column, text)
    if raw.broken:
        return Checked(None, None, row.errors, row.warnings)

    _check_text(raw, row)
    stem = raw.stem.strip()
    options = [o.strip() for o in raw.options]
    while options and not options[-1]:
        options.pop()
    qtype = _resolve_type(raw, row, options)
    if not stem:
        row.error(col.STEM, "题干为空")
    difficulty = raw.difficulty.strip()
    level = _DIFFICULTY.get(re.sub(r"\s+", "", difficulty)) if difficulty else "中"
    if level is None:
        row.error(col.DIFFICULTY, f"难度“{difficulty}”无法识别，应为易、中或难")
    score = _score(raw, row)
    if qtype is None:
        return Checked(None, None, row.errors, row.warnings)

    answer: tuple[str, ...] | None = ()
    blanks: tuple[tuple[str, ...], ...] | None = ()
    kept: tuple[str, ...] = ()
    has_answer = bool(raw.answer.strip()) or bool(raw.blanks)
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        used = _check_options(options, row)
        if len([o for o in used if o]) < 2:
            row.error(col.OPTION_COLUMNS[0], "选择题至少需要两个选项")
        if not has_answer:
            row.error(col.ANSWER, "答案为空")
            answer = None
        else:
            answer = _choice_answer(raw, qtype, used, row)
        kept = tuple(used)
    elif not has_answer:
        row.error(col.ANSWER, "答案为空")
        answer = None
    elif qtype is QuestionType.JUDGE:
        answer = _judge_answer(raw, options, row)
    else:
        if any(options):
            row.warn(col.OPTION_COLUMNS[0], "填空题不使用选项，已忽略选项内容")
        blanks = _blank_answer(raw, stem, row)
        answer = ()

    categories = split_categories(raw.categories)
    longest = category_max()
    for name in categories:
        if len(name) > longest:
            row.error(col.CATEGORY, f"分类“{name[:10]}…”有{len(name)}个字，最多{longest}个字")
    if row.errors or answer is None or blanks is None or level is None:
        return Checked(None, qtype, row.errors, row.warnings)
    question = QuestionData(
        type=qtype,
        stem=stem,
        options=kept,
        answer=answer,
        blanks=blanks,
        explanation=raw.explanation.strip(),
        categories=categories,
        difficulty=level,
        score=score,
        where=raw.where,
    )
    return Checked(question, qtype, row.errors, row.warnings)


def too_many_message(count: int | None, limits: Limits) -> str:
    """The one error shown when a file holds more questions than may be imported at once."""
    if count is None:
        return f"文件中的题目超过单次导入上限{limits.max_rows}道，请拆分后分批导入"
    return f"文件共有{count}道题，超过单次导入上限{limits.max_rows}道，请拆分后分批导入"


def _correct_content(q: QuestionData) -> object:
    """What a question counts as right, independent of option order."""
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return frozenset(option_form(q.options[OPTION_KEYS.index(k)]) for k in q.answer)
    if q.type is QuestionType.BLANK:
        return tuple(frozenset(normalise_blank_answer(a) for a in alts) for alts in q.blanks)
    return q.answer


def reconcile(result: ParseResult, census: Reconciliation) -> None:
    """Attach the count of blocks seen against blocks recognised; any difference is a warning."""
    result.reconciliation = census
    if census.seen != census.recognised:
        result.warnings.append(
            ImportIssue(
                "核对",
                f"核对：文件中看起来有{census.seen}道题，识别出{census.recognised}道，"
                "请对照下面列出的位置检查文件",
            )
        )
    result.warnings.extend(census.notes)


def build_result(
    raws: Iterable[RawQuestion],
    fmt: str,
    limits: Limits = DEFAULT_LIMITS,
    result: ParseResult | None = None,
    census: Reconciliation | None = None,
) -> ParseResult:
    """Validate every question, then sort out repeats inside the file.

    A verbatim repeat (same type, stem, options in any order and the same correct content) is
    skipped with a warning naming both places; a repeat whose key differs is an error. Every
    error is collected so the organiser can fix the whole file in one go. census, when the
    reader counted the file's blocks, is attached as the reconciliation.
    """
    result = result if result is not None else ParseResult()
    result.format = fmt
    rows = list(raws)
    if census is not None:
        reconcile(result, census)
    if len(rows) > limits.max_rows:
        result.errors.append(ImportIssue("文件", too_many_message(len(rows), limits)))
        return result
    first_seen: dict[str, tuple[str, QuestionData | None]] = {}
    for raw in rows:
        checked = check(raw)
        result.errors.extend(checked.errors)
        result.warnings.extend(checked.warnings)
        earlier = None
        if checked.qtype is not None and raw.stem.strip() and normalise_stem(raw.stem):
            options = (
                raw.options if checked.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) else ()
            )
            key = question_key(checked.qtype.value, raw.stem, options)
            earlier = first_seen.get(key)
            if earlier is None:
                first_seen[key] = (raw.where, checked.question)
        if earlier is None:
            if checked.question is not None:
                result.questions.append(checked.question)
            continue
        where, first = earlier
        same = (
            first is not None
            and checked.question is not None
            and _correct_content(first) == _correct_content(checked.question)
        )
        if same:
            issue = ImportIssue(
                raw.where,
                f"{raw.where}：与{where}重复（题型、题干、选项和答案均相同），"
                f"只导入{where}，{raw.where}已跳过",
            )
            result.warnings.append(issue)
            result.repeats.append(issue)
        elif checked.question is not None and first is not None:
            result.errors.append(
                ImportIssue(
                    raw.where,
                    f"{raw.where}【{col.ANSWER}】：与{where}的题型、题干和选项相同，但答案不同；"
                    "请删去其中一道或改正答案",
                    col.ANSWER,
                )
            )
        else:
            result.errors.append(
                ImportIssue(
                    raw.where,
                    f"{raw.where}【{col.STEM}】：与{where}重复（题干、题型和选项均相同）",
                    col.STEM,
                )
            )
    return result
