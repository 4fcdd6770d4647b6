"""Build and judge small cases in tests: one line per device, one dict per event."""

from __future__ import annotations

from datetime import date, timedelta

from defectradar.domain.catalog import builtin_catalog
from defectradar.remedies import builtin_rule_book, judge_case, parse_case

CATALOG = builtin_catalog()
BOOK = builtin_rule_book()


def day(purchase: str, n: int) -> str:
    """The date ``n`` days after ``purchase`` (the purchase day not counted)."""
    return (date.fromisoformat(purchase) + timedelta(days=n)).isoformat()


def make_case(events, product="xiaomi-12", purchase="2022-03-01", jurisdiction="CN", book=BOOK, **device):
    raw_device = {"product": product, "purchase_date": purchase, "jurisdiction": jurisdiction,
                  "model_discontinued": None, **device}
    return parse_case({"device": raw_device, "events": events}, CATALOG, book.jurisdictions)


def judge(events, as_of="2026-01-01", book=BOOK, **kwargs):
    return judge_case(book, make_case(events, book=book, **kwargs), as_of=date.fromisoformat(as_of))


def last_step(events, **kwargs):
    return judge(events, **kwargs).steps[-1]


def rule_ids(step) -> set[str]:
    return {hit.rule.id for hit in step.hits}
