"""/api/v1 statistics endpoints (being built)."""

from __future__ import annotations

from typing import Any


def openapi_paths() -> dict[str, Any]:
    """The statistics paths of the OpenAPI document."""
    return {}
