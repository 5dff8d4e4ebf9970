"""我的学习 (/my): one page with a person's own record — quiz results, reports and their status,
points history, rank and streak."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Campaign, Quiz, QuizResult
from quiz_app.services import points
from quiz_app.services.reports import requirements

bp = Blueprint("me", __name__)


def result_url(attempt_id: int) -> str:
    """Where one result is reopened (the 我的成绩 pages)."""
    return url_for("results.show", attempt_id=attempt_id)


@bp.get("/my")
@login_required
def index() -> Any:
    user = current_user._get_current_object()
    moment = now()
    results = db.session.execute(
        sa.select(QuizResult, Quiz.title, Campaign.title)
        .join(Quiz, Quiz.id == QuizResult.quiz_id)
        .join(Campaign, Campaign.id == Quiz.campaign_id)
        .where(QuizResult.user_id == user.id)
        .order_by(QuizResult.finished_at.desc())
    ).all()
    reports = [(r, requirements.report_of(user, r)) for r in requirements.requirements_for(user)]
    week = points.period_bounds("week", moment)
    year = points.period_bounds("year", moment)
    return render_template(
        "me/index.html",
        results=results,
        result_url=result_url,
        reports=reports,
        moment=moment,
        total=points.total(user),
        today=points.points_today(user, moment),
        streak=points.streak(user, moment),
        week_rank=points.rank_of(user, *week),
        year_rank=points.rank_of(user, *year),
        history=points.history(user, 30),
    )
