"""Per-branch study figures (roster denominators, leader scope), the year figures checked against
an independent count from the raw rows, and the home page's study to-do items."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models.study import StudyDay, StudyMaterial, StudyProgress
from quiz_app.services import access
from quiz_app.services.stats import Scope
from quiz_app.services.study import stats, studytime
from quiz_app.services.study.figures import year_figures
from quiz_app.services.study.studytime import Rules
from quiz_app.services.study.todo import todo_items
from tests import factories
from tests.study_helpers import make_material, make_track

RULES = Rules()


def _study(user, material, minutes: int, *, end: bool = True) -> None:  # type: ignore[no-untyped-def]
    studytime.heartbeat(
        user,
        material,
        page=f"p{user.id}-{material.id}",
        seq=0,
        active=True,
        end_seen=False,
        rules=RULES,
    )
    for n in range(1, minutes * 2 + 1):
        clock.advance(seconds=30)
        studytime.heartbeat(
            user,
            material,
            page=f"p{user.id}-{material.id}",
            seq=n,
            active=True,
            end_seen=end,
            rules=RULES,
        )


def test_branch_table_counts_never_signed_in_people_and_rolls_up(ctx) -> None:  # type: ignore[no-untyped-def]
    clock.set_now(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    office = factories.make_branch("办公室")
    team = factories.make_branch("综合科", parent=office)
    finance = factories.make_branch("财务处")
    a = factories.make_user(branch=team)
    factories.make_user(branch=team)  # never signs in, still expected
    b = factories.make_user(branch=finance)
    track = make_track()
    first = make_material(track, min_seconds=60)
    second = make_material(track, min_seconds=60)
    _study(a, first, 1)
    _study(a, second, 1)
    _study(b, first, 1)
    figures = stats.branch_study(track, Scope(None))
    rows = {r.name: r for r in figures.rows}
    assert (rows["综合科"].expected, rows["综合科"].done, rows["综合科"].seconds) == (2, 1, 120)
    assert (rows["办公室"].expected, rows["办公室"].done) == (2, 1)  # rolled up from 综合科
    assert (rows["财务处"].expected, rows["财务处"].done, rows["财务处"].started) == (1, 0, 1)
    assert figures.total.expected == 3 and figures.total.done == 1 and figures.total.seconds == 180
    assert figures.total.completion_rate == 1 / 3


def test_a_leader_sees_only_the_own_subtree(app: Flask, ctx) -> None:  # type: ignore[no-untyped-def]
    office = factories.make_branch("办公室")
    finance = factories.make_branch("财务处")
    factories.make_user(branch=office)
    factories.make_user(branch=finance)
    leader = factories.make_user("lead", roles=["leader"], scope=office)
    track = make_track()
    make_material(track)
    scope = stats.track_scope(leader, track)
    names = [r.name for r in stats.branch_study(track, scope).rows]
    assert names == ["办公室"]
    stranger = factories.make_user("nobody")
    try:
        stats.track_scope(stranger, track)
    except stats.StatsDenied as exc:
        assert exc.status == 403
    else:  # pragma: no cover
        raise AssertionError("an employee must not see the figures")


def test_stats_page_for_leader_and_refusal_for_employee(
    app: Flask, leader_client, employee_client
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        track = make_track()
        make_material(track)
        db.session.commit()
        track_id = track.id
    page = leader_client.get(f"/study/stats/tracks/{track_id}")
    assert page.status_code == 200 and "应学" in page.get_data(as_text=True)
    assert employee_client.get(f"/study/stats/tracks/{track_id}").status_code == 403


def test_year_figures_agree_with_a_count_from_the_raw_rows(ctx) -> None:  # type: ignore[no-untyped-def]
    clock.set_now(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    office = factories.make_branch("办公室")
    finance = factories.make_branch("财务处")
    people = [factories.make_user(branch=office) for _ in range(3)] + [
        factories.make_user(branch=finance)
    ]
    track = make_track()
    campaign = factories.make_campaign()
    t1, t2 = make_material(track, min_seconds=300), make_material(track, min_seconds=300)
    c1 = make_material(None, campaign=campaign, min_seconds=300)
    for i, person in enumerate(people):
        _study(person, t1, 1 + i)
        if i % 2 == 0:
            _study(person, t2, 2)
        _study(person, c1, 1)
    # a row in the previous year and one in the next are outside
    db.session.add(
        StudyDay(
            user_id=people[0].id,
            material_id=c1.id,
            day=date(2025, 12, 31),
            branch_id=office.id,
            seconds=600,
        )
    )
    db.session.add(
        StudyDay(
            user_id=people[1].id,
            material_id=c1.id,
            day=date(2027, 1, 1),
            branch_id=office.id,
            seconds=600,
        )
    )
    db.session.flush()
    start = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 Beijing
    end = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    got = {f["key"]: f["value"] for f in year_figures(start, end, None)}
    raw = [
        r
        for r in db.session.scalars(sa.select(StudyDay))
        if date(2026, 1, 1) <= r.day <= date(2026, 12, 31)
    ]
    on_track = {
        m.id
        for m in db.session.scalars(
            sa.select(StudyMaterial).where(StudyMaterial.track_id.is_not(None))
        )
    }
    assert got["study.people"] == len({(r.user_id, r.material_id) for r in raw}) == 4 + 2 + 4
    assert got["study.minutes"] == round(sum(r.seconds for r in raw) / 60)
    assert got["track.people"] == len({r.user_id for r in raw if r.material_id in on_track}) == 4
    assert got["track.minutes"] == round(
        sum(r.seconds for r in raw if r.material_id in on_track) / 60
    )
    assert got["track.count"] == 1
    scoped = {
        f["key"]: f["value"]
        for f in year_figures(
            start, end, sa.select(factories.Branch.id).where(factories.Branch.id == finance.id)
        )
    }
    assert scoped["study.people"] == 2  # the 财务处 person: t1 and c1
    assert scoped["track.people"] == 1
    assert [f["key"] for f in year_figures(start, end, access.scope_branch_ids(people[0]) )] == [
        "study.people", "study.minutes", "track.count", "track.people", "track.minutes"
    ]  # fmt: skip


def test_todo_lists_open_unfinished_study_with_minutes(app: Flask) -> None:
    with app.test_request_context():
        clock.set_now(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
        user = factories.make_user()
        track = make_track()
        article = make_material(track, min_seconds=20 * 60)
        _study(user, article, 12, end=False)
        make_track(status="draft", title="草稿专题")
        items = todo_items(user, clock.now())
        assert items == [
            {
                "kind": "study",
                "title": "保密法学习专题",
                "url": f"/study/tracks/{track.id}",
                "due_at": track.closes_at,
                "status": "已学 12/20 分钟",
                "action": "继续学习",
            }
        ]
        row = db.session.get(StudyProgress, (user.id, article.id))
        row.seconds, row.end_seen, row.completed_at = 1200, True, clock.now()
        assert todo_items(user, clock.now()) == []
        assert todo_items(user, clock.now() + timedelta(days=30)) == []
        db.session.rollback()


def test_campaign_materials_have_their_own_study_table(app: Flask, leader_client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        campaign = factories.make_campaign(title="保密知识学习月")
        make_material(None, campaign=campaign)
        db.session.commit()
        campaign_id = campaign.id
    page = leader_client.get(f"/study/stats/campaigns/{campaign_id}").get_data(as_text=True)
    assert "保密知识学习月" in page and "完成率" in page
