"""Organizer extras for a campaign: the share code people scan, the preview paper, the not-yet
export. Kept beside web/campaigns.py (already long); every organizer route checks ownership."""

from __future__ import annotations

import json
import random
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from quiz_app.clock import now, to_local
from quiz_app.extensions import db
from quiz_app.models import Campaign, CampaignStatus
from quiz_app.services import access, audience, audit, campaign_extras, review
from quiz_app.services import trial as trial_service
from quiz_app.services.importing import DIFFICULTIES
from quiz_app.services.meetings.checkin import qr_svg
from quiz_app.services.textcheck import parse_id
from quiz_app.web import role_required, xlsx_download
from quiz_app.web.campaigns import TYPE_LABELS, _campaign_or_404, _quiz_or_404

bp = Blueprint("campaign_extras", __name__)


def share_url(campaign: Campaign) -> str:
    """The address on the share code (absolute, as the phone that scans it needs)."""
    return url_for("campaign_extras.share", campaign_id=campaign.id, _external=True)


def share_qr(campaign: Campaign) -> str:
    return qr_svg(share_url(campaign))


@bp.get("/c/<int:campaign_id>")
@login_required
def share(campaign_id: int) -> Any:
    """扫码答题: sign in if needed (login ``next``), then the campaign's quiz."""
    campaign = db.session.get(Campaign, campaign_id)
    if (
        campaign is None
        or campaign.status == CampaignStatus.DRAFT
        or not audience.in_audience(current_user, campaign)
    ):
        abort(404, description="这个活动不存在、尚未发布，或不面向您。")
    quiz = campaign_extras.landing_quiz(campaign)
    if quiz is None:
        return redirect(url_for("home.index"))
    return redirect(url_for("take.quiz", quiz_id=quiz.id))


@bp.route(
    "/manage/campaigns/<int:campaign_id>/quizzes/<int:quiz_id>/preview", methods=["GET", "POST"]
)
@role_required(access.can_organize)
def preview(campaign_id: int, quiz_id: int) -> Any:
    """预览试卷 / 试答: drawn and graded in memory, never stored, so never counted."""
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    seed_text = request.form.get("seed") or request.args.get("seed") or ""
    seed = int(seed_text) if seed_text.isdigit() and len(seed_text) < 12 else None
    if seed is None:
        seed = random.SystemRandom().randrange(10**9)
    try:
        paper = campaign_extras.preview_paper(quiz, seed)
    except ValueError as exc:
        flash(f"暂不能预览：{exc}", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    total = None
    if request.method == "POST":
        total = campaign_extras.grade_preview(quiz, paper, request.form)
    return render_template(
        "campaigns/preview.html",
        campaign=campaign,
        quiz=quiz,
        paper=paper,
        seed=seed,
        total=total,
        problems=[i.problem for i in paper if i.problem],
    )


@bp.get("/manage/campaigns/<int:campaign_id>/quizzes/<int:quiz_id>/trial")
@role_required(access.can_organize)
def trial(campaign_id: int, quiz_id: int) -> Any:
    """试答: a fresh paper on the staff quiz page; nothing is written (services/trial.py)."""
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    moment = now()
    try:
        paper = trial_service.draw(quiz, current_user.id, moment)
    except trial_service.TrialError as exc:
        flash(str(exc), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template(
        "campaigns/trial.html",
        campaign=campaign,
        quiz=quiz,
        paper=trial_service.payload(quiz, paper, moment),
        token=trial_service.encode(paper, current_app.secret_key or ""),
    )


@bp.post("/manage/campaigns/<int:campaign_id>/quizzes/<int:quiz_id>/trial")
@role_required(access.can_organize)
def trial_result(campaign_id: int, quiz_id: int) -> Any:
    """试答 handed in: graded by the staff rules and shown with its review, then forgotten."""
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    moment = now()
    try:
        paper = trial_service.decode(
            request.form.get("token", ""), current_app.secret_key or "", quiz, current_user.id
        )
        answers = json.loads(request.form.get("answers", "{}")[:200_000] or "{}")
    except trial_service.TrialError as exc:
        flash(str(exc), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    except ValueError:
        flash("试答的答案无法读取，请重新试答。", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    result = trial_service.grade(
        quiz, paper, answers, moment, by_clock=request.form.get("auto") == "1"
    )
    questions = review.from_payload(result.payload)
    return render_template(
        "campaigns/trial_result.html",
        campaign=campaign,
        quiz=quiz,
        result=result,
        questions=questions,
        summary=review.summary(questions),
    )


@bp.get("/manage/campaigns/<int:campaign_id>/quizzes/<int:quiz_id>/pool-count")
@role_required(access.can_organize)
def pool_count(campaign_id: int, quiz_id: int) -> Any:
    """The live count next to 题数 on the random-draw form (read-only JSON for organizers)."""
    campaign = _campaign_or_404(campaign_id)
    _quiz_or_404(campaign, quiz_id)
    args = request.args
    bank_ids = [i for raw in args.getlist("bank_ids")[:200] if (i := parse_id(raw)) is not None]
    question_type = args.get("question_type", "")
    if question_type not in TYPE_LABELS:
        return jsonify({"error": "bad_type", "message": "题型不正确"}), 400
    count = campaign_extras.pool_count(
        question_type,
        bank_ids,
        [c[:100] for c in args.getlist("categories")[:200]],
        [d for d in args.getlist("difficulties") if d in DIFFICULTIES],
    )
    return jsonify({"count": count})


@bp.get("/manage/campaigns/<int:campaign_id>/quizzes/<int:quiz_id>/not-yet.xlsx")
@role_required(access.can_organize)
def not_yet_export(campaign_id: int, quiz_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    listing = campaign_extras.not_yet(quiz)
    data = campaign_extras.not_yet_xlsx(quiz, listing)
    audit.record(
        current_user,
        "export.personal",
        f"导出“{campaign.title}·{quiz.title}”的未完成名单（{listing.missing} 人）",
        object_type="campaign",
        object_id=campaign.id,
        campaign_id=campaign.id,
        address=request.remote_addr or "",
    )
    db.session.commit()
    return xlsx_download(
        data, f"{campaign.title}-{quiz.title}-未完成名单.xlsx", f"quiz-{quiz.id}-not-yet.xlsx"
    )


def _day_time(moment: Any) -> str:
    local = to_local(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}" if local else ""


def reminder(quiz: Any, listing: campaign_extras.NotYet) -> str:
    return campaign_extras.reminder_text(
        quiz,
        listing,
        _day_time(quiz.campaign.closes_at),
        share_url(quiz.campaign),
    )
