"""Practice pages: 每日一练 and the wrong-answer book, server-rendered (they work without JS)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import Question
from quiz_app.services import practice, review
from quiz_app.services.grading import AnswerShapeError
from quiz_app.services.importing import OPTION_KEYS
from quiz_app.services.textcheck import parse_id
from quiz_app.web.forms import ConfirmForm

bp = Blueprint("practice", __name__, url_prefix="/practice")
TYPE_LABELS = {"single": "单选", "multiple": "多选", "judge": "判断", "blank": "填空"}


def answer_from_form(question_type: str, form: MultiDict[str, str], blanks: int) -> Any:
    """The posted fields in the API's answer shape (None when nothing was chosen)."""
    if question_type == "single":
        return form.get("answer") or None
    if question_type == "multiple":
        return form.getlist("answer") or None
    if question_type == "judge":
        value = form.get("answer")
        return {"true": True, "false": False}.get(value or "")
    texts = form.getlist("blank")[:blanks]
    return texts + [""] * (blanks - len(texts))


def _render_question(
    question: Question, action: str, mode: str, error: str | None = None, **extra: Any
) -> Any:
    return render_template(
        "practice/question.html",
        question=question,
        revision=question.current_revision,
        action=action,
        mode=mode,
        error=error,
        labels=TYPE_LABELS,
        keys=OPTION_KEYS,
        form=ConfirmForm(),
        **extra,
    )


def _feedback(
    feedback: practice.Feedback, next_url: str, mode: str, next_label: str | None = None
) -> Any:
    return render_template(
        "practice/feedback.html",
        fb=feedback,
        q=review.from_revision(feedback.revision, feedback.answer, feedback.correct),
        next_url=next_url,
        next_label=next_label,
        mode=mode,
        labels=TYPE_LABELS,
        keys=OPTION_KEYS,
    )


@bp.get("/")
@login_required
def index() -> Any:
    moment = now()
    today = practice.daily_set(current_user, moment)
    done = practice.answered_today(current_user, moment)
    book = practice.book(current_user, moment)
    return render_template(
        "practice/index.html",
        labels=TYPE_LABELS,
        today=today,
        done=done,
        right=sum(1 for q in today if done.get(q.id)),
        book=book,
        book_total=sum(len(items) for _, items in book),
    )


def _answer_posted(
    question: Question,
    moment: Any,
    kind: str,
    action: str,
    mode: str,
    next_url: str,
    next_label: str | None = None,
    **page: Any,
) -> Any:
    """The POST half shared by 每日一练 and the wrong-answer book: grade, commit, show feedback —
    or show the question again with the reason it was not accepted."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rev = question.current_revision
    assert rev is not None
    raw = answer_from_form(rev.type, request.form, len(rev.blanks))
    if raw is None or (isinstance(raw, list) and not any(str(x).strip() for x in raw)):
        return _render_question(question, action, mode, "请先作答再提交", **page)
    try:
        feedback = practice.answer(current_user, question, raw, moment, kind)
    except AnswerShapeError as exc:
        return _render_question(question, action, mode, str(exc), **page)
    db.session.commit()
    return _feedback(feedback, next_url, mode, next_label)


@bp.route("/daily", methods=["GET", "POST"])
@login_required
def daily() -> Any:
    moment = now()
    today = practice.daily_set(current_user, moment)
    done = practice.answered_today(current_user, moment)
    pending = [q for q in today if q.id not in done]
    action = url_for("practice.daily")
    progress = (len(done) + 1, len(today))
    if request.method == "POST":
        question = db.session.get(Question, parse_id(request.form.get("question_id")) or 0)
        if question is None or question.id not in {q.id for q in today}:
            abort(404)
        return _answer_posted(question, moment, "daily", action, "daily", action, progress=progress)
    if not today:
        return render_template(
            "practice/empty.html", message=practice.empty_reason(current_user, moment)
        )
    if not pending:
        return redirect(url_for("practice.index"))
    return _render_question(pending[0], action, "daily", progress=progress)


@bp.route("/wrong/<int:question_id>", methods=["GET", "POST"])
@login_required
def redo(question_id: int) -> Any:
    moment = now()
    entry = practice.book_entry(current_user, question_id, moment)
    if entry is None:
        abort(404)
    action = url_for("practice.redo", question_id=question_id)
    if request.method == "POST":
        return _answer_posted(
            entry.question,
            moment,
            "wrongbook",
            action,
            "wrong",
            url_for("practice.index"),
            entry=entry,
        )
    return _render_question(entry.question, action, "wrong", entry=entry)


def _run_filters() -> tuple[int | None, str | None]:
    bank_id = request.args.get("bank", type=int) or None
    question_type = request.args.get("type") or None
    if question_type is not None and question_type not in TYPE_LABELS:
        abort(404)
    return bank_id, question_type


@bp.route("/wrong/run", methods=["GET", "POST"])
@login_required
def redo_run() -> Any:
    """错题重练 as one run through every open wrong answer (of a bank / a type, if chosen): one tap
    per question to answer, one to go on; ``after`` is the last question answered in this run."""
    moment = now()
    bank_id, question_type = _run_filters()
    after = request.args.get("after", type=int) or 0
    queue = practice.redo_queue(current_user, moment, bank_id, question_type)
    ahead = [e for e in queue if e.question_id > after]
    filters = {"bank": bank_id, "type": question_type}
    if request.method == "POST":
        entry = next(
            (e for e in queue if e.question_id == request.form.get("question_id", type=int)), None
        )
        if entry is None:
            abort(404)
        later = [e for e in queue if e.question_id > entry.question_id]
        return _answer_posted(
            entry.question,
            moment,
            "wrongbook",
            url_for("practice.redo_run", after=after or None, **filters),
            "run",
            url_for("practice.redo_run", after=entry.question_id, **filters),
            "下一题" if later else "完成本轮",
            entry=entry,
            progress=(len(queue) - len(ahead) + 1, len(queue)),
        )
    if not ahead:
        return render_template("practice/run_done.html", left=len(queue), filters=filters)
    entry = ahead[0]
    return _render_question(
        entry.question,
        url_for("practice.redo_run", after=after or None, **filters),
        "run",
        entry=entry,
        progress=(len(queue) - len(ahead) + 1, len(queue)),
    )
