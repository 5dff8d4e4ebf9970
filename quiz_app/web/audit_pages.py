"""The audit log's pages: admins see and export everything; an organizer sees the entries of a
campaign they work on, a leader those of a campaign in their scope. Read-only by design: no
route here (or anywhere) edits or deletes an entry."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort, render_template, request, url_for

from quiz_app.clock import LOCAL_TZ, format_local
from quiz_app.extensions import db
from quiz_app.services import audit
from quiz_app.services.xlsx_out import workbook_bytes
from quiz_app.web import xlsx_download

PAGE_SIZE = 50


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, description="日期格式应为 2026-01-31")
    if not 2000 <= day.year <= 2100:
        abort(400, description="日期应在 2000 年到 2100 年之间")
    return day


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), LOCAL_TZ) if day else None


def filter_from_args() -> audit.AuditFilter:
    """The admin page's filters from the query string (bad values are a 400, never a 500)."""
    action = request.args.get("action", "")
    campaign = request.args.get("campaign", "").strip()
    if campaign and not (campaign.isascii() and campaign.isdigit() and len(campaign) <= 9):
        abort(400, description="活动编号应为数字")
    since, until = _day("since"), _day("until")
    return audit.AuditFilter(
        action=action if action in audit.ACTIONS else "",
        actor=request.args.get("actor", "").strip()[:50],
        campaign_id=int(campaign) if campaign else None,
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1)) if until else None,
    )


def render_entries(f: audit.AuditFilter, *, subtitle: str = "", filters: bool = False) -> str:
    page = request.args.get("page", "1")
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
    pagination = db.paginate(
        audit.search(f), page=max(1, number), per_page=PAGE_SIZE, error_out=False
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "audit/entries.html",
        pagination=pagination,
        actions=audit.ACTIONS,
        f=f,
        subtitle=subtitle,
        filters=filters,
        since=request.args.get("since", ""),
        until=request.args.get("until", ""),
        export_url=url_for("admin.audit_export", **args),
        page_url=lambda n: url_for(
            request.endpoint or "", **(request.view_args or {}), **args, page=n
        ),
    )


def export(f: audit.AuditFilter) -> Any:
    rows = (
        [
            format_local(e.at),
            e.actor_name,
            audit.ACTIONS.get(e.action, e.action),
            e.summary,
            e.object_type,
            e.object_id,
            e.campaign_id,
            e.address,
        ]
        for e in db.session.scalars(audit.search(f))
    )
    data = workbook_bytes(
        [
            (
                "操作记录",
                ["时间", "操作人", "操作", "内容", "对象", "对象编号", "活动编号", "来源地址"],
                rows,
            )
        ]
    )
    return xlsx_download(data, "操作记录.xlsx", "audit-log.xlsx")
