"""Rendering pages: the templates, what every page is given, and the error page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from defectradar.core.numbers import json_ready
from defectradar.web.i18n import language, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def spec_json(spec: Any) -> Markup:
    """A chart spec as JSON safe inside ``<script type="application/json">`` (no ``</script>`` break-out)."""
    text = json.dumps(json_ready(spec), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def plain(value: Any) -> str:
    """A parameter value for people: lists joined with commas, None as a dash (escaped by Jinja)."""
    if value is None:
        return "-"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(plain(v) for v in value) or "-"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
    return str(value)


TEMPLATES.env.filters["spec_json"] = spec_json
TEMPLATES.env.filters["plain"] = plain


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200):
    """Render ``template`` with the language, its words, the account and the CSRF token."""
    lang = language(request)
    account = getattr(request.state, "account", None)
    session = getattr(request.state, "session", None)
    csrf = request.app.state.sessions.csrf_token(session) if session else ""
    base = {"request": request, "lang": lang, "t": translator(lang), "account": account, "csrf_token": csrf,
            "path": request.url.path}
    response = TEMPLATES.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)
    if request.query_params.get("lang") in ("en", "zh"):
        response.set_cookie("dr_lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def render_error(request: Request, status: int, message: str):
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)
