"""Organizer pages for campaigns: create and edit, publish, close early, delete drafts, who has not
taken part yet, and re-grading after a key fix. A quiz's own pages are in web/campaign_quizzes.py
and its paper sections in web/campaign_sections.py (same blueprint, same endpoints).

Fairness is enforced here on the server, not only by what the pages show: after publishing only
the words and a later closing time change, and a quiz's rules (services.campaigns.rules_locked)
are refused whatever is posted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from quiz_app.clock import format_local, now
from quiz_app.extensions import db
from quiz_app.models import (
    Campaign,
    CampaignStatus,
    Quiz,
    QuizSection,
)
from quiz_app.services import (
    access,
    audience,
    audit,
    branches,
    campaign_extras,
    campaigns,
    papers,
    regrade,
)
from quiz_app.services.importing import QuestionType
from quiz_app.services.textcheck import parse_id
from quiz_app.web import get_child_or_404, role_required
from quiz_app.web.campaign_forms import (
    COUNTING_LABELS,
    THEME_SUGGESTIONS,
    CampaignForm,
    ConfirmedActionForm,
    PublishedCampaignForm,
)
from quiz_app.web.forms import ConfirmForm, fill_audience_choices

bp = Blueprint("campaigns", __name__, url_prefix="/manage/campaigns")
TYPE_LABELS = {t.value: t.label for t in QuestionType}
PICKER_LIMIT = 100
LOCKED_MESSAGE = "活动已发布，竞答规则已锁定，不能修改：{}。如确需调整，请另建活动"


@bp.before_request
@role_required(access.can_organize)
def _organizers_only() -> None:
    return None


NOT_YOURS = "这个活动由其他组织者负责，您不是创建者或协作者，不能查看或修改。"


def _campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign, if this organizer may work on it (creator, co-editor, admin); else 403."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if not access.can_edit_campaign(current_user, campaign):
        abort(403, description=NOT_YOURS)
    return campaign


def _log(campaign: Campaign, action: str, summary: str, **details: Any) -> None:
    audit.record(
        current_user,
        action,
        summary,
        object_type="campaign",
        object_id=campaign.id,
        campaign_id=campaign.id,
        details=details,
        address=request.remote_addr or "",
    )


def _quiz_or_404(campaign: Campaign, quiz_id: int) -> Quiz:
    return get_child_or_404(Quiz, quiz_id, campaign_id=campaign.id)


def _section_or_404(quiz: Quiz, section_id: int) -> QuizSection:
    return get_child_or_404(QuizSection, section_id, quiz_id=quiz.id)


def _is_draft(campaign: Campaign) -> bool:
    return campaign.status == CampaignStatus.DRAFT


# --- list --------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    rows = db.session.execute(
        sa.select(Campaign, sa.func.count(Quiz.id))
        .outerjoin(Quiz, Quiz.campaign_id == Campaign.id)
        .where(access.editable_campaigns_clause(current_user))
        .group_by(Campaign.id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ).all()
    progress = {c.id: campaign_extras.progress(c) for c, _n in rows}
    return render_template("campaigns/index.html", rows=rows, moment=now(), progress=progress)


# --- create and edit a campaign ----------------------------------------------------------------


def _audience_choices(form: CampaignForm, campaign: Campaign | None) -> dict[int, int]:
    """Fill the branch and group checkboxes (an organizer picks within their own part of the
    tree); returns branch id → depth for the tree's indent."""
    return fill_audience_choices(form, campaign, access.organizer_scope(current_user))


def _set_audience(campaign: Campaign, form: CampaignForm) -> None:
    audience.set_audience(campaign, form.branch_ids.data or [], form.group_ids.data or [])


