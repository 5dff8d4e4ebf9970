"""Taking a quiz: start, save, submit, deadlines, grading, review, ranking — the service rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Attempt, AttemptItem, Question, WrongAnswer
from quiz_app.services import attempt_payload, attempts, banks, results
from quiz_app.services.attempts import AttemptError
from tests.factories import make_bank, make_branch, make_campaign, make_quiz, make_user, root_branch

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
GRACE = timedelta(seconds=10)


@pytest.fixture()
def setup(ctx: None):  # type: ignore[no-untyped-def]
    clock.set_now(T0)
    bank = make_bank(per_type=5)
    campaign = make_campaign(opens_at=T0 - timedelta(hours=1), closes_at=T0 + timedelta(hours=2))
    quiz = make_quiz(campaign, bank, time_limit_seconds=600)
    user = make_user("e1")
    return quiz, user


def answer_all_right(attempt: Attempt, user, seq_start: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Answer every question correctly, in the keys the person sees."""
    seq = seq_start
    for item in attempt.items:
        rev = item.revision
        if rev.type == "single":
            shown = attempts.to_shown(item, "B")
        elif rev.type == "multiple":
            shown = attempts.to_shown(item, ["A", "C"])
        elif rev.type == "judge":
            shown = True
        else:
            shown = ["甲", "乙"]
        attempts.save_answer(attempt.id, user, item.question_id, shown, seq, clock.now(), GRACE)
        seq += 1


