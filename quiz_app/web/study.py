"""专题学习 and study materials: employees study, organizers build, leaders see per-branch figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

from quiz_app.clock import format_duration, now
from quiz_app.extensions import db
from quiz_app.models import Branch, Campaign, Quiz, User
from quiz_app.models.study import MaterialKind, StudyMaterial, StudyTrack
from quiz_app.services import access, audience
from quiz_app.services.stats import StatsDenied
from quiz_app.services.study import content, materials, progress, stats, studytime
from quiz_app.services.study.content import UploadError
from quiz_app.services.study.materials import StudyError
from quiz_app.web.forms import ConfirmForm, fill_audience_choices
from quiz_app.web.study_forms import ImageForm, MaterialForm, TrackForm

bp = Blueprint("study", __name__, url_prefix="/study")


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _folder() -> Path:
    return content.upload_folder(current_app.instance_path)


def _rules() -> studytime.Rules:
    cfg = current_app.config
    return studytime.Rules(
        interval=cfg["QUIZ_STUDY_HEARTBEAT_SECONDS"],
        slack=cfg["QUIZ_STUDY_SLACK_SECONDS"],
        default_cap=cfg["QUIZ_STUDY_DEFAULT_CAP_MINUTES"] * 60,
    )


def _limits() -> dict[str, int]:
    cfg = current_app.config
    return {
        "pdf_bytes": cfg["QUIZ_STUDY_PDF_MAX_MB"] * 1048576,
        "pdf_pages": cfg["QUIZ_STUDY_PDF_MAX_PAGES"],
        "video_bytes": cfg["QUIZ_STUDY_VIDEO_MAX_MB"] * 1048576,
        "image_bytes": cfg["QUIZ_STUDY_IMAGE_MAX_MB"] * 1048576,
    }


def _viewable(holder: materials.Holder) -> None:
    if not materials.may_view(_user(), holder):
        abort(403)


# --- employees ---------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    user = _user()
    tracks = [progress.progress_for(user, t) for t in materials.visible_tracks(user)]
    camps = [progress.progress_for(user, c) for c in materials.campaigns_with_materials(user)]
    return render_template("study/index.html", tracks=tracks, camps=camps, moment=now())


@bp.get("/tracks/<int:track_id>")
@login_required
def track(track_id: int) -> Any:
    holder = db.get_or_404(StudyTrack, track_id)
    _viewable(holder)
    return _holder_page(holder)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int) -> Any:
    holder = db.get_or_404(Campaign, campaign_id)
    _viewable(holder)
    return _holder_page(holder)


def _holder_page(holder: materials.Holder) -> Any:
    state = progress.progress_for(_user(), holder)
    return render_template(
        "study/holder.html",
        holder=holder,
        state=state,
        is_track=isinstance(holder, StudyTrack),
        is_open=materials.is_open(holder),
        moment=now(),
    )


@bp.get("/materials/<int:material_id>")
@login_required
def material(material_id: int) -> Any:
    item = db.get_or_404(StudyMaterial, material_id)
    holder = materials.holder_of(item)
    _viewable(holder)
    user = _user()
    cfg = current_app.config
    return render_template(
        "study/material.html",
        item=item,
        holder=holder,
        is_track=isinstance(holder, StudyTrack),
        state=progress.material_state(user, item),
        counting=audience.in_audience(user, holder) and materials.is_open(holder),
        pages=[f for f in item.files if f.role == "page"],
        video=next((f for f in item.files if f.role == "video"), None),
        pdf=next((f for f in item.files if f.role == "pdf"), None),
        interval=cfg["QUIZ_STUDY_HEARTBEAT_SECONDS"],
        idle=cfg["QUIZ_STUDY_IDLE_SECONDS"],
    )


def _status_text(beat: studytime.Beat) -> str:
    if beat.done:
        return "已完成"
    if beat.required:
        return f"已学 {format_duration(beat.seconds) or '0 秒'} / 要求 {format_duration(beat.required)}"
    return f"已学 {format_duration(beat.seconds) or '0 秒'}"


@bp.post("/materials/<int:material_id>/beat")
@login_required
def beat(material_id: int) -> Any:
    """The heartbeat: JSON {page, seq, active, end_seen}; the server's clock decides the credit."""
    item = db.get_or_404(StudyMaterial, material_id)
    holder = materials.holder_of(item)
    if not materials.may_view(_user(), holder):
        return {"error": "您不在该学习资料的学习范围内"}, 403
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"error": "请求格式不正确"}, 400
    page, seq = body.get("page"), body.get("seq")
    if not isinstance(page, str) or not page or not isinstance(seq, int) or seq < 0:
        return {"error": "心跳缺少页面标识或序号"}, 400
    result = studytime.heartbeat(
        _user(),
        item,
        page=page,
        seq=seq,
        active=bool(body.get("active")),
        end_seen=bool(body.get("end_seen")),
        rules=_rules(),
    )
    db.session.commit()
    return {
        "credited": result.credited,
        "seconds": result.seconds,
        "required": result.required,
        "done": result.done,
        "status": _status_text(result),
        "message": result.message,
    }


