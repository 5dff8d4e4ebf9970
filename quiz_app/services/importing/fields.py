"""What the database will accept, checked before anything is written: text without control
characters, and the lengths and number ranges of the columns, read from the models themselves so
the preview, the dry run and the import can never disagree with the table definitions."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

import sqlalchemy as sa


def _column(table_column: object) -> sa.Column[object]:
    column = getattr(table_column, "property").columns[0]  # noqa: B009 — InstrumentedAttribute
    assert isinstance(column, sa.Column)
    return column


@cache
def category_max() -> int:
    """Longest category name the question_category table holds."""
    from quiz_app.models import QuestionCategory

    length = _column(QuestionCategory.name).type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


@cache
def bank_name_max() -> int:
    """Longest bank name the bank table holds."""
    from quiz_app.models import Bank

    length = _column(Bank.name).type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


@cache
def score_bounds() -> tuple[Decimal, int]:
    """(largest score, decimal places) the revision's Numeric(p, s) score column holds."""
    from quiz_app.models import QuestionRevision

    kind = _column(QuestionRevision.score).type
    assert isinstance(kind, sa.Numeric) and kind.precision and kind.scale is not None
    step = Decimal(1).scaleb(-kind.scale)
    return Decimal(10) ** (kind.precision - kind.scale) - step, kind.scale


# C0 controls other than tab, line feed and carriage return, DEL and C1, and lone surrogates:
# PostgreSQL refuses NUL, openpyxl refuses the others when the text is exported again.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """“U+000B” for the first character a stored text must not contain, else None."""
    m = _BAD_CHAR.search(text)
    return f"U+{ord(m.group()):04X}" if m else None


def bad_character_message(text: str) -> str | None:
    """The Chinese message for a text holding a control character, or None when it is clean."""
    code = bad_character(text)
    if code is None:
        return None
    return f"含有不可见的控制字符（{code}），请删除后再上传"


def bank_name_problem(name: str) -> str | None:
    """Why a bank name cannot be stored (empty, too long, control characters), or None."""
    name = name.strip()
    if not name:
        return "题库名称不能为空"
    if len(name) > bank_name_max():
        return f"题库名称有{len(name)}个字，最多{bank_name_max()}个字"
    bad = bad_character_message(name)
    return f"题库名称{bad}" if bad else None
