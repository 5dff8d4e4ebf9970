"""/api/v1 statistics: per-branch figures and item analysis of a campaign, scoped like the pages."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from quiz_app.api import authenticated, bp, error
from quiz_app.services import stats
from quiz_app.services.textcheck import parse_id


def _branch_arg() -> int | None:
    return parse_id(request.args.get("branch_id", ""))


def _quiz_arg() -> int | None:
    return parse_id(request.args.get("quiz_id", ""))


def _bad_args() -> Any:
    for name in ("branch_id", "quiz_id"):
        raw = request.args.get(name, "").strip()
        if raw and parse_id(raw) is None:
            return error(422, f"{name} 应为 1 到 2147483647 之间的整数", "bad_request")
    return None


def _quizzes(campaign: Any) -> list[Any]:
    wanted = _quiz_arg()
    return [q for q in campaign.quizzes if wanted is None or q.id == wanted]


def _campaign_in_scope(campaign_id: int) -> Any:
    """(campaign, focus branches, None) the caller may see, or (None, None, the 422/403/404)."""
    if (bad := _bad_args()) is not None:
        return None, None, bad
    if not stats.may_view_stats(g.api_user):
        return None, None, error(403, "您无权查看统计", "forbidden")
    try:
        campaign, scope = stats.get_campaign(g.api_user, campaign_id)
        return campaign, stats.focus_for(scope, _branch_arg()), None
    except stats.StatsDenied as exc:
        status = "forbidden" if exc.status == 403 else "not_found"
        return None, None, error(exc.status, exc.message, status)


@bp.get("/campaigns/<int:campaign_id>/stats")
@authenticated
def campaign_stats(campaign_id: int) -> Any:
    campaign, focus, refused = _campaign_in_scope(campaign_id)
    if refused is not None:
        return refused
    quizzes = []
    for quiz in _quizzes(campaign):
        figs = stats.branch_figures(campaign, quiz, focus)
        quizzes.append(
            {
                "quiz_id": quiz.id,
                "title": quiz.title,
                "max_score": float(quiz.max_score),
                "counting": quiz.counting,
                "total": figs.total.as_dict(),
                "branches": [{**r.as_dict(), "depth": r.depth, "path": r.path} for r in figs.rows],
            }
        )
    return jsonify(
        {
            "campaign": {"id": campaign.id, "title": campaign.title},
            "branches_in_focus": [b.id for b in focus],
            "quizzes": quizzes,
        }
    )


@bp.get("/campaigns/<int:campaign_id>/stats/items")
@authenticated
def campaign_item_stats(campaign_id: int) -> Any:
    campaign, focus, refused = _campaign_in_scope(campaign_id)
    if refused is not None:
        return refused
    from quiz_app.clock import now
    from quiz_app.services import secrecy

    if reason := secrecy.analysis_refusal(g.api_user, campaign, now()):
        return error(403, reason, "forbidden")
    out = []
    for quiz in _quizzes(campaign):
        ia = stats.item_analysis(quiz, focus)
        out.append(
            {
                "quiz_id": quiz.id,
                "title": quiz.title,
                "attempts": ia.attempts,
                "mean": _r(ia.mean),
                "sd": _r(ia.sd),
                "kr20": _r(ia.kr20, 4),
                "items": [
                    {
                        "question_id": it.question_id,
                        "bank_id": it.bank_id,
                        "revision_id": it.revision_id,
                        "type": it.type,
                        "stem": it.stem,
                        "drawn": it.drawn,
                        "answered": it.answered,
                        "correct": it.correct,
                        "facility": _r(it.facility, 4),
                        "discrimination": _r(it.discrimination, 4),
                        "options": [
                            {"key": o.key, "text": o.text, "count": o.count, "is_key": o.is_key}
                            for o in it.options
                        ],
                        "flags": it.flags,
                    }
                    for it in ia.items
                ],
            }
        )
    return jsonify({"campaign": {"id": campaign.id, "title": campaign.title}, "quizzes": out})


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_PARAMS = [
    {"name": "campaign_id", "in": "path", "required": True, "schema": _ID},
    {
        "name": "quiz_id",
        "in": "query",
        "required": False,
        "schema": _ID,
        "description": "只看活动中的这一场竞答",
    },
    {
        "name": "branch_id",
        "in": "query",
        "required": False,
        "schema": _ID,
        "description": "只看这个部门及其下级；须在您的查看范围内",
    },
]


def _err(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_NUM = {"type": ["number", "null"]}
_ROW = {
    "type": "object",
    "properties": {
        "branch_id": {"type": ["integer", "null"]},
        "branch": {"type": "string"},
        "expected": {"type": "integer", "description": "应参与人数（花名册，含未登录）"},
        "took_part": {"type": "integer", "description": "有任何作答的人数"},
        "finished": {"type": "integer", "description": "已交卷人数"},
        "participation_rate": {**_NUM, "description": "finished ÷ expected"},
        "scored": {"type": "integer", "description": "计入成绩的作答数"},
        "avg_score": _NUM,
        "median_score": _NUM,
        "max_score": _NUM,
        "score_rate": {**_NUM, "description": "Σ得分 ÷ Σ满分"},
        "pass_rate": _NUM,
        "avg_time_seconds": _NUM,
    },
}


def openapi_paths() -> dict[str, Any]:
    """The statistics paths of the OpenAPI document."""
    common = {
        "security": [{"bearer": []}, {"cookie": []}],
        "parameters": _PARAMS,
    }
    errors = {
        "401": _err("未登录"),
        "403": _err("无权查看该活动或该部门"),
        "404": _err("活动或部门不存在"),
        "422": _err("参数格式不正确"),
    }
    return {
        "/campaigns/{campaign_id}/stats": {
            "get": {
                **common,
                "summary": "活动各部门（含下级汇总）的参与和成绩统计",
                "responses": {
                    "200": {
                        "description": "每场竞答的合计与各部门数据",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "campaign": {"type": "object"},
                                        "branches_in_focus": {
                                            "type": "array",
                                            "items": {"type": "integer"},
                                        },
                                        "quizzes": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "quiz_id": {"type": "integer"},
                                                    "title": {"type": "string"},
                                                    "max_score": {"type": "number"},
                                                    "total": _ROW,
                                                    "branches": {"type": "array", "items": _ROW},
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **errors,
                },
            }
        },
        "/campaigns/{campaign_id}/stats/items": {
            "get": {
                **common,
                "summary": "试题分析：答对率、区分度（高低分组27%）、选项分布、KR-20 信度",
                "responses": {
                    "200": {
                        "description": "每场竞答的试题分析",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **errors,
                },
            }
        },
    }
