"""What a service centre does on a visit: the maker's policy of the day, or China's three-guarantees.

Mi 11 series Wi-Fi faults follow Xiaomi's dated policies (board repair, then exchange from
2021-08-06, then board repair only from 2022-09-15 whatever the history).  Everything else
follows the statutory floor as a typical centre applies it: refund or replacement in the first
7/15 days, replacement after two failed repairs within the one-year warranty, repair otherwise,
with occasional refusals (water damage) and visits that find no fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from defectradar.simulate.parameters import (
    EXCHANGE_FROM,
    MI11_SERIES,
    NO_FAULT_FOUND,
    NO_FAULT_FOUND_DEFAULT,
    REFUND_WITHIN_DAYS,
    REFUSAL_PROBABILITY,
    REPAIR_ONLY_FROM,
    REPLACE_WITHIN_DAYS,
    WARRANTY_DAYS,
)
from defectradar.simulate.phrases.service_texts import BOARD_REPAIR_PARTS, PARTS

_EXCHANGE_FROM = EXCHANGE_FROM.toordinal()
_REPAIR_ONLY_FROM = REPAIR_ONLY_FROM.toordinal()


@dataclass(frozen=True)
class ServiceOutcome:
    """One visit's result as the service record shows it."""

    action: str                 # inspect | repair | replace | refund | refused
    parts: tuple[str, ...]
    days_out_of_service: int
    data_wiped: bool


def mi11_wifi_policy(event_day: int) -> str:
    """The Xiaomi policy in force on a day: ``board_repair``, ``exchange`` or ``repair_only``."""
    if event_day < _EXCHANGE_FROM:
        return "board_repair"
    if event_day < _REPAIR_ONLY_FROM:
        return "exchange"
    return "repair_only"


def _pick(rng: np.random.Generator, options, weights=None):
    if weights is None:
        return options[int(rng.integers(len(options)))]
    return options[int(rng.choice(len(options), p=np.asarray(weights) / np.sum(weights)))]


def _board_repair(rng: np.random.Generator, parts=None) -> ServiceOutcome:
    parts = parts if parts is not None else _pick(rng, BOARD_REPAIR_PARTS)
    return ServiceOutcome("repair", parts, int(rng.integers(7, 21)), True)


def _exchange(rng: np.random.Generator, action: str) -> ServiceOutcome:
    if action == "refund":
        return ServiceOutcome("refund", (), int(rng.integers(0, 2)), False)
    return ServiceOutcome("replace", (), int(rng.integers(0, 4)), False)


def _repair(rng: np.random.Generator, mode: str) -> ServiceOutcome:
    parts = _pick(rng, PARTS[mode])
    if "mainboard" in parts:
        return ServiceOutcome("repair", parts, int(rng.integers(7, 21)), True)
    if mode == "software":          # a reflash: quick, and usually wipes the phone
        return ServiceOutcome("repair", parts, int(rng.integers(3, 5)), bool(rng.random() < 0.7))
    if mode in ("display", "screen_burn_in", "battery", "build"):
        return ServiceOutcome("repair", parts, int(rng.integers(3, 8)), False)
    return ServiceOutcome("repair", parts, int(rng.integers(3, 11)), False)


def _statutory_early(rng: np.random.Generator, age_days: int) -> ServiceOutcome | None:
    """Refund/replacement owed in the first days after purchase (三包 7/15-day rules)."""
    if age_days <= REFUND_WITHIN_DAYS:
        return _exchange(rng, _pick(rng, ("refund", "replace"), (0.3, 0.7)))
    if age_days <= REPLACE_WITHIN_DAYS:
        return _exchange(rng, "replace")
    return None


def decide_visit(rng: np.random.Generator, product_id: str, mode: str, event_day: int,
                 purchase_day: int, repairs_before: int, visits_before: int,
                 revisit: bool) -> ServiceOutcome:
    """The outcome of a visit for a fault of ``mode``.

    Parameters
    ----------
    repairs_before, visits_before
        Repairs and visits of this unit for this mode before this visit.
    revisit
        The owner returns after a visit that found no fault; no second "no fault found".
    """
    age = event_day - purchase_day
    if product_id in MI11_SERIES and mode == "wifi":
        policy = mi11_wifi_policy(event_day)
        if policy == "exchange":
            return _exchange(rng, _pick(rng, ("replace", "refund"), (0.7, 0.3)) if visits_before else "replace")
        if policy == "repair_only":
            return _board_repair(rng)
        return _statutory_early(rng, age) or _board_repair(rng)
    if product_id in MI11_SERIES and mode == "motherboard":
        return _statutory_early(rng, age) or _board_repair(rng, ("mainboard",))
    if not revisit:
        if rng.random() < REFUSAL_PROBABILITY:
            return ServiceOutcome("refused", (), int(rng.integers(0, 2)), False)
        if rng.random() < NO_FAULT_FOUND.get(mode, NO_FAULT_FOUND_DEFAULT):
            return ServiceOutcome("inspect", (), int(rng.integers(0, 2)), False)
    early = _statutory_early(rng, age)
    if early is not None:
        return early
    if repairs_before >= 2 and age <= WARRANTY_DAYS:
        choice = _pick(rng, ("replace", "refund", "repair"), (0.5, 0.15, 0.35))
        if choice != "repair":
            return _exchange(rng, choice)
    return _repair(rng, mode)


def checkup_visit(rng: np.random.Generator) -> ServiceOutcome:
    """A working phone brought in for a check."""
    return ServiceOutcome("inspect", (), int(rng.integers(0, 2)), False)

