"""Honest study time: heartbeats from the material page become credited seconds.

The page sends a heartbeat every ``interval`` seconds while it is visible and the person was
active lately. The server trusts none of the client's numbers: it credits at most the time on its
own clock since that person's previous accepted heartbeat, never more than interval + slack, only
when the previous heartbeat was for the same material (one material at a time, whatever the tabs
or phones), and never past the material's required time. The person's presence row is locked for
the whole decision, so two tabs or two phones are served one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from quiz_app.clock import now, to_local
from quiz_app.extensions import db
from quiz_app.models import User
from quiz_app.models.study import (
    MaterialKind,
    StudyDay,
    StudyMaterial,
    StudyPresence,
    StudyProgress,
)
from quiz_app.services import points
from quiz_app.services.audience import in_audience
from quiz_app.services.study import materials


@dataclass(frozen=True)
class Rules:
    """The heartbeat settings (config QUIZ_STUDY_*)."""

    interval: int = 30
    slack: int = 10
    default_cap: int = 3600  # seconds credited at most when a material asks for no minimum

    @property
    def window(self) -> int:
        return self.interval + self.slack


@dataclass(frozen=True)
class Beat:
    """What a heartbeat did: seconds credited now, the total, the requirement, done or not."""

    credited: int
    seconds: int
    required: int
    done: bool
    message: str = ""


def cap_of(material: StudyMaterial, rules: Rules) -> int:
    return material.min_seconds or rules.default_cap


def is_done(material: StudyMaterial, progress: StudyProgress | None) -> bool:
    """The completion rule per kind: a link when opened; a video when its time is reached (or
    played to the end when no time is asked); an article or PDF when its time is reached and its
    end (the last page) was seen."""
    if progress is None:
        return False
    if material.kind == MaterialKind.LINK:
        return True
    time_reached = progress.seconds >= material.min_seconds
    if material.kind == MaterialKind.VIDEO:
        return time_reached and (material.min_seconds > 0 or progress.end_seen)
    return time_reached and progress.end_seen


def _presence_for_update(user_id: int) -> StudyPresence | None:
    return db.session.scalar(
        sa.select(StudyPresence).where(StudyPresence.user_id == user_id).with_for_update()
    )


def _lock_presence(user: User, material: StudyMaterial, moment: datetime) -> StudyPresence | None:
    """The person's presence row, locked; None when it did not exist (now created, credit 0)."""
    presence = _presence_for_update(user.id)
    if presence is not None:
        return presence
    try:
        with db.session.begin_nested():
            db.session.add(StudyPresence(user_id=user.id, material_id=material.id, beat_at=moment))
    except IntegrityError:  # another tab made it first: take its lock and go on from there
        return _presence_for_update(user.id)
    return None


def progress_row(user: User, material: StudyMaterial, moment: datetime) -> StudyProgress:
    row = db.session.get(StudyProgress, (user.id, material.id))
    if row is None:
        row = StudyProgress(user_id=user.id, material_id=material.id, opened_at=moment)
        db.session.add(row)
        db.session.flush()
    return row


def _add_day(user: User, material: StudyMaterial, seconds: int, moment: datetime) -> None:
    local_day = to_local(moment).date()  # type: ignore[union-attr]
    row = db.session.get(StudyDay, (user.id, material.id, local_day))
    if row is None:
        row = StudyDay(
            user_id=user.id, material_id=material.id, day=local_day, branch_id=user.branch_id,
            seconds=0,
        )  # fmt: skip
        db.session.add(row)
    row.seconds += seconds


def heartbeat(
    user: User,
    material: StudyMaterial,
    *,
    page: str,
    seq: int,
    active: bool,
    end_seen: bool,
    rules: Rules,
    moment: datetime | None = None,
) -> Beat:
    """Take one heartbeat. ``page`` names the page load and ``seq`` counts its heartbeats (0 when
    the page opens); a heartbeat seen before (same page, seq not higher) is a replay and changes
    nothing. Flushes; the caller commits."""
    moment = moment or now()
    holder = materials.holder_of(material)
    required = material.min_seconds
    if not (in_audience(user, holder) and materials.is_open(holder, moment)):
        row = db.session.get(StudyProgress, (user.id, material.id))
        return Beat(0, row.seconds if row else 0, required, is_done(material, row),
                    "不在学习范围或学习时间内，学习时间不计入")  # fmt: skip
    page = page[:40]
    presence = _lock_presence(user, material, moment)
    credit = 0
    if presence is not None:
        if presence.page == page and seq <= presence.seq:
            row = db.session.get(StudyProgress, (user.id, material.id))
            return Beat(
                0, row.seconds if row else 0, required, is_done(material, row), "重复的心跳"
            )
        elapsed = max(0.0, (moment - presence.beat_at).total_seconds())
        if presence.material_id == material.id and active and seq > 0:
            credit = int(min(elapsed, rules.window))
        presence.material_id, presence.beat_at = material.id, moment
    else:
        presence = db.session.get(StudyPresence, user.id)
    assert presence is not None
    presence.page, presence.seq = page, seq
    row = progress_row(user, material, moment)
    credit = max(0, min(credit, cap_of(material, rules) - row.seconds))
    if credit:
        row.seconds += credit
        _add_day(user, material, credit, moment)
    if end_seen and material.kind != MaterialKind.LINK:
        row.end_seen = True
    done = is_done(material, row)
    if done and row.completed_at is None:
        _complete(row, material, moment)
    db.session.flush()
    if credit:
        points.award_study_time(user.id, _minutes_on(user, moment), moment)
    return Beat(credit, row.seconds, required, done)


def _complete(row: StudyProgress, material: StudyMaterial, moment: datetime) -> None:
    """A material is finished: the one place that stamps it and earns its study points."""
    row.completed_at = moment
    points.award(row.user_id, "material_finished", f"material:{material.id}", moment)


def _minutes_on(user: User, moment: datetime) -> float:
    """Minutes credited to ``user`` on the Beijing day of ``moment``, over all materials."""
    day = to_local(moment).date()  # type: ignore[union-attr]
    seconds = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StudyDay.seconds), 0)).where(
            StudyDay.user_id == user.id, StudyDay.day == day
        )
    )
    return int(seconds or 0) / 60


def record_open(user: User, material: StudyMaterial, moment: datetime | None = None) -> None:
    """An outside link was opened through the app: counted as opened (done), never as studied."""
    moment = moment or now()
    holder = materials.holder_of(material)
    if not (in_audience(user, holder) and materials.is_open(holder, moment)):
        return
    row = progress_row(user, material, moment)
    if row.completed_at is None:
        _complete(row, material, moment)
    db.session.flush()
