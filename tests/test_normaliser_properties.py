"""Property tests for the 填空 answer normaliser that grading compares with (issue 12).

Documented behaviour (grading.grade): each blank is compared after normalising width, spaces,
case and punctuation. These properties must hold for any text a phone can send.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from quiz_app.services.grading import grade, normalise_answer
from quiz_app.services.importing import normalise_blank_answer as norm

ANY_TEXT = st.text(st.characters(codec=None), max_size=60)  # surrogates and controls included
ASCII_WORD = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
SPACES = st.sampled_from([" ", "\u3000", "\t", "\n", "\u00a0"])
CHINESE = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=10)


def full_width(text: str) -> str:
    """ASCII ! … ~ as their full-width forms (Ａ, １, ！), as a Chinese IME types them."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=300)
@given(ANY_TEXT)
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = norm(text)
    assert isinstance(once, str)
    assert norm(once) == once


@settings(max_examples=200)
@given(ASCII_WORD, CHINESE)
def test_width_insensitive(word: str, chinese: str) -> None:
    assert norm(full_width(word) + chinese) == norm(word + chinese)


@settings(max_examples=200)
@given(st.lists(st.one_of(ASCII_WORD, CHINESE), min_size=1, max_size=5), st.data())
def test_space_insensitive(parts: list[str], data: st.DataObject) -> None:
    spaced = "".join(part + data.draw(st.text(SPACES, max_size=3)) for part in parts)
    assert norm(spaced) == norm("".join(parts))


@settings(max_examples=200)
@given(ASCII_WORD)
def test_case_insensitive(word: str) -> None:
    assert norm(word.upper()) == norm(word.lower()) == norm(word)


@settings(max_examples=200)
@given(st.lists(ANY_TEXT, min_size=2, max_size=2))
def test_grading_any_blank_answer_never_raises(answer: list[str]) -> None:
    """Whatever reaches grading (old rows included) scores between 0 and the points."""
    revision = SimpleNamespace(type="blank", answer=[], blanks=[["甲", "甲方"], ["乙"]])
    score, _right = grade(revision, answer, Decimal("4"), "all_or_nothing")  # type: ignore[arg-type]
    assert Decimal(0) <= score <= Decimal(4)


@settings(max_examples=200)
@given(
    st.sampled_from(["single", "multiple", "judge", "blank"]),
    st.recursive(
        st.none() | st.booleans() | st.integers() | ANY_TEXT,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=2),
        max_leaves=6,
    ),
)
def test_answer_shapes_are_accepted_or_refused_never_crash(qtype: str, answer: object) -> None:
    from quiz_app.services.grading import AnswerShapeError

    try:
        stored = normalise_answer(qtype, answer, 4, 2)
    except AnswerShapeError:
        return
    if qtype == "single":
        assert stored in (None, "A", "B", "C", "D")
    elif qtype == "multiple" and stored is not None:
        assert stored and set(stored) <= {"A", "B", "C", "D"}
