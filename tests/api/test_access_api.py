"""Who may call what, over every operation in the schema: no key 401, a viewer 403 on writes."""

from __future__ import annotations

import re

import pytest

from defectradar.api.app import API_PREFIX

WRITES = {("post", "/api/v1/reports/{report_id}/labels"), ("post", "/api/v1/alerts/{alert_id}/transitions"),
          ("post", "/api/v1/ingest")}
OPEN = {("get", "/api/v1/health"), ("get", "/health")}


def _operations(app) -> list[tuple[str, str]]:
    spec = app.openapi()
    return [(method, path) for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")]


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "abcd1234", path)


def test_every_operation_is_listed_under_the_prefix(empty_site):
    operations = _operations(empty_site.app)
    assert all(path.startswith(API_PREFIX) or path == "/health" for _, path in operations)
    assert WRITES <= set(operations)
    posts = {op for op in operations if op[0] != "get"}
    assert posts - WRITES == {("post", "/api/v1/remedies/check")}    # a computation: viewers may run it


def test_no_key_is_401_everywhere_but_health(empty_site):
    client = empty_site.api(None)
    for method, path in _operations(empty_site.app):
        if (method, path) in OPEN:
            continue
        response = client.request(method.upper(), _url(path))
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "unauthenticated"
    assert client.get("/docs").status_code == 401


@pytest.mark.parametrize("method,path", sorted(WRITES))
def test_viewer_is_refused_every_write(empty_site, method, path):
    response = empty_site.api("viewer").request(method.upper(), _url(path), json={})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_analyst_gets_past_the_role_check_on_every_write(empty_site):
    """Not 401/403: the analyst reaches the route (which then judges the input)."""
    client = empty_site.api("analyst")
    for method, path in sorted(WRITES):
        response = client.request(method.upper(), _url(path), json={"action": "acknowledge",
                                                                     "failure_modes": ["wifi"]})
        assert response.status_code not in (401, 403), (path, response.text)
        assert response.status_code < 500
