"""Organizer conveniences around a campaign: default times, progress, the not-yet list, the
share code, and a preview paper that is drawn and graded in memory.

The preview is never stored: drawing with ``papers.draw_paper`` and scoring with
``grading.grade`` gives the organizer the same paper rules and the same scoring as staff, while
no Attempt, tally, point or statistic can ever see it (there is nothing to exclude).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import (
    Attempt,
    AttemptStatus,
    Bank,
    Branch,
    Campaign,
    Question,
    QuestionCategory,
    QuestionRevision,
    Quiz,
    QuizSection,
    User,
)
from quiz_app.services import branches, grading, papers, xlsx_out
from quiz_app.services.audience import audience_condition
from quiz_app.services.importing import QuestionType

OPTION_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TYPE_LABELS = {t.value: t.label for t in QuestionType}


def default_times(moment: datetime) -> tuple[datetime, datetime]:
    """A new campaign opens now (to the minute) and runs seven days."""
    start = moment.replace(second=0, microsecond=0)
    return start, start + timedelta(days=7)


# --- progress and the not-yet list -------------------------------------------------------------


def _finished(quiz_ids: sa.ColumnElement[Any] | list[int]) -> sa.ColumnElement[int]:
    return (
        sa.select(sa.func.count(sa.distinct(Attempt.quiz_id)))
        .where(
            Attempt.user_id == User.id,
            Attempt.quiz_id.in_(quiz_ids),
            Attempt.status != AttemptStatus.IN_PROGRESS.value,
        )
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


def progress(campaign: Campaign) -> Progress:
    """People in the audience who have handed in every quiz of the campaign, of all of them."""
    audience = audience_condition(campaign)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(audience)) or 0
    quiz_ids = [q.id for q in campaign.quizzes]
    if not quiz_ids:
        return Progress(0, total)
    done = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(audience, _finished(quiz_ids) == len(quiz_ids))
        )
        or 0
    )
    return Progress(done, total)


def running_count(campaign: Campaign) -> int:
    """How many people are answering right now (asked before an early close)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Attempt.user_id))).where(
                Attempt.quiz_id.in_([q.id for q in campaign.quizzes]),
                Attempt.status == AttemptStatus.IN_PROGRESS.value,
            )
        )
        or 0
    )


@dataclass
class NotYet:
    total: int
    groups: list[dict[str, Any]]  # {"branch", "name", "people": [(user, running)]}

    @property
    def missing(self) -> int:
        return sum(len(g["people"]) for g in self.groups)


def not_yet(quiz: Quiz) -> NotYet:
    """Who in the audience has not handed in ``quiz``, grouped by branch in tree order."""
    campaign = quiz.campaign
    audience = audience_condition(campaign)
    final = sa.exists().where(
        Attempt.quiz_id == quiz.id,
        Attempt.user_id == User.id,
        Attempt.status != AttemptStatus.IN_PROGRESS.value,
    )
    running = sa.exists().where(
        Attempt.quiz_id == quiz.id,
        Attempt.user_id == User.id,
        Attempt.status == AttemptStatus.IN_PROGRESS.value,
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(audience)) or 0
    rows = db.session.execute(
        sa.select(User, running.label("running"))
        .join(Branch, Branch.id == User.branch_id)
        .where(audience, ~final)
        .order_by(Branch.path, User.real_name, User.id)
    ).all()
    order = {b.id: i for i, b in enumerate(branches.tree())}
    groups: dict[int, dict[str, Any]] = {}
    for user, is_running in rows:
        group = groups.setdefault(
            user.branch_id, {"branch": user.branch, "people": [], "name": user.branch.name}
        )
        group["people"].append((user, bool(is_running)))
    ordered = sorted(groups.values(), key=lambda g: order.get(g["branch"].id, 0))
    return NotYet(total, ordered)


def reminder_text(quiz: Quiz, listing: NotYet, closes_at_text: str, link: str) -> str:
    """A ready message for the WeChat group: what, until when, where, and who has not yet."""
    names = "\n".join(
        f"{g['name']}：{'、'.join(u.real_name for u, _ in g['people'])}" for g in listing.groups
    )
    return (
        f"【提醒】“{quiz.campaign.title}·{quiz.title}”将于{closes_at_text}截止，"
        f"还有 {listing.missing} 人未完成，请抓紧作答。\n扫码或打开链接答题：{link}\n{names}"
    )


def not_yet_xlsx(quiz: Quiz, listing: NotYet) -> bytes:
    """The not-yet list as a workbook (部门, 姓名, 工号, 状态)."""
    rows: list[list[object]] = [
        [branches.full_name(g["branch"]), u.real_name, u.username, "作答中" if r else "未作答"]
        for g in listing.groups
        for u, r in g["people"]
    ]
    return xlsx_out.workbook_bytes([("未完成名单", ["部门", "姓名", "工号", "状态"], rows)])


