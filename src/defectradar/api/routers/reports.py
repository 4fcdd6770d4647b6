"""Reports: list and search (filters combine), one report with its label provenance, relabel.

``q`` is the CLI's ``--search``: every whitespace-separated word must occur, any case, in the
title or text.  Chinese is written without spaces, so a Chinese phrase is one word and matches
as a substring (``q=WiFi打不开``), which is what a reader of Weibo posts expects.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from defectradar.accounts import Account
from defectradar.api.common import decode_cursor, field_error, json_with_etag, page, read
from defectradar.api.params import (
    api_fields,
    catalog,
    check_mode_known,
    check_product_known,
    day_query,
    not_found,
)
from defectradar.api.security import requirement
from defectradar.core.numbers import json_ready
from defectradar.errors import InputError

router = APIRouter(prefix="/reports", tags=["reports"])

# The CLI's flags and the API's parameters for the same filters.
_FLAGS = {"product": "product", "mode": "mode", "source": "source", "since": "since", "until": "until",
          "text": "q", "search": "q", "limit": "limit", "severity": "severity"}
MAX_WINDOW = 10_000   # list_reports returns at most this many rows: cursors page within them


def _no_report(exc: InputError, field: str = "report_id"):
    """An unknown report id is a 404 (the library says "no report ..." as an input error)."""
    message = str(exc)
    if message.startswith(("no report", "give a report id")):
        return not_found(field, message)
    exc.field = getattr(exc, "field", None) or field
    return exc


@router.get("", summary="Reports with their effective labels, newest first; filters combine")
def reports_list(
    request: Request,
    q: Optional[str] = Query(None, max_length=500, description="Words the title or text must all hold, any "
                             "order, any case; Chinese phrases match as written (WiFi打不开)."),
    product: Optional[str] = Query(None, max_length=200, description="Product id (xiaomi-11, "
                                   "named:ford-escape) or name as the source writes it."),
    mode: Optional[str] = Query(None, max_length=200, description="Failure mode (wifi, service-brakes)."),
    source: Optional[str] = Query(None, max_length=100, description="Only this source (weibo, nhtsa ...)."),
    since: Optional[date] = day_query("Posted on or after this day."),
    until: Optional[date] = day_query("Posted on or before this day."),
    severity: Optional[Literal["safety", "none"]] = Query(None, description="safety, or none for reports "
                                                           "without a severity."),
    limit: int = Query(50, ge=1, le=500), cursor: Optional[str] = None,
    _: Account = Depends(requirement("viewer")),
):
    from defectradar.query.reports import list_reports, mode_ids_for, product_ids_for, report_query

    offset = decode_cursor(cursor)
    if offset + limit + 1 > MAX_WINDOW:
        raise field_error("cursor", f"pages reach only the first {MAX_WINDOW:,} reports; narrow the filters")
    products_catalog = catalog(request)
    with api_fields(_FLAGS):
        products = product_ids_for(product, products_catalog) if product is not None else ()
        modes = mode_ids_for(mode) if mode is not None else ()
        query = report_query(product_ids=products, modes=modes, source=source, since=since, until=until,
                             words=q, limit=offset + limit + 1, severity=severity)

    def listed(con):
        result = list_reports(con, query)
        if product is not None and result.matched == 0:
            check_product_known(con, product, [p.product_id for p in products_catalog.products])
        if mode is not None and result.matched == 0:
            check_mode_known(con, mode)
        return result

    result = read(request, listed, analytic=True, cache_key=("api.reports", query, product, mode), read_only_result=True)
    items = [row.to_dict() for row in result.reports]
    return json_with_etag(request, page(items[offset:], offset, limit))


@router.get("/{report_id}", summary="One report: its text, product, failure modes and where each label came "
                                    "from")
def reports_get(request: Request, report_id: str,
                source: Optional[str] = Query(None, max_length=100, description="The source, when two share "
                                              "the source id given."),
                _: Account = Depends(requirement("viewer"))):
    from defectradar.query.reports import show_report

    try:
        detail = read(request, show_report, report_id, source)
    except InputError as exc:
        raise _no_report(exc) from None
    return json_with_etag(request, detail.to_dict())


class Relabel(BaseModel):
    """An analyst's correction; fields left out are not changed."""

    failure_modes: Optional[list[str]] = Field(None, max_length=50, description="The report's failure modes "
                                               "(taxonomy ids); [] says it is no defect complaint.")
    product_id: Optional[str] = Field(None, max_length=200, description="Catalog product id, or \"none\" to "
                                      "clear it.")
    severity: Optional[Literal["safety", "none"]] = Field(None, description="safety, or none to clear it.")
    reason: Optional[str] = Field(None, max_length=2000, description="Why, for the record.")


def _classifier(request: Request):
    """The labelling rules the correction is checked against (taxonomy, catalog), built once per app."""
    state = request.app.state
    if getattr(state, "label_classifier", None) is None:
        from defectradar.text.loading import build_classifier

        state.label_classifier = build_classifier(state.settings, learned=False)
    return state.label_classifier


@router.post("/{report_id}/labels", summary="Correct a report's labels (analyst); it overrides the machine's")
def reports_relabel(request: Request, report_id: str, body: Relabel,
                    account: Account = Depends(requirement("analyst"))) -> dict:
    from defectradar.labelling import record_correction
    from defectradar.query.reports import find_report_id

    if body.failure_modes is None and body.product_id is None and body.severity is None:
        raise field_error("failure_modes", "nothing to record: give failure_modes, product_id or severity")
    try:
        full_id = read(request, find_report_id, report_id)
    except InputError as exc:
        raise _no_report(exc) from None
    with api_fields(prefixes={"unknown failure modes": "failure_modes", "unknown product": "product_id",
                              "nothing to record": "failure_modes", "--severity": "severity"}):
        correction = record_correction(request.app.state.store, full_id, analyst=account.name,
                                       failure_modes=body.failure_modes, product_id=body.product_id,
                                       severity=body.severity, reason=body.reason, classifier=_classifier(request))
    return json_ready(correction.to_dict())
