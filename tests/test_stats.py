"""Statistics: every figure recomputed independently with pandas from raw rows, plus the rules
(shrinkage, leaderboard ties, the not-yet list, wrong-key flags, the year paragraph)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    Branch,
    Campaign,
    Question,
    QuestionCategory,
    Quiz,
    User,
)
from quiz_app.services import attempts, results, stats
from quiz_app.services.stats import year, yearreport
from tests.factories import make_bank, make_branch, make_campaign, make_quiz, make_user, root_branch

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing
GRACE = timedelta(seconds=10)
SECTIONS = (("single", 3, "2"), ("multiple", 2, "3"), ("judge", 2, "1"), ("blank", 1, "4"))


@dataclass
class World:
    campaign: Campaign
    quiz: Quiz
    root: Branch
    office: Branch
    office_team: Branch
    it: Branch
    finance: Branch
    outside: Branch
    never: User  # never signed in, never attempted


def random_answer(item, rng: random.Random, right: bool):  # type: ignore[no-untyped-def]
    """An answer in the keys shown; right or a random (probably wrong) one."""
    rev = item.revision
    keys = "ABCD"[: len(rev.options)]
    if rev.type == "single":
        stored = rev.answer[0] if right else rng.choice(keys)
        return attempts.to_shown(item, stored)
    if rev.type == "multiple":
        stored = list(rev.answer) if right else sorted(rng.sample(keys, rng.randint(1, 3)))
        return attempts.to_shown(item, stored)
    if rev.type == "judge":
        return (rev.answer == ["T"]) if right else rng.choice([True, False])
    return ["甲", "乙"] if right else rng.choice([["甲", "丙"], ["x", "y"], ["甲方", "乙"]])


def take(quiz: Quiz, user: User, moment: datetime, rng: random.Random, ability: float,
         submit: bool = True, skip: float = 0.1) -> Attempt:  # fmt: skip
    clock.set_now(moment)
    attempt, _ = attempts.start_attempt(quiz, user, moment, GRACE)
    seq = 1
    for item in attempt.items:
        if rng.random() < skip:
            continue
        answer = random_answer(item, rng, rng.random() < ability)
        attempts.save_answer(attempt.id, user, item.question_id, answer, seq, moment, GRACE)
        seq += 1
    if submit:
        end = moment + timedelta(seconds=rng.randint(30, 580))
        clock.set_now(end)
        attempts.submit(attempt.id, user, end, GRACE)
    return attempt


def build_world(seed: int = 7, counting: str = "best") -> World:
    """Several branches (one nested), ~40 people, random answers through the services."""
    rng = random.Random(seed)
    clock.set_now(T0)
    root = root_branch()
    office = make_branch("办公室", "BGS", root)
    office_team = make_branch("办公室一组", "BGS1", office)
    it = make_branch("信息中心", "XXZX", root)
    finance = make_branch("财务处", "CWC", root)
    outside = make_branch("机关服务中心", "FWZX", root)  # not in the audience
    bank = make_bank(per_type=6)
    # a second topic on half of the questions (current categories are what topic mastery reads)
    for q in db.session.scalars(sa.select(Question).where(Question.bank_id == bank.id)):
        if q.id % 2:
            db.session.add(QuestionCategory(question_id=q.id, name="党史"))
    campaign = make_campaign(
        [office, it, finance], opens_at=T0 - timedelta(hours=1), closes_at=T0 + timedelta(days=10)
    )
    quiz = make_quiz(
        campaign,
        bank,
        sections=SECTIONS,
        attempts_allowed=2,
        pass_mark=Decimal("12"),
        shuffle_options=True,
        counting=counting,
    )
    people: list[User] = []
    for branch, count in ((office, 8), (office_team, 6), (it, 12), (finance, 10), (outside, 3)):
        for _ in range(count):
            people.append(make_user(branch=branch))
    make_user(branch=it, active=False)  # left: not expected
    never = make_user(real_name="从未登录", branch=finance)
    db.session.flush()
    for person in people:
        if person.branch_id == outside.id:
            continue
        roll = rng.random()
        ability = rng.uniform(0.2, 0.95)
        day = T0 + timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 14))
        if roll < 0.15:
            continue  # not yet
        if roll < 0.22:
            take(quiz, person, day, rng, ability, submit=False)  # only started
            continue
        take(quiz, person, day, rng, ability)
        if rng.random() < 0.3:
            take(quiz, person, day + timedelta(days=1), rng, ability)
    # a person who moved after taking part: scores stay with the branch at the time
    mover = people[0]
    mover.branch_id = it.id
    db.session.flush()
    return World(campaign, quiz, root, office, office_team, it, finance, outside, never)


# --- the independent computation ---------------------------------------------------------------


def frames() -> dict[str, pd.DataFrame]:
    conn = db.session.connection()
    out = {}
    for table in ("branch", "account", "attempt", "attempt_item", "question_category"):
        out[table] = pd.read_sql(sa.text(f"SELECT * FROM {table}"), conn)
    at = out["attempt"]
    at["finished_at"] = pd.to_datetime(at["finished_at"], utc=True, format="mixed")
    for col in ("score", "max_score"):
        at[col] = at[col].astype(float)
    return out


def counted_frame(f: dict[str, pd.DataFrame], quiz: Quiz) -> pd.DataFrame:
    at = f["attempt"]
    final = at[(at.quiz_id == quiz.id) & (at.status != "in_progress")]
    ordered = final.sort_values(
        ["user_id", "score", "time_used_seconds", "finished_at"],
        ascending=[True, False, True, True],
    )
    return ordered.groupby("user_id", as_index=False).head(1)


def expected_rows(w: World) -> dict[int, dict[str, float | int | None]]:
    f = frames()
    br, acc, at = f["branch"], f["account"], f["attempt"]
    path = dict(zip(br.id, br.path, strict=True))
    audience_paths = [b.path for b in w.campaign.branches]
    acc = acc[acc.active.astype(bool)]
    acc = acc[acc.branch_id.map(lambda b: any(path[b].startswith(p) for p in audience_paths))]
    qa = at[at.quiz_id == w.quiz.id]
    took = set(qa.user_id)
    fin = set(qa[qa.status != "in_progress"].user_id)
    counted = counted_frame(f, w.quiz)
    out: dict[int, dict[str, float | int | None]] = {}
    for bid, bpath in path.items():
        people = acc[acc.branch_id.map(lambda b, bp=bpath: path[b].startswith(bp))]
        c = counted[counted.branch_id.map(lambda b, bp=bpath: path[b].startswith(bp))]
        n = len(c)
        out[bid] = {
            "expected": len(people),
            "took_part": int(people.id.isin(took).sum()),
            "finished": int(people.id.isin(fin).sum()),
            "scored": n,
            "avg_score": c.score.mean() if n else None,
            "median_score": c.score.median() if n else None,
            "max_score_got": c.score.max() if n else None,
            "score_rate": c.score.sum() / c.max_score.sum() if n else None,
            "pass_rate": c.passed.astype(bool).mean() if n else None,
            "avg_time": c.time_used_seconds.mean() if n else None,
        }
    return out


def is_answered(a: object) -> bool:
    """A stored answer read back by pandas: text on SQLite, decoded JSON on PostgreSQL."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return False
    return a != "null"


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None and (b is None or math.isnan(b))
    return abs(float(a) - float(b)) < 1e-6


