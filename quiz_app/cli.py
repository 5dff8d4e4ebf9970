"""`quiz-app`: the Flask CLI with this app preset, plus the commands an operator needs.

Each command is a thin call into a service and commits once.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from quiz_app.extensions import db


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade()


@click.command(
    "init", help="建库或升级数据库结构（可重复运行）；--org 在还没有部门时创建最上级单位。"
)
@click.option("--org", "org_name", help="最上级单位名称，数据库中还没有部门时创建，如“××局”")
@click.option("--org-code", default="ROOT", show_default=True, help="最上级单位的编码")
@with_appcontext
def init_command(org_name: str | None, org_code: str) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from quiz_app.models import Branch
    from quiz_app.services.branches import create_branch

    _upgrade()
    has_branch = db.session.scalar(sa.select(sa.func.count()).select_from(Branch))
    if org_name and not has_branch:
        create_branch(org_name, org_code, None)
        db.session.commit()
        click.echo(f"已创建最上级单位：{org_name}（{org_code}）")
    click.echo("数据库已是最新结构。")
    if not has_branch and not org_name:
        click.echo(
            "下一步：quiz-app init --org “××局”，再 quiz-app create-admin 登录名 --name 姓名"
        )


@click.command("create-admin", help="创建管理员（或把已有人员设为管理员），打印一次初始密码。")
@click.argument("username")
@click.option("--name", "real_name", required=True, help="姓名")
@click.option("--branch", "branch_code", help="所属部门编码（默认最上级单位）")
@with_appcontext
def create_admin_command(username: str, real_name: str, branch_code: str | None) -> None:
    """Create an administrator (or make an existing person one) and print an initial password."""
    from quiz_app.models import Branch, Role, User
    from quiz_app.services.accounts import generate_password, set_password, set_roles

    if branch_code:
        branch = db.session.scalar(sa.select(Branch).where(Branch.code == branch_code))
    else:
        branch = db.session.scalar(
            sa.select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id)
        )
    if branch is None:
        raise click.ClickException("找不到部门：请先运行 quiz-app init --org “××局”")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    password = generate_password()
    if user is None:
        user = User(username=username, real_name=real_name, branch=branch)
        db.session.add(user)
    set_password(user, password, must_change=True)
    set_roles(user, {*user.roles, Role.ADMIN}, None)
    db.session.commit()
    click.echo(f"管理员 {username} 的初始密码：{password}（首次登录须修改）")


@click.command("import-users", help="导入花名册（.xlsx 或 .csv）；有任何错误则不导入并以 1 退出。")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不写入")
@click.option(
    "--credentials",
    type=click.Path(dir_okay=False, path_type=Path),
    help="新账号初始密码表的保存位置（默认当前目录下带时间的文件名）",
)
@with_appcontext
def import_users_command(path: Path, dry_run: bool, credentials: Path | None) -> None:
    """Import a roster (.xlsx or .csv); any error imports nothing and exits 1."""
    from quiz_app.services import roster

    report = roster.parse_roster(path.name, path.read_bytes())
    if not report.ok:
        click.echo(f"发现 {len(report.errors)} 处错误，未导入任何数据：", err=True)
        for error in report.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"检查通过：共 {len(report.rows)} 人，没有发现错误（未写入）。")
        return
    roster.apply_roster(report)
    db.session.commit()
    click.echo(f"导入完成：新增 {report.created} 人，更新 {report.updated} 人。")
    if report.credentials:
        out = credentials or Path(f"初始密码-{datetime.now():%Y%m%d-%H%M%S}.xlsx")
        out.write_bytes(roster.credentials_xlsx(report.credentials))
        out.chmod(0o600)
        click.echo(f"{len(report.credentials)} 个初始密码已写入 {out}（请妥善分发后删除）")


def print_preview(preview: object) -> None:
    """The same preview the upload page shows: counts, then every error, warning and skip."""
    from quiz_app.services.banks import ImportPreview

    assert isinstance(preview, ImportPreview)
    counts = preview.counts
    by_type = "，".join(f"{k} {v}" for k, v in counts["by_type"].items())  # type: ignore[union-attr]
    click.echo(f"识别 {counts['total']} 题（{by_type}）")
    if counts["by_category"]:
        cats = "，".join(f"{k} {v}" for k, v in counts["by_category"].items())  # type: ignore[union-attr]
        click.echo(f"按分类：{cats}")
    if preview.duplicates:
        click.echo(f"题库中已存在 {len(preview.duplicates)} 题")
    line = preview.reconciliation_line()
    if line:
        click.echo(f"核对：{line}")
        rec = preview.result.reconciliation
        for note in rec.notes if rec is not None else ():
            click.echo(f"  {note.message}")
    for issue in preview.result.skipped:
        click.echo(f"跳过：{issue.message}")
    for issue in preview.other_warnings:
        click.echo(f"提示：{issue.message}")
    if preview.result.errors:
        click.echo(f"发现 {len(preview.result.errors)} 处错误，未导入任何题目：", err=True)
        for issue in preview.result.errors:
            click.echo(f"  {issue.message}", err=True)


@click.command(
    "import-bank", help="把题目导入题库（不存在则新建）；先预览，有任何错误则不导入并以 1 退出。"
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True, help="题库名称（不存在时新建）")
@click.option("--dry-run", is_flag=True, help="只检查和预览，不写入")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "text", "docx", "gift", "aiken"]),
    help="文件格式（默认按扩展名和内容识别）",
)
@click.option(
    "--on-duplicate",
    type=click.Choice(["skip", "update"]),
    default="skip",
    show_default=True,
    help="题库中已有的题目：跳过，或更新为文件中的内容",
)
@with_appcontext
def import_bank_command(
    path: Path, bank_name: str, dry_run: bool, fmt: str | None, on_duplicate: str
) -> None:
    """Import questions into a bank; exits 1 and writes nothing when anything is wrong."""
    from quiz_app.models import Bank
    from quiz_app.services import banks
    from quiz_app.services.importing import parse_upload
    from quiz_app.services.importing.fields import bank_name_problem

    problem = bank_name_problem(bank_name)
    if problem:  # the dry run refuses what the import would refuse
        raise click.ClickException(problem)
    result = parse_upload(path.name, path.read_bytes(), fmt)
    bank = db.session.scalar(sa.select(Bank).where(Bank.name == bank_name.strip()))
    preview = banks.preview_import(bank, result)
    print_preview(preview)
    if not preview.ok:
        if not result.errors:
            click.echo("文件中没有可导入的题目", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("检查通过（未写入）。")
        return
    bank = bank or banks.get_or_create_bank(bank_name)
    summary = banks.apply_import(bank, result, banks.OnDuplicate(on_duplicate), None)
    db.session.commit()
    click.echo(
        f"已导入题库“{bank.name}”：新增 {summary.created}，更新 {summary.updated}，"
        f"未变 {summary.unchanged}，跳过 {summary.skipped}。"
    )


@click.command("export-bank", help="把题库导出为与导入模板相同格式的 .xlsx。")
@click.argument("name")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_bank_command(name: str, path: Path) -> None:
    """Export a bank to .xlsx in the import template's format."""
    from quiz_app.models import Bank
    from quiz_app.services import banks

    bank = db.session.scalar(sa.select(Bank).where(Bank.name == name.strip()))
    if bank is None:
        raise click.ClickException(f"找不到题库“{name}”")
    path.write_bytes(banks.export_bank(bank))
    click.echo(f"已导出到 {path}")


