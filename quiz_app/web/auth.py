"""Signing in and out, changing the password (forced after an initial or reset password), and
the list of one's own signed-in devices and tokens.

Every sign-in is a row in services.sessions; the signed cookie only carries its random key, so
signing out, a password change or an admin ends it on the server, on every app node.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from quiz_app.extensions import db
from quiz_app.models import SessionKind, SignInSession, User
from quiz_app.services import audit, sessions
from quiz_app.services.accounts import (
    SignInResult,
    ThrottlePolicy,
    begin_sign_in,
    check_password,
    finish_sign_in,
    password_problem,
    set_password,
    uncount_sign_in,
    verify_password,
)
from quiz_app.web import admission
from quiz_app.web.forms import ChangePasswordForm, ConfirmForm, LoginForm

bp = Blueprint("auth", __name__)
SESSION_KEY = "sk"


def throttle_policy() -> ThrottlePolicy:
    cfg = current_app.config
    return ThrottlePolicy(
        max_failures_user=cfg["QUIZ_LOGIN_MAX_FAILURES_USER"],
        max_failures_addr=cfg["QUIZ_LOGIN_MAX_FAILURES_ADDR"],
        window=timedelta(minutes=cfg["QUIZ_LOGIN_WINDOW_MINUTES"]),
    )


def lifetimes() -> sessions.Lifetimes:
    cfg = current_app.config
    return sessions.Lifetimes(
        web_idle=timedelta(hours=cfg["QUIZ_SESSION_IDLE_HOURS"]),
        remember=timedelta(days=cfg["QUIZ_REMEMBER_DAYS"]),
        api=timedelta(days=cfg["QUIZ_TOKEN_DAYS"]),
    )


def check_credentials(username: str, password: str) -> SignInResult:
    """Sign-in for pages and the token endpoint alike.

    The attempt is counted and committed first, so concurrent guesses each see it; only the
    password hash waits for a turn in the machine's sign-in queue (web/admission.py), so the
    queue is never held by a database write (on SQLite, one waiting behind every answer save).
    A turn not given in time takes the count back and raises ``admission.Busy`` (503). A
    failure is committed here; a success is left in the session for the caller to commit with
    the new session or token, in one transaction."""
    policy = throttle_policy()
    address = request.remote_addr or "?"
    ticket = begin_sign_in(username, address, policy)
    db.session.commit()
    checked: tuple[bool, bool] | None = None
    if ticket.refused is None:  # a locked account needs no hash, so no turn either
        try:
            with admission.hash_turn():
                checked = check_password(ticket, password)
        except admission.Busy:
            uncount_sign_in(ticket)
            db.session.commit()
            raise
    result = finish_sign_in(ticket, password, policy, checked)
    if result.user is None:
        audit.record(
            None,
            "sign_in.locked" if result.throttled else "sign_in.failed",
            f"登录失败：{ticket.username[:50]}" + ("（已锁定）" if result.throttled else ""),
            object_type="account",
            object_id=ticket.user_id,
            address=address,
        )
        db.session.commit()
    return result


def current_key() -> str | None:
    key = session.get(SESSION_KEY)
    return key if isinstance(key, str) else None


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's loader: the account only while its server-side session is live."""
    key = current_key()
    if key is None or not user_id.isascii() or not user_id.isdigit():
        return None
    user = sessions.resolve(
        key, (SessionKind.WEB, SessionKind.REMEMBER), lifetimes(), commit_touch=True
    )
    if user is None or str(user.id) != user_id:
        return None
    return user


def safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not bounce people to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target.rstrip("?")
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:  # also how the sign-in script lands after signing in
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        result = check_credentials(form.username.data or "", form.password.data or "")
        if result.user is not None:
            kind = SessionKind.REMEMBER if form.remember.data else SessionKind.WEB
            key, _row = sessions.open_session(
                result.user,
                kind,
                lifetimes(),
                label=sessions.device_label(request.user_agent.string),
                address=request.remote_addr or "",
            )
            db.session.commit()
            session[SESSION_KEY] = key
            session.permanent = kind == SessionKind.REMEMBER
            login_user(result.user)
            if result.user.must_change_password:
                flash("这是初始密码，请先设置您自己的新密码。", "info")
                return redirect(url_for("auth.change_password", next=form.next.data))
            return redirect(safe_next(form.next.data))
        flash(result.error or "登录失败", "error")
        form.password.data = ""
        status = 429 if result.throttled else 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Any:
    ConfirmForm().validate_on_submit()  # CSRF check; signing out is harmless either way
    key = current_key()
    if key:
        sessions.revoke_key(key, "logout")
        db.session.commit()
    logout_user()
    session.pop(SESSION_KEY, None)
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = current_user._get_current_object()
        new = form.new.data or ""
        if not verify_password(user.password_hash, form.current.data or "")[0]:
            form.current.errors = [*form.current.errors, "当前密码不正确"]
        elif new == form.current.data:
            form.new.errors = [*form.new.errors, "新密码不能与当前密码相同"]
        elif problem := password_problem(new, user):
            form.new.errors = [*form.new.errors, problem]
        else:
            set_password(user, new, must_change=False)
            ended = sessions.revoke_all(user, "password_change", keep_key=current_key())
            audit.record(
                user,
                "password.changed",
                f"{user.real_name}修改了自己的密码，结束了其他 {ended} 个登录和令牌",
                object_type="account",
                object_id=user.id,
            )
            db.session.commit()
            flash(
                f"密码已修改，已退出其他 {ended} 个设备上的登录和令牌" if ended else "密码已修改",
                "success",
            )
            return redirect(safe_next(form.next.data))
    # A mismatch or a rule keeps the current password typed; only the new ones are cleared.
    form.new.data = form.confirm.data = ""
    return render_template("auth/change_password.html", form=form)


@bp.get("/account/sessions")
@login_required
def my_sessions() -> Any:
    rows = sessions.live_sessions(current_user)
    return render_template(
        "auth/sessions.html",
        rows=rows,
        current=current_key(),
        is_current=sessions.is_current,
        form=ConfirmForm(),
    )


@bp.post("/account/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = db.get_or_404(SignInSession, session_id)
    if row.user_id != current_user.id:
        abort(404)
    sessions.revoke(row, "owner")
    audit.record(
        current_user,
        "session.revoked",
        f"结束了一个{row.kind_enum.label}（{row.label or '未知设备'}）",
        object_type="account",
        object_id=current_user.id,
    )
    db.session.commit()
    if sessions.is_current(row, current_key()):
        logout_user()
        session.clear()
        flash("已退出本设备的登录", "info")
        return redirect(url_for("auth.login"))
    flash("已结束该设备的登录", "success")
    return redirect(url_for("auth.my_sessions"))


@bp.post("/account/sessions/revoke-others")
@login_required
def revoke_other_sessions() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = sessions.revoke_all(current_user, "owner", keep_key=current_key())
    audit.record(
        current_user,
        "session.revoked",
        f"结束了其他全部 {ended} 个登录和令牌",
        object_type="account",
        object_id=current_user.id,
    )
    db.session.commit()
    flash(f"已结束其他 {ended} 个登录和令牌", "success")
    return redirect(url_for("auth.my_sessions"))
