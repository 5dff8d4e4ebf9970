"""Reading the ledger: today's points, a person's history, streaks, and leaderboards per week,
month and year — per person, and per branch as points per member of its roster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.points import PointEntry
from quiz_app.services.points.ledger import local_day
from quiz_app.services.points.rules import SHORT

PERIODS = {"week": "本周", "month": "本月", "year": "本年"}


def period_bounds(period: str, moment: datetime) -> tuple[date, date]:
    """First and last Beijing day of the week (Monday first), month or year holding ``moment``."""
    today = local_day(moment)
    if period == "week":
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = today.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    if period == "year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    raise ValueError(f"unknown period {period!r}")


def _between(start: date, end: date) -> sa.ColumnElement[bool]:
    return PointEntry.day.between(start.isoformat(), end.isoformat())


def total(user: User, start: date | None = None, end: date | None = None) -> int:
    """A person's net points, over all time or between two Beijing days."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(PointEntry.amount), 0)).where(
        PointEntry.user_id == user.id
    )
    if start is not None and end is not None:
        stmt = stmt.where(_between(start, end))
    return int(db.session.scalar(stmt) or 0)


def points_today(user: User, moment: datetime) -> int:
    """Net points earned on the Beijing day of ``moment`` (for the home page)."""
    day = local_day(moment)
    return total(user, day, day)


@dataclass(frozen=True)
class HistoryLine:
    entry: PointEntry

    @property
    def label(self) -> str:
        return SHORT.get(self.entry.activity, self.entry.activity)


def history(user: User, limit: int = 50) -> list[HistoryLine]:
    """The person's latest ledger lines, newest first (corrections included, as they happened)."""
    rows = db.session.scalars(
        sa.select(PointEntry)
        .where(PointEntry.user_id == user.id)
        .order_by(PointEntry.at.desc(), PointEntry.id.desc())
        .limit(limit)
    )
    return [HistoryLine(e) for e in rows]


def streak(user: User, moment: datetime) -> int:
    """连续学习天数: consecutive Beijing days, ending today (or yesterday, as today is not over),
    with any award on record (a capped zero award counts: the person did study)."""
    today = local_day(moment)
    days = {
        date.fromisoformat(d)
        for d in db.session.scalars(
            sa.select(PointEntry.day)
            .where(
                PointEntry.user_id == user.id,
                PointEntry.kind == "award",
                PointEntry.day >= (today - timedelta(days=800)).isoformat(),
                PointEntry.day <= today.isoformat(),
            )
            .distinct()
        )
    }
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True)
class PersonRow:
    rank: int
    user_id: int
    name: str
    branch: str
    points: int


def _ranked(rows: Sequence[tuple[int, str, str, int]]) -> list[PersonRow]:
    """Competition ranking (1, 1, 3): equal points share a place."""
    result: list[PersonRow] = []
    for i, (uid, name, branch, pts) in enumerate(rows):
        rank = result[-1].rank if result and result[-1].points == pts else i + 1
        result.append(PersonRow(rank, uid, name, branch, pts))
    return result


def person_board(
    start: date, end: date, branch_ids: sa.Select[tuple[int]] | None = None, top: int = 20
) -> list[PersonRow]:
    """The people with the most points between two Beijing days (active people; ties share)."""
    points = sa.func.sum(PointEntry.amount).label("points")
    stmt = (
        sa.select(User.id, User.real_name, Branch.name, points)
        .join(User, User.id == PointEntry.user_id)
        .join(Branch, Branch.id == User.branch_id)
        .where(_between(start, end), User.active)
        .group_by(User.id, User.real_name, Branch.name)
        .having(sa.func.sum(PointEntry.amount) > 0)
        .order_by(points.desc(), User.real_name, User.id)
    )
    if branch_ids is not None:
        stmt = stmt.where(User.branch_id.in_(branch_ids))
    rows = [(int(u), n, b, int(p)) for u, n, b, p in db.session.execute(stmt)]
    ranked = _ranked(rows)
    last = ranked[top - 1].points if len(ranked) >= top else None
    return [r for r in ranked if last is None or r.points >= last]


def rank_of(user: User, start: date, end: date) -> tuple[int, int] | None:
    """(place, points) of a person among everyone with points in the period; None if none."""
    mine = total(user, start, end)
    if mine <= 0:
        return None
    per_person = (
        sa.select(PointEntry.user_id, sa.func.sum(PointEntry.amount).label("p"))
        .join(User, User.id == PointEntry.user_id)
        .where(_between(start, end), User.active)
        .group_by(PointEntry.user_id)
        .subquery()
    )
    ahead = db.session.scalar(
        sa.select(sa.func.count()).select_from(per_person).where(per_person.c.p > mine)
    )
    return int(ahead or 0) + 1, mine


@dataclass(frozen=True)
class BranchRow:
    branch: Branch
    members: int
    points: int

    @property
    def average(self) -> float:
        return self.points / self.members if self.members else 0.0


def board_branches(roots: Sequence[Branch] | None) -> list[Branch]:
    """The branches a board compares: the children of the given roots (or of the tree's top)."""
    if roots is None:
        roots = list(db.session.scalars(sa.select(Branch).where(Branch.parent_id.is_(None))))
    children: list[Branch] = []
    for root in roots:
        kids = [c for c in root.children if c.active]
        children.extend(kids or [root])
    return children


def branch_board(start: date, end: date, branches: Sequence[Branch]) -> list[BranchRow]:
    """Each branch (with its subtree): active members on the roster (never signed in counts), their
    net points in the period, ranked by points per member — a big branch does not win by size."""
    members = dict(
        db.session.execute(
            sa.select(User.branch_id, sa.func.count()).where(User.active).group_by(User.branch_id)
        ).all()
    )
    earned = dict(
        db.session.execute(
            sa.select(User.branch_id, sa.func.sum(PointEntry.amount))
            .join(User, User.id == PointEntry.user_id)
            .where(_between(start, end), User.active)
            .group_by(User.branch_id)
        ).all()
    )
    paths = dict(db.session.execute(sa.select(Branch.id, Branch.path)).all())
    rows = []
    for branch in branches:
        inside = [bid for bid, path in paths.items() if path.startswith(branch.path)]
        rows.append(
            BranchRow(
                branch,
                sum(int(members.get(b, 0)) for b in inside),
                sum(int(earned.get(b) or 0) for b in inside),
            )
        )
    rows.sort(key=lambda r: (-r.average, -r.members, r.branch.path))
    return rows
