"""`quiz-app export-stats CAMPAIGN_ID PATH`: the campaign's statistics workbook, whole tree."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from quiz_app.extensions import db


@click.command("export-stats")
@click.argument("campaign_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_stats_command(campaign_id: int, path: Path) -> None:
    """把活动的统计（部门汇总、个人成绩、未参与名单、知识点掌握、试题分析）导出为 .xlsx。"""
    from quiz_app.models import Campaign
    from quiz_app.services.stats import export, scope

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"找不到编号为 {campaign_id} 的活动")
    data = export.export_xlsx(campaign, scope.tree_roots())
    path.write_bytes(data)
    click.echo(f"已导出“{campaign.title}”的统计到 {path}（{len(data)} 字节）")


COMMANDS: list[click.Command] = [export_stats_command]
