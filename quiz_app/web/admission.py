"""Admission control for signing in: a short queue for the password hash, then a fast 503.

At 9:00 everyone signs in at once, and each sign-in spends a deliberately slow password hash.
Unbounded, the hashes take every core and the people already answering wait behind them; refused
at once, people wait out the page's back-off (bench/RESULTS.md: p95 42 s at 500 people with
nothing busy most of that time). So two limits:

- the **hash queue** (``hash_turn``): under gunicorn at most ``QUIZ_SIGNIN_MAX_IN_FLIGHT_NODE``
  sign-ins count and hash at once on the whole machine (a semaphore the master makes before
  forking, see gunicorn.conf.py), the others *wait* for a turn, in arrival order as far as the
  kernel wakes them, up to ``QUIZ_SIGNIN_QUEUE_SECONDS``. The turn covers the hash alone: the
  attempt is counted (and committed) before it, the outcome and the session row after it, so a
  turn is never spent waiting for the database; a turn not given in time raises ``Busy`` and
  the caller takes the count back, and a locked account is answered without a turn;
- the **door** (``Gate.admitted``, never waited on): at most ``QUIZ_SIGNIN_MAX_IN_FLIGHT``
  requests per process inside a sign-in (waiting or hashing), so waiting sign-ins never hold
  every thread a quiz needs; with ``QUIZ_REDIS_URL`` set, also at most
  ``QUIZ_SIGNIN_MAX_IN_FLIGHT_TOTAL`` across every process and node (a Redis sorted set of
  holders, so a crashed worker's slot expires instead of leaking).

Beyond either: 503, ``Retry-After`` and a Chinese message, in microseconds; the sign-in page
(static/js/signin.js) retries by itself with backoff and jitter. The views themselves are
untouched: ``init_app`` wraps the POST of the endpoints named in ``GUARDED``, and
web/auth.check_credentials takes the turn. Redis unreachable means the shared limit is skipped
(logged), never that nobody can sign in.
"""

from __future__ import annotations

import functools
import logging
import random
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request

log = logging.getLogger(__name__)

GUARDED = ("auth.login", "api.create_token")
BUSY_MESSAGE = "登录的人较多，系统正在排队处理，请{seconds}秒后再试（页面会自动重试）"
HOLD_SECONDS = 30  # a Redis slot left by a crashed worker expires after this long

# KEYS[1] the set; ARGV: limit, hold seconds, holder id. Redis's own clock, so nodes' clocks
# never disagree about what expired.
_ACQUIRE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], t, ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
REDIS_KEY = "quiz:signin:in_flight"

# Shared by every worker of one gunicorn master (made before the fork by share_between_workers).
_node_slots: Any = None


def share_between_workers(limit: int) -> None:
    """Called in the gunicorn master before it forks: one machine-wide limit for all workers."""
    global _node_slots
    if limit > 0:
        import multiprocessing

        _node_slots = multiprocessing.get_context("fork").BoundedSemaphore(limit)


class Busy(Exception):
    """No turn in the sign-in queue in time: answered with 503 and Retry-After."""


class Gate:
    """The door (per-process semaphore, optional shared counter) and the hash queue of one app."""

    def __init__(
        self,
        limit: int,
        shared_limit: int = 0,
        redis_url: str = "",
        queue_seconds: float = 10.0,
    ) -> None:
        self.limit = limit  # below 0: no per-process limit; 0 refuses everyone (tests)
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None
        self._node = _node_slots
        self.queue_seconds = queue_seconds
        self.shared_limit = shared_limit
        self._redis: Any = None
        if redis_url and shared_limit > 0:
            import redis  # the optional `redis` extra

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.2)
            self._acquire_script = self._redis.register_script(_ACQUIRE)

    def _shared_acquire(self, holder: str) -> bool:
        try:
            return bool(
                self._acquire_script(
                    keys=[REDIS_KEY], args=[self.shared_limit, HOLD_SECONDS, holder]
                )
            )
        except Exception:  # Redis down: fall back to the per-process limit alone
            log.warning("admission: Redis unreachable, shared sign-in limit skipped", exc_info=True)
            return True

    def _shared_release(self, holder: str) -> None:
        try:
            self._redis.zrem(REDIS_KEY, holder)
        except Exception:
            log.warning("admission: could not release a Redis slot (expires by itself)")

    @contextmanager
    def admitted(self) -> Iterator[bool]:
        """True inside when the door let this request in (held until the block ends)."""
        if self.limit == 0 or (self._slots is not None and not self._slots.acquire(blocking=False)):
            yield False
            return
        holder = None
        try:
            if self._redis is not None:
                holder = secrets.token_hex(8)
                if not self._shared_acquire(holder):
                    holder = None
                    yield False
                    return
            yield True
        finally:
            if holder is not None:
                self._shared_release(holder)
            if self._slots is not None:
                self._slots.release()

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Wait up to ``queue_seconds`` for one of the machine's hashing turns; True inside when
        given. Without a machine-wide semaphore (not under gunicorn) the door is the only limit."""
        if self._node is None:
            yield True
            return
        got = self._node.acquire(True, self.queue_seconds)
        try:
            yield got
        finally:
            if got:
                self._node.release()


@contextmanager
def hash_turn() -> Iterator[None]:
    """Count-and-hash of one sign-in, in its turn; raises ``Busy`` when none came in time."""
    gate: Gate | None = current_app.extensions.get("quiz_admission")
    if gate is None:
        yield
        return
    with gate.turn() as ok:
        if not ok:
            raise Busy
        yield


def retry_after() -> int:
    """Seconds a refused caller is told to wait: short, spread so retries do not arrive together."""
    return random.randint(1, 3)


def busy_response() -> Any:
    seconds = retry_after()
    message = BUSY_MESSAGE.format(seconds=seconds)
    if request.path.startswith("/api/"):
        response = jsonify({"error": message, "code": "busy", "retry_after": seconds})
    else:
        response = current_app.make_response(
            render_template("error.html", code=503, title="请稍候", message=message)
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def guard(view: Callable[..., Any], gate: Gate) -> Callable[..., Any]:
    """``view`` with its POSTs admitted through ``gate``; other methods pass straight through."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return view(*args, **kwargs)
        with gate.admitted() as ok:
            if not ok:
                return busy_response()
            return view(*args, **kwargs)

    return wrapped


def init_app(app: Flask) -> None:
    """Wrap the sign-in endpoints (call after the blueprints are registered)."""
    cfg = app.config
    gate = Gate(
        cfg["QUIZ_SIGNIN_MAX_IN_FLIGHT"],
        cfg.get("QUIZ_SIGNIN_MAX_IN_FLIGHT_TOTAL", 0),
        cfg.get("QUIZ_REDIS_URL", ""),
        cfg.get("QUIZ_SIGNIN_QUEUE_SECONDS", 10.0),
    )
    app.extensions["quiz_admission"] = gate
    app.register_error_handler(Busy, lambda _exc: busy_response())
    for endpoint in GUARDED:
        app.view_functions[endpoint] = guard(app.view_functions[endpoint], gate)
