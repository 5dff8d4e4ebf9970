"""Per-branch study figures for leaders: completion over the roster, and study time.

The denominator is the audience as campaigns count it (``audience_condition``: every active
person in the audience, signed in or not), by current branch, rolled up the tree like the quiz
figures; the scope is the leader's (``services.stats`` Scope and focus).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.study import StudyProgress, StudyTrack, track_branch
from quiz_app.services import access
from quiz_app.services import stats as quiz_stats
from quiz_app.services.audience import audience_condition
from quiz_app.services.stats import Scope, StatsDenied
from quiz_app.services.stats.scope import _within as within_focus
from quiz_app.services.study import materials


def track_scope(user: User, track: StudyTrack) -> Scope:
    """What ``user`` may see of a 专题's figures; StatsDenied(403) when nothing."""
    if materials.can_edit_track(user, track):
        return Scope(None)
    if access.can_lead(user):
        roots = access.leader_scope(user)
        if roots is None:
            return Scope(None)
        paths = [b.path for b in track.branches]
        if any(p.startswith(r.path) or r.path.startswith(p) for p in paths for r in roots):
            return Scope(tuple(roots))
    raise StatsDenied(403, "您无权查看该专题的学习统计")


def holder_scope(user: User, holder: materials.Holder) -> Scope:
    if isinstance(holder, StudyTrack):
        return track_scope(user, holder)
    return quiz_stats.campaign_scope(user, holder)


def visible_tracks_for_stats(user: User) -> list[StudyTrack]:
    """Published 专题 whose figures the person may see, newest first."""
    stmt = sa.select(StudyTrack).order_by(StudyTrack.opens_at.desc(), StudyTrack.id.desc())
    if access.is_admin(user):
        return list(db.session.scalars(stmt))
    conditions: list[sa.ColumnElement[bool]] = []
    if access.can_organize(user):
        conditions.append(StudyTrack.created_by_id == user.id)
    if access.can_lead(user):
        roots = access.leader_scope(user)
        if roots is None:
            return list(db.session.scalars(stmt.where(StudyTrack.status == "published")))
        aud = aliased(Branch)
        overlap = sa.or_(
            sa.false(),
            *(
                sa.or_(aud.path.startswith(r.path), sa.literal(r.path).startswith(aud.path))
                for r in roots
            ),
        )
        conditions.append(
            sa.and_(
                StudyTrack.status == "published",
                StudyTrack.id.in_(
                    sa.select(track_branch.c.track_id)
                    .join(aud, aud.id == track_branch.c.branch_id)
                    .where(overlap)
                ),
            )
        )
    if not conditions:
        return []
    return list(db.session.scalars(stmt.where(sa.or_(*conditions))))


@dataclass
class StudyRow:
    branch_id: int | None
    name: str
    path: str
    depth: int
    expected: int = 0
    done: int = 0
    started: int = 0
    seconds: int = 0

    @property
    def completion_rate(self) -> float | None:
        return self.done / self.expected if self.expected else None

    @property
    def minutes_per_person(self) -> float | None:
        return self.seconds / 60 / self.expected if self.expected else None


@dataclass(frozen=True)
class StudyFigures:
    rows: list[StudyRow]  # one per branch in the focus, depth-first
    total: StudyRow
    materials: int


def branch_study(
    holder: materials.Holder, scope: Scope, branch_id: int | None = None
) -> StudyFigures:
    """Per branch (rolled up the tree) and in total: people expected, done all materials,
    started, and seconds credited."""
    focus = quiz_stats.focus_for(scope, branch_id)
    items = materials.materials_of(holder)
    ids = [m.id for m in items] or [-1]
    audience = sa.and_(
        audience_condition(holder),
        within_focus(User.branch_id, focus),  # the quiz figures' own scope filter
    )
    per_person = (
        sa.select(
            StudyProgress.user_id,
            sa.func.count(StudyProgress.completed_at).label("done"),
            sa.func.sum(StudyProgress.seconds).label("seconds"),
        )
        .where(StudyProgress.material_id.in_(ids))
        .group_by(StudyProgress.user_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            User.branch_id,
            sa.func.count(User.id),
            sa.func.count(per_person.c.user_id),
            sa.func.coalesce(
                sa.func.sum(sa.case((per_person.c.done >= len(items), 1), else_=0)), 0
            ),
            sa.func.coalesce(sa.func.sum(per_person.c.seconds), 0),
        )
        .outerjoin(per_person, per_person.c.user_id == User.id)
        .where(audience)
        .group_by(User.branch_id)
    ).all()
    leaves = {int(r[0]): (int(r[1]), int(r[2]), int(r[3]) if items else 0, int(r[4])) for r in rows}
    branches = quiz_stats.branches_under(focus)
    paths = {
        b.id: b.path
        for b in db.session.scalars(sa.select(Branch).where(Branch.id.in_(list(leaves) or [-1])))
    }
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_path = {b.path: b.id for b in branches}
    for bid, values in leaves.items():
        path = paths.get(bid, "")
        parts = [p for p in path.strip("/").split("/") if p]
        for i in range(len(parts)):
            ancestor = "/" + "/".join(parts[: i + 1]) + "/"
            if ancestor in by_path:
                acc = sums[by_path[ancestor]]
                for k in range(4):
                    acc[k] += values[k]
    top_depth = min((b.depth for b in branches), default=0)
    out = []
    for b in branches:
        expected, started, done, seconds = sums.get(b.id, [0, 0, 0, 0])
        out.append(
            StudyRow(b.id, b.name, b.path, b.depth - top_depth, expected, done, started, seconds)
        )
    total = StudyRow(None, "合计", "", 0)
    for expected, started, done, seconds in leaves.values():
        total.expected += expected
        total.started += started
        total.done += done
        total.seconds += seconds
    return StudyFigures(out, total, len(items))
