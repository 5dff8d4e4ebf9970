"""Re-grading after an organizer corrects a question's key in the bank.

Attempts keep the revision they were drawn with, so a corrected key changes nothing by itself.
An organizer re-grades explicitly, question by question: the FINAL attempts' items move to the
question's current revision and those attempts are graded again with attempts.grade_attempt.
Attempts still in progress keep their revision; re-grading again later picks them up once final.

Only a revision with the same type and the same number of options (and, for 填空, of blanks) can
take over: the saved answers and the shown option order must still mean the same thing.

Functions flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    Question,
    QuestionRevision,
    Quiz,
    RegradeEvent,
    User,
)
from quiz_app.services import attempts, points, results, wrong_book
from quiz_app.services.importing import QuestionType

TYPE_LABELS = {t.value: t.label for t in QuestionType}


class RegradeError(ValueError):
    """A re-grade that is not possible; the message is shown as is."""


def incompatibility(old: QuestionRevision, current: QuestionRevision) -> str | None:
    """Why answers given to ``old`` cannot be graded against ``current`` (None when they can)."""
    if old.type != current.type:
        return (
            f"题型已由“{TYPE_LABELS.get(old.type, old.type)}”改为"
            f"“{TYPE_LABELS.get(current.type, current.type)}”，原答卷的作答无法按新题评分"
        )
    if len(old.options) != len(current.options):
        return (
            f"选项个数已由{len(old.options)}个改为{len(current.options)}个，"
            "原答卷中的选项无法一一对应"
        )
    if old.type == "blank" and len(old.blanks) != len(current.blanks):
        return f"填空的空数已由{len(old.blanks)}个改为{len(current.blanks)}个，原答卷的作答无法对应"
    return None


@dataclass(frozen=True)
class StaleQuestion:
    """A question some of the quiz's attempts were drawn with in an older revision."""

    question: Question
    current: QuestionRevision
    old_revisions: list[QuestionRevision]
    final_attempts: int  # final attempts holding an older revision: what a re-grade changes
    in_progress_attempts: int  # keep their revision for now
    problem: str | None  # why a re-grade is refused, if it is

    @property
    def can_regrade(self) -> bool:
        return self.problem is None and self.final_attempts > 0


def _stale_rows(quiz: Quiz, question_id: int | None = None) -> sa.Select:  # type: ignore[type-arg]
    item_rev = aliased(QuestionRevision)
    current_rev = aliased(QuestionRevision)
    stmt = (
        sa.select(
            AttemptItem.question_id,
            AttemptItem.revision_id,
            Attempt.status,
            sa.func.count(sa.distinct(Attempt.id)).label("attempts"),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .join(item_rev, item_rev.id == AttemptItem.revision_id)
        .join(current_rev, current_rev.id == Question.current_revision_id)
        .where(Attempt.quiz_id == quiz.id, item_rev.number < current_rev.number)
        .group_by(AttemptItem.question_id, AttemptItem.revision_id, Attempt.status)
    )
    if question_id is not None:
        stmt = stmt.where(AttemptItem.question_id == question_id)
    return stmt


@dataclass
class _Tally:
    revisions: set[int] = field(default_factory=set)
    final_revisions: set[int] = field(default_factory=set)
    final: int = 0
    running: int = 0


def stale_questions(quiz: Quiz) -> list[StaleQuestion]:
    """Questions of the quiz whose attempts hold an older revision than the bank's current one."""
    tallies: dict[int, _Tally] = {}
    # An attempt holds one item per question, so per-revision counts add up per question.
    for question_id, revision_id, status, count in db.session.execute(_stale_rows(quiz)):
        tally = tallies.setdefault(question_id, _Tally())
        tally.revisions.add(revision_id)
        if status != AttemptStatus.IN_PROGRESS:
            tally.final_revisions.add(revision_id)
            tally.final += count
        else:
            tally.running += count
    if not tallies:
        return []
    questions = {
        q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(tallies)))
    }
    revisions = {
        r.id: r
        for r in db.session.scalars(
            sa.select(QuestionRevision).where(
                QuestionRevision.id.in_({r for t in tallies.values() for r in t.revisions})
            )
        )
    }
    result: list[StaleQuestion] = []
    for question_id, tally in sorted(tallies.items()):
        question = questions[question_id]
        current = question.current_revision
        assert current is not None
        olds = sorted((revisions[r] for r in tally.revisions), key=lambda r: r.number)
        problems = [incompatibility(r, current) for r in olds if r.id in tally.final_revisions]
        result.append(
            StaleQuestion(
                question=question,
                current=current,
                old_revisions=olds,
                final_attempts=tally.final,
                in_progress_attempts=tally.running,
                problem=next((p for p in problems if p), None),
            )
        )
    return result


