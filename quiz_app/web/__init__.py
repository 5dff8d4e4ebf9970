"""Pages: blueprints per audience, and what every page shares (sign-in, errors, headers, filters)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from quiz_app import clock
from quiz_app.extensions import db, login_manager
from quiz_app.models import User
from quiz_app.services import textcheck

F = TypeVar("F", bound=Callable[..., Any])

# Only our own host: the intranet has no CDN, and a page must not call out even by mistake.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'"
)


def role_required(check: Callable[[User], bool]) -> Callable[[F], F]:
    """Refuse (403) a signed-in person for whom ``check(user)`` is false."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def get_child_or_404(model: type[Any], ident: int, **parent: int) -> Any:
    """``model`` row ``ident`` that belongs to the given parent (e.g. bank_id=3), else 404:
    an id from another campaign or bank in the URL must not reach someone else's object."""
    obj = db.get_or_404(model, ident)
    if any(getattr(obj, attr) != value for attr, value in parent.items()):
        abort(404)
    return obj


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(data: bytes, filename: str, ascii_name: str = "download.xlsx") -> Any:
    """An .xlsx attachment with its Chinese name (RFC 5987) and a plain fallback for old clients."""
    import io
    from urllib.parse import quote

    from flask import send_file

    response = send_file(
        io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=ascii_name
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    from quiz_app.web.auth import load_session_user

    return load_session_user(user_id)


# Pages a person who must change the password can still reach.
_OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static"}


def _force_password_change() -> Any:
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _OPEN_WHILE_CHANGING
        and not (request.endpoint or "").startswith("api.")
    ):
        return redirect(url_for("auth.change_password", next=request.full_path))
    return None


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    # Nothing personal in a shared phone's or a proxy's cache: every API answer (a token, an
    # attempt) and every page of a signed-in person. Static files and the sign-in page may cache.
    if request.path.startswith("/api/") or (
        request.endpoint != "static" and current_user.is_authenticated
    ):
        response.headers["Cache-Control"] = "no-store"
    if current_app.config.get("QUIZ_ENV") == "production":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _error_page(code: int, title: str, message: str) -> Callable[[Exception], Any]:
    def handler(exc: Exception) -> Any:
        if request.path.startswith("/api/"):  # the API's one error shape, for unknown URLs too
            from quiz_app.api import http_error

            return http_error(exc)
        # abort(403, description="…") gives a reason in Chinese; werkzeug's own English
        # default descriptions are replaced by ours.
        described = getattr(exc, "description", None)
        text = message
        if described and described != getattr(type(exc), "description", None):
            text = str(described)
        if code == 400 and "CSRF" in (described or ""):
            text = "页面已过期（安全令牌失效），请返回并刷新页面后重试。"
        return render_template("error.html", code=code, title=title, message=text), code

    return handler


def format_points(value: object) -> str:
    """Scores as people write them: "3", "1.5", never "1.00"."""
    if value is None or value == "":
        return ""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


def _printable(value: Any) -> Any:
    """Jinja's finalize: text stored before the edge checks (a lone surrogate in an answer) is
    shown with U+FFFD instead of making the page fail to encode, for good."""
    if isinstance(value, str) and not value.isascii() and textcheck.has_unprintable(value):
        return type(value)(textcheck.printable(value))
    return value


def init_app(app: Flask) -> None:
    """Register blueprints, sign-in, error pages, headers and template helpers."""
    from quiz_app.web import (
        admin,
        auth,
        banks,
        campaign_extras,
        campaign_quizzes,  # noqa: F401  (adds its routes to campaigns.bp before registering)
        campaign_sections,  # noqa: F401  (likewise)
        campaigns,
        dashboard,
        home,
        practice,
        results,
        study,
        take,
    )
    from quiz_app.web import surveys as surveys_web
    from quiz_app.web.me import bp as me_bp
    from quiz_app.web.points import bp as points_bp
    from quiz_app.web.reports import bp as reports_bp

    if app.config["QUIZ_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["QUIZ_PROXY_COUNT"], x_proto=1
        )
    from quiz_app.web import validation

    validation.install(app)  # the bounded <int:…> converter must exist before any route
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"

    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(banks.bp)
    app.register_blueprint(take.bp)
    app.register_blueprint(practice.bp)
    app.register_blueprint(campaigns.bp)
    app.register_blueprint(campaign_extras.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(study.bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(points_bp)
    app.register_blueprint(me_bp)
    app.register_blueprint(results.bp)
    from quiz_app.web.meeting_settings import bp as meeting_settings_bp
    from quiz_app.web.meetings import bp as meetings_bp

    app.register_blueprint(meetings_bp)
    app.register_blueprint(meeting_settings_bp)
    app.register_blueprint(surveys_web.bp)

    from quiz_app import api

    app.register_blueprint(api.bp)

    from quiz_app.web import admission, ops

    admission.init_app(app)  # after the blueprints: wraps the sign-in endpoints' POST
    ops.init_app(app)  # /healthz, /readyz, one log line per request

    app.before_request(_force_password_change)
    app.after_request(_security_headers)
    app.register_error_handler(
        400, _error_page(400, "请求有误", "提交的内容或网址中的参数不正确，请检查后重试。")
    )
    app.register_error_handler(403, _error_page(403, "无权访问", "您没有访问此页面的权限。"))
    app.register_error_handler(404, _error_page(404, "页面不存在", "您要找的页面不存在或已删除。"))
    app.register_error_handler(
        413,
        _error_page(
            413,
            "文件太大",
            f"上传的文件超过 {app.config['MAX_CONTENT_LENGTH'] // 1048576} MB 上限。",
        ),
    )
    app.register_error_handler(405, _error_page(405, "不支持该操作", "此页面不支持该请求方法。"))
    app.register_error_handler(500, _error_page(500, "服务器出错", "服务器暂时出错，请稍后再试。"))

    app.jinja_env.finalize = _printable
    app.jinja_env.filters["local"] = clock.format_local
    app.jinja_env.filters["duration"] = clock.format_duration
    app.jinja_env.filters["points"] = format_points
    app.jinja_env.filters["when"] = clock.format_when
    app.jinja_env.filters["day"] = clock.format_day
    app.jinja_env.filters["mmss"] = clock.format_clock

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from quiz_app.services import access

        return {"access": access, "org_name": app.config["QUIZ_ORG_NAME"]}
