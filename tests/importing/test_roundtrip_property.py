"""Property: any valid question, written out in a layout organizers use, parses back exactly.

Random questions are rendered into Word-style text, .docx, GIFT, Aiken and spreadsheet rows
(.xlsx and .csv in the template's columns), and each layout must give back every field it can
carry. The alphabet is Chinese text with digits, which is what banks hold; what a layout cannot
express (GIFT has no score, Aiken only single choice) is left out of that layout's comparison.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz_app.services.bank_export import HEADER, question_row, questions_to_xlsx
from quiz_app.services.importing import (
    DIFFICULTIES,
    OPTION_KEYS,
    QuestionData,
    QuestionType,
    normalise_stem,
    parse_text,
    parse_upload,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# No option letters, no separators the layouts use (；|、/), no GIFT specials (~=#{}:).
CHARS = (
    "党章规定国家秘密保守法律制度中央委员会组织纪律廉洁群众工作生活预备期年满岁的和与在0123456789"
)
word = st.text(alphabet=CHARS, min_size=1, max_size=12)
phrase = st.lists(word, min_size=1, max_size=3).map("，".join)


@st.composite
def questions(
    draw: st.DrawFn, types: tuple[QuestionType, ...] = tuple(QuestionType)
) -> QuestionData:
    qtype = draw(st.sampled_from(types))
    options: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    blanks: tuple[tuple[str, ...], ...] = ()
    stem = draw(phrase) + "？"
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        options = tuple(draw(st.lists(word, min_size=2, max_size=8, unique=True)))
        keys = OPTION_KEYS[: len(options)]
        if qtype is QuestionType.SINGLE:
            answer = (draw(st.sampled_from(keys)),)
        else:
            picked = draw(st.lists(st.sampled_from(keys), min_size=2, unique=True))
            answer = tuple(sorted(picked))
    elif qtype is QuestionType.JUDGE:
        answer = (draw(st.sampled_from(("T", "F"))),)
    else:
        n = draw(st.integers(1, 3))
        parts = draw(st.lists(word, min_size=n + 1, max_size=n + 1))
        stem = "____".join(parts)
        blanks = tuple(
            tuple(draw(st.lists(word, min_size=1, max_size=3, unique=True))) for _ in range(n)
        )
    score = draw(
        st.none() | st.decimals(Decimal("0.01"), Decimal("9999.99"), places=2, allow_nan=False)
    )
    return QuestionData(
        type=qtype,
        stem=stem,
        options=options,
        answer=answer,
        blanks=blanks,
        explanation=draw(st.just("") | phrase),
        categories=tuple(draw(st.lists(word, max_size=3, unique=True))),
        difficulty=draw(st.sampled_from(DIFFICULTIES)),
        score=score,
    )


def banks_of(types: tuple[QuestionType, ...] = tuple(QuestionType)) -> st.SearchStrategy:
    return st.lists(
        questions(types), min_size=1, max_size=5, unique_by=lambda q: normalise_stem(q.stem)
    )


def full(q: QuestionData) -> tuple[object, ...]:
    score = None if q.score is None else q.score.normalize()
    return (q.type, q.stem, q.options, q.answer, q.blanks, q.explanation, q.categories,
            q.difficulty, score)  # fmt: skip


def core(q: QuestionData) -> tuple[object, ...]:
    return (q.type, q.stem, q.options, q.answer, q.blanks)


def _answer_text(q: QuestionData) -> str:
    if q.type is QuestionType.JUDGE:
        return "正确" if q.answer == ("T",) else "错误"
    if q.type is QuestionType.BLANK:
        return "；".join("|".join(alts) for alts in q.blanks)
    return "".join(q.answer)


def word_lines(bank: list[QuestionData]) -> list[str]:
    lines: list[str] = []
    for n, q in enumerate(bank, start=1):
        lines.append(f"{n}. {q.stem}")
        lines += [f"{k}. {o}" for k, o in zip(OPTION_KEYS, q.options, strict=False)]
        lines.append(f"答案：{_answer_text(q)}")
        lines.append(f"题型：{q.type.label}")
        if q.categories:
            lines.append(f"分类：{'、'.join(q.categories)}")
        lines.append(f"难度：{q.difficulty}")
        if q.score is not None:
            lines.append(f"分值：{q.score}")
        if q.explanation:
            lines.append(f"解析：{q.explanation}")
        lines.append("")
    return lines


def _ok(result):  # type: ignore[no-untyped-def]
    assert result.ok, [e.message for e in result.errors]
    assert result.reconciliation is not None and result.reconciliation.matches
    return result.questions


@SETTINGS
@given(banks_of())
def test_word_text_round_trip(bank: list[QuestionData]) -> None:
    got = _ok(parse_text("\n".join(word_lines(bank)), "text"))
    assert [full(q) for q in got] == [full(q) for q in bank]


@SETTINGS
@given(banks_of())
def test_docx_round_trip(bank: list[QuestionData]) -> None:
    document = Document()
    for line in word_lines(bank):
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    got = _ok(parse_upload("bank.docx", buf.getvalue()))
    assert [full(q) for q in got] == [full(q) for q in bank]


@SETTINGS
@given(banks_of())
def test_xlsx_round_trip(bank: list[QuestionData]) -> None:
    got = _ok(parse_upload("bank.xlsx", questions_to_xlsx(bank)))
    assert [full(q) for q in got] == [full(q) for q in bank]


@SETTINGS
@given(banks_of(), st.sampled_from(("utf-8-sig", "gb18030")))
def test_csv_round_trip(bank: list[QuestionData], encoding: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    for q in bank:
        writer.writerow(["" if v is None else v for v in question_row(q)])
    got = _ok(parse_upload("bank.csv", buf.getvalue().encode(encoding)))
    assert [full(q) for q in got] == [full(q) for q in bank]


def gift(bank: list[QuestionData]) -> str:
    blocks = []
    for n, q in enumerate(bank, start=1):
        general = f"####{q.explanation}" if q.explanation else ""
        if q.type is QuestionType.JUDGE:
            body = ("T" if q.answer == ("T",) else "F") + general
            blocks.append(f"::Q{n}::{q.stem}{{{body}}}")
        elif q.type is QuestionType.BLANK:
            before, after = q.stem.split("____", 1)
            alts = " ".join(f"={a}" for a in q.blanks[0])
            blocks.append(f"::Q{n}::{before}{{{alts}{general}}}{after}")
        else:
            right = [OPTION_KEYS.index(k) for k in q.answer]
            weight = f"%{100 / len(right):.5f}%" if q.type is QuestionType.MULTIPLE else ""
            # A single-answer question's wrong answers may carry partial credit (Moodle's rule).
            wrong = "~" if weight else "~%50%"
            marks = [
                (f"~{weight}" if weight else "=") if i in right else wrong
                for i in range(len(q.options))
            ]
            answers = " ".join(f"{m}{o}" for m, o in zip(marks, q.options, strict=True))
            blocks.append(f"::Q{n}::{q.stem}{{{answers}{general}}}")
    return "\n\n".join(blocks) + "\n"


@SETTINGS
@given(banks_of())
def test_gift_round_trip(bank: list[QuestionData]) -> None:
    # GIFT's missing-word form holds one blank and needs text after it.
    bank = [q for q in bank if q.type is not QuestionType.BLANK or len(q.blanks) == 1]
    if not bank:
        return
    got = _ok(parse_text(gift(bank)))
    assert [(*core(q), q.explanation) for q in got] == [(*core(q), q.explanation) for q in bank]


@SETTINGS
@given(banks_of((QuestionType.SINGLE,)))
def test_aiken_round_trip(bank: list[QuestionData]) -> None:
    lines = []
    for q in bank:
        lines.append(q.stem)
        lines += [f"{k}. {o}" for k, o in zip(OPTION_KEYS, q.options, strict=False)]
        lines += [f"ANSWER: {q.answer[0]}", ""]
    got = _ok(parse_text("\n".join(lines)))
    assert [core(q) for q in got] == [core(q) for q in bank]
