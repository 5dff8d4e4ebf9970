"""Revision 0009 goes down (tables, the branch kind and the secretary role go) and up again."""

from __future__ import annotations

import sqlalchemy as sa


def test_the_meetings_migration_goes_down_and_up_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from quiz_app import create_app
    from quiz_app.extensions import db

    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    tables = {"meeting", "meeting_type", "meeting_attendee", "party_branch_cover"}
    with other.app_context():
        upgrade()
        assert tables <= set(sa.inspect(db.engine).get_table_names())
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO branch (id, name, code, path, sort_order, active, created_at) VALUES (1, '局', 'R', '/1/', 0, 1, '2026-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO account (id, username, real_name, branch_id, password_hash, must_change_password, active, created_at) VALUES (1, 's', '书记', 1, '!', 0, 1, '2026-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO role_grant (user_id, role, scope_branch_id) VALUES (1, 'secretary', 1)"
                )
            )
        downgrade(revision="0008")
        inspector = sa.inspect(db.engine)
        assert not tables & set(inspector.get_table_names())
        assert "kind" not in {c["name"] for c in inspector.get_columns("branch")}
        with db.engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM role_grant")).scalar() == 0
        upgrade()
        assert tables <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
