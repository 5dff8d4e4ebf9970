"""/api/v1 — JSON for the quiz page, a WeChat mini-program or an OA system; same services as pages.

Browsers authenticate with the session cookie and send the CSRF token in X-CSRFToken; other
clients use a bearer token from POST /api/v1/tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from quiz_app.clock import now
from quiz_app.extensions import csrf, db
from quiz_app.models import Attempt, Quiz, SessionKind, SignInSession, User
from quiz_app.services import access, attempt_payload, attempts, audit, campaigns, sessions
from quiz_app.services.attempts import AttemptError
from quiz_app.services.branches import full_name
from quiz_app.services.textcheck import BIGINT_MAX, column_length
from quiz_app.web.validation import api_body_must_be_object

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below for cookie sessions only: a bearer token is not sent by browsers
bp.before_request(api_body_must_be_object)
F = TypeVar("F", bound=Callable[..., Any])


def error(status: int, message: str, code: str = "error") -> Any:
    return jsonify({"error": message, "code": code}), status


def _bearer_user() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    from quiz_app.web.auth import lifetimes

    return sessions.resolve(header[7:].strip(), (SessionKind.API,), lifetimes())


def authenticated(view: F) -> F:
    """The caller's account from a bearer token or the session (with CSRF for changes)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = _bearer_user()
        if user is None and request.headers.get("Authorization", "").startswith("Bearer "):
            return error(401, "令牌无效或已过期，请重新登录", "unauthorized")
        if user is None:
            if not current_user.is_authenticated:
                return error(401, "请先登录", "unauthorized")
            if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
                "WTF_CSRF_ENABLED", True
            ):
                csrf.protect()  # the same switch as the pages' global CSRF check
            user = current_user._get_current_object()
        if user.must_change_password:
            return error(403, "请先在网页上修改初始密码", "password_change_required")
        g.api_user = user
        g.api_user_id = user.id  # for the request log, read after the commit
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_SAVE_GRACE_SECONDS"])


_HTTP_ERRORS = {
    400: ("请求格式不正确", "bad_request"),
    401: ("请先登录", "unauthorized"),
    403: ("您无权进行此操作", "forbidden"),
    404: ("找不到该资源", "not_found"),
    405: ("不支持该请求方法", "method_not_allowed"),
    413: ("请求内容太大", "too_large"),
    415: ("请求内容类型不受支持", "bad_request"),
    500: ("服务器暂时出错，请稍后再试", "server_error"),
}


@bp.errorhandler(HTTPException)
def http_error(exc: Exception) -> Any:
    """Every HTTP error under /api/ — unknown URLs and methods too, which the app-wide handlers
    pass here — as {"error": 中文, "code": …}."""
    code = getattr(exc, "code", None) or 500
    if code == 400 and "CSRF" in (getattr(exc, "description", "") or ""):
        return error(400, "页面已过期，请刷新后重试", "csrf")
    message, kind = _HTTP_ERRORS.get(code, ("请求失败", "error"))
    body, status = error(code, message, kind)
    if getattr(exc, "valid_methods", None):  # a 405 says what is allowed (RFC 9110)
        body.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return body, status


@bp.errorhandler(AttemptError)
def _attempt_error(exc: AttemptError) -> Any:
    db.session.commit()  # an overdue attempt may have been finalised on the way
    return error(exc.status, exc.message, exc.code)


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "real_name": user.real_name,
        "branch": full_name(user.branch),
        "must_change_password": user.must_change_password,
    }


def _token_json(row: SignInSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "label": row.label,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "last_used_at": row.last_seen_at.isoformat(),
    }


@bp.post("/tokens")
def create_token() -> Any:
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return error(422, "请提供 username 和 password", "bad_request")
    if len(username.strip()) > column_length(User.username):  # no such account; keeps the
        return error(422, "登录名过长", "bad_request")  # throttle's key within its column
    label = body.get("label")
    from quiz_app.web.auth import check_credentials, lifetimes

    result = check_credentials(username, password)
    if result.user is None:
        return error(
            429 if result.throttled else 401,
            result.error or "登录失败",
            "throttled" if result.throttled else "bad_credentials",
        )
    token, row = sessions.open_session(
        result.user,
        SessionKind.API,
        lifetimes(),
        label=label if isinstance(label, str) and label.isprintable() else "",
        address=request.remote_addr or "",
    )
    row.label = row.label or sessions.device_label(request.user_agent.string)
    audit.record(
        result.user,
        "token.created",
        f"{result.user.real_name}创建了接口令牌（{row.label}）",
        object_type="account",
        object_id=result.user.id,
        address=request.remote_addr or "",
    )
    db.session.commit()
    return jsonify(
        {
            "token": token,
            "id": row.id,
            "expires_at": row.expires_at.isoformat(),
            "user": _user_json(result.user),
        }
    ), 201


