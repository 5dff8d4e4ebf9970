"""One audience rule for campaigns, 专题, 一学一报 and surveys: subtrees count, groups narrow,
inactive people never count, and the SQL count agrees with the per-person answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from quiz_app.extensions import db
from quiz_app.models import Campaign, Group, ReportRequirement, User
from quiz_app.models.study import StudyTrack
from quiz_app.models.survey import Survey
from quiz_app.services import audience
from tests.factories import make_branch, make_user


@pytest.mark.parametrize("kind", [Campaign, StudyTrack, ReportRequirement, Survey])
def test_every_kind_of_audience_follows_the_same_rule(ctx, kind) -> None:  # type: ignore[no-untyped-def]
    office = make_branch("办公室", "BGS")
    desk = make_branch("文秘科", "WMK", parent=office)
    other = make_branch("人事处", "RSC")
    in_desk = make_user("desk_member", branch=desk, groups=["党员"])
    make_user("desk_plain", branch=desk)
    make_user("other_member", branch=other, groups=["党员"])
    make_user("gone", branch=office, groups=["党员"], active=False)
    db.session.flush()
    members = db.session.scalar(sa.select(Group).where(Group.name == "党员"))

    holder = kind()  # never saved: only its audience is read
    audience.set_audience(holder, [office.id], [])
    everyone = {
        u.username for u in db.session.scalars(sa.select(User)) if audience.in_audience(u, holder)
    }
    assert everyone == {"desk_member", "desk_plain"}
    assert audience.audience_size(holder) == 2

    audience.set_audience(holder, [office.id], [members.id])
    assert audience.in_audience(in_desk, holder)
    assert audience.audience_size(holder) == 1
    assert audience.audience_size(holder, under=other) == 0

    audience.set_audience(holder, [], [members.id])
    assert audience.audience_size(holder) == 0  # no branch chosen: nobody, whatever the groups
    assert not audience.in_audience(in_desk, holder)
    db.session.rollback()
