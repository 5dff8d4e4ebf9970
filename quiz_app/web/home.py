"""The home page: what is open for this person, and the work areas their roles open."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from quiz_app.services import access, campaigns
from quiz_app.services.branches import full_name

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    user = current_user._get_current_object()
    return render_template(
        "home/index.html",
        branch_name=full_name(user.branch),
        links=access.home_links(user),
        open_items=campaigns.open_quizzes_for(user),
    )


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness for the load balancer: the app answers and the database is reachable."""
    from sqlalchemy import text

    from quiz_app.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