# --- share code ---------------------------------------------------------------------------------


def landing_quiz(campaign: Campaign) -> Quiz | None:
    """Where a scanned share code leads: the campaign's only quiz, or none when it has several."""
    quizzes = list(campaign.quizzes)
    return quizzes[0] if len(quizzes) == 1 else None


# --- preview ------------------------------------------------------------------------------------


@dataclass
class PreviewItem:
    number: int
    revision: QuestionRevision
    points: Decimal
    option_order: tuple[int, ...]
    answer: Any = None
    score: Decimal | None = None
    correct: bool | None = None
    problem: str = ""

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.revision.type, self.revision.type)

    @property
    def shown_options(self) -> list[tuple[str, str, str]]:
        """(shown key, stored key, text) in the order this paper shows them."""
        return [
            (OPTION_KEYS[i], OPTION_KEYS[orig], self.revision.options[orig])
            for i, orig in enumerate(self.option_order)
        ]

    @property
    def key_text(self) -> str:
        rev = self.revision
        if rev.type == "judge":
            return "正确" if list(rev.answer) == ["T"] else "错误"
        if rev.type == "blank":
            return "；".join(" / ".join(b) for b in rev.blanks or [])
        shown = {OPTION_KEYS[orig]: OPTION_KEYS[i] for i, orig in enumerate(self.option_order)}
        return "".join(sorted(shown[k] for k in rev.answer))


def preview_paper(quiz: Quiz, seed: int) -> list[PreviewItem]:
    """The paper staff would get for ``seed``; ValueError when the banks are short."""
    drawn = papers.draw_paper(quiz, random.Random(seed))
    revisions = {
        r.id: r
        for r in db.session.scalars(
            sa.select(QuestionRevision).where(
                QuestionRevision.id.in_([d.revision_id for d in drawn])
            )
        )
    }
    return [
        PreviewItem(n, revisions[d.revision_id], d.points, d.option_order)
        for n, d in enumerate(drawn, start=1)
    ]


def _answer_from(item: PreviewItem, values: list[str]) -> Any:
    rev = item.revision
    if rev.type == "judge":
        return {"T": True, "F": False}.get(values[0]) if values else None
    if rev.type == "single":
        return values[0] if values else None
    if rev.type == "multiple":
        return list(values) or None
    return values


def grade_preview(quiz: Quiz, paper: list[PreviewItem], form: Any) -> Decimal:
    """Score the posted answers with the quiz's own rules; nothing is written anywhere."""
    total = Decimal("0.00")
    for item in paper:
        rev = item.revision
        name = f"q{item.number}"
        if rev.type == "blank":
            values = [str(form.get(f"{name}_{k}", ""))[:500] for k in range(len(rev.blanks or []))]
        else:
            values = [str(v) for v in form.getlist(name)]
        try:
            item.answer = grading.normalise_answer(
                rev.type, _answer_from(item, values), len(rev.options), len(rev.blanks or [])
            )
        except grading.AnswerShapeError as exc:
            item.problem = f"第 {item.number} 题：{exc}"
            item.answer = None
        item.score, item.correct = grading.grade(
            rev, item.answer, item.points, quiz.multiple_scoring
        )
        total += item.score
    return total


# --- random-draw form ---------------------------------------------------------------------------


def category_banks() -> dict[str, list[int]]:
    """Each category name → the banks whose active questions carry it (the form shows only the
    chosen banks' categories)."""
    rows = db.session.execute(
        sa.select(QuestionCategory.name, Question.bank_id)
        .join(Question, Question.id == QuestionCategory.question_id)
        .where(Question.active)
        .distinct()
    ).all()
    found: dict[str, list[int]] = {}
    for name, bank_id in rows:
        found.setdefault(name, []).append(bank_id)
    for bank in db.session.scalars(sa.select(Bank)):
        for name in bank.categories or []:
            if bank.id not in found.setdefault(name, []):
                found[name].append(bank.id)
    return {k: sorted(v) for k, v in found.items()}


def pool_count(
    question_type: str, bank_ids: list[int], categories: list[str], difficulties: list[str]
) -> int:
    """How many questions a random section with these filters could draw from."""
    probe = QuizSection(
        question_type=question_type,
        bank_ids=bank_ids,
        categories=categories,
        difficulties=difficulties,
    )  # transient: never added to the session
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Question).where(papers.pool_condition(probe))
        )
        or 0
    )
