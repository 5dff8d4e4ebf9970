"""Drawing a person's paper from a quiz's sections, and checking the banks can fill them.

Drawing is seeded: the same seed and the same banks give the same paper, so a paper can be
reproduced when someone asks "why did I get this question".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Attempt, Question, QuestionCategory, Quiz, QuizSection
from quiz_app.services.importing import QuestionType
from quiz_app.services.textcheck import numeric_max

TYPE_LABELS = {t.value: t.label for t in QuestionType}


@dataclass(frozen=True)
class DrawnQuestion:
    question_id: int
    revision_id: int
    points: Decimal
    option_order: tuple[int, ...]


def pool_condition(section: QuizSection) -> sa.ColumnElement[bool]:
    """Which questions a random section may draw: active, of its type, in its banks, and in its
    categories and difficulties when those are set."""
    condition = sa.and_(
        Question.active,
        Question.current_revision_id.is_not(None),
        Question.bank_id.in_(section.bank_ids or [-1]),
    )
    if section.question_type:
        condition = sa.and_(condition, Question.type == section.question_type)
    if section.difficulties:
        condition = sa.and_(condition, Question.difficulty.in_(section.difficulties))
    if section.categories:
        condition = sa.and_(
            condition,
            Question.id.in_(
                sa.select(QuestionCategory.question_id).where(
                    QuestionCategory.name.in_(section.categories)
                )
            ),
        )
    return condition


def _pool(section: QuizSection) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Question.id).where(pool_condition(section)).order_by(Question.id)
        )
    )


def section_label(section: QuizSection) -> str:
    """ "单选·党史" — how a shortfall names the section."""
    label = TYPE_LABELS.get(section.question_type or "", "题目")
    if section.categories:
        label += "·" + "、".join(section.categories)
    if section.difficulties:
        label += "（" + "、".join(section.difficulties) + "）"
    return label


def _draw_order(sections: list[QuizSection], pools: dict[int, list[int]]) -> list[QuizSection]:
    # Narrow pools first, so a broad section cannot use up what a narrow one needs.
    return sorted(sections, key=lambda s: (len(pools[s.id]), s.position, s.id))


def total_problem(quiz: Quiz) -> str | None:
    """Why the paper's total cannot be stored with an attempt (its score columns hold at most
    999999.99), or None. Checked when a section is saved and again at publishing, so a quiz
    never publishes and then fails at every start."""
    limit = numeric_max(Attempt.max_score)
    total = sum((Decimal(s.points or 0) * s.size for s in quiz.sections), Decimal(0))
    if total > limit:
        return f"试卷总分为 {total:f} 分，超过上限 {limit:f} 分，请减少题数或每题分值"
    return None


def shortfalls(quiz: Quiz) -> list[str]:
    """One line per section the banks cannot fill, e.g. "单选·党史 需要20题，题库只有14题"."""
    problems: list[str] = []
    if (too_much := total_problem(quiz)) is not None:
        problems.append(too_much)
    fixed_ids = {qid for s in quiz.sections if s.is_fixed for qid in s.fixed_question_ids}
    if fixed_ids:
        usable = set(
            db.session.scalars(
                sa.select(Question.id).where(
                    Question.id.in_(fixed_ids), Question.current_revision_id.is_not(None)
                )
            )
        )
        for s in quiz.sections:
            missing = [q for q in s.fixed_question_ids if q not in usable]
            if missing:
                problems.append(f"指定的题目不存在：{', '.join(map(str, missing))}")
    random_sections = [s for s in quiz.sections if not s.is_fixed and s.count > 0]
    pools = {s.id: [q for q in _pool(s) if q not in fixed_ids] for s in random_sections}
    taken: list[tuple[set[int], int]] = []
    for s in _draw_order(random_sections, pools):
        pool = set(pools[s.id])
        # Worst case: every earlier section drew from the overlap with this one.
        available = len(pool) - sum(min(n, len(pool & other)) for other, n in taken)
        if not s.bank_ids:
            problems.append(f"{section_label(s)} 还没有选择题库")
        elif available < s.count:
            shared = "（与其他部分共用后）" if available < len(pool) else ""
            problems.append(
                f"{section_label(s)} 需要 {s.count} 题，题库{shared}只有 {max(available, 0)} 题"
            )
        taken.append((pool, s.count))
    return problems


def draw_paper(quiz: Quiz, rng: random.Random) -> list[DrawnQuestion]:
    """The paper for one attempt, in display order, with each question's option order.

    Raises ValueError when the banks no longer hold enough questions (publishing checked it, but
    questions can be retired afterwards).
    """
    from quiz_app.services.paper_pools import quiz_pools

    cached = quiz_pools(quiz)
    pools = cached.pools
    fixed_ids = {qid for s in quiz.sections if s.is_fixed for qid in s.fixed_question_ids}
    chosen: dict[int, list[int]] = {}
    used: set[int] = set(fixed_ids)
    for s in _draw_order([s for s in quiz.sections if not s.is_fixed], pools):
        candidates = [q for q in pools[s.id] if q not in used]
        if len(candidates) < s.count:
            raise ValueError(f"{section_label(s)} 需要 {s.count} 题，题库只有 {len(candidates)} 题")
        picked = rng.sample(candidates, s.count)
        used.update(picked)
        chosen[s.id] = picked
    for s in quiz.sections:
        if s.is_fixed:
            chosen[s.id] = list(s.fixed_question_ids)

    paper: list[DrawnQuestion] = []
    for s in sorted(quiz.sections, key=lambda x: (x.position, x.id)):
        order = list(chosen[s.id])
        if quiz.shuffle_questions and not s.is_fixed:
            rng.shuffle(order)
        for qid in order:
            question = cached.questions.get(qid)
            if question is None or question.revision_id is None:
                raise ValueError(f"指定的题目不存在：{qid}")
            option_order = list(range(question.n_options))
            if quiz.shuffle_options and question.type in ("single", "multiple"):
                rng.shuffle(option_order)
            paper.append(
                DrawnQuestion(qid, question.revision_id, Decimal(s.points), tuple(option_order))
            )
    return paper
