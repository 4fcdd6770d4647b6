"""Manufacturer policies: remedies a maker promised for one fault, by the date of the claim.

A policy gives ``first_failure_remedies`` for the first claim of its fault and
``repeat_failure_remedies`` once the fault was already repaired or exchanged, within its own
cover (``coverage_months`` from purchase; an exchanged unit gets ``exchanged_unit_extra_days``
more from the exchange).  The engine applies a policy only where it gives more than the law.
"""

from __future__ import annotations

from datetime import timedelta

from defectradar.remedies.case import Claim
from defectradar.remedies.logic import Entitlement, Params, remedy_logic


def _covered(claim: Claim, p: Params) -> tuple[bool, dict]:
    months = p["coverage_months"]
    end = claim.period_end(claim.device.purchase_date, months)
    last = claim.last_exchange()
    if last is not None:
        end = max(end, claim.period_end(last.date, months) + timedelta(days=p["exchanged_unit_extra_days"]))
    return claim.on <= end, {"cover_end": end.isoformat()}


@remedy_logic("policy.first_failure")
def first_failure(claim: Claim, p: Params) -> Entitlement | None:
    covered, values = _covered(claim, p)
    if covered and not claim.claim_count(claim.mode):
        return Entitlement(tuple(p["first_failure_remedies"]), values, citation=p.reference("first_failure_remedies"))
    return None


@remedy_logic("policy.repeat_failure")
def repeat_failure(claim: Claim, p: Params) -> Entitlement | None:
    covered, values = _covered(claim, p)
    earlier = claim.claim_count(claim.mode)
    if covered and earlier:
        return Entitlement(tuple(p["repeat_failure_remedies"]), {**values, "claims": earlier},
                           citation=p.reference("repeat_failure_remedies"))
    return None
