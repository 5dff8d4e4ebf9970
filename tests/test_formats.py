"""One way to write numbers, times and dates on every page: "45 分" (never 45.00), "15 分钟" (a
space between a number and its Chinese unit), "12月7日 17:14", and 分:秒 for time used."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from quiz_app.clock import format_clock, format_day, format_duration, format_when
from quiz_app.web import format_points

TEMPLATES = Path(__file__).resolve().parents[1] / "quiz_app" / "templates"
# A printed value followed at once by a measure word: "{{ n }}人" is "3人", not "3 人".
GLUED = re.compile(r"\{\{[^{}]*\}\}(分钟|秒|小时|人|份|分|题|次|道|项|个|名|字|稿|版|空|页)")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (900, "15 分钟"),
        (725, "12 分 05 秒"),
        (8, "8 秒"),
        (0, "0 秒"),
        (3600, "1 小时"),
        (3900, "1 小时 05 分"),
        (None, ""),
    ],
)
def test_durations_put_a_space_before_the_unit(seconds: int | None, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(725, "12:05"), (59.6, "1:00"), (5, "0:05"), (3725, "1:02:05"), (None, "—")],
)
def test_time_used_reads_as_minutes_and_seconds(seconds: float | None, text: str) -> None:
    assert format_clock(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("45.00"), "45"),
        (Decimal("45.50"), "45.5"),
        (45.0, "45"),
        ("0.25", "0.25"),
        (0, "0"),
    ],
)
def test_scores_never_show_trailing_zeros(value: object, text: str) -> None:
    assert format_points(value) == text


def test_one_date_form_with_the_year_only_when_not_this_year() -> None:
    today = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    moment = datetime(2026, 12, 7, 9, 14, tzinfo=UTC)  # 17:14 in Beijing
    assert format_when(moment, today) == "12月7日 17:14"
    assert format_day(moment, today) == "12月7日"
    assert format_day(datetime(2025, 3, 1, 4, 0, tzinfo=UTC), today) == "2025年3月1日"


def test_no_template_glues_a_number_to_its_unit() -> None:
    glued = [
        f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for m in GLUED.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not glued, "write a space before the unit:\n" + "\n".join(glued)


def test_no_template_prints_raw_dates_or_rounded_scores() -> None:
    """Dates go through ``when`` / ``day`` (``local`` only for a bare 17:14), scores through
    ``points``: no "2026-12-07", "12月07日" or "45.0 分"."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\| *local(\('([^']*)'\))?", text):
            if m.group(2) != "%H:%M":
                found.append(f"{path.relative_to(TEMPLATES)}: {m.group(0)}")
        found += [
            f"{path.relative_to(TEMPLATES)}: round"
            for _ in re.finditer(r"\| *round\(1\) *\}\} *分", text)
        ]
    assert not found, "\n".join(found)
