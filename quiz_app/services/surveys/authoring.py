"""Writing a survey: its questions from a short text format, its audience and window, publishing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Branch, Group, User
from quiz_app.models.survey import Survey, SurveyQuestion, SurveyQuestionKind, SurveyStatus
from quiz_app.services import access
from quiz_app.services.surveys.answering import SurveyError

KIND_WORDS = {
    "单选": SurveyQuestionKind.SINGLE,
    "多选": SurveyQuestionKind.MULTIPLE,
    "量表": SurveyQuestionKind.SCALE,
    "文字": SurveyQuestionKind.TEXT,
    "文本": SurveyQuestionKind.TEXT,
}
MAX_QUESTIONS = 30
MAX_OPTIONS = 12


@dataclass
class QuestionSpec:
    kind: SurveyQuestionKind
    prompt: str
    options: list[str] = field(default_factory=list)
    required: bool = True


def can_manage(user: User, survey: Survey) -> bool:
    """Admins, and the organizer who created the survey."""
    return access.is_admin(user) or (access.can_organize(user) and survey.created_by_id == user.id)


def parse_questions(text: str) -> list[QuestionSpec]:
    """Blocks separated by a blank line: "[单选] 题目" then one option a line; "（选答）" at the end
    of the first line makes the question optional. SurveyError lists every problem by 第N题."""
    blocks = [b for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    errors: list[str] = []
    specs: list[QuestionSpec] = []
    if not blocks:
        raise SurveyError(["【题目】至少需要一道题"])
    if len(blocks) > MAX_QUESTIONS:
        errors.append(f"【题目】最多{MAX_QUESTIONS}道题，现有{len(blocks)}道")
    for n, block in enumerate(blocks, start=1):
        lines = [ln.strip() for ln in block.strip().split("\n") if ln.strip()]
        head = lines[0]
        word = head[1:3] if head.startswith("[") and head[3:4] == "]" else ""
        kind = KIND_WORDS.get(word)
        if kind is None:
            errors.append(f"第{n}题：第一行应以[单选]、[多选]、[量表]或[文字]开头")
            continue
        prompt = head[4:].strip()
        required = True
        if prompt.endswith("（选答）"):
            prompt, required = prompt[: -len("（选答）")].strip(), False
        if not prompt:
            errors.append(f"第{n}题：题目不能为空")
        if len(prompt) > 500:
            errors.append(f"第{n}题：题目不能超过500字")
        options = lines[1:]
        if kind in (SurveyQuestionKind.SINGLE, SurveyQuestionKind.MULTIPLE):
            if len(options) < 2:
                errors.append(f"第{n}题：{kind.label}题至少需要两个选项（每行一个）")
            if len(options) > MAX_OPTIONS:
                errors.append(f"第{n}题：选项不能超过{MAX_OPTIONS}个")
            if len(set(options)) != len(options):
                errors.append(f"第{n}题：选项有重复")
            if any(len(o) > 200 for o in options):
                errors.append(f"第{n}题：选项不能超过200字")
        elif options:
            errors.append(f"第{n}题：{kind.label}题不需要选项，请删去题目下面的行")
        specs.append(QuestionSpec(kind, prompt, options, required))
    if errors:
        raise SurveyError(errors)
    return specs


def questions_text(survey: Survey) -> str:
    """The survey's questions in the format ``parse_questions`` reads, for editing."""
    word = {v: k for k, v in KIND_WORDS.items() if k != "文本"}
    blocks = []
    for q in survey.questions:
        head = f"[{word[q.kind_enum]}] {q.prompt}" + ("" if q.required else "（选答）")
        blocks.append("\n".join([head, *q.options]))
    return "\n\n".join(blocks)


def save_draft(
    survey: Survey,
    *,
    title: str,
    description: str,
    opens_at: datetime,
    closes_at: datetime,
    branches: list[Branch],
    groups: list[Group],
    questions: str,
) -> Survey:
    """Set a draft's fields and replace its questions; everything or nothing (SurveyError)."""
    if survey.status != SurveyStatus.DRAFT.value:
        raise SurveyError(["问卷已发布，不能再修改题目和对象"])
    errors: list[str] = []
    if not title.strip():
        errors.append("【标题】不能为空")
    if closes_at <= opens_at:
        errors.append("【结束时间】必须晚于开始时间")
    try:
        specs = parse_questions(questions)
    except SurveyError as exc:
        errors.extend(exc.messages)
        specs = []
    if errors:
        raise SurveyError(errors)
    survey.title, survey.description = title.strip(), description.strip()
    survey.opens_at, survey.closes_at = opens_at, closes_at
    survey.branches, survey.groups = branches, groups
    if survey.questions:
        survey.questions.clear()
        db.session.flush()  # old numbers go before new ones take them (unique survey, position)
    survey.questions.extend(
        SurveyQuestion(
            position=i, kind=s.kind.value, prompt=s.prompt, options=s.options, required=s.required
        )
        for i, s in enumerate(specs, start=1)
    )
    return survey


def publish(survey: Survey) -> None:
    """Open the survey to its audience; it needs an audience, questions and a future end."""
    errors = []
    if survey.status != SurveyStatus.DRAFT.value:
        errors.append("问卷已发布过")
    if not survey.branches:
        errors.append("【调查对象】请至少选择一个部门")
    if not survey.questions:
        errors.append("【题目】至少需要一道题")
    if survey.closes_at <= now():
        errors.append("【结束时间】已过，请先修改结束时间")
    if errors:
        raise SurveyError(errors)
    survey.status, survey.published_at = SurveyStatus.PUBLISHED.value, now()


def close(survey: Survey) -> None:
    """End the survey now; answers stay."""
    if survey.status != SurveyStatus.PUBLISHED.value:
        raise SurveyError(["只有进行中的问卷可以结束"])
    survey.status = SurveyStatus.CLOSED.value
    # the window stays valid (closes_at > opens_at) for a survey ended before it opened
    survey.closes_at = max(min(survey.closes_at, now()), survey.opens_at + timedelta(seconds=1))
