"""Meeting records: who belongs to a branch, planning and recording a meeting (all or nothing),
review by the branch above, versions after approval, attachments and 补学 tasks."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from quiz_app.clock import LOCAL_TZ, format_local, now
from quiz_app.extensions import db
from quiz_app.models import Branch, Role, User
from quiz_app.models.meetings import (
    Meeting,
    MeetingAttachment,
    MeetingAttendee,
    MeetingType,
    MeetingVersion,
    PartyBranchCover,
)
from quiz_app.services import access

STATUS_LABELS = {"draft": "草稿", "submitted": "待审核", "returned": "已退回", "approved": "已审核"}
ATTENDANCE_LABELS = {"present": "实到", "leave": "请假", "absent": "缺席"}
METHOD_LABELS = {"qr": "扫码", "manual": "手工"}


class MeetingError(ValueError):
    """Refused input: one Chinese message per problem, each naming its field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


class MeetingForbidden(PermissionError):
    """The person may not do this to this meeting (the view answers 403)."""


# --- membership ----------------------------------------------------------------------------------


def covered_branches(party_branch: Branch) -> list[Branch]:
    return list(
        db.session.scalars(
            sa.select(Branch)
            .join(PartyBranchCover, PartyBranchCover.branch_id == Branch.id)
            .where(PartyBranchCover.party_branch_id == party_branch.id)
            .order_by(Branch.path)
        )
    )


def set_covers(party_branch: Branch, branch_ids: list[int]) -> None:
    """Replace the branches a 党支部 covers; flushes."""
    if party_branch.id in branch_ids:
        raise MeetingError(["【覆盖的部门】不能选择党支部自身"])
    db.session.execute(
        sa.delete(PartyBranchCover).where(PartyBranchCover.party_branch_id == party_branch.id)
    )
    for bid in dict.fromkeys(branch_ids):
        db.session.add(PartyBranchCover(party_branch_id=party_branch.id, branch_id=bid))
    db.session.flush()


def member_filter(branch: Branch) -> sa.ColumnElement[bool]:
    """Condition on User: people of the branch's subtree and of the subtrees it covers."""
    paths = [branch.path, *(b.path for b in covered_branches(branch))]
    return sa.and_(
        User.active,
        User.branch_id.in_(
            sa.select(Branch.id).where(sa.or_(*(Branch.path.startswith(p) for p in paths)))
        ),
    )


def members(branch: Branch) -> list[User]:
    """The people a meeting of ``branch`` expects by default (应到)."""
    return list(
        db.session.scalars(sa.select(User).where(member_filter(branch)).order_by(User.username))
    )


PARTY_KINDS = ("党委", "党支部", "党小组")


def default_expected(branch: Branch) -> list[User]:
    """Who a new meeting expects: a party organisation's meetings are for its 党员 (when the
    roster tags them), any other branch's for everyone in it."""
    people = members(branch)
    if branch.kind in PARTY_KINDS:
        party = [p for p in people if any(g.name == "党员" for g in p.groups)]
        if party:
            return party
    return people


# --- who may do what -----------------------------------------------------------------------------


def can_review(user: User, meeting: Meeting) -> bool:
    """The branch above reviews: a secretary, leader or admin whose scope covers the parent."""
    if access.is_admin(user):
        return True
    parent = meeting.branch.parent
    if parent is None:
        return False
    for grant in user.grants:
        if grant.role not in (Role.SECRETARY, Role.LEADER):
            continue
        if grant.role == Role.LEADER and grant.scope_branch_id is None:
            return True
        if grant.scope_branch is not None and parent.path.startswith(grant.scope_branch.path):
            return True
    return False


def is_attendee(user: User, meeting: Meeting) -> bool:
    return any(a.user_id == user.id for a in meeting.attendees)


def can_view(user: User, meeting: Meeting) -> bool:
    """Recorders, reviewers, the people expected, and leaders of the branch or of a branch it
    covers (a 党支部 under 机关党委 covering 办公室 is seen by the leader of 局机关)."""
    return (
        access.can_record_meetings(user, meeting.branch)
        or can_review(user, meeting)
        or is_attendee(user, meeting)
        or (
            access.can_lead(user)
            and any(
                access.branch_in_scope(user, b)
                for b in (meeting.branch, *covered_branches(meeting.branch))
            )
        )
    )