@pytest.fixture()
def world(ctx: None) -> World:
    w = build_world()
    db.session.commit()
    return w


# --- tests -------------------------------------------------------------------------------------


def test_branch_figures_match_pandas(world: World) -> None:
    w = world
    figs = stats.branch_figures(w.campaign, w.quiz, [w.root])
    want = expected_rows(w)
    names = {r.name for r in figs.rows}
    assert {"测试局", "办公室", "办公室一组", "信息中心", "财务处"} <= names
    assert "机关服务中心" not in names  # nobody expected, nobody scored there
    for row in figs.rows:
        exp = want[row.branch_id]  # type: ignore[index]
        for key, value in exp.items():
            assert close(getattr(row, key), value), (row.name, key, getattr(row, key), value)
        assert close(row.participation_rate, row.finished / row.expected if row.expected else None)
    root = next(r for r in figs.rows if r.branch_id == w.root.id)
    # the roll-up: the root's numbers equal the total, and include the nested team
    assert root.expected == figs.total.expected == want[w.root.id]["expected"]
    assert figs.total.scored == root.scored and close(figs.total.median_score, root.median_score)
    office = next(r for r in figs.rows if r.branch_id == w.office.id)
    team = next(r for r in figs.rows if r.branch_id == w.office_team.id)
    assert office.expected >= team.expected + 7  # 8 in the office (one moved away) + the team
    # the person who never signed in is expected
    assert want[w.finance.id]["expected"] == 11


