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
    """ "12 分 05 秒", "15 分钟", "1 小时 05 分" — limits and time used in words.

    The one spacing rule of the pages: a number is followed by a space before its Chinese unit
    ("45 分", "3 人", "15 分钟"), never "15分钟".
    """
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} 小时 {minutes:02d} 分" if minutes else f"{hours} 小时"
    if minutes:
        return f"{minutes} 分 {secs:02d} 秒" if secs else f"{minutes} 分钟"
    return f"{secs} 秒"


def format_clock(seconds: float | None) -> str:
    """Time used as a clock reads, 分:秒 ("12:05"; "1:02:05" past an hour), for tables and the
    leader's statistics where many times are compared; "—" when there is none."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_day(moment: datetime | None, today: datetime | None = None) -> str:
    """A date without the time in the one date form: "12月7日" ("2025年12月7日" when not this
    year); empty for None."""
    local = to_local(moment)
    if local is None:
        return ""
    this_year = to_local(today or now()).year  # type: ignore[union-attr]
    text = f"{local.month}月{local.day}日"
    return text if local.year == this_year else f"{local.year}年{text}"


def format_when(moment: datetime | None, today: datetime | None = None) -> str:
    """The one date form on people's pages: "12月7日 17:14" (Beijing time), with the year in front
    ("2025年12月7日 17:14") only when it is not this year; empty for None."""
    local = to_local(moment)
    if local is None:
        return ""
    this_year = to_local(today or now()).year  # type: ignore[union-attr]
    text = f"{local.month}月{local.day}日 {local:%H:%M}"
    return text if local.year == this_year else f"{local.year}年{text}"
