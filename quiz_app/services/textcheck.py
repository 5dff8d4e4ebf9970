"""What text and numbers may enter the database — one place for the edge's checks.

Hostile or broken clients send lone surrogates ("\\ud800" in JSON), control characters (U+000B
from a pasted Word table), NULs and very long strings. Stored, they break pages (a surrogate
cannot be encoded as UTF-8), exports (openpyxl refuses most C0 controls) and PostgreSQL (NUL).
The views and importers call these checks; the renderers call :func:`printable` so text that
got in before these checks existed still shows.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

# C0 controls except \t \n \r, DEL, C1 controls, lone surrogates, and the two non-characters
# U+FFFE/U+FFFF (XML refuses them as well).
_BAD_ANYWHERE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# In a one-line field (a name, a login name, a title) line breaks and tabs are also refused.
_BAD_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE) plus what UTF-8 cannot encode.
_BAD_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

INT32_MAX = 2**31 - 1  # PostgreSQL integer (every id)
BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint (save sequence numbers)


def _describe(ch: str) -> str:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return f"无效的Unicode字符（U+{code:04X}）"
    if code == 0:
        return "空字符（NUL）"
    return f"不可见的控制字符（U+{code:04X}）"


def text_problem(value: str, *, max_len: int | None = None, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored (a Chinese phrase), or None when it may."""
    found = (_BAD_ANYWHERE if multiline else _BAD_ONE_LINE).search(value)
    if found:
        return f"含有{_describe(found.group())}，请删除后重试"
    if max_len is not None and len(value) > max_len:
        return f"不能超过{max_len}个字符（现有{len(value)}个）"
    return None


def first_bad_string(value: Any, *, multiline: bool = True) -> str | None:
    """The problem with the first bad string anywhere in a JSON-like value (keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item, multiline=multiline)
            if problem:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def column_length(column: Any) -> int:
    """The length of a model's String column (e.g. ``User.real_name``): the one source for
    "at most N characters", so a form and the database cannot disagree."""
    return int(column.property.columns[0].type.length)


def numeric_max(column: Any) -> Decimal:
    """The largest value a model's Numeric(p, s) column holds (Numeric(6, 2) → 9999.99)."""
    kind = column.property.columns[0].type
    return Decimal(10) ** (kind.precision - kind.scale) - Decimal(1).scaleb(-kind.scale)


def parse_id(raw: object) -> int | None:
    """An id from a query string or form field: ASCII digits in 1..2^31-1, else None.

    ``"²".isdigit()`` is true but ``int("²")`` fails; ids past 2^31 overflow PostgreSQL's integer.
    """
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= INT32_MAX else None


def printable(value: str) -> str:
    """``value`` with what UTF-8/XML cannot carry replaced by U+FFFD — for output only."""
    return _BAD_IN_XML.sub("\ufffd", value)


def has_unprintable(value: str) -> bool:
    """Cheap test before :func:`printable`: ASCII without C0 controls, or encodable, is fine."""
    return _BAD_IN_XML.search(value) is not None
