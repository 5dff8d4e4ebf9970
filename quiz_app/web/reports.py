"""一学一报 pages: organizers set requirements and follow counts; people write (autosaved via
/api/v1) and submit; reviewers approve or return; exports (.xlsx, .docx 汇编)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import SelectChoice

from quiz_app.clock import format_local, now
from quiz_app.extensions import db
from quiz_app.models import (
    Campaign,
    ReportPhoto,
    ReportRequirement,
    ReportStatus,
    StudyReport,
)
from quiz_app.services import access, audience
from quiz_app.services.reports import export, figures, requirements, writing
from quiz_app.services.reports.requirements import ReportError, RequirementData
from quiz_app.web import xlsx_download
from quiz_app.web.forms import ConfirmForm, fill_audience_choices
from quiz_app.web.report_forms import RequirementForm, ReviewForm

bp = Blueprint("reports", __name__, url_prefix="/reports")
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in person."""


def _requirement(requirement_id: int) -> ReportRequirement:
    return db.get_or_404(ReportRequirement, requirement_id)


def _user() -> Any:
    return current_user._get_current_object()


# --- everyone: the list --------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    user = _user()
    mine = [(r, requirements.report_of(user, r)) for r in requirements.requirements_for(user)]
    managed = requirements.visible_requirements(user)
    return render_template(
        "reports/index.html",
        mine=mine,
        managed=managed,
        moment=now(),
        can_create=access.can_organize(user),
    )


# --- organizers: requirements --------------------------------------------------------------------


def _fill_choices(form: RequirementForm, requirement: ReportRequirement | None) -> dict[int, int]:
    depths = fill_audience_choices(form, requirement)
    editable = [
        c
        for c in db.session.scalars(sa.select(Campaign).order_by(Campaign.opens_at.desc()))
        if access.can_edit_campaign(_user(), c)
    ]
    form.campaign_id.choices = [SelectChoice(0, "不跟随活动（单独布置）")] + [  # type: ignore[assignment]
        SelectChoice(c.id, c.title) for c in editable
    ]
    return depths


def _save_form(form: RequirementForm, requirement: ReportRequirement | None) -> Any:
    data = RequirementData(
        title=form.title.data or "",
        instructions=form.instructions.data or "",
        due_at=form.due_at.data,  # type: ignore[arg-type]
        min_chars=int(form.min_chars.data or 0),
        max_photos=int(form.max_photos.data or 0),
        branch_ids=list(form.branch_ids.data or []),
        group_ids=list(form.group_ids.data or []),
        campaign_id=form.campaign_id.data or None,
    )
    try:
        saved = requirements.save_requirement(data, _user(), requirement)
    except ReportError as exc:
        db.session.rollback()
        form.title.errors = [*form.title.errors, str(exc)]  # type: ignore[list-item]
        return None
    db.session.commit()
    return saved


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    if not access.can_organize(_user()):
        abort(403)
    form = RequirementForm()
    if request.method == "GET" and request.args.get("campaign_id", "").isdigit():
        form.campaign_id.data = int(request.args["campaign_id"])
    depths = _fill_choices(form, None)
    if form.validate_on_submit() and (saved := _save_form(form, None)) is not None:
        flash(f"已布置一学一报“{saved.title}”", "success")
        return redirect(url_for("reports.show", requirement_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("reports/form.html", form=form, requirement=None, depths=depths), status


@bp.route("/<int:requirement_id>/edit", methods=["GET", "POST"])
def edit(requirement_id: int) -> Any:
    requirement = _requirement(requirement_id)
    if not requirements.can_manage(_user(), requirement):
        abort(403)
    form = RequirementForm(obj=requirement)
    if request.method == "GET":
        form.branch_ids.data = [b.id for b in requirement.branches]
        form.group_ids.data = [g.id for g in requirement.groups]
        form.campaign_id.data = requirement.campaign_id or 0
        form.min_chars.data = str(requirement.min_chars)
        form.max_photos.data = str(requirement.max_photos)
    depths = _fill_choices(form, requirement)
    if form.validate_on_submit() and _save_form(form, requirement) is not None:
        flash("已保存", "success")
        return redirect(url_for("reports.show", requirement_id=requirement.id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template("reports/form.html", form=form, requirement=requirement, depths=depths),
        status,
    )


@bp.get("/<int:requirement_id>")
def show(requirement_id: int) -> Any:
    """Counts per branch and the not-yet list; for managers also the reports to review."""
    requirement = _requirement(requirement_id)
    user = _user()
    if not requirements.can_see_counts(user, requirement):
        if audience.in_audience(user, requirement):
            return redirect(url_for("reports.write", requirement_id=requirement.id))
        abort(403)
    moment = now()
    scope = requirements.counts_scope(user, requirement)
    figs = figures.requirement_figures(requirement, moment, scope)
    to_review = []
    if requirements.can_manage(user, requirement) or access.secretary_scope(user):
        to_review = [
            r
            for r in db.session.scalars(
                sa.select(StudyReport)
                .where(
                    StudyReport.requirement_id == requirement.id,
                    StudyReport.status != ReportStatus.DRAFT.value,
                )
                .order_by(StudyReport.submitted_at.desc())
            )
            if requirements.can_review(user, r)
        ]
    return render_template(
        "reports/show.html",
        requirement=requirement,
        figs=figs,
        to_review=to_review,
        audience=requirements.describe(requirement)["audience"],
        moment=moment,
        can_manage=requirements.can_manage(user, requirement),
    )


def _export_scope(requirement: ReportRequirement) -> Any:
    user = _user()
    if not requirements.can_see_counts(user, requirement):
        abort(403)
    return requirements.counts_scope(user, requirement)


@bp.get("/<int:requirement_id>/export.xlsx")
def export_xlsx(requirement_id: int) -> Any:
    requirement = _requirement(requirement_id)
    data = export.reports_xlsx(requirement, _export_scope(requirement))
    return xlsx_download(data, f"一学一报-{requirement.title}.xlsx", "reports.xlsx")


@bp.get("/<int:requirement_id>/export.docx")
def export_docx(requirement_id: int) -> Any:
    requirement = _requirement(requirement_id)
    data = export.compilation_docx(
        requirement, current_app.config["QUIZ_ORG_NAME"], now(), _export_scope(requirement)
    )
    response = send_file(
        io.BytesIO(data),
        mimetype=DOCX_MIMETYPE,
        as_attachment=True,
        download_name="reports.docx",
    )
    name = quote(f"一学一报汇编-{requirement.title}.docx")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"reports.docx\"; filename*=UTF-8''{name}"
    )
    return response


# --- the author: writing ---------------------------------------------------------------------------


def _must_write(requirement: ReportRequirement) -> None:
    if not audience.in_audience(_user(), requirement):
        abort(403, "您不在这项一学一报的报送范围内")


@bp.route("/<int:requirement_id>/write", methods=["GET", "POST"])
def write(requirement_id: int) -> Any:
    requirement = _requirement(requirement_id)
    _must_write(requirement)
    user = _user()
    error = None
    status = 200
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        body = request.form.get("body", "")
        seq = request.form.get("seq", type=int) or 0
        try:
            if request.form.get("action") == "submit":
                writing.submit(requirement, user, body, now(), seq)
                db.session.commit()
                flash("已提交，等待审阅", "success")
            else:
                writing.save_draft(requirement, user, body, seq, now(), deliberate=True)
                db.session.commit()
                flash("草稿已保存", "success")
            return redirect(url_for("reports.write", requirement_id=requirement.id))
        except ReportError as exc:
            db.session.commit()  # a refused submission still keeps the text as the draft
            error, status = str(exc), exc.status
    report = requirements.report_of(user, requirement)
    photos = {p.id: p for p in report.photos} if report else {}
    return (
        render_template(
            "reports/write.html",
            requirement=requirement,
            report=report,
            photos=photos,
            body=request.form.get("body") if error else (report.body if report else ""),
            error=error,
            form=ConfirmForm(),
            moment=now(),
            editable=report is None or report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED),
            min_chars=requirement.min_chars,
            chars=writing.char_count(report.body if report else ""),
        ),
        status,
    )


@bp.post("/<int:requirement_id>/photos")
def upload_photo(requirement_id: int) -> Any:
    requirement = _requirement(requirement_id)
    _must_write(requirement)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    upload = request.files.get("photo")
    data = upload.read() if upload is not None else b""
    try:
        writing.add_photo(requirement, _user(), data, Path(current_app.instance_path), now())
    except ReportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("reports.write", requirement_id=requirement.id))
    db.session.commit()
    flash("照片已添加", "success")
    return redirect(url_for("reports.write", requirement_id=requirement.id))


