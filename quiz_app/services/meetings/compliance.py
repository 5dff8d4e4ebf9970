"""The compliance calendar: for each branch, type and period, required vs held, overdue, due soon;
the leader's grid of branches × months, the secretary's to-do list, and attendance rates.

A meeting counts when it has an actual time (held_at), in the period (Beijing time) of that time,
for its own branch only — a meeting of another branch never fills this branch's quota.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from quiz_app.clock import to_local
from quiz_app.extensions import db
from quiz_app.models import Branch, User
from quiz_app.models.meetings import Meeting, MeetingAttendee, MeetingType, PartyBranchCover
from quiz_app.services import access
from quiz_app.services.branches import in_tree_order
from quiz_app.services.meetings import rules
from quiz_app.services.meetings.records import can_review, makeup_tasks

# How close to a period's end an unmet requirement counts as "due soon".
DUE_SOON = {
    "month": timedelta(days=7),
    "quarter": timedelta(days=15),
    "half": timedelta(days=30),
    "year": timedelta(days=30),
}
STATUS = {
    "overdue": ("✗", "逾期未开"),
    "due_soon": ("!", "即将到期"),
    "open": ("○", "本期未开"),
    "ok": ("✓", "已完成"),
    "exempt": ("免", "已免除"),
    "future": ("·", "未到期"),
    "none": ("–", "无要求"),
}
_WORST = ("overdue", "due_soon", "open", "ok", "exempt", "future", "none")


@dataclass(frozen=True)
class Cell:
    """One requirement in one period: e.g. 第一党支部 · 支部党员大会 · 2026-Q1."""

    branch: Branch
    mtype: MeetingType
    key: str
    required: int
    held: int
    status: str
    ends_at: datetime
    exemption_reason: str = ""
    source: str = ""
    period: str = ""

    @property
    def frequency(self) -> str:
        return rules.frequency_label(self.period, self.required)

    @property
    def symbol(self) -> str:
        return STATUS[self.status][0]

    @property
    def label(self) -> str:
        return STATUS[self.status][1]

    @property
    def period_label(self) -> str:
        return rules.period_label(self.key)


def held_counts(
    branch_ids: list[int], start: datetime, end: datetime
) -> list[tuple[int, int, datetime]]:
    """(branch id, type id, held_at) of the meetings held in [start, end)."""
    if not branch_ids:
        return []
    rows = db.session.execute(
        sa.select(Meeting.branch_id, Meeting.type_id, Meeting.held_at).where(
            Meeting.branch_id.in_(branch_ids),
            Meeting.held_at >= start,
            Meeting.held_at < end,
        )
    ).all()
    return [(b, t, h) for b, t, h in rows]


def _status(
    required: int,
    held: int,
    exempt: bool,
    start: datetime,
    end: datetime,
    period: str,
    moment: datetime,
) -> str:
    if exempt:
        return "exempt"
    if held >= required:
        return "ok"
    if end <= moment:
        return "overdue"
    if start > moment:
        return "future"
    return "due_soon" if end - moment <= DUE_SOON[period] else "open"


def year_cells(
    branches: list[Branch], year: int, moment: datetime, book: rules.RuleBook | None = None
) -> list[Cell]:
    """Every requirement of ``branches`` in ``year`` with its status at ``moment``."""
    book = book or rules.RuleBook()
    start, end = rules.period_bounds(str(year))
    counts: Counter[tuple[int, int, str]] = Counter()
    for branch_id, type_id, held_at in held_counts([b.id for b in branches], start, end):
        for period in rules.PERIODS:
            counts[(branch_id, type_id, f"{period}:{rules.period_key(held_at, period)}")] += 1
    cells: list[Cell] = []
    for branch in branches:
        for mtype in book.types:
            need = book.requirement(branch, mtype)
            if need is None:
                continue
            for key in rules.keys_in_year(need.period, year):
                p_start, p_end = rules.period_bounds(key)
                held = counts[(branch.id, mtype.id, f"{need.period}:{key}")]
                exemption = book.exemption(branch.id, mtype.id, key)
                cells.append(
                    Cell(
                        branch=branch,
                        mtype=mtype,
                        key=key,
                        required=need.count,
                        held=held,
                        status=_status(
                            need.count,
                            held,
                            exemption is not None,
                            p_start,
                            p_end,
                            need.period,
                            moment,
                        ),
                        ends_at=p_end,
                        exemption_reason=exemption.reason if exemption else "",
                        source=need.source,
                        period=need.period,
                    )
                )
    return cells


def cell_for(branch: Branch, mtype: MeetingType, moment: datetime) -> Cell | None:
    """The requirement of ``mtype`` for ``branch`` in the period containing ``moment``."""
    local = to_local(moment)
    assert local is not None
    for cell in year_cells([branch], local.year, moment):
        if cell.mtype.id != mtype.id:
            continue
        start, end = rules.period_bounds(cell.key)
        if start <= moment < end:
            return cell
    return None


def _month_of_end(cell: Cell) -> int:
    _period, _year, month, months = rules.parse_period_key(cell.key)
    return month + months - 1


@dataclass(frozen=True)
class GridRow:
    branch: Branch
    months: list[tuple[str, list[Cell], int]]  # (worst status, the cells due that month, held)
    problems: list[Cell]  # overdue and due soon, for the card list on phones

    @property
    def problem_summary(self) -> list[tuple[str, str, str]]:
        """(type name, status, "1月、2月、3月") — one line per type and status, for phones."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for cell in self.problems:
            grouped.setdefault((cell.mtype.name, cell.status), []).append(short_label(cell.key))
        return [(name, status, "、".join(keys)) for (name, status), keys in grouped.items()]


