"""What every page shares: Chinese, phone layout, own assets only, safe headers."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_home_greets_and_shows_the_empty_state(employee_client: FlaskClient) -> None:
    page = employee_client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert 'name="viewport" content="width=device-width' in page
    assert "目前没有面向您的学习活动或竞答" in page
    assert "人员与部门管理" not in page  # not an admin


def test_admin_sees_the_admin_entry(admin_client: FlaskClient) -> None:
    assert "人员与部门管理" in admin_client.get("/").get_data(as_text=True)


def test_pages_load_nothing_from_other_hosts(
    client: FlaskClient, admin_client: FlaskClient
) -> None:
    pages = [client.get("/login")] + [
        admin_client.get(p) for p in ("/", "/admin/users", "/admin/branches", "/admin/users/import")
    ]
    for response in pages:
        html = response.get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), response.request.path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_static_assets_are_served(client: FlaskClient) -> None:
    with client.get("/static/css/app.css") as css:
        assert css.status_code == 200 and b"--tap: 48px" in css.data


def test_errors_are_in_chinese(employee_client: FlaskClient) -> None:
    response = employee_client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_health_check(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
