"""Attempts: starting, saving answers, submitting, and finishing what nobody submitted.

The rules an employee's fairness rests on live here and nowhere else:
- the deadline is the earlier of start + time limit and the campaign's close;
- saves are accepted until deadline + grace, later ones are refused;
- an attempt past deadline + grace is graded from its saved answers by whoever touches it next;
- a save carries the client's sequence number, and an older one never overwrites a newer one;
- submitting is idempotent, and the attempt row is locked while it changes.

Functions flush but never commit; an AttemptError leaves the session consistent (at most an
overdue attempt was finalised), so callers commit in both cases.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    CampaignStatus,
    QuestionRevision,
    Quiz,
    User,
)
from quiz_app.models.attempt import EndReason
from quiz_app.services import (
    audience,
    grading,
    papers,
    points,
    results,
    revision_cache,
    wrong_book,
)
from quiz_app.services.importing import OPTION_KEYS

DEFAULT_GRACE = timedelta(seconds=10)


class AttemptError(Exception):
    """Refused; ``status`` is the HTTP status the API answers with, the message is for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def deadline_for(quiz: Quiz, started_at: datetime) -> datetime:
    """The earlier of start + time limit and the campaign's close."""
    close = quiz.campaign.closes_at
    if quiz.time_limit_seconds:
        return min(started_at + timedelta(seconds=quiz.time_limit_seconds), close)
    return close


