"""The audit log: what is recorded, who reads it, and that nothing can change it (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models import AuditEntry
from tests.conftest import sign_in
from tests.factories import make_campaign, make_user

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def _entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_publishing_closing_and_sign_in_failures_leave_entries(
    app: Flask, organizer_client: FlaskClient, admin_client: FlaskClient
) -> None:
    clock.set_now(T0)
    with app.app_context():
        campaign = make_campaign(status="published", title="纪律教育月")
        db.session.commit()
        cid = campaign.id
    organizer_client.post(f"/manage/campaigns/{cid}/close", data={"confirm": "y"})
    sign_in(app.test_client(), "organizer1", "wrong-password")
    closed = _entries(app, "campaign.close")
    assert len(closed) == 1 and closed[0].campaign_id == cid and "纪律教育月" in closed[0].summary
    assert "organizer1" in closed[0].actor_name
    failed = _entries(app, "sign_in.failed")
    assert len(failed) == 1 and "organizer1" in failed[0].summary
    # The admin filters by action and exports; the organizer reads the campaign's entries.
    page = admin_client.get("/admin/audit?action=campaign.close").get_data(as_text=True)
    assert "纪律教育月" in page and "登录失败" not in page.split("<tbody>")[1]
    export = admin_client.get("/admin/audit.xlsx?action=campaign.close")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    mine = organizer_client.get(f"/manage/campaigns/{cid}/audit").get_data(as_text=True)
    assert "提前结束活动" in mine


def test_audit_pages_refuse_others_and_bad_filters(
    app: Flask, admin_client: FlaskClient, organizer_client: FlaskClient
) -> None:
    assert organizer_client.get("/admin/audit").status_code == 403
    assert admin_client.get("/admin/audit?since=9999-99-99").status_code == 400
    assert admin_client.get("/admin/audit?since=0001-01-01").status_code == 400
    assert admin_client.get("/admin/audit?campaign=²").status_code == 400
    assert admin_client.get("/admin/audit?page=100000000000000000000").status_code == 200


def test_no_route_can_change_or_delete_an_entry(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    # and the service only ever inserts
    import inspect

    from quiz_app.services import audit

    source = inspect.getsource(audit)
    assert "delete(" not in source and "update(" not in source


def test_role_changes_are_recorded_with_before_and_after(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        person = make_user("wang", real_name="王五")
        db.session.commit()
        pid, branch_id = person.id, person.branch_id
    admin_client.post(
        f"/admin/users/{pid}",
        data={
            "username": "wang",
            "real_name": "王五",
            "branch_id": branch_id,
            "roles": ["leader"],
            "leader_scope": 0,
            "active": "y",
        },
    )
    [entry] = _entries(app, "account.roles")
    assert entry.details == {"before": "员工", "after": "领导（全局）"}