def test_scoped_figures_only_cover_the_subtree(world: World) -> None:
    w = world
    figs = stats.branch_figures(w.campaign, w.quiz, [w.office])
    assert [r.name for r in figs.rows] == ["办公室", "办公室一组"]
    want = expected_rows(w)
    assert figs.total.expected == want[w.office.id]["expected"]
    assert close(figs.total.avg_score, want[w.office.id]["avg_score"])


def test_leaderboard_distribution_trend_match_pandas(world: World) -> None:
    w = world
    f = frames()
    counted = counted_frame(f, w.quiz)
    top = counted.sort_values(
        ["score", "time_used_seconds", "finished_at", "id"], ascending=[False, True, True, True]
    ).head(10)
    board = stats.leaderboard(w.quiz, [w.root], 10)
    assert [p.user_id for p in board] == list(top.user_id)
    assert [p.rank for p in board] == list(range(1, len(top) + 1))

    rate = counted.score / counted.max_score
    bins = [0] * 10
    for r in rate:
        bins[min(math.floor(r * 10 + 1e-9), 9)] += 1
    assert [b.count for b in stats.distribution(w.quiz, [w.root])] == bins

    at = f["attempt"]
    final = at[(at.quiz_id == w.quiz.id) & (at.status != "in_progress")].copy()
    final["day"] = final.finished_at.dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d")
    per_day = final.groupby("day").size().to_dict()
    firsts = final.sort_values("finished_at").groupby("user_id").head(1).groupby("day").size()
    trend = stats.daily_trend(w.quiz, [w.root], 40)
    assert {d.day: d.attempts for d in trend if d.attempts} == per_day
    assert {d.day: d.new_people for d in trend if d.new_people} == firsts.to_dict()
    assert trend[-1].cumulative == final.user_id.nunique()


def test_topic_mastery_matches_pandas(world: World) -> None:
    w = world
    f = frames()
    counted = counted_frame(f, w.quiz)
    items = f["attempt_item"].merge(
        counted[["id", "branch_id"]], left_on="attempt_id", right_on="id"
    )
    joined = items.merge(f["question_category"], on="question_id")
    joined["correct"] = joined.correct.fillna(False).astype(bool)
    want = joined.groupby("name").correct.agg(["count", "sum"])
    figs = stats.branch_figures(w.campaign, w.quiz, [w.root])
    cols = stats.peers(figs, [w.root])
    assert {c.name for c in cols} == {"办公室", "信息中心", "财务处"}
    topics = stats.topic_mastery(w.quiz, [w.root], cols)
    assert {t.category for t in topics} == {"党章", "党史"}
    for t in topics:
        assert (t.answered, t.correct) == (
            want.loc[t.category, "count"],
            want.loc[t.category, "sum"],
        )
    path = dict(zip(f["branch"].id, f["branch"].path, strict=True))
    office = joined[joined.branch_id.map(lambda b: path[b].startswith(w.office.path))]
    o = office.groupby("name").correct.agg(["count", "sum"])
    for t in topics:
        assert t.by_branch[w.office.id] == (o.loc[t.category, "count"], o.loc[t.category, "sum"])
    rates = [t.rate for t in topics]
    assert rates == sorted(rates)  # weakest first


