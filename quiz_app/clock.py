"""The one place the current time comes from, so that tests can move it.

Everything stored is UTC; Asia/Shanghai is only for display (see ``to_local``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """Current time as an aware UTC datetime (or the time a test has set)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (aware), or unfreeze it with None. Tests only."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _frozen = moment.astimezone(UTC) if moment is not None else None


def advance(**kwargs: float) -> datetime:
    """Move a frozen clock forward, e.g. ``advance(seconds=30)``. Tests only."""
    global _frozen
    _frozen = now() + timedelta(**kwargs)
    return _frozen


def to_local(moment: datetime | None) -> datetime | None:
    """A UTC datetime as Beijing time, for display."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)


def format_local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Display form of a stored timestamp in Asia/Shanghai; empty for None."""
    local = to_local(moment)
    return local.strftime(fmt) if local else ""


def format_duration(seconds: int | None) -> str:
    """ "12分05秒" — how time used and limits read on the pages."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分" if minutes else f"{hours}小时"
    if minutes:
        return f"{minutes}分{secs:02d}秒" if secs else f"{minutes}分钟"
    return f"{secs}秒"


def format_when(moment: datetime | None, today: datetime | None = None) -> str:
    """The one date form on people's pages: "12月7日 17:14" (Beijing time), with the year in front
    ("2025年12月7日 17:14") only when it is not this year; empty for None."""
    local = to_local(moment)
    if local is None:
        return ""
    this_year = to_local(today or now()).year  # type: ignore[union-attr]
    text = f"{local.month}月{local.day}日 {local:%H:%M}"
    return text if local.year == this_year else f"{local.year}年{text}"
