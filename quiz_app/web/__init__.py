"""Pages: blueprints per audience, and what every page shares (sign-in, errors, headers, filters)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from quiz_app import clock
from quiz_app.extensions import db, login_manager
from quiz_app.models import User

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
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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
    return response


def _error_page(code: int, title: str, message: str) -> Callable[[Exception], Any]:
    def handler(_exc: Exception) -> Any:
        if request.path.startswith("/api/"):
            return {"error": message}, code
        return render_template("error.html", code=code, title=title, message=message), code

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


def init_app(app: Flask) -> None:
    """Register blueprints, sign-in, error pages, headers and template helpers."""
    from quiz_app.web import admin, auth, banks, campaigns, dashboard, home, practice, take

    if app.config["QUIZ_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["QUIZ_PROXY_COUNT"], x_proto=1
        )
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
    app.register_blueprint(dashboard.bp)

    from quiz_app import api

    app.register_blueprint(api.bp)

    from quiz_app.web import admission, ops

    admission.init_app(app)  # after the blueprints: wraps the sign-in endpoints' POST
    ops.init_app(app)  # /healthz, /readyz, one log line per request

    app.before_request(_force_password_change)
    app.after_request(_security_headers)
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
    app.register_error_handler(500, _error_page(500, "服务器出错", "服务器暂时出错，请稍后再试。"))

    app.jinja_env.filters["local"] = clock.format_local
    app.jinja_env.filters["duration"] = clock.format_duration
    app.jinja_env.filters["points"] = format_points

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from quiz_app.services import access

        return {"access": access, "org_name": app.config["QUIZ_ORG_NAME"]}
