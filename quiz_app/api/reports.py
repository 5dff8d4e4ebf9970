"""/api/v1 一学一报: the draft autosave the writing page uses (ordered by a sequence number)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from quiz_app.api import authenticated, bp, error
from quiz_app.clock import now
from quiz_app.extensions import db
from quiz_app.models import ReportRequirement
from quiz_app.services.reports import writing
from quiz_app.services.reports.requirements import ReportError


@bp.put("/reports/<int:requirement_id>/draft")
@authenticated
def save_report_draft(requirement_id: int) -> Any:
    requirement = db.session.get(ReportRequirement, requirement_id)
    if requirement is None:
        return error(404, "找不到这项一学一报", "not_found")
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("body"), str)
        or not isinstance(body.get("seq"), int)
        or isinstance(body.get("seq"), bool)
    ):
        return error(422, '请求应为 {"body": "正文", "seq": 序号}', "bad_request")
    moment = now()
    try:
        saved = writing.save_draft(requirement, g.api_user, body["body"], body["seq"], moment)
    except ReportError as exc:
        db.session.rollback()
        code = {403: "forbidden", 409: "not_editable"}.get(exc.status, "bad_request")
        return error(exc.status, str(exc), code)
    db.session.commit()
    return jsonify(
        {
            "applied": saved.applied,
            "seq": saved.report.draft_seq,
            "chars": writing.char_count(saved.report.body),
            "saved_at": moment.isoformat(),
        }
    )


def openapi_paths() -> dict[str, Any]:
    """The 一学一报 paths of the OpenAPI document."""

    def err(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    return {
        "/reports/{requirement_id}/draft": {
            "put": {
                "summary": "自动保存一学一报草稿（序号较小的保存不会覆盖较新的内容）",
                "security": [{"bearer": []}, {"cookie": []}],
                "parameters": [
                    {
                        "name": "requirement_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["body", "seq"],
                                "properties": {
                                    "body": {"type": "string"},
                                    "seq": {"type": "integer"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "已保存（applied=false 表示已有序号更大的保存）",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "applied": {"type": "boolean"},
                                        "seq": {"type": "integer"},
                                        "chars": {"type": "integer"},
                                        "saved_at": {"type": "string", "format": "date-time"},
                                    },
                                }
                            }
                        },
                    },
                    "401": err("未登录"),
                    "403": err("不在报送范围内"),
                    "404": err("一学一报不存在"),
                    "409": err("报告已提交或已通过，不能再修改"),
                    "422": err("请求格式不正确或正文太长"),
                },
            }
        }
    }
