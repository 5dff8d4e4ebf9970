"""`quiz-app backup PATH` and `quiz-app restore PATH --yes` (see services/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from quiz_app.extensions import db


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """把整个数据库备份到 PATH（SQLite 用在线备份，PostgreSQL 用 pg_dump -Fc）；可在运行中执行。"""
    from quiz_app.services.backup import BackupError, backup

    try:
        size = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已备份到 {path}（{size} 字节）")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="确认用备份覆盖当前数据库中的全部数据")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """用 PATH 处的备份覆盖当前数据库（先停止应用；需加 --yes 确认）。"""
    from quiz_app.services.backup import BackupError, restore

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not yes:
        raise click.ClickException(
            "恢复会用备份覆盖当前数据库中的全部数据，且无法撤销。"
            "请先停止应用、先备份当前数据库，再加 --yes 重新运行。"
        )
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the database while it is replaced
    try:
        restore(url, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已从 {path} 恢复数据库。若备份来自旧版本，请再运行 quiz-app init 升级结构。")


COMMANDS: list[click.Command] = [backup_command, restore_command]
