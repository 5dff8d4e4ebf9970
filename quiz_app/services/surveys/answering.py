"""Answering a survey anonymously: who may answer, the branch a response is reported under, submit.

A submission writes, in one transaction, the participation list (who answered, rewritten shuffled)
and a response with its answers (no person, no time, random key). The response's branch is the respondent's
branch merged upward, at submission, to the nearest branch with at least ``MIN_GROUP`` people in
the survey's audience, so the database never holds "the answer of the one person in branch X".
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.survey import (
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestionKind,
    SurveyResponse,
    SurveyStatus,
)
from quiz_app.services.audience import audience_size, in_audience

MIN_GROUP = 5  # fewer people than this are never shown (or stored) as a group of their own
MAX_TEXT = 1000


class SurveyError(ValueError):
    """A refused change or submission; ``messages`` are shown as they are."""

    def __init__(self, messages: Sequence[str], status: int = 400) -> None:
        super().__init__("；".join(messages))
        self.messages, self.status = list(messages), status


def is_open(survey: Survey, moment: datetime | None = None) -> bool:
    moment = moment or now()
    return (
        survey.status == SurveyStatus.PUBLISHED.value
        and survey.opens_at <= moment < survey.closes_at
    )


def may_answer(user: User, survey: Survey) -> bool:
    """In the audience (branches with subtrees, narrowed by groups), as for campaigns."""
    return in_audience(user, survey)


def has_answered(user: User, survey: Survey) -> bool:
    return db.session.get(SurveyParticipation, (survey.id, user.id)) is not None


def report_branch(survey: Survey, branch: Branch) -> Branch | None:
    """The nearest branch, from ``branch`` upward, with at least MIN_GROUP audience members."""
    current: Branch | None = branch
    while current is not None:
        if audience_size(survey, current) >= MIN_GROUP:
            return current
        current = current.parent
    return None


def open_surveys(user: User) -> list[tuple[Survey, bool]]:
    """Published surveys open now for this person, with whether they have answered."""
    moment = now()
    candidates = db.session.scalars(
        sa.select(Survey)
        .where(
            Survey.status == SurveyStatus.PUBLISHED.value,
            Survey.opens_at <= moment,
            Survey.closes_at > moment,
        )
        .order_by(Survey.closes_at, Survey.id)
    ).all()
    answered = set(
        db.session.scalars(
            sa.select(SurveyParticipation.survey_id).where(SurveyParticipation.user_id == user.id)
        )
    )
    return [(s, s.id in answered) for s in candidates if may_answer(user, s)]


def _record_participation(survey: Survey, user: User) -> None:
    """Add ``user`` to the people who answered by writing the whole list again, shuffled.

    On PostgreSQL every row carries the id of the transaction that wrote it (xmin) and a physical
    position (ctid), and the response written in this same transaction carries them too. Were
    only the new row inserted, ``JOIN ... ON r.xmin = p.xmin`` (or lining up ctid order) would
    name the author of each response. Rewritten together and shuffled, all rows share the newest
    xmin and lie in random order. The survey row is locked first, so submissions to one survey
    take turns and no rewrite loses another's row.
    """
    db.session.execute(sa.select(Survey.id).where(Survey.id == survey.id).with_for_update())
    if has_answered(user, survey):  # checked again under the lock
        raise SurveyError(["您已提交过本问卷，每人只能提交一次"], 409)
    people = list(
        db.session.scalars(
            sa.select(SurveyParticipation.user_id).where(SurveyParticipation.survey_id == survey.id)
        )
    )
    people.append(user.id)
    random.SystemRandom().shuffle(people)
    table = SurveyParticipation.__table__  # Core executemany: the ORM bulk path is far slower
    db.session.execute(sa.delete(table).where(table.c.survey_id == survey.id))
    db.session.execute(sa.insert(table), [{"survey_id": survey.id, "user_id": u} for u in people])


def _one(form: Mapping[str, Sequence[str]], key: str) -> str:
    values = form.get(key) or []
    return str(values[0]).strip() if values else ""


def submit(survey: Survey, user: User, form: Mapping[str, Sequence[str]]) -> SurveyResponse:
    """Check every answer (``q<id>`` keys), then write participation and the response together.

    SurveyError (403 outside the audience, 409 answered before, 400 with 第N题 messages) leaves
    nothing written.
    """
    if not may_answer(user, survey):
        raise SurveyError(["您不在本问卷的调查对象范围内"], 403)
    if not is_open(survey):
        raise SurveyError(["问卷不在填写时间内"], 409)
    if has_answered(user, survey):
        raise SurveyError(["您已提交过本问卷，每人只能提交一次"], 409)
    errors: list[str] = []
    answers: list[SurveyAnswer] = []
    for q in survey.questions:
        key, n = f"q{q.id}", q.position
        kind = q.kind_enum
        if kind is SurveyQuestionKind.MULTIPLE:
            raw = [str(v).strip() for v in (form.get(key) or []) if str(v).strip()]
        else:
            one = _one(form, key)
            raw = [one] if one else []
        if not raw:
            if q.required:
                errors.append(f"第{n}题：请作答")
            continue
        if kind in (SurveyQuestionKind.SINGLE, SurveyQuestionKind.MULTIPLE):
            try:
                picked = sorted({int(v) for v in raw})
            except ValueError:
                errors.append(f"第{n}题：选项无效")
                continue
            if any(not 0 <= i < len(q.options) for i in picked) or (
                kind is SurveyQuestionKind.SINGLE and len(picked) > 1
            ):
                errors.append(f"第{n}题：选项无效")
                continue
            answers.extend(
                SurveyAnswer(question_id=q.id, seq=s, option_index=i) for s, i in enumerate(picked)
            )
        elif kind is SurveyQuestionKind.SCALE:
            if raw[0] not in {"1", "2", "3", "4", "5"}:
                errors.append(f"第{n}题：请选择1到5之间的分值")
                continue
            answers.append(SurveyAnswer(question_id=q.id, seq=0, scale=int(raw[0])))
        else:
            if len(raw[0]) > MAX_TEXT:
                errors.append(f"第{n}题：不能超过{MAX_TEXT}字（现有{len(raw[0])}字）")
                continue
            answers.append(SurveyAnswer(question_id=q.id, seq=0, text=raw[0]))
    if errors:
        raise SurveyError(errors)
    target = report_branch(survey, user.branch)
    try:
        with db.session.begin_nested():
            _record_participation(survey, user)
            response = SurveyResponse(
                survey_id=survey.id,
                report_branch_id=target.id if target else None,
                answers=answers,
            )
            db.session.add(response)
            db.session.flush()
    except IntegrityError:
        raise SurveyError(["您已提交过本问卷，每人只能提交一次"], 409) from None
    return response
