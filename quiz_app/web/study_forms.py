"""WTForms for the study pages; labels and messages in Chinese."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from quiz_app.models.study import MaterialKind
from quiz_app.services.study.materials import MAX_MIN_MINUTES
from quiz_app.web.campaign_forms import BeijingDateTimeField, checkboxes, parse_int


class TrackForm(FlaskForm):
    title = StringField(
        "专题名称",
        validators=[InputRequired("请输入专题名称"), Length(max=200, message="名称太长")],
    )
    description = TextAreaField("专题说明", validators=[Length(max=5000)])
    opens_at = BeijingDateTimeField(
        "开始时间（北京时间）", validators=[InputRequired("请填写开始时间")]
    )
    closes_at = BeijingDateTimeField(
        "结束时间（北京时间）", validators=[InputRequired("请填写结束时间")]
    )
    quiz_id = SelectField("结业测试（可不选）", coerce=int)
    branch_ids = checkboxes("参加部门（勾选的部门含其全部下级）", coerce=int)
    group_ids = checkboxes("限定分组（可不选；选了则只面向这些分组中的人）", coerce=int)

    def validate_closes_at(self, field: Field) -> None:
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError("结束时间必须晚于开始时间")


class MaterialForm(FlaskForm):
    kind = SelectField(
        "类型", choices=[SelectChoice(k.value, k.label) for k in MaterialKind], default="article"
    )
    title = StringField(
        "标题", validators=[InputRequired("请输入标题"), Length(max=200, message="标题太长")]
    )
    min_minutes = StringField(
        "最短学习时间（分钟，0 表示不要求）", default="0", render_kw={"inputmode": "numeric"}
    )
    body_md = TextAreaField("正文（Markdown，文章才需要）", validators=[Length(max=200_000)])
    url = StringField("链接地址（链接才需要）", validators=[Length(max=1000)])
    file = FileField("上传文件（PDF 或 MP4 视频）")

    def minutes(self) -> int:
        value = parse_int(
            self.min_minutes.data, 0, MAX_MIN_MINUTES, f"请填写 0 到 {MAX_MIN_MINUTES} 的整数"
        )
        return value or 0

    def validate_min_minutes(self, field: Field) -> None:
        self.minutes()


class ImageForm(FlaskForm):
    image = FileField("插入图片（PNG、JPG、GIF）")
