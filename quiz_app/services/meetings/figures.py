"""The year's meeting figures for the report: per type, meetings held, people present, rate."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models.meetings import Meeting, MeetingAttendee, MeetingType


def year_figures(
    start: datetime, end: datetime, branch_ids: sa.Select[tuple[int]] | None
) -> list[dict[str, object]]:
    """For each meeting type: 次数 (meetings held in [start, end)), 参加人次 (present) and
    出勤率 (present / expected, %; None when nobody was expected). ``branch_ids`` None = all."""
    held = sa.and_(Meeting.held_at >= start, Meeting.held_at < end)
    if branch_ids is not None:
        held = sa.and_(held, Meeting.branch_id.in_(branch_ids))
    counts = dict(
        db.session.execute(
            sa.select(Meeting.type_id, sa.func.count()).where(held).group_by(Meeting.type_id)
        ).all()
    )
    people: dict[int, tuple[int, int]] = {
        type_id: (int(expected), int(present or 0))
        for type_id, expected, present in db.session.execute(
            sa.select(
                Meeting.type_id,
                sa.func.count(),
                sa.func.sum(sa.case((MeetingAttendee.status == "present", 1), else_=0)),
            )
            .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
            .where(held)
            .group_by(Meeting.type_id)
        )
    }
    figures: list[dict[str, object]] = []
    for mtype in db.session.scalars(
        sa.select(MeetingType).order_by(MeetingType.sort_order, MeetingType.id)
    ):
        expected, present = people.get(mtype.id, (0, 0))
        figures += [
            {
                "key": f"meeting.{mtype.code}.count",
                "label": f"{mtype.name}次数",
                "value": int(counts.get(mtype.id, 0)),
                "unit": "次",
            },
            {
                "key": f"meeting.{mtype.code}.attendance",
                "label": f"{mtype.name}参加人次",
                "value": present,
                "unit": "人次",
            },
            {
                "key": f"meeting.{mtype.code}.rate",
                "label": f"{mtype.name}出勤率",
                "value": round(100 * present / expected, 1) if expected else None,
                "unit": "%",
            },
        ]
    return figures
