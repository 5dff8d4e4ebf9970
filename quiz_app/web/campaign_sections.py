"""Organizer pages for a quiz's paper sections: random draws and fixed picks, with shortfalls,
totals and ordering. Routes on the campaigns blueprint (same endpoints), kept apart so that
web/campaigns.py stays about campaigns and quizzes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from quiz_app.extensions import db
from quiz_app.models import (
    Bank,
    Question,
    QuestionCategory,
    Quiz,
    QuizSection,
)
from quiz_app.services import (
    banks,
    campaign_extras,
    campaigns,
    papers,
)
from quiz_app.services.importing import DIFFICULTIES
from quiz_app.services.textcheck import parse_id
from quiz_app.web.campaign_forms import (
    FixedSectionForm,
    RandomSectionForm,
    parse_int,
    parse_points,
)
from quiz_app.web.campaigns import (
    LOCKED_MESSAGE,
    PICKER_LIMIT,
    TYPE_LABELS,
    _campaign_or_404,
    _quiz_or_404,
    _section_or_404,
    bp,
)
from quiz_app.web.forms import ConfirmForm

# --- sections ----------------------------------------------------------------------------------


def _refuse_if_locked(quiz: Quiz) -> Response | None:
    if campaigns.rules_locked(quiz):
        flash(LOCKED_MESSAGE.format("题目设置"), "error")
        return redirect(
            url_for("campaigns.edit_quiz", campaign_id=quiz.campaign_id, quiz_id=quiz.id)
        )
    return None


def _renumber(quiz: Quiz) -> None:
    for i, s in enumerate(sorted(quiz.sections, key=lambda x: (x.position, x.id))):
        s.position = i


def _random_choices(form: RandomSectionForm, section: QuizSection | None) -> None:
    all_banks = db.session.scalars(sa.select(Bank).order_by(Bank.archived, Bank.name)).all()
    mine = set(section.bank_ids) if section else set()
    form.bank_ids.choices = [
        SelectChoice(b.id, b.name)  # type: ignore[arg-type]
        for b in all_banks
        if not b.archived or b.id in mine
    ]
    names: list[str] = []
    for b in all_banks:
        if not b.archived:
            names.extend(b.categories or [])
    names.extend(db.session.scalars(sa.select(QuestionCategory.name).distinct()).all())
    if section:
        names.extend(section.categories)
    form.categories.choices = [
        SelectChoice(c) for c in sorted(dict.fromkeys(n for n in names if n))
    ]


def _picker(quiz: Quiz, chosen: list[int]) -> dict[str, Any]:
    """The fixed-list picker: a bank's questions filtered, and the questions already chosen.

    The filter comes with the POST when the organizer presses 筛选 inside the form, so the
    ticks not yet saved travel along (and from the query string on a plain visit)."""
    args = request.form if request.method == "POST" else request.args
    all_banks = db.session.scalars(
        sa.select(Bank).where(Bank.archived.is_(False)).order_by(Bank.name)
    ).all()
    bank_id = parse_id(args.get("bank"))
    bank = next((b for b in all_banks if b.id == bank_id), None)
    f = banks.QuestionFilter(
        text=args.get("q", ""),
        type=args.get("type", "") if args.get("type") in TYPE_LABELS else "",
        category=args.get("category", ""),
        difficulty=args.get("difficulty", "") if args.get("difficulty") in DIFFICULTIES else "",
    )
    found: list[Question] = []
    more = False
    if bank is not None:
        found = list(db.session.scalars(banks.search_questions(bank, f).limit(PICKER_LIMIT + 1)))
        more = len(found) > PICKER_LIMIT
        found = [q for q in found[:PICKER_LIMIT] if q.id not in chosen]
    by_id = (
        {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(chosen)))}
        if chosen
        else {}
    )
    return {
        "banks": all_banks,
        "bank": bank,
        "f": f,
        "found": found,
        "more": more,
        "chosen": [by_id[i] for i in chosen if i in by_id],
        "missing": [i for i in chosen if i not in by_id],
    }


def _fixed_ids(quiz: Quiz, section: QuizSection | None) -> tuple[list[int], list[str]]:
    """The ticked question ids in order, and what is wrong with them."""
    ids: list[int] = []
    for raw in request.form.getlist("question_ids"):
        if (ident := parse_id(raw)) is not None and ident not in ids:
            ids.append(ident)
    if not ids:
        return ids, ["请至少勾选一道题目"]
    found = dict(
        db.session.execute(
            sa.select(Question.id, Question.active).where(
                Question.id.in_(ids), Question.current_revision_id.is_not(None)
            )
        ).all()
    )
    errors: list[str] = []
    missing = [str(i) for i in ids if i not in found]
    if missing:
        errors.append(f"这些题目不存在：{'、'.join(missing)}")
    retired = [str(i) for i in ids if found.get(i) is False]
    if retired:
        errors.append(f"这些题目已停用，不能选用：{'、'.join(retired)}")
    elsewhere = {
        qid
        for s in quiz.sections
        if s.is_fixed and (section is None or s.id != section.id)
        for qid in s.fixed_question_ids
    }
    twice = [str(i) for i in ids if i in elsewhere]
    if twice:
        errors.append(f"这些题目已在本竞答的其他部分中：{'、'.join(twice)}")
    return ids, errors


def _total_errors(quiz: Quiz) -> list[str]:
    """The paper's total out of range: nothing of this save is kept (the form shows why)."""
    problem = papers.total_problem(quiz)
    if problem is None:
        return []
    db.session.rollback()
    return [problem]