def short_label(key: str) -> str:
    period, _year, month, _ = rules.parse_period_key(key)
    if period == "month":
        return f"{month}月"
    if period == "quarter":
        return f"{'一二三四'[(month - 1) // 3]}季度"
    if period == "half":
        return "上半年" if month == 1 else "下半年"
    return "全年"


def grid(branches: list[Branch], year: int, moment: datetime) -> list[GridRow]:
    """Branches × months: each month's cell is the worst status of what falls due in it."""
    cells = year_cells(branches, year, moment)
    start, end = rules.period_bounds(str(year))
    held_by_month: Counter[tuple[int, int]] = Counter()
    for branch_id, _type_id, held_at in held_counts([b.id for b in branches], start, end):
        local = to_local(held_at)
        assert local is not None
        held_by_month[(branch_id, local.month)] += 1
    by_branch: dict[int, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_branch[cell.branch.id].append(cell)
    rows = []
    for branch in branches:
        mine = by_branch.get(branch.id, [])
        months = []
        for month in range(1, 13):
            due = [c for c in mine if _month_of_end(c) == month]
            worst = min((c.status for c in due), key=_WORST.index, default="none")
            months.append((worst, due, held_by_month[(branch.id, month)]))
        problems = [c for c in mine if c.status in ("overdue", "due_soon")]
        rows.append(GridRow(branch, months, problems))
    return rows


def branches_with_rules(user: User) -> list[Branch]:
    """Branches a leader (or secretary) oversees that have some meeting requirement: those in
    their subtree, and party branches that cover a branch of it."""
    book = rules.RuleBook()
    scope = access.leader_scope(user)
    if scope is not None:
        sec = access.secretary_scope(user) or []
        scope = [*scope, *sec]
    stmt = sa.select(Branch).where(Branch.active)
    if scope is not None:
        if not scope:
            return []
        in_scope = sa.or_(*(Branch.path.startswith(r.path) for r in scope))
        covering = (
            sa.select(PartyBranchCover.party_branch_id)
            .join(Branch, Branch.id == PartyBranchCover.branch_id)
            .where(in_scope)
        )
        stmt = stmt.where(sa.or_(in_scope, Branch.id.in_(covering)))
    found = [b for b in db.session.scalars(stmt) if any(book.requirement(b, t) for t in book.types)]
    return in_tree_order(found)


# --- attendance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    key: int
    name: str
    expected: int
    present: int
    leave: int
    absent: int
    makeup_done: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.present / self.expected, 1) if self.expected else None


def attendance(branch_ids: list[int], start: datetime, end: datetime, by: str) -> list[Attendance]:
    """Attendance at held meetings of ``branch_ids`` in [start, end), per person or per branch."""
    if not branch_ids:
        return []
    key_col = MeetingAttendee.user_id if by == "person" else Meeting.branch_id
    stmt = (
        sa.select(
            key_col,
            MeetingAttendee.status,
            sa.func.count(),
            sa.func.count(MeetingAttendee.makeup_done_at),
        )
        .join(Meeting, Meeting.id == MeetingAttendee.meeting_id)
        .where(
            Meeting.branch_id.in_(branch_ids),
            Meeting.held_at >= start,
            Meeting.held_at < end,
        )
        .group_by(key_col, MeetingAttendee.status)
    )
    tallies: dict[int, Counter[str]] = defaultdict(Counter)
    for key, status, n, made_up in db.session.execute(stmt):
        tallies[key][status] += n
        tallies[key]["makeup"] += made_up
    model = User if by == "person" else Branch
    names = {
        row.id: (row.real_name if by == "person" else row.name)
        for row in db.session.scalars(sa.select(model).where(model.id.in_(list(tallies))))
    }
    out = [
        Attendance(
            key=k,
            name=names.get(k, str(k)),
            expected=c["present"] + c["leave"] + c["absent"],
            present=c["present"],
            leave=c["leave"],
            absent=c["absent"],
            makeup_done=c["makeup"],
        )
        for k, c in tallies.items()
    ]
    return sorted(out, key=lambda a: (a.rate if a.rate is not None else 101, a.name))


