"""Organizer pages for campaigns and their quizzes: create and edit, paper sections with shortfalls,
publish, close early, delete drafts, who has not taken part yet, and re-grading after a key fix.

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
from wtforms import SelectChoice
from wtforms.validators import ValidationError

from quiz_app.clock import format_local, now
from quiz_app.extensions import db
from quiz_app.models import (
    Bank,
    Branch,
    Campaign,
    CampaignStatus,
    Group,
    MultipleScoring,
    Question,
    QuestionCategory,
    Quiz,
    QuizSection,
    User,
)
from quiz_app.services import (
    access,
    audit,
    banks,
    branches,
    campaign_extras,
    campaigns,
    papers,
    regrade,
)
from quiz_app.services.importing import DIFFICULTIES, QuestionType
from quiz_app.services.textcheck import parse_id
from quiz_app.web import get_child_or_404, role_required
from quiz_app.web.campaign_forms import (
    COUNTING_LABELS,
    LOCKED_RULE_FIELDS,
    THEME_SUGGESTIONS,
    CampaignForm,
    ConfirmedActionForm,
    FixedSectionForm,
    PublishedCampaignForm,
    QuizForm,
    QuizTextForm,
    RandomSectionForm,
    parse_int,
    parse_points,
    quiz_form_data,
)
from quiz_app.web.forms import ConfirmForm

bp = Blueprint("campaigns", __name__, url_prefix="/manage/campaigns")
TYPE_LABELS = {t.value: t.label for t in QuestionType}
PICKER_LIMIT = 100


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
    """Fill the branch and group checkboxes; returns branch id → depth for the tree's indent."""
    chosen = {b.id for b in campaign.branches} if campaign else set()
    scope = access.organizer_scope(current_user)
    tree = [
        b
        for b in branches.tree()
        if (b.active and (scope is None or any(b.path.startswith(r.path) for r in scope)))
        or b.id in chosen
    ]
    form.branch_ids.choices = [SelectChoice(b.id, b.name) for b in tree]  # type: ignore[arg-type]
    groups = db.session.scalars(sa.select(Group).order_by(Group.name)).all()
    form.group_ids.choices = [SelectChoice(g.id, g.name) for g in groups]  # type: ignore[arg-type]
    return {b.id: b.depth for b in tree}


def _set_audience(campaign: Campaign, form: CampaignForm) -> None:
    ids = form.branch_ids.data or []
    campaign.branches = (
        list(db.session.scalars(sa.select(Branch).where(Branch.id.in_(ids)).order_by(Branch.path)))
        if ids
        else []
    )
    gids = form.group_ids.data or []
    campaign.groups = (
        list(db.session.scalars(sa.select(Group).where(Group.id.in_(gids)).order_by(Group.name)))
        if gids
        else []
    )


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


def _audience_size(campaign: Campaign) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(campaigns.audience_condition(campaign))
        )
        or 0
    )


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
        audience_size=_audience_size(campaign),
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


# --- quizzes -----------------------------------------------------------------------------------


def _section_summary(section: QuizSection) -> str:
    """ "单选·党史 10题 × 2分" — how a section reads in lists."""
    points = f"{Decimal(section.points).normalize():f}"
    if section.is_fixed:
        return f"指定题目 {section.size}题 × {points}分"
    return f"{papers.section_label(section)} {section.size}题 × {points}分"


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


LOCKED_MESSAGE = "活动已发布，竞答规则已锁定，不能修改：{}。如确需调整，请另建活动"


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
