"""学习竞答平台 — the app factory: config → extensions → blueprints → CLI, nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides what the environment says (tests pass theirs here)."""
    instance = os.environ.get("QUIZ_INSTANCE_PATH")
    app = Flask(__name__, instance_path=str(Path(instance).resolve()) if instance else None)

    from quiz_app.config import load_config

    app.config.update(load_config(Path(app.instance_path), config))

    from quiz_app import extensions, web
    from quiz_app.db_setup import init_database

    init_database(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).resolve().parent.parent / "migrations")
    )
    extensions.csrf.init_app(app)
    web.init_app(app)

    from quiz_app.cli import register_commands

    register_commands(app)
    return app