# --- to-do ------------------------------------------------------------------------------------------


def _url(meeting_id: int | None = None, suffix: str = "") -> str:
    return f"/meetings/{meeting_id}{suffix}" if meeting_id else f"/meetings/{suffix}"


def todo_items(user: User, moment: datetime) -> list[dict[str, object]]:
    """What needs doing about meetings, for the home page's to-do list.

    Secretaries: requirements overdue or due soon, returned records, records waiting for their
    review; members: 补学 tasks and today's meetings to check in at.
    """
    items: list[dict[str, object]] = []
    scope = access.secretary_scope(user)
    if scope:  # a real secretary (admins see the calendar instead of every branch's chores)
        local = to_local(moment)
        assert local is not None
        mine = [
            b
            for b in db.session.scalars(
                sa.select(Branch).where(
                    Branch.active, sa.or_(*(Branch.path.startswith(r.path) for r in scope))
                )
            )
        ]
        # Only the latest overdue period of each type (last January's cannot be made up now)
        # and what falls due soon.
        latest: dict[tuple[int, int], Cell] = {}
        for cell in year_cells(in_tree_order(mine), local.year, moment):
            if cell.status == "due_soon":
                latest[(cell.branch.id, -cell.mtype.id)] = cell
            elif cell.status == "overdue":
                latest[(cell.branch.id, cell.mtype.id)] = cell  # later periods come later
        for cell in latest.values():
            items.append(
                {
                    "kind": "meeting",
                    "title": f"{cell.branch.name}：{cell.period_label}{cell.mtype.name}"
                    f"（应开{cell.required}次，已开{cell.held}次）",
                    "url": f"/meetings/new?branch={cell.branch.id}&type={cell.mtype.id}",
                    "due_at": cell.ends_at,
                    "status": cell.status,
                    "action": "安排会议",
                }
            )
        for meeting in db.session.scalars(
            sa.select(Meeting).where(
                Meeting.status == "returned",
                Meeting.branch_id.in_(
                    sa.select(Branch.id).where(
                        sa.or_(*(Branch.path.startswith(r.path) for r in scope))
                    )
                ),
            )
        ):
            items.append(
                {
                    "kind": "meeting",
                    "title": f"被退回：{meeting.topic}",
                    "url": _url(meeting.id),
                    "due_at": None,
                    "status": "returned",
                    "action": "修改后重新提交",
                }
            )
    if scope or access.can_lead(user):
        for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.status == "submitted")):
            if can_review(user, meeting):
                items.append(
                    {
                        "kind": "meeting",
                        "title": f"待审核：{meeting.branch.name} {meeting.type.name}《{meeting.topic}》",
                        "url": _url(meeting.id),
                        "due_at": None,
                        "status": "to_review",
                        "action": "审核",
                    }
                )
    for row in makeup_tasks(user):
        if row.makeup_done_at is None:
            items.append(
                {
                    "kind": "meeting",
                    "title": f"补学：{row.meeting.type.name}《{row.meeting.topic}》",
                    "url": _url(row.meeting_id),
                    "due_at": None,
                    "status": "makeup",
                    "action": "学习并确认",
                }
            )
    local_day = to_local(moment).date()  # type: ignore[union-attr]
    for row in db.session.scalars(
        sa.select(MeetingAttendee)
        .join(Meeting)
        .where(
            MeetingAttendee.user_id == user.id,
            MeetingAttendee.status != "present",
            Meeting.planned_at >= moment - timedelta(days=1),
            Meeting.planned_at < moment + timedelta(days=1),
        )
    ):
        meeting = row.meeting
        if to_local(meeting.starts_at).date() == local_day:  # type: ignore[union-attr]
            items.append(
                {
                    "kind": "meeting",
                    "title": f"今天的会议：{meeting.type.name}《{meeting.topic}》",
                    "url": _url(meeting.id),
                    "due_at": meeting.starts_at,
                    "status": "today",
                    "action": "到会后扫码签到",
                }
            )
    return items
