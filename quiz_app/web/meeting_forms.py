"""Forms of the meeting pages; labels and messages in Chinese."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quiz_app.models.meetings import PERIOD_LABELS

PERIOD_CHOICES = [SelectChoice(k, v) for k, v in PERIOD_LABELS.items()]


def _int_or_none(value: object) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() else None


class MeetingForm(FlaskForm):
    """The record's own fields; attendance comes as expected / status_<id> / reason_<id>."""

    # a bad value reaches the service, which names the field in Chinese
    type_id = SelectField("会议类型", coerce=_int_or_none, validate_choice=False)
    topic = StringField("议题", validators=[Length(max=200)])
    planned_at = StringField("计划时间（北京时间）", render_kw={"type": "datetime-local"})
    held_at = StringField("实际召开时间（召开后填写）", render_kw={"type": "datetime-local"})
    duration_minutes = StringField("时长（分钟）", default="90", render_kw={"inputmode": "numeric"})
    place = StringField("地点", validators=[Length(max=100)])
    host = StringField("主持人", validators=[Length(max=50)])
    recorder = StringField("记录人", validators=[Length(max=50)])
    observers = StringField("列席人员（姓名，用顿号分隔）", validators=[Length(max=300)])
    content = TextAreaField("会议内容", render_kw={"rows": 6})
    resolutions = TextAreaField("会议决议", render_kw={"rows": 3})
    version_note = StringField("修改说明（已审核的记录必填）", validators=[Length(max=300)])
    submit = SubmitField("保存")


class ReviewForm(FlaskForm):
    comment = TextAreaField("审核意见（退回时必填）", render_kw={"rows": 3})
    decision = HiddenField()


class AttachmentForm(FlaskForm):
    file = FileField("照片或 PDF（签到表、课件等）", validators=[FileRequired("请选择文件")])
    submit = SubmitField("上传")


class TypeDefaultForm(FlaskForm):
    type_id = HiddenField()
    period = SelectField("周期", choices=[SelectChoice("", "不作要求"), *PERIOD_CHOICES])
    count = IntegerField("次数", validators=[Optional(), NumberRange(0, 31, "次数应为0到31")])
    kinds = StringField("适用的部门类别（顿号分隔）", validators=[Length(max=200)])
    submit = SubmitField("保存")


class NewTypeForm(FlaskForm):
    code = StringField("编码（英文）", validators=[DataRequired("请填写编码"), Length(max=30)])
    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=50)])
    period = SelectField("周期", choices=[SelectChoice("", "不作要求"), *PERIOD_CHOICES])
    count = IntegerField("次数", default=1, validators=[Optional(), NumberRange(0, 31)])
    kinds = StringField("适用的部门类别（顿号分隔）", validators=[Length(max=200)])
    submit = SubmitField("新增会议类型")


class RuleForm(FlaskForm):
    type_id = SelectField("会议类型", coerce=int)
    scope = SelectField("适用于", coerce=str)
    period = SelectField("周期", choices=PERIOD_CHOICES)
    count = IntegerField(
        "次数（0 表示不作要求）", default=1, validators=[NumberRange(0, 31, "次数应为0到31")]
    )
    submit = SubmitField("保存频次")


class ExemptionForm(FlaskForm):
    branch_id = SelectField("部门", coerce=int)
    type_id = SelectField("会议类型", coerce=int)
    period_key = StringField(
        "周期（如 2026-03、2026-Q1、2026-H1、2026）", validators=[DataRequired("请填写周期")]
    )
    reason = StringField("免除原因", validators=[Length(max=300)])
    submit = SubmitField("添加免除")


class CoverForm(FlaskForm):
    party_branch_id = SelectField("党支部", coerce=int)
    branch_ids = SelectMultipleField(
        "覆盖的部门（其全部下级人员都是该支部的党员）",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField("保存覆盖范围")
