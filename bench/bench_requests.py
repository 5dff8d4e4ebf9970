"""Benchmark: SQL statements, pool checkouts and in-process time of the quiz's hot requests.

Counts, with SQLAlchemy events on the app's engine, what one request costs through the real
stack (Flask test client, API views, services): taking a token, the quiz list, starting the
demo's 30-question 党史 quiz, saving one answer (bearer token and session cookie), submitting.
A "bare write" (one small upsert on the same engine) is timed in the same run as the baseline.

Run: python bench/bench_requests.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/scale_bench]
     [--saves 300]
The PostgreSQL database is wiped (public schema) — give it one of your own.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa


class Counting:
    """Statements (by first word) and pool checkouts while ``active``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.active = False
        self.kinds: Counter[str] = Counter()
        self.checkouts = 0
        self.log: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, _conn: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if self.active:
            self.kinds[statement.split(None, 1)[0].upper()] += 1
            self.log.append(" ".join(statement.split())[:110])

    def _checkout(self, *_a: Any) -> None:
        if self.active:
            self.checkouts += 1

    def run(self, fn: Any) -> tuple[Any, dict[str, Any]]:
        self.kinds.clear()
        self.log = []
        self.checkouts = 0
        self.active = True
        t = time.perf_counter()
        try:
            result = fn()
        finally:
            self.active = False
        ms = (time.perf_counter() - t) * 1000
        return result, {
            "statements": sum(self.kinds.values()),
            "kinds": dict(self.kinds),
            "checkouts": self.checkouts,
            "ms": ms,
            "log": list(self.log),
        }


