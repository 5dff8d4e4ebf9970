"""The contract every question format parses into, and the import report shown before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class QuestionType(StrEnum):
    """Question types; the value is what is stored in the database."""

    SINGLE = "single"  # 单选
    MULTIPLE = "multiple"  # 多选
    JUDGE = "judge"  # 判断
    BLANK = "blank"  # 填空

    @property
    def label(self) -> str:
        return {"single": "单选", "multiple": "多选", "judge": "判断", "blank": "填空"}[self.value]


DIFFICULTIES = ("易", "中", "难")
OPTION_KEYS = "ABCDEFGH"


@dataclass(frozen=True)
class QuestionData:
    """One validated question, format-independent.

    answer: single ("B",); multiple sorted keys ("A", "C"); judge ("T",) or ("F",); blank ().
    blanks: only for 填空, one tuple of accepted alternatives per blank, in order.
    options: option texts in key order (A first); empty for judge and blank.
    where: the human locator used in messages, e.g. "第12行" or "第3题".
    """

    type: QuestionType
    stem: str
    options: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    blanks: tuple[tuple[str, ...], ...] = ()
    explanation: str = ""
    categories: tuple[str, ...] = ()
    difficulty: str = "中"
    score: Decimal | None = None
    where: str = ""


@dataclass(frozen=True)
class ImportIssue:
    """A problem found in a file; message is complete Chinese text naming the place and column."""

    where: str
    message: str
    column: str | None = None


@dataclass
class Reconciliation:
    """The file counted two ways, so nothing is lost or merged without the organizer seeing it.

    seen: question-like blocks the file seemed to hold (numbers, answer lines, answer blocks,
    rows with content); recognised: blocks read as questions, whatever became of them (imported,
    in error, a repeat, or of a type the platform has not); notes: each block that went nowhere
    or was merged into another, by line or row.
    """

    seen: int = 0
    recognised: int = 0
    notes: list[ImportIssue] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.seen == self.recognised and not self.notes


@dataclass
class ParseResult:
    """What a file yields: the questions that validated, every error, warnings and skipped items.

    repeats are verbatim repeats inside the file (also listed in warnings), not imported again.
    """

    questions: list[QuestionData] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    skipped: list[ImportIssue] = field(default_factory=list)
    repeats: list[ImportIssue] = field(default_factory=list)
    format: str = ""
    reconciliation: Reconciliation | None = None

    @property
    def ok(self) -> bool:
        return not self.errors
