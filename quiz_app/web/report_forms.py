"""WTForms for 一学一报 pages: the requirement an organizer sets, and a reviewer's decision."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from quiz_app.web.campaign_forms import BeijingDateTimeField, checkboxes, parse_int


class RequirementForm(FlaskForm):
    title = StringField(
        "标题",
        validators=[InputRequired("【标题】不能为空"), Length(max=200, message="【标题】太长")],
    )
    instructions = TextAreaField(
        "写作要求（可不填）", validators=[Length(max=5000, message="【写作要求】太长")]
    )
    campaign_id = SelectField("所属活动", coerce=int)
    due_at = BeijingDateTimeField(
        "截止时间（北京时间）", validators=[InputRequired("【截止时间】不能为空")]
    )
    min_chars = StringField("最少字数（不计空格和换行）", default="300")
    max_photos = StringField("最多可附照片（张，0 表示不收照片）", default="3")
    branch_ids = checkboxes("报送范围（勾选的部门含其全部下级）", coerce=int)
    group_ids = checkboxes("限定分组（可不选；选了则只面向这些分组中的人）", coerce=int)

    def validate_min_chars(self, field: Field) -> None:
        field.data = parse_int(field.data, 0, 5000, "【最少字数】应为 0 到 5000 之间的整数")
        if field.data is None:
            field.data = 0

    def validate_max_photos(self, field: Field) -> None:
        field.data = parse_int(field.data, 0, 9, "【照片】应为 0 到 9 之间的整数")
        if field.data is None:
            field.data = 0

    def validate_branch_ids(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("【报送范围】请至少选择一个部门")


class ReviewForm(FlaskForm):
    decision = RadioField(
        "审阅结果",
        choices=[SelectChoice("approved", "通过"), SelectChoice("returned", "退回修改")],
        validators=[InputRequired("请选择“通过”或“退回修改”")],
    )
    comment = TextAreaField(
        "审阅意见（退回时必填）", validators=[Length(max=2000, message="【审阅意见】太长")]
    )