def _require_recorder(user: User, branch: Branch) -> None:
    if not access.can_record_meetings(user, branch):
        raise MeetingForbidden(f"您不是“{branch.name}”的支部书记，不能记录它的会议")


# --- planning and recording ----------------------------------------------------------------------


@dataclass
class MeetingInput:
    """What the form sends; times are Beijing wall-clock text "2026-03-05T09:00"."""

    type_id: int | None
    topic: str
    planned_at: str
    held_at: str = ""
    duration_minutes: str = "90"
    place: str = ""
    host: str = ""
    recorder: str = ""
    observers: str = ""
    content: str = ""
    resolutions: str = ""
    expected_ids: list[int] = field(default_factory=list)
    present_ids: list[int] = field(default_factory=list)
    leave_reasons: dict[int, str] = field(default_factory=dict)  # 请假 with reason
    version_note: str = ""


def parse_local(text: str, label: str, errors: list[str]) -> datetime | None:
    """Beijing wall-clock text → aware UTC, or an error naming the field."""
    text = text.strip().replace(" ", "T")
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        errors.append(f"【{label}】“{text}”不是有效的时间，应为 2026-03-05 09:00 这样的格式")
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def _validate(data: MeetingInput, branch: Branch) -> tuple[dict[str, object], dict[int, User]]:
    errors: list[str] = []
    mtype = db.session.get(MeetingType, data.type_id) if data.type_id else None
    if mtype is None or not mtype.active:
        errors.append("【会议类型】请选择会议类型")
    topic = data.topic.strip()
    if not topic:
        errors.append("【议题】不能为空")
    elif len(topic) > 200:
        errors.append("【议题】不能超过200字")
    planned = parse_local(data.planned_at, "计划时间", errors)
    if planned is None and data.planned_at.strip() == "":
        errors.append("【计划时间】不能为空")
    held = parse_local(data.held_at, "实际时间", errors)
    try:
        duration = int(data.duration_minutes or "90")
        if not 5 <= duration <= 24 * 60:
            raise ValueError
    except ValueError:
        duration = 90
        errors.append("【时长（分钟）】应为 5 到 1440 之间的整数")
    for label, value, limit in (
        ("地点", data.place, 100),
        ("主持人", data.host, 50),
        ("记录人", data.recorder, 50),
        ("列席人员", data.observers, 300),
    ):
        if len(value.strip()) > limit:
            errors.append(f"【{label}】不能超过{limit}字")
    expected = list(dict.fromkeys(data.expected_ids))
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(expected)))}
    if not expected:
        errors.append("【应到人员】至少选择一人")
    for uid in expected:
        if uid not in people:
            errors.append(f"【应到人员】编号 {uid} 的人员不存在")
    for uid in data.present_ids:
        if uid not in expected:
            name = people[uid].real_name if uid in people else str(uid)
            errors.append(f"【实到】{name} 不在应到人员中")
    for uid, reason in data.leave_reasons.items():
        person = people.get(uid)
        name = person.real_name if person else str(uid)
        if uid not in expected:
            errors.append(f"【请假】{name} 不在应到人员中")
        elif uid in data.present_ids:
            errors.append(f"【请假】{name} 已标为实到，不能同时请假")
        elif not reason.strip():
            errors.append(f"【请假原因】请填写 {name} 的请假原因")
        elif len(reason.strip()) > 200:
            errors.append(f"【请假原因】{name} 的请假原因不能超过200字")
    if (data.present_ids or data.leave_reasons) and held is None and not errors:
        errors.append("【实际时间】登记实到或请假前，请填写实际召开时间")
    if errors:
        raise MeetingError(errors)
    values: dict[str, object] = {
        "type": mtype,
        "topic": topic,
        "planned_at": planned,
        "held_at": held,
        "duration_minutes": duration,
        "place": data.place.strip(),
        "host": data.host.strip(),
        "recorder": data.recorder.strip(),
        "observers": data.observers.strip(),
        "content": data.content.strip(),
        "resolutions": data.resolutions.strip(),
    }
    return values, {uid: people[uid] for uid in expected}


