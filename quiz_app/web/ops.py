"""What a load balancer and an operator need: /healthz, /readyz, and one log line per request.

- ``/healthz``: the process answers (no database), for "restart it if this fails".
- ``/readyz``: the database answers and its schema is at the migrations' head, for "send it
  traffic only if this passes" (a node started before ``quiz-app init`` ran stays out).
- Every request logs one line on the ``quiz_app.access`` logger: request id (the caller's
  X-Request-ID if it looks like one, else a new one; echoed in the response), user id, method,
  route (the URL rule, so no query string and no ids), status and duration. Never a header,
  body, cookie or token.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, g, jsonify, request, session

from quiz_app.extensions import db

bp = Blueprint("ops", __name__)
access_log = logging.getLogger("quiz_app.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


def _heads() -> set[str]:
    cached = current_app.extensions.get("quiz_migration_heads")
    if cached is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", current_app.extensions["migrate"].directory)
        cached = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["quiz_migration_heads"] = cached
    return cached


@bp.get("/readyz")
def readyz() -> Any:
    try:
        with db.engine.connect() as conn:
            current = set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except Exception:
        current_app.logger.warning("readyz: database unreachable", exc_info=True)
        return jsonify({"status": "not_ready", "reason": "数据库无法连接"}), 503
    heads = _heads()
    if current != heads:
        return jsonify(
            {
                "status": "not_ready",
                "reason": "数据库结构不是最新版本，请运行 quiz-app init",
                "database": sorted(current),
                "code": sorted(heads),
            }
        ), 503
    return jsonify({"status": "ready", "revision": sorted(current)})


def _begin() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _user_id() -> str:
    # set by the API's authentication; else the session cookie says who signed in. Neither
    # reads the database (an ORM object would reload itself after the commit).
    return str(g.get("api_user_id") or session.get("_user_id") or "-")


def _finish(response: Any) -> Any:
    started = g.get("request_started")
    if started is None:  # a request that failed before before_request ran
        return response
    response.headers["X-Request-ID"] = g.request_id
    access_log.info(
        "request_id=%s user=%s method=%s route=%s status=%s ms=%.1f",
        g.request_id,
        _user_id(),
        request.method,
        request.url_rule.rule if request.url_rule is not None else "(no route)",
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response


def init_app(app: Flask) -> None:
    """Register the probes and the per-request log line."""
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)  # before any other hook
    app.after_request(_finish)
