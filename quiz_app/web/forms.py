"""WTForms for the pages; labels and messages in Chinese."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, PasswordInput

from quiz_app.models import Bank, Branch, Group, User
from quiz_app.services.audience import HasAudience, pickable
from quiz_app.services.importing.validate import CATEGORY_RULE
from quiz_app.services.textcheck import column_length, parse_id, text_problem
from quiz_app.web.validation import CleanLine


def optional_int(value: object) -> int | None:
    """A select's value as an id (0 stands for 全局), or None for "请选择" or nonsense."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip() == "0":
        return 0
    return parse_id(value)


def fill_audience_choices(
    form: FlaskForm, holder: HasAudience | None, scope: list[Branch] | None = None
) -> dict[int, int]:
    """Fill an audience form's checkboxes (``branch_ids``, ``group_ids``) for a campaign, 专题,
    一学一报 or survey; returns branch id → depth for the tree's indent."""
    offered, groups = pickable(holder, scope)
    form.branch_ids.choices = [SelectChoice(b.id, b.name) for b in offered]  # type: ignore[attr-defined]
    form.group_ids.choices = [SelectChoice(g.id, g.name) for g in groups]  # type: ignore[attr-defined]
    return {b.id: b.depth for b in offered}


def split_groups(text: str | None) -> list[str]:
    """Group names as typed in the user form (顿号, commas, semicolons, slashes or spaces)."""
    return [g for g in re.split(r"[;；,，、/\s]+", text or "") if g]


class LoginForm(FlaskForm):
    # No account has a longer name; a 10,000-character one overflowed the throttle's key column.
    username = StringField(
        "登录名", validators=[DataRequired("请输入登录名"), CleanLine(User.username)]
    )
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    remember = BooleanField("记住我")
    next = HiddenField()
    submit = SubmitField("登录")


class ChangePasswordForm(FlaskForm):
    # Kept after a mismatch of the new passwords, so only those two are typed again.
    current = PasswordField(
        "当前密码",
        validators=[DataRequired("请输入当前密码")],
        widget=PasswordInput(hide_value=False),
    )
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("new", "两次输入的新密码不一致")],
    )
    next = HiddenField()
    submit = SubmitField("修改密码")


class BranchForm(FlaskForm):
    name = StringField(
        "部门名称", validators=[DataRequired("请输入部门名称"), CleanLine(Branch.name)]
    )
    code = StringField(
        "部门编码",
        validators=[
            DataRequired("请输入部门编码"),
            CleanLine(Branch.code),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="编码只能包含字母、数字、下划线、点和短横线"),
        ],
    )
    parent_id = SelectField("上级部门", coerce=int)
    kind = StringField(
        "部门类别（如 机关处室、党支部、党小组、下属单位、局；会议频次按它定）",
        validators=[Length(max=20)],
    )
    submit = SubmitField("保存")


class MoveBranchForm(FlaskForm):
    parent_id = SelectField("移到", coerce=int)
    submit = SubmitField("移动")


class UserForm(FlaskForm):
    username = StringField(
        "登录名（工号或手机号）",
        validators=[
            DataRequired("请输入登录名"),
            CleanLine(User.username),
            Regexp(r"^\S+$", message="登录名不能含空格"),
        ],
    )
    real_name = StringField(
        "姓名", validators=[DataRequired("请输入姓名"), CleanLine(User.real_name)]
    )
    phone = StringField(
        "手机号",
        validators=[Optional(), Regexp(r"^1\d{10}$", message="请输入11位手机号")],
    )
    branch_id = SelectField("所属部门", coerce=int)
    roles = SelectMultipleField(
        "角色（每个人都是普通员工，可再加以下角色）",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        choices=[
            SelectChoice("organizer", "组织者"),
            SelectChoice("leader", "领导"),
            SelectChoice("admin", "管理员"),
            SelectChoice("secretary", "支部书记"),
        ],
    )
    # No default: a leader's or secretary's scope is chosen on purpose ("" is 请选择, 0 is 全局).
    leader_scope = SelectField(
        "领导可查看的范围", coerce=optional_int, default=None, validate_choice=False
    )
    organizer_scope = SelectField(
        "组织者可面向的范围", coerce=int, validate_choice=False, default=0
    )
    secretary_scope = SelectField(
        "支部书记负责的组织", coerce=optional_int, default=None, validate_choice=False
    )
    groups = StringField(
        "分组（用顿号或逗号分隔，如：党员、中层干部）", validators=[Length(max=300)]
    )
    active = BooleanField("在用", default=True)
    submit = SubmitField("保存")

    def validate_groups(self, field: StringField) -> None:
        limit = column_length(Group.name)
        for name in split_groups(field.data):
            problem = text_problem(name, max_len=limit)
            if problem:
                raise ValidationError(f"【分组】“{name[:20]}”{problem}")


