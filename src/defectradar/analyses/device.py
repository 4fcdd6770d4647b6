"""One device's service history judged: the ``remedies check`` of a device in the store.

:func:`judge_device` reads the token's service events (as the store audit does), builds its
:class:`~defectradar.remedies.case.Case` with :func:`~defectradar.remedies.audit.device_cases`, as
:func:`~defectradar.remedies.audit.audit_histories` does, and judges it, so the dashboard's device
timeline and the audit agree step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from defectradar.domain.catalog import Catalog
from defectradar.errors import InputError, NotFoundError
from defectradar.query.service_histories import service_histories_expr
from defectradar.remedies.audit import device_cases
from defectradar.remedies.engine import Judgement, judge_case
from defectradar.remedies.jurisdictions import jurisdiction_of
from defectradar.remedies.rule_book import RuleBook


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
    expr = service_histories_expr(con, as_of=as_of)
    frame = expr.filter(expr.device_token == device_token).to_pyarrow().to_pandas()
    if frame.empty:
        raise NotFoundError(f"no service events for device {device_token!r}")
    # Built as the audit builds every device's case (the query has already cut events after as_of).
    cases = device_cases(frame, book, catalog, as_of=None,
                         jurisdiction_default=jurisdiction_of(jurisdiction_default, book.jurisdictions))
    if not cases.devices:
        if cases.left_out.get("unknown_jurisdiction"):
            raise InputError(f"no rule sets for the jurisdiction {jurisdiction_default!r}")
        return DeviceCheck(device_token, None, cases.left_out)
    device = cases.devices[0]
    return DeviceCheck(device_token, judge_case(book, cases.case(device), lang=lang), cases.left_out,
                       device.defaulted)
