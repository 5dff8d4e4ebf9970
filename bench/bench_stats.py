"""Benchmark: the dashboard's statistics for a campaign of 20,000 participants and 400,000 answers.

Measures, in the same run and on the same data: the bare aggregate (one GROUP BY over counted
attempts per branch), the campaign page's service calls, the item-analysis page and the .xlsx
export — on SQLite (temp file) and on PostgreSQL (database ``bench_stats``, created and dropped
here). Goal: page ≤ 2 × bare query and < 300 ms on PostgreSQL.

Run: python bench/bench_stats.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
     [--people 20000] [--skip-sqlite] [--skip-pg]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

ITEMS = 20
QUESTIONS = 200
TOPICS = ("党章", "党史", "保密", "廉政", "法规", "安全生产", "意识形态", "公文写作")
T0 = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def populate(conn: sa.Connection, people: int, rng: random.Random) -> int:
    """Core INSERTs in bulk; returns the campaign id."""
    from quiz_app.extensions import db

    t = db.metadata.tables

    def ts(moment: datetime) -> datetime:
        return moment  # UTCDateTime stores it as each database wants

    now = ts(T0)
    # the tree: 局 → 10 departments → 3 sections each
    branches = [{"id": 1, "name": "局", "code": "ROOT", "parent_id": None, "path": "/1/"}]
    leaves = []
    nid = 2
    for d in range(10):
        did = nid
        nid += 1
        branches.append(
            {"id": did, "name": f"处室{d}", "code": f"D{d}", "parent_id": 1, "path": f"/1/{did}/"}
        )
        for s in range(3):
            branches.append(
                {
                    "id": nid,
                    "name": f"处室{d}-{s}组",
                    "code": f"D{d}S{s}",
                    "parent_id": did,
                    "path": f"/1/{did}/{nid}/",
                }
            )
            leaves.append(nid)
            nid += 1
    for b in branches:
        b.update(sort_order=0, active=True, created_at=now)
    conn.execute(t["branch"].insert(), branches)
    total_people = people + people // 20  # 5% never take part
    users = [
        {
            "id": i,
            "username": f"u{i}",
            "real_name": f"人员{i}",
            "phone": None,
            "branch_id": leaves[i % len(leaves)],
            "password_hash": "x",
            "must_change_password": False,
            "active": True,
            "created_at": now,
        }
        for i in range(1, total_people + 1)
    ]
    for i in range(0, len(users), 5000):
        conn.execute(t["account"].insert(), users[i : i + 5000])
    conn.execute(t["bank"].insert(), [{"id": 1, "name": "题库", "description": "",
                                        "categories": list(TOPICS), "owner_id": None,
                                        "created_at": now, "archived": False}])  # fmt: skip
    questions, revisions, cats = [], [], []
    for q in range(1, QUESTIONS + 1):
        questions.append({"id": q, "bank_id": 1, "current_revision_id": None, "type": "single",
                          "difficulty": "中", "stem_key": f"k{q}", "active": True,
                          "created_at": now, "updated_at": now})  # fmt: skip
        revisions.append({"id": q, "question_id": q, "number": 1, "type": "single",
                          "stem": f"第{q}题", "options": ["甲", "乙", "丙", "丁"],
                          "answer": ["B"], "blanks": [], "explanation": "",
                          "categories": [TOPICS[q % 8]], "difficulty": "中", "score": None,
                          "note": "", "created_at": now, "created_by_id": None})  # fmt: skip
        cats.append({"question_id": q, "name": TOPICS[q % 8]})
    conn.execute(t["question"].insert(), questions)
    conn.execute(t["question_revision"].insert(), revisions)
    conn.execute(t["question_category"].insert(), cats)
    conn.execute(t["campaign"].insert(), [{"id": 1, "title": "基准活动", "description": "",
                                            "theme": "", "opens_at": ts(T0 - timedelta(days=1)),
                                            "closes_at": ts(T0 + timedelta(days=30)),
                                            "status": "published", "created_by_id": None,
                                            "created_at": now, "published_at": now}])  # fmt: skip
    conn.execute(t["campaign_branch"].insert(), [{"campaign_id": 1, "branch_id": 1}])
    conn.execute(t["quiz"].insert(), [{"id": 1, "campaign_id": 1, "title": "基准竞答",
                                        "instructions": "", "time_limit_seconds": 1200,
                                        "attempts_allowed": 1, "counting": "best",
                                        "pass_mark": 60, "shuffle_questions": True,
                                        "shuffle_options": False,
                                        "review_policy": "immediate",
                                        "multiple_scoring": "all_or_nothing",
                                        "created_at": now}])  # fmt: skip
    conn.execute(t["quiz_section"].insert(), [{"quiz_id": 1, "position": 0, "title": "",
                                                "question_type": "single", "count": ITEMS,
                                                "points": 5, "bank_ids": [1], "categories": [],
                                                "difficulties": [],
                                                "fixed_question_ids": []}])  # fmt: skip
    attempts, items = [], []
    item_id = 1
    for uid in range(1, people + 1):
        ability = rng.uniform(0.3, 0.98)
        qs = rng.sample(range(1, QUESTIONS + 1), ITEMS)
        right = 0
        for pos, q in enumerate(qs, start=1):
            ok = rng.random() < ability
            right += ok
            ans = "B" if ok else rng.choice("ACD")
            items.append({"id": item_id, "attempt_id": uid, "position": pos, "question_id": q,
                          "revision_id": q, "option_order": [0, 1, 2, 3], "points": 5,
                          "answer": ans, "answer_seq": pos, "answered_at": None,
                          "flagged": False, "score": 5 if ok else 0, "correct": ok})  # fmt: skip
            item_id += 1
        started = T0 + timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 900))
        used = rng.randint(120, 1200)
        score = right * 5
        attempts.append({"id": uid, "quiz_id": 1, "user_id": uid,
                         "branch_id": users[uid - 1]["branch_id"], "number": 1,
                         "status": "submitted", "seed": uid, "started_at": ts(started),
                         "deadline": ts(started + timedelta(seconds=1200)),
                         "finished_at": ts(started + timedelta(seconds=used)),
                         "score": score, "max_score": ITEMS * 5, "passed": score >= 60,
                         "time_used_seconds": used, "last_seq": ITEMS})  # fmt: skip
    for i in range(0, len(attempts), 5000):
        conn.execute(t["attempt"].insert(), attempts[i : i + 5000])
    for i in range(0, len(items), 20000):
        conn.execute(t["attempt_item"].insert(), items[i : i + 20000])
    if conn.dialect.name == "postgresql":
        for name in ("branch", "account", "question", "question_revision", "attempt",
                     "attempt_item", "campaign", "quiz", "bank"):  # fmt: skip
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT max(id) FROM {name}))"
            )
    return 1


def analyze(engine: sa.Engine) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or ``ANALYZE`` (SQLite) would keep them."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def timed(fn: Callable[[], Any], repeat: int = 5) -> float:
    fn()  # warm
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def record_cost(quiz: Any) -> float:
    """What ``results.record_final`` adds to one submission, for 200 people (their stored row
    taken out first so each one is recorded as new, items and all). Rolled back afterwards."""
    from quiz_app.extensions import db
    from quiz_app.models import Attempt, QuizResult
    from quiz_app.services import results

    runs = []
    for attempt_id in range(1, 201):
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        db.session.execute(
            sa.delete(QuizResult).where(
                QuizResult.quiz_id == quiz.id, QuizResult.user_id == attempt.user_id
            )
        )
        start = time.perf_counter()
        results.record_final(attempt)
        runs.append((time.perf_counter() - start) * 1000)
    db.session.rollback()
    return statistics.median(runs)


def run(url: str, people: int, label: str) -> dict[str, float]:
    from flask_migrate import upgrade

    from quiz_app import create_app
    from quiz_app.extensions import db
    from quiz_app.models import Campaign
    from quiz_app.services import results, stats

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        upgrade()
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            populate(conn, people, random.Random(1))
        load_s = time.perf_counter() - t0
        campaign = db.session.get(Campaign, 1)
        assert campaign is not None
        quiz = campaign.quizzes[0]
        # bulk-loaded attempts skipped attempts.finalize: store their results as a re-grade does
        t0 = time.perf_counter()
        results.rebuild(quiz)
        db.session.commit()
        rebuild_s = time.perf_counter() - t0
        analyze(db.engine)
        focus = stats.tree_roots()

        def page() -> None:
            figs = stats.branch_figures(campaign, quiz, focus)
            stats.rank_branches(figs, focus)
            stats.leaderboard(quiz, focus)
            stats.daily_trend(quiz, focus, figs.total.expected)
            stats.distribution(quiz, focus, figs)
            stats.not_participated(campaign, quiz, focus, figs)
            stats.topic_mastery(quiz, focus, stats.peers(figs, focus))

        def figures_only() -> None:
            stats.branch_figures(campaign, quiz, focus)

        bare = timed(lambda: stats.bare_branch_query(quiz))
        fig = timed(figures_only)
        dash = timed(page)
        record = record_cost(quiz)
        items = timed(lambda: stats.item_analysis(quiz, focus), 3)
        export = timed(lambda: stats.export_xlsx(campaign, focus), 1)
        db.session.remove()
        db.engine.dispose()
    out = {
        "bare": bare,
        "figures": fig,
        "page": dash,
        "items": items,
        "export": export,
        "record": record,
    }
    print(
        f"\n== {label}: {people} participants, {people * ITEMS} answers (loaded in {load_s:.1f} s)"
    )
    print(f"storing results for bulk-loaded attempts        : {rebuild_s * 1000:8.1f} ms (once)")
    print(f"bare GROUP BY over counted attempts per branch : {bare:8.1f} ms")
    print(
        f"branch table (roll-up + medians)               : {fig:8.1f} ms  ({fig / bare:.1f}× bare)"
    )
    print(
        f"campaign page (all its service calls)          : {dash:8.1f} ms  ({dash / bare:.1f}× bare)"
    )
    print(f"keeping the stored results on one submission   : {record:8.2f} ms (median of 200)")
    print(
        f"item analysis page                             : {items:8.1f} ms  ({items / bare:.1f}× bare)"
    )
    print(
        f"xlsx export                                    : {export:8.1f} ms  ({export / bare:.1f}× bare)"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_stats_")
    os.environ["QUIZ_INSTANCE_PATH"] = tmp
    if not args.skip_sqlite:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.people, "SQLite")
    if not args.skip_pg:
        admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS bench_stats")
            conn.exec_driver_sql("CREATE DATABASE bench_stats")
        try:
            url = args.pg.rsplit("/", 1)[0] + "/bench_stats"
            run(url, args.people, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql("DROP DATABASE IF EXISTS bench_stats WITH (FORCE)")
            admin.dispose()


if __name__ == "__main__":
    main()
