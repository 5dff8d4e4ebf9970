"""The schema comes from the migrations only, and they agree with the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from quiz_app.extensions import db


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations; run `quiz-app db migrate`: {diff}"


def test_init_is_idempotent(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "数据库已是最新结构" in first.output
    second = runner.invoke(args=["init", "--org", "某某局", "--org-code", "MMJ"])
    assert second.exit_code == 0, second.output
    assert "已创建最上级单位：某某局" in second.output
    third = runner.invoke(args=["init", "--org", "另一个局"])
    assert "已创建" not in third.output  # the tree exists: init never adds a second root
    with app.app_context():
        version = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version is not None


def test_create_admin_then_sign_in_forces_password_change(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    runner.invoke(args=["init", "--org", "某某局"])
    result = runner.invoke(args=["create-admin", "boss", "--name", "赵管理"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().split("初始密码：")[1].split("（")[0]
    client = app.test_client()
    response = client.post("/login", data={"username": "boss", "password": password})
    assert "/password" in response.headers["Location"]


def test_create_admin_without_any_branch_explains_what_to_do(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["create-admin", "boss", "--name", "赵管理"])
    assert result.exit_code != 0
    assert "quiz-app init --org" in result.output


def test_the_statistics_tables_migration_goes_down_and_up_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Revision 0004 can be undone (all four tables go) and applied again, on a separate file."""
    from flask_migrate import downgrade, upgrade

    from quiz_app import create_app

    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    stats_tables = {"quiz_result", "quiz_item_tally", "quiz_score_tally", "quiz_day_tally"}
    with other.app_context():
        upgrade()
        assert stats_tables <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="0003")
        assert not stats_tables & set(sa.inspect(db.engine).get_table_names())
        upgrade()
        assert stats_tables <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
