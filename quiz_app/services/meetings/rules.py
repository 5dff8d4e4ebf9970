"""Meeting types, their frequencies (type default → per branch kind → per branch), exemptions,
and the calendar periods (month, quarter, half-year, year) counted in Beijing time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from quiz_app.clock import LOCAL_TZ, to_local
from quiz_app.extensions import db
from quiz_app.models import Branch
from quiz_app.models.meetings import (
    PERIOD_LABELS,
    PERIODS,
    MeetingExemption,
    MeetingRule,
    MeetingType,
)

BRANCH_KINDS = ("局", "机关处室", "党委", "党支部", "党小组", "下属单位")

_RULES_2018 = "《中国共产党支部工作条例（试行）》（2018年）"
# (code, name, period, count, kinds it applies to by default, source)
DEFAULT_TYPES: tuple[tuple[str, str, str | None, int, str, str], ...] = (
    (
        "party_congress",
        "支部党员大会",
        "quarter",
        1,
        "党支部",
        f"{_RULES_2018}第十一条：一般每季度召开1次",
    ),
    (
        "committee",
        "支部委员会会议",
        "month",
        1,
        "党支部",
        f"{_RULES_2018}第十二条：一般每月召开1次",
    ),
    ("group", "党小组会", "month", 1, "党小组", f"{_RULES_2018}第十三条：一般每月召开1次"),
    (
        "lecture",
        "党课",
        "quarter",
        1,
        "党支部",
        "本平台的默认设置，不是全国统一规定（各地每季度或每半年不等，请按本单位要求修改）；"
        f"{_RULES_2018}第十六条要求党员按期参加党课",
    ),
    ("theme_day", "主题党日", "month", 1, "党支部", f"{_RULES_2018}第十六条：每月相对固定1天开展"),
    (
        "life_meeting",
        "组织生活会",
        "year",
        1,
        "党支部",
        f"{_RULES_2018}第十七条：一般每年召开1次，多在第四季度",
    ),
    (
        "center_group",
        "理论学习中心组学习",
        "month",
        1,
        "局",
        "本平台的默认设置，不是全国统一规定（未找到全国统一的频次要求，请按本单位要求修改）",
    ),
    ("special", "专题宣讲/专题学习", None, 0, "", "本平台默认不作频次要求（按上级部署开展）"),
)


class RuleError(ValueError):
    """A bad setting; the message names the field."""


def ensure_default_types() -> list[MeetingType]:
    """Create any of the eight standard types that is missing (found by code); flushes.

    A new database has them from migration 0012; this puts back missing ones on a settings write
    and in the demo, never on a page view."""
    have = {t.code: t for t in db.session.scalars(sa.select(MeetingType))}
    for order, (code, name, period, count, kinds, source) in enumerate(DEFAULT_TYPES):
        if code not in have:
            have[code] = MeetingType(
                code=code,
                name=name,
                sort_order=order * 10,
                default_period=period,
                default_count=count,
                default_kinds=kinds,
                source=source,
            )
            db.session.add(have[code])
    db.session.flush()
    return all_types()


def all_types(active_only: bool = False) -> list[MeetingType]:
    stmt = sa.select(MeetingType).order_by(MeetingType.sort_order, MeetingType.id)
    if active_only:
        stmt = stmt.where(MeetingType.active)
    return list(db.session.scalars(stmt))


def type_by_code(code: str) -> MeetingType:
    found = db.session.scalar(sa.select(MeetingType).where(MeetingType.code == code))
    if found is None:
        raise LookupError(code)
    return found


def _check_frequency(period: str | None, count: int) -> None:
    if period is not None and period not in PERIODS:
        raise RuleError("【周期】只能是每月、每季度、每半年或每年")
    if count < 0 or count > 31:
        raise RuleError("【次数】应为 0 到 31 之间的整数（0 表示不作要求）")


def add_type(code: str, name: str, period: str | None, count: int, kinds: str) -> MeetingType:
    """An admin's own meeting type (e.g. 警示教育会)."""
    code, name = code.strip(), name.strip()
    if not name:
        raise RuleError("【名称】不能为空")
    if not code or not code.replace("_", "").isalnum() or not code.isascii():
        raise RuleError("【编码】只能用英文字母、数字和下划线")
    if db.session.scalar(sa.select(MeetingType.id).where(MeetingType.code == code)):
        raise RuleError(f"【编码】“{code}”已被使用")
    _check_frequency(period, count)
    mtype = MeetingType(
        code=code,
        name=name,
        sort_order=1000,
        default_period=period,
        default_count=count if period else 0,
        default_kinds="、".join(k for k in kinds.replace(",", "、").split("、") if k.strip()),
        source="本单位自定",
    )
    db.session.add(mtype)
    db.session.flush()
    return mtype


