"""The server's guards: sessions, CSRF, role checks, rate and size limits, query timeouts, headers."""

from __future__ import annotations

import re
import time

import duckdb
from fastapi.testclient import TestClient
from tests.web_fixtures import login

from defectradar.api.app import create_app
from defectradar.api.security import SESSION_COOKIE


def test_login_sets_a_hardened_session_cookie(empty_site):
    client = TestClient(empty_site.app)
    response = login(client, "viewer", empty_site.accounts["viewer"].password)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()


def test_wrong_password_is_401_and_no_session(empty_site):
    client = TestClient(empty_site.app)
    response = login(client, "viewer", "not-it")
    assert response.status_code == 401 and SESSION_COOKIE not in client.cookies


def test_login_without_its_form_token_is_refused(empty_site):
    client = TestClient(empty_site.app)
    response = client.post("/login", data={"name": "viewer", "password": empty_site.accounts["viewer"].password,
                                           "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403


def test_login_never_redirects_off_site(empty_site):
    client = TestClient(empty_site.app)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post("/login", data={"name": "viewer", "password": empty_site.accounts["viewer"].password,
                                               "csrf_token": token, "next": target}, follow_redirects=False)
        assert response.headers["location"] == "/"
        client.cookies.clear()
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)


def test_a_tampered_session_cookie_is_no_session(empty_site):
    client = empty_site.browser("admin")
    cookie = client.cookies[SESSION_COOKIE]
    payload, signature = cookie.rsplit(".", 1)
    client.cookies.set(SESSION_COOKIE, payload + "." + "0" * len(signature))
    assert client.get("/api/v1/alerts").status_code == 401


def test_cookie_writes_need_the_csrf_token_bearer_writes_do_not(empty_site):
    browser = empty_site.browser("analyst")
    no_token = browser.post("/api/v1/alerts/abc/transitions", json={"action": "close"})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
    with_token = browser.post("/api/v1/alerts/abc/transitions", json={"action": "close"},
                              headers={"X-CSRF-Token": browser.csrf})
    assert with_token.status_code == 400 and "no alert" in with_token.json()["error"]["message"]
    bearer = empty_site.api("analyst").post("/api/v1/alerts/abc/transitions", json={"action": "close"})
    assert bearer.status_code == 400


def test_revoked_key_stops_within_the_cache_time(empty_site, monkeypatch):
    import defectradar.api.security as security
    from defectradar.accounts import revoke_user

    monkeypatch.setattr(security, "ACCOUNT_CACHE_SECONDS", 0.0)
    client = empty_site.api("viewer")
    assert client.get("/api/v1/alerts").status_code == 200
    revoke_user(empty_site.store, "viewer")
    assert client.get("/api/v1/alerts").status_code == 401


def test_rate_limit_answers_429_with_retry_after(empty_site):
    settings = empty_site.store.settings.replace(rate_limit=5)
    store = type(empty_site.store)(empty_site.store.path, settings)
    client = TestClient(create_app(store))
    client.headers["Authorization"] = f"Bearer {empty_site.accounts['viewer'].api_key}"
    codes = [client.get("/api/v1/alerts").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    limited = client.get("/api/v1/alerts")
    assert int(limited.headers["retry-after"]) >= 1 and limited.json()["error"]["code"] == "rate_limited"


def test_oversized_bodies_are_413_before_the_route(empty_site):
    settings = empty_site.store.settings.replace(max_body_bytes=100)
    store = type(empty_site.store)(empty_site.store.path, settings)
    client = TestClient(create_app(store))
    client.headers["Authorization"] = f"Bearer {empty_site.accounts['analyst'].api_key}"
    response = client.post("/api/v1/alerts/abc/transitions", json={"action": "close", "reason": "x" * 500})
    assert response.status_code == 413 and "DEFECTRADAR_MAX_BODY_BYTES" in response.json()["error"]["message"]

    def chunked():
        yield b'{"action": "close", "reason": "'
        yield b"x" * 500
        yield b'"}'

    streamed = client.post("/api/v1/alerts/abc/transitions", content=chunked(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_a_slow_query_is_stopped_with_advice(empty_site):
    """``read`` interrupts DuckDB after query_timeout and answers 503, not a hung worker."""
    from starlette.requests import Request

    from defectradar.api.common import read
    from defectradar.errors import QueryTimeoutError

    settings = empty_site.store.settings.replace(query_timeout=0.2)
    app = create_app(type(empty_site.store)(empty_site.store.path, settings))
    request = Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/"})

    def slow(con: duckdb.DuckDBPyConnection):
        return con.execute("SELECT count(*) FROM range(10000000000) a").fetchone()

    started = time.monotonic()
    try:
        read(request, slow)
    except QueryTimeoutError as exc:
        assert "DEFECTRADAR_QUERY_TIMEOUT" in str(exc) and exc.http_status == 503
    else:
        raise AssertionError("the query was not stopped")
    assert time.monotonic() - started < 10


def test_every_response_carries_the_security_headers(empty_site):
    response = empty_site.api(None).get("/health")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-frame-options"] == "DENY" and response.headers["x-content-type-options"] == "nosniff"


def test_pages_redirect_anonymous_visitors_to_login(empty_site):
    response = empty_site.api(None).get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
