"""Open study for the home page's to-do list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from quiz_app.models import User
from quiz_app.models.study import StudyTrack
from quiz_app.services.study import materials, progress


def todo_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    """Open 专题 and campaign materials this person has not finished, soonest due first:
    {"kind": "study", "title", "url", "due_at" (UTC or None), "status", "action"}.
    Needs an app context (it builds URLs)."""
    holders: list[materials.Holder] = [
        t for t in materials.visible_tracks(user, moment) if materials.is_open(t, moment)
    ]
    holders += [
        c for c in materials.campaigns_with_materials(user, moment) if materials.is_open(c, moment)
    ]
    items = []
    for holder in holders:
        state = progress.progress_for(user, holder)
        if state.complete or not state.total:
            continue
        is_track = isinstance(holder, StudyTrack)
        items.append(
            {
                "kind": "study",
                "title": holder.title if is_track else f"{holder.title}·学习资料",
                "url": url_for(
                    "study.track" if is_track else "study.campaign",
                    **({"track_id": holder.id} if is_track else {"campaign_id": holder.id}),
                ),
                "due_at": holder.closes_at,
                "status": state.status,
                "action": "继续学习" if any(i.opened for i in state.items) else "开始学习",
            }
        )
    items.sort(key=lambda i: (i["due_at"] is None, i["due_at"]))
    return items
