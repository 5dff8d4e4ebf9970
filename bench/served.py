"""The app as production serves it, plus one bare endpoint for bench/load.py's ceiling.

``PUT /bench/bare-write`` {"k": int, "v": int} upserts one small row (table bench_bare_write,
made here) and commits: the cheapest write the same stack (gunicorn, Flask with every hook of
the app, SQLAlchemy's pool, the database) can do. The answer save is measured against it.
Never serve this module in production.

    QUIZ_DATABASE_URL=… gunicorn -c gunicorn.conf.py bench.served:app
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request

from quiz_app import create_app
from quiz_app.extensions import csrf, db

app = create_app()

with app.app_context():
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE IF NOT EXISTS bench_bare_write (k INTEGER PRIMARY KEY, v BIGINT)")
        )
    db.engine.dispose()  # each worker opens its own connections

UPSERT = sa.text(
    "INSERT INTO bench_bare_write (k, v) VALUES (:k, :v) "
    "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
)


@csrf.exempt
def bare_write() -> Any:
    body = request.get_json(silent=True) or {}
    db.session.execute(UPSERT, {"k": int(body.get("k", 0)), "v": int(body.get("v", 0))})
    db.session.commit()
    return jsonify({"ok": True})


app.add_url_rule("/bench/bare-write", view_func=bare_write, methods=["PUT"])
