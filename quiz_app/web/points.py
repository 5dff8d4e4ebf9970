"""学习积分 pages: the leaderboards (week, month, year; people and branches) and the rules page
where an admin changes points and caps from a date on."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models.points import ACTIVITIES
from quiz_app.services import access, points
from quiz_app.services.points import rules
from quiz_app.services.points.boards import PERIODS, board_branches
from quiz_app.web import role_required
from quiz_app.web.forms import ConfirmForm

bp = Blueprint("points", __name__, url_prefix="/points")


@bp.get("/board")
@login_required
def board() -> Any:
    period = request.args.get("period", "week")
    if period not in PERIODS:
        period = "week"
    moment = now()
    start, end = points.period_bounds(period, moment)
    user = current_user._get_current_object()
    return render_template(
        "points/board.html",
        period=period,
        periods=PERIODS,
        start=start,
        end=end,
        people=points.person_board(start, end),
        branches=points.branch_board(start, end, board_branches(None)),
        mine=points.rank_of(user, start, end),
    )


def _int_or_none(text: str | None, label: str, what: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise rules.RuleError(f"【{label}】{what}应为整数") from None


@bp.route("/rules", methods=["GET", "POST"])
@role_required(access.is_admin)
def rules_page() -> Any:
    today = points.local_day(now())
    error = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            return "", 400
        activity = request.form.get("activity", "")
        label = rules.LABELS.get(activity, "积分项目")
        try:
            raw_day = request.form.get("effective_from", "").strip()
            try:
                effective = date.fromisoformat(raw_day)
            except ValueError:
                raise rules.RuleError(f"【{label}】生效日期请按“年-月-日”填写") from None
            amount = _int_or_none(request.form.get("points"), label, "积分")
            if amount is None:
                raise rules.RuleError(f"【{label}】积分不能为空")
            rules.set_rule(
                activity,
                amount,
                _int_or_none(request.form.get("daily_cap"), label, "每日上限"),
                effective,
                today,
                current_user._get_current_object(),
                _int_or_none(request.form.get("per_minutes"), label, "计分分钟数"),
            )
        except rules.RuleError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"已保存：{label}，{effective.isoformat()} 起生效", "success")
            return redirect(url_for("points.rules_page"))
    return (
        render_template(
            "points/rules.html",
            current=rules.current_rules(today),
            upcoming=rules.upcoming(today),
            history=rules.history(),
            today=today,
            activities=ACTIVITIES,
            labels=rules.LABELS,
            form=ConfirmForm(),
            error=error,
        ),
        422 if error else 200,
    )