def _section_page(quiz: Quiz, section: QuizSection | None, kind: str) -> Any:
    campaign = quiz.campaign
    errors: list[str] = []
    if kind == "fixed":
        form: Any = FixedSectionForm(
            data={"title": section.title, "points": f"{Decimal(section.points).normalize():f}"}
            if section
            else {}
        )
        chosen = list(section.fixed_question_ids) if section else []
        if request.method == "POST" and request.form.get("action") == "filter":
            # 筛选 inside the form (CSRF is checked app-wide): keep the ticks, save nothing yet,
            # and say nothing about fields the organizer has not finished
            chosen, _ = _fixed_ids(quiz, section)
        elif form.validate_on_submit():
            chosen, errors = _fixed_ids(quiz, section)
            if not errors:
                target = section or QuizSection(quiz=quiz, position=len(quiz.sections))
                target.title = (form.title.data or "").strip()
                target.points = parse_points(form.points.data, "")  # type: ignore[assignment]
                target.fixed_question_ids = chosen
                target.question_type = None
                target.count = 0
                target.bank_ids = []
                target.categories = []
                target.difficulties = []
                db.session.add(target)
                db.session.flush()
                errors = _total_errors(quiz)
            if not errors:
                db.session.commit()
                flash(f"已保存：指定题目 {len(chosen)} 题", "success")
                return redirect(
                    url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id)
                )
        elif request.method == "POST":
            chosen, _ = _fixed_ids(quiz, section)
        return render_template(
            "campaigns/section.html",
            campaign=campaign,
            quiz=quiz,
            section=section,
            kind=kind,
            form=form,
            errors=errors,
            picker=_picker(quiz, chosen),
            labels=TYPE_LABELS,
            difficulties=DIFFICULTIES,
        )
    if section is not None:
        form = RandomSectionForm(
            data={
                "title": section.title,
                "question_type": section.question_type,
                "count": str(section.count),
                "points": f"{Decimal(section.points).normalize():f}",
                "bank_ids": list(section.bank_ids),
                "categories": list(section.categories),
                "difficulties": list(section.difficulties),
            }
        )
    else:
        form = RandomSectionForm()
    _random_choices(form, section)
    if form.validate_on_submit():
        target = section or QuizSection(quiz=quiz, position=len(quiz.sections))
        target.title = (form.title.data or "").strip()
        target.question_type = form.question_type.data
        target.count = parse_int(form.count.data, 1, 500, "") or 0
        target.points = parse_points(form.points.data, "")  # type: ignore[assignment]
        target.bank_ids = list(form.bank_ids.data or [])
        target.categories = list(form.categories.data or [])
        target.difficulties = list(form.difficulties.data or [])
        target.fixed_question_ids = []
        db.session.add(target)
        db.session.flush()
        errors = _total_errors(quiz)
        if not errors:
            problems = papers.shortfalls(quiz)
            db.session.commit()
            flash(f"已保存：{papers.section_label(target)} {target.count}题", "success")
            for problem in problems:
                flash(f"注意：{problem}", "error")
            return redirect(
                url_for("campaigns.edit_quiz", campaign_id=campaign.id, quiz_id=quiz.id)
            )
    return render_template(
        "campaigns/section.html",
        campaign=campaign,
        quiz=quiz,
        section=section,
        kind=kind,
        form=form,
        errors=errors,
        picker=None,
        labels=TYPE_LABELS,
        difficulties=DIFFICULTIES,
        category_banks=campaign_extras.category_banks(),
    )