def _apply_attendance(
    meeting: Meeting, data: MeetingInput, people: dict[int, User], actor: User
) -> None:
    current = {a.user_id: a for a in meeting.attendees}
    for uid, row in current.items():
        if uid not in people:
            meeting.attendees.remove(row)
    for uid, person in people.items():
        row = current.get(uid)
        if row is None:
            row = MeetingAttendee(user=person)
            meeting.attendees.append(row)
        if uid in data.present_ids:
            if row.status != "present":
                row.status, row.method, row.checked_in_at = "present", "manual", now()
                row.marked_by_id = actor.id
            row.leave_reason = ""
        elif uid in data.leave_reasons:
            row.status, row.leave_reason = "leave", data.leave_reasons[uid].strip()
            row.method = row.checked_in_at = row.marked_by_id = None
        else:
            row.status, row.leave_reason = "absent", ""
            row.method = row.checked_in_at = row.marked_by_id = None


def create_meeting(branch: Branch, data: MeetingInput, actor: User) -> Meeting:
    """Plan (and possibly already record) a meeting of ``branch``; all or nothing; flushes."""
    _require_recorder(actor, branch)
    values, people = _validate(data, branch)
    meeting = Meeting(branch=branch, created_by_id=actor.id, status="draft", **values)
    db.session.add(meeting)
    _apply_attendance(meeting, data, people, actor)
    db.session.flush()
    return meeting


def update_meeting(meeting: Meeting, data: MeetingInput, actor: User) -> Meeting:
    """Save the record. A reviewed record stays reviewed and the change becomes a new version."""
    _require_recorder(actor, meeting.branch)
    if meeting.status == "submitted":
        raise MeetingError(["【状态】记录已提交审核，审核（通过或退回）之前不能修改"])
    if meeting.locked and not data.version_note.strip():
        raise MeetingError(["【修改说明】已审核的记录每次修改都会留下新版本，请写明修改原因"])
    values, people = _validate(data, meeting.branch)
    for key, value in values.items():
        setattr(meeting, key, value)
    _apply_attendance(meeting, data, people, actor)
    meeting.updated_at = now()
    if meeting.locked:
        add_version(meeting, actor, data.version_note.strip()[:300])
    db.session.flush()
    return meeting


def cancel_meeting(meeting: Meeting, actor: User) -> None:
    """Delete a planned meeting that has not been held (nobody checked in, never sent up)."""
    _require_recorder(actor, meeting.branch)
    if meeting.status != "draft" or meeting.held_at is not None:
        raise MeetingError(["【状态】已召开或已提交的会议不能取消，只能修改记录"])
    if any(a.status == "present" for a in meeting.attendees):
        raise MeetingError(["【状态】已有人签到的会议不能取消"])
    db.session.delete(meeting)
    db.session.flush()


# --- review and versions -------------------------------------------------------------------------


def snapshot(meeting: Meeting) -> dict[str, object]:
    """The record as a reader sees it, for the version history."""
    return {
        "type": meeting.type.name,
        "topic": meeting.topic,
        "planned_at": format_local(meeting.planned_at),
        "held_at": format_local(meeting.held_at),
        "place": meeting.place,
        "host": meeting.host,
        "recorder": meeting.recorder,
        "observers": meeting.observers,
        "content": meeting.content,
        "resolutions": meeting.resolutions,
        "attendees": [
            {
                "name": a.user.real_name,
                "status": ATTENDANCE_LABELS[a.status],
                "reason": a.leave_reason,
                "method": METHOD_LABELS.get(a.method or "", ""),
            }
            for a in sorted(meeting.attendees, key=lambda a: a.user.username)
        ],
        "attachments": [f.original_name for f in meeting.attachments],
    }


def add_version(meeting: Meeting, actor: User, note: str) -> MeetingVersion:
    meeting.version += 1
    version = MeetingVersion(
        version=meeting.version,
        snapshot=json.dumps(snapshot(meeting), ensure_ascii=False),
        note=note,
        changed_by_id=actor.id,
        changed_at=now(),
    )
    meeting.versions.append(version)
    return version


def submit(meeting: Meeting, actor: User) -> None:
    """Send the record to the branch above for review."""
    _require_recorder(actor, meeting.branch)
    if meeting.status not in ("draft", "returned"):
        raise MeetingError([f"【状态】记录{STATUS_LABELS[meeting.status]}，不能再次提交"])
    errors = []
    if meeting.held_at is None:
        errors.append("【实际时间】提交审核前请填写实际召开时间")
    if not meeting.content.strip():
        errors.append("【会议内容】提交审核前请填写会议内容")
    if errors:
        raise MeetingError(errors)
    meeting.status = "submitted"
    meeting.updated_at = now()
    db.session.flush()


