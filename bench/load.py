"""Load driver: a contest morning against a running server, then the database checked.

    pip install -e .    # nothing more: the HTTP client is bench/http1.py
    QUIZ_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scale_load \\
        python bench/load.py --base http://127.0.0.1:8000 --people 200 --release 3

Against the server started from the same code on the same database (for the bare-write ceiling,
serve ``bench.served:app``, which is ``create_app()`` plus one bare upsert endpoint):

    QUIZ_DATABASE_URL=… gunicorn -c gunicorn.conf.py bench.served:app

What it does, in order:
1. Setup through the services (in this process, on QUIZ_DATABASE_URL): migrates, seeds the demo
   banks if missing, adds a branch with N people (one password hash, copied: hashing N times
   would measure the setup), and opens a quiz built like the demo's 30-question 党史 quiz.
2. The contest: each person is released at a random moment within ``--release`` seconds, signs
   in (``--signin page``: GET /login, POST the form, then the session cookie and CSRF header as
   the quiz page does; ``token``: POST /api/v1/tokens; ``before``: tokens made ahead of the
   release, untimed), lists the quizzes, starts, answers every
   question with a think time around ``--think`` seconds, and submits. A 503 from sign-in is
   retried after Retry-After with jitter, as the page does (counted, not an error); a save that
   fails on the network or with 5xx is retried with the same seq, as quiz.js does.
3. Checks in the database: every acknowledged answer is stored with its highest seq, every
   attempt is final, and every score equals a re-grade of the stored answers (services.grading),
   also in quiz_result.
4. The ceiling: ``--ceiling-clients`` closed loops for ``--ceiling-seconds`` each, alternating
   the bare upsert endpoint and the real save endpoint twice, and prints saves/s ÷ bare writes/s.

Prints p50/p95/p99 and errors per endpoint. Loopback only; bounded by --people and the timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from bench.http1 import Client, HTTPError, Response

PASSWORD = "Load@2026x"
TIMEOUT = 30.0
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ANSWERS = {"single": "A", "multiple": ["A", "B"], "judge": True}


# --- setup and checks, through the services ----------------------------------------------------


def make_app() -> Any:
    from quiz_app import create_app

    return create_app()


def setup(app: Any, people: int, run: str) -> tuple[int, list[str]]:
    """A branch with ``people`` people and an open quiz for them; returns (quiz id, usernames)."""
    from flask_migrate import upgrade

    from quiz_app.clock import now
    from quiz_app.extensions import db
    from quiz_app.models import Bank, Branch, Campaign, Quiz, QuizSection, User
    from quiz_app.services import accounts, demo
    from quiz_app.services.branches import create_branch

    with app.app_context():
        upgrade()
        if db.session.scalar(sa.select(Branch.id).where(Branch.code == "SFJ")) is None:
            demo.seed_all()
            db.session.commit()
        root = db.session.scalar(sa.select(Branch).where(Branch.code == "SFJ"))
        branch = create_branch(f"压测{run}", f"LT{run}", root)
        sample = User(username="lt-hash", real_name="x", branch=branch)
        accounts.set_password(sample, PASSWORD, must_change=False)
        names = [f"lt{run}-{i:05d}" for i in range(people)]
        db.session.flush()
        db.session.execute(
            sa.insert(User.__table__),
            [
                {
                    "username": name,
                    "real_name": f"压测{i}",
                    "branch_id": branch.id,
                    "password_hash": sample.password_hash,
                    "must_change_password": False,
                    "active": True,
                    "created_at": now(),
                }
                for i, name in enumerate(names)
            ],
        )
        _, theme, bank_name, sections, minutes, _, review = demo.DEMO_CAMPAIGNS[0]
        bank = db.session.scalar(sa.select(Bank).where(Bank.name == bank_name))
        moment = now()
        campaign = Campaign(
            title=f"压测{run}·{theme}",
            opens_at=moment - timedelta(minutes=1),
            closes_at=moment + timedelta(hours=3),
            status="published",
            published_at=moment,
        )
        campaign.branches = [branch]
        quiz = Quiz(
            campaign=campaign,
            title=f"{theme}竞答（压测{run}）",
            time_limit_seconds=max(minutes, 60) * 60,
            attempts_allowed=1,
            pass_mark=Decimal(60),
            shuffle_questions=True,
            shuffle_options=True,
            review_policy=review,
            multiple_scoring="half_for_partial",
        )
        quiz.sections = [
            QuizSection(position=i, question_type=t, count=n, points=Decimal(p), bank_ids=[bank.id])
            for i, (t, n, p) in enumerate(sections)
        ]
        db.session.add(campaign)
        db.session.commit()
        return quiz.id, names


def check(app: Any, quiz_id: int, acknowledged: dict[int, dict[int, tuple[Any, int]]]) -> dict:
    """Every acknowledged answer stored with its highest seq; every score re-graded equal."""
    from quiz_app.extensions import db
    from quiz_app.models import Attempt, AttemptItem, QuestionRevision, Quiz, QuizResult
    from quiz_app.services import attempts, grading

    problems: list[str] = []
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        rows = db.session.scalars(sa.select(Attempt).where(Attempt.quiz_id == quiz_id)).all()
        by_id = {a.id: a for a in rows}
        stored_results = dict(
            db.session.execute(
                sa.select(QuizResult.attempt_id, QuizResult.score).where(
                    QuizResult.quiz_id == quiz_id
                )
            ).all()
        )
        # The revisions from the database, not the app's cache: the check must not trust it.
        kept = db.session.scalars(  # noqa: F841  (held: the items' lazy loads find them)
            sa.select(QuestionRevision).where(
                QuestionRevision.id.in_(
                    sa.select(AttemptItem.revision_id)
                    .join(Attempt, Attempt.id == AttemptItem.attempt_id)
                    .where(Attempt.quiz_id == quiz_id)
                )
            )
        ).all()
        answers = lost = 0
        for attempt_id, acked in acknowledged.items():
            attempt = by_id.get(attempt_id)
            if attempt is None:
                problems.append(f"attempt {attempt_id} missing")
                continue
            items = {i.question_id: i for i in attempt.items}
            for qid, (shown, seq) in acked.items():
                answers += 1
                item = items[qid]
                if item.answer_seq != seq or attempts.to_shown(item, item.answer) != shown:
                    lost += 1
                    problems.append(f"attempt {attempt_id} q{qid}: stored seq {item.answer_seq}")
        regraded = wrong = 0
        for attempt in rows:
            if not attempt.is_final:
                problems.append(f"attempt {attempt.id} not final")
                continue
            total = sum(
                (
                    grading.grade(i.revision, i.answer, i.points, quiz.multiple_scoring)[0]  # type: ignore[union-attr]
                    for i in attempt.items
                ),
                Decimal(0),
            )
            regraded += 1
            if total != attempt.score or stored_results.get(attempt.id) != attempt.score:
                wrong += 1
                problems.append(f"attempt {attempt.id}: score {attempt.score}, regraded {total}")
    return {
        "attempts": len(rows),
        "answers_checked": answers,
        "answers_lost": lost,
        "scores_checked": regraded,
        "scores_wrong": wrong,
        "problems": problems[:10],
    }


# --- the contest ---------------------------------------------------------------------------------


@dataclass
class Figures:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    busy: int = 0  # sign-in 503s, retried
    retries: int = 0  # saves sent again
    unfinished: int = 0
    samples: list[str] = field(default_factory=list)

    def fail(self, endpoint: str, what: str) -> None:
        self.errors[endpoint] += 1
        if len(self.samples) < 8:
            self.samples.append(f"{endpoint}: {what}")


async def timed(figures: Figures, endpoint: str, call: Any) -> Response | None:
    t = time.perf_counter()
    try:
        response = await call
    except HTTPError as exc:
        figures.fail(endpoint, str(exc))
        return None
    figures.times[endpoint].append(time.perf_counter() - t)
    return response


async def sign_in(client: Client, username: str, mode: str, f: Figures) -> bool:
    started = time.perf_counter()
    form: dict[str, str] | None = None
    for tries in range(40):  # as the page: about 7 minutes at the 15 s cap
        if mode == "token":
            r = await timed(
                f,
                "POST /api/v1/tokens",
                client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD}),
            )
        else:
            if form is None:  # the page once; a 503 re-sends the same form (static/js/signin.js)
                page = await timed(f, "GET /login", client.get("/login"))
                if page is None:  # the network: try again, as a person would
                    await asyncio.sleep(1 + random.random())
                    continue
                found = CSRF.search(page.text)
                if found is None:
                    f.fail("GET /login", f"no form (status {page.status_code})")
                    return False
                client.headers["X-CSRFToken"] = found.group(1)
                form = {"csrf_token": found.group(1), "username": username, "password": PASSWORD}
            r = await timed(f, "POST /login", client.post("/login", data=form))
        if r is None:
            continue
        if r.status_code == 503:
            f.busy += 1
            wait = float(r.headers.get("Retry-After", "2"))
            ceiling = min(15.0, max(wait, 2.0**tries))
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)
            continue
        if mode == "token" and r.status_code == 201:
            client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        elif mode == "page" and r.status_code == 302:
            pass
        else:
            f.fail("sign-in", f"status {r.status_code}")
            return False
        f.times["sign-in (end to end)"].append(time.perf_counter() - started)
        return True
    f.fail("sign-in", "gave up after 40 tries")
    return False


def answer_for(q: dict[str, Any], rng: random.Random) -> Any:
    if q["type"] == "blank":
        return [rng.choice(["甲", "不记得"]) for _ in range(q["blanks"])]
    if q["type"] == "single":
        return rng.choice([o["key"] for o in q["options"]])
    if q["type"] == "multiple":
        keys = [o["key"] for o in q["options"]]
        return sorted(rng.sample(keys, rng.randint(1, len(keys))))
    return rng.random() < 0.5


async def person(
    base: str,
    username: str,
    quiz_id: int,
    args: argparse.Namespace,
    f: Figures,
    acknowledged: dict[int, dict[int, tuple[Any, int]]],
    rng: random.Random,
) -> None:
    await asyncio.sleep(rng.random() * args.release)
    async with Client(base, TIMEOUT) as client:
        if args.signin == "before":  # signed in before the release (a long-lived sign-in)
            client.headers["Authorization"] = f"Bearer {args.tokens[username]}"
        elif not await sign_in(client, username, args.signin, f):
            f.unfinished += 1
            return
        await timed(f, "GET /api/v1/quizzes", client.get("/api/v1/quizzes"))
        r = await timed(f, "POST start", client.post(f"/api/v1/quizzes/{quiz_id}/attempts"))
        if r is None or r.status_code not in (200, 201):
            if r is not None:
                f.fail("POST start", f"status {r.status_code}")
            f.unfinished += 1
            return
        paper = r.json()
        attempt_id = paper["id"]
        mine = acknowledged.setdefault(attempt_id, {})
        questions = paper["questions"][: args.answers or None]
        for seq, q in enumerate(questions, start=1):
            await asyncio.sleep(args.think * (0.5 + rng.random()))
            body = {"answer": answer_for(q, rng), "seq": seq}
            url = f"/api/v1/attempts/{attempt_id}/answers/{q['id']}"
            for _ in range(5):
                r = await timed(f, "PUT answer", client.put(url, json=body))
                if r is not None and r.status_code == 200:
                    saved = r.json()
                    if saved["applied"]:
                        mine[q["id"]] = (saved["answer"], saved["seq"])
                    break
                if r is not None and r.status_code < 500:
                    f.fail("PUT answer", f"status {r.status_code}")
                    break
                if r is not None:
                    f.fail("PUT answer", f"status {r.status_code}")
                f.retries += 1
                await asyncio.sleep(1 + rng.random())
        r = await timed(f, "POST submit", client.post(f"/api/v1/attempts/{attempt_id}/submit"))
        if r is None or r.status_code != 200:
            if r is not None:
                f.fail("POST submit", f"status {r.status_code}")
            f.unfinished += 1


def machine_cpu_seconds() -> float | None:
    """Busy CPU-seconds of the whole machine so far (Linux /proc/stat), or None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def report(f: Figures, wall: float) -> None:
    print(f"\n{'endpoint':24} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for endpoint in sorted(set(f.times) | set(f.errors)):
        t = [x * 1000 for x in f.times.get(endpoint, [])]
        print(
            f"{endpoint:24} {len(t):>6} {pct(t, 50):>8.0f} {pct(t, 95):>8.0f} "
            f"{pct(t, 99):>8.0f} {f.errors.get(endpoint, 0):>7}"
        )
    print(
        f"sign-in 503s retried: {f.busy}; saves re-sent: {f.retries}; people who did not "
        f"finish: {f.unfinished}; wall time {wall:.1f} s"
    )
    for sample in f.samples:
        print("  e.g.", sample)


# --- the ceiling: saves/s vs bare upserts/s ------------------------------------------------------


async def closed_loop(base: str, clients: int, seconds: float, make: Any) -> tuple[int, int]:
    """``clients`` loops sending ``make(i, n)`` requests for ``seconds``: (ok, failed)."""
    done = failed = 0
    stop = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        nonlocal done, failed
        n = 0
        async with Client(base, TIMEOUT) as client:
            while time.perf_counter() < stop:
                n += 1
                method, url, kw = make(i, n)
                try:
                    r = await client.request(method, url, **kw)
                    if r.status_code == 200:
                        done += 1
                    else:
                        failed += 1
                except HTTPError:
                    failed += 1

    await asyncio.gather(*(loop(i) for i in range(clients)))
    return done, failed


async def ceiling(base: str, usernames: list[str], quiz_id: int, args: argparse.Namespace) -> None:
    clients = args.ceiling_clients
    async with Client(base, TIMEOUT) as probe:
        r = await probe.put("/bench/bare-write", json={"k": 0, "v": 0})
        if r.status_code != 200:
            print(
                "\nceiling: the server has no /bench/bare-write (serve bench.served:app); skipped"
            )
            return
    # one token and one in-progress attempt per loop, on people who did not take part
    saves: list[tuple[str, int, list[int]]] = []
    async with Client(base, TIMEOUT) as c:
        for name in usernames[:clients]:
            r = await c.post("/api/v1/tokens", json={"username": name, "password": PASSWORD})
            while r.status_code == 503:
                await asyncio.sleep(1)
                r = await c.post("/api/v1/tokens", json={"username": name, "password": PASSWORD})
            token = r.json()["token"]
            paper = (
                await c.post(
                    f"/api/v1/quizzes/{quiz_id}/attempts",
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
            judge = [q["id"] for q in paper["questions"] if q["type"] == "judge"]
            saves.append((token, paper["id"], judge))

    def bare(i: int, n: int) -> tuple[str, str, dict]:
        return "PUT", "/bench/bare-write", {"json": {"k": i, "v": n}}

    def save(i: int, n: int) -> tuple[str, str, dict]:
        token, attempt_id, judge = saves[i]
        url = f"/api/v1/attempts/{attempt_id}/answers/{judge[n % len(judge)]}"
        return (
            "PUT",
            url,
            {
                "json": {"answer": n % 2 == 0, "seq": n},
                "headers": {"Authorization": f"Bearer {token}"},
            },
        )

    rates: dict[str, list[float]] = {"bare": [], "save": []}
    for _ in range(2):
        for name, make in (("bare", bare), ("save", save)):
            ok, failed = await closed_loop(base, clients, args.ceiling_seconds, make)
            rates[name].append(ok / args.ceiling_seconds)
            if failed:
                print(f"ceiling {name}: {failed} failed requests")
    b, s = max(rates["bare"]), max(rates["save"])
    print(
        f"\nceiling ({clients} closed loops, {args.ceiling_seconds:.0f} s each, twice, best): "
        f"bare upsert {b:.0f}/s, answer save {s:.0f}/s → save = {s / b:.0%} of the bare write "
        f"(runs: bare {[round(x) for x in rates['bare']]}, save {[round(x) for x in rates['save']]})"
    )


async def sign_in_beforehand(base: str, names: list[str]) -> dict[str, str]:
    """``--signin before``: a token for everyone ahead of the release, a few at a time (not
    timed: the run measures the quiz with nobody typing a password at 9:00)."""
    tokens: dict[str, str] = {}
    queue = list(names)

    async def worker() -> None:
        async with Client(base, TIMEOUT) as client:
            await work(client)

    async def work(client: Client) -> None:
        while queue:
            name = queue.pop()
            while True:
                r = await client.post(
                    "/api/v1/tokens", json={"username": name, "password": PASSWORD}
                )
                if r.status_code == 201:
                    tokens[name] = r.json()["token"]
                    break
                if r.status_code != 503:
                    raise SystemExit(f"signing {name} in beforehand: status {r.status_code}")
                await asyncio.sleep(0.5)

    await asyncio.gather(*(worker() for _ in range(4)))
    return tokens


async def contest(base: str, quiz_id: int, names: list[str], args: argparse.Namespace) -> dict:
    f = Figures()
    if args.signin == "before":
        t = time.perf_counter()
        args.tokens = await sign_in_beforehand(base, names)
        print(f"signed {len(names)} people in beforehand in {time.perf_counter() - t:.0f} s")
    acknowledged: dict[int, dict[int, tuple[Any, int]]] = {}
    rng = random.Random(args.seed)
    t, cpu, busy = time.perf_counter(), time.process_time(), machine_cpu_seconds()
    tasks = [
        asyncio.ensure_future(
            person(base, n, quiz_id, args, f, acknowledged, random.Random(rng.random()))
        )
        for n in names
    ]
    _, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for task in pending:  # bounded in time: whoever is still going stops here
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        f.unfinished += len(pending)
        print(f"deadline of {args.deadline:.0f} s reached: {len(pending)} people stopped")
    wall = time.perf_counter() - t
    report(f, wall)
    driver = time.process_time() - cpu
    print(f"the driver's own CPU: {driver / wall:.0%} of one core on average")
    after = machine_cpu_seconds()
    if busy is not None and after is not None:
        # everything but the driver: the app, the database, the kernel's network work
        served = after - busy - driver
        print(
            f"machine CPU besides the driver: {served:.0f} CPU-s over {wall:.0f} s "
            f"({served / wall:.2f} cores on average) = {served / len(names) * 1000:.0f} ms "
            f"per participant"
        )
    return acknowledged


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--release", type=float, default=3.0, help="everyone starts within S s")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between answers")
    parser.add_argument("--answers", type=int, default=0, help="answer only the first K (0: all)")
    parser.add_argument(
        "--signin",
        choices=("page", "token", "before"),
        default="page",
        help="page: the sign-in form at release; token: POST /api/v1/tokens at release; "
        "before: tokens made before the release (nobody types a password at 9:00)",
    )
    parser.add_argument("--ceiling-clients", type=int, default=16)
    parser.add_argument("--ceiling-seconds", type=float, default=8.0)
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--deadline", type=float, default=600, help="stop the contest after this many seconds"
    )
    args = parser.parse_args()
    if not os.environ.get("QUIZ_DATABASE_URL"):
        parser.error("set QUIZ_DATABASE_URL to the server's database (setup and checks use it)")

    app = make_app()
    run = time.strftime("%H%M%S")
    quiz_id, names = setup(app, args.people + args.ceiling_clients, run)
    people, spare = names[: args.people], names[args.people :]
    print(
        f"run {run}: {args.people} people, quiz {quiz_id}, released within {args.release:.0f} s, "
        f"think ~{args.think:.1f} s, sign-in by {args.signin}, against {args.base}"
    )
    acknowledged = asyncio.run(contest(args.base, quiz_id, people, args))
    result = check(app, quiz_id, acknowledged)
    print(
        f"\ndatabase check: {result['attempts']} attempts; {result['answers_checked']} acknowledged "
        f"answers, {result['answers_lost']} lost; {result['scores_checked']} scores re-graded, "
        f"{result['scores_wrong']} wrong"
    )
    for problem in result["problems"]:
        print("  ", problem)
    if not args.skip_ceiling:
        asyncio.run(ceiling(args.base, spare, quiz_id, args))


if __name__ == "__main__":
    main()
