"""The points ledger: awards and corrections, append-only.

There is no UPDATE or DELETE of ledger rows anywhere: a wrong award is undone by a new
(negative) correction line. Every award names its source (activity + source key), and the unique
key on (user, activity, source key, revision) makes a double award impossible even when two
requests race (INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from quiz_app.clock import now, to_local
from quiz_app.extensions import db
from quiz_app.models import Attempt, QuizResult
from quiz_app.models.points import PointEntry
from quiz_app.services.points.rules import rule_for

_LOCK_CLASS = 7007  # pg_advisory_xact_lock(class, user id): one ledger writer per person


def local_day(moment: datetime) -> date:
    """The Beijing calendar day of a moment: caps and streaks turn at local midnight."""
    local = to_local(moment)
    assert local is not None
    return local.date()


def _lock_person(user_id: int) -> None:
    """Serialise ledger writes of one person, so a daily cap holds under concurrent requests.

    SQLite needs nothing: every transaction already holds the write lock (BEGIN IMMEDIATE)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_CLASS, user_id))).scalar()


def _latest(user_id: int, activity: str, source_key: str) -> PointEntry | None:
    return db.session.scalars(
        sa.select(PointEntry)
        .where(
            PointEntry.user_id == user_id,
            PointEntry.activity == activity,
            PointEntry.source_key == source_key,
        )
        .order_by(PointEntry.revision.desc())
        .limit(1)
    ).first()


def _insert(values: dict[str, Any]) -> PointEntry | None:
    """Insert one ledger line unless its key exists; the new row, or None if it lost a race."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(PointEntry)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "activity", "source_key", "revision"])
        .returning(PointEntry.id)
    )
    new_id = db.session.execute(stmt).scalar()
    return None if new_id is None else db.session.get(PointEntry, new_id)


def day_total(user_id: int, activity: str, day: date) -> int:
    """Net points of one activity on one Beijing day (what the daily cap limits)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointEntry.amount), 0)).where(
                PointEntry.user_id == user_id,
                PointEntry.activity == activity,
                PointEntry.day == day.isoformat(),
            )
        )
        or 0
    )


def award(
    user_id: int,
    activity: str,
    source_key: str,
    at: datetime | None = None,
    amount: int | None = None,
) -> PointEntry | None:
    """Give points for one thing once: None if it was already given (and not corrected since).

    ``amount`` overrides the rule's points (the daily cap still applies). When the cap for the
    Beijing day of ``at`` is reached, a zero line is written: the activity is on record (for the
    streak, and so it is never paid later) but earns nothing."""
    at = at or now()
    day = local_day(at)
    _lock_person(user_id)
    latest = _latest(user_id, activity, source_key)
    if latest is not None and latest.kind == "award":
        return None
    rule = rule_for(activity, day)
    points = rule.points if amount is None else int(amount)
    note = ""
    if rule.daily_cap is not None:
        room = max(0, rule.daily_cap - day_total(user_id, activity, day))
        if points > room:
            points, note = room, f"已达每日上限 {rule.daily_cap} 分"
    return _insert(
        {
            "user_id": user_id,
            "activity": activity,
            "source_key": source_key[:120],
            "revision": 0 if latest is None else latest.revision + 1,
            "kind": "award",
            "amount": points,
            "day": day.isoformat(),
            "at": at,
            "rule_id": rule.id,
            "note": note,
        }
    )


def correct(
    user_id: int, activity: str, source_key: str, reason: str, at: datetime | None = None
) -> PointEntry | None:
    """Take back what was given for one thing with a negative line (history stays as it was).

    None when nothing stands to be taken back. The line counts on the award's day, so that
    day's cap and the period totals that held it are right again."""
    at = at or now()
    _lock_person(user_id)
    latest = _latest(user_id, activity, source_key)
    if latest is None or latest.kind != "award" or latest.amount <= 0:
        return None
    return _insert(
        {
            "user_id": user_id,
            "activity": activity,
            "source_key": source_key[:120],
            "revision": latest.revision + 1,
            "kind": "correction",
            "amount": -latest.amount,
            "day": latest.day,
            "at": at,
            "rule_id": latest.rule_id,
            "note": reason[:200],
        }
    )


def award_study_time(user_id: int, minutes_today: float, at: datetime | None = None) -> int:
    """Points for study time: one award per full block of the rule's minutes studied on the
    Beijing day of ``at``. Call it with the day's running total after each credited heartbeat;
    blocks already paid are skipped by their keys ("2026-06-01#3"). Returns points given now."""
    at = at or now()
    day = local_day(at)
    rule = rule_for("study_minutes", day)
    blocks = int(minutes_today // (rule.per_minutes or 5))
    if blocks <= 0:
        return 0
    paid = set(
        db.session.scalars(
            sa.select(PointEntry.source_key).where(
                PointEntry.user_id == user_id,
                PointEntry.activity == "study_minutes",
                PointEntry.day == day.isoformat(),
            )
        )
    )
    given = 0
    for n in range(1, blocks + 1):
        key = f"{day.isoformat()}#{n}"
        if key in paid:
            continue
        entry = award(user_id, "study_minutes", key, at)
        given += entry.amount if entry is not None else 0
    return given


# --- quizzes -----------------------------------------------------------------------------------


def quiz_finished(attempt: Attempt) -> None:
    """After an attempt became final: points for taking the quiz, and for passing it when the
    attempt passed (each once per quiz, however many attempts)."""
    at = attempt.finished_at or now()
    key = f"quiz:{attempt.quiz_id}"
    award(attempt.user_id, "quiz_taken", key, at)
    if attempt.passed:
        award(attempt.user_id, "quiz_passed", key, at)


def quiz_regraded(quiz_id: int, user_ids: list[int], at: datetime | None = None) -> None:
    """After a re-grade: a pass that became a fail is corrected, a fail that became a pass is
    paid — read off each person's counted result."""
    at = at or now()
    key = f"quiz:{quiz_id}"
    rows = db.session.execute(
        sa.select(QuizResult.user_id, QuizResult.passed).where(
            QuizResult.quiz_id == quiz_id, QuizResult.user_id.in_(sorted(set(user_ids)))
        )
    ).all()
    for user_id, passed in sorted(rows):
        if passed:
            award(user_id, "quiz_passed", key, at)
        else:
            correct(user_id, "quiz_passed", key, "重新评分后不再及格", at)
