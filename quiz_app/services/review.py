"""A review that teaches: each question's verdict (right / partly right / wrong / blank), each
option marked (选对 / 漏选 / 错选), my answer beside the key, and a per-type summary.

Built from what may already be shown — the attempt payload once ``review_allowed`` says so, or a
practice answer's revision after it was graded — so it never decides what is revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TYPE_LABELS = {"single": "单选", "multiple": "多选", "judge": "判断", "blank": "填空"}
MARK_LABELS = {"hit": "选对", "missed": "漏选", "extra": "错选", "answer": "正确答案"}


@dataclass(frozen=True)
class OptionMark:
    key: str
    text: str
    is_key: bool
    chosen: bool
    partly: bool = False  # a multiple-choice answer with something chosen: "漏选" makes sense

    @property
    def mark(self) -> str:
        """ "hit" (a right option chosen), "missed" (a right one left out of a multiple choice
        where something was chosen), "answer" (the right one, not chosen, otherwise), "extra" (a
        wrong one chosen), or "" (a wrong one left alone)."""
        if self.is_key:
            return "hit" if self.chosen else ("missed" if self.partly else "answer")
        return "extra" if self.chosen else ""

    @property
    def mark_label(self) -> str:
        return MARK_LABELS.get(self.mark, "")


@dataclass(frozen=True)
class ReviewedQuestion:
    number: int
    type: str
    stem: str
    verdict: str  # right / partial / wrong / blank
    verdict_label: str
    options: list[OptionMark]
    mine_text: str
    key_text: str
    explanation: str
    awarded: Decimal | None
    score: Decimal | None

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)


@dataclass
class TypeSummary:
    type: str
    count: int = 0
    right: int = 0
    partial: int = 0
    wrong: int = 0  # wrong or left blank
    awarded: Decimal = field(default_factory=lambda: Decimal(0))
    score: Decimal = field(default_factory=lambda: Decimal(0))

    @property
    def label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)


def answer_text(qtype: str, answer: Any) -> str:
    """An answer (as shown) in words: "B", "AC", "正确", "西柏坡；七届二中全会"."""
    if answer is None or answer == [] or answer == "":
        return "未作答"
    if qtype == "judge":
        return "正确" if answer is True else "错误"
    if qtype == "blank":
        texts = [str(a).strip() or "（空）" for a in answer]
        return "；".join(texts)
    if isinstance(answer, list):
        return "".join(answer)
    return str(answer)


def key_text(qtype: str, key: Any) -> str:
    """The right answer in words; a blank's accepted alternatives joined by 或."""
    if qtype == "judge":
        return "正确" if key is True else "错误"
    if qtype == "blank":
        return "；".join(" 或 ".join(alts) for alts in key)
    if isinstance(key, list):
        return "".join(key)
    return str(key)


def question_review(
    number: int,
    qtype: str,
    stem: str,
    options: list[tuple[str, str]],
    mine: Any,
    key: Any,
    correct: bool | None,
    explanation: str = "",
    awarded: Decimal | None = None,
    score: Decimal | None = None,
) -> ReviewedQuestion:
    """One question judged for display. ``options`` are (key, text) as shown; ``mine`` and ``key``
    use the same keys (single "B", multiple ["A", "C"], judge bool, blank lists)."""
    if qtype in ("single", "multiple"):
        keys = {key} if isinstance(key, str) else set(key or [])
        chosen = {mine} if isinstance(mine, str) else set(mine or [])
    else:
        keys, chosen = set(), set()
    partly = qtype == "multiple" and bool(chosen)
    marks = [OptionMark(k, t, k in keys, k in chosen, partly) for k, t in options]
    blank = (
        mine is None or mine == [] or (qtype == "blank" and not any(str(a).strip() for a in mine))
    )
    if blank:
        verdict, label = "blank", "未作答"
    elif correct:
        verdict, label = "right", "正确"
    elif awarded is not None and awarded > 0:
        verdict = "partial"
        if qtype == "multiple":
            parts = [w for w, on in (("漏选", keys - chosen), ("错选", chosen - keys)) if on]
            label = f"部分正确（{'、'.join(parts)}）" if parts else "部分正确"
        else:
            label = "部分正确"
    else:
        verdict = "wrong"
        if qtype == "multiple" and chosen < keys:
            label = "错误（漏选）"
        elif qtype == "multiple" and chosen - keys:
            label = "错误（错选）"
        else:
            label = "错误"
    return ReviewedQuestion(
        number=number,
        type=qtype,
        stem=stem,
        verdict=verdict,
        verdict_label=label,
        options=marks,
        mine_text=answer_text(qtype, mine),
        key_text=key_text(qtype, key),
        explanation=explanation or "",
        awarded=awarded,
        score=score,
    )


def from_payload(payload: dict[str, Any]) -> list[ReviewedQuestion]:
    """Every question of a reviewable attempt payload (``attempt_payload.attempt_payload``)."""
    if not payload.get("review"):
        return []
    out = []
    for n, q in enumerate(payload["questions"], start=1):
        out.append(
            question_review(
                n,
                q["type"],
                q["stem"],
                [(o["key"], o["text"]) for o in q["options"]],
                payload["answers"].get(str(q["id"])),
                q["correct_answer"],
                q["correct"],
                q.get("explanation") or "",
                Decimal(q["awarded"]) if q.get("awarded") is not None else None,
                Decimal(q["score"]),
            )
        )
    return out


def summary(questions: list[ReviewedQuestion]) -> list[TypeSummary]:
    """Per question type, in paper order of first appearance: count, right, partly, wrong, score."""
    by_type: dict[str, TypeSummary] = {}
    for q in questions:
        s = by_type.setdefault(q.type, TypeSummary(q.type))
        s.count += 1
        if q.verdict == "right":
            s.right += 1
        elif q.verdict == "partial":
            s.partial += 1
        else:
            s.wrong += 1
        s.awarded += q.awarded or 0
        s.score += q.score or 0
    return list(by_type.values())


def from_revision(revision: Any, answer: Any, correct: bool, number: int = 1) -> ReviewedQuestion:
    """A practice answer (stored keys, options in their own order) judged for display."""
    from quiz_app.services.importing import OPTION_KEYS

    qtype = revision.type
    if qtype == "judge":
        key: Any = list(revision.answer) == ["T"]
    elif qtype == "blank":
        key = [list(b) for b in revision.blanks]
    elif qtype == "single":
        key = revision.answer[0]
    else:
        key = list(revision.answer)
    options = [(OPTION_KEYS[i], text) for i, text in enumerate(revision.options or [])]
    if qtype not in ("single", "multiple"):
        options = []
    return question_review(
        number, qtype, revision.stem, options, answer, key, correct, revision.explanation or ""
    )
