"""Meeting pages: the list and to-do, planning and recording, review, attachments, 补学,
the rotating QR code and check-in, and the compliance calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from quiz_app.clock import format_local, now, to_local
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.meetings import Meeting, MeetingAttachment
from quiz_app.services import access
from quiz_app.services.branches import full_name, in_tree_order
from quiz_app.services.meetings import checkin, compliance, records, rules
from quiz_app.web.forms import ConfirmForm
from quiz_app.web.meeting_forms import AttachmentForm, MeetingForm, ReviewForm

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
RESUME_SECONDS = 600  # a scan made before signing in stays good this long


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _meeting_or_403(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not records.can_view(_me(), meeting):
        abort(403)
    return meeting


def _recordable_branches(user: User) -> list[Branch]:
    stmt = sa.select(Branch).where(Branch.active)
    ids = records.recorder_branch_ids(user)
    if ids is not None:
        stmt = stmt.where(Branch.id.in_(ids))
    return in_tree_order(list(db.session.scalars(stmt)))


def _fail(exc: records.MeetingError) -> None:
    db.session.rollback()
    for message in exc.errors:
        flash(message, "error")


def _apply(change: Callable[[], Any], done: str | Callable[[Any], str]) -> bool:
    """One change to a meeting's record, as every action button does it: 403 when the person may
    not, the refusal's Chinese reasons flashed and nothing written when refused, otherwise
    committed and confirmed (``done`` may phrase the confirmation from the change's result)."""
    try:
        result = change()
    except records.MeetingForbidden:
        abort(403)
    except records.MeetingError as exc:
        _fail(exc)
        return False
    db.session.commit()
    flash(done(result) if callable(done) else done, "success")
    return True


# --- list and to-do ---------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    user = _me()
    moment = now()
    recordable = _recordable_branches(user) if access.secretary_scope(user) != [] else []
    mine = db.session.scalars(
        sa.select(Meeting)
        .join(Meeting.attendees)
        .where(records.MeetingAttendee.user_id == user.id)
        .order_by(Meeting.planned_at.desc())
        .limit(20)
    ).all()
    branch_meetings = (
        db.session.scalars(
            records.meetings_for_branches(records.recorder_branch_ids(user)).limit(20)
        ).all()
        if recordable
        else []
    )
    return render_template(
        "meetings/index.html",
        todo=compliance.todo_items(user, moment),
        mine=mine,
        branch_meetings=branch_meetings,
        recordable=recordable,
        can_see_calendar=bool(recordable) or access.can_lead(user),
        labels=records.STATUS_LABELS,
    )


# --- plan and record --------------------------------------------------------------------------------


def _local_input(moment: datetime | None) -> str:
    return format_local(moment, "%Y-%m-%dT%H:%M") if moment else ""


def _people_rows(branch: Branch, meeting: Meeting | None) -> list[dict[str, Any]]:
    """Everyone who could be expected: the branch's members plus anyone already on the list."""
    rows: dict[int, dict[str, Any]] = {}
    current = {a.user_id: a for a in meeting.attendees} if meeting else {}
    default = {p.id for p in records.default_expected(branch)} if meeting is None else set()
    for person in records.members(branch):
        rows[person.id] = {"user": person, "expected": person.id in default, "att": None}
    for uid, att in current.items():
        rows[uid] = {"user": att.user, "expected": True, "att": att}
    if request.method == "POST":
        chosen = set(request.form.getlist("expected", type=int))
        for uid, row in rows.items():
            row["expected"] = uid in chosen
            row["posted_status"] = request.form.get(f"status_{uid}", "")
            row["posted_reason"] = request.form.get(f"reason_{uid}", "")
    return sorted(rows.values(), key=lambda r: r["user"].username)


def _input_from(form: MeetingForm) -> records.MeetingInput:
    expected = request.form.getlist("expected", type=int)
    present, leave = [], {}
    for uid in expected:
        status = request.form.get(f"status_{uid}", "absent")
        if status == "present":
            present.append(uid)
        elif status == "leave":
            leave[uid] = request.form.get(f"reason_{uid}", "")
    return records.MeetingInput(
        type_id=form.type_id.data,
        topic=form.topic.data or "",
        planned_at=form.planned_at.data or "",
        held_at=form.held_at.data or "",
        duration_minutes=form.duration_minutes.data or "",
        place=form.place.data or "",
        host=form.host.data or "",
        recorder=form.recorder.data or "",
        observers=form.observers.data or "",
        content=form.content.data or "",
        resolutions=form.resolutions.data or "",
        expected_ids=expected,
        present_ids=present,
        leave_reasons=leave,
        version_note=form.version_note.data or "",
    )


def _type_choices() -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in rules.all_types(active_only=True)]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    user = _me()
    choices = _recordable_branches(user)
    if not choices:
        abort(403)
    branch_id = request.values.get("branch", type=int) or choices[0].id
    branch = next((b for b in choices if b.id == branch_id), None)
    if branch is None:
        abort(403)
    form = MeetingForm()
    form.type_id.choices = _type_choices()  # type: ignore[assignment]
    if request.method == "GET":
        form.type_id.data = request.args.get("type", type=int)
    if form.validate_on_submit():
        try:
            meeting = records.create_meeting(branch, _input_from(form), user)
        except records.MeetingError as exc:
            _fail(exc)
        except records.MeetingForbidden:
            abort(403)
        else:
            db.session.commit()
            flash("已保存会议", "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template(
        "meetings/form.html",
        form=form,
        branch=branch,
        branches=choices,
        meeting=None,
        people=_people_rows(branch, None),
    )


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int) -> Any:
    meeting = db.get_or_404(Meeting, meeting_id)
    user = _me()
    if not access.can_record_meetings(user, meeting.branch):
        abort(403)
    form = MeetingForm(obj=meeting)
    form.type_id.choices = _type_choices()  # type: ignore[assignment]
    if request.method == "GET":
        form.planned_at.data = _local_input(meeting.planned_at)
        form.held_at.data = _local_input(meeting.held_at)
        form.duration_minutes.data = str(meeting.duration_minutes)
        form.version_note.data = ""
    if form.validate_on_submit():
        try:
            records.update_meeting(meeting, _input_from(form), user)
        except records.MeetingError as exc:
            _fail(exc)
            meeting = db.get_or_404(Meeting, meeting_id)
        else:
            db.session.commit()
            flash("已保存" + ("（已记为新版本）" if meeting.locked else ""), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template(
        "meetings/form.html",
        form=form,
        branch=meeting.branch,
        branches=[],
        meeting=meeting,
        people=_people_rows(meeting.branch, meeting),
    )


def _sees_reasons(user: User, meeting: Meeting) -> bool:
    """Why someone was away is for those who run or oversee the branch, not every member."""
    return (
        access.can_record_meetings(user, meeting.branch)
        or records.can_review(user, meeting)
        or access.can_lead(user)
    )


@bp.get("/<int:meeting_id>")
@login_required
def show(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    user = _me()
    mine = next((a for a in meeting.attendees if a.user_id == user.id), None)
    attendees = sorted(meeting.attendees, key=lambda a: (a.status != "present", a.user.username))
    counts = {
        s: sum(1 for a in meeting.attendees if a.status == s) for s in records.ATTENDANCE_LABELS
    }
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        attendees=attendees,
        counts=counts,
        mine=mine,
        can_record=access.can_record_meetings(user, meeting.branch),
        can_review=records.can_review(user, meeting),
        see_reasons=_sees_reasons(user, meeting),
        branch_name=full_name(meeting.branch),
        labels=records.STATUS_LABELS,
        att_labels=records.ATTENDANCE_LABELS,
        method_labels=records.METHOD_LABELS,
        review_form=ReviewForm(),
        upload=AttachmentForm(),
        confirm=ConfirmForm(),
    )


@bp.post("/<int:meeting_id>/submit")
@login_required
def submit(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _apply(lambda: records.submit(meeting, _me()), "已提交上级审核")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.post("/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if _apply(lambda: records.cancel_meeting(meeting, _me()), "已取消这次会议"):
        return redirect(url_for("meetings.index"))
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.post("/<int:meeting_id>/review")
@login_required
def review(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    approve = form.decision.data == "approve"
    _apply(
        lambda: records.review(meeting, _me(), approve, form.comment.data or ""),
        "已审核通过，记录已锁定" if approve else "已退回",
    )
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.get("/<int:meeting_id>/history")
@login_required
def history(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    return render_template(
        "meetings/history.html",
        meeting=meeting,
        versions=records.version_rows(meeting),
        see_reasons=_sees_reasons(_me(), meeting),
    )


@bp.post("/<int:meeting_id>/makeup")
@login_required
def makeup(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _apply(lambda: records.confirm_makeup(meeting, _me()), "已确认补学")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


# --- attachments ------------------------------------------------------------------------------------


def _files_folder() -> Path:
    return Path(current_app.instance_path) / "meeting_files"


@bp.post("/<int:meeting_id>/attachments")
@login_required
def upload(meeting_id: int) -> Any:
    meeting = _meeting_or_403(meeting_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash("【附件】请选择文件", "error")
        return redirect(url_for("meetings.show", meeting_id=meeting_id))
    file = form.file.data
    _apply(
        lambda: records.add_attachment(
            meeting, file.filename or "", file.read(), _me(), _files_folder()
        ),
        "已上传附件",
    )
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.get("/<int:meeting_id>/attachments/<int:attachment_id>")
@login_required
def attachment(meeting_id: int, attachment_id: int) -> Any:
    _meeting_or_403(meeting_id)
    item = db.get_or_404(MeetingAttachment, attachment_id)
    if item.meeting_id != meeting_id:
        abort(404)
    path = _files_folder() / item.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=item.mimetype,
        download_name=item.original_name,
        as_attachment=item.mimetype == "application/pdf",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- QR code and check-in ---------------------------------------------------------------------------


def _qr_payload(meeting: Meeting) -> dict[str, Any]:
    moment = now()
    token = checkin.make_token(
        meeting.id, checkin.window_index(moment), current_app.config["SECRET_KEY"]
    )
    url = url_for("meetings.checkin_page", t=token, _external=True)
    present = sum(1 for a in meeting.attendees if a.status == "present")
    return {
        "svg": checkin.qr_svg(url),
        "url": url,
        "seconds_left": checkin.seconds_left(moment),
        "present": present,
        "expected": len(meeting.attendees),
    }


def _require_recorder(meeting: Meeting) -> None:
    if not access.can_record_meetings(_me(), meeting.branch):
        abort(403)


@bp.get("/<int:meeting_id>/qr")
@login_required
def qr(meeting_id: int) -> Any:
    meeting = db.get_or_404(Meeting, meeting_id)
    _require_recorder(meeting)
    payload = _qr_payload(meeting)
    opens, closes = checkin.checkin_window(
        meeting, current_app.config["QUIZ_CHECKIN_MARGIN_MINUTES"]
    )
    return render_template(
        "meetings/qr.html",
        meeting=meeting,
        qr=payload,
        svg=Markup(payload["svg"]),  # drawn by segno from our own URL
        opens=opens,
        closes=closes,
        attendees=sorted(meeting.attendees, key=lambda a: a.user.username),
        method_labels=records.METHOD_LABELS,
        att_labels=records.ATTENDANCE_LABELS,
        confirm=ConfirmForm(),
    )


@bp.get("/<int:meeting_id>/qr.json")
@login_required
def qr_json(meeting_id: int) -> Any:
    meeting = db.get_or_404(Meeting, meeting_id)
    _require_recorder(meeting)
    response = jsonify(_qr_payload(meeting))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:meeting_id>/mark/<int:user_id>")
@login_required
def mark(meeting_id: int, user_id: int) -> Any:
    meeting = db.get_or_404(Meeting, meeting_id)
    _require_recorder(meeting)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _apply(
        lambda: checkin.mark_by_hand(meeting, user_id, _me()),
        lambda row: f"已为{row.user.real_name}手工签到",
    )
    return redirect(url_for("meetings.qr", meeting_id=meeting_id))


@bp.get("/checkin")
def checkin_page() -> Any:
    """Where the QR code leads. Not signed in: the scan is checked now and kept in the session
    while the person signs in (typing a password takes longer than a code lives)."""
    token = request.args.get("t", "")
    secret = current_app.config["SECRET_KEY"]
    margin = current_app.config["QUIZ_CHECKIN_MARGIN_MINUTES"]
    moment = now()
    if not current_user.is_authenticated:
        if token:
            try:
                _meeting_id, window = checkin.read_token(token, secret)
                if not 0 <= checkin.window_index(moment) - window <= 1:
                    raise checkin.CheckinRefused("二维码已过期，请扫描屏幕上正在显示的二维码")
            except checkin.CheckinRefused as exc:
                return render_template("meetings/checkin.html", error=str(exc)), 400
            session["meeting_scan"] = {"t": token, "at": moment.timestamp()}
        return redirect(url_for("auth.login", next=url_for("meetings.checkin_page")))
    scanned_at = moment
    if not token:
        stash = session.pop("meeting_scan", None)
        if not stash or moment.timestamp() - float(stash["at"]) > RESUME_SECONDS:
            return render_template(
                "meetings/checkin.html", error="没有待签到的二维码，请扫描会场屏幕上的二维码"
            ), 400
        token = stash["t"]
        scanned_at = datetime.fromtimestamp(float(stash["at"]), tz=moment.tzinfo)
    try:
        result = checkin.check_in(token, _me(), moment, secret, margin, scanned_at=scanned_at)
    except checkin.CheckinRefused as exc:
        db.session.rollback()
        return render_template("meetings/checkin.html", error=str(exc)), 400
    db.session.commit()
    return render_template("meetings/checkin.html", result=result)


# --- compliance calendar ----------------------------------------------------------------------------


def _year() -> int:
    this_year = to_local(now()).year  # type: ignore[union-attr]
    year = request.args.get("year", type=int) or this_year
    return year if 2000 <= year <= this_year + 1 else this_year


@bp.get("/calendar")
@login_required
def calendar() -> Any:
    user = _me()
    if not (access.can_lead(user) or access.secretary_scope(user)):
        abort(403)
    year = _year()
    branches = compliance.branches_with_rules(user)
    moment = now()
    start, end = rules.period_bounds(str(year))
    return render_template(
        "meetings/calendar.html",
        year=year,
        rows=compliance.grid(branches, year, moment),
        legend=compliance.STATUS,
        rates=compliance.attendance([b.id for b in branches], start, end, "branch"),
        this_month=to_local(moment).month if to_local(moment).year == year else 0,  # type: ignore[union-attr]
    )


@bp.get("/calendar/<int:branch_id>")
@login_required
def branch_calendar(branch_id: int) -> Any:
    user = _me()
    branch = db.get_or_404(Branch, branch_id)
    if branch not in compliance.branches_with_rules(user):
        abort(403)
    year = _year()
    moment = now()
    start, end = rules.period_bounds(str(year))
    cells = compliance.year_cells([branch], year, moment)
    by_type: dict[str, list[compliance.Cell]] = {}
    for cell in cells:
        by_type.setdefault(cell.mtype.name, []).append(cell)
    return render_template(
        "meetings/branch_calendar.html",
        branch=branch,
        year=year,
        by_type=by_type,
        legend=compliance.STATUS,
        people=compliance.attendance([branch.id], start, end, "person"),
        meetings=db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.branch_id == branch.id,
                Meeting.planned_at >= start,
                Meeting.planned_at < end,
            )
            .order_by(Meeting.planned_at.desc())
        ).all(),
        labels=records.STATUS_LABELS,
        can_record=access.can_record_meetings(user, branch),
    )
