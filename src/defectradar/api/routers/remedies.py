"""Remedies: judge one case (a device and its service events) and audit every device in the store.

``POST /remedies/check`` takes the case as the JSON body, in the CASE.json format of
docs/rules.md (``{"device": {...}, "events": [...]}``).  It is a POST because a case is a
document, not because anything is written: a viewer may check cases.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Optional

from fastapi import APIRouter, Body, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import json_with_etag, read
from defectradar.api.params import api_fields, catalog, day_query, rule_book
from defectradar.api.security import requirement
from defectradar.core.numbers import json_ready

router = APIRouter(prefix="/remedies", tags=["remedies"])
Lang = Literal["en", "zh"]

CASE_EXAMPLE = {"device": {"product": "xiaomi-11", "purchase_date": "2021-10-20", "jurisdiction": "CN",
                           "invoice": True},
                "events": [{"date": "2022-03-02", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 12},
                           {"date": "2022-06-20", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 9}]}


@router.post("/check", summary="Judge one case: the remedies due at each event, the remedy given, any shortfall "
                               "and the rule behind it")
def remedies_check(request: Request,
                   case: dict[str, Any] = Body(..., description="The case: device and events (docs/rules.md, "
                                               "CASE.json).", examples=[CASE_EXAMPLE]),
                   as_of: Optional[date] = day_query("Judge as on this day: later events are ignored "
                                                     "(default: today)."),
                   lang: Lang = Query("en", description="Language of the summary and rule texts."),
                   _: Account = Depends(requirement("viewer"))) -> dict:
    from defectradar.remedies import judge_case, parse_case

    book = rule_book(request)
    with api_fields():
        parsed = parse_case(case, catalog(request), book.jurisdictions)
        return json_ready(judge_case(book, parsed, as_of=as_of, lang=lang).to_dict())


@router.get("/audit", summary="Judge every device in the store: who got less than was due, by product, rule "
                              "and period")
def remedies_audit(request: Request,
                   as_of: Optional[date] = day_query("Judge as on this day (default: the latest "
                                                     "service event)."),
                   product: Optional[str] = Query(None, max_length=200, description="Only this product (id or "
                                                  "name)."),
                   period: Literal["quarter", "month", "year"] = Query("quarter", description="Group shortfalls "
                                                                       "by this period."),
                   jurisdiction: str = Query("CN", min_length=1, max_length=40, description="Jurisdiction of "
                                             "devices whose region names none (CN, EU, ...)."),
                   limit: int = Query(1000, ge=1, le=100_000, description="Shortfall rows kept."),
                   lang: Lang = Query("en"),
                   _: Account = Depends(requirement("viewer"))):
    from defectradar.analyses.audit import audit_store

    book, products = rule_book(request), catalog(request)
    if jurisdiction not in book.jurisdictions:
        from defectradar.api.common import field_error

        raise field_error("jurisdiction", f"unknown jurisdiction {jurisdiction!r}; known: "
                                          f"{', '.join(sorted(book.jurisdictions))}")

    def audited(con):
        report = audit_store(con, book, products, as_of=as_of, product=product, jurisdiction_default=jurisdiction,
                             period=period, lang=lang)
        return report.to_dict(limit=limit)

    with api_fields(prefixes={"unknown product": "product"}):
        return json_with_etag(request, read(request, audited, analytic=True, cache_key=(
            "api.audit", as_of, product, period, jurisdiction, limit, lang)))
