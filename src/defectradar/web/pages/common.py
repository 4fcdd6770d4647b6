"""What the pages share: the date picker's day, charts that may have nothing to draw, the rule
book, catalog and classifier (loaded once per app), and htmx-or-redirect answers to forms."""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from fastapi import Request
from fastapi.responses import RedirectResponse

from defectradar.core.dates import as_date
from defectradar.errors import InputError


def day_or_none(value: str | None, name: str = "as_of") -> date | None:
    """A YYYY-MM-DD query value as a date (blank: None); a bad one is an InputError naming it."""
    if value is None or not value.strip():
        return None
    return as_date(value.strip(), name)


def blank_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def chart_or_none(build: Callable[..., Any], *args: Any, **kwargs: Any) -> dict | None:
    """The Vega-Lite spec of ``build(*args, **kwargs)``, or None when there is nothing to plot."""
    from defectradar.charts.render import chart_spec

    try:
        return chart_spec(build(*args, **kwargs))
    except InputError:
        return None


def _cached(request: Request, name: str, load: Callable[[], Any]) -> Any:
    state = request.app.state
    value = getattr(state, name, None)
    if value is None:
        value = load()
        setattr(state, name, value)
    return value


def rule_book(request: Request):
    from defectradar.remedies.rule_book import load_rule_book

    return _cached(request, "web_rule_book", lambda: load_rule_book(request.app.state.settings.rules_dir))


def catalog(request: Request):
    from defectradar.domain.catalog import load_catalog

    return _cached(request, "web_catalog", lambda: load_catalog(request.app.state.settings.catalog))


def classifier(request: Request):
    """The rules-only classifier: what a relabel is checked against (taxonomy and catalog)."""
    from defectradar.text.loading import build_classifier

    return _cached(request, "web_classifier", lambda: build_classifier(request.app.state.settings, learned=False))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
