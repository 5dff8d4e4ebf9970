"""Survey results: counts per option, scale mean and spread, shuffled texts, and per-branch
figures only for groups of at least MIN_GROUP responses (smaller ones merged upward, else 其他);
the not-yet list for reminders; the year report's survey figures."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.survey import (
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    survey_branch,
)
from quiz_app.services.audience import audience_condition, audience_size
from quiz_app.services.branches import full_name
from quiz_app.services.surveys.answering import MIN_GROUP

OTHER = "其他"


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    options: list[tuple[str, int]] = field(default_factory=list)
    scale_counts: list[int] = field(default_factory=lambda: [0] * 5)
    scale_mean: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class GroupResult:
    label: str
    responses: int
    merged: list[str]  # names of smaller branches folded into this row
    questions: list[QuestionResult]


@dataclass
class SurveyResults:
    responses: int
    audience: int
    questions: list[QuestionResult]
    groups: list[GroupResult]
    small_other: int  # responses in 其他 when even that is below MIN_GROUP (not broken down)


def merge_small(counts: dict[int | None, int]) -> dict[int | None, list[int | None]]:
    """Fold every branch with fewer than MIN_GROUP responses into its parent, deepest first and
    repeatedly, and into None (其他) past the top. Returns target → the stored ids it covers.

    If 其他 then holds 1–4 responses, the smallest groups are folded into it too until it holds
    at least MIN_GROUP: otherwise "all answers minus the groups shown" would be the answers of
    those few people.
    """
    members: dict[int | None, list[int | None]] = {k: [k] for k in counts if counts[k]}
    totals = {k: n for k, n in counts.items() if n}
    branches = {b.id: b for b in db.session.scalars(sa.select(Branch))}

    def fold(k: int, into: int | None) -> None:
        totals[into] = totals.get(into, 0) + totals.pop(k)
        members.setdefault(into, []).extend(members.pop(k))

    while small := [k for k in totals if k is not None and totals[k] < MIN_GROUP]:
        k = max(small, key=lambda i: (branches[i].depth, i))
        fold(k, branches[k].parent_id)
    shown = sorted(
        (k for k in totals if k is not None), key=lambda i: (totals[i], -branches[i].depth)
    )
    while 0 < totals.get(None, 0) < MIN_GROUP and shown:
        fold(shown.pop(0), None)
    return members


def _tally(survey: Survey, response_ids: Any, with_texts: bool) -> list[QuestionResult]:
    out = {q.id: QuestionResult(q, options=[(o, 0) for o in q.options]) for q in survey.questions}
    rows = db.session.execute(
        sa.select(
            SurveyAnswer.question_id,
            SurveyAnswer.option_index,
            SurveyAnswer.scale,
            sa.func.count(),
        )
        .where(SurveyAnswer.response_id.in_(response_ids), SurveyAnswer.text.is_(None))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.option_index, SurveyAnswer.scale)
    ).all()
    for qid, opt, scale, n in rows:
        r = out[qid]
        if opt is not None:
            label, count = r.options[opt]
            r.options[opt] = (label, count + n)
        if scale is not None:
            r.scale_counts[scale - 1] += n
    for qid, people in db.session.execute(
        sa.select(SurveyAnswer.question_id, sa.func.count(sa.distinct(SurveyAnswer.response_id)))
        .where(SurveyAnswer.response_id.in_(response_ids))
        .group_by(SurveyAnswer.question_id)
    ):
        out[qid].answered = int(people)
    for r in out.values():
        total = sum(r.scale_counts)
        if total:
            r.scale_mean = sum((i + 1) * c for i, c in enumerate(r.scale_counts)) / total
    if with_texts:
        for qid, text in db.session.execute(
            sa.select(SurveyAnswer.question_id, SurveyAnswer.text).where(
                SurveyAnswer.response_id.in_(response_ids), SurveyAnswer.text.is_not(None)
            )
        ):
            out[qid].texts.append(text)
        for r in out.values():
            random.shuffle(r.texts)  # no order to read anything from
    return [out[q.id] for q in survey.questions]


def results(survey: Survey) -> SurveyResults:
    """Everything the results page shows; free texts only for the whole survey, never per branch."""
    of_survey = sa.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)
    counts: dict[int | None, int] = {
        b: int(n)
        for b, n in db.session.execute(
            sa.select(SurveyResponse.report_branch_id, sa.func.count())
            .where(SurveyResponse.survey_id == survey.id)
            .group_by(SurveyResponse.report_branch_id)
        )
    }
    total = sum(counts.values())
    groups: list[GroupResult] = []
    small_other = 0
    merged = merge_small(counts)
    names = {b.id: b for b in db.session.scalars(sa.select(Branch))}
    ordered = sorted(
        merged.items(), key=lambda kv: (kv[0] is None, names[kv[0]].path if kv[0] else "")
    )
    for target, sources in ordered:
        n = sum(counts.get(s, 0) for s in sources)
        if n == 0:
            continue
        if target is None and n < MIN_GROUP:
            small_other = n
            continue
        ids = [s for s in sources if s is not None]
        cond = SurveyResponse.report_branch_id.in_(ids)
        if None in sources:
            cond = sa.or_(cond, SurveyResponse.report_branch_id.is_(None))
        label = OTHER if target is None else full_name(names[target])
        folded = [full_name(names[s]) if s else OTHER for s in sources if s != target]
        groups.append(
            GroupResult(label, n, folded, _tally(survey, of_survey.where(cond), with_texts=False))
        )
    return SurveyResults(
        total,
        audience_size(survey),
        _tally(survey, of_survey, with_texts=True),
        groups,
        small_other,
    )


def not_yet(survey: Survey) -> list[User]:
    """Audience members with no participation row: whom to remind (never what anyone answered)."""
    done = sa.select(SurveyParticipation.user_id).where(SurveyParticipation.survey_id == survey.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Branch, Branch.id == User.branch_id)
            .where(audience_condition(survey), User.id.not_in(done))
            .order_by(Branch.path, User.real_name, User.id)
        )
    )


def year_figures(start: datetime, end: datetime, branch_ids: Any) -> list[dict[str, Any]]:
    """Report provider: surveys opened in [start, end) whose audience reaches ``branch_ids``
    (None = whole tree), and how many people now in those branches answered them (answers carry
    no date, so a survey's answers count with the survey's opening)."""
    surveys = sa.select(Survey.id).where(
        Survey.status != SurveyStatus.DRAFT.value, Survey.opens_at >= start, Survey.opens_at < end
    )
    if branch_ids is not None:
        aud, inside = aliased(Branch), aliased(Branch)
        surveys = surveys.where(
            Survey.id.in_(
                sa.select(survey_branch.c.survey_id)
                .join(aud, aud.id == survey_branch.c.branch_id)
                .join(inside, inside.path.startswith(aud.path))
                .where(inside.id.in_(branch_ids))
            )
        )
    count = int(db.session.scalar(sa.select(sa.func.count()).select_from(surveys.subquery())) or 0)
    answered = sa.select(sa.func.count()).where(SurveyParticipation.survey_id.in_(surveys))
    if branch_ids is not None:
        answered = answered.where(
            SurveyParticipation.user_id.in_(
                sa.select(User.id).where(User.branch_id.in_(branch_ids))
            )
        )
    responses = int(db.session.scalar(answered) or 0)
    url = _url("surveys.manage")
    return [
        {"key": "survey.count", "label": "思想动态问卷", "value": count, "unit": "次", "url": url},
        {
            "key": "survey.responses",
            "label": "问卷答卷",
            "value": responses,
            "unit": "份",
            "url": url,
        },
    ]


def _url(endpoint: str, **values: Any) -> str | None:
    from flask import has_request_context, url_for

    return url_for(endpoint, **values) if has_request_context() else None


def answered_count(survey: Survey) -> int:
    """People who have answered (from participation; equal to the number of responses)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(SurveyParticipation.survey_id == survey.id)
        )
        or 0
    )