def test_item_analysis_matches_pandas(world: World) -> None:
    w = world
    f = frames()
    counted = counted_frame(f, w.quiz).sort_values(
        ["score", "time_used_seconds", "finished_at", "id"], ascending=[False, True, True, True]
    )
    n = len(counted)
    cut = math.ceil(0.27 * n)
    upper, lower = set(counted.id[:cut]), set(counted.id[n - cut :])
    items = f["attempt_item"]
    items = items[items.attempt_id.isin(set(counted.id))].copy()
    items["correct"] = items.correct.fillna(False).astype(bool)
    ia = stats.item_analysis(w.quiz, [w.root])
    assert ia.attempts == n
    assert close(ia.mean, counted.score.mean())
    assert close(ia.sd, counted.score.std(ddof=1))
    by_rev = {it.revision_id: it for it in ia.items}
    assert set(by_rev) == set(items.revision_id)
    sum_pq = 0.0
    for rid, grp in items.groupby("revision_id"):
        it = by_rev[rid]
        p = grp.correct.mean()
        sum_pq += len(grp) / n * p * (1 - p)
        assert it.drawn == len(grp) and close(it.facility, p)
        up, lo = grp[grp.attempt_id.isin(upper)], grp[grp.attempt_id.isin(lower)]
        if len(up) and len(lo):
            assert close(it.discrimination, up.correct.mean() - lo.correct.mean())
        answered = grp.answer.map(is_answered).sum()
        assert it.answered == answered
    x = items.groupby("attempt_id").correct.sum()
    k = items.groupby("attempt_id").size().mean()
    var = ((x - x.mean()) ** 2).mean()
    assert close(ia.kr20, k / (k - 1) * (1 - sum_pq / var))


def test_shrinkage_and_composite(world: World) -> None:
    assert stats.shrunk(0, None, 0.8, 5) == 0.8
    assert stats.shrunk(5, 1.0, 0.5, 5) == pytest.approx(0.75)
    assert stats.shrunk(95, 0.9, 0.5, 5) == pytest.approx((95 * 0.9 + 5 * 0.5) / 100)
    w = world
    figs = stats.branch_figures(w.campaign, w.quiz, [w.root])
    mu = figs.total.score_rate
    ranked = stats.rank_branches(figs, [w.root], "composite", 50, 5)
    assert {r.row.name for r in ranked} == {"办公室", "信息中心", "财务处"}
    for r in ranked:
        s = (r.row.scored * r.row.score_rate + 5 * mu) / (r.row.scored + 5)  # type: ignore[operator]
        assert r.shrunk_rate == pytest.approx(s)
        assert r.composite == pytest.approx(0.5 * r.row.participation_rate + 0.5 * s)  # type: ignore[operator]
    assert [r.value for r in ranked] == sorted((r.value for r in ranked), reverse=True)
    by_part = stats.rank_branches(figs, [w.root], "participation")
    assert [r.rank for r in by_part] == [1, 2, 3]
    assert by_part[0].row.participation_rate == max(r.row.participation_rate for r in by_part)  # type: ignore[type-var]


def test_not_participated_lists_people_who_never_signed_in(world: World) -> None:
    w = world
    groups = stats.not_participated(w.campaign, w.quiz, [w.root])
    names = [n for g in groups for n, _ in g.people]
    assert "从未登录" in names
    f = frames()
    want = expected_rows(w)
    assert len(names) == want[w.root.id]["expected"] - want[w.root.id]["finished"]
    finance = next(g for g in groups if g.branch_id == w.finance.id)
    assert finance.line.startswith(f"财务处（{len(finance.people)} 人）：")
    assert "、".join(n for n, _ in finance.people) in finance.line
    assert stats.missing_text(groups).count("\n") == len(groups) - 1
    del f


