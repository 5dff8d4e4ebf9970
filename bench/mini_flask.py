"""The floor of the stack: a bare Flask app (none of quiz_app's hooks) with the same upsert as
bench/served.py and an endpoint that does nothing, served by the same gunicorn.conf.py.

Run against the database bench/served.py created its table in, then drive it with
bench/closed_loop.py; bench/RESULTS.md compares the three (§2f):

    QUIZ_DATABASE_URL=… QUIZ_BIND=127.0.0.1:8721 gunicorn -c gunicorn.conf.py bench.mini_flask:app
    python bench/closed_loop.py http://127.0.0.1:8721 /bench/nothing
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request

engine = sa.create_engine(os.environ["QUIZ_DATABASE_URL"], connect_args={"prepare_threshold": None})
app = Flask(__name__)
UPSERT = sa.text(
    "INSERT INTO bench_bare_write (k, v) VALUES (:k, :v) "
    "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
)


@app.put("/bench/bare-write")
def bare() -> Any:
    body = request.get_json()
    with engine.begin() as conn:
        conn.execute(UPSERT, {"k": int(body["k"]), "v": int(body["v"])})
    return jsonify({"ok": True})


@app.put("/bench/nothing")
def nothing() -> Any:
    return jsonify({"ok": True})
