"""Organizer pages for campaigns and quizzes (being built)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/manage/campaigns")


@bp.get("/")
def index() -> str:
    return "活动管理页面建设中"
