"""Employee pages: a quiz's start page, the quiz itself (driven by static/js/quiz.js over the
API), and the result with review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Attempt, CampaignStatus, Quiz
from quiz_app.services import attempts, audience, campaigns, my_results
from quiz_app.services.attempts import AttemptError
from quiz_app.services.papers import section_label
from quiz_app.web.forms import ConfirmForm

bp = Blueprint("take", __name__)


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_SAVE_GRACE_SECONDS"])


def _quiz_for_me(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if (
        quiz is None
        or quiz.campaign.status == CampaignStatus.DRAFT  # a draft is the organizer's business only
        or not audience.in_audience(current_user, quiz.campaign)
    ):
        abort(404)
    return quiz


def _my_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    attempt = attempts.touch(attempt, now(), _grace())
    db.session.commit()
    return attempt


@bp.get("/quizzes/<int:quiz_id>")
@login_required
def quiz(quiz_id: int) -> Any:
    quiz = _quiz_for_me(quiz_id)
    state = next(
        (s for s in campaigns.open_quizzes_for(current_user) if s.quiz.id == quiz.id), None
    )
    if state is None or (not state.can_start and state.in_progress_id is None):
        # Nothing left to start here: a completed quiz leads to its result, not to an intro.
        counted = my_results.counted_attempt_id(current_user, quiz.id)
        if counted is not None:
            return redirect(url_for("results.show", attempt_id=counted))
    return render_template(
        "take/quiz.html",
        quiz=quiz,
        state=state,
        is_open=campaigns.is_open(quiz.campaign),
        sections=[(section_label(s), s.size, s.points) for s in quiz.sections],
        form=ConfirmForm(),
    )


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def start(quiz_id: int) -> Any:
    quiz = _quiz_for_me(quiz_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt, _created = attempts.start_attempt(quiz, current_user, now(), _grace())
    except AttemptError as exc:
        db.session.commit()
        flash(exc.message, "error")
        return redirect(url_for("take.quiz", quiz_id=quiz.id))
    db.session.commit()
    return redirect(url_for("take.attempt", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> Any:
    attempt = _my_attempt(attempt_id)
    if attempt.is_final:
        return redirect(url_for("results.show", attempt_id=attempt.id))
    return render_template("take/attempt.html", attempt=attempt, quiz=attempt.quiz)


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> Any:
    """The old address of a result: results live under 我的成绩 now."""
    return redirect(url_for("results.show", attempt_id=attempt_id))