@bp.get("/tokens")
@authenticated
def list_tokens() -> Any:
    """The caller's own live tokens (never the secret itself: only its hash is stored)."""
    rows = [r for r in sessions.live_sessions(g.api_user) if r.kind == SessionKind.API]
    return jsonify({"tokens": [_token_json(r) for r in rows]})


@bp.delete("/tokens/<int:token_id>")
@authenticated
def revoke_token(token_id: int) -> Any:
    """End a token: its owner may, and so may an admin."""
    row = db.session.get(SignInSession, token_id)
    if row is None or row.kind != SessionKind.API:
        return error(404, "找不到该令牌", "not_found")
    if row.user_id != g.api_user.id and not access.is_admin(g.api_user):
        return error(404, "找不到该令牌", "not_found")
    sessions.revoke(row, "owner" if row.user_id == g.api_user.id else "admin")
    audit.record(
        g.api_user,
        "session.revoked",
        f"结束了接口令牌 {row.id}（{row.label or '未命名'}）",
        object_type="account",
        object_id=row.user_id,
    )
    db.session.commit()
    return "", 204


@bp.get("/me")
@authenticated
def me() -> Any:
    return jsonify(_user_json(g.api_user))


@bp.get("/quizzes")
@authenticated
def quizzes() -> Any:
    moment = now()
    items = []
    for st in campaigns.open_quizzes_for(g.api_user, moment):
        quiz = st.quiz
        items.append(
            {
                "id": quiz.id,
                "title": quiz.title,
                "campaign": {"id": quiz.campaign.id, "title": quiz.campaign.title},
                "state": st.state,
                "attempts_used": st.attempts_used,
                "attempts_allowed": st.attempts_allowed,
                "in_progress_attempt_id": st.in_progress_id,
                "best_score": None if st.best_score is None else str(st.best_score),
                "max_score": str(quiz.max_score),
                "time_limit_seconds": quiz.time_limit_seconds,
                "closes_at": quiz.campaign.closes_at.isoformat(),
            }
        )
    return jsonify({"quizzes": items, "server_time": moment.isoformat()})


@bp.post("/quizzes/<int:quiz_id>/attempts")
@authenticated
def start(quiz_id: int) -> Any:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        return error(404, "找不到该竞答", "not_found")
    moment = now()
    attempt, created = attempts.start_attempt(quiz, g.api_user, moment, grace())
    payload = attempt_payload.attempt_payload(attempt, moment)  # before the commit expires it
    db.session.commit()
    return jsonify(payload), 201 if created else 200


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != g.api_user.id:
        raise AttemptError(404, "not_found", "找不到这次作答")
    return attempt


@bp.get("/attempts/<int:attempt_id>")
@authenticated
def show(attempt_id: int) -> Any:
    moment = now()
    attempt = attempts.touch(_own_attempt(attempt_id), moment, grace())
    payload = attempt_payload.attempt_payload(attempt, moment)
    db.session.commit()
    return jsonify(payload)


@bp.put("/attempts/<int:attempt_id>/answers/<int:question_id>")
@authenticated
def save(attempt_id: int, question_id: int) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "answer" not in body or "seq" not in body:
        return error(422, '请求应为 {"answer": …, "seq": 序号}', "bad_request")
    if isinstance(body["seq"], int) and not -BIGINT_MAX <= body["seq"] <= BIGINT_MAX:
        return error(422, "保存序号超出范围", "bad_seq")
    moment = now()
    saved, applied = attempts.save_answer(
        attempt_id,
        g.api_user,
        question_id,
        body["answer"],
        body["seq"],
        moment,
        grace(),
        flagged=body.get("flagged") if isinstance(body.get("flagged"), bool) else None,
    )
    db.session.commit()
    return jsonify(
        {
            "question_id": question_id,
            "seq": saved.answer_seq,
            "applied": applied,
            "answer": saved.shown,
            "saved_at": moment.isoformat(),
        }
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@authenticated
def submit(attempt_id: int) -> Any:
    moment = now()
    body = request.get_json(silent=True)
    by_clock = isinstance(body, dict) and body.get("auto") is True  # the page's countdown ended
    attempt = attempts.submit(attempt_id, g.api_user, moment, grace(), by_clock=by_clock)
    payload = attempt_payload.attempt_payload(attempt, moment)
    db.session.commit()
    return jsonify(payload)


@bp.get("/openapi.json")
def openapi() -> Any:
    from quiz_app.api.openapi import document

    return jsonify(document())


from quiz_app.api import reports as _reports  # noqa: E402,F401  (一学一报 draft autosave)
from quiz_app.api import stats as _stats  # noqa: E402,F401  (registers the statistics routes on bp)
