"""Configuration read from the environment (QUIZ_*), with safe development defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

MIN_SECRET_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """The environment cannot run the app as configured (message says what to set)."""


def _secret_key(instance_path: Path, production: bool) -> str:
    """QUIZ_SECRET_KEY, or in development one generated once and kept in the instance folder."""
    key = os.environ.get("QUIZ_SECRET_KEY")
    if production and len((key or "").encode()) < MIN_SECRET_KEY_BYTES:
        # Sessions and CSRF tokens are signed with it: a short key can be guessed offline
        # from one cookie.
        raise ConfigError(
            f"生产环境必须设置 QUIZ_SECRET_KEY，且不少于{MIN_SECRET_KEY_BYTES}字节"
            f"（当前{len((key or '').encode())}字节）；可用 "
            "python -c 'import secrets;print(secrets.token_hex(32))' 生成"
        )
    if key:
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ConfigError(f"环境变量 {name} 应为整数，当前为“{value}”") from exc


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config dict from the environment, then apply ``overrides`` (tests)."""
    overrides = overrides or {}
    production = os.environ.get("QUIZ_ENV", "development") == "production"
    default_db = f"sqlite:///{instance_path / 'quiz.db'}"
    config: dict[str, Any] = {
        "QUIZ_ENV": "production" if production else "development",
        "SQLALCHEMY_DATABASE_URI": os.environ.get("QUIZ_DATABASE_URL", default_db),
        # No pre-ping: it costs a round trip on every checkout (a save is ~4). A connection the
        # database dropped fails one request, after which the pool is refreshed; recycle keeps
        # connections younger than a firewall's idle timeout. QUIZ_DB_PRE_PING=1 restores it.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": os.environ.get("QUIZ_DB_PRE_PING", "0") == "1",
            "pool_recycle": 1800,
        },
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "MAX_CONTENT_LENGTH": _int("QUIZ_MAX_UPLOAD_MB", 10) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # the session bounds it; a long quiz must not expire its form
        # Sign-in throttling: failures allowed in the window per account and per address.
        "QUIZ_LOGIN_MAX_FAILURES_USER": _int("QUIZ_LOGIN_MAX_FAILURES_USER", 5),
        "QUIZ_LOGIN_MAX_FAILURES_ADDR": _int("QUIZ_LOGIN_MAX_FAILURES_ADDR", 30),
        "QUIZ_LOGIN_WINDOW_MINUTES": _int("QUIZ_LOGIN_WINDOW_MINUTES", 15),
        # Saves are accepted this long after an attempt's deadline (the network's share of time).
        "QUIZ_SAVE_GRACE_SECONDS": _int("QUIZ_SAVE_GRACE_SECONDS", 10),
        "QUIZ_PROXY_COUNT": _int("QUIZ_PROXY_COUNT", 0),
        # Sessions (services.sessions): a browser sign-in ends after this many idle hours;
        # "记住我" keeps a personal phone signed in this many days from its last use; API tokens
        # live this many days (phones that sign in daily need no more).
        "QUIZ_SESSION_IDLE_HOURS": _int("QUIZ_SESSION_IDLE_HOURS", 12),
        "QUIZ_REMEMBER_DAYS": _int("QUIZ_REMEMBER_DAYS", 30),
        "QUIZ_TOKEN_DAYS": _int("QUIZ_TOKEN_DAYS", 7),
        # Online study: heartbeat every N seconds; the server credits at most N + slack per beat.
        "QUIZ_STUDY_HEARTBEAT_SECONDS": _int("QUIZ_STUDY_HEARTBEAT_SECONDS", 30),
        "QUIZ_STUDY_SLACK_SECONDS": _int("QUIZ_STUDY_SLACK_SECONDS", 10),
        "QUIZ_STUDY_IDLE_SECONDS": _int("QUIZ_STUDY_IDLE_SECONDS", 60),
        "QUIZ_STUDY_DEFAULT_CAP_MINUTES": _int("QUIZ_STUDY_DEFAULT_CAP_MINUTES", 60),
        "QUIZ_STUDY_IMAGE_MAX_MB": _int("QUIZ_STUDY_IMAGE_MAX_MB", 5),
        "QUIZ_STUDY_PDF_MAX_MB": _int("QUIZ_STUDY_PDF_MAX_MB", 20),
        "QUIZ_STUDY_PDF_MAX_PAGES": _int("QUIZ_STUDY_PDF_MAX_PAGES", 80),
        "QUIZ_STUDY_VIDEO_MAX_MB": _int("QUIZ_STUDY_VIDEO_MAX_MB", 300),
        # Meeting check-in by QR is accepted this long before the start and after the end.
        "QUIZ_CHECKIN_MARGIN_MINUTES": _int("QUIZ_CHECKIN_MARGIN_MINUTES", 30),
        "QUIZ_ORG_NAME": os.environ.get("QUIZ_ORG_NAME", "学习竞答平台"),
        # Requests inside a sign-in (waiting for a hashing turn or hashing) at once per process;
        # more get a fast 503, so waiting sign-ins never hold every thread (web/admission.py).
        # Default: all threads but one. A waiting sign-in costs no CPU, and every one refused
        # instead backs off for seconds: 500 people in 30 s, sign-in p95 2.7-3.1 s with 2 of 4
        # threads, 1.7-1.9 s with 3, the quiz as fast (bench/RESULTS.md §2g).
        "QUIZ_SIGNIN_MAX_IN_FLIGHT": _int(
            "QUIZ_SIGNIN_MAX_IN_FLIGHT", max(1, _int("QUIZ_THREADS", 4) - 1)
        ),
        # How long a sign-in waits for a hashing turn on the machine before a 503.
        "QUIZ_SIGNIN_QUEUE_SECONDS": _int("QUIZ_SIGNIN_QUEUE_SECONDS", 10),
        # Optional: shares the sign-in admission counter between app nodes (pip install .[redis]).
        "QUIZ_SIGNIN_MAX_IN_FLIGHT_TOTAL": _int("QUIZ_SIGNIN_MAX_IN_FLIGHT_TOTAL", 0),
        "QUIZ_REDIS_URL": os.environ.get("QUIZ_REDIS_URL", ""),
    }
    if "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = _secret_key(instance_path, production)
    config.update(overrides)
    # The cookie of a "记住我" session outlives the browser; others are browser-session cookies.
    config.setdefault(
        "PERMANENT_SESSION_LIFETIME", timedelta(days=int(config["QUIZ_REMEMBER_DAYS"]))
    )
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # Plan every statement with its real values: psycopg otherwise prepares a statement on
        # its fifth run, and PostgreSQL's generic plan guesses "path LIKE $1" matches one branch
        # and loops over 20,000 people (the statistics page went from 18 to 41 ms). Also what a
        # pgbouncer in transaction mode needs.
        options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    return config