@click.command(
    "demo", help="建库并载入演示数据（部门、人员、示例题库、进行中的竞答），然后启动服务。"
)
@click.option("--port", default=5000, show_default=True, help="端口")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--no-serve", is_flag=True, help="只准备演示数据，不启动服务")
@click.option(
    "--simulate", type=click.IntRange(0, 10000), default=0, help="再模拟 N 名已参加竞答的人员"
)
@with_appcontext
def demo_command(port: int, host: str, no_serve: bool, simulate: int) -> None:
    """Migrate, load the demo organisation and sign-ins, then serve the app."""
    from flask import current_app

    from quiz_app.services import demo

    _upgrade()
    figures = demo.seed_all()
    db.session.commit()
    click.echo(
        f"演示数据就绪：{figures['branches']} 个部门，{figures['people']} 人"
        f"（本次新增 {figures['people_created']} 人），示例题库本次新增 {figures['questions_created']} 题，"
        f"新增进行中的活动 {figures['campaigns_created']} 个。"
    )
    if simulate:
        from quiz_app.clock import now

        simulated = demo.simulate(simulate, now())
        db.session.commit()
        click.echo(f"已模拟 {simulated} 名人员参加“{demo.DEMO_CAMPAIGNS[0][0]}”。")
    click.echo(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
    for acc in demo.DEMO_ACCOUNTS:
        click.echo(f"  {acc.username:<16} {acc.note}")
    if no_serve:
        return
    click.echo(f"打开 http://{host}:{port}/ （Ctrl+C 停止）")
    from werkzeug.serving import run_simple

    # Not app.run(): Flask ignores it inside a CLI command.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.command(
    "finalize-overdue",
    help="把超过截止时间仍未交卷的试卷按已保存的答案评分（建议每几分钟运行一次）。",
)
@with_appcontext
def finalize_overdue_command() -> None:
    """Grade every attempt left open past its deadline (run it from cron every few minutes)."""
    from datetime import timedelta

    from flask import current_app

    from quiz_app.clock import now
    from quiz_app.services.attempts import finalize_overdue

    grace = timedelta(seconds=current_app.config["QUIZ_SAVE_GRACE_SECONDS"])
    count = finalize_overdue(now(), grace, after_each=db.session.commit)  # one at a time
    db.session.commit()
    click.echo(f"已按保存的答案为 {count} 份超时未交的试卷评分。")


