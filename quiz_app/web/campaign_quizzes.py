"""Organizer pages for a campaign's quizzes: create, edit (rules lock once the campaign is
published; title, instructions and review policy stay editable), delete. Routes on the campaigns
blueprint (same endpoints), kept apart so that web/campaigns.py stays about campaigns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError

from quiz_app.extensions import db
from quiz_app.models import Bank, Campaign, MultipleScoring, Question, Quiz
from quiz_app.services import campaigns, papers
from quiz_app.web.campaign_forms import (
    COUNTING_LABELS,
    LOCKED_RULE_FIELDS,
    ConfirmedActionForm,
    QuizForm,
    QuizTextForm,
    quiz_form_data,
)
from quiz_app.web.campaigns import (
    LOCKED_MESSAGE,
    TYPE_LABELS,
    _campaign_or_404,
    _is_draft,
    _log,
    _quiz_or_404,
    _section_summary,
    bp,
)
from quiz_app.web.forms import ConfirmForm

# --- quizzes -----------------------------------------------------------------------------------


def _locked_changes(quiz: Quiz) -> list[str]:
    """Labels of locked rules the POST would change (fields not posted change nothing)."""
    posted = [name for name in LOCKED_RULE_FIELDS if name in request.form]
    if not posted:
        return []
    full = QuizForm(data=quiz_form_data(quiz))
    try:
        wanted = full.rules()
    except ValidationError:
        return list(dict.fromkeys(LOCKED_RULE_FIELDS[n] for n in posted))
    changed: list[str] = []
    field_of = {
        "time_limit_seconds": "time_limit",
        "attempts_allowed": "attempts_mode",
        "counting": "counting",
        "pass_mark": "pass_mark",
        "shuffle_questions": "shuffle_questions",
        "shuffle_options": "shuffle_options",
        "multiple_scoring": "multiple_scoring",
    }
    for attr, name in field_of.items():
        current = getattr(quiz, attr)
        if attr == "pass_mark" and current is not None:
            current = Decimal(current)
        present = name in request.form or (
            attr == "attempts_allowed" and "attempts_number" in request.form
        )
        if present and wanted[attr] != current:
            changed.append(LOCKED_RULE_FIELDS[name])
    return list(dict.fromkeys(changed))


_SNAPSHOT_FIELDS = (
    "title",
    "review_policy",
    "time_limit_seconds",
    "attempts_allowed",
    "counting",
    "pass_mark",
    "shuffle_questions",
    "shuffle_options",
    "multiple_scoring",
)


def _quiz_snapshot(quiz: Quiz) -> dict[str, str]:
    return {f: "" if getattr(quiz, f) is None else str(getattr(quiz, f)) for f in _SNAPSHOT_FIELDS}


def _log_quiz_change(campaign: Campaign, quiz: Quiz, before: dict[str, str]) -> None:
    after = _quiz_snapshot(quiz)
    changed = {f: [before[f], after[f]] for f in _SNAPSHOT_FIELDS if before[f] != after[f]}
    if changed:
        _log(
            campaign,
            "quiz.rules",
            f"修改竞答“{quiz.title}”："
            + "、".join(f"{f} {a}→{b}" for f, (a, b) in changed.items()),
            quiz_id=quiz.id,
            changes=changed,
        )


@bp.route("/<int:campaign_id>/quizzes/new", methods=["GET", "POST"])
def new_quiz(campaign_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    if not _is_draft(campaign):
        flash("活动已发布，不能再新增竞答", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    form = QuizForm()
    if form.validate_on_submit():
        quiz = Quiz(
            campaign=campaign,
            title=(form.title.data or "").strip(),
            instructions=(form.instructions.data or "").strip(),
            review_policy=form.review_policy.data,
            **form.rules(),
        )
        db.session.add(quiz)
        db.session.commit()
        flash(f"已创建“{quiz.title}”，请添加题目", "success")
        return redirect(url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id))
    return render_template("campaigns/quiz.html", campaign=campaign, quiz=None, form=form)


def _pools(quiz: Quiz) -> dict[int, int]:
    """How many questions each random section could draw from, for the organizer's eye."""
    sizes: dict[int, int] = {}
    for s in quiz.sections:
        if not s.is_fixed:
            sizes[s.id] = (
                db.session.scalar(
                    sa.select(sa.func.count()).select_from(Question).where(papers.pool_condition(s))
                )
                or 0
            )
    return sizes


@bp.route("/<int:campaign_id>/quizzes/<int:quiz_id>", methods=["GET", "POST"])
def edit_quiz(campaign_id: int, quiz_id: int) -> Any:
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    locked = campaigns.rules_locked(quiz)
    form: QuizForm | QuizTextForm
    if locked:
        form = QuizTextForm(data=quiz_form_data(quiz))
        if request.method == "POST":
            changes = _locked_changes(quiz)
            if changes:
                flash(LOCKED_MESSAGE.format("、".join(changes)), "error")
            elif form.validate_on_submit():
                problem = campaigns.review_policy_problem(quiz, form.review_policy.data or "")
                if problem:
                    flash(problem, "error")
                    return redirect(
                        url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id)
                    )
                before = _quiz_snapshot(quiz)
                quiz.title = (form.title.data or "").strip()
                quiz.instructions = (form.instructions.data or "").strip()
                quiz.review_policy = form.review_policy.data  # type: ignore[assignment]
                _log_quiz_change(campaign, quiz, before)
                db.session.commit()
                flash("已保存", "success")
                return redirect(
                    url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id)
                )
    else:
        form = QuizForm(data=quiz_form_data(quiz))
        if form.validate_on_submit():
            before = _quiz_snapshot(quiz)
            quiz.title = (form.title.data or "").strip()
            quiz.instructions = (form.instructions.data or "").strip()
            quiz.review_policy = form.review_policy.data  # type: ignore[assignment]
            for attr, value in form.rules().items():
                setattr(quiz, attr, value)
            _log_quiz_change(campaign, quiz, before)
            db.session.commit()
            flash("已保存", "success")
            return redirect(
                url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id)
            )
    return render_template(
        "campaigns/quiz.html",
        campaign=campaign,
        quiz=quiz,
        form=form,
        locked=locked,
        sections=[(s, _section_summary(s)) for s in quiz.sections],
        pools=_pools(quiz),
        shortfalls=[] if locked else papers.shortfalls(quiz),
        confirm=ConfirmForm(),
        action=ConfirmedActionForm(),
        counting_labels=COUNTING_LABELS,
        scoring_labels={m.value: m.label for m in MultipleScoring},
        bank_names=_bank_names(quiz),
        labels=TYPE_LABELS,
    )


def _bank_names(quiz: Quiz) -> dict[int, str]:
    ids = {b for s in quiz.sections for b in s.bank_ids}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Bank.id, Bank.name).where(Bank.id.in_(ids))).all())


@bp.post("/<int:campaign_id>/quizzes/<int:quiz_id>/delete")
def delete_quiz(campaign_id: int, quiz_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    quiz = _quiz_or_404(campaign, quiz_id)
    form = ConfirmedActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not _is_draft(campaign):
        flash("活动已发布，竞答不能删除", "error")
        return redirect(url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id))
    if not form.confirm.data:
        flash("请先勾选“我已确认”，再删除竞答", "error")
        return redirect(url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id))
    db.session.delete(quiz)
    db.session.commit()
    flash(f"已删除“{quiz.title}”", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))
