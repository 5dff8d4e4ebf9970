"""The year report's study figures, from the per-day study rows.

Study time is kept per person, material and Beijing date (``StudyDay``), with the person's branch
at the time; a range is therefore counted by whole Beijing days: the days from start's Beijing
date up to the day before end's (end exclusive; a range ending mid-day includes that day).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import sqlalchemy as sa

from quiz_app.clock import to_local
from quiz_app.extensions import db
from quiz_app.models import Branch
from quiz_app.models.study import StudyDay, StudyMaterial, StudyTrack, TrackStatus


def _days(start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    first = to_local(start).date()  # type: ignore[union-attr]
    local_end = to_local(end)
    assert local_end is not None
    last_excl = local_end.date()
    cond = sa.and_(StudyDay.day >= first, StudyDay.day < last_excl)
    if local_end.time() != time(0):
        cond = sa.and_(StudyDay.day >= first, StudyDay.day <= last_excl)
    return cond


def _track_count(start: datetime, end: datetime, branch_ids: Any) -> int:
    tracks = db.session.scalars(
        sa.select(StudyTrack).where(
            StudyTrack.status == TrackStatus.PUBLISHED,
            StudyTrack.opens_at < end,
            StudyTrack.closes_at > start,
        )
    ).all()
    if branch_ids is None:
        return len(tracks)
    paths = list(db.session.scalars(sa.select(Branch.path).where(Branch.id.in_(branch_ids))))
    # a 专题 counts when its audience reaches into the scope (or the scope lies inside it)
    return sum(
        1
        for t in tracks
        if any(p.startswith(b.path) or b.path.startswith(p) for b in t.branches for p in paths)
    )


def year_figures(start: datetime, end: datetime, branch_ids: Any = None) -> list[dict[str, Any]]:
    """线上学习 and 专题学习 figures for [start, end) (UTC), for the whole tree (None) or the
    branches of a SELECT of branch ids (as ``access.scope_branch_ids`` returns)."""
    where = [_days(start, end), StudyDay.seconds > 0]
    if branch_ids is not None:
        where.append(StudyDay.branch_id.in_(branch_ids))
    pairs = sa.select(StudyDay.user_id, StudyDay.material_id).where(*where).distinct().subquery()
    people = db.session.scalar(sa.select(sa.func.count()).select_from(pairs)) or 0
    seconds = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StudyDay.seconds), 0)).where(*where)
    )
    on_tracks = (
        sa.select(StudyDay.user_id, StudyMaterial.track_id, StudyDay.seconds)
        .join(StudyMaterial, StudyMaterial.id == StudyDay.material_id)
        .where(*where, StudyMaterial.track_id.is_not(None))
        .subquery()
    )
    track_people = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(on_tracks.c.user_id, on_tracks.c.track_id).distinct().subquery()
        )
    )
    track_seconds = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(on_tracks.c.seconds), 0))
    )
    return [
        {"key": "study.people", "label": "线上学习人次", "value": int(people), "unit": "人次"},
        {"key": "study.minutes", "label": "线上学习时长", "value": round(int(seconds) / 60), "unit": "分钟"},
        {"key": "track.count", "label": "专题学习次数", "value": _track_count(start, end, branch_ids), "unit": "次"},
        {"key": "track.people", "label": "专题学习人次", "value": int(track_people or 0), "unit": "人次"},
        {"key": "track.minutes", "label": "专题学习时长", "value": round(int(track_seconds or 0) / 60), "unit": "分钟"},
    ]  # fmt: skip
