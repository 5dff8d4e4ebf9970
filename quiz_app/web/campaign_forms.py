"""WTForms for the campaign and quiz pages; labels and messages in Chinese.

Times are entered as Beijing time (datetime-local inputs) and come out as aware UTC datetimes.
Numbers are plain text inputs parsed here, so every message a person sees is in Chinese.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, DateTimeLocalInput, ListWidget

from quiz_app.clock import LOCAL_TZ, format_local
from quiz_app.models import (
    AttemptCounting,
    Campaign,
    MultipleScoring,
    Quiz,
    QuizSection,
    ReviewPolicy,
)
from quiz_app.services.importing import DIFFICULTIES, QuestionType
from quiz_app.services.textcheck import numeric_max
from quiz_app.web.validation import CleanLine

THEME_SUGGESTIONS = ("党史学习教育", "纪律教育月", "保密知识学习", "党章党规学习", "安全生产知识")
COUNTING_LABELS = {
    AttemptCounting.BEST.value: "取最高一次",
    AttemptCounting.LAST.value: "取最后一次",
}
MAX_POINTS = numeric_max(QuizSection.points)  # 9999.99: what one question's column holds
# Dates people may enter: year 1 overflows when moved to UTC, year 9999 when a duration is added.
MIN_YEAR, MAX_YEAR = 2000, 2099


class BeijingDateTimeField(Field):
    """A datetime-local input read as Beijing time; ``data`` is an aware UTC datetime."""

    widget = DateTimeLocalInput()
    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_local(self.data, "%Y-%m-%dT%H:%M") if self.data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return  # not posted: keep the current value
        text = str(valuelist[0]).strip()
        if not text:
            self.data = None
            return
        for fmt in self.FORMATS:
            try:
                local = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if not MIN_YEAR <= local.year <= MAX_YEAR:
                self.data = None
                raise ValueError(f"年份应在{MIN_YEAR}到{MAX_YEAR}之间")
            self.data = local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
            return
        self.data = None
        raise ValueError("请按“年-月-日 时:分”填写北京时间")


def checkboxes(label: str, **kwargs: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(), **kwargs
    )


def parse_int(text: str | None, low: int, high: int, message: str) -> int | None:
    """An integer between ``low`` and ``high``, None for an empty input; ValidationError else."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValidationError(message) from None
    if not low <= value <= high:
        raise ValidationError(message)
    return value


