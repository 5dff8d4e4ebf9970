"""Signing in and out, and changing the password (forced after an initial or reset password)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from quiz_app.extensions import db
from quiz_app.services.accounts import ThrottlePolicy, password_problem, set_password, sign_in
from quiz_app.web.forms import ChangePasswordForm, ConfirmForm, LoginForm

bp = Blueprint("auth", __name__)


def throttle_policy() -> ThrottlePolicy:
    cfg = current_app.config
    return ThrottlePolicy(
        max_failures_user=cfg["QUIZ_LOGIN_MAX_FAILURES_USER"],
        max_failures_addr=cfg["QUIZ_LOGIN_MAX_FAILURES_ADDR"],
        window=timedelta(minutes=cfg["QUIZ_LOGIN_WINDOW_MINUTES"]),
    )


def safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not bounce people to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target.rstrip("?")
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        result = sign_in(
            form.username.data or "",
            form.password.data or "",
            request.remote_addr or "?",
            throttle_policy(),
        )
        if result.user is not None:
            db.session.commit()
            login_user(result.user)
            if result.user.must_change_password:
                flash("这是初始密码，请先设置您自己的新密码。", "info")
                return redirect(url_for("auth.change_password", next=form.next.data))
            return redirect(safe_next(form.next.data))
        db.session.commit()  # the failure count must persist
        flash(result.error or "登录失败", "error")
        status = 429 if result.throttled else 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Any:
    ConfirmForm().validate_on_submit()  # CSRF check; signing out is harmless either way
    logout_user()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = current_user._get_current_object()
        new = form.new.data or ""
        if not check_password_hash(user.password_hash, form.current.data or ""):
            form.current.errors = [*form.current.errors, "当前密码不正确"]
        elif new == form.current.data:
            form.new.errors = [*form.new.errors, "新密码不能与当前密码相同"]
        elif problem := password_problem(new, user):
            form.new.errors = [*form.new.errors, problem]
        else:
            set_password(user, new, must_change=False)
            db.session.commit()
            flash("密码已修改", "success")
            return redirect(safe_next(form.next.data))
    return render_template("auth/change_password.html", form=form)