@click.command(
    "rebuild-stats",
    help="从作答记录重新计算统计用的成绩表和知识点计数（批量导入或手工修复数据之后使用）。"
    "不给 QUIZ_ID 时重算全部竞答。",
)
@click.argument("quiz_id", type=int, required=False)
@with_appcontext
def rebuild_stats_command(quiz_id: int | None) -> None:
    """Recompute QuizResult and the tallies from the attempts: after a bulk load or a repair."""
    import sqlalchemy as sa

    from quiz_app.models import Quiz
    from quiz_app.services.results import rebuild

    if quiz_id is not None:
        quiz = db.session.get(Quiz, quiz_id)
        if quiz is None:
            raise click.ClickException(f"找不到编号为 {quiz_id} 的竞答")
        quizzes = [quiz]
    else:
        quizzes = list(db.session.scalars(sa.select(Quiz).order_by(Quiz.id)))
    for quiz in quizzes:
        people = rebuild(quiz)
        db.session.commit()
        click.echo(f"已重算“{quiz.title}”（编号 {quiz.id}）：{people} 人有计分成绩。")


def register_commands(app: Flask) -> None:
    for command in (
        init_command,
        create_admin_command,
        import_users_command,
        import_bank_command,
        export_bank_command,
        demo_command,
        finalize_overdue_command,
        rebuild_stats_command,
    ):
        app.cli.add_command(command)
    from quiz_app.cli_stats import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)
    from quiz_app.cli_backup import COMMANDS as BACKUP_COMMANDS

    for command in BACKUP_COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from quiz_app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """学习竞答平台 quiz-app：init 建库 · demo 演示 · import-users 导入花名册 · db 迁移 …"""
