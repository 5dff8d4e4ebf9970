"""Leaders' and organizers' statistics pages: campaign figures, item analysis, the year's figures.

Scope is decided on the server for every request (services.stats.campaign_scope / focus_for);
charts are SVG drawn here and in the templates, always next to a table with the same numbers.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from quiz_app import clock
from quiz_app.services import stats
from quiz_app.services.branches import full_name
from quiz_app.services.stats import year, yearreport
from quiz_app.services.stats.common import StatsDenied
from quiz_app.services.stats.scope import branches_under
from quiz_app.web import role_required, xlsx_download
from quiz_app.web.campaign_forms import MAX_YEAR, MIN_YEAR

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.before_request
@role_required(stats.may_view_stats)
def _leaders_and_organizers_only() -> None:
    return None


def _user() -> Any:
    return current_user._get_current_object()


def _int_arg(name: str, default: int | None = None, lo: int = 0, hi: int = 10**9) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return min(max(int(raw), lo), hi)
    except ValueError:
        abort(400)


def _float_arg(name: str, default: float, lo: float, hi: float) -> float:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return min(max(float(raw), lo), hi)
    except ValueError:
        abort(400)


def _campaign_focus(campaign_id: int) -> tuple[Any, stats.Scope, list[Any]]:
    """The campaign, the user's scope in it and the part of the tree asked for (?branch=);
    403 / 404 when the user may not see them — checked on every request."""
    try:
        camp, scope = stats.get_campaign(_user(), campaign_id)
        return camp, scope, stats.focus_for(scope, _int_arg("branch"))
    except stats.StatsDenied as exc:
        abort(exc.status)


def _quiz_focus(quiz_id: int) -> tuple[Any, list[Any]]:
    """As ``_campaign_focus``, for one quiz (item analysis)."""
    try:
        quiz, scope = stats.get_quiz(_user(), quiz_id)
        return quiz, stats.focus_for(scope, _int_arg("branch"))
    except stats.StatsDenied as exc:
        abort(exc.status)


def _refuse_keys(campaign: Any) -> None:
    """Item analysis shows the keys: not to a leader who still has the quiz to take."""
    from quiz_app.clock import now
    from quiz_app.services import secrecy

    reason = secrecy.analysis_refusal(_user(), campaign, now())
    if reason:
        abort(403, description=reason)


# --- chart geometry (SVG drawn by the server) ----------------------------------------------------


def hbars(items: list[tuple[str, float | None, str]], scale: float = 1.0) -> dict[str, Any]:
    """Horizontal bars: (label, value, text shown). 340 wide; labels left, values right."""
    row_h, label_w, bar_w = 26, 110, 170
    bars = []
    for i, (label, value, text) in enumerate(items):
        v = 0.0 if value is None else max(0.0, min(value / scale if scale else 0.0, 1.0))
        bars.append(
            {
                "label": label if len(label) <= 6 else label[:5] + "…",  # 16 px text at 375 px
                "full": label,
                "y": i * row_h + 4,
                "w": round(v * bar_w, 1),
                "text": text,
                "tx": label_w + round(v * bar_w, 1) + 4,
            }
        )
    return {"width": 340, "height": len(items) * row_h + 8, "x0": label_w, "bars": bars}


def vbars(items: list[tuple[str, int]], height: int = 150) -> dict[str, Any]:
    """Vertical bars (trend, histogram): (label, count). 340 wide."""
    n = max(len(items), 1)
    top = max((c for _, c in items), default=0) or 1
    plot_h, slot = height - 36, 320 / n
    bars = []
    for i, (label, count) in enumerate(items):
        h = round(count / top * plot_h, 1)
        bars.append(
            {
                "label": label,
                "count": count,
                "x": round(10 + i * slot + slot * 0.1, 1),
                "w": round(max(slot * 0.8, 1), 1),
                "y": round(14 + plot_h - h, 1),
                "h": h,
                "cx": round(10 + i * slot + slot / 2, 1),
            }
        )
    step = max(1, -(-n // 5))  # at most ~6 axis labels of 16 px fit at 375 px
    for i, b in enumerate(bars):
        b["show_label"] = i % step == 0  # evenly spaced: the last label never crowds its neighbour
        b["show_count"] = n <= 12
    return {"width": 340, "height": height, "base": 14 + plot_h, "bars": bars, "top": top}


# --- pages -------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    user = _user()
    campaigns = stats.visible_campaigns(user)
    return render_template(
        "dashboard/index.html",
        campaigns=campaigns,
        summaries=stats.campaign_summaries(user, campaigns),
        pct=stats.pct,
        few=stats.FEW_PEOPLE,
    )


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> Any:
    camp, scope, focus = _campaign_focus(campaign_id)
    quizzes = list(camp.quizzes)
    quiz_id = _int_arg("quiz")
    quiz = next((q for q in quizzes if q.id == quiz_id), quizzes[0] if quizzes else None)
    by = request.args.get("by", "composite")
    by = by if by in stats.RANK_BY else "composite"
    weight = _float_arg("w", stats.DEFAULT_WEIGHT, 0, 100)
    k = _float_arg("k", stats.DEFAULT_K, 0, 1000)
    top = _int_arg("top", stats.DEFAULT_TOP, 1, 200) or stats.DEFAULT_TOP
    ctx: dict[str, Any] = {
        "campaign": camp,
        "quiz": quiz,
        "quizzes": quizzes,
        "focus": focus,
        "focus_names": "、".join(full_name(b) for b in focus),
        "scope": scope,
        "by": by,
        "weight": weight,
        "k": k,
        "top": top,
        "rank_by": stats.RANK_BY,
        "pct": stats.pct,
        "few": stats.FEW_PEOPLE,
        "branch_arg": request.args.get("branch", ""),
    }
    if quiz is not None:
        figs = stats.branch_figures(camp, quiz, focus)
        ranking = stats.rank_branches(figs, focus, by, weight, k)
        trend = stats.daily_trend(quiz, focus, figs.total.expected)
        dist = stats.distribution(quiz, focus, figs)
        missing = stats.not_participated(camp, quiz, focus, figs)
        peer_rows = stats.peers(figs, focus)
        ctx.update(
            figs=figs,
            ranking=ranking,
            leaders=stats.leaderboard(quiz, focus, top),
            trend=trend,
            dist=dist,
            missing=missing,
            missing_text=stats.missing_text(missing),
            missing_count=sum(len(m.people) for m in missing),
            topics=stats.topic_mastery(quiz, focus, peer_rows),
            topic_cols=peer_rows,
            chart_part=hbars(
                [
                    (r.row.name, r.row.participation_rate, stats.pct(r.row.participation_rate))
                    for r in ranking
                ]
            ),
            chart_score=hbars(
                [(r.row.name, r.row.score_rate, stats.pct(r.row.score_rate)) for r in ranking]
            ),
            chart_trend=vbars([(d.day[5:], d.attempts) for d in trend]),
            chart_dist=vbars([(b.label.split("–")[0], b.count) for b in dist]),
            drill=[r for r in figs.rows if r.depth == 1],
        )
    return render_template("dashboard/campaign.html", **ctx)


@bp.get("/quizzes/<int:quiz_id>/items")
def items(quiz_id: int) -> Any:
    quiz, focus = _quiz_focus(quiz_id)
    _refuse_keys(quiz.campaign)
    analysis = stats.item_analysis(quiz, focus)
    return render_template(
        "dashboard/items.html",
        quiz=quiz,
        campaign=quiz.campaign,
        analysis=analysis,
        focus_names="、".join(full_name(b) for b in focus),
        pct=stats.pct,
        few=stats.FEW_PEOPLE,
        min_flag=stats.MIN_FLAG_ANSWERS,
        branch_arg=request.args.get("branch", ""),
    )


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        abort(400)
    return value


def _year_report() -> dict[str, Any]:
    """The report's range, part of the tree (leader scope enforced: 403), figures and paragraph."""
    user = _user()
    start0, end0 = year.this_year()
    start, end = _date_arg("start", start0), _date_arg("end", end0)
    if end < start:
        start, end = end, start
    try:
        focus = year.year_focus(user, _int_arg("branch"))
    except StatsDenied as exc:
        abort(exc.status)
    lo, hi = year.local_bounds(start, end)
    branch_ids = year.branch_ids_of(focus)
    figures = year.collect(lo, hi, branch_ids)
    today = clock.now().astimezone(clock.LOCAL_TZ).date()
    names = "、".join(full_name(b) for b in focus)
    return {
        "start": start,
        "end": end,
        "focus": focus,
        "focus_names": names,
        "figures": figures,
        "paragraph": yearreport.build(figures, start, end, today),
        "campaigns": year.campaigns_reaching(lo, hi, branch_ids),
        "title": f"{names} {start.isoformat()} 至 {end.isoformat()} 年度数据",
    }