def fake_attempt(quiz: Quiz, user: User, score: str, used: int, finished: datetime) -> None:
    """A final attempt written directly, then recorded the way ``attempts.finalize`` does."""
    attempt = Attempt(
        quiz=quiz,
        user=user,
        branch_id=user.branch_id,
        number=1,
        status="submitted",
        seed=1,
        started_at=finished - timedelta(seconds=used),
        finished_at=finished,
        score=Decimal(score),
        max_score=Decimal("10"),
        passed=None,
        time_used_seconds=used,
    )
    db.session.add(attempt)
    db.session.flush()
    results.record_final(attempt)


def test_leaderboard_ties_less_time_then_earlier(ctx: None) -> None:
    clock.set_now(T0)
    campaign = make_campaign()
    quiz = make_quiz(campaign, make_bank(per_type=2), sections=(("single", 1, "10"),))
    a, b, c, d = (make_user(real_name=n) for n in "甲乙丙丁")
    fake_attempt(quiz, a, "8", 300, T0 + timedelta(minutes=30))
    fake_attempt(quiz, b, "8", 200, T0 + timedelta(minutes=40))  # same score, less time
    fake_attempt(quiz, c, "8", 300, T0 + timedelta(minutes=10))  # same score and time, earlier
    fake_attempt(quiz, d, "9", 500, T0 + timedelta(minutes=50))
    db.session.flush()
    board = stats.leaderboard(quiz, stats.tree_roots(), 10)
    assert [p.name for p in board] == ["丁", "乙", "丙", "甲"]
    assert [b.count for b in stats.distribution(quiz, stats.tree_roots())][8:] == [3, 1]