class UploadForm(FlaskForm):
    file = FileField("选择文件", validators=[FileRequired("请选择要上传的文件")])
    submit = SubmitField("上传并检查")


class RosterConfirmForm(FlaskForm):
    """The roster preview's 确认导入: the token of the file kept on the server."""

    token = HiddenField()
    submit = SubmitField("确认导入")


class ConfirmForm(FlaskForm):
    """A bare POST form: carries only the CSRF token for buttons that change something."""

    submit = SubmitField("确定")


class BankForm(FlaskForm):
    name = StringField(
        "题库名称", validators=[DataRequired("请输入题库名称"), CleanLine(Bank.name)]
    )
    description = TextAreaField("说明", validators=[Length(max=2000)])
    submit = SubmitField("保存")


class BankImportForm(FlaskForm):
    file = FileField("上传文件（.xlsx、.csv、.txt、.docx）")
    text = TextAreaField("或直接粘贴题目文字（Word 中复制即可）")
    format = SelectField(
        "格式",
        choices=[
            SelectChoice("", "自动识别"),
            SelectChoice("xlsx", "Excel（.xlsx）"),
            SelectChoice("csv", "CSV"),
            SelectChoice("text", "Word 风格文字"),
            SelectChoice("docx", "Word（.docx）"),
            SelectChoice("gift", "Moodle GIFT"),
            SelectChoice("aiken", "Moodle Aiken"),
        ],
    )
    submit = SubmitField("检查并预览")


class ImportConfirmForm(FlaskForm):
    token = HiddenField()
    on_duplicate = RadioField(
        "题库中已有的题目（题干和题型相同）",
        choices=[
            SelectChoice("skip", "跳过，保留题库中的版本"),
            SelectChoice("update", "用文件中的内容更新（记为新版本）"),
        ],
        default="skip",
    )
    submit = SubmitField("确认导入")


QUESTION_TYPE_CHOICES = [
    SelectChoice("single", "单选"),
    SelectChoice("multiple", "多选"),
    SelectChoice("judge", "判断"),
    SelectChoice("blank", "填空"),
]


class QuestionForm(FlaskForm):
    """The same fields as a template row; validated by the importer's own rules."""

    type = SelectField("题型", choices=QUESTION_TYPE_CHOICES)
    stem = TextAreaField("题干", render_kw={"rows": 4})
    option_a = StringField("选项A")
    option_b = StringField("选项B")
    option_c = StringField("选项C")
    option_d = StringField("选项D")
    option_e = StringField("选项E")
    option_f = StringField("选项F")
    option_g = StringField("选项G")
    option_h = StringField("选项H")
    answer = StringField("答案")
    explanation = TextAreaField(
        "解析（请注明出处，如《中国共产党章程》第几条）", render_kw={"rows": 3}
    )
    categories = StringField("分类", description=CATEGORY_RULE)
    difficulty = SelectField(
        "难度", choices=[SelectChoice("易"), SelectChoice("中"), SelectChoice("难")], default="中"
    )
    score = StringField("分值（可不填）")
    submit = SubmitField("保存")

    OPTION_FIELDS = (
        "option_a",
        "option_b",
        "option_c",
        "option_d",
        "option_e",
        "option_f",
        "option_g",
        "option_h",
    )
