"""`quiz-app backup` / `restore`: a round trip gives back every row of every table (issue 12)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from quiz_app import clock
from quiz_app.extensions import db
from quiz_app.services import attempts, backup
from tests.factories import make_bank, make_campaign, make_quiz, make_user


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the migrations' version table too), in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in sa.inspect(engine).get_table_names():
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = conn.execute(sa.select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture()
def filled(app: Flask) -> Iterator[None]:
    """People, a bank, a campaign with a quiz and a finished attempt: most tables have rows."""
    with app.app_context():
        user = make_user("backup1", real_name="张三")
        quiz = make_quiz(make_campaign(title="备份测试"), make_bank(per_type=2))
        attempt, _ = attempts.start_attempt(quiz, user, clock.now(), timedelta(seconds=10))
        attempts.submit(attempt.id, user, clock.now() + timedelta(minutes=1), timedelta(seconds=10))
        db.session.commit()
    yield


def _sqlite_copy_of_app_db(app: Flask, tmp_path: Path) -> str:
    """A SQLite database with the app's rows: the test database itself when it is SQLite,
    otherwise (a PostgreSQL run) the same rows copied into a SQLite file made from the models."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            return str(db.engine.url)
        url = f"sqlite:///{tmp_path / 'copy.db'}"
        target = sa.create_engine(url)
        db.metadata.create_all(target)
        with db.engine.connect() as src, target.begin() as dst:
            dst.exec_driver_sql("PRAGMA foreign_keys = OFF")
            for table in db.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
                if rows:
                    dst.execute(table.insert(), rows)
        target.dispose()
        return url


def test_sqlite_round_trip_gives_back_every_table(app: Flask, filled: None, tmp_path: Path) -> None:
    url = _sqlite_copy_of_app_db(app, tmp_path)
    engine = sa.create_engine(url)
    before = snapshot(engine)
    assert sum(bool(rows) for rows in before.values()) >= 10  # not a round trip of nothing
    size = backup.backup(url, tmp_path / "nightly" / "quiz.sqlite3")
    assert size > 0 and snapshot(sa.create_engine(f"sqlite:///{tmp_path}/nightly/quiz.sqlite3"))
    with engine.begin() as conn:  # the day after: someone's data changes or goes
        conn.exec_driver_sql("UPDATE account SET real_name = '改过的'")
        conn.exec_driver_sql("DELETE FROM attempt_item")
    assert snapshot(engine) != before
    engine.dispose()
    backup.restore(url, tmp_path / "nightly" / "quiz.sqlite3")
    engine = sa.create_engine(url)
    assert snapshot(engine) == before
    engine.dispose()


def test_restore_checks_the_file_before_touching_the_database(
    app: Flask, filled: None, tmp_path: Path
) -> None:
    url = _sqlite_copy_of_app_db(app, tmp_path)
    garbage = tmp_path / "not-a-backup.db"
    garbage.write_bytes(b"hello")
    with pytest.raises(backup.BackupError, match="无法识别的备份"):
        backup.restore(url, garbage)
    dump = tmp_path / "pg.dump"
    dump.write_bytes(backup.PGDUMP_MAGIC + b"\x00" * 100)
    with pytest.raises(backup.BackupError, match="PostgreSQL（pg_dump -Fc）备份"):
        backup.restore(url, dump)
    with pytest.raises(backup.BackupError, match="备份文件不存在"):
        backup.restore(url, tmp_path / "missing.db")


def test_cli_restore_needs_yes(app: Flask, runner: Any, tmp_path: Path, filled: None) -> None:
    target = tmp_path / "b.db"
    with app.app_context():
        sqlite_app = db.engine.dialect.name == "sqlite"
    if sqlite_app:
        made = runner.invoke(args=["backup", str(target)])
        assert made.exit_code == 0 and "已备份到" in made.output
    else:
        target.write_bytes(b"x")
    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("account")))


def test_missing_pg_dump_is_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    with pytest.raises(backup.BackupError, match="找不到 pg_dump：请安装 PostgreSQL 客户端"):
        backup.backup("postgresql+psycopg://postgres@127.0.0.1:5432/none", tmp_path / "x.dump")
    assert not list(tmp_path.iterdir())  # no half-written file left behind


def test_postgresql_round_trip_into_a_separate_database(
    app: Flask, filled: None, tmp_path: Path
) -> None:
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql" or shutil.which("pg_dump") is None:
        pytest.skip("needs QUIZ_DATABASE_URL on PostgreSQL and pg_dump")
    source_url = url.render_as_string(hide_password=False)
    restore_name = f"{url.database}_restore"
    restore_url = url.set(database=restore_name).render_as_string(hide_password=False)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restore_name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{restore_name}"')
    try:
        dump = tmp_path / "quiz.dump"
        assert backup.backup(source_url, dump) > 0
        backup.restore(restore_url, dump)
        source, restored = sa.create_engine(source_url), sa.create_engine(restore_url)
        before = snapshot(source)
        assert snapshot(restored) == before
        with restored.begin() as conn:  # restoring again over changed data (--clean) still matches
            conn.exec_driver_sql("UPDATE account SET real_name = '改过的'")
        backup.restore(restore_url, dump)
        assert snapshot(restored) == before
        source.dispose()
        restored.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restore_name}" WITH (FORCE)')
        admin.dispose()


def test_sqlite_backup_is_consistent_while_a_writer_holds_the_database(tmp_path: Path) -> None:
    """The online backup API waits for a writer rather than copying half a transaction."""
    live = tmp_path / "live.db"
    with sqlite3.connect(live) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    conn.close()
    backup.backup(f"sqlite:///{live}", tmp_path / "copy.db")
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*), sum(x) FROM t").fetchone() == (1000, 499500)
    copy.close()
