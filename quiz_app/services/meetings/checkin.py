"""Check-in by rotating QR code: a signed token of (meeting, 30-second window).

The code on the screen changes every window. A scan is accepted in the window it was drawn in and
the one after it (a phone may take a few seconds to open the link, and the clocks of the screen
and the server may differ slightly); anything older is a photo of an old code and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from itsdangerous import BadSignature, URLSafeSerializer

from quiz_app.clock import format_local, now
from quiz_app.extensions import db
from quiz_app.models import User
from quiz_app.models.meetings import Meeting, MeetingAttendee
from quiz_app.services import access
from quiz_app.services.meetings.records import MeetingError, MeetingForbidden

WINDOW_SECONDS = 30
_SALT = "meeting-checkin"


class CheckinRefused(ValueError):
    """A scan that cannot be accepted; the message says why, in Chinese."""


@dataclass(frozen=True)
class CheckinResult:
    meeting: Meeting
    attendee: MeetingAttendee
    already: bool  # scanned before: a friendly note, not an error


def window_index(moment: datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def seconds_left(moment: datetime) -> int:
    return WINDOW_SECONDS - int(moment.timestamp()) % WINDOW_SECONDS


def make_token(meeting_id: int, window: int, secret: str) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps([meeting_id, window])


def read_token(token: str, secret: str) -> tuple[int, int]:
    try:
        meeting_id, window = URLSafeSerializer(secret, salt=_SALT).loads(token)
        return int(meeting_id), int(window)
    except (BadSignature, ValueError, TypeError) as exc:
        raise CheckinRefused(
            "二维码无效（可能被改动过或不是本系统的签到码），请扫描会场屏幕上的二维码"
        ) from exc


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG, drawn here (no outside service)."""
    return segno.make(url, error="m").svg_inline(
        scale=4, border=2, omitsize=True, dark="#000", light="#fff"
    )


def checkin_window(meeting: Meeting, margin_minutes: int) -> tuple[datetime, datetime]:
    """When scans are accepted: the meeting's time ± the configured margin."""
    start = meeting.starts_at
    margin = timedelta(minutes=margin_minutes)
    return start - margin, start + timedelta(minutes=meeting.duration_minutes) + margin


def check_in(
    token: str,
    user: User,
    moment: datetime,
    secret: str,
    margin_minutes: int,
    scanned_at: datetime | None = None,
) -> CheckinResult:
    """Record ``user`` present by a scanned code, once; CheckinRefused says why not.

    ``scanned_at`` is when the code reached the server, if the person signed in after that."""
    meeting_id, window = read_token(token, secret)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise CheckinRefused("这次会议已不存在")
    row = next((a for a in meeting.attendees if a.user_id == user.id), None)
    if row is not None and row.status == "present":
        return CheckinResult(meeting, row, already=True)  # a second scan: a note, not an error
    current = window_index(scanned_at or moment)
    if window > current or window < current - 1:
        raise CheckinRefused(
            f"二维码已过期（每{WINDOW_SECONDS}秒更换一次），请扫描屏幕上正在显示的二维码"
        )
    if row is None:
        raise CheckinRefused(
            f"您不在“{meeting.topic}”的应到人员中，无需签到；如有疑问请联系支部书记"
        )
    opens, closes = checkin_window(meeting, margin_minutes)
    if not opens <= moment <= closes:
        raise CheckinRefused(
            f"现在不在签到时间内：本次会议可在 {format_local(opens, '%m月%d日 %H:%M')} 至 "
            f"{format_local(closes, '%H:%M')} 之间签到"
        )
    row.status, row.method, row.checked_in_at = "present", "qr", moment
    row.leave_reason, row.marked_by_id = "", None
    db.session.flush()
    return CheckinResult(meeting, row, already=False)


def mark_by_hand(meeting: Meeting, user_id: int, actor: User) -> MeetingAttendee:
    """The secretary marks an expected person present (method 手工)."""
    if not access.can_record_meetings(actor, meeting.branch):
        raise MeetingForbidden(f"您不是“{meeting.branch.name}”的支部书记，不能代为签到")
    if meeting.locked or meeting.status == "submitted":
        raise MeetingError(["【签到】记录已提交或已审核，请在修改记录时调整出席情况"])
    row = next((a for a in meeting.attendees if a.user_id == user_id), None)
    if row is None:
        raise MeetingError(["【签到】此人不在应到人员中"])
    if row.status != "present":
        row.status, row.method, row.checked_in_at = "present", "manual", now()
        row.leave_reason, row.marked_by_id = "", actor.id
    db.session.flush()
    return row