@bp.get("/materials/<int:material_id>/open")
@login_required
def open_link(material_id: int) -> Any:
    item = db.get_or_404(StudyMaterial, material_id)
    if item.kind != MaterialKind.LINK:
        abort(404)
    _viewable(materials.holder_of(item))
    studytime.record_open(_user(), item)
    db.session.commit()
    return redirect(item.url)


@bp.get("/files/<file_id>")
@login_required
def file(file_id: str) -> Any:
    """A stored file, for people who may see its material; videos answer range requests (206)."""
    row = materials.file_row(file_id)
    if row is None:
        abort(404)
    if not materials.may_fetch(_user(), row):
        abort(403)
    try:
        path = content.path_of(_folder(), row.id)
    except UploadError:
        abort(404)
    if not path.exists():
        abort(404)
    download = request.args.get("download") == "1" and row.role == "pdf"
    response = send_file(
        path,
        mimetype=row.content_type,
        conditional=True,
        as_attachment=download,
        download_name=f"{row.material.title[:60]}.pdf" if download else None,
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# --- organizers --------------------------------------------------------------------------------


def _organizer() -> None:
    if not current_user.is_authenticated or not access.can_organize(_user()):
        abort(403)


@bp.get("/manage")
@login_required
def manage() -> Any:
    _organizer()
    user = _user()
    tracks = db.session.scalars(
        sa.select(StudyTrack).order_by(StudyTrack.created_at.desc(), StudyTrack.id.desc())
    ).all()
    camps = db.session.scalars(
        sa.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(50)
    ).all()
    return render_template(
        "study/manage.html",
        tracks=[(t, materials.can_edit_track(user, t)) for t in tracks],
        camps=[c for c in camps if access.can_edit_campaign(user, c)],
    )


def _track_choices(form: TrackForm, track: StudyTrack | None) -> dict[int, int]:
    depths = fill_audience_choices(form, track)
    quizzes = db.session.execute(
        sa.select(Quiz.id, Quiz.title, Campaign.title)
        .join(Campaign, Campaign.id == Quiz.campaign_id)
        .order_by(Campaign.id.desc(), Quiz.id)
    ).all()
    form.quiz_id.choices = [SelectChoice(0, "（不设结业测试）")] + [  # type: ignore[assignment]
        SelectChoice(q, f"{ct} · {qt}") for q, qt, ct in quizzes
    ]
    return depths


def _save_track(track: StudyTrack | None) -> Any:
    _organizer()
    if track is not None and not materials.can_edit_track(_user(), track):
        abort(403)
    form = TrackForm(obj=track)
    if track is not None and request.method == "GET":
        form.branch_ids.data = [b.id for b in track.branches]
        form.group_ids.data = [g.id for g in track.groups]
        form.quiz_id.data = track.quiz_id or 0
    depths = _track_choices(form, track)
    if form.validate_on_submit():
        data = materials.TrackInput(
            title=form.title.data or "",
            description=form.description.data or "",
            opens_at=form.opens_at.data,
            closes_at=form.closes_at.data,
            quiz_id=form.quiz_id.data or None,
            branch_ids=form.branch_ids.data or [],
            group_ids=form.group_ids.data or [],
        )
        try:
            saved = materials.save_track(track, data, _user())
        except StudyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("专题已保存", "success")
            return redirect(url_for("study.manage_track", track_id=saved.id))
    return render_template("study/track_form.html", form=form, track=track, depths=depths)


@bp.route("/manage/tracks/new", methods=["GET", "POST"])
@login_required
def new_track() -> Any:
    return _save_track(None)


@bp.route("/manage/tracks/<int:track_id>/edit", methods=["GET", "POST"])
@login_required
def edit_track(track_id: int) -> Any:
    return _save_track(db.get_or_404(StudyTrack, track_id))


def _editable(holder: materials.Holder) -> None:
    _organizer()
    if not materials.can_edit_materials(_user(), holder):
        abort(403)


def _manage_page(holder: materials.Holder, form: MaterialForm | None = None) -> Any:
    return render_template(
        "study/manage_holder.html",
        holder=holder,
        is_track=isinstance(holder, StudyTrack),
        items=materials.materials_of(holder),
        form=form or MaterialForm(),
        confirm=ConfirmForm(),
    )


@bp.get("/manage/tracks/<int:track_id>")
@login_required
def manage_track(track_id: int) -> Any:
    holder = db.get_or_404(StudyTrack, track_id)
    _editable(holder)
    return _manage_page(holder)


@bp.get("/manage/campaigns/<int:campaign_id>")
@login_required
def manage_campaign(campaign_id: int) -> Any:
    holder = db.get_or_404(Campaign, campaign_id)
    _editable(holder)
    return _manage_page(holder)


def _back(holder: materials.Holder) -> Any:
    if isinstance(holder, StudyTrack):
        return redirect(url_for("study.manage_track", track_id=holder.id))
    return redirect(url_for("study.manage_campaign", campaign_id=holder.id))


def _add(holder: materials.Holder) -> Any:
    _editable(holder)
    limits = _limits()
    request.max_content_length = 2 * max(limits["video_bytes"], limits["pdf_bytes"])
    form = MaterialForm()
    if not form.validate_on_submit():
        return _manage_page(holder, form), 400
    data = materials.MaterialInput(
        kind=form.kind.data or "",
        title=form.title.data or "",
        min_minutes=form.minutes(),
        body_md=form.body_md.data or "",
        url=form.url.data or "",
    )
    upload = request.files.get("file")
    if upload is not None and not upload.filename:
        upload = None
    try:
        item = materials.add_material(
            holder, data, _user(), upload=upload, folder=_folder(), limits=limits
        )
    except (StudyError, UploadError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _manage_page(holder, form), 400
    db.session.commit()
    flash(f"已添加“{item.title}”", "success")
    return _back(holder)


@bp.post("/manage/tracks/<int:track_id>/materials")
@login_required
def add_to_track(track_id: int) -> Any:
    return _add(db.get_or_404(StudyTrack, track_id))


@bp.post("/manage/campaigns/<int:campaign_id>/materials")
@login_required
def add_to_campaign(campaign_id: int) -> Any:
    return _add(db.get_or_404(Campaign, campaign_id))


@bp.route("/manage/materials/<int:material_id>", methods=["GET", "POST"])
@login_required
def edit_material(material_id: int) -> Any:
    item = db.get_or_404(StudyMaterial, material_id)
    holder = materials.holder_of(item)
    _editable(holder)
    form = MaterialForm(obj=item)
    if request.method == "GET":
        form.min_minutes.data = str(item.min_seconds // 60)
    if form.validate_on_submit():
        data = materials.MaterialInput(
            item.kind, form.title.data or "", form.minutes(), form.body_md.data or "",
            form.url.data or "",
        )  # fmt: skip
        try:
            materials.update_material(item, data)
        except StudyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("已保存", "success")
            return redirect(url_for("study.edit_material", material_id=item.id))
    images = [f for f in item.files if f.role == "image"]
    return render_template(
        "study/material_form.html",
        item=item,
        holder=holder,
        form=form,
        image_form=ImageForm(),
        images=images,
        confirm=ConfirmForm(),
    )


@bp.post("/manage/materials/<int:material_id>/images")
@login_required
def add_image(material_id: int) -> Any:
    item = db.get_or_404(StudyMaterial, material_id)
    _editable(materials.holder_of(item))
    form = ImageForm()
    upload = request.files.get("image")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash("请选择要插入的图片", "error")
        return redirect(url_for("study.edit_material", material_id=item.id))
    try:
        data = content.read_limited(upload.stream, _limits()["image_bytes"], "图片")
        row = materials.add_image(item, data, _folder())
    except (StudyError, UploadError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("study.edit_material", material_id=item.id))
    db.session.commit()
    snippet = f"![图片说明]({url_for('study.file', file_id=row.id)})"
    flash(f"图片已上传。把这一行粘贴到正文中要显示图片的位置：{snippet}", "success")
    return redirect(url_for("study.edit_material", material_id=item.id))


@bp.post("/manage/materials/<int:material_id>/move")
@login_required
def move_material(material_id: int) -> Any:
    item = db.get_or_404(StudyMaterial, material_id)
    holder = materials.holder_of(item)
    _editable(holder)
    if ConfirmForm().validate_on_submit():
        materials.move_material(item, -1 if request.args.get("step") == "up" else 1)
        db.session.commit()
    return _back(holder)


@bp.post("/manage/materials/<int:material_id>/delete")
@login_required
def delete_material(material_id: int) -> Any:
    item = db.get_or_404(StudyMaterial, material_id)
    holder = materials.holder_of(item)
    _editable(holder)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        paths = materials.delete_material(item, _folder())
    except StudyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(holder)
    db.session.commit()
    for path in paths:
        path.unlink(missing_ok=True)
    flash("资料已删除", "success")
    return _back(holder)


@bp.post("/manage/tracks/<int:track_id>/<any(publish, withdraw):action>")
@login_required
def track_status(track_id: int, action: str) -> Any:
    holder = db.get_or_404(StudyTrack, track_id)
    _editable(holder)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "publish":
            materials.publish_track(holder)
        else:
            materials.withdraw_track(holder)
    except StudyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("专题已发布" if action == "publish" else "专题已撤回为草稿", "success")
    return _back(holder)


# --- leaders -----------------------------------------------------------------------------------


@bp.get("/stats")
@login_required
def stats_index() -> Any:
    user = _user()
    if not (access.can_lead(user) or access.can_organize(user)):
        abort(403)
    return render_template("study/stats_index.html", tracks=stats.visible_tracks_for_stats(user))


def _stats_page(holder: materials.Holder) -> Any:
    try:
        scope = stats.holder_scope(_user(), holder)
        branch_id = request.args.get("branch", type=int)
        figures = stats.branch_study(holder, scope, branch_id)
    except StatsDenied as exc:
        if exc.status == 404:
            abort(404)
        return render_template("error.html", code=403, title="无权访问", message=exc.message), 403
    branch = db.session.get(Branch, branch_id) if branch_id else None
    return render_template(
        "study/stats.html",
        holder=holder,
        is_track=isinstance(holder, StudyTrack),
        figures=figures,
        branch=branch,
    )


@bp.get("/stats/tracks/<int:track_id>")
@login_required
def stats_track(track_id: int) -> Any:
    return _stats_page(db.get_or_404(StudyTrack, track_id))


@bp.get("/stats/campaigns/<int:campaign_id>")
@login_required
def stats_campaign(campaign_id: int) -> Any:
    return _stats_page(db.get_or_404(Campaign, campaign_id))
