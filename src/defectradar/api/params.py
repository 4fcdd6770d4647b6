"""Helpers routes share to speak the API's language over library calls written for the CLI.

The library's errors name CLI flags (``--since``) or case paths (``device.product:``); the API
names request fields instead, so a client can point at the field at fault (``error.field``).
Catalog and rule book are read once per app (they are files, not store rows) and kept on
``app.state``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date
from typing import Iterator

from fastapi import Request

from defectradar.errors import InputError, NotFoundError

_FLAG = re.compile(r"--([a-z][a-z-]*)")
_PATH = re.compile(r"^([A-Za-z_][\w.\[\]]*): ")


def _renamed(exc: InputError, field: str | None, message: str | None = None) -> InputError:
    out = type(exc)(message or str(exc))
    out.field = field
    return out


@contextmanager
def api_fields(flags: dict[str, str] | None = None, prefixes: dict[str, str] | None = None) -> Iterator[None]:
    """Re-raise the library's ``InputError`` with ``field`` set to the request field it is about.

    ``flags`` maps a CLI flag name (``since``) to the query parameter (``since``): the first
    ``--flag`` in the message picks the field and is rewritten as the parameter's name.
    ``prefixes`` maps a message start (``unknown product``) to a field.  A message starting with
    ``path: `` (case files, audit options) names its own field.
    """
    try:
        yield
    except InputError as exc:
        if getattr(exc, "field", None):
            raise
        message = str(exc)
        for start, field in (prefixes or {}).items():
            if start in message:
                raise _renamed(exc, field) from None
        found = _FLAG.search(message)
        if found and flags and found.group(1) in flags:
            field = flags[found.group(1)]
            raise _renamed(exc, field, _FLAG.sub(lambda m: flags.get(m.group(1), m.group(1)), message)) from None
        path = _PATH.match(message)
        if path:
            raise _renamed(exc, path.group(1)) from None
        raise


def not_found(field: str, message: str) -> NotFoundError:
    exc = NotFoundError(message)
    exc.field = field
    return exc


def catalog(request: Request):
    """The product catalog the store's settings name (read once per app)."""
    state = request.app.state
    if getattr(state, "catalog", None) is None:
        from defectradar.domain.catalog import load_catalog

        state.catalog = load_catalog(state.settings.catalog)
    return state.catalog


def rule_book(request: Request):
    """The rule book: built-in rule sets plus the settings' ``rules_dir`` (read once per app)."""
    state = request.app.state
    if getattr(state, "rule_book", None) is None:
        from defectradar.remedies.rule_book import load_rule_book

        state.rule_book = load_rule_book(state.settings.rules_dir)
    return state.rule_book


def check_product_known(con, product: str, catalog_ids=()) -> None:
    """400 naming ``product`` when neither the catalog nor any store table knows it (with the closest ids).

    Called only when a filter by product matched nothing: an unknown id and a known product
    without matching rows then answer differently.
    """
    from defectradar.query.service_histories import known_products, unknown_id_message

    known = sorted(set(known_products(con)) | set(catalog_ids))
    if product not in known:
        exc = InputError(unknown_id_message("product", product, known, "neither the catalog nor the store has it"))
        exc.field = "product"
        raise exc


def check_mode_known(con, mode: str) -> None:
    """400 naming ``mode`` when neither the taxonomy nor any service event names it (only called, like
    :func:`check_product_known`, when a filter by mode matched nothing: sources' own modes stay valid)."""
    from defectradar.query.service_histories import check_mode

    try:
        check_mode(con, mode)
    except InputError as exc:
        exc.field = "mode"
        raise


# Days a request may name: pandas' calendars end in 2262, and no complaint predates 1970.
DAY_MIN = date(1970, 1, 1)
DAY_MAX = date(2200, 12, 31)


def day_query(description: str, **kwargs):
    """An optional day parameter, kept within :data:`DAY_MIN` .. :data:`DAY_MAX` (else 422)."""
    from fastapi import Query

    return Query(None, ge=DAY_MIN, le=DAY_MAX, description=description, **kwargs)
