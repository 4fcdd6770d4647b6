"""Log in and out of the dashboard.

The login form is protected against cross-site posting by a double-submit token: a random
value set as a cookie and repeated in the form, which a page on another site cannot read.
Failed logins also count against the client address's rate limit.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from defectradar.accounts import Account, account_for_password
from defectradar.api.common import read
from defectradar.api.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, AuthError, identify, limit_rate, requirement
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme), so login cannot redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, next_: str, failed: bool = False, status_code: int = 200):
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"login_csrf": token, "next": _safe_next(next_), "failed": failed},
                      status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    account, _ = identify(request)
    if account is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, name: str = Form(..., max_length=64), password: str = Form(..., max_length=256),
          csrf_token: str = Form(""), next: str = Form("/")):
    limit_rate(request, None)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise AuthError(403, "csrf_failed", "the login form expired; reload the page and try again")
    account = read(request, account_for_password, name, password, cache=False)
    if account is None:
        return _login_page(request, next, failed=True, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, request.app.state.sessions.issue(account), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=int(request.app.state.settings.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, _: Account = Depends(requirement("viewer"))):
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