def _photo(photo_id: int) -> ReportPhoto:
    photo = db.get_or_404(ReportPhoto, photo_id)
    if not writing.can_see_photo(_user(), photo):
        abort(403)
    return photo


@bp.post("/photos/<int:photo_id>/delete")
def delete_photo(photo_id: int) -> Any:
    photo = _photo(photo_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        writing.remove_photo(photo, _user())
    except ReportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("照片已删除", "success")
    return redirect(url_for("reports.write", requirement_id=photo.report.requirement_id))


@bp.get("/photos/<int:photo_id>")
def photo(photo_id: int) -> Any:
    photo = _photo(photo_id)
    path = writing.photo_path(photo, Path(current_app.instance_path))
    if not path.is_file():
        abort(404)
    # read whole (5 MB at most): no file handle is left to the response's closing
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=photo.content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- reviewers -------------------------------------------------------------------------------------


@bp.route("/r/<int:report_id>", methods=["GET", "POST"])
def review(report_id: int) -> Any:
    report = db.get_or_404(StudyReport, report_id)
    user = _user()
    if not requirements.can_review(user, report):
        abort(403)
    form = ReviewForm()
    error = None
    if form.validate_on_submit():
        try:
            writing.review(report, user, form.decision.data or "", form.comment.data or "", now())
        except ReportError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            word = "已通过" if form.decision.data == "approved" else "已退回"
            flash(f"{report.user.real_name}的报告{word}", "success")
            return redirect(url_for("reports.show", requirement_id=report.requirement_id))
    elif request.method == "POST":
        error = "；".join(e for errs in form.errors.values() for e in errs)
    photos = {p.id: p for p in report.photos}
    return (
        render_template(
            "reports/review.html",
            report=report,
            requirement=report.requirement,
            photos=photos,
            form=form,
            error=error,
            chars=writing.char_count,
        ),
        422 if error else 200,
    )


@bp.app_template_filter("report_status")
def _status_label(status: str | None) -> str:
    return ReportStatus(status).label if status else "未开始"


@bp.app_template_global("report_due")
def _due(requirement: ReportRequirement) -> str:
    return format_local(requirement.due_at, "%m月%d日 %H:%M")
