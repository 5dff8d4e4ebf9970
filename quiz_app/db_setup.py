"""Binding the database to the app, with the SQLite settings that make it safe under concurrency."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from quiz_app.extensions import db


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer writes; busy_timeout makes a writer wait for the
    # lock instead of failing with "database is locked"; SQLite leaves foreign keys off by default.
    # pysqlite's own BEGIN handling is turned off so that _sqlite_begin decides how to begin.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Every transaction takes the write lock up front (BEGIN IMMEDIATE): a read that later
    # upgrades to a write can otherwise deadlock and fail at once, whatever busy_timeout says.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def init_database(app: Flask) -> None:
    """Initialise Flask-SQLAlchemy and, for SQLite, hook the connection settings."""
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_on_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
