"""学习积分: the append-only ledger, its unique source keys under concurrent requests, daily caps,
rules that change on a date, corrections, streaks at Beijing midnight, and branch averages."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import PointEntry, User
from quiz_app.services import attempts, points, practice, regrade
from quiz_app.services.points import rules
from tests.factories import make_bank, make_branch, make_campaign, make_quiz, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # Monday 10:00 Beijing


def entries(user_id: int) -> list[PointEntry]:
    return list(
        db.session.scalars(
            sa.select(PointEntry).where(PointEntry.user_id == user_id).order_by(PointEntry.id)
        )
    )


def test_the_same_thing_is_never_paid_twice(ctx: None) -> None:
    user = make_user()
    first = points.award(user.id, "quiz_taken", "quiz:1", T0)
    assert first is not None and first.amount == 2
    assert points.award(user.id, "quiz_taken", "quiz:1", T0 + timedelta(days=3)) is None
    assert points.award(user.id, "quiz_taken", "quiz:2", T0) is not None
    assert points.award(user.id, "quiz_passed", "quiz:1", T0).amount == 3  # type: ignore[union-attr]
    assert sum(e.amount for e in entries(user.id)) == 7


def test_daily_cap_applies_per_beijing_day_and_keeps_a_zero_line(ctx: None) -> None:
    user = make_user()
    given = [points.award(user.id, "material_finished", f"m:{i}", T0) for i in range(7)]
    assert [e.amount for e in given if e] == [1, 1, 1, 1, 1, 0, 0]  # default cap 5 a day
    assert "上限" in given[-1].note  # type: ignore[union-attr]
    # 23:59 the same Beijing day is still capped; 00:00 the next day starts afresh
    late = datetime(2026, 6, 1, 15, 59, tzinfo=UTC)
    assert points.award(user.id, "material_finished", "m:late", late).amount == 0  # type: ignore[union-attr]
    midnight = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    assert points.award(user.id, "material_finished", "m:next", midnight).amount == 1  # type: ignore[union-attr]
    # a capped thing is on record and is not paid later either
    assert points.award(user.id, "material_finished", "m:6", midnight) is None


def test_amount_overrides_the_rule_but_not_the_cap(ctx: None) -> None:
    user = make_user()
    assert points.award(user.id, "material_finished", "big", T0, amount=4).amount == 4  # type: ignore[union-attr]
    assert points.award(user.id, "material_finished", "big2", T0, amount=4).amount == 1  # type: ignore[union-attr]


def test_study_time_pays_per_block_up_to_the_cap(ctx: None) -> None:
    user = make_user()
    assert points.award_study_time(user.id, 4.9, T0) == 0
    assert points.award_study_time(user.id, 12, T0) == 2  # 1 per 5 minutes
    assert points.award_study_time(user.id, 12, T0) == 0  # same total again: nothing new
    assert points.award_study_time(user.id, 60, T0) == 4  # cap 6 a day
    assert points.points_today(user, T0) == 6


def test_a_rule_change_applies_only_from_its_date(ctx: None) -> None:
    admin = make_user(roles=["admin"])
    user = make_user()
    today = date(2026, 6, 1)
    rules.set_rule("quiz_taken", 5, None, date(2026, 6, 3), today, admin)
    assert points.award(user.id, "quiz_taken", "q:a", T0).amount == 2  # type: ignore[union-attr]
    assert points.award(user.id, "quiz_taken", "q:b", T0 + timedelta(days=1)).amount == 2  # type: ignore[union-attr]
    assert points.award(user.id, "quiz_taken", "q:c", T0 + timedelta(days=2)).amount == 5  # type: ignore[union-attr]
    assert rules.rule_for("quiz_taken", date(2026, 6, 2)).points == 2
    # the past cannot be rewritten, and a rule already in force cannot be replaced
    with pytest.raises(rules.RuleError, match="不能早于今天"):
        rules.set_rule("quiz_taken", 9, None, date(2026, 5, 31), today, admin)
    rules.set_rule("quiz_taken", 4, None, today, today, admin)
    with pytest.raises(rules.RuleError, match="已经生效"):
        rules.set_rule("quiz_taken", 7, None, today, today, admin)
    assert [r.points for r in rules.history()] == [5, 4]


def test_correction_is_a_new_negative_line_and_the_thing_can_be_paid_again(ctx: None) -> None:
    user = make_user()
    points.award(user.id, "report_approved", "report:1", T0)
    fix = points.correct(user.id, "report_approved", "report:1", "一学一报被退回", T0)
    assert fix is not None and fix.amount == -3 and fix.kind == "correction"
    assert points.correct(user.id, "report_approved", "report:1", "again", T0) is None
    again = points.award(user.id, "report_approved", "report:1", T0 + timedelta(days=1))
    assert again is not None and again.revision == 2
    lines = entries(user.id)
    assert [(e.kind, e.amount) for e in lines] == [("award", 3), ("correction", -3), ("award", 3)]
    assert points.correct(user.id, "quiz_passed", "never", "x", T0) is None


def test_the_ledger_service_has_no_update_or_delete() -> None:
    import inspect

    from quiz_app.services.points import boards, ledger

    for module in (ledger, boards):
        source = inspect.getsource(module)
        assert "update(" not in source and "delete(" not in source and ".amount =" not in source


def test_streak_counts_beijing_days_and_survives_until_the_day_ends(ctx: None) -> None:
    user = make_user()
    # 23:30 Beijing on 1 June and 00:10 Beijing on 2 June: two days, though 40 minutes apart
    points.award(user.id, "practice_done", "a", datetime(2026, 6, 1, 15, 30, tzinfo=UTC))
    points.award(user.id, "practice_done", "b", datetime(2026, 6, 1, 16, 10, tzinfo=UTC))
    assert points.streak(user, datetime(2026, 6, 2, 1, 0, tzinfo=UTC)) == 2
    # 3 June, nothing yet: the streak still stands until the day ends …
    assert points.streak(user, datetime(2026, 6, 3, 15, 59, tzinfo=UTC)) == 2
    # … and is gone on 4 June
    assert points.streak(user, datetime(2026, 6, 3, 16, 0, tzinfo=UTC)) == 0
    # a capped (zero) award is still a study day; a correction is not
    points.award(user.id, "practice_done", "c", datetime(2026, 6, 2, 16, 5, tzinfo=UTC))
    points.award(user.id, "practice_done", "d", datetime(2026, 6, 2, 16, 6, tzinfo=UTC))
    assert points.streak(user, datetime(2026, 6, 3, 3, 0, tzinfo=UTC)) == 3


def test_branch_board_ranks_by_points_per_member_of_the_roster(ctx: None) -> None:
    big, small = make_branch("大处"), make_branch("小科")
    sub = make_branch("大处一组", parent=big)
    bigs = [make_user(branch=big if i % 2 else sub) for i in range(6)]
    smalls = [make_user(branch=small) for _ in range(2)]
    make_user(branch=small, active=False)  # not on the roster
    for u in bigs[:4]:
        points.award(u.id, "quiz_taken", "q", T0)  # 4 × 2 = 8 over 6 members
    points.award(smalls[0].id, "quiz_taken", "q", T0)
    points.award(smalls[0].id, "quiz_passed", "q", T0)  # 5 over 2 members (one never active)
    start, end = points.period_bounds("week", T0)
    rows = points.branch_board(start, end, [big, small])
    assert [(r.branch.name, r.members, r.points) for r in rows] == [("小科", 2, 5), ("大处", 6, 8)]
    assert rows[0].average == 2.5 and round(rows[1].average, 2) == 1.33


def test_period_bounds_and_person_board(ctx: None) -> None:
    assert points.period_bounds("week", T0) == (date(2026, 6, 1), date(2026, 6, 7))
    assert points.period_bounds("month", T0) == (date(2026, 6, 1), date(2026, 6, 30))
    assert points.period_bounds("year", T0) == (date(2026, 1, 1), date(2026, 12, 31))
    # Sunday 23:30 Beijing belongs to the week before
    assert points.period_bounds("week", datetime(2026, 6, 7, 15, 30, tzinfo=UTC))[0] == date(
        2026, 6, 1
    )
    a, b, c = make_user(real_name="甲"), make_user(real_name="乙"), make_user(real_name="丙")
    points.award(a.id, "quiz_taken", "q", T0)
    points.award(b.id, "quiz_taken", "q", T0)
    points.award(c.id, "quiz_passed", "q", T0)
    points.award(c.id, "quiz_taken", "old", T0 - timedelta(days=7))  # last week
    board = points.person_board(*points.period_bounds("week", T0))
    assert [(r.rank, r.name, r.points) for r in board] == [(1, "丙", 3), (2, "乙", 2), (2, "甲", 2)]
    assert points.rank_of(a, *points.period_bounds("week", T0)) == (2, 2)


# --- wiring: quizzes, practice -------------------------------------------------------------------


def _answer_all(attempt, user, right: bool) -> None:  # type: ignore[no-untyped-def]
    for n, item in enumerate(attempt.items, start=1):
        attempts.save_answer(attempt.id, user, item.question_id, "B" if right else "A", n, T0)


def test_quiz_points_on_finishing_and_corrected_by_a_regrade(ctx: None) -> None:
    from quiz_app.models import Question
    from quiz_app.services import banks

    clock.set_now(T0)
    bank = make_bank(per_type=1)
    quiz = make_quiz(
        make_campaign(),
        bank,
        sections=(("single", 1, "5"),),
        pass_mark=Decimal(5),
        attempts_allowed=2,
        time_limit_seconds=None,
    )
    user = make_user()
    attempt, _ = attempts.start_attempt(quiz, user, T0)
    _answer_all(attempt, user, right=True)
    attempts.submit(attempt.id, user, T0 + timedelta(minutes=1))
    assert [(e.activity, e.amount) for e in entries(user.id)] == [
        ("quiz_taken", 2),
        ("quiz_passed", 3),
    ]
    second, _ = attempts.start_attempt(quiz, user, T0 + timedelta(minutes=2))
    _answer_all(second, user, right=True)
    attempts.submit(second.id, user, T0 + timedelta(minutes=3))
    assert len(entries(user.id)) == 2  # once per quiz, not per attempt
    # the key was wrong: "A" is right; a re-grade turns the pass into a fail
    question = db.session.get(Question, attempt.items[0].question_id)
    assert question is not None
    data = replace(banks.revision_data(question.current_revision), answer=("A",))  # type: ignore[arg-type]
    assert banks.revise_question(question, data, None, "更正答案") is not None
    db.session.flush()
    regrade.regrade_question(quiz, question.id, None, T0 + timedelta(hours=1))
    lines = entries(user.id)
    assert [(e.activity, e.kind, e.amount) for e in lines][-1] == (
        "quiz_passed",
        "correction",
        -3,
    )
    assert sum(e.amount for e in lines) == 2


def test_daily_practice_done_earns_once_a_day(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=2)
    # The running quiz asks only single-choice questions, which practice then withholds.
    make_quiz(make_campaign(closes_at=T0 + timedelta(days=3)), bank, sections=(("single", 1, "2"),))
    user = make_user()
    today = practice.daily_set(user, T0)
    assert len(today) == 5
    for n, q in enumerate(today):
        raw = {"single": "A", "multiple": ["A"], "judge": False, "blank": ["x", "y"]}[q.type]
        practice.answer(user, q, raw, T0, "daily")
        paid = [e for e in entries(user.id) if e.activity == "practice_done"]
        assert len(paid) == (1 if n == len(today) - 1 else 0)
    again = {"multiple": ["B"], "judge": True, "blank": ["甲", "乙"]}[today[0].type]
    practice.answer(user, today[0], again, T0, "daily")  # answering again pays nothing more
    done = [e for e in entries(user.id) if e.activity == "practice_done"]
    assert [(e.source_key, e.amount) for e in done] == [("2026-06-01", 1)]


# --- concurrency ---------------------------------------------------------------------------------


def _together(app: Flask, n: int, job) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)

    def one(i: int) -> object:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                result = job(i)
                db.session.commit()
                return result
            except Exception as exc:  # pragma: no cover - reported below
                db.session.rollback()
                return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_awards_of_one_thing_pay_once(app: Flask) -> None:
    with app.app_context():
        uid = make_user("racer").id
        db.session.commit()
    results = _together(
        app, 8, lambda i: getattr(points.award(uid, "quiz_passed", "quiz:9", T0), "id", None)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(1 for r in results if r is not None) == 1
    with app.app_context():
        assert [e.amount for e in entries(uid)] == [3]


def test_concurrent_awards_of_many_things_respect_the_cap(app: Flask) -> None:
    with app.app_context():
        uid = make_user("capper").id
        db.session.commit()
    results = _together(
        app,
        8,
        lambda i: getattr(points.award(uid, "material_finished", f"m:{i}", T0), "amount", None),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    with app.app_context():
        assert sum(e.amount for e in entries(uid)) == 5
        assert len(entries(uid)) == 8


# --- pages ---------------------------------------------------------------------------------------


def test_admin_edits_rules_on_a_page(admin_client: FlaskClient, app: Flask) -> None:
    clock.set_now(T0)
    page = admin_client.get("/points/rules")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "可以修改" in text and "每 5 分钟 1 分" in text
    bad = admin_client.post(
        "/points/rules",
        data={
            "activity": "quiz_taken",
            "points": "-1",
            "daily_cap": "",
            "effective_from": "2026-06-02",
        },
    )
    assert bad.status_code == 422 and "0 到 100" in bad.get_data(as_text=True)
    ok = admin_client.post(
        "/points/rules",
        data={
            "activity": "quiz_taken",
            "points": "4",
            "daily_cap": "8",
            "effective_from": "2026-06-02",
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        assert rules.rule_for("quiz_taken", date(2026, 6, 2)).points == 4
        assert rules.rule_for("quiz_taken", date(2026, 6, 1)).points == 2


def test_rules_page_is_for_admins_only(organizer_client: FlaskClient) -> None:
    assert organizer_client.get("/points/rules").status_code == 403


def test_leaderboard_page_shows_people_and_branches(
    employee_client: FlaskClient, app: Flask
) -> None:
    clock.set_now(T0)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "employee1"))
        points.award(user.id, "quiz_passed", "q", T0)  # type: ignore[union-attr]
        db.session.commit()
    for period in ("week", "month", "year"):
        page = employee_client.get(f"/points/board?period={period}")
        assert page.status_code == 200
        assert "人均积分" in page.get_data(as_text=True)
    assert employee_client.get("/points/board?period=century").status_code == 200


def test_my_page_lists_results_with_their_review_links_points_and_streak(
    employee_client: FlaskClient, app: Flask
) -> None:
    clock.set_now(T0)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "employee1"))
        assert user is not None
        quiz = make_quiz(
            make_campaign(title="保密知识学习活动"),
            make_bank(per_type=1),
            sections=(("single", 1, "5"),),
            pass_mark=Decimal(5),
            time_limit_seconds=None,
            title="保密法知识测试",
        )
        attempt, _ = attempts.start_attempt(quiz, user, T0)
        _answer_all(attempt, user, right=True)
        attempts.submit(attempt.id, user, T0 + timedelta(minutes=2))
        points.award(user.id, "practice_done", "2026-05-31", T0 - timedelta(days=1))
        attempt_id = attempt.id
        db.session.commit()
    page = employee_client.get("/my").get_data(as_text=True)
    assert "保密法知识测试" in page and "5 / 5 分 · 及格" in page
    assert f'href="/my/results/{attempt_id}"' in page
    assert 'id="points-total">6<' in page  # 2 taken + 3 passed + 1 practice
    assert "连续学习天数" in page and ">2<" in page


def test_study_time_rule_change_moves_the_block_size(ctx: None) -> None:
    admin, user = make_user(roles=["admin"]), make_user()
    today = date(2026, 6, 1)
    with pytest.raises(rules.RuleError, match="计分分钟数"):
        rules.set_rule("study_minutes", 2, 10, date(2026, 6, 2), today, admin)
    rules.set_rule("study_minutes", 2, 10, date(2026, 6, 2), today, admin, per_minutes=10)
    assert points.award_study_time(user.id, 25, T0) == 5  # today: 1 per 5 minutes, cap 6
    assert points.award_study_time(user.id, 25, T0 + timedelta(days=1)) == 4  # 2 per 10 minutes
