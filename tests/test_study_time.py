"""Honest study time: the server's clock, one material at a time, caps, replays and the end flag."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models.study import StudyDay, StudyProgress
from quiz_app.services.study import studytime
from quiz_app.services.study.studytime import Rules
from tests import factories
from tests.study_helpers import make_material, make_track

RULES = Rules(interval=30, slack=10, default_cap=3600)
START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture()
def setup(ctx):  # type: ignore[no-untyped-def]
    clock.set_now(START)
    user = factories.make_user()
    track = make_track()
    article = make_material(track, min_seconds=120)
    return user, track, article


def beat(user, material, seq, *, page="p1", active=True, end_seen=False):  # type: ignore[no-untyped-def]
    return studytime.heartbeat(
        user, material, page=page, seq=seq, active=active, end_seen=end_seen, rules=RULES
    )


def seconds(user, material) -> int:  # type: ignore[no-untyped-def]
    row = db.session.get(StudyProgress, (user.id, material.id))
    return row.seconds if row else 0


def test_steady_heartbeats_credit_the_real_time_between_them(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    assert beat(user, article, 0).credited == 0  # opening the page credits nothing
    for seq in (1, 2, 3):
        clock.advance(seconds=30)
        assert beat(user, article, seq).credited == 30
    assert seconds(user, article) == 90


def test_no_heartbeat_no_credit_a_hidden_tab_earns_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    """A hidden or idle page sends nothing, or says it was not active: no time is credited."""
    user, _, article = setup
    beat(user, article, 0)
    clock.advance(seconds=30)
    assert beat(user, article, 1, active=False).credited == 0
    clock.advance(minutes=10)  # the tab stayed hidden: no heartbeats at all
    assert seconds(user, article) == 0


def test_a_forged_heartbeat_cannot_claim_more_time_than_has_passed(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    beat(user, article, 0)
    clock.advance(seconds=5)
    # the request may carry any numbers it likes; only the server's clock is read
    assert beat(user, article, 1).credited == 5
    assert beat(user, article, 2).credited == 0  # sent again at once: no time has passed
    for seq in range(3, 50):
        beat(user, article, seq)
    assert seconds(user, article) == 5


def test_a_heartbeat_after_a_long_gap_credits_only_interval_plus_slack(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    beat(user, article, 0)
    clock.advance(hours=3)
    assert beat(user, article, 1).credited == RULES.window == 40


def test_a_replayed_heartbeat_credits_once(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    beat(user, article, 0)
    clock.advance(seconds=30)
    assert beat(user, article, 1).credited == 30
    clock.advance(seconds=20)
    replay = beat(user, article, 1)  # the same page and beat number again
    assert replay.credited == 0
    assert seconds(user, article) == 30
    clock.advance(seconds=10)
    # the replay did not move the person's last heartbeat: 30 s since the last real one
    assert beat(user, article, 2).credited == 30


def test_two_tabs_on_two_materials_never_double_count(setup) -> None:  # type: ignore[no-untyped-def]
    user, track, article = setup
    other = make_material(track, min_seconds=120, title="第二篇")
    beat(user, article, 0, page="tabA")
    beat(user, other, 0, page="tabB")
    for n in range(1, 5):
        clock.advance(seconds=15)
        beat(user, article, n, page="tabA")
        clock.advance(seconds=15)
        beat(user, other, n, page="tabB")
    # each heartbeat switched material: switching credits nothing
    assert seconds(user, article) + seconds(user, other) == 0


def test_two_tabs_on_one_material_count_the_real_time_once(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    beat(user, article, 0, page="tabA")
    beat(user, article, 0, page="phone")
    for n in range(1, 5):
        clock.advance(seconds=15)
        beat(user, article, n, page="tabA")
        clock.advance(seconds=15)
        beat(user, article, n, page="phone")
    assert seconds(user, article) == 120  # 2 minutes passed, 2 minutes credited, not 4


def test_switching_material_moves_the_clock_to_the_new_one(setup) -> None:  # type: ignore[no-untyped-def]
    user, track, article = setup
    other = make_material(track, min_seconds=120)
    beat(user, article, 0, page="a")
    clock.advance(seconds=30)
    beat(user, article, 1, page="a")
    clock.advance(seconds=30)
    assert beat(user, other, 0, page="b").credited == 0
    clock.advance(seconds=30)
    assert beat(user, other, 1, page="b").credited == 30
    assert (seconds(user, article), seconds(user, other)) == (30, 30)


def test_credit_stops_at_the_minimum_and_the_article_needs_its_end_seen(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    beat(user, article, 0)
    for seq in range(1, 8):
        clock.advance(seconds=30)
        result = beat(user, article, seq)
    assert seconds(user, article) == 120  # capped at the required two minutes
    assert not result.done  # time reached, end not yet seen
    clock.advance(seconds=30)
    result = beat(user, article, 8, end_seen=True)
    assert result.done and result.credited == 0
    assert db.session.get(StudyProgress, (user.id, article.id)).completed_at == clock.now()


def test_end_seen_without_the_time_is_not_done(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    beat(user, article, 0, end_seen=True)
    clock.advance(seconds=30)
    assert not beat(user, article, 1, end_seen=True).done


def test_a_video_is_done_when_its_time_is_reached(ctx) -> None:  # type: ignore[no-untyped-def]
    clock.set_now(START)
    user = factories.make_user()
    video = make_material(make_track(), kind="video", min_seconds=60)
    beat(user, video, 0)
    clock.advance(seconds=30)
    beat(user, video, 1)
    clock.advance(seconds=30)
    assert beat(user, video, 2).done


def test_a_link_is_opened_not_studied(ctx) -> None:  # type: ignore[no-untyped-def]
    clock.set_now(START)
    user = factories.make_user()
    link = make_material(make_track(), kind="link", min_seconds=0, url="http://oa.local/x")
    studytime.record_open(user, link)
    row = db.session.get(StudyProgress, (user.id, link.id))
    assert row.completed_at is not None and row.seconds == 0


def test_people_outside_the_audience_or_window_are_not_credited(ctx) -> None:  # type: ignore[no-untyped-def]
    clock.set_now(START)
    inside, outside = factories.make_branch("办公室"), factories.make_branch("财务处")
    stranger = factories.make_user(branch=outside)
    track = make_track([inside])
    article = make_material(track)
    beat(stranger, article, 0)
    clock.advance(seconds=30)
    assert beat(stranger, article, 1).credited == 0
    member = factories.make_user(branch=inside)
    beat(member, article, 0)
    clock.advance(days=30)  # the 专题 has closed
    assert beat(member, article, 1).credited == 0
    assert "不计入" in beat(member, article, 2).message


def test_credited_time_is_kept_per_beijing_day_with_the_branch(setup) -> None:  # type: ignore[no-untyped-def]
    user, _, article = setup
    clock.set_now(datetime(2026, 6, 1, 15, 59, 40, tzinfo=UTC))  # 23:59:40 in Beijing
    beat(user, article, 0)
    clock.advance(seconds=30)  # 00:00:10 the next day
    beat(user, article, 1)
    rows = db.session.scalars(sa.select(StudyDay)).all()
    assert [(str(r.day), r.seconds, r.branch_id) for r in rows] == [
        ("2026-06-02", 30, user.branch_id)
    ]


def test_simultaneous_heartbeats_from_many_phones_credit_the_time_once(app) -> None:  # type: ignore[no-untyped-def]
    """Six tabs or phones send their heartbeat at the same moment, each in its own transaction:
    the person's row is locked, so 30 seconds passed and 30 seconds are credited, not 180."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from quiz_app.models import User
    from quiz_app.models.study import StudyMaterial

    clock.set_now(START)
    with app.app_context():
        user = factories.make_user("racer")
        article = make_material(make_track(), min_seconds=600)
        beat(user, article, 0, page="first")
        db.session.commit()
        user_id, material_id = user.id, article.id
    clock.advance(seconds=30)
    barrier = threading.Barrier(6)

    def one(n: int) -> int:
        with app.app_context():
            barrier.wait(timeout=30)
            person, material = (
                db.session.get(User, user_id),
                db.session.get(StudyMaterial, material_id),
            )
            result = beat(person, material, 1, page=f"phone{n}")
            db.session.commit()
            return result.credited

    with ThreadPoolExecutor(6) as pool:
        credited = list(pool.map(one, range(6)))
    assert sorted(credited) == [0, 0, 0, 0, 0, 30]
    with app.app_context():
        assert db.session.get(StudyProgress, (user_id, material_id)).seconds == 30