def test_wrong_key_is_flagged(ctx: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bank says B for question 0, the best people answer C, most people answer C."""
    clock.set_now(T0)
    rng = random.Random(3)
    # papers (question and option order) are drawn from secrets.randbits: seed them so the data,
    # and so whether a random other item happens to look bad, is the same on every run
    seeds = random.Random(11)
    monkeypatch.setattr(attempts.secrets, "randbits", lambda k: seeds.getrandbits(k))
    bank = make_bank(per_type=5)
    singles = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.type == "single")
    ).all()
    bad = singles[0]
    campaign = make_campaign()
    quiz = make_quiz(
        campaign, bank, sections=(("single", 5, "2"), ("judge", 5, "2")), shuffle_options=True
    )
    for i in range(30):
        person = make_user()
        ability = 0.3 + 0.7 * i / 29
        attempt, _ = attempts.start_attempt(quiz, person, T0, GRACE)
        for seq, item in enumerate(attempt.items, start=1):
            right = rng.random() < ability
            if item.question_id == bad.id:
                stored = "C" if (ability > 0.5 or rng.random() < 0.5) else "B"
                shown = attempts.to_shown(item, stored)
            else:
                shown = random_answer(item, rng, right)
            attempts.save_answer(attempt.id, person, item.question_id, shown, seq, T0, GRACE)
        attempts.submit(attempt.id, person, T0 + timedelta(seconds=100 + i), GRACE)
    db.session.flush()
    ia = stats.item_analysis(quiz, stats.tree_roots())
    flagged = {it.question_id: it for it in ia.flagged}
    assert bad.id in flagged
    it = flagged[bad.id]
    assert it.discrimination is not None and it.discrimination < 0
    assert it.top_answer_is_key is False and it.top_answer and it.top_answer.startswith("C. 丙")
    assert {o.key: o.count for o in it.options}["C"] == it.top_answer_count
    assert len(flagged) == 1, [(i.stem, i.flags) for i in ia.flagged]


def test_year_figures_and_paragraph(world: World) -> None:
    w = world
    clock.set_now(T0 + timedelta(days=20))
    start, end = stats.this_year()
    assert (start, end) == (date(2026, 1, 1), date(2026, 12, 31))
    lo, hi = stats.local_bounds(start, end)
    figs = {f["key"]: f for f in year.quiz_year_figures(lo, hi, None)}
    assert [c.id for c in year.campaigns_reaching(lo, hi, None)] == [w.campaign.id]
    f = frames()
    at = f["attempt"]
    final = at[(at.quiz_id == w.quiz.id) & (at.status != "in_progress")]
    want = expected_rows(w)[w.root.id]
    assert figs["quiz.count"]["value"] == 1
    assert figs["quiz.people"]["value"] == final.user_id.nunique()
    assert figs["quiz.person_times"]["value"] == len(final)
    avg = round((final.score / final.max_score).mean() * 100, 1)
    assert figs["quiz.avg_score_rate"]["value"] == avg
    rate = round(want["finished"] / want["expected"] * 100, 1)
    assert figs["quiz.participation_rate"]["value"] == rate
    text = yearreport.build(figs, start, end, date(2026, 3, 22)).text
    assert text == (
        f"今年以来，组织开展网上知识竞答活动1次，参与{len(final)}人次，"
        f"参与率{yearreport.number(figs['quiz.participation_rate'])}，"
        f"平均得分率{yearreport.number(figs['quiz.avg_score_rate'])}。"
    )
    lo, hi = stats.local_bounds(date(2025, 1, 1), date(2025, 12, 31))
    empty = {f["key"]: f for f in year.quiz_year_figures(lo, hi, None)}
    assert empty["quiz.count"]["value"] == 0 and empty["quiz.person_times"]["value"] == 0
    para = yearreport.build(empty, date(2025, 1, 1), date(2025, 12, 31), date(2026, 3, 22))
    assert para.text == "" and "网上知识竞答" in para.missing  # never "开展…活动0次"


def test_scope_rules(world: World) -> None:
    w = world
    leader = make_user(roles=["leader"], scope=w.office)
    other_leader = make_user(roles=["leader"], scope=w.outside)
    organizer = make_user(roles=["organizer"])
    owner = make_user(roles=["organizer"])
    w.campaign.created_by_id = owner.id
    db.session.flush()
    scope = stats.campaign_scope(leader, w.campaign)
    assert scope.roots is not None and [b.id for b in scope.roots] == [w.office.id]
    assert stats.focus_for(scope, w.office_team.id) == [w.office_team]
    with pytest.raises(stats.StatsDenied) as err:
        stats.focus_for(scope, w.it.id)
    assert err.value.status == 403
    for person in (other_leader, organizer):
        with pytest.raises(stats.StatsDenied):
            stats.campaign_scope(person, w.campaign)
        assert stats.visible_campaigns(person) == []
    assert stats.campaign_scope(owner, w.campaign).roots is None
    assert stats.visible_campaigns(leader) == [w.campaign]


def test_counted_rows_and_page_shortcuts_agree(world: World) -> None:
    """The stored counted attempts (QuizResult) are the rows results.counted_attempts ranks;
    the page's distribution read off branch_figures equals the one grouped on its own, for the
    whole tree and a subtree; the histogram median equals the median of the sorted list."""
    w = world
    shared = results.counted_attempts(w.quiz.id, w.quiz.counting)
    local = stats._counted(w.quiz)
    assert local is not shared
    assert sorted(db.session.execute(sa.select(local.c.attempt_id)).scalars()) == sorted(
        db.session.execute(sa.select(shared.c.attempt_id)).scalars()
    )
    for focus in ([w.root], [w.office]):
        figs = stats.branch_figures(w.campaign, w.quiz, focus)
        assert [b.count for b in stats.distribution(w.quiz, focus, figs)] == [
            b.count for b in stats.distribution(w.quiz, focus)
        ]
        assert sum(b.count for b in stats.distribution(w.quiz, focus, figs)) == figs.total.scored
    rng = random.Random(3)
    for _ in range(200):
        values = sorted(Decimal(rng.randint(0, 40)) / 2 for _ in range(rng.randint(0, 15)))
        hist: dict[Decimal, int] = {}
        for v in values:
            hist[v] = hist.get(v, 0) + 1
        assert stats._hist_median(hist) == stats.median([float(v) for v in values])