def _render_campaign_form(form: Any, campaign: Campaign | None, depths: dict[int, int]) -> str:
    return render_template(
        "campaigns/form.html",
        form=form,
        campaign=campaign,
        depths=depths,
        themes=THEME_SUGGESTIONS,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    form = CampaignForm()
    if request.method == "GET":
        form.opens_at.data, form.closes_at.data = campaign_extras.default_times(now())
    depths = _audience_choices(form, None)
    if form.validate_on_submit():
        campaign = Campaign(
            title=(form.title.data or "").strip(),
            description=(form.description.data or "").strip(),
            theme=(form.theme.data or "").strip(),
            opens_at=form.opens_at.data,
            closes_at=form.closes_at.data,
            status=CampaignStatus.DRAFT.value,
            created_by=current_user,
        )
        _set_audience(campaign, form)
        db.session.add(campaign)
        db.session.flush()
        _log(campaign, "campaign.create", f"创建活动“{campaign.title}”")
        db.session.commit()
        flash(f"已创建活动“{campaign.title}”（草稿），现在可以添加竞答", "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_campaign_form(form, None, depths)


def _same_minute(a: datetime | None, b: datetime | None) -> bool:
    """Equal as the datetime-local inputs show them (to the minute)."""
    return a is not None and b is not None and format_local(a) == format_local(b)


def _published_edit(campaign: Campaign) -> tuple[PublishedCampaignForm, list[str]]:
    """After publishing: words, and a closing time that may only move later."""
    form = PublishedCampaignForm(obj=campaign)
    errors: list[str] = []
    if not form.validate_on_submit():
        return form, errors
    # Anything else posted (a tampered or stale form) is refused, not ignored silently.
    full = CampaignForm(obj=campaign)
    _audience_choices(full, campaign)
    full.validate()
    if "opens_at" in request.form and not _same_minute(full.opens_at.data, campaign.opens_at):
        errors.append("活动已发布，开始时间不能修改")
    if ("branch_ids" in request.form or "group_ids" in request.form) and (
        set(full.branch_ids.data or []) != {b.id for b in campaign.branches}
        or set(full.group_ids.data or []) != {g.id for g in campaign.groups}
    ):
        errors.append("活动已发布，参加范围不能修改")
    new_close = form.closes_at.data
    if _same_minute(new_close, campaign.closes_at):
        new_close = (
            campaign.closes_at
        )  # the form shows minutes: an unchanged time keeps its seconds
    elif campaign.status == CampaignStatus.CLOSED:
        errors.append("活动已结束，结束时间不能再修改")
    elif new_close < campaign.closes_at:
        errors.append("活动已发布，结束时间只能延后，不能提前；如需立即结束，请使用“提前结束活动”")
    if errors:
        return form, errors
    campaign.title = (form.title.data or "").strip()
    campaign.description = (form.description.data or "").strip()
    campaign.theme = (form.theme.data or "").strip()
    campaign.closes_at = new_close
    return form, errors


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    if not _is_draft(campaign):
        form, errors = _published_edit(campaign)
        if request.method == "POST" and not errors and not form.errors:
            _log(campaign, "campaign.edit", f"修改已发布的活动“{campaign.title}”的说明或结束时间")
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
        for message in errors:
            flash(message, "error")
        return _render_campaign_form(form, campaign, {})
    form = CampaignForm(
        obj=campaign,
        branch_ids=[b.id for b in campaign.branches],
        group_ids=[g.id for g in campaign.groups],
    )
    depths = _audience_choices(form, campaign)
    if form.validate_on_submit():
        campaign.title = (form.title.data or "").strip()
        campaign.description = (form.description.data or "").strip()
        campaign.theme = (form.theme.data or "").strip()
        campaign.opens_at = form.opens_at.data  # type: ignore[assignment]
        campaign.closes_at = form.closes_at.data  # type: ignore[assignment]
        _set_audience(campaign, form)
        _log(campaign, "campaign.edit", f"修改活动“{campaign.title}”")
        db.session.commit()
        flash("已保存", "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _render_campaign_form(form, campaign, depths)


# --- one campaign: overview, publish, close, delete --------------------------------------------


@bp.get("/<int:campaign_id>")
def show(campaign_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    draft = _is_draft(campaign)
    quizzes = [
        {
            "quiz": q,
            "shortfalls": papers.shortfalls(q) if draft else [],
            "sections": [_section_summary(s) for s in q.sections],
            "stale": [] if draft else [s for s in regrade.stale_questions(q) if s.final_attempts],
        }
        for q in campaign.quizzes
    ]
    from quiz_app.web.campaign_extras import share_qr, share_url

    return render_template(
        "campaigns/show.html",
        share_url=share_url(campaign),
        share_qr=share_qr(campaign),
        progress=campaign_extras.progress(campaign),
        running=campaign_extras.running_count(campaign),
        campaign=campaign,
        draft=draft,
        quizzes=quizzes,
        audience_size=audience.audience_size(campaign),
        branch_names=[branches.full_name(b) for b in campaign.branches],
        confirm=ConfirmForm(),
        action=ConfirmedActionForm(),
        counting_labels=COUNTING_LABELS,
    )


@bp.post("/<int:campaign_id>/publish")
def publish(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        campaigns.publish(campaign)
    except campaigns.CampaignError as exc:
        db.session.rollback()
        flash("暂不能发布，请先处理以下问题：", "error")
        for problem in str(exc).split("；"):
            flash(problem, "error")
    else:
        _log(campaign, "campaign.publish", f"发布活动“{campaign.title}”")
        db.session.commit()
        flash("已发布：参加人员在开始时间后即可在首页看到并作答", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/close")
def close(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    form = ConfirmedActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirm.data:
        flash("请先勾选“我已确认”，再提前结束活动", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    try:
        campaigns.close(campaign)
    except campaigns.CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        _log(campaign, "campaign.close", f"提前结束活动“{campaign.title}”")
        db.session.commit()
        flash("活动已结束：不能再开始作答，正在作答的试卷已按结束时间截止", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/delete")
def delete(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    form = ConfirmedActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not _is_draft(campaign):
        flash("已发布的活动不能删除；如需停止，请使用“提前结束活动”", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    if not form.confirm.data:
        flash("请先勾选“我已确认”，再删除活动", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    title = campaign.title
    _log(campaign, "campaign.delete", f"删除草稿活动“{title}”")
    db.session.delete(campaign)
    db.session.commit()
    flash(f"已删除草稿“{title}”", "success")
    return redirect(url_for("campaigns.index"))


# --- quizzes (their pages are in web/campaign_quizzes.py) -----------------------------------------------------------------------------------


def _section_summary(section: QuizSection) -> str:
    """ "单选·党史 10 题 × 2 分" — how a section reads in lists."""
    points = f"{Decimal(section.points).normalize():f}"
    if section.is_fixed:
        return f"指定题目 {section.size} 题 × {points} 分"
    return f"{papers.section_label(section)} {section.size} 题 × {points} 分"


# --- participation -----------------------------------------------------------------------------


@bp.get("/<int:campaign_id>/quizzes/<int:quiz_id>/participation")
def participation(campaign_id: int, quiz_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    from quiz_app.web.campaign_extras import reminder

    listing = campaign_extras.not_yet(quiz)
    return render_template(
        "campaigns/participation.html",
        campaign=campaign,
        quiz=quiz,
        total=listing.total,
        missing=listing.missing,
        by_branch=listing.groups,
        text=reminder(quiz, listing),
    )


# --- re-grading --------------------------------------------------------------------------------


@bp.route("/<int:campaign_id>/quizzes/<int:quiz_id>/regrade", methods=["GET", "POST"])
def regrade_quiz(campaign_id: int, quiz_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        question_id = parse_id(request.form.get("question_id"))
        try:
            event = regrade.regrade_question(quiz, question_id or 0, current_user)
        except regrade.RegradeError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            _log(
                campaign,
                "regrade",
                f"按新答案重新评分竞答“{quiz.title}”的第 {question_id} 题："
                f"{event.items_regraded} 份答卷，{event.attempts_changed} 份得分有变化",
                quiz_id=quiz.id,
                question_id=question_id,
                items_regraded=event.items_regraded,
                attempts_changed=event.attempts_changed,
            )
            db.session.commit()
            flash(
                f"已按新答案重新评分 {event.items_regraded} 份答卷，"
                f"其中 {event.attempts_changed} 份得分有变化",
                "success",
            )
        return redirect(url_for("campaigns.regrade_quiz", campaign_id=campaign.id, quiz_id=quiz.id))
    return render_template(
        "campaigns/regrade.html",
        campaign=campaign,
        quiz=quiz,
        stale=regrade.stale_questions(quiz),
        history=regrade.history(quiz),
        confirm=ConfirmForm(),
        labels=TYPE_LABELS,
    )


# --- co-editors ------------------------------------------------------------------------------


@bp.post("/<int:campaign_id>/editors")
def editors(campaign_id: int) -> Response:
    """The creator (or an admin) names the organizers who may work on the campaign with them."""
    campaign = _campaign_or_404(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not (access.is_admin(current_user) or campaign.created_by_id == current_user.id):
        abort(403, description="只有活动的创建者或管理员可以指定协作者。")
    wanted, problem = access.changed_editors(
        list(campaign.editors),
        campaign.created_by_id,
        request.form.get("username") or "",
        request.form.get("remove", type=int),
    )
    if problem:
        flash(problem, "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    campaigns.set_editors(campaign, wanted)
    _log(
        campaign,
        "campaign.editors",
        f"活动“{campaign.title}”的协作者："
        + ("、".join(u.real_name for u in campaign.editors) or "无"),
        editors=[u.id for u in campaign.editors],
    )
    db.session.commit()
    flash("协作者已更新", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>/audit")
def audit_entries(campaign_id: int) -> Any:
    """What was done to this campaign, for the organizers who work on it."""
    from quiz_app.web import audit_pages

    campaign = _campaign_or_404(campaign_id)
    return audit_pages.render_entries(
        audit.AuditFilter(campaign_id=campaign.id), subtitle=campaign.title
    )