def test_start_draws_a_paper_and_hides_the_key(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, created = attempts.start_attempt(quiz, user, T0, GRACE)
    assert created and attempt.number == 1
    assert [i.revision.type for i in attempt.items] == [
        "single",
        "single",
        "multiple",
        "judge",
        "blank",
    ]
    assert attempt.max_score == Decimal("12")
    assert attempt.deadline == T0 + timedelta(minutes=10)
    payload = attempt_payload.attempt_payload(attempt, T0)
    text = json.dumps(payload, ensure_ascii=False)
    assert "correct_answer" not in text and "解析" not in text and "explanation" not in text
    assert payload["questions"][4]["blanks"] == 2
    assert payload["questions"][0]["options"][1] == {"key": "B", "text": "乙"}


def test_deadline_is_capped_by_the_campaign_close(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    late = quiz.campaign.closes_at - timedelta(minutes=3)
    attempt, _ = attempts.start_attempt(quiz, user, late, GRACE)
    assert attempt.deadline == quiz.campaign.closes_at


def test_starting_again_resumes_the_same_attempt(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    first, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    again, created = attempts.start_attempt(quiz, user, T0 + timedelta(minutes=5), GRACE)
    assert again.id == first.id and not created
    assert again.deadline == first.deadline  # reloading never buys time


def test_attempt_allowance_is_enforced(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    first, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    attempts.submit(first.id, user, T0 + timedelta(minutes=1), GRACE)
    with pytest.raises(AttemptError) as err:
        attempts.start_attempt(quiz, user, T0 + timedelta(minutes=2), GRACE)
    assert err.value.status == 409 and "已用完" in err.value.message
    quiz.attempts_allowed = 2
    second, created = attempts.start_attempt(quiz, user, T0 + timedelta(minutes=2), GRACE)
    assert created and second.number == 2


def test_outside_the_window_or_the_audience_is_refused(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=2)
    office = make_branch("办公室", "BGS", root_branch())
    other = make_branch("信息中心", "XXZX", root_branch())
    campaign = make_campaign(
        [office],
        opens_at=T0 + timedelta(hours=1),
        closes_at=T0 + timedelta(hours=3),
        groups=["党员"],
    )
    quiz = make_quiz(campaign, bank, sections=(("single", 1, "1"),))
    member = make_user("m", branch=office, groups=["党员"])
    not_member = make_user("n", branch=office)
    outsider = make_user("o", branch=other, groups=["党员"])
    with pytest.raises(AttemptError, match="尚未开始"):
        attempts.start_attempt(quiz, member, T0, GRACE)
    for person in (not_member, outsider):
        with pytest.raises(AttemptError) as err:
            attempts.start_attempt(quiz, person, T0 + timedelta(hours=2), GRACE)
        assert err.value.status == 403
    attempts.start_attempt(quiz, member, T0 + timedelta(hours=2), GRACE)
    with pytest.raises(AttemptError, match="已结束"):
        attempts.start_attempt(
            quiz, make_user("m2", branch=office, groups=["党员"]), T0 + timedelta(hours=3), GRACE
        )


def test_everything_right_scores_full_marks_and_passes(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    quiz.pass_mark = Decimal("12")
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    answer_all_right(attempt, user)
    clock.set_now(T0 + timedelta(minutes=4))
    done = attempts.submit(attempt.id, user, clock.now(), GRACE)
    assert (done.status, done.score, done.passed, done.time_used_seconds) == (
        "submitted",
        Decimal("12"),
        True,
        240,
    )


def test_shuffled_options_are_answered_in_shown_keys_and_graded_in_stored_keys(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=3)
    quiz = make_quiz(make_campaign(), bank, sections=(("single", 3, "1"),), shuffle_options=True)
    user = make_user()
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    for seq, item in enumerate(attempt.items, start=1):
        shown_key = attempts.to_shown(item, "B")  # where 乙 (the right one) is shown
        payload_opts = attempt_payload.attempt_payload(attempt, T0)["questions"][item.position - 1][
            "options"
        ]
        assert next(o["text"] for o in payload_opts if o["key"] == shown_key) == "乙"
        attempts.save_answer(attempt.id, user, item.question_id, shown_key, seq, T0, GRACE)
    done = attempts.submit(attempt.id, user, T0 + timedelta(seconds=30), GRACE)
    assert done.score == Decimal("3")


def test_multiple_choice_scoring_rules(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=1)
    results = {}
    for rule in ("all_or_nothing", "half_for_partial"):
        quiz = make_quiz(
            make_campaign(), bank, sections=(("multiple", 1, "3"),), multiple_scoring=rule
        )
        scores = []
        for answer in (["A", "C"], ["A"], ["A", "B"], ["A", "B", "C"]):
            user = make_user()
            attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
            attempts.save_answer(
                attempt.id, user, attempt.items[0].question_id, answer, 1, T0, GRACE
            )
            scores.append(attempts.submit(attempt.id, user, T0, GRACE).score)
        results[rule] = scores
    assert results["all_or_nothing"] == [Decimal("3"), 0, 0, 0]
    assert results["half_for_partial"] == [Decimal("3"), Decimal("1.5"), 0, 0]


@pytest.mark.parametrize(
    ("given", "score"),
    [
        (["甲", "乙"], Decimal("4")),
        (["甲方", "乙"], Decimal("4")),  # an accepted alternative
        ([" 甲。", "乙 "], Decimal("4")),  # spaces and punctuation
        (["ＡＢ", "乙"], Decimal("2")),  # one blank right
        (["", ""], Decimal("0")),
    ],
)
def test_fill_in_blanks_are_graded_per_blank(ctx: None, given: list[str], score: Decimal) -> None:
    clock.set_now(T0)
    quiz = make_quiz(make_campaign(), make_bank(per_type=1), sections=(("blank", 1, "4"),))
    user = make_user()
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    attempts.save_answer(attempt.id, user, attempt.items[0].question_id, given, 1, T0, GRACE)
    assert attempts.submit(attempt.id, user, T0, GRACE).score == score


def test_blank_answers_ignore_width_and_case(ctx: None) -> None:
    from quiz_app.services.importing import QuestionData, QuestionType

    clock.set_now(T0)
    bank = banks.get_or_create_bank("英文")
    banks.add_question(bank, QuestionData(QuestionType.BLANK, "缩写____", blanks=(("WTO",),)), None)
    quiz = make_quiz(make_campaign(), bank, sections=(("blank", 1, "2"),))
    user = make_user()
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    attempts.save_answer(attempt.id, user, attempt.items[0].question_id, ["ｗｔｏ"], 1, T0, GRACE)
    assert attempts.submit(attempt.id, user, T0, GRACE).score == Decimal("2")


def test_wrong_shape_answers_are_refused_with_422(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    by_type = {i.revision.type: i.question_id for i in attempt.items}
    for qtype, bad in (
        ("single", "E"),
        ("single", ["B"]),
        ("multiple", "AC"),
        ("judge", "对"),
        ("blank", ["只有一个"]),
    ):
        with pytest.raises(AttemptError) as err:
            attempts.save_answer(attempt.id, user, by_type[qtype], bad, 1, T0, GRACE)
        assert err.value.status == 422, (qtype, bad)


def test_an_older_save_never_overwrites_a_newer_one(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    qid = attempt.items[0].question_id
    attempts.save_answer(attempt.id, user, qid, "C", 5, T0, GRACE)
    item, applied = attempts.save_answer(attempt.id, user, qid, "A", 4, T0, GRACE)  # arrives late
    assert not applied and item.answer == "C"
    item, applied = attempts.save_answer(attempt.id, user, qid, "B", 6, T0, GRACE)
    assert applied and item.answer == "B" and attempt.last_seq == 6


def test_saves_are_accepted_within_the_grace_and_refused_after(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    qid = attempt.items[0].question_id
    deadline = attempt.deadline
    _, applied = attempts.save_answer(
        attempt.id, user, qid, "B", 1, deadline + timedelta(seconds=9), GRACE
    )
    assert applied
    with pytest.raises(AttemptError) as err:
        attempts.save_answer(attempt.id, user, qid, "C", 2, deadline + timedelta(seconds=11), GRACE)
    assert err.value.status == 409 and "已超过交卷时间" in err.value.message
    # the refused save finished the attempt from what had been saved in time
    assert attempt.status == "timed_out" and attempt.items[0].answer == "B"
    assert attempt.score == Decimal("2") and attempt.time_used_seconds == 600


def test_an_abandoned_attempt_is_graded_from_its_saves(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    answer_all_right(attempt, user)
    db.session.commit()
    # nobody submits; the phone is gone. An hour later the batch job runs:
    assert attempts.finalize_overdue(T0 + timedelta(hours=1), GRACE) == 1
    db.session.refresh(attempt)
    assert (attempt.status, attempt.score, attempt.finished_at) == (
        "timed_out",
        Decimal("12"),
        attempt.deadline,
    )
    assert attempts.finalize_overdue(T0 + timedelta(hours=1), GRACE) == 0


def test_reading_an_overdue_attempt_finishes_it(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    touched = attempts.touch(attempt, T0 + timedelta(minutes=11), GRACE)
    assert touched.status == "timed_out"


def test_submitting_twice_gives_one_result(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    answer_all_right(attempt, user)
    first = attempts.submit(attempt.id, user, T0 + timedelta(minutes=2), GRACE)
    finished = first.finished_at
    second = attempts.submit(attempt.id, user, T0 + timedelta(minutes=3), GRACE)
    assert second.finished_at == finished and second.score == Decimal("12")
    with pytest.raises(AttemptError, match="已交卷"):
        attempts.save_answer(attempt.id, user, attempt.items[0].question_id, "A", 99, T0, GRACE)


def test_only_the_owner_reaches_an_attempt(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    stranger = make_user("x")
    for call in (
        lambda: attempts.save_answer(
            attempt.id, stranger, attempt.items[0].question_id, "B", 1, T0, GRACE
        ),
        lambda: attempts.submit(attempt.id, stranger, T0, GRACE),
    ):
        with pytest.raises(AttemptError) as err:
            call()
        assert err.value.status == 404


def test_review_policy_decides_when_the_key_is_shown(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=1)
    close = T0 + timedelta(hours=1)
    shown = {}
    for policy in ("immediate", "after_close", "never"):
        quiz = make_quiz(
            make_campaign(closes_at=close),
            bank,
            sections=(("single", 1, "1"),),
            review_policy=policy,
        )
        user = make_user()
        attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
        attempts.submit(attempt.id, user, T0 + timedelta(minutes=1), GRACE)
        before = attempt_payload.attempt_payload(attempt, T0 + timedelta(minutes=2))
        after = attempt_payload.attempt_payload(attempt, close + timedelta(minutes=1))
        shown[policy] = (
            "correct_answer" in before["questions"][0],
            "correct_answer" in after["questions"][0],
        )
        assert before["result"]["score"] == "0.00"  # the score itself is always shown
    assert shown == {
        "immediate": (True, True),
        "after_close": (False, True),
        "never": (False, False),
    }


def test_editing_the_bank_later_never_changes_a_drawn_attempt(setup) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    item = attempt.items[0]
    drawn_revision = item.revision_id
    question = db.session.get(Question, item.question_id)
    data = banks.revision_data(question.current_revision)  # type: ignore[arg-type, union-attr]
    banks.revise_question(question, replace(data, stem="改过的题干（　）", answer=("D",)), None)  # type: ignore[arg-type]
    attempts.save_answer(attempt.id, user, item.question_id, "B", 1, T0, GRACE)
    done = attempts.submit(attempt.id, user, T0, GRACE)
    assert item.revision_id == drawn_revision and item.revision.stem.startswith("单选题")
    assert item.score == Decimal("2")  # graded against the key it was drawn with
    assert done.items[0].correct is True


def test_ranking_ties_break_on_time_then_submission(ctx: None) -> None:
    clock.set_now(T0)
    bank = make_bank(per_type=1)
    office = make_branch("办公室", "BGS", root_branch())
    quiz = make_quiz(make_campaign(), bank, sections=(("judge", 1, "1"),))
    people = {}
    # (name, right?, start offset, seconds used)
    for name, right, start, used in (
        ("a", True, 0, 60),
        ("b", True, 5, 30),
        ("c", True, 0, 30),
        ("d", False, 0, 10),
    ):
        user = make_user(name, branch=office if name in "ab" else root_branch())
        attempt, _ = attempts.start_attempt(quiz, user, T0 + timedelta(seconds=start), GRACE)
        attempts.save_answer(attempt.id, user, attempt.items[0].question_id, right, 1, T0, GRACE)
        attempts.submit(attempt.id, user, T0 + timedelta(seconds=start + used), GRACE)
        people[name] = user
    ranks = {n: results.standing(quiz, u) for n, u in people.items()}
    # c and b both used 30 s; c submitted earlier
    assert [ranks[n].rank_overall for n in "cbad"] == [1, 2, 3, 4]  # type: ignore[union-attr]
    assert (ranks["a"].rank_branch, ranks["a"].total_branch) == (2, 2)  # type: ignore[union-attr]


def test_wrong_answers_join_the_book_when_reviewable(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    attempts.save_answer(attempt.id, user, attempt.items[0].question_id, "A", 1, T0, GRACE)
    attempts.submit(attempt.id, user, T0 + timedelta(minutes=1), GRACE)
    entries = db.session.scalars(sa.select(WrongAnswer)).all()
    assert len(entries) == 5  # one wrong answer and four unanswered
    assert all(e.available_at == attempt.finished_at for e in entries)


def test_attempt_items_keep_their_paper_order(setup) -> None:  # type: ignore[no-untyped-def]
    quiz, user = setup
    attempt, _ = attempts.start_attempt(quiz, user, T0, GRACE)
    positions = db.session.scalars(
        sa.select(AttemptItem.position)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.id)
    ).all()
    assert positions == [1, 2, 3, 4, 5]


def test_papers_are_reproducible_from_their_seed_and_shuffle_options(ctx: None) -> None:
    import random

    from quiz_app.services import papers

    quiz = make_quiz(
        make_campaign(),
        make_bank(per_type=6),
        sections=(("single", 4, "1"), ("judge", 2, "1")),
        shuffle_questions=True,
        shuffle_options=True,
    )
    assert papers.draw_paper(quiz, random.Random(7)) == papers.draw_paper(quiz, random.Random(7))
    drawn = [papers.draw_paper(quiz, random.Random(seed)) for seed in range(6)]
    assert len({tuple(d.question_id for d in p) for p in drawn}) > 1
    assert any(d.option_order != (0, 1, 2, 3) for p in drawn for d in p[:4])
    assert all(d.option_order == () for p in drawn for d in p[4:])  # 判断 has no options


def test_shortfalls_name_the_section_and_the_numbers(ctx: None) -> None:
    from quiz_app.services import papers

    bank = make_bank(per_type=3, categories=("党史",))
    quiz = make_quiz(make_campaign(), bank, sections=(("single", 20, "1"), ("judge", 2, "1")))
    quiz.sections[0].categories = ["党史"]
    assert papers.shortfalls(quiz) == ["单选·党史 需要 20 题，题库只有 3 题"]
    quiz.sections[0].count = 3
    assert papers.shortfalls(quiz) == []
    # two sections drawing from the same pool must not count the same questions twice
    quiz.sections[1].question_type = "single"
    quiz.sections[1].count = 1
    assert papers.shortfalls(quiz) == ["单选 需要 1 题，题库（与其他部分共用后）只有 0 题"]
