"""Fixtures: one migrated database per run (SQLite by default, PostgreSQL when QUIZ_DATABASE_URL
says so), emptied after every test; an app, clients, and a signed-in person of each role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quiz_app import clock, create_app
from quiz_app.extensions import db
from quiz_app.services import paper_pools, revision_cache
from quiz_app.services.meetings import rules as meeting_rules
from tests import factories

DEFAULT_PASSWORD = factories.DEFAULT_PASSWORD


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("QUIZ_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.db'}"


def _reset_schema(url: str) -> None:
    """Start from nothing, so the migrations (not create_all) make every table."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from quiz_app.services import accounts

    accounts.HASH_METHOD = "pbkdf2:sha256:1000"  # hashing strength is not under test here
    tmp = tmp_path_factory.mktemp("instance")
    os.environ["QUIZ_INSTANCE_PATH"] = str(tmp)
    url = _database_url(tmp)
    _reset_schema(url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        db.session.execute(
            sa.text("PRAGMA defer_foreign_keys = ON")
        )  # branch rows refer to each other
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()
    # Back to what a freshly migrated database holds: the standard meeting types (0012).
    meeting_rules.ensure_default_types()
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    clock.set_now(None)
    paper_pools.forget()  # ids and versions start again in the emptied database
    revision_cache.forget()  # so do revision ids
    if "app" in request.fixturenames:
        app: Flask = request.getfixturevalue("app")
        with app.app_context():
            db.session.rollback()
            _empty_tables()


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def sign_in(  # type: ignore[no-untyped-def]
    client: FlaskClient, username: str, password: str = DEFAULT_PASSWORD, *, remember: bool = False
):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"  # 记住我: the session outlives a week away
    return client.post("/login", data=data)


def _signed_in(app: Flask, role: str | None) -> FlaskClient:
    with app.app_context():
        user = factories.make_user(username=f"{role or 'employee'}1", roles=[role] if role else [])
        username = user.username
        db.session.commit()
    client = app.test_client()
    response = sign_in(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture()
def employee_client(app: Flask) -> FlaskClient:
    return _signed_in(app, None)


@pytest.fixture()
def organizer_client(app: Flask) -> FlaskClient:
    return _signed_in(app, "organizer")


@pytest.fixture()
def leader_client(app: Flask) -> FlaskClient:
    return _signed_in(app, "leader")


@pytest.fixture()
def admin_client(app: Flask) -> FlaskClient:
    return _signed_in(app, "admin")
