"""Benchmark: parse_upload of a 10,000-question .xlsx against pandas.read_excel of the same file.

Goal: parse time ≤ 1.5 × read_excel time. Run: python bench/bench_import.py
"""

from __future__ import annotations

import io
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from quiz_app.services.bank_export import questions_to_xlsx
from quiz_app.services.importing import parse_upload
from quiz_app.services.importing.types import QuestionData, QuestionType

N = 10_000
TOPICS = ("党章", "党史", "保密", "廉政", "法规", "安全生产", "意识形态", "公文写作")
PHRASES = (
    "根据有关规定，下列关于{t}工作的说法中，正确的是",
    "在{t}学习教育中，各级党组织应当坚持的原则是",
    "关于{t}的基本要求，以下表述符合规定的是",
    "机关工作人员在日常工作中落实{t}要求，应当做到",
)
WORDS = (
    "坚持问题导向",
    "严格落实责任制",
    "加强日常监督检查",
    "定期组织专题培训",
    "完善制度建设",
    "做好台账登记",
    "及时报告有关情况",
    "强化宣传教育",
)


def make_questions(n: int, seed: int = 7) -> list[QuestionData]:
    """Mixed types with realistic lengths; stems carry a serial so none is a duplicate."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        topic = rnd.choice(TOPICS)
        stem = rnd.choice(PHRASES).format(t=topic) + f"（第{i + 1}项）（　）。"
        kind = i % 10
        common = {
            "explanation": f"本题考查{topic}相关知识，{rnd.choice(WORDS)}是基本要求。",
            "categories": (topic,) if i % 3 else (topic, "综合"),
            "difficulty": rnd.choice(("易", "中", "难")),
            "score": Decimal(rnd.choice((1, 2, 3))) if i % 4 else None,
        }
        if kind < 5:
            opts = tuple(rnd.sample(WORDS, 4))
            q = QuestionData(QuestionType.SINGLE, stem, opts, (rnd.choice("ABCD"),), **common)
        elif kind < 7:
            opts = tuple(rnd.sample(WORDS, 5))
            keys = tuple(sorted(rnd.sample("ABCDE", rnd.choice((2, 3)))))
            q = QuestionData(QuestionType.MULTIPLE, stem, opts, keys, **common)
        elif kind < 9:
            q = QuestionData(
                QuestionType.JUDGE,
                stem.replace("（　）。", "。"),
                answer=(rnd.choice("TF"),),
                **common,
            )
        else:
            q = QuestionData(
                QuestionType.BLANK,
                f"{topic}工作应当____，做到____（第{i + 1}项）。",
                blanks=((rnd.choice(WORDS),), (rnd.choice(WORDS), "按规定办理")),
                **common,
            )
        out.append(q)
    return out


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def write_to_database(folder: Path, filename: str, data: bytes) -> float:
    """The rest of an import: the parsed questions written into a new bank of a migrated SQLite
    database, timed from the validated result to the commit."""
    import os

    from flask_migrate import upgrade

    from quiz_app import create_app
    from quiz_app.extensions import db
    from quiz_app.services import banks

    os.environ["QUIZ_INSTANCE_PATH"] = str(folder)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench"}
    )
    with app.app_context():
        upgrade()
        result = parse_upload(filename, data)
        start = time.perf_counter()
        bank = banks.get_or_create_bank("基准题库")
        summary = banks.apply_import(bank, result, banks.OnDuplicate.SKIP, None)
        db.session.commit()
        elapsed = time.perf_counter() - start
        assert summary.created == N
        db.engine.dispose()
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.xlsx"
        path.write_bytes(questions_to_xlsx(make_questions(N)))
        data = path.read_bytes()
        print(f"file: {N} questions, {len(data) / 1024:.0f} KiB")

        def read_pandas() -> None:
            pd.read_excel(io.BytesIO(data), engine="openpyxl", header=None, dtype=object)

        def parse() -> None:
            result = parse_upload(path.name, data)
            assert result.ok and len(result.questions) == N, result.errors[:3]

        # Interleaved, so a busy machine slows both sides alike; the best of each is kept.
        t_pandas = t_parse = float("inf")
        for _ in range(3):
            t_pandas = min(t_pandas, best_of(1, read_pandas))
            t_parse = min(t_parse, best_of(1, parse))
        tracemalloc.start()
        parse()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t_write = write_to_database(Path(tmp), path.name, data)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    ratio = t_parse / t_pandas
    print(f"pandas.read_excel (best of 3): {t_pandas:.3f} s")
    print(f"parse_upload      (best of 3): {t_parse:.3f} s")
    print(f"ratio parse/pandas: {ratio:.2f} (goal ≤ 1.5) {'OK' if ratio <= 1.5 else 'TOO SLOW'}")
    print(f"tracemalloc peak during parse_upload: {peak / 1024 / 1024:.1f} MiB")
    total = t_parse + t_write
    print(f"write into a new bank (SQLite, one transaction): {t_write:.3f} s")
    print(f"whole import, parse + write: {total:.3f} s = {total / t_pandas:.2f} × read_excel")
    print(f"ru_maxrss of the process: {rss:.0f} MiB")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
