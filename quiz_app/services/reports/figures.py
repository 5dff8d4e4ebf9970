"""Counts of a requirement per branch (应报, 已报, 已通过, 退回, 逾期) over the roster — people
who never signed in count — the not-yet list for reminders, the year figures, and the to-do
items a person's home page shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Branch, ReportRequirement, ReportStatus, StudyReport, User
from quiz_app.services.audience import audience_condition
from quiz_app.services.branches import in_tree_order
from quiz_app.services.reports.requirements import requirements_for

SUBMITTED = (ReportStatus.SUBMITTED.value, ReportStatus.RETURNED.value, ReportStatus.APPROVED.value)


@dataclass
class Counts:
    expected: int = 0  # 应报
    submitted: int = 0  # 已报 (submitted at least once)
    approved: int = 0  # 已通过
    returned: int = 0  # 退回 (waiting for the author's revision)
    overdue: int = 0  # 逾期 (due date passed, nothing submitted)

    def add(self, other: Counts) -> None:
        self.expected += other.expected
        self.submitted += other.submitted
        self.approved += other.approved
        self.returned += other.returned
        self.overdue += other.overdue

    @property
    def rate(self) -> float | None:
        return self.submitted / self.expected if self.expected else None


@dataclass
class BranchCounts:
    branch: Branch
    depth: int
    counts: Counts


@dataclass
class Missing:
    """People of one branch who have not submitted: the reminder line."""

    branch: Branch
    people: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        return f"{self.branch.name}（{len(self.people)} 人）：" + "、".join(self.people)


@dataclass
class RequirementFigures:
    total: Counts
    rows: list[BranchCounts]
    missing: list[Missing]

    @property
    def missing_text(self) -> str:
        return "\n".join(m.line for m in self.missing)


def requirement_figures(
    requirement: ReportRequirement,
    moment: datetime,
    branch_ids: sa.Select[tuple[int]] | None = None,
) -> RequirementFigures:
    """Counts per branch (each with its subtree, in tree order) over the audience on the roster,
    limited to ``branch_ids`` (a leader's scope) when given; plus who has not submitted."""
    conditions = [audience_condition(requirement)]
    if branch_ids is not None:
        conditions.append(User.branch_id.in_(branch_ids))
    rows = db.session.execute(
        sa.select(User.branch_id, User.real_name, StudyReport.status)
        .outerjoin(
            StudyReport,
            sa.and_(StudyReport.user_id == User.id, StudyReport.requirement_id == requirement.id),
        )
        .where(*conditions)
        .order_by(User.real_name, User.id)
    ).all()
    late = moment > requirement.due_at
    leaf: dict[int, Counts] = defaultdict(Counts)
    names: dict[int, list[str]] = defaultdict(list)
    for branch_id, name, status in rows:
        c = leaf[branch_id]
        c.expected += 1
        if status in SUBMITTED:
            c.submitted += 1
            c.approved += status == ReportStatus.APPROVED
            c.returned += status == ReportStatus.RETURNED
        else:
            c.overdue += late
            names[branch_id].append(name)
    if not leaf:
        return RequirementFigures(Counts(), [], [])
    leaf_branches = db.session.scalars(sa.select(Branch).where(Branch.id.in_(list(leaf)))).all()
    ancestor_ids = {int(p) for b in leaf_branches for p in b.path.strip("/").split("/")}
    if branch_ids is not None:  # a leader's rows stop at the top of their scope
        ancestor_ids &= set(db.session.scalars(branch_ids))
    shown = in_tree_order(
        list(db.session.scalars(sa.select(Branch).where(Branch.id.in_(ancestor_ids))))
    )
    by_id = {b.id: b for b in shown}
    rolled: dict[int, Counts] = defaultdict(Counts)
    for b in leaf_branches:
        for p in b.path.strip("/").split("/"):
            if int(p) in by_id:
                rolled[int(p)].add(leaf[b.id])
    total = Counts()
    for c in leaf.values():
        total.add(c)
    top = min(b.depth for b in shown)
    return RequirementFigures(
        total,
        [BranchCounts(b, b.depth - top, rolled[b.id]) for b in shown],
        [Missing(by_id[bid], names[bid]) for bid in (b.id for b in shown) if names.get(bid)],
    )


# --- the year report -----------------------------------------------------------------------------


def year_figures(
    start: datetime, end: datetime, branch_ids: sa.Select[tuple[int]] | None = None
) -> list[dict[str, Any]]:
    """一学一报 figures for the year report: reports first submitted in [start, end) and reports
    approved in it, by the author's branch at submission (``branch_ids``: a leader's scope)."""

    def count(column: Any) -> int:
        stmt = (
            sa.select(sa.func.count()).select_from(StudyReport).where(column >= start, column < end)
        )
        if branch_ids is not None:
            stmt = stmt.where(StudyReport.branch_id.in_(branch_ids))
        return int(db.session.scalar(stmt) or 0)

    approved = count(StudyReport.approved_at)
    return [
        {
            "key": "report.count",
            "label": "一学一报（提交）",
            "value": count(StudyReport.first_submitted_at),
            "unit": "篇",
        },
        {
            "key": "report.approved",
            "label": "一学一报（审阅通过）",
            "value": approved,
            "unit": "篇",
        },
    ]


# --- home page ---------------------------------------------------------------------------------


def todo_items(user: User, moment: datetime) -> list[dict[str, Any]]:
    """Reports the person still has to write or revise, soonest due first:
    {"kind": "report", "title", "url", "due_at" (UTC or None), "status", "action"}."""
    items = []
    for requirement in requirements_for(user):
        report = db.session.scalar(
            sa.select(StudyReport).where(
                StudyReport.requirement_id == requirement.id, StudyReport.user_id == user.id
            )
        )
        status = report.status if report is not None else None
        if status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
            continue
        if status == ReportStatus.RETURNED:
            label, action = "已退回，请修改", "修改后重新提交"
        elif moment > requirement.due_at:
            label, action = "已逾期，未提交", "补交报告"
        else:
            label, action = ("草稿未提交" if report else "未提交"), "写报告"
        items.append(
            {
                "kind": "report",
                "title": requirement.title,
                "url": f"/reports/{requirement.id}/write",
                "due_at": requirement.due_at,
                "status": label,
                "action": action,
            }
        )
    return items
