"""/api/v1 — JSON for the quiz page, a WeChat mini-program or an OA system; same services as pages.

Browsers authenticate with the session cookie and send the CSRF token in X-CSRFToken; other
clients use a bearer token from POST /api/v1/tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from quiz_app.clock import now
from quiz_app.extensions import csrf, db
from quiz_app.models import ApiToken, Attempt, Quiz, User
from quiz_app.services import attempts, campaigns
from quiz_app.services.accounts import sign_in
from quiz_app.services.attempts import AttemptError
from quiz_app.services.branches import full_name

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked below for cookie sessions only: a bearer token is not sent by browsers
TOKEN_LIFETIME = timedelta(days=30)
F = TypeVar("F", bound=Callable[..., Any])


def error(status: int, message: str, code: str = "error") -> Any:
    return jsonify({"error": message, "code": code}), status


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The token's account, if the token is known, unexpired and the account active: one statement,
# built once (on a save, building it cost more CPU than running it).
_BEARER_USER = (
    sa.select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == sa.bindparam("token_hash"),
        ApiToken.expires_at > sa.bindparam("now", type_=ApiToken.__table__.c.expires_at.type),
        User.active,
    )
)


def _bearer_user() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return db.session.scalar(
        _BEARER_USER, {"token_hash": _token_hash(header[7:].strip()), "now": now()}
    )


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


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    messages = {400: "请求格式不正确", 404: "找不到该资源", 405: "不支持该请求方法"}
    if exc.code == 400 and "CSRF" in (exc.description or ""):
        return error(400, "页面已过期，请刷新后重试", "csrf")
    return error(exc.code or 500, messages.get(exc.code or 500, exc.description or "请求失败"))


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


@bp.post("/tokens")
def create_token() -> Any:
    body = request.get_json(silent=True) or {}
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return error(422, "请提供 username 和 password", "bad_request")
    from quiz_app.web.auth import throttle_policy

    result = sign_in(username, password, request.remote_addr or "?", throttle_policy())
    if result.user is None:
        db.session.commit()
        return error(
            429 if result.throttled else 401,
            result.error or "登录失败",
            "throttled" if result.throttled else "bad_credentials",
        )
    token = secrets.token_urlsafe(32)
    expires = now() + TOKEN_LIFETIME
    db.session.add(
        ApiToken(token_hash=_token_hash(token), user_id=result.user.id, expires_at=expires)
    )
    db.session.commit()
    return jsonify(
        {"token": token, "expires_at": expires.isoformat(), "user": _user_json(result.user)}
    ), 201


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
    db.session.commit()
    return jsonify(attempts.attempt_payload(attempt, moment)), 201 if created else 200


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
    db.session.commit()
    return jsonify(attempts.attempt_payload(attempt, moment))


@bp.put("/attempts/<int:attempt_id>/answers/<int:question_id>")
@authenticated
def save(attempt_id: int, question_id: int) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "answer" not in body or "seq" not in body:
        return error(422, '请求应为 {"answer": …, "seq": 序号}', "bad_request")
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
    attempt = attempts.submit(attempt_id, g.api_user, moment, grace())
    db.session.commit()
    return jsonify(attempts.attempt_payload(attempt, moment))


@bp.get("/openapi.json")
def openapi() -> Any:
    from quiz_app.api.openapi import document

    return jsonify(document())


from quiz_app.api import stats as _stats  # noqa: E402,F401  (registers the statistics routes on bp)
