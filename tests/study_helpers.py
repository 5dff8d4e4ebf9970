"""Small factories for 专题 and materials, shared by the study tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.study import StudyMaterial, StudyTrack
from quiz_app.services.study import content
from tests import factories


def make_track(
    branches: Iterable[Branch] | None = None,
    *,
    status: str = "published",
    creator: User | None = None,
    title: str = "保密法学习专题",
) -> StudyTrack:
    moment = clock.now()
    track = StudyTrack(
        title=title,
        opens_at=moment - timedelta(days=1),
        closes_at=moment + timedelta(days=7),
        status=status,
        created_by_id=creator.id if creator else None,
    )
    track.branches = list(branches) if branches is not None else [factories.root_branch()]
    db.session.add(track)
    db.session.flush()
    return track


def make_material(
    holder: StudyTrack | None = None,
    *,
    kind: str = "article",
    min_seconds: int = 120,
    campaign=None,  # type: ignore[no-untyped-def]
    title: str | None = None,
    body: str = "# 第一章\n\n正文。",
    url: str = "",
) -> StudyMaterial:
    material = StudyMaterial(
        kind=kind,
        title=title or f"资料-{kind}",
        min_seconds=min_seconds,
        body_md=body,
        body_html=content.render_markdown(body),
        url=url,
        track_id=holder.id if holder is not None else None,
        campaign_id=campaign.id if campaign is not None else None,
    )
    db.session.add(material)
    db.session.flush()
    return material
