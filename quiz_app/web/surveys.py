"""Anonymous 思想动态 surveys: organizers write, publish and read results; employees answer.

Views are thin: the rules (audience, anonymity, threshold) live in services.surveys.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from quiz_app.extensions import db
from quiz_app.models.survey import Survey, SurveyStatus
from quiz_app.services import access, audience
from quiz_app.services.branches import full_name
from quiz_app.services.surveys import MIN_GROUP, SurveyError, answering, authoring
from quiz_app.services.surveys import results as survey_results
from quiz_app.web import role_required
from quiz_app.web.campaign_forms import BeijingDateTimeField, checkboxes
from quiz_app.web.forms import fill_audience_choices

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

EXAMPLE = """[量表] 您对本单位当前学习安排的总体满意度（1很不满意，5很满意）

[单选] 您认为当前工作压力主要来自
业务任务
学习考核
其他

[多选] 您希望增加哪些学习形式
专题讲座
线上学习
交流研讨

[文字] 您对单位工作有什么意见和建议（选答）"""


class SurveyForm(FlaskForm):
    title = StringField("标题", validators=[InputRequired("【标题】不能为空"), Length(max=200)])
    description = TextAreaField("说明", validators=[Length(max=2000)])
    opens_at = BeijingDateTimeField("开始时间", validators=[InputRequired("【开始时间】不能为空")])
    closes_at = BeijingDateTimeField("结束时间", validators=[InputRequired("【结束时间】不能为空")])
    branch_ids = checkboxes("调查对象（勾选的部门含其全部下级）", coerce=int)
    group_ids = checkboxes("限定分组（可不选）", coerce=int)
    questions = TextAreaField("题目")


class PlainForm(FlaskForm):
    """CSRF only: the answer form and the buttons."""


def _user() -> Any:
    return current_user._get_current_object()


def _survey_or_404(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    return survey


def _managed(survey_id: int) -> Survey:
    survey = _survey_or_404(survey_id)
    if not authoring.can_manage(_user(), survey):
        abort(403, description="只有问卷的创建者和管理员可以管理该问卷")
    return survey


# --- employees -----------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    return render_template("surveys/index.html", items=answering.open_surveys(_user()))


@bp.route("/<int:survey_id>", methods=["GET", "POST"])
@login_required
def answer(survey_id: int) -> Any:
    survey = _survey_or_404(survey_id)
    user = _user()
    manager = authoring.can_manage(user, survey)
    if survey.status == SurveyStatus.DRAFT.value and not manager:
        abort(404)  # a draft is nobody's business but its authors'
    if not answering.may_answer(user, survey) and not manager:
        abort(403, description="您不在本问卷的调查对象范围内")
    form = PlainForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            answering.submit(survey, user, request.form.to_dict(flat=False))
        except SurveyError as exc:
            db.session.rollback()
            errors, status = exc.messages, exc.status
        else:
            db.session.commit()
            flash("已提交，谢谢您的参与。您的答卷不与您的姓名关联。", "success")
            return redirect(url_for("surveys.index"))
    return render_template(
        "surveys/answer.html",
        survey=survey,
        form=form,
        errors=errors,
        posted=request.form if request.method == "POST" else None,
        answered=answering.has_answered(user, survey),
        is_open=answering.is_open(survey),
        audience=answering.may_answer(user, survey),
        min_group=MIN_GROUP,
    ), status


# --- organizers ----------------------------------------------------------------------------------


@bp.get("/manage")
@role_required(access.can_organize)
def manage() -> Any:
    stmt = sa.select(Survey).order_by(Survey.opens_at.desc(), Survey.id.desc())
    user = _user()
    if not access.is_admin(user):
        stmt = stmt.where(Survey.created_by_id == user.id)
    return render_template("surveys/manage.html", surveys=db.session.scalars(stmt).all())


def _choices(form: SurveyForm, survey: Survey | None) -> dict[int, int]:
    return fill_audience_choices(form, survey)


def _edit(form: SurveyForm, survey: Survey) -> Any:
    depths = _choices(form, survey if survey.id else None)
    errors: list[str] = []
    if form.validate_on_submit():
        picked, picked_groups = audience.chosen(
            form.branch_ids.data or [], form.group_ids.data or []
        )
        try:
            authoring.save_draft(
                survey,
                title=form.title.data or "",
                description=form.description.data or "",
                opens_at=form.opens_at.data,
                closes_at=form.closes_at.data,
                branches=picked,
                groups=picked_groups,
                questions=form.questions.data or "",
            )
        except SurveyError as exc:
            db.session.rollback()
            errors = exc.messages
        else:
            if survey.id is None:
                survey.created_by = _user()
                db.session.add(survey)
            db.session.commit()
            flash("已保存问卷（草稿），检查无误后请发布", "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    status = 400 if errors or form.errors else 200
    return render_template(
        "surveys/form.html",
        form=form,
        survey=survey if survey.id else None,
        depths=depths,
        errors=errors,
        example=EXAMPLE,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@role_required(access.can_organize)
def new() -> Any:
    form = SurveyForm()
    if request.method == "GET":
        form.questions.data = EXAMPLE
    return _edit(form, Survey(status=SurveyStatus.DRAFT.value))


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@role_required(access.can_organize)
def edit(survey_id: int) -> Any:
    survey = _managed(survey_id)
    if survey.status != SurveyStatus.DRAFT.value:
        flash("问卷已发布，不能再修改题目和对象", "error")
        return redirect(url_for("surveys.show", survey_id=survey.id))
    form = SurveyForm(obj=survey)
    if request.method == "GET":
        form.branch_ids.data = [b.id for b in survey.branches]
        form.group_ids.data = [g.id for g in survey.groups]
        form.questions.data = authoring.questions_text(survey)
    return _edit(form, survey)


@bp.get("/<int:survey_id>/manage")
@role_required(access.can_organize)
def show(survey_id: int) -> Any:
    survey = _managed(survey_id)
    return render_template(
        "surveys/show.html",
        survey=survey,
        form=PlainForm(),
        audience=audience.audience_size(survey),
        answered=survey_results.answered_count(survey),
        audience_names="、".join(full_name(b) for b in survey.branches),
    )


@bp.post("/<int:survey_id>/publish")
@role_required(access.can_organize)
def publish(survey_id: int) -> Response:
    survey = _managed(survey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        authoring.publish(survey)
    except SurveyError as exc:
        db.session.rollback()
        flash("；".join(exc.messages), "error")
    else:
        db.session.commit()
        flash("问卷已发布", "success")
    return redirect(url_for("surveys.show", survey_id=survey.id))


@bp.post("/<int:survey_id>/close")
@role_required(access.can_organize)
def close(survey_id: int) -> Response:
    survey = _managed(survey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        authoring.close(survey)
    except SurveyError as exc:
        db.session.rollback()
        flash("；".join(exc.messages), "error")
    else:
        db.session.commit()
        flash("问卷已结束", "success")
    return redirect(url_for("surveys.show", survey_id=survey.id))


@bp.get("/<int:survey_id>/results")
@role_required(access.can_organize)
def results(survey_id: int) -> Any:
    survey = _managed(survey_id)
    return render_template(
        "surveys/results.html",
        survey=survey,
        res=survey_results.results(survey),
        min_group=MIN_GROUP,
    )


@bp.get("/<int:survey_id>/not-yet")
@role_required(access.can_organize)
def not_yet(survey_id: int) -> Any:
    survey = _managed(survey_id)
    people = survey_results.not_yet(survey)
    return render_template(
        "surveys/not_yet.html", survey=survey, people=people, full_name=full_name
    )
