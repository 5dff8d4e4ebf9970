"""The standard meeting types come with the database (migration 0012); viewing 会议 never writes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.models.meetings import MeetingType
from quiz_app.services.meetings import rules
from tests import factories
from tests.conftest import sign_in
from tests.meetings.helpers import bj


def _types_in(url: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT code, name FROM meeting_type ORDER BY sort_order"))
        found = [(r.code, r.name) for r in rows]
    engine.dispose()
    return found


def test_a_new_database_has_the_standard_meeting_types(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    from quiz_app import create_app

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        upgrade()
        db.engine.dispose()
    assert _types_in(url) == [(code, name) for code, name, *_ in rules.DEFAULT_TYPES]


def test_an_install_that_already_made_its_types_keeps_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before 0012 the first visit made the types; upgrading adds none twice, keeps the edits."""
    from flask_migrate import upgrade

    from quiz_app import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        upgrade(revision="0011")
        db.session.add(MeetingType(code="committee", name="支委会（已改名）", sort_order=10))
        db.session.commit()
        upgrade()
        db.engine.dispose()
    found = dict(_types_in(url))
    assert len(found) == len(rules.DEFAULT_TYPES)
    assert found["committee"] == "支委会（已改名）"


def test_the_meetings_page_shows_the_types_without_writing(app: Flask) -> None:
    with app.app_context():  # nothing here makes meeting types: the database came with them
        branch = factories.make_branch("第一党支部", "DZB1")
        branch.kind = "党支部"
        factories.make_user("sec1", roles=["secretary"], scope=branch)
        db.session.commit()
        username = "sec1"
    clock.set_now(bj(2026, 3, 28, 9))  # March and the first quarter end soon
    client = app.test_client()
    assert sign_in(client, username).status_code == 302

    written: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            written.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get("/meetings/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "支部委员会会议" in page and "支部党员大会" in page
    assert [s for s in written if "INSERT" in s.upper()] == []
    assert [s for s in written if "meeting_type" in s] == []


def test_a_settings_write_puts_back_missing_standard_types(app: Flask, admin_client) -> None:  # type: ignore[no-untyped-def]
    """Say an old backup without them was restored: viewing the settings changes nothing, the
    admin's next settings change brings the standard types back alongside theirs."""
    with app.app_context():
        db.session.execute(sa.delete(MeetingType))
        db.session.commit()
    assert admin_client.get("/meetings/settings/").status_code == 200
    with app.app_context():
        assert rules.all_types() == []
    response = admin_client.post(
        "/meetings/settings/types",
        data={"new-code": "warning", "new-name": "警示教育会", "new-period": "", "new-count": "0"},
    )
    assert response.status_code == 302
    with app.app_context():
        codes = [t.code for t in rules.all_types()]
    assert codes == [code for code, *_ in rules.DEFAULT_TYPES] + ["warning"]
