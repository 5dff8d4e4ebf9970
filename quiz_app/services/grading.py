"""Grading one answer against the revision it was drawn with — the one place scoring rules live."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from quiz_app.models import MultipleScoring, QuestionRevision

if TYPE_CHECKING:
    from quiz_app.services.revision_cache import Revision
from quiz_app.services.importing import OPTION_KEYS, normalise_blank_answer
from quiz_app.services.textcheck import first_bad_string

CENT = Decimal("0.01")


class AnswerShapeError(ValueError):
    """An answer that does not fit its question's type (the API answers 422)."""


def answer_problem(answer: Any) -> str | None:
    """Why an answer's text may not be stored (NUL, control character, lone surrogate), or None.

    Pure, so the save path can call it wherever it validates.
    """
    return first_bad_string(answer, multiline=False)


def normalise_answer(question_type: str, answer: Any, option_count: int, blank_count: int) -> Any:
    """Check an answer's shape and bring it to its stored form (None means "cleared").

    single "B"; multiple ["A", "C"] (sorted, unique); judge true/false; blank ["…", "…"].
    Keys here are the keys as stored (original order), not as shown.
    """
    if answer is None:
        return None
    problem = answer_problem(answer)
    if problem:
        raise AnswerShapeError(f"答案{problem}")
    keys = tuple(OPTION_KEYS[:option_count])  # a tuple: "AB" in "ABCD" is true for a string
    if question_type == "single":
        if not isinstance(answer, str) or answer not in keys:
            raise AnswerShapeError(f"单选题的答案应为 {keys[0]}–{keys[-1]} 中的一个字母")
        return answer
    if question_type == "multiple":
        if not isinstance(answer, list) or not all(
            isinstance(a, str) and a in keys for a in answer
        ):
            raise AnswerShapeError(f"多选题的答案应为 {keys[0]}–{keys[-1]} 中字母组成的列表")
        return sorted(set(answer)) or None
    if question_type == "judge":
        if not isinstance(answer, bool):
            raise AnswerShapeError("判断题的答案应为 true 或 false")
        return answer
    if question_type == "blank":
        if (
            not isinstance(answer, list)
            or len(answer) != blank_count
            or not all(isinstance(a, str) and len(a) <= 500 for a in answer)
        ):
            raise AnswerShapeError(f"填空题的答案应为{blank_count}个文字组成的列表")
        return answer if any(a.strip() for a in answer) else None
    raise AnswerShapeError("未知题型")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def grade(
    revision: QuestionRevision | Revision, answer: Any, points: Decimal, multiple_scoring: str
) -> tuple[Decimal, bool]:
    """(score, fully correct) for ``answer`` (stored form) under the quiz's rules.

    多选: all-or-nothing, or "少选得一半分，错选不得分". 填空: each blank earns its share, each
    compared with every accepted alternative after normalising width, spaces, case and punctuation.
    """
    points = Decimal(points)
    if answer is None:
        return Decimal("0.00"), False
    if revision.type == "single":
        right = [answer] == list(revision.answer)
        return (_money(points) if right else Decimal("0.00")), right
    if revision.type == "multiple":
        key, given = set(revision.answer), set(answer)
        if given == key:
            return _money(points), True
        partial = multiple_scoring == MultipleScoring.HALF_FOR_PARTIAL and given and given < key
        return (_money(points / 2) if partial else Decimal("0.00")), False
    if revision.type == "judge":
        right = (answer is True) == (list(revision.answer) == ["T"])
        return (_money(points) if right else Decimal("0.00")), right
    if revision.type == "blank":
        blanks = revision.blanks or []
        if not blanks:
            return Decimal("0.00"), False
        hits = 0
        for given_text, alternatives in zip(answer, blanks, strict=False):
            mine = normalise_blank_answer(given_text or "")
            if mine and any(mine == normalise_blank_answer(alt) for alt in alternatives):
                hits += 1
        return _money(points * hits / len(blanks)), hits == len(blanks)
    return Decimal("0.00"), False