def _locked(attempt_id: int) -> Attempt | None:
    # FOR UPDATE on PostgreSQL; SQLite already holds the write lock (BEGIN IMMEDIATE).
    stmt = (
        sa.select(Attempt)
        .where(Attempt.id == attempt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).first()


def _owned(attempt_id: int, user: User) -> Attempt:
    attempt = _locked(attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise AttemptError(404, "not_found", "找不到这次作答")
    return attempt


def overdue(attempt: Attempt, moment: datetime, grace: timedelta) -> bool:
    """In progress, and past its deadline plus the network grace."""
    return (
        attempt.status == AttemptStatus.IN_PROGRESS
        and attempt.deadline is not None
        and moment > attempt.deadline + grace
    )


# --- starting ----------------------------------------------------------------------------------


def _running(quiz: Quiz, user: User) -> Attempt | None:
    stmt = (
        sa.select(Attempt)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.user_id == user.id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).first()


def start_attempt(
    quiz: Quiz, user: User, moment: datetime, grace: timedelta = DEFAULT_GRACE
) -> tuple[Attempt, bool]:
    """(attempt, created): the attempt in progress, or a new one drawn from the quiz's rules.

    Two starts at once give one attempt: the database's unique indexes decide, not a check.
    """
    campaign = quiz.campaign
    if not audience.in_audience(user, campaign):
        raise AttemptError(403, "not_in_audience", "这项竞答不面向您所在的部门或分组")
    if campaign.status == CampaignStatus.DRAFT or moment < campaign.opens_at:
        raise AttemptError(409, "not_open", "竞答尚未开始")
    running = _running(quiz, user)
    if running is not None:
        if not overdue(running, moment, grace):
            return running, False
        finalize(running, moment)
    if campaign.status == CampaignStatus.CLOSED or moment >= campaign.closes_at:
        raise AttemptError(409, "closed", "竞答已结束")
    used = (
        db.session.scalar(
            sa.select(sa.func.count()).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
        )
        or 0
    )
    if quiz.attempts_allowed is not None and used >= quiz.attempts_allowed:
        # On PostgreSQL each statement sees the latest commits: a start at the same moment may
        # have committed its attempt after _running looked and before the count. Hand that one
        # back, as the unique index below would, instead of refusing a person with a live attempt.
        running = _running(quiz, user)
        if running is not None and not overdue(running, moment, grace):
            return running, False
        raise AttemptError(409, "no_attempts_left", f"您已作答 {used} 次，已用完全部作答机会")
    seed = secrets.randbits(62)
    try:
        paper = papers.draw_paper(quiz, random.Random(seed))
    except ValueError as exc:
        raise AttemptError(409, "unavailable", f"试卷暂时无法生成，请联系组织者：{exc}") from exc
    attempt = Attempt(
        quiz=quiz,
        user=user,
        branch_id=user.branch_id,
        number=used + 1,
        status=AttemptStatus.IN_PROGRESS.value,
        seed=seed,
        started_at=moment,
        deadline=deadline_for(quiz, moment),
        max_score=sum((d.points for d in paper), Decimal(0)),
        last_seq=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            # The paper as plain rows in one statement: 30 ORM objects cost the start more CPU
            # than everything else it does (bench/RESULTS.md §2g). attempt.items loads on use.
            db.session.execute(
                sa.insert(AttemptItem),
                [
                    {
                        "attempt_id": attempt.id,
                        "position": i + 1,
                        "question_id": d.question_id,
                        "revision_id": d.revision_id,
                        "option_order": list(d.option_order),
                        "points": d.points,
                        "answer_seq": 0,
                    }
                    for i, d in enumerate(paper)
                ],
            )
    except IntegrityError:
        # Another request started (or used up) this person's attempt a moment ago.
        running = _running(quiz, user)
        if running is not None:
            return running, False
        raise AttemptError(409, "no_attempts_left", "您已用完全部作答机会") from None
    return attempt, True


# --- answers -----------------------------------------------------------------------------------


def _to_stored(qtype: str, n_options: int, n_blanks: int, order: list[int], shown: Any) -> Any:
    shown_keys = tuple(OPTION_KEYS[:n_options])  # a tuple: "AB" and "" are "in" "ABCD"

    def original(key: Any) -> Any:
        if not isinstance(key, str) or key not in shown_keys:
            return key  # left for normalise_answer to reject with the right message
        return OPTION_KEYS[order[shown_keys.index(key)]]

    if qtype == "single" and shown is not None:
        shown = original(shown)
    elif qtype == "multiple" and isinstance(shown, list):
        shown = [original(k) for k in shown]
    try:
        return grading.normalise_answer(qtype, shown, n_options, n_blanks)
    except grading.AnswerShapeError as exc:
        raise AttemptError(422, "bad_answer", str(exc)) from exc


def to_stored(item: AttemptItem, shown: Any) -> Any:
    """An answer in the keys the person saw, turned into the question's own keys."""
    rev = item.revision
    return _to_stored(rev.type, len(rev.options), len(rev.blanks), item.option_order, shown)


def shown_answer(qtype: str, order: list[int], stored: Any) -> Any:
    """A stored answer (or key) of a ``qtype`` question in the keys of the options as shown in
    ``order`` (a paper's shuffle); other types pass through."""
    if stored is None or qtype not in ("single", "multiple"):
        return stored
    position = {orig: shown for shown, orig in enumerate(order)}

    def shown(key: str) -> str:
        return OPTION_KEYS[position[OPTION_KEYS.index(key)]]

    if isinstance(stored, list):
        return sorted(shown(k) for k in stored)
    return shown(stored)


def to_shown(item: AttemptItem, stored: Any) -> Any:
    """A stored answer (or key) in the keys as this attempt shows the options."""
    return shown_answer(item.revision.type, item.option_order, stored)


@dataclass(frozen=True)
class SavedAnswer:
    """What a save left stored for the question (the newer answer when this one was stale)."""

    question_id: int
    answer: Any  # in the question's own keys
    answer_seq: int
    type: str
    option_order: list[int]

    @property
    def shown(self) -> Any:
        """The stored answer in the keys this attempt shows."""
        return shown_answer(self.type, self.option_order, self.answer)


# The hot path of a contest: one row read (the attempt locked, its item and the item's revision
# joined), then two guarded UPDATEs. No ORM object graph is built, and the three statements are
# built once (building SQLAlchemy expressions cost more CPU than running them) and run on the
# session's connection, in its transaction. An Attempt or AttemptItem this session already holds
# (a service caller that started the attempt, then saves, then submits) is brought up to date by
# _sync at no extra statement, so grading never sees a stale answer.
def _save_statements() -> tuple[sa.Select[Any], sa.Update, sa.Update, sa.Update]:
    a, i, r = Attempt.__table__, AttemptItem.__table__, QuestionRevision.__table__
    row = (
        sa.select(
            a.c.user_id,
            a.c.status,
            a.c.deadline,
            i.c.id.label("item_id"),
            i.c.answer,
            i.c.answer_seq,
            i.c.option_order,
            r.c.type,
            r.c.options,
            r.c.blanks,
        )
        .select_from(
            a.outerjoin(
                i,
                sa.and_(i.c.attempt_id == a.c.id, i.c.question_id == sa.bindparam("question_id")),
            ).outerjoin(r, r.c.id == i.c.revision_id)
        )
        .where(a.c.id == sa.bindparam("attempt_id"))
        # FOR UPDATE OF attempt on PostgreSQL (the item and revision rows stay unlocked);
        # SQLite already holds the write lock (BEGIN IMMEDIATE).
        .with_for_update(of=a.c.id)
    )
    item = sa.update(i).where(i.c.id == sa.bindparam("item_id"))
    answer = {
        "answer": sa.bindparam("answer", type_=i.c.answer.type),
        "answer_seq": sa.bindparam("seq", type_=i.c.answer_seq.type),
        "answered_at": sa.bindparam("moment", type_=i.c.answered_at.type),
    }
    flag = {"flagged": sa.bindparam("flagged", type_=i.c.flagged.type)}
    last = (
        sa.update(a)
        .where(a.c.id == sa.bindparam("attempt_id"), a.c.last_seq < sa.bindparam("seq"))
        .values(last_seq=sa.bindparam("seq"))
    )
    return row, item.values(answer), item.values({**answer, **flag}), last


_SAVE_ROW, _SAVE_ITEM, _SAVE_ITEM_FLAG, _SAVE_LAST_SEQ = _save_statements()


def _sync(model: type[Any], ident: int, values: dict[str, Any]) -> None:
    """Give an object this session already holds the values just written with Core."""
    obj = db.session.identity_map.get(identity_key(model, ident))
    if obj is not None:
        for key, value in values.items():
            set_committed_value(obj, key, value)


def save_answer(
    attempt_id: int,
    user: User,
    question_id: int,
    answer: Any,
    seq: int,
    moment: datetime,
    grace: timedelta = DEFAULT_GRACE,
    flagged: bool | None = None,
) -> tuple[SavedAnswer, bool]:
    """(what is stored, applied). A save with a sequence number not above the item's last is
    ignored; the attempt row is locked from the first statement to the commit."""
    connection = db.session.connection()
    row = connection.execute(
        _SAVE_ROW, {"attempt_id": attempt_id, "question_id": question_id}
    ).first()
    if row is None or row.user_id != user.id:
        raise AttemptError(404, "not_found", "找不到这次作答")
    if row.status != AttemptStatus.IN_PROGRESS:
        raise AttemptError(409, "final", "本次作答已交卷，答案不能再修改")
    if row.deadline is not None and moment > row.deadline + grace:
        attempt = _locked(attempt_id)  # rare: grade it from what was saved in time
        if attempt is not None:
            finalize(attempt, moment)
        raise AttemptError(
            409, "too_late", "已超过交卷时间，此答案未能保存；试卷已按已保存的答案评分"
        )
    if row.item_id is None:
        raise AttemptError(404, "not_found", "这道题不在您的试卷中")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise AttemptError(422, "bad_seq", "保存序号应为正整数")
    order = list(row.option_order or [])
    stored = _to_stored(row.type, len(row.options or []), len(row.blanks or []), order, answer)
    if seq <= row.answer_seq:
        return SavedAnswer(question_id, row.answer, row.answer_seq, row.type, order), False
    values: dict[str, Any] = {"answer": stored, "answer_seq": seq, "answered_at": moment}
    params = {"item_id": row.item_id, "answer": stored, "seq": seq, "moment": moment}
    if flagged is None:
        connection.execute(_SAVE_ITEM, params)
    else:
        values["flagged"] = params["flagged"] = bool(flagged)
        connection.execute(_SAVE_ITEM_FLAG, params)
    _sync(AttemptItem, row.item_id, values)
    # An applied seq is above every item's, so it is the attempt's highest unless a newer save
    # of another question got there first (the guard keeps the maximum).
    if connection.execute(_SAVE_LAST_SEQ, {"attempt_id": attempt_id, "seq": seq}).rowcount:
        _sync(Attempt, attempt_id, {"last_seq": seq})
    return SavedAnswer(question_id, stored, seq, row.type, order), True


def set_flag(
    attempt_id: int,
    user: User,
    question_id: int,
    flagged: bool,
    moment: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> None:
    """Mark a question for review in the answer sheet (never affects the score)."""
    attempt = _owned(attempt_id, user)
    if attempt.is_final or overdue(attempt, moment, grace):
        return
    db.session.execute(
        sa.update(AttemptItem)
        .where(AttemptItem.attempt_id == attempt.id, AttemptItem.question_id == question_id)
        .values(flagged=flagged)
    )


# --- finishing ---------------------------------------------------------------------------------


def grade_attempt(attempt: Attempt) -> None:
    """(Re)compute every item's score and the attempt's total and pass/fail."""
    revs = revision_cache.revisions(i.revision_id for i in attempt.items)
    total = Decimal(0)
    for item in attempt.items:
        item.score, item.correct = grading.grade(
            revs[item.revision_id], item.answer, item.points, attempt.quiz.multiple_scoring
        )
        total += item.score
    attempt.score = total
    pass_mark = attempt.quiz.pass_mark
    attempt.passed = None if pass_mark is None else total >= pass_mark


def end_reason(attempt: Attempt, submitted: bool) -> str:
    """Why an attempt ends now: handed in, its own time limit, or the campaign's close (an early
    close is marked on the attempt by ``campaigns.close``, which moves its deadline)."""
    if submitted:
        return EndReason.SUBMITTED.value
    if attempt.end_reason == EndReason.CLOSED_EARLY:
        return EndReason.CLOSED_EARLY.value
    limit = attempt.quiz.time_limit_seconds
    if (
        limit
        and attempt.deadline is not None
        and attempt.deadline >= attempt.started_at + timedelta(seconds=limit)
    ):
        return EndReason.TIME_UP.value
    return EndReason.CAMPAIGN_CLOSED.value


def finalize(
    attempt: Attempt, moment: datetime, submitted: bool = False, reason: str | None = None
) -> None:
    """Grade from the saved answers and close the attempt. Timed-out attempts end at the deadline.
    ``reason`` overrides the end reason (a hand-in the deadline caused)."""
    if attempt.is_final:
        return
    reason = reason or end_reason(attempt, submitted)
    if submitted:
        status, finished = AttemptStatus.SUBMITTED, moment
    else:
        status, finished = AttemptStatus.TIMED_OUT, min(moment, attempt.deadline or moment)
    if attempt.deadline is not None:
        finished = min(finished, attempt.deadline)
    attempt.status = status.value
    attempt.end_reason = reason
    attempt.finished_at = finished
    attempt.time_used_seconds = max(0, int((finished - attempt.started_at).total_seconds()))
    grade_attempt(attempt)
    wrong_book.book_from_attempt(attempt)
    db.session.flush()
    results.record_final(attempt)
    points.quiz_finished(attempt)


CLOCK_SLACK = timedelta(seconds=5)  # how far a phone's estimate of the server clock may be off


def submit(
    attempt_id: int,
    user: User,
    moment: datetime,
    grace: timedelta = DEFAULT_GRACE,
    by_clock: bool = False,
) -> Attempt:
    """Hand in; idempotent. After deadline + grace it is graded as timed out, from saved answers.

    A hand-in after the deadline (inside the grace), or the page's own when its countdown ended
    (``by_clock``, believed within a few seconds of the deadline), is the deadline's doing: its end
    reason says 时间到 / 活动截止 / 提前结束, not 已交卷."""
    attempt = _owned(attempt_id, user)
    if attempt.is_final:
        return attempt
    deadline = attempt.deadline
    by_deadline = deadline is not None and (
        moment > deadline or (by_clock and moment >= deadline - CLOCK_SLACK)
    )
    finalize(
        attempt,
        moment,
        submitted=not overdue(attempt, moment, grace),
        reason=end_reason(attempt, False) if by_deadline else None,
    )
    return attempt


def touch(attempt: Attempt, moment: datetime, grace: timedelta = DEFAULT_GRACE) -> Attempt:
    """Any read of an attempt first finishes it if it is overdue (never left open)."""
    if overdue(attempt, moment, grace):
        locked = _locked(attempt.id)
        if locked is not None and overdue(locked, moment, grace):
            finalize(locked, moment)
        return locked or attempt
    return attempt


def finalize_overdue(
    moment: datetime,
    grace: timedelta = DEFAULT_GRACE,
    after_each: Callable[[], None] | None = None,
) -> int:
    """Grade every attempt left open past deadline + grace; returns how many (for the CLI/cron).

    ``after_each`` (the CLI passes ``commit``) runs after each attempt: the shared statistics
    counters it touched are then not held locked while the next person's attempt is waited for,
    which would deadlock against that person's own request."""
    ids = db.session.scalars(
        sa.select(Attempt.id)
        .where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline < moment - grace)
        .order_by(Attempt.id)
    ).all()
    done = 0
    for attempt_id in ids:
        attempt = _locked(attempt_id)
        if attempt is not None and overdue(attempt, moment, grace):
            finalize(attempt, moment)
            done += 1
        if after_each is not None:
            after_each()
    return done
