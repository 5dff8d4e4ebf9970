"""Study earns points through the ledger: a finished material once, study time per full block
of minutes on the day (the default rules: 1 point per material, 1 per 5 minutes)."""

from __future__ import annotations

import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import PointEntry
from tests.test_study_time import beat, setup  # noqa: F401  (fixture)


def _points(user_id: int, activity: str) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(PointEntry.amount).where(
                PointEntry.user_id == user_id, PointEntry.activity == activity
            )
        )
    )


def test_finishing_a_material_earns_its_point_once(setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    user, _, article = setup
    beat(user, article, 0)
    for seq in range(1, 5):
        clock.advance(seconds=30)
        beat(user, article, seq, end_seen=True)
    for seq in range(5, 8):  # more heartbeats after it is done change nothing
        clock.advance(seconds=30)
        beat(user, article, seq, end_seen=True)
    assert _points(user.id, "material_finished") == [1]


def test_study_time_earns_a_point_per_five_minutes(setup) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    user, _, article = setup
    article.min_seconds = 3600
    beat(user, article, 0)
    for seq in range(1, 22):  # 21 × 30 s = 10.5 minutes
        clock.advance(seconds=30)
        beat(user, article, seq)
    assert _points(user.id, "study_minutes") == [1, 1]
