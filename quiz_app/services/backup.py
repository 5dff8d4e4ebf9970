"""Backups of the whole database, and restoring one: SQLite and PostgreSQL.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``): a consistent copy
while the app keeps running, WAL included — copying the file with ``cp`` is not. PostgreSQL
goes through ``pg_dump -Fc`` / ``pg_restore --clean``, whose client version must be at least
the server's major version (pg_dump refuses a newer server).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that cannot run; the message says what to do (Chinese)."""


def kind_of(url: str) -> str:
    """ "sqlite" or "postgresql" for a database URL; BackupError for anything else."""
    backend = sa.engine.make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持备份 {backend} 数据库（只支持 SQLite 和 PostgreSQL）")
    return backend


def _sqlite_file(url: str) -> Path:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL as libpq (pg_dump, pg_restore) reads it: no "+psycopg" driver part."""
    return (
        sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端，主版本不低于数据库服务器"
            f"（如 Debian 12：apt install postgresql-client-15），并确认它在 PATH 中"
        )
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} 失败：{detail[-1] if detail else '未知错误'}")


def backup(url: str, path: Path) -> int:
    """Write a backup of the database at ``url`` to ``path``; returns its size in bytes.

    The copy is written beside ``path`` and renamed into place, so an interrupted backup never
    leaves a half-written file under the name of a good one.
    """
    kind = kind_of(url)
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if kind == "sqlite":
            source = _sqlite_file(url)
            if not source.exists():
                raise BackupError(f"数据库文件不存在：{source}")
            with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
                src.backup(dst)
            src.close()
            dst.close()
        else:
            _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp), "-d", _libpq_url(url)])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.stat().st_size


def _check_backup_file(kind: str, path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    head = path.read_bytes()[:16]
    want = SQLITE_MAGIC if kind == "sqlite" else PGDUMP_MAGIC
    if not head.startswith(want):
        other = "SQLite" if head.startswith(SQLITE_MAGIC) else (
            "PostgreSQL（pg_dump -Fc）" if head.startswith(PGDUMP_MAGIC) else "无法识别的"
        )  # fmt: skip
        target = "SQLite" if kind == "sqlite" else "PostgreSQL"
        raise BackupError(f"{path} 是{other}备份，不能恢复到当前的 {target} 数据库")
    if kind == "sqlite":
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        if verdict != "ok":
            raise BackupError(f"备份文件已损坏（integrity_check：{verdict}）")


def restore(url: str, path: Path) -> None:
    """Replace the database at ``url`` with the backup at ``path`` (the caller has confirmed).

    The app should be stopped: sessions and attempts in flight would be lost or mixed.
    """
    kind = kind_of(url)
    _check_backup_file(kind, path)
    if kind == "sqlite":
        target = _sqlite_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            sqlite3.connect(f"file:{path}?mode=ro", uri=True) as src,
            sqlite3.connect(target) as dst,
        ):
            src.backup(dst)  # page by page, under SQLite's own locks: no half-copied file
        src.close()
        dst.close()
    else:
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                _libpq_url(url),
                str(path),
            ]
        )