def reset_pg(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def hash_costs() -> None:
    """CPU per password check: werkzeug's scrypt (today's default) and argon2id at OWASP's
    minimum (m=19 MiB, t=2, p=1) when argon2-cffi is installed."""
    from werkzeug.security import check_password_hash, generate_password_hash

    stored = generate_password_hash("Demo@2021x", method="scrypt")
    c = time.process_time()
    for _ in range(10):
        check_password_hash(stored, "Demo@2021x")
    print(f"scrypt (werkzeug default) check: {(time.process_time() - c) * 100:.0f} ms CPU")
    try:
        from argon2 import PasswordHasher
    except ImportError:
        print("argon2id: argon2-cffi not installed, skipped")
        return
    ph = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    stored = ph.hash("Demo@2021x")
    c = time.process_time()
    for _ in range(10):
        ph.verify(stored, "Demo@2021x")
    print(f"argon2id m=19MiB t=2 p=1 check: {(time.process_time() - c) * 100:.0f} ms CPU")


def flow_cpu(app: Any, quiz_id: int, people: int) -> dict[str, float]:
    """A contest's path for ``people`` new people (tokens made directly, no password hash): the
    list, start, resume, three saves and the hand-in; CPU of this process per request, in ms."""
    from quiz_app.extensions import db
    from quiz_app.models import SessionKind, User
    from quiz_app.services import sessions

    with app.app_context():
        branch_id = db.session.scalar(
            sa.select(User.branch_id).where(User.username == "demo-employee")
        )
        users = [
            User(
                username=f"flow{i}",
                real_name=f"压测{i}",
                branch_id=branch_id,
                password_hash="!",
                must_change_password=False,
            )
            for i in range(people)
        ]
        db.session.add_all(users)
        db.session.flush()
        life = sessions.Lifetimes()
        tokens = [sessions.open_session(u, SessionKind.API, life)[0] for u in users]
        db.session.commit()
    client = app.test_client()
    cpu: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    def timed(label: str, method: str, path: str, **kw: Any) -> Any:
        c = time.process_time()
        response = client.open(path, method=method, **kw)
        cpu[label] += time.process_time() - c
        calls[label] += 1
        assert response.status_code < 400, (label, response.status_code, response.get_json())
        return response.get_json()

    papers = []
    for token in tokens:
        auth = {"Authorization": f"Bearer {token}"}
        timed("GET /api/v1/quizzes", "GET", "/api/v1/quizzes", headers=auth)
        papers.append(
            (auth, timed("POST start", "POST", f"/api/v1/quizzes/{quiz_id}/attempts", headers=auth))
        )
    for auth, paper in papers:
        timed("GET attempt (resume)", "GET", f"/api/v1/attempts/{paper['id']}", headers=auth)
        for seq, q in enumerate(paper["questions"][:3], start=1):
            answer = {"single": "A", "multiple": ["A", "B"], "judge": True}.get(q["type"], ["x"])
            path = f"/api/v1/attempts/{paper['id']}/answers/{q['id']}"
            timed("PUT answer", "PUT", path, headers=auth, json={"answer": answer, "seq": seq})
    for auth, paper in papers:
        timed("POST submit", "POST", f"/api/v1/attempts/{paper['id']}/submit", headers=auth)
    return {label: cpu[label] / calls[label] * 1000 for label in cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="PostgreSQL URL (wiped); SQLite temp file when omitted")
    parser.add_argument("--saves", type=int, default=300, help="saves timed for the median")
    parser.add_argument("--verbose", action="store_true", help="print every statement")
    parser.add_argument("--hash-costs", action="store_true", help="also time password checks")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the timed saves; print the top functions"
    )
    parser.add_argument(
        "--people",
        type=int,
        default=0,
        help="also: CPU per list/start/resume/save/submit over N new people (a contest's path)",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_requests_"))
    os.environ["QUIZ_INSTANCE_PATH"] = str(tmp)
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    if args.pg:
        reset_pg(url)

    from flask_migrate import upgrade

    from quiz_app import create_app
    from quiz_app.extensions import db
    from quiz_app.models import Quiz
    from quiz_app.services import accounts, demo

    accounts.HASH_METHOD = "pbkdf2:sha256:1000"  # the hash is the lead's; not measured here
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        upgrade()
        demo.seed_all()
        db.session.commit()
        quiz_id = db.session.scalar(sa.select(Quiz.id).order_by(Quiz.id))
        counting = Counting(db.engine)
        db.session.execute(
            sa.text("CREATE TABLE bare_write (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        )
        db.session.commit()

    client = app.test_client()
    rows: list[tuple[str, dict[str, Any]]] = []

    def call(label: str, method: str, path: str, **kw: Any) -> Any:
        response, figures = counting.run(lambda: client.open(path, method=method, **kw))
        assert response.status_code < 400, (label, response.status_code, response.get_json())
        rows.append((label, figures))
        return response

    r = call(
        "POST /api/v1/tokens",
        "POST",
        "/api/v1/tokens",
        json={"username": "demo-employee", "password": demo.DEMO_PASSWORD},
    )
    bearer = {"Authorization": f"Bearer {r.get_json()['token']}"}
    call("GET /api/v1/quizzes", "GET", "/api/v1/quizzes", headers=bearer)
    other = client.post(
        "/api/v1/tokens", json={"username": "demo-leader", "password": demo.DEMO_PASSWORD}
    ).get_json()["token"]
    call(
        "start, another person first",
        "POST",
        f"/api/v1/quizzes/{quiz_id}/attempts",
        headers={"Authorization": f"Bearer {other}"},
    )
    paper = call(
        "POST /quizzes/{id}/attempts (start)",
        "POST",
        f"/api/v1/quizzes/{quiz_id}/attempts",
        headers=bearer,
    ).get_json()
    attempt_id = paper["id"]
    questions = paper["questions"]

    def answer_for(q: dict[str, Any]) -> Any:
        return {"single": "A", "multiple": ["A", "B"], "judge": True}.get(
            q["type"], ["x"] * q["blanks"]
        )

    seq = 0
    for q in questions[:2]:
        seq += 1
        call(
            "PUT answer (bearer)",
            "PUT",
            f"/api/v1/attempts/{attempt_id}/answers/{q['id']}",
            headers=bearer,
            json={"answer": answer_for(q), "seq": seq},
        )
    # the page's own save: the session cookie (the CSRF check costs no SQL; off here)
    page = app.test_client()
    page.post("/login", data={"username": "demo-employee", "password": demo.DEMO_PASSWORD})
    for q in questions[2:4]:
        seq += 1
        response, figures = counting.run(
            lambda q=q, seq=seq: page.put(
                f"/api/v1/attempts/{attempt_id}/answers/{q['id']}",
                json={"answer": answer_for(q), "seq": seq},
            )
        )
        assert response.status_code == 200, response.get_json()
        rows.append(("PUT answer (session cookie)", figures))

    # timing: saves vs the bare write, alternated in the same run
    save_ms, bare_ms = [], []
    save_cpu = bare_cpu = 0.0
    with app.app_context():
        engine = db.engine
    upsert = sa.text(
        "INSERT INTO bare_write (k, v) VALUES (:k, :v) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    )
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
    for i in range(args.saves):
        if profiler:
            profiler.enable()
        q = questions[i % len(questions)]
        seq += 1
        t, c = time.perf_counter(), time.process_time()
        response = client.put(
            f"/api/v1/attempts/{attempt_id}/answers/{q['id']}",
            headers=bearer,
            json={"answer": answer_for(q), "seq": seq},
        )
        save_ms.append((time.perf_counter() - t) * 1000)
        save_cpu += time.process_time() - c
        assert response.status_code == 200
        if profiler:
            profiler.disable()
        t, c = time.perf_counter(), time.process_time()
        with engine.begin() as conn:
            conn.execute(upsert, {"k": i % 30, "v": i})
        bare_ms.append((time.perf_counter() - t) * 1000)
        bare_cpu += time.process_time() - c

    call(
        "POST /attempts/{id}/submit",
        "POST",
        f"/api/v1/attempts/{attempt_id}/submit",
        headers=bearer,
    )

    print(f"database: {engine.dialect.name}")
    print(f"{'request':40} {'statements':>10} {'checkouts':>9} {'ms':>8}  kinds")
    for label, f in rows:
        print(f"{label:40} {f['statements']:>10} {f['checkouts']:>9} {f['ms']:>8.1f}  {f['kinds']}")
        if args.verbose:
            for line in f["log"]:
                print("      ", line)
    s, b = statistics.median(save_ms), statistics.median(bare_ms)
    print(
        f"save median {s:.2f} ms vs bare upsert {b:.2f} ms over {args.saves} each "
        f"(save = {s / b:.1f}x bare; in process, no HTTP)"
    )
    print(
        f"CPU of this process per save {save_cpu / args.saves * 1000:.2f} ms, per bare upsert "
        f"{bare_cpu / args.saves * 1000:.2f} ms (process_time: the app's share, not the database's)"
    )
    if args.hash_costs:
        hash_costs()
    if args.people:
        per = flow_cpu(app, quiz_id, args.people)
        bare = bare_cpu / args.saves * 1000
        print(f"\nCPU of this process per request over {args.people} people (in process):")
        for label, ms in per.items():
            print(f"  {label:28} {ms:7.2f} ms  ({ms / bare:5.1f}x the bare upsert's {bare:.2f} ms)")
    if profiler:
        print(f"\nprofile of the {args.saves} saves (test client included), by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
