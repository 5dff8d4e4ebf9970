"""Shared pieces of the statistics: the refusal, tuning constants and small numeric helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from quiz_app.models import (
    Attempt,
    AttemptStatus,
)

DEFAULT_K = 5
DEFAULT_WEIGHT = 50  # % of the composite given to participation
DEFAULT_TOP = 20
MIN_FLAG_ANSWERS = 5
UPPER_LOWER = 0.27
TYPE_LABELS = {"single": "单选", "multiple": "多选", "judge": "判断", "blank": "填空"}


class StatsDenied(Exception):
    """Refused: ``status`` is 403 (outside the person's scope) or 404 (no such thing)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# --- helpers -----------------------------------------------------------------------------------


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _ratio(a: Any, b: Any) -> float | None:
    if a is None or not b:
        return None
    return float(a) / float(b)


def median(sorted_values: Sequence[float]) -> float | None:
    n = len(sorted_values)
    if not n:
        return None
    mid = n // 2
    return sorted_values[mid] if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2


def shrunk(n: int, mean: float | None, overall: float | None, k: float) -> float | None:
    """(n·x̄ + k·μ) ÷ (n + k): a few lucky (or unlucky) people move a small branch less."""
    if overall is None:
        return mean
    if mean is None or n == 0:
        return overall
    return (n * mean + k * overall) / (n + k)


def _final() -> sa.ColumnElement[bool]:
    return Attempt.status != AttemptStatus.IN_PROGRESS.value


def _int(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.case((cond, 1), else_=0)
