"""The home page: what this person should do next (services/todo.py), and their work areas."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from quiz_app.clock import now
from quiz_app.services import access, my_results, todo
from quiz_app.services.branches import full_name

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    user = current_user._get_current_object()
    moment = now()
    items = todo.todo_items(user, moment)
    return render_template(
        "home/index.html",
        branch_name=full_name(user.branch),
        links=access.home_links(user),
        pending=[i for i in items if not i.done],
        done=[i for i in items if i.done],
        released=my_results.released(user, moment),
        points_today=todo.points_today(user, moment),
        moment=moment,
    )


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness for the load balancer: the app answers and the database is reachable."""
    from sqlalchemy import text

    from quiz_app.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
