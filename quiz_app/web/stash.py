"""Files held between two requests (an upload awaiting confirmation, a sheet to download once).

They live in the instance folder under a random token, belong to the person who made them,
and are removed when taken or when older than a day.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import current_app

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _folder(kind: str) -> Path:
    path = Path(current_app.instance_path) / "stash" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for item in folder.iterdir():
        if item.stat().st_mtime < cutoff:
            item.unlink(missing_ok=True)


def put(kind: str, data: bytes, owner_id: int, **meta: Any) -> str:
    """Keep ``data`` for ``owner_id``; returns the token that fetches it."""
    folder = _folder(kind)
    _sweep(folder)
    token = secrets.token_urlsafe(18)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"owner": owner_id, **meta}))
    return token


def get(
    kind: str, token: str, owner_id: int, *, remove: bool = False
) -> tuple[bytes, dict[str, Any]] | None:
    """The data and metadata behind a token, if it exists and belongs to ``owner_id``."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _folder(kind)
    data_path, meta_path = folder / f"{token}.bin", folder / f"{token}.json"
    if not (data_path.exists() and meta_path.exists()):
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("owner") != owner_id:
        return None
    data = data_path.read_bytes()
    if remove:
        data_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
    return data, meta