def parse_points(text: str | None, message: str, allow_zero: bool = False) -> Decimal | None:
    """A score with at most two decimals, None for an empty input; ValidationError else."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(message) from None
    if (
        not value.is_finite()
        or value > MAX_POINTS
        or value < 0
        or (value == 0 and not allow_zero)
        or value.as_tuple().exponent < -2  # type: ignore[operator]
    ):
        raise ValidationError(message)
    return value


# --- campaigns ---------------------------------------------------------------------------------


class CampaignForm(FlaskForm):
    title = StringField(
        "活动名称",
        validators=[InputRequired("请输入活动名称"), CleanLine(Campaign.title)],
    )
    description = TextAreaField("活动说明", validators=[Length(max=5000)])
    theme = StringField(
        "主题（可不填）",
        validators=[CleanLine(Campaign.theme)],
        render_kw={"list": "theme-suggestions", "autocomplete": "off"},
    )
    opens_at = BeijingDateTimeField(
        "开始时间（北京时间）", validators=[InputRequired("请填写开始时间")]
    )
    closes_at = BeijingDateTimeField(
        "结束时间（北京时间）", validators=[InputRequired("请填写结束时间")]
    )
    branch_ids = checkboxes("参加部门（勾选的部门含其全部下级）", coerce=int)
    group_ids = checkboxes("限定分组（可不选；选了则只面向这些分组中的人）", coerce=int)

    def validate_closes_at(self, field: Field) -> None:
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError("结束时间必须晚于开始时间")


class PublishedCampaignForm(FlaskForm):
    """What may still change after publishing: the words, and a later closing time."""

    title = CampaignForm.title
    description = CampaignForm.description
    theme = CampaignForm.theme
    closes_at = BeijingDateTimeField(
        "结束时间（北京时间）", validators=[InputRequired("请填写结束时间")]
    )


class ConfirmedActionForm(FlaskForm):
    """A POST that needs a ticked box, for actions that cannot be undone (no script needed)."""

    confirm = BooleanField("我已确认")


# --- quizzes -----------------------------------------------------------------------------------

ATTEMPT_MODES = [
    SelectChoice("one", "1次（竞答）"),
    SelectChoice("many", "多次"),
    SelectChoice("unlimited", "不限次数"),
]

# The rules that decide fairness: locked once the campaign is published. Field name → label.
LOCKED_RULE_FIELDS = {
    "time_limit": "限时",
    "attempts_mode": "作答次数",
    "attempts_number": "作答次数",
    "counting": "计入成绩的方式",
    "pass_mark": "及格分",
    "shuffle_questions": "题目乱序",
    "shuffle_options": "选项乱序",
    "multiple_scoring": "多选题计分",
}


class QuizForm(FlaskForm):
    title = StringField(
        "竞答名称",
        validators=[InputRequired("请输入竞答名称"), CleanLine(Quiz.title)],
    )
    instructions = TextAreaField("答题说明（可不填）", validators=[Length(max=5000)])
    time_limit = StringField(
        "限时（分钟；留空为不限时）", render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    attempts_mode = RadioField("可作答次数", choices=ATTEMPT_MODES, default="one")
    attempts_number = StringField(
        "次数（选“多次”时填写）", render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    counting = RadioField(
        "多次作答时计入成绩的一次",
        choices=[SelectChoice(k, v) for k, v in COUNTING_LABELS.items()],
        default=AttemptCounting.BEST.value,
    )
    pass_mark = StringField(
        "及格分（得分；可不填）", render_kw={"inputmode": "decimal", "autocomplete": "off"}
    )
    shuffle_questions = BooleanField("题目乱序（随机抽题部分，每人顺序不同）", default=True)
    shuffle_options = BooleanField("选项乱序（单选、多选题）")
    review_policy = RadioField(
        "交卷后",
        choices=[SelectChoice(p.value, p.label) for p in ReviewPolicy],
        # A one-attempt 竞答 is the default: early finishers must not be able to post the answers.
        default=ReviewPolicy.AFTER_CLOSE.value,
    )
    multiple_scoring = RadioField(
        "多选题计分",
        choices=[SelectChoice(m.value, m.label) for m in MultipleScoring],
        default=MultipleScoring.ALL_OR_NOTHING.value,
    )

    def validate_time_limit(self, field: Field) -> None:
        parse_int(field.data, 1, 1440, "限时应为1到1440之间的整数（分钟），不限时请留空")

    def validate_attempts_number(self, field: Field) -> None:
        if self.attempts_mode.data != "many":
            return
        if parse_int(field.data, 2, 100, "次数应为2到100之间的整数") is None:
            raise ValidationError("请填写可作答的次数")

    def validate_pass_mark(self, field: Field) -> None:
        parse_points(field.data, "及格分应为不小于0的数字，最多两位小数", allow_zero=True)

    def rules(self) -> dict[str, Any]:
        """The validated fairness rules as Quiz attributes."""
        minutes = parse_int(self.time_limit.data, 1, 1440, "")
        if self.attempts_mode.data == "one":
            allowed: int | None = 1
        elif self.attempts_mode.data == "many":
            allowed = parse_int(self.attempts_number.data, 2, 100, "")
        else:
            allowed = None
        return {
            "time_limit_seconds": minutes * 60 if minutes else None,
            "attempts_allowed": allowed,
            "counting": self.counting.data,
            "pass_mark": parse_points(self.pass_mark.data, "", allow_zero=True),
            "shuffle_questions": bool(self.shuffle_questions.data),
            "shuffle_options": bool(self.shuffle_options.data),
            "multiple_scoring": self.multiple_scoring.data,
        }


def quiz_form_data(quiz: Any) -> dict[str, Any]:
    """A quiz's values in the form's shape (for showing it, and as defaults)."""
    allowed = quiz.attempts_allowed
    return {
        "title": quiz.title,
        "instructions": quiz.instructions,
        "time_limit": str(quiz.time_limit_seconds // 60) if quiz.time_limit_seconds else "",
        "attempts_mode": "unlimited" if allowed is None else ("one" if allowed == 1 else "many"),
        "attempts_number": str(allowed) if allowed and allowed > 1 else "",
        "counting": quiz.counting,
        "pass_mark": "" if quiz.pass_mark is None else f"{Decimal(quiz.pass_mark).normalize():f}",
        "shuffle_questions": quiz.shuffle_questions,
        "shuffle_options": quiz.shuffle_options,
        "review_policy": quiz.review_policy,
        "multiple_scoring": quiz.multiple_scoring,
    }


class QuizTextForm(FlaskForm):
    """What may still change after publishing: the name, the instructions, the review policy."""

    title = QuizForm.title
    instructions = QuizForm.instructions
    review_policy = QuizForm.review_policy


# --- sections ----------------------------------------------------------------------------------

TYPE_CHOICES = [SelectChoice(t.value, t.label) for t in QuestionType]


class RandomSectionForm(FlaskForm):
    title = StringField(
        "小标题（可不填，如“一、单选题”）", validators=[CleanLine(QuizSection.title)]
    )
    question_type = SelectField("题型", choices=TYPE_CHOICES)
    count = StringField("题数", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    points = StringField("每题分值", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    bank_ids = checkboxes("从这些题库抽取", coerce=int)
    categories = checkboxes("限定分类（不选为不限）")
    difficulties = checkboxes(
        "限定难度（不选为不限）", choices=[SelectChoice(d) for d in DIFFICULTIES]
    )

    def validate_count(self, field: Field) -> None:
        if parse_int(field.data, 1, 500, "题数应为1到500之间的整数") is None:
            raise ValidationError("请填写题数")

    def validate_points(self, field: Field) -> None:
        if parse_points(field.data, "每题分值应为大于0的数字，最多两位小数") is None:
            raise ValidationError("请填写每题分值")

    def validate_bank_ids(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("请至少选择一个题库")


class FixedSectionForm(FlaskForm):
    """A fixed list of questions; the ticked question ids arrive as ``question_ids``."""

    title = RandomSectionForm.title
    points = RandomSectionForm.points

    def validate_points(self, field: Field) -> None:
        if parse_points(field.data, "每题分值应为大于0的数字，最多两位小数") is None:
            raise ValidationError("请填写每题分值")