def regrade_question(
    quiz: Quiz, question_id: int, by: User | None, moment: datetime | None = None
) -> RegradeEvent:
    """Move the final attempts' items of ``question_id`` to its current revision, re-grade those
    attempts and record the event. Refused (nothing changed) when the revision is incompatible
    or there is nothing final to re-grade."""
    moment = moment or now()
    question = db.session.get(Question, question_id)
    if question is None or question.current_revision is None:
        raise RegradeError("找不到这道题")
    current = question.current_revision
    results.lock_quiz(quiz.id, exclusive=True)  # no submission lands between here and rebuild
    item_rev = aliased(QuestionRevision)
    attempt_ids = db.session.scalars(
        sa.select(Attempt.id)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(item_rev, item_rev.id == AttemptItem.revision_id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.status != AttemptStatus.IN_PROGRESS.value,
            AttemptItem.question_id == question.id,
            item_rev.number < current.number,
        )
        .distinct()
    ).all()
    if not attempt_ids:
        raise RegradeError("这道题没有需要重新评分的已交卷答卷")
    locked = db.session.scalars(
        sa.select(Attempt)
        .where(Attempt.id.in_(attempt_ids))
        .order_by(Attempt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    targets: list[tuple[Attempt, AttemptItem]] = []
    old_numbers: set[int] = set()
    for attempt in locked:
        if not attempt.is_final:
            continue
        item = next(i for i in attempt.items if i.question_id == question.id)
        if item.revision.number >= current.number:
            continue
        problem = incompatibility(item.revision, current)
        if problem is not None:
            raise RegradeError(
                f"不能重新评分：{problem}。请在题库中恢复原题型和选项个数，或另出新题"
            )
        targets.append((attempt, item))
        old_numbers.add(item.revision.number)
    if not targets:
        raise RegradeError("这道题没有需要重新评分的已交卷答卷")
    changed = 0
    for attempt, item in targets:
        before, was_correct = attempt.score, bool(item.correct)
        item.revision = current
        item.revision_id = current.id  # grade_attempt reads revisions by id
        attempts.grade_attempt(attempt)
        if attempt.score != before:
            changed += 1
        if was_correct and not item.correct:
            wrong_book.book_wrong(attempt, item)
        elif item.correct and not was_correct:
            wrong_book.unbook_wrong(attempt, item)
    olds = "、".join(f"第{n}版" for n in sorted(old_numbers))
    event = RegradeEvent(
        quiz_id=quiz.id,
        question_id=question.id,
        to_revision_id=current.id,
        attempts_changed=changed,
        items_regraded=len(targets),
        by_id=by.id if by is not None else None,
        at=moment,
        note=f"{olds}→第{current.number}版：重新评分{len(targets)}份答卷，{changed}份得分有变化"[
            :200
        ],
    )
    db.session.add(event)
    db.session.flush()
    results.rebuild(quiz)
    points.quiz_regraded(quiz.id, [a.user_id for a, _ in targets], moment)
    return event


@dataclass(frozen=True)
class RegradeRecord:
    event: RegradeEvent
    stem: str
    revision_number: int
    by_name: str


def history(quiz: Quiz) -> list[RegradeRecord]:
    """The quiz's re-grades, newest first, with the question's stem and who did it."""
    rows = db.session.execute(
        sa.select(RegradeEvent, QuestionRevision.stem, QuestionRevision.number, User.real_name)
        .join(QuestionRevision, QuestionRevision.id == RegradeEvent.to_revision_id)
        .outerjoin(User, User.id == RegradeEvent.by_id)
        .where(RegradeEvent.quiz_id == quiz.id)
        .order_by(RegradeEvent.at.desc(), RegradeEvent.id.desc())
    ).all()
    return [RegradeRecord(e, stem, number, name or "") for e, stem, number, name in rows]
