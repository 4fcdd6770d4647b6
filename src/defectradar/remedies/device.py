"""One device's service history judged: the ``remedies check`` of a device in the store.

:func:`judge_device` reads the token's service events (as the store audit does), builds its
:class:`~defectradar.remedies.case.Case` the same way :func:`~defectradar.remedies.audit.audit_histories`
does, and judges it, so the dashboard's device timeline and the audit agree step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from defectradar.domain.catalog import Catalog
from defectradar.errors import InputError, NotFoundError
from defectradar.remedies.case import UNKNOWN_MODE, Case, Device, Event
from defectradar.remedies.engine import Judgement, judge_case
from defectradar.remedies.jurisdictions import jurisdiction_of
from defectradar.remedies.rule_book import RuleBook
from defectradar.remedies.vocabulary import EVENT_OF_ACTION


@dataclass
class DeviceCheck:
    """A device's judgement (None when none of its events could be judged) and why events were left out."""

    device_token: str
    judgement: Judgement | None
    left_out: dict[str, int] = field(default_factory=dict)
    jurisdiction_defaulted: bool = False

    def to_dict(self) -> dict:
        return {"device_token": self.device_token, "left_out": dict(self.left_out),
                "jurisdiction_defaulted": self.jurisdiction_defaulted,
                "judgement": self.judgement.to_dict() if self.judgement else None}


def judge_device(con, device_token: str, book: RuleBook, catalog: Catalog, *, as_of=None, lang: str = "en",
                 jurisdiction_default: str = "CN") -> DeviceCheck:
    """Judge the service history of ``device_token`` (events up to ``as_of``, default all)."""
    from defectradar.query.service_histories import service_histories_expr

    expr = service_histories_expr(con, as_of=as_of)
    frame = expr.filter(expr.device_token == device_token).to_pyarrow().to_pandas()
    if frame.empty:
        raise NotFoundError(f"no service events for device {device_token!r}")
    left_out: dict[str, int] = {}
    products = catalog.by_id()
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"], errors="coerce")
    keep = []
    for row in frame.itertuples(index=False):
        reason = ("no_date" if pd.isna(row.date) else "unknown_action" if row.action not in EVENT_OF_ACTION
                  else "unknown_product" if row.product_id not in products
                  else "no_purchase_date" if pd.isna(row.purchase_date)
                  else "before_purchase" if row.date < row.purchase_date else None)
        if reason:
            left_out[reason] = left_out.get(reason, 0) + 1
        else:
            keep.append(row)
    if not keep:
        return DeviceCheck(device_token, None, left_out)
    keep.sort(key=lambda r: (r.date, r.event_id))
    regions = [r.region for r in keep if r.region is not None and r.region == r.region]
    jurisdiction = jurisdiction_of(regions[0], book.jurisdictions) if regions else None
    defaulted = jurisdiction is None
    if defaulted:
        jurisdiction = jurisdiction_of(jurisdiction_default, book.jurisdictions)
        if jurisdiction is None:
            raise InputError(f"no rule sets for the jurisdiction {jurisdiction_default!r}")
    product = products[keep[0].product_id]
    device = Device(product, keep[0].purchase_date.date(), jurisdiction, True, product.end_of_production, None,
                    device_token)
    days = pd.to_numeric(pd.Series([r.days_out_of_service for r in keep]), errors="coerce").fillna(0)
    case = Case(device, tuple(
        Event(r.date.date(), EVENT_OF_ACTION[r.action], r.failure_mode or UNKNOWN_MODE, int(d), bool(r.data_wiped),
              event_id=str(r.event_id)) for r, d in zip(keep, days)))
    return DeviceCheck(device_token, judge_case(book, case, lang=lang), left_out, defaulted)