@bp.route("/<int:campaign_id>/quizzes/<int:quiz_id>/sections/new", methods=["GET", "POST"])
def new_section(campaign_id: int, quiz_id: int) -> Any:
    quiz = _quiz_or_404(_campaign_or_404(campaign_id), quiz_id)
    refused = _refuse_if_locked(quiz)
    if refused is not None:
        return refused
    kind = "fixed" if request.args.get("kind") == "fixed" else "random"
    return _section_page(quiz, None, kind)


@bp.route(
    "/<int:campaign_id>/quizzes/<int:quiz_id>/sections/<int:section_id>", methods=["GET", "POST"]
)
def edit_section(campaign_id: int, quiz_id: int, section_id: int) -> Any:
    quiz = _quiz_or_404(_campaign_or_404(campaign_id), quiz_id)
    section = _section_or_404(quiz, section_id)
    refused = _refuse_if_locked(quiz)
    if refused is not None:
        return refused
    return _section_page(quiz, section, "fixed" if section.is_fixed else "random")


@bp.post("/<int:campaign_id>/quizzes/<int:quiz_id>/sections/<int:section_id>/delete")
def delete_section(campaign_id: int, quiz_id: int, section_id: int) -> Response:
    quiz = _quiz_or_404(_campaign_or_404(campaign_id), quiz_id)
    section = _section_or_404(quiz, section_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refused = _refuse_if_locked(quiz)
    if refused is not None:
        return refused
    quiz.sections.remove(section)
    _renumber(quiz)
    db.session.commit()
    flash("已删除这一部分", "success")
    return redirect(url_for("campaigns.edit_quiz", campaign_id=campaign_id, quiz_id=quiz.id))


@bp.post("/<int:campaign_id>/quizzes/<int:quiz_id>/sections/<int:section_id>/move")
def move_section(campaign_id: int, quiz_id: int, section_id: int) -> Response:
    quiz = _quiz_or_404(_campaign_or_404(campaign_id), quiz_id)
    section = _section_or_404(quiz, section_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refused = _refuse_if_locked(quiz)
    if refused is not None:
        return refused
    _renumber(quiz)
    ordered = sorted(quiz.sections, key=lambda x: x.position)
    i = ordered.index(section)
    j = i - 1 if request.form.get("direction") == "up" else i + 1
    if 0 <= j < len(ordered):
        ordered[i].position, ordered[j].position = ordered[j].position, ordered[i].position
    db.session.commit()
    return redirect(url_for("campaigns.edit_quiz", campaign_id=campaign_id, quiz_id=quiz.id))
