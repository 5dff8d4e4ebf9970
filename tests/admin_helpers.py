"""Roster upload → preview → confirm, as an admin's browser does it (shared by admin tests)."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def upload_roster(client: FlaskClient, data: bytes, filename: str = "roster.xlsx") -> TestResponse:
    """Upload a roster: the answer is the preview (or the errors); nothing is written yet."""
    return client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def preview_token(page: str) -> str:
    found = re.search(r'name="token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="token" name="token" type="hidden" value="([^"]+)"', page
    )
    assert found is not None, "the preview has no 确认导入 form"
    return found.group(1)


def import_roster(client: FlaskClient, data: bytes, filename: str = "roster.xlsx") -> TestResponse:
    """Upload, then confirm the preview: the whole import as an admin does it."""
    preview = upload_roster(client, data, filename)
    page = preview.get_data(as_text=True)
    if "未导入任何数据" in page:
        return preview
    return client.post("/admin/users/import/confirm", data={"token": preview_token(page)})
