"""Reports explorer: search (Chinese or English words), filters, one report with where its
labels came from, and relabelling (an analyst's correction, kept as such)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Form, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.errors import DefectRadarError, InputError
from defectradar.labelling import record_correction
from defectradar.query.overview import SEVERITIES, report_facets, search_reports
from defectradar.query.reports import find_report_id, mode_ids_for, product_ids_for, report_query, show_report
from defectradar.web.pages.common import blank_none, catalog, classifier, is_htmx, see_other
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)
PAGE = 100


def reports_data(con, filters: dict, cat) -> dict:
    query = report_query(
        product_ids=product_ids_for(filters["product"], cat) if filters["product"] else (),
        modes=mode_ids_for(filters["mode"]) if filters["mode"] else (), source=filters["source"],
        since=filters["since"], until=filters["until"], words=filters["q"], limit=PAGE)
    return {"found": search_reports(con, query, filters["severity"]), "facets": report_facets(con)}


@router.get("/reports")
def reports_page(request: Request, q: Optional[str] = Query(None, max_length=500),
                 product: Optional[str] = Query(None, max_length=200), mode: Optional[str] = Query(None, max_length=200),
                 source: Optional[str] = Query(None, max_length=200), since: Optional[str] = None,
                 until: Optional[str] = None, severity: Optional[str] = None,
                 _: Account = Depends(requirement("viewer"))):
    filters = {"q": blank_none(q), "product": blank_none(product), "mode": blank_none(mode),
               "source": blank_none(source), "since": blank_none(since), "until": blank_none(until),
               "severity": blank_none(severity)}
    data = read(request, reports_data, filters, catalog(request), cache_key=("page.reports", tuple(filters.items())))
    template = "fragments/report_rows.html" if is_htmx(request) else "reports.html"
    return render(request, template, {**data, "filters": filters, "severities": SEVERITIES})


def report_data(con, report_id: str) -> dict:
    return {"detail": show_report(con, report_id)}


def _label_context(request: Request, detail) -> dict:
    clf = classifier(request)
    return {"detail": detail, "modes": list(clf.taxonomy.ids), "products": sorted(clf.catalog.by_id()),
            "current_modes": [m["mode"] for m in detail.failure_modes], "severities": SEVERITIES}


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: str, _: Account = Depends(requirement("viewer"))):
    data = read(request, report_data, report_id)
    return render(request, "report.html", _label_context(request, data["detail"]))


@router.post("/reports/{report_id}/label")
def relabel(request: Request, report_id: str, failure_modes: list[str] = Form([]), modes_shown: str = Form(""),
            product_id: str = Form("", max_length=200), severity: str = Form(""),
            reason: str = Form("", max_length=2000), account: Account = Depends(requirement("analyst"))):
    message, ok = None, True
    try:
        full_id = read(request, find_report_id, report_id)
        before = read(request, report_data, full_id)["detail"]
        current = sorted(m["mode"] for m in before.failure_modes)
        modes = sorted(set(failure_modes)) if modes_shown and sorted(set(failure_modes)) != current else None
        product = product_id.strip() or None
        if product == (before.product.get("product_id") or "none"):
            product = None
        if severity and severity not in SEVERITIES:
            raise InputError(f"severity {severity!r}: use safety or none")
        record_correction(request.app.state.store, full_id, analyst=account.name, failure_modes=modes,
                          product_id=product, severity=severity or None, reason=reason.strip() or None,
                          classifier=classifier(request))
        message = "saved"
    except DefectRadarError as exc:
        if not is_htmx(request):
            raise
        full_id, message, ok = report_id, str(exc), False
    if not is_htmx(request):
        return see_other(f"/reports/{full_id}")
    detail = read(request, report_data, full_id)["detail"]
    return render(request, "fragments/report_labels.html", {**_label_context(request, detail), "message": message,
                                                             "ok": ok})
