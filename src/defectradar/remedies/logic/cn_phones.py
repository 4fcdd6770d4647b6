"""China's mobile phone three-guarantees (移动电话机商品修理更换退货责任规定, 2001).

Articles: 11 (7 days: refund, exchange or repair), 12 (days 8-15: exchange or repair),
13 (two repairs and the fault persists: exchange), 14 (accessories), 15 (a loaner phone when
a repair takes over 7 days), 16 (over 60 days unrepaired for want of parts: exchange),
18 (no same model and the owner declines another: refund).  The three-guarantee period runs
from the invoice date, excludes days in repair, and restarts at an exchange; without an
invoice it starts 90 days after manufacture and gives free repair only.
"""

from __future__ import annotations

from datetime import timedelta

from defectradar.remedies.case import Claim
from defectradar.remedies.logic import Entitlement, Params, remedy_logic

MAIN_UNIT = "main_unit"


def component(claim: Claim, p: Params) -> str:
    return claim.event.component or p["component_by_mode"].get(claim.mode, MAIN_UNIT)


def warranty(claim: Claim, p: Params, part: str) -> tuple[bool, dict]:
    """Whether the claim falls in the part's three-guarantee period, and the numbers behind it."""
    return p.shared(("warranty", part), lambda: _warranty(claim, p, part))


def _warranty(claim: Claim, p: Params, part: str) -> tuple[bool, dict]:
    device = claim.device
    start = claim.unit_start(part)
    if not device.invoice and claim.last_exchange(part) is None:
        if device.manufacture_date is not None:
            start = device.manufacture_date + timedelta(days=p["no_invoice_start_after_manufacture_days"])
    months = p["warranty_months"].get(part, p["warranty_months"][MAIN_UNIT])
    extension = claim.days_out_of_service(start) if p["warranty_extended_by_repair_days"] else 0
    end = claim.period_end(start, months, extension)
    return claim.on <= end, {"warranty_start": start.isoformat(), "warranty_months": months,
                             "warranty_end": end.isoformat(), "extension_days": extension, "component": part}


def _listed_main_unit_fault(claim: Claim, p: Params) -> bool:
    return component(claim, p) == MAIN_UNIT and claim.mode in p["performance_fault_modes"]


def _early_window(claim: Claim) -> bool:
    # The 7/15-day rights run from the sale; an exchanged unit does not restart them.
    return claim.device.invoice and claim.last_exchange() is None


@remedy_logic("cn_phone.refund_window")
def refund_window(claim: Claim, p: Params) -> Entitlement | None:
    window = p["refund_window_days"]
    if _early_window(claim) and _listed_main_unit_fault(claim, p) and claim.age_days <= window:
        return Entitlement(("refund", "exchange", "repair"), {"day": claim.age_days, "window": window})
    return None


@remedy_logic("cn_phone.exchange_window")
def exchange_window(claim: Claim, p: Params) -> Entitlement | None:
    low, high = p["refund_window_days"], p["exchange_window_days"]
    if _early_window(claim) and _listed_main_unit_fault(claim, p) and low < claim.age_days <= high:
        return Entitlement(("exchange", "repair"), {"day": claim.age_days, "window": high})
    return None


@remedy_logic("cn_phone.warranty_repair")
def warranty_repair(claim: Claim, p: Params) -> Entitlement | None:
    covered, values = warranty(claim, p, component(claim, p))
    return Entitlement(("repair",), values) if covered else None


def exchange_reason(claim: Claim, p: Params) -> dict | None:
    """Why article 13 or 16 owes an exchange of the main unit now, or None."""
    return p.shared("exchange_reason", lambda: _exchange_reason(claim, p))


def _exchange_reason(claim: Claim, p: Params) -> dict | None:
    if not claim.device.invoice or component(claim, p) != MAIN_UNIT:
        return None
    covered, values = warranty(claim, p, MAIN_UNIT)
    if not covered:
        return None
    if claim.mode in p["performance_fault_modes"] and claim.repair_count(claim.mode) >= p["repairs_before_exchange"]:
        repairs = claim.repairs(claim.mode)
        return {**values, "reason": "repairs", "repairs": len(repairs),
                "repair_dates": ", ".join(e.date.isoformat() for e in repairs)}
    if claim.event.days_out_of_service > p["parts_delay_days"]:
        return {**values, "reason": "delay", "days": claim.event.days_out_of_service, "limit": p["parts_delay_days"]}
    return None


@remedy_logic("cn_phone.exchange_after_repairs")
def exchange_after_repairs(claim: Claim, p: Params) -> Entitlement | None:
    reason = exchange_reason(claim, p)
    if reason is None or reason["reason"] != "repairs":
        return None
    return Entitlement(("exchange",), {**reason, "limit": p["repairs_before_exchange"]})


@remedy_logic("cn_phone.exchange_after_parts_delay")
def exchange_after_parts_delay(claim: Claim, p: Params) -> Entitlement | None:
    reason = exchange_reason(claim, p)
    if reason is None or reason["reason"] != "delay":
        return None
    return Entitlement(("exchange",), reason)


@remedy_logic("cn_phone.refund_model_unavailable")
def refund_model_unavailable(claim: Claim, p: Params) -> Entitlement | None:
    reason = exchange_reason(claim, p)
    if reason is None or claim.model_available():
        return None
    return Entitlement(("refund", "exchange"), {"discontinued": claim.device.model_discontinued.isoformat()})


@remedy_logic("cn_phone.accessory_exchange")
def accessory_exchange(claim: Claim, p: Params) -> Entitlement | None:
    part = component(claim, p)
    if part == MAIN_UNIT or not claim.device.invoice:
        return None
    covered, values = warranty(claim, p, part)
    if not covered:
        return None
    exchanges = claim.exchanges_of(part)
    if exchanges >= p["accessory_exchanges_before_refund"]:
        return Entitlement(("refund",), {**values, "exchanges": exchanges})
    return Entitlement(("exchange",), values)


@remedy_logic("cn_phone.loaner_phone")
def loaner_phone(claim: Claim, p: Params) -> Entitlement | None:
    days = claim.event.days_out_of_service
    if claim.event.type == "repair" and days > p["loaner_after_days"] and warranty(claim, p, MAIN_UNIT)[0]:
        return Entitlement((), {"days": days, "limit": p["loaner_after_days"]})
    return None
