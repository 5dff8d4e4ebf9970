"""Benchmark: format detection and Word-text parsing on hostile 120 KB pastes, against an
ordinary 120 KB bank text measured in the same run.

Before the fix a paste of 120,000 line breaks took minutes (a ``^\\s*`` pattern under MULTILINE
rescanned the rest of the text from every line start); now every case should take about as long
as the ordinary text. Run: python bench/bench_detect.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quiz_app.services.importing import detect_text_format, parse_text

SIZE = 120_000
QUESTION = "1. 党的最高领导机关是（ ）。\nA. 党的全国代表大会和它所产生的中央委员会\nB. 中央政治局\n答案：A\n\n"
CASES = {
    "ordinary bank text (baseline)": (QUESTION * (SIZE // len(QUESTION) + 1))[:SIZE],
    "line breaks": "\n" * SIZE,
    "spaces and line breaks": " \n" * (SIZE // 2),
    "heading word then spaces": "单选题" + " " * SIZE + "x",
    "angle brackets after [html]": "[html]" + "<" * SIZE,
}


def best_of(text: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detect_text_format(text)
        parse_text(text)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    baseline = None
    for name, text in CASES.items():
        seconds = best_of(text)
        baseline = baseline or seconds
        print(
            f"{name:32s} {len(text) / 1000:6.0f} k chars  {seconds * 1000:8.1f} ms  "
            f"{seconds / baseline:5.2f} × baseline"
        )


if __name__ == "__main__":
    main()
