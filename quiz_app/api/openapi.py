"""The OpenAPI 3.1 document for /api/v1 — kept beside the routes; a test checks they agree."""

from __future__ import annotations

from typing import Any


def _err(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


SECURITY = [{"bearer": []}, {"cookie": []}]
# Every id is a PostgreSQL integer: the app answers 404 for ids outside 1..2^31-1.
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
ATTEMPT_ID = {"name": "attempt_id", "in": "path", "required": True, "schema": ID}
# What the edge refuses on every route (quiz_app/web/validation.py).
EDGE_ERRORS = {
    "400": "请求格式不正确（如 JSON 无法解析）",
    "422": "请求内容不符合要求：JSON 请求体不是对象，数值超出范围，或文字含控制字符、空字符、无效 Unicode",
}


def document() -> dict[str, Any]:
    """The whole document (built each time: it is small and never stale)."""
    from quiz_app.api.reports import openapi_paths as report_paths
    from quiz_app.api.stats import openapi_paths

    doc = _core()
    doc["paths"].update(openapi_paths())
    doc["paths"].update(report_paths())
    for item in doc["paths"].values():
        for operation in item.values():
            responses = operation["responses"]
            for code, description in EDGE_ERRORS.items():
                responses.setdefault(code, _err(description))
            if "security" in operation:
                responses.setdefault("401", _err("未登录或令牌无效"))
    return doc


def _core() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "学习竞答平台 API",
            "version": "1",
            "description": (
                "浏览器使用会话 Cookie，修改类请求需在 X-CSRFToken 头中带上页面的 CSRF 令牌；"
                "其他客户端先用 POST /api/v1/tokens 换取令牌，再以 Authorization: Bearer 发送。"
                '答案格式：单选 "B"，多选 ["A","C"]，判断 true/false，填空 ["…","…"]；'
                "选项字母是本次试卷显示的字母。"
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/tokens": {
                "post": {
                    "summary": "用登录名和密码换取访问令牌",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["username", "password"],
                                    "properties": {
                                        "username": {"type": "string"},
                                        "password": {"type": "string"},
                                        "label": {
                                            "type": "string",
                                            "description": "设备名称，列在“登录设备”中",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _ok("令牌", "Token"),
                        "401": _err("登录名或密码错误"),
                        "422": _err("请求缺少字段"),
                        "429": _err("失败次数过多，暂时锁定"),
                        "503": _err("登录的人较多，请按 Retry-After 头的秒数稍后重试"),
                    },
                },
                "get": {
                    "summary": "本人当前有效的令牌（不含令牌本身）",
                    "security": SECURITY,
                    "responses": {"200": _ok("令牌列表", "TokenList"), "401": _err("未登录")},
                },
            },
            "/tokens/{token_id}": {
                "delete": {
                    "summary": "作废一个令牌（本人的，或管理员作废任何人的）",
                    "security": SECURITY,
                    "parameters": [
                        {
                            "name": "token_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "204": {"description": "已作废"},
                        "401": _err("未登录"),
                        "404": _err("找不到该令牌"),
                    },
                }
            },
            "/me": {
                "get": {
                    "summary": "当前账号",
                    "security": SECURITY,
                    "responses": {"200": _ok("账号", "User"), "401": _err("未登录")},
                }
            },
            "/quizzes": {
                "get": {
                    "summary": "当前对我开放的竞答及我的状态",
                    "security": SECURITY,
                    "responses": {"200": _ok("竞答列表", "QuizList"), "401": _err("未登录")},
                }
            },
            "/quizzes/{quiz_id}/attempts": {
                "post": {
                    "summary": "开始作答；已有进行中的作答时返回它",
                    "security": SECURITY,
                    "parameters": [
                        {"name": "quiz_id", "in": "path", "required": True, "schema": ID}
                    ],
                    "responses": {
                        "201": _ok("新的作答", "Attempt"),
                        "200": _ok("进行中的作答", "Attempt"),
                        "403": _err("不在参加范围内"),
                        "404": _err("竞答不存在"),
                        "409": _err("未开始、已结束或次数已用完"),
                    },
                }
            },
            "/attempts/{attempt_id}": {
                "get": {
                    "summary": "作答状态、已保存的答案；交卷且允许时含答案和解析",
                    "security": SECURITY,
                    "parameters": [ATTEMPT_ID],
                    "responses": {"200": _ok("作答", "Attempt"), "404": _err("不存在或不属于我")},
                }
            },
            "/attempts/{attempt_id}/answers/{question_id}": {
                "put": {
                    "summary": "保存一道题的答案（按序号，旧的不会覆盖新的）",
                    "security": SECURITY,
                    "parameters": [
                        ATTEMPT_ID,
                        {"name": "question_id", "in": "path", "required": True, "schema": ID},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AnswerSave"}
                            }
                        },
                    },
                    "responses": {
                        "200": _ok("已保存（applied=false 表示序号较旧，未覆盖）", "AnswerSaved"),
                        "404": _err("不存在或不属于我"),
                        "409": _err("已交卷，或已超过截止时间加宽限"),
                        "422": _err("答案格式与题型不符"),
                    },
                }
            },
            "/attempts/{attempt_id}/submit": {
                "post": {
                    "summary": "交卷（重复提交返回同一结果）",
                    "security": SECURITY,
                    "parameters": [ATTEMPT_ID],
                    "responses": {
                        "200": _ok("评分结果", "Attempt"),
                        "404": _err("不存在或不属于我"),
                    },
                }
            },
            "/openapi.json": {
                "get": {"summary": "本文档", "responses": {"200": {"description": "OpenAPI 文档"}}}
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "code"],
                    "properties": {"error": {"type": "string"}, "code": {"type": "string"}},
                },
                "User": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "username": {"type": "string"},
                        "real_name": {"type": "string"},
                        "branch": {"type": "string"},
                        "must_change_password": {"type": "boolean"},
                    },
                },
                "TokenList": {
                    "type": "object",
                    "properties": {
                        "tokens": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "label": {"type": "string"},
                                    "created_at": {"type": "string", "format": "date-time"},
                                    "expires_at": {"type": "string", "format": "date-time"},
                                    "last_used_at": {"type": "string", "format": "date-time"},
                                },
                            },
                        }
                    },
                },
                "Token": {
                    "type": "object",
                    "required": ["token", "id", "expires_at", "user"],
                    "properties": {
                        "token": {"type": "string"},
                        "id": {"type": "integer"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "user": {"$ref": "#/components/schemas/User"},
                    },
                },
                "QuizList": {
                    "type": "object",
                    "properties": {
                        "server_time": {"type": "string", "format": "date-time"},
                        "quizzes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "title": {"type": "string"},
                                    "state": {
                                        "type": "string",
                                        "enum": ["未参加", "进行中", "已完成"],
                                    },
                                    "attempts_used": {"type": "integer"},
                                    "attempts_allowed": {"type": ["integer", "null"]},
                                    "in_progress_attempt_id": {"type": ["integer", "null"]},
                                    "best_score": {"type": ["string", "null"]},
                                    "max_score": {"type": "string"},
                                    "time_limit_seconds": {"type": ["integer", "null"]},
                                    "closes_at": {"type": "string", "format": "date-time"},
                                },
                            },
                        },
                    },
                },
                "Question": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "position": {"type": "integer"},
                        "type": {
                            "type": "string",
                            "enum": ["single", "multiple", "judge", "blank"],
                        },
                        "stem": {"type": "string"},
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "key": {"type": "string"},
                                    "text": {"type": "string"},
                                },
                            },
                        },
                        "blanks": {"type": "integer"},
                        "score": {"type": "string"},
                        "awarded": {"type": "string", "description": "仅在允许查看答案时"},
                        "correct": {"type": "boolean", "description": "仅在允许查看答案时"},
                        "correct_answer": {"description": "仅在交卷且允许查看答案时"},
                        "explanation": {
                            "type": "string",
                            "description": "仅在交卷且允许查看答案时",
                        },
                    },
                },
                "Attempt": {
                    "type": "object",
                    "required": ["id", "deadline", "server_time", "questions", "answers"],
                    "properties": {
                        "id": {"type": "integer"},
                        "quiz_id": {"type": "integer"},
                        "quiz_title": {"type": "string"},
                        "number": {"type": "integer"},
                        "status": {
                            "type": "string",
                            "enum": ["in_progress", "submitted", "timed_out"],
                        },
                        "started_at": {"type": "string", "format": "date-time"},
                        "deadline": {"type": ["string", "null"], "format": "date-time"},
                        "server_time": {"type": "string", "format": "date-time"},
                        "last_seq": {"type": "integer"},
                        "questions": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Question"},
                        },
                        "answers": {
                            "type": "object",
                            "additionalProperties": True,
                            "description": "题目 id → 已保存的答案",
                        },
                        "flagged": {"type": "array", "items": {"type": "integer"}},
                        "review": {"type": "boolean"},
                        "result": {
                            "type": "object",
                            "properties": {
                                "score": {"type": "string"},
                                "max_score": {"type": "string"},
                                "passed": {"type": ["boolean", "null"]},
                                "time_used_seconds": {"type": ["integer", "null"]},
                                "finished_at": {"type": ["string", "null"], "format": "date-time"},
                                "end_reason": {
                                    "type": ["string", "null"],
                                    "enum": [
                                        "submitted",
                                        "time_up",
                                        "closed_early",
                                        "campaign_closed",
                                        None,
                                    ],
                                    "description": "结束原因：已交卷 / 时间到 / 组织者提前结束 / 活动截止",
                                },
                                "end_label": {
                                    "type": "string",
                                    "description": "结束原因的中文说明",
                                },
                            },
                        },
                    },
                },
                "AnswerSave": {
                    "type": "object",
                    "required": ["answer", "seq"],
                    "properties": {
                        "answer": {
                            "description": '单选 "B"；多选 ["A","C"]；判断 true/false；填空 ["…"]；null 清除'
                        },
                        "seq": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 2**63 - 1,
                            "description": "本次作答内递增的序号",
                        },
                        "flagged": {"type": "boolean"},
                    },
                },
                "AnswerSaved": {
                    "type": "object",
                    "properties": {
                        "question_id": {"type": "integer"},
                        "seq": {"type": "integer"},
                        "applied": {"type": "boolean"},
                        "answer": {},
                        "saved_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    }
