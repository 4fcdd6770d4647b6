"""EU sale-of-goods law: Directive (EU) 2019/771 and, for older contracts, Directive 1999/44/EC.

The seller is liable for a lack of conformity that appears within the liability period
(2019/771 art. 10(1), 1999/44 art. 5(1)); within the presumption period it is presumed to have
existed at delivery (art. 11(1) / art. 5(3)), later the owner must show it.  Repair or
replacement come first, free and within a reasonable time (art. 13(2), 14(1)); a price
reduction or termination (a refund) follows when the remedy was refused or not done, when the
defect reappears after an attempt, or when it is serious (art. 13(4)); not termination for a
minor defect (art. 13(5)).  The Directive sets no number of days for a "reasonable time";
``reasonable_days`` is a parameter (30 by default, the ceiling French law sets, art. L217-10).
"""

from __future__ import annotations

from defectradar.remedies.case import Claim
from defectradar.remedies.logic import Entitlement, Params, remedy_logic


def _within(claim: Claim, p: Params, months_parameter: str) -> bool:
    return claim.on <= claim.period_end(claim.device.purchase_date, p[months_parameter])


def _liable(claim: Claim, p: Params) -> bool:
    return _within(claim, p, "liability_months")


def _secondary(claim: Claim) -> tuple[str, ...]:
    return ("price_reduction",) if claim.event.minor else ("refund", "price_reduction")


def _values(claim: Claim, p: Params) -> dict:
    months = (claim.on.year - claim.device.purchase_date.year) * 12 + claim.on.month - claim.device.purchase_date.month
    return {"month": months + (1 if claim.on.day > claim.device.purchase_date.day else 0),
            "presumption_months": p["presumption_months"], "liability_months": p["liability_months"],
            "minor": " (minor defect: no termination)" if claim.event.minor else ""}


@remedy_logic("eu_sale.presumed_defect")
def presumed_defect(claim: Claim, p: Params) -> Entitlement | None:
    if _liable(claim, p) and _within(claim, p, "presumption_months"):
        return Entitlement(("repair", "exchange"), _values(claim, p))
    return None


@remedy_logic("eu_sale.proven_defect")
def proven_defect(claim: Claim, p: Params) -> Entitlement | None:
    if _liable(claim, p) and not _within(claim, p, "presumption_months"):
        return Entitlement(("repair", "exchange"), _values(claim, p), proof_needed=True)
    return None


@remedy_logic("eu_sale.reappeared")
def reappeared(claim: Claim, p: Params) -> Entitlement | None:
    attempts = claim.claim_count(claim.mode, types=("repair", "exchange"))
    if _liable(claim, p) and attempts:
        last = claim.last_claim(claim.mode, types=("repair", "exchange"))
        return Entitlement(_secondary(claim), {**_values(claim, p), "attempts": attempts,
                                               "last_attempt": last.date.isoformat()},
                           proof_needed=not _within(claim, p, "presumption_months"))
    return None


@remedy_logic("eu_sale.not_done")
def not_done(claim: Claim, p: Params) -> Entitlement | None:
    if not _liable(claim, p):
        return None
    refused = claim.last_claim(claim.mode, types=("refused",))
    limit = p["reasonable_days"]
    slow = (claim.event if claim.event.type == "repair" and claim.event.days_out_of_service > limit
            else claim.last_slow_repair(claim.mode, limit))
    if refused is None and slow is None:
        return None
    why = (f"refused on {refused.date}" if refused is not None else
           f"{slow.days_out_of_service} days out of service on {slow.date}")
    return Entitlement(_secondary(claim), {**_values(claim, p), "why": why, "limit": limit},
                       proof_needed=not _within(claim, p, "presumption_months"))


@remedy_logic("eu_sale.serious")
def serious(claim: Claim, p: Params) -> Entitlement | None:
    if _liable(claim, p) and claim.event.serious:
        return Entitlement(("refund", "price_reduction"), _values(claim, p))
    return None


@remedy_logic("eu_sale.inconvenience")
def inconvenience(claim: Claim, p: Params) -> Entitlement | None:
    if not _liable(claim, p):
        return None
    wipes = claim.data_wipes()
    if wipes:
        return Entitlement((), {"wipes": len(wipes), "dates": ", ".join(e.date.isoformat() for e in wipes)})
    return None
