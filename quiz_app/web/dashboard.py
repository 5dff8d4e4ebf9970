"""Leaders' statistics pages (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
def index() -> str:
    return "统计页面建设中"
