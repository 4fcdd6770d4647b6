"""Remedies and policies: the store audit's shortfalls by product and rule, shortfalls per policy
version, and every rule set's versions with the diff between them (a downgrade marked as such)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Request

from defectradar.accounts import Account
from defectradar.analyses.audit import audit_store
from defectradar.analyses.policy_alerts import policy_diff
from defectradar.api.common import read
from defectradar.api.security import requirement
from defectradar.remedies.policy_diff import rule_set_summary, version_table
from defectradar.web.i18n import language
from defectradar.web.pages.common import catalog, rule_book
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)


def _default_policy(book) -> str | None:
    """The manufacturer policy with most versions (the demo's Xiaomi policy), else the first rule set."""
    policies = sorted((rs for rs in book if rs.kind == "manufacturer_policy"), key=lambda rs: -len(rs.versions()))
    chosen = policies[0] if policies else next(iter(book), None)
    return chosen.id if chosen else None


def audit_data(con, book, cat, lang: str) -> dict:
    report = audit_store(con, book, cat, lang=lang)
    return {"as_of": report.as_of.isoformat() if report.as_of else None, "devices": report.devices,
            "events": report.events, "devices_short": report.devices_short, "by_kind": report.by_kind,
            "by_product_rule": report.count_by("product_id", "rule", "shortfall_kind"),
            "policy_versions": report.policy_versions,
            "wipes": {"events": report.wiped_events, "devices": report.wiped_devices}}


@router.get("/remedies")
def remedies_page(request: Request, policy: Optional[str] = None, _: Account = Depends(requirement("viewer"))):
    book = rule_book(request)
    audit = read(request, audit_data, book, catalog(request), language(request))
    chosen = policy if policy in {rs.id for rs in book} else _default_policy(book)
    diff = versions = None
    if chosen:
        rule_set = book.get(chosen)
        diff = policy_diff(rule_set).to_dict()           # no store: the page records no alerts
        versions = version_table(rule_set)
    return render(request, "remedies.html", {"audit": audit, "rule_sets": [rule_set_summary(rs) for rs in book],
                                             "chosen": chosen, "diff": diff, "versions": versions})