def set_rule(
    mtype: MeetingType,
    period: str,
    count: int,
    *,
    branch: Branch | None = None,
    kind: str | None = None,
) -> MeetingRule:
    """Set (or replace) the frequency of ``mtype`` for one branch or for a branch kind."""
    if (branch is None) == (not kind):
        raise RuleError("【适用范围】请选择一个部门或一个部门类别")
    _check_frequency(period, count)
    stmt = sa.select(MeetingRule).where(MeetingRule.type_id == mtype.id)
    stmt = (
        stmt.where(MeetingRule.branch_id == branch.id)
        if branch is not None
        else stmt.where(MeetingRule.branch_kind == kind)
    )
    rule = db.session.scalar(stmt)
    if rule is None:
        rule = MeetingRule(type=mtype, branch=branch, branch_kind=kind if branch is None else None)
        db.session.add(rule)
    rule.period, rule.count = period, count
    db.session.flush()
    return rule


def add_exemption(
    branch: Branch, mtype: MeetingType, period_key: str, reason: str, by_id: int | None
) -> MeetingExemption:
    """Excuse ``branch`` from ``mtype`` in one period (its key, e.g. 2026-Q1), with a reason."""
    reason = reason.strip()
    if not reason:
        raise RuleError("【免除原因】不能为空")
    parse_period_key(period_key)
    exists = db.session.scalar(
        sa.select(MeetingExemption.id).where(
            MeetingExemption.branch_id == branch.id,
            MeetingExemption.type_id == mtype.id,
            MeetingExemption.period_key == period_key,
        )
    )
    if exists:
        raise RuleError(f"【周期】{branch.name}的{mtype.name}在{period_key}已经免除")
    exemption = MeetingExemption(
        branch=branch, type=mtype, period_key=period_key, reason=reason, created_by_id=by_id
    )
    db.session.add(exemption)
    db.session.flush()
    return exemption


# --- periods -------------------------------------------------------------------------------------


def period_key(moment: datetime, period: str) -> str:
    """The key of the period (Beijing time) that contains ``moment``: 2026-03, 2026-Q1 …"""
    local = to_local(moment)
    assert local is not None
    if period == "month":
        return f"{local.year}-{local.month:02d}"
    if period == "quarter":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    if period == "half":
        return f"{local.year}-H{1 if local.month <= 6 else 2}"
    return str(local.year)


def parse_period_key(key: str) -> tuple[str, int, int, int]:
    """(period, year, first month, months) of a key; RuleError if it is not one."""
    try:
        if len(key) == 4:
            return "year", int(key), 1, 12
        year, rest = int(key[:4]), key[5:]
        if key[4] != "-":
            raise ValueError
        if rest.startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
            return "quarter", year, (int(rest[1]) - 1) * 3 + 1, 3
        if rest in ("H1", "H2"):
            return "half", year, 1 if rest == "H1" else 7, 6
        if len(rest) == 2 and 1 <= int(rest) <= 12:
            return "month", year, int(rest), 1
    except ValueError:
        pass
    raise RuleError(f"【周期】“{key}”应写作 2026-03、2026-Q1、2026-H1 或 2026")


