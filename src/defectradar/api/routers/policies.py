"""Policies: the rule book's consumer laws and manufacturer policies, one in detail, and its changes.

The diff here only reads: a GET must not write, so downgrade alerts are not recorded (that is
``defectradar policies diff`` or the scheduled scan's job).  The rule book is files, not store
rows, so these answers do not depend on the store.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import decode_cursor, field_error, json_with_etag, page
from defectradar.api.params import day_query, not_found, rule_book
from defectradar.api.security import requirement
from defectradar.core.numbers import json_ready
from defectradar.errors import InputError

router = APIRouter(prefix="/policies", tags=["policies"])


def _rule_set(request: Request, rule_set_id: str):
    try:
        return rule_book(request).get(rule_set_id)
    except InputError as exc:
        message = str(exc).replace("`defectradar policies list`", "GET /api/v1/policies")
        raise not_found("rule_set_id", message) from None


@router.get("", summary="Every rule set: kind, jurisdiction, life, coverage, versions and rules")
def policies_list(request: Request,
                  kind: Optional[str] = Query(None, max_length=60, description="Only this kind (law, "
                                              "manufacturer_policy ...)."),
                  jurisdiction: Optional[str] = Query(None, max_length=40, description="Only this jurisdiction."),
                  limit: int = Query(100, ge=1, le=1000), cursor: Optional[str] = None,
                  _: Account = Depends(requirement("viewer"))):
    from defectradar.remedies.policy_diff import rule_set_summary

    offset = decode_cursor(cursor)
    rows = [rule_set_summary(rs) for rs in rule_book(request)]
    rows = [r for r in rows if (kind is None or r["kind"] == kind)
            and (jurisdiction is None or r["jurisdiction"] == jurisdiction)]
    return json_with_etag(request, page(rows[offset:offset + limit + 1], offset, limit))


@router.get("/{rule_set_id}", summary="One rule set: citations, coverage, each version's parameters, the rules")
def policies_get(request: Request, rule_set_id: str,
                 at: Optional[date] = day_query("Only the version in force on this day."),
                 lang: Literal["en", "zh"] = Query("en"),
                 _: Account = Depends(requirement("viewer"))):
    from defectradar.remedies.policy_diff import rule_set_details

    return json_with_etag(request, json_ready(rule_set_details(_rule_set(request, rule_set_id), at, lang)))


@router.get("/{rule_set_id}/diff", summary="What changed between a rule set's versions; downgrades marked")
def policies_diff(request: Request, rule_set_id: str,
                  from_: Optional[date] = day_query(alias="from", description="Only changes on or after this day."),
                  to: Optional[date] = day_query("Only changes on or before this day."),
                  _: Account = Depends(requirement("viewer"))):
    from defectradar.analyses.policy_alerts import policy_diff

    if from_ and to and from_ > to:
        raise field_error("from", f"from {from_} is after to {to}")
    rule_set = _rule_set(request, rule_set_id)
    return json_with_etag(request, json_ready(policy_diff(rule_set, from_, to, None).to_dict()))
