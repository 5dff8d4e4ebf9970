"""The points rules: per activity, the points, a daily cap, and the Beijing date they apply from.

A change never rewrites the past: saving a rule adds a row effective from a date, and an award
uses the rule in force on the Beijing day of the activity. Until an admin saves a rule, the
defaults below (chosen by the development team, modest on purpose) apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import User
from quiz_app.models.points import ACTIVITIES, PointRule

LABELS = {
    "material_finished": "学完一份学习材料",
    "study_minutes": "学习时长",
    "practice_done": "完成每日一练",
    "quiz_taken": "参加一场竞答",
    "quiz_passed": "竞答及格",
    "report_approved": "一学一报通过审阅",
}
SHORT = {
    "material_finished": "学习材料",
    "study_minutes": "学习时长",
    "practice_done": "每日一练",
    "quiz_taken": "参加竞答",
    "quiz_passed": "竞答及格",
    "report_approved": "一学一报",
}


@dataclass(frozen=True)
class Rule:
    """The rule in force: ``id`` None for a built-in default."""

    activity: str
    points: int
    per_minutes: int | None
    daily_cap: int | None
    effective_from: date | None
    id: int | None = None

    @property
    def label(self) -> str:
        return LABELS[self.activity]

    @property
    def describe(self) -> str:
        unit = f"每 {self.per_minutes} 分钟" if self.per_minutes else "每次"
        cap = f"，每天最多 {self.daily_cap} 分" if self.daily_cap is not None else "，每天不限"
        return f"{unit} {self.points} 分{cap}"


DEFAULTS: dict[str, Rule] = {
    "material_finished": Rule("material_finished", 1, None, 5, None),
    "study_minutes": Rule("study_minutes", 1, 5, 6, None),
    "practice_done": Rule("practice_done", 1, None, 1, None),
    "quiz_taken": Rule("quiz_taken", 2, None, None, None),
    "quiz_passed": Rule("quiz_passed", 3, None, None, None),
    "report_approved": Rule("report_approved", 3, None, None, None),
}


class RuleError(ValueError):
    """A rule change that is refused; the message is shown as is."""


def _from_row(row: PointRule) -> Rule:
    return Rule(
        row.activity, row.points, row.per_minutes, row.daily_cap, row.effective_from, row.id
    )


def rule_for(activity: str, day: date) -> Rule:
    """The rule for ``activity`` on Beijing day ``day``: the latest one effective by then."""
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown activity {activity!r}")
    row = db.session.scalars(
        sa.select(PointRule)
        .where(PointRule.activity == activity, PointRule.effective_from <= day)
        .order_by(PointRule.effective_from.desc())
        .limit(1)
    ).first()
    return _from_row(row) if row is not None else DEFAULTS[activity]


def current_rules(day: date) -> list[Rule]:
    """Every activity's rule in force on ``day``, in the order of ACTIVITIES."""
    return [rule_for(a, day) for a in ACTIVITIES]


def upcoming(day: date) -> list[Rule]:
    """Rules saved to take effect after ``day`` (so the admin sees what is scheduled)."""
    rows = db.session.scalars(
        sa.select(PointRule)
        .where(PointRule.effective_from > day)
        .order_by(PointRule.effective_from, PointRule.activity)
    )
    return [_from_row(r) for r in rows]


def history() -> list[Rule]:
    """Every saved rule, newest first: the record of what applied when."""
    rows = db.session.scalars(
        sa.select(PointRule).order_by(PointRule.effective_from.desc(), PointRule.activity)
    )
    return [_from_row(r) for r in rows]


def set_rule(
    activity: str,
    points: int,
    daily_cap: int | None,
    effective_from: date,
    today: date,
    by: User | None,
    per_minutes: int | None = None,
) -> PointRule:
    """Save a rule from ``effective_from`` (today or later: the past keeps its rules).

    A rule already scheduled for the same future day is replaced; one that is already in force
    (effective today or before) cannot be, since points may have been given under it."""
    if activity not in ACTIVITIES:
        raise RuleError("不认识的积分项目")
    label = LABELS[activity]
    if effective_from < today:
        raise RuleError(f"【{label}】生效日期不能早于今天：已经给出的积分按当时的规则计算")
    if points < 0 or points > 100:
        raise RuleError(f"【{label}】积分应为 0 到 100 之间的整数")
    if daily_cap is not None and (daily_cap < 0 or daily_cap > 1000):
        raise RuleError(f"【{label}】每日上限应为 0 到 1000 之间的整数，或留空表示不限")
    if activity == "study_minutes":
        if per_minutes is None or not 1 <= per_minutes <= 120:
            raise RuleError(f"【{label}】计分分钟数应为 1 到 120 之间的整数")
    else:
        per_minutes = None
    row = db.session.scalar(
        sa.select(PointRule).where(
            PointRule.activity == activity, PointRule.effective_from == effective_from
        )
    )
    if row is not None and effective_from <= today:
        raise RuleError(
            f"【{label}】{effective_from.isoformat()} 起的规则已经生效，请选择以后的日期"
        )
    if row is None:
        row = PointRule(activity=activity, effective_from=effective_from)
        db.session.add(row)
    row.points, row.daily_cap, row.per_minutes = points, daily_cap, per_minutes
    row.created_by_id = by.id if by is not None else None
    db.session.flush()
    return row