@bp.get("/year", endpoint="year")
def year_page() -> Any:
    report = _year_report()
    return render_template(
        "dashboard/year.html",
        **report,
        choices=branches_under(year.year_focus(_user(), None)),
        branch_arg=request.args.get("branch", ""),
        number=yearreport.number,
    )


@bp.get("/year.xlsx")
def year_xlsx() -> Any:
    r = _year_report()
    data = yearreport.xlsx(r["paragraph"], r["figures"], r["title"], request.url_root)
    return xlsx_download(data, f"{r['title']}.xlsx", "year-report.xlsx")


@bp.get("/year.docx")
def year_docx() -> Any:
    r = _year_report()
    data = yearreport.docx(r["paragraph"], r["figures"], r["title"], request.url_root)
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        as_attachment=True,
        download_name=f"{r['title']}.docx",
    )


@bp.get("/campaigns/<int:campaign_id>/export.xlsx")
def export(campaign_id: int) -> Any:
    camp, _scope, focus = _campaign_focus(campaign_id)
    _refuse_keys(camp)
    data = stats.export_xlsx(camp, focus)
    from quiz_app.extensions import db
    from quiz_app.services import audit

    audit.record(
        _user(),
        "export.personal",
        f"导出活动“{camp.title}”的统计（含个人成绩和未参与名单）",
        object_type="campaign",
        object_id=camp.id,
        campaign_id=camp.id,
        address=request.remote_addr or "",
    )
    db.session.commit()
    return xlsx_download(data, f"{camp.title}-统计.xlsx", f"campaign-{camp.id}-stats.xlsx")


@bp.get("/campaigns/<int:campaign_id>/audit")
def campaign_audit(campaign_id: int) -> Any:
    """The audit entries of a campaign the leader (or organizer) may see figures for."""
    from quiz_app.services import audit
    from quiz_app.web import audit_pages

    campaign, _scope, _focus = _campaign_focus(campaign_id)
    return audit_pages.render_entries(
        audit.AuditFilter(campaign_id=campaign.id), subtitle=campaign.title
    )