def review(meeting: Meeting, actor: User, approve: bool, comment: str) -> None:
    """Approve (locks the record; version 1) or return it with a comment."""
    if not can_review(actor, meeting):
        raise MeetingForbidden("只有上级部门的支部书记、领导或管理员可以审核这条记录")
    if meeting.status != "submitted":
        raise MeetingError(["【状态】这条记录不在待审核状态"])
    comment = comment.strip()
    if not approve and not comment:
        raise MeetingError(["【审核意见】退回时请写明原因"])
    if len(comment) > 500:
        raise MeetingError(["【审核意见】不能超过500字"])
    meeting.review_comment = comment
    meeting.reviewed_by_id, meeting.reviewed_at = actor.id, now()
    meeting.status = "approved" if approve else "returned"
    if approve:
        add_version(meeting, actor, "审核通过" + (f"：{comment}" if comment else ""))
    db.session.flush()


def version_rows(meeting: Meeting) -> list[tuple[MeetingVersion, dict[str, object]]]:
    return [(v, json.loads(v.snapshot)) for v in meeting.versions]


# --- attachments ---------------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mimetype, extension) by the file's first bytes, never by its name."""
    for magic, mimetype, ext in _MAGIC:
        if data.startswith(magic):
            return mimetype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def add_attachment(
    meeting: Meeting, filename: str, data: bytes, actor: User, folder: Path
) -> MeetingAttachment:
    """Keep a photo or PDF under ``folder`` by a random name; flushes."""
    _require_recorder(actor, meeting.branch)
    if meeting.status == "submitted":
        raise MeetingError(["【附件】记录已提交审核，审核之前不能添加附件"])
    name = Path(filename or "").name[:200] or "附件"
    if not data:
        raise MeetingError([f"【附件】“{name}”是空文件"])
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise MeetingError([f"【附件】“{name}”超过 {MAX_ATTACHMENT_BYTES // 1048576} MB"])
    kind = sniff(data)
    if kind is None:
        raise MeetingError([f"【附件】“{name}”不是图片（JPG、PNG、GIF、WebP）或 PDF 文件"])
    mimetype, ext = kind
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + ext
    (folder / stored).write_bytes(data)
    attachment = MeetingAttachment(
        stored_name=stored,
        original_name=name,
        mimetype=mimetype,
        size=len(data),
        uploaded_by_id=actor.id,
    )
    meeting.attachments.append(attachment)
    if meeting.locked:
        add_version(meeting, actor, f"添加附件：{name}")
    db.session.flush()
    return attachment


# --- 补学 ----------------------------------------------------------------------------------------


def makeup_tasks(user: User) -> list[MeetingAttendee]:
    """Meetings ``user`` missed (请假 or 缺席) whose record has been sent up: read and confirm."""
    return list(
        db.session.scalars(
            sa.select(MeetingAttendee)
            .join(Meeting)
            .where(
                MeetingAttendee.user_id == user.id,
                MeetingAttendee.status.in_(("leave", "absent")),
                Meeting.held_at.is_not(None),
                Meeting.status.in_(("submitted", "approved")),
            )
            .order_by(Meeting.held_at.desc())
        )
    )


def confirm_makeup(meeting: Meeting, user: User) -> MeetingAttendee:
    """The absentee confirms "已学习"; counted apart from attendance."""
    row = next((a for a in meeting.attendees if a.user_id == user.id), None)
    if row is None or row.status not in ("leave", "absent"):
        raise MeetingError(["【补学】您参加了这次会议或不在应到人员中，无需补学"])
    if meeting.held_at is None or meeting.status not in ("submitted", "approved"):
        raise MeetingError(["【补学】会议记录尚未提交，暂时不能补学"])
    if row.makeup_done_at is None:
        row.makeup_done_at = now()
    db.session.flush()
    return row


def meetings_for_branches(branch_ids: sa.Select[tuple[int]] | None) -> sa.Select[tuple[Meeting]]:
    stmt = sa.select(Meeting).order_by(Meeting.planned_at.desc())
    if branch_ids is not None:
        stmt = stmt.where(Meeting.branch_id.in_(branch_ids))
    return stmt


def recorder_branch_ids(user: User) -> sa.Select[tuple[int]] | None:
    """SELECT of the branches whose meetings ``user`` records; None means all."""
    scope = access.secretary_scope(user)
    if scope is None:
        return None
    if not scope:
        return sa.select(Branch.id).where(sa.false())
    return sa.select(Branch.id).where(sa.or_(*(Branch.path.startswith(r.path) for r in scope)))