def period_bounds(key: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of a period key, its edges at Beijing midnight."""
    _period, year, month, months = parse_period_key(key)
    end_month = month + months
    start = datetime(year, month, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1, tzinfo=LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def period_label(key: str) -> str:
    period, year, month, _ = parse_period_key(key)
    if period == "month":
        return f"{year}年{month}月"
    if period == "quarter":
        return f"{year}年第{(month - 1) // 3 + 1}季度"
    if period == "half":
        return f"{year}年{'上' if month == 1 else '下'}半年"
    return f"{year}年"


def keys_in_year(period: str, year: int) -> list[str]:
    if period == "month":
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    if period == "quarter":
        return [f"{year}-Q{q}" for q in range(1, 5)]
    if period == "half":
        return [f"{year}-H1", f"{year}-H2"]
    return [str(year)]


def frequency_label(period: str | None, count: int) -> str:
    if not period or count <= 0:
        return "不作要求"
    return f"{PERIOD_LABELS[period]}{count}次" if count > 1 else f"{PERIOD_LABELS[period]}至少1次"


# --- resolving the rule for a branch -------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    period: str
    count: int
    source: str  # where the number comes from: 类型默认 / 部门类别 / 本部门


class RuleBook:
    """Types, rules and exemptions read once, for deciding many branches × types × periods."""

    def __init__(self) -> None:
        self.types = all_types(active_only=True)
        self._by_branch: dict[tuple[int, int], MeetingRule] = {}
        self._by_kind: dict[tuple[int, str], MeetingRule] = {}
        for rule in db.session.scalars(sa.select(MeetingRule)):
            if rule.branch_id is not None:
                self._by_branch[(rule.type_id, rule.branch_id)] = rule
            elif rule.branch_kind:
                self._by_kind[(rule.type_id, rule.branch_kind)] = rule
        self.exemptions: dict[tuple[int, int, str], MeetingExemption] = {
            (e.branch_id, e.type_id, e.period_key): e
            for e in db.session.scalars(sa.select(MeetingExemption))
        }

    def requirement(self, branch: Branch, mtype: MeetingType) -> Requirement | None:
        """The frequency ``branch`` must meet for ``mtype``; None when none is required."""
        rule = self._by_branch.get((mtype.id, branch.id))
        source = "本部门的设置"
        if rule is None and branch.kind:
            rule = self._by_kind.get((mtype.id, branch.kind))
            source = f"“{branch.kind}”类部门的设置"
        if rule is not None:
            return Requirement(rule.period, rule.count, source) if rule.count > 0 else None
        if mtype.default_period and mtype.default_count > 0 and branch.kind in mtype.kinds:
            return Requirement(mtype.default_period, mtype.default_count, mtype.source)
        return None

    def exemption(self, branch_id: int, type_id: int, key: str) -> MeetingExemption | None:
        return self.exemptions.get((branch_id, type_id, key))


def set_type_default(mtype: MeetingType, period: str | None, count: int, kinds: str) -> None:
    """Change a type's default frequency and the branch kinds it applies to."""
    _check_frequency(period, count)
    new_period, new_count = period or None, count if period else 0
    changed = (new_period, new_count) != (mtype.default_period, mtype.default_count)
    mtype.default_period, mtype.default_count = new_period, new_count
    mtype.default_kinds = "、".join(
        k.strip() for k in kinds.replace(",", "、").replace("，", "、").split("、") if k.strip()
    )[:200]
    if changed and not mtype.source.startswith(("本平台", "本单位", "管理员")):
        mtype.source = f"管理员已修改（原默认依据：{mtype.source}）"[:300]
    db.session.flush()


def delete_rule(rule: MeetingRule) -> None:
    db.session.delete(rule)
    db.session.flush()
