"""我的成绩: every final attempt of the signed-in person, and each one's result and review.

The review is shown only as the quiz's review policy allows (``attempt_payload.review_allowed``); another
person's attempt is a 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Attempt
from quiz_app.services import attempt_payload, attempts, campaigns, my_results, results, review

bp = Blueprint("results", __name__, url_prefix="/my/results")


@bp.get("/")
@login_required
def index() -> Any:
    return render_template(
        "results/index.html", rows=my_results.final_attempts(current_user, now())
    )


@bp.get("/<int:attempt_id>")
@login_required
def show(attempt_id: int) -> Any:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    moment = now()
    grace = timedelta(seconds=current_app.config["QUIZ_SAVE_GRACE_SECONDS"])
    attempt = attempts.touch(attempt, moment, grace)
    db.session.commit()
    if not attempt.is_final:
        return redirect(url_for("take.attempt", attempt_id=attempt.id))
    payload = attempt_payload.attempt_payload(attempt, moment)
    questions = review.from_payload(payload)
    only_wrong = request.args.get("only") == "wrong"
    state = next(
        (
            s
            for s in campaigns.open_quizzes_for(current_user, moment)
            if s.quiz.id == attempt.quiz_id
        ),
        None,
    )
    return render_template(
        "results/show.html",
        attempt=attempt,
        quiz=attempt.quiz,
        review_open=payload["review"],
        review_note=my_results.review_note(attempt, moment),
        questions=[q for q in questions if q.verdict != "right"] if only_wrong else questions,
        total_questions=len(questions),
        wrong_count=sum(1 for q in questions if q.verdict != "right"),
        summary=review.summary(questions),
        only_wrong=only_wrong,
        standing=results.standing(attempt.quiz, current_user),
        counted_id=my_results.counted_attempt_id(current_user, attempt.quiz_id),
        state=state,
    )
