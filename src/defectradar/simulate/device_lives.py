"""Every unit of one model, from sale to the observation end: failures, visits, exchanges, posts.

Failure times of all units of a month are drawn at once (numpy); only the few units with
something to record are then followed one by one, in the order of their failures:

* a failure reaches a service centre with a per-mode probability, 0-10 days later;
* the centre acts by :func:`~defectradar.simulate.service_policy.decide_visit`;
* a repair fails with a per-mode probability and the fault recurs after a shorter Weibull;
* a replacement retires the unit and starts a new unit (new IMEI, purchase date = exchange
  date, baseline hazards only) for the same owner; a refund retires it;
* after each failure the owner may post about it (more often after repeated failures).

Units are written as they are followed; nothing about a unit is kept once it is done.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

import numpy as np

from defectradar.domain.catalog import Product
from defectradar.simulate.identities import (
    email_address,
    imei_for,
    mobile_number,
    resident_id,
)
from defectradar.simulate.lifetimes import ProductHazards, Weibull
from defectradar.simulate.parameters import (
    BURST_END,
    BURST_OWNER_MULTIPLIER,
    BURST_START,
    CHANNELS,
    ENGLISH_SHARE,
    HEALTHY_CHECKUP_PER_YEAR,
    MI11_SERIES,
    MODES,
    OBSERVATION_END,
    PLANTED_IDENTIFIERS,
    POST_DELAY_DAYS,
    POST_PROBABILITY_BY_FAILURE,
    REACH_PROBABILITY,
    RECURRENCE_AFTER_FAILED_REPAIR,
    REGIONS,
    REPAIR_FAILURE_BASELINE,
    REPAIR_FAILURE_BY_MODE,
    REPAIR_ONLY_FROM,
    REVISIT_AFTER_NO_FAULT,
    TRADITIONAL_SHARE,
    VISIT_DELAY_WEIGHTS,
    SalesPlan,
)
from defectradar.simulate.phrases.aliases import client_for
from defectradar.simulate.phrases.service_texts import (
    CHECKUP_TEXTS,
    ENGLISH_FAULT_DEFAULT,
    ENGLISH_FAULT_SHARE,
    FAULT_TEXTS,
    NO_FAULT_SUFFIXES,
    REFUSAL_SUFFIXES,
    centres,
)
from defectradar.simulate.post_text import Complaint, compose_complaint, pick
from defectradar.simulate.sales_plan import SalesMonth
from defectradar.simulate.service_policy import (
    ServiceOutcome,
    checkup_visit,
    decide_visit,
)
from defectradar.simulate.weibo_posts import Author, PostFactory, time_of_day

STREAM_DEVICES = 2
CHUNK_UNITS = 100_000          # units drawn at once; bounds memory at any scale
END = OBSERVATION_END.toordinal()
_DELAY_P = np.array(VISIT_DELAY_WEIGHTS) / sum(VISIT_DELAY_WEIGHTS)
_BURST = (BURST_START.toordinal(), BURST_END.toordinal())
_REPAIR_ONLY_FROM = REPAIR_ONLY_FROM.toordinal()


@dataclass(frozen=True)
class UnitDraws:
    """One chunk of sold units: purchase day, province and channel index, days to each failure."""

    month_index: int
    rng: np.random.Generator
    purchase: np.ndarray
    region: np.ndarray
    channel: np.ndarray
    times: np.ndarray          # (units, len(MODES)) days from purchase to first failure per mode


def iter_sold_units(months: list[SalesMonth], hazards: ProductHazards, seed: int,
                    product_number: int) -> Iterator[UnitDraws]:
    """The sold units of a model, chunk by chunk, exactly as the world draws them.

    Each chunk has its own child generator (keyed by model, month and chunk), so the draws do
    not depend on processing order; the world then continues with the same generator for the
    chunk's service histories.  Tests use this to check counts and the Weibull truth.
    """
    for month_index, month in enumerate(months):
        cells = month.cells.ravel()
        region = np.repeat(np.repeat(np.arange(len(REGIONS)), len(CHANNELS)), cells)
        channel = np.repeat(np.tile(np.arange(len(CHANNELS)), len(REGIONS)), cells)
        for chunk, start in enumerate(range(0, len(region), CHUNK_UNITS)):
            rng = np.random.default_rng(np.random.SeedSequence(
                seed, spawn_key=(STREAM_DEVICES, product_number, month_index, chunk)))
            stop = min(start + CHUNK_UNITS, len(region))
            purchase = rng.integers(month.first_day, month.last_day + 1, size=stop - start)
            times = hazards.draw_times(rng, purchase)
            yield UnitDraws(month_index, rng, purchase, region[start:stop], channel[start:stop], times)


def _stable_index(text: str, modulus: int) -> int:
    """A platform-independent index derived from a text (Python's hash() is salted per run)."""
    return int.from_bytes(hashlib.md5(text.encode("utf-8")).digest()[:4], "big") % modulus


@dataclass
class Owner:
    phone: str
    region: str
    english: bool
    traditional: bool
    wipes: list[int] = field(default_factory=list)       # days a visit wiped the owner's data
    author: Author | None = None


@dataclass
class Unit:
    imei: str
    purchase: int
    owner: Owner
    centre: str
    sold: bool                 # False for replacement units handed out at an exchange


@dataclass
class ModeHistory:
    """One unit's history for one failure mode."""

    failures: int = 0
    first_failure: int | None = None
    visits: list[tuple[int, str]] = field(default_factory=list)
    repairs: list[int] = field(default_factory=list)
    after_two_repairs: list[int] = field(default_factory=list)


class ModelLives:
    """Follows every unit of one model and writes their service records and posts."""

    def __init__(self, product: Product, plan: SalesPlan, product_number: int, seed: int,
                 months: list[SalesMonth], files, posts: PostFactory) -> None:
        self.product = product
        self.plan = plan
        self.number = product_number
        self.seed = seed
        self.months = months
        self.files = files
        self.posts = posts
        self.hazards = ProductHazards.for_product(product.product_id, plan, product.launch_date)
        self.sold = sum(m.units for m in months)
        self.replacements = 0
        self.origin = product.launch_date.toordinal()
        span = END - self.origin + 1
        self.defect_failures = {c: np.zeros(span) for c in self.hazards.defects}
        self.affected_purchases = {c: np.zeros(span) for c in self.hazards.defects}
        self.failures_by_mode = np.zeros(len(MODES), dtype=np.int64)
        self._centres = {region: centres(product.brand, region) for region, _ in REGIONS}
        english_share = ENGLISH_FAULT_SHARE.get(product.brand, ENGLISH_FAULT_DEFAULT)
        self._centre_english = {c: _stable_index(c, 1000) < english_share * 1000
                                for cs in self._centres.values() for c in cs}

    # --- the population ------------------------------------------------------------------
    def run(self, on_units=None) -> None:
        index = 0
        for draws in iter_sold_units(self.months, self.hazards, self.seed, self.number):
            self._chunk(draws, index)
            index += len(draws.purchase)
            if on_units is not None:
                on_units(len(draws.purchase))

    def _chunk(self, draws: UnitDraws, first_index: int) -> None:
        rng = draws.rng
        fail_day = draws.purchase[:, None] + np.floor(draws.times).astype(np.int64)
        observed = fail_day <= END
        checkup = draws.purchase + np.floor(rng.exponential(365.0 / HEALTHY_CHECKUP_PER_YEAR,
                                                            len(draws.purchase))).astype(np.int64)
        for column in self.hazards.defects:
            affected = draws.purchase >= self.hazards.hazard_start[column]
            self.affected_purchases[column] += np.bincount(draws.purchase[affected] - self.origin,
                                                           minlength=len(self.affected_purchases[column]))
        active = np.flatnonzero(observed.any(axis=1) | (checkup <= END))
        for i in active:
            region = REGIONS[int(draws.region[i])][0]
            english = bool(rng.random() < ENGLISH_SHARE)
            owner = Owner(mobile_number(rng), region, english,
                          not english and bool(rng.random() < TRADITIONAL_SHARE))
            unit = Unit(imei_for(self.plan, self.number, first_index + int(i)), int(draws.purchase[i]), owner,
                        pick(rng, self._centres[region]), True)
            failures = [(int(fail_day[i, c]), int(c)) for c in np.flatnonzero(observed[i])]
            self._owner_story(rng, unit, failures, int(checkup[i]))

    def _owner_story(self, rng: np.random.Generator, unit: Unit, failures, checkup: int) -> None:
        """A unit's life and the lives of the replacements its owner is given."""
        while unit is not None:
            unit = self._unit_life(rng, unit, failures, checkup)
            if unit is not None:
                times = self.hazards.draw_times(rng, np.array([unit.purchase]), with_defects=False)[0]
                failures = [(unit.purchase + int(t), c) for c, t in enumerate(times) if unit.purchase + int(t) <= END]
                checkup = END + 1

    # --- one unit ------------------------------------------------------------------------
    def _unit_life(self, rng: np.random.Generator, unit: Unit, failures, checkup: int) -> Unit | None:
        queue = [(day, seq, column, "first") for seq, (day, column) in enumerate(failures)]
        if checkup <= END:
            queue.append((checkup, len(queue), -1, "checkup"))
        heapq.heapify(queue)
        seq = len(queue)
        history: dict[int, ModeHistory] = {}
        retired_on: int | None = None
        replacement: Unit | None = None
        while queue:
            day, _, column, kind = heapq.heappop(queue)
            if day > END or (retired_on is not None and day >= retired_on):
                break
            if kind == "checkup":
                self._record(rng, unit, day, None, checkup_visit(rng))
                continue
            mode = MODES[column]
            record = history.setdefault(column, ModeHistory())
            if kind != "revisit":
                record.failures += 1
                if record.first_failure is None:
                    record.first_failure = day
                self.failures_by_mode[column] += 1
                if kind == "first" and unit.sold and column in self.defect_failures:
                    self.defect_failures[column][day - self.origin] += 1
            outcome, event_day = None, None
            if kind == "revisit" or rng.random() < REACH_PROBABILITY[mode]:
                event_day = day + (0 if kind == "revisit" else int(rng.choice(len(_DELAY_P), p=_DELAY_P)))
                if event_day > END or (retired_on is not None and event_day >= retired_on):
                    event_day = None
            if event_day is not None:
                outcome = decide_visit(rng, self.product.product_id, mode, event_day, unit.purchase,
                                       len(record.repairs), len(record.visits), kind == "revisit")
                self._record(rng, unit, event_day, mode, outcome)
                if len(record.repairs) >= 2:
                    record.after_two_repairs.append(event_day)
                record.visits.append((event_day, outcome.action))
                if outcome.data_wiped:
                    unit.owner.wipes.append(event_day)
                back = event_day + outcome.days_out_of_service
                if outcome.action == "repair":
                    record.repairs.append(event_day)
                    if rng.random() < self._repair_failure(column):
                        recurrence = back + 1 + int(self._recurrence(column).draw(rng, 1)[0])
                        heapq.heappush(queue, (recurrence, seq, column, "recurrence"))
                        seq += 1
                elif outcome.action == "inspect" and rng.random() < REVISIT_AFTER_NO_FAULT:
                    heapq.heappush(queue, (back + int(rng.integers(5, 41)), seq, column, "revisit"))
                    seq += 1
                elif outcome.action in ("replace", "refund"):
                    retired_on = event_day
                    if outcome.action == "replace":
                        replacement = self._replacement(unit, event_day)
            if kind != "revisit":
                self._maybe_post(rng, unit, column, day, history, outcome, event_day)
        self._write_lemons(unit, history)
        return replacement

    def _repair_failure(self, column: int) -> float:
        if column in self.hazards.defects:
            return self.hazards.defects[column][0].repair_failure
        return REPAIR_FAILURE_BY_MODE.get(MODES[column], REPAIR_FAILURE_BASELINE)

    def _recurrence(self, column: int) -> Weibull:
        shape, scale = RECURRENCE_AFTER_FAILED_REPAIR["defect" if column in self.hazards.defects else "baseline"]
        return Weibull(shape, scale)

    def _replacement(self, unit: Unit, day: int) -> Unit:
        index = self.sold + self.replacements
        self.replacements += 1
        return Unit(imei_for(self.plan, self.number, index), day, unit.owner, unit.centre, False)

    # --- outputs ---------------------------------------------------------------------------
    def _product_name(self, centre: str) -> str:
        """The model's name as a centre's system writes it (each centre has its habit)."""
        p = self.product
        names = [p.name_zh or p.name] * 4 + [p.name] * 3 + [p.aliases[0] if p.aliases else p.name] * 2 + [p.product_id]
        return names[_stable_index(centre + p.product_id, len(names))]

    def _record(self, rng: np.random.Generator, unit: Unit, day: int, mode: str | None,
                outcome: ServiceOutcome) -> None:
        centre = unit.centre if rng.random() < 0.85 else pick(rng, self._centres[unit.owner.region])
        if mode is None:
            fault = pick(rng, CHECKUP_TEXTS)
        else:
            fault = pick(rng, FAULT_TEXTS[mode][1 if self._centre_english[centre] else 0])
            if outcome.action == "refused":
                fault += pick(rng, REFUSAL_SUFFIXES)
            elif outcome.action == "inspect":
                fault += pick(rng, NO_FAULT_SUFFIXES)
        self.files.write_event((
            unit.imei, self._product_name(centre), date.fromordinal(unit.purchase).isoformat(),
            date.fromordinal(day).isoformat(), fault, outcome.action, ";".join(outcome.parts),
            outcome.days_out_of_service, "true" if outcome.data_wiped else "false", centre,
            unit.owner.region, unit.owner.phone))

    def _write_lemons(self, unit: Unit, history: dict[int, ModeHistory]) -> None:
        for column, record in history.items():
            if record.after_two_repairs:
                self.files.write_lemon({
                    "imei": unit.imei, "product_id": self.product.product_id, "failure_mode": MODES[column],
                    "purchase_date": date.fromordinal(unit.purchase).isoformat(),
                    "repair_dates": [date.fromordinal(d).isoformat() for d in record.repairs],
                    "failures_after_two_repairs": [date.fromordinal(d).isoformat() for d in record.after_two_repairs],
                    "replacement_unit": not unit.sold})

    def _maybe_post(self, rng: np.random.Generator, unit: Unit, column: int, day: int,
                    history: dict[int, ModeHistory], outcome: ServiceOutcome | None,
                    event_day: int | None) -> None:
        record = history[column]
        post_day = day + int(rng.integers(0, POST_DELAY_DAYS + 1))
        chance = POST_PROBABILITY_BY_FAILURE[min(record.failures, len(POST_PROBABILITY_BY_FAILURE)) - 1]
        if _BURST[0] <= post_day <= _BURST[1]:
            chance *= BURST_OWNER_MULTIPLIER
        if outcome is not None and outcome.action == "refused":
            chance *= 1.5
        if rng.random() >= chance or post_day > END:
            return
        owner = unit.owner
        seen = event_day is not None and event_day <= post_day
        others = tuple(MODES[c] for c, r in history.items()
                       if c != column and r.first_failure is not None and r.first_failure <= post_day)
        planted = {}
        for kind, probability in PLANTED_IDENTIFIERS.items():
            if rng.random() < probability:
                planted[kind] = {"phone": lambda: owner.phone, "imei": lambda: unit.imei,
                                 "email": lambda: email_address(rng), "person_id": lambda: resident_id(rng)}[kind]()
        complaint = Complaint(
            product=self.product, mode=MODES[column], other_modes=others, failure_number=record.failures,
            repairs_done=sum(1 for d in record.repairs if d <= post_day),
            data_lost=any(d <= post_day for d in owner.wipes), action=outcome.action if seen else None,
            repair_only=bool(seen and outcome.action == "repair" and self.product.product_id in MI11_SERIES
                             and MODES[column] == "wifi" and event_day >= _REPAIR_ONLY_FROM),
            age_days=day - unit.purchase,
            timeline=[(date.fromordinal(d), a) for d, a in record.visits if d <= post_day],
            english=owner.english, traditional=owner.traditional, planted=planted)
        draft = compose_complaint(complaint, rng)
        if owner.author is None:
            owner.author = self.posts.new_author(rng, owner.english)
        own_client = not draft.names_product or rng.random() < 0.35
        source = client_for(self.product, rng, True) if own_client else client_for(None, rng, False)
        region = owner.region if rng.random() < 0.9 else REGIONS[int(rng.integers(len(REGIONS)))][0]
        self.posts.publish(rng, draft, post_day, time_of_day(rng), owner.author, source, region, "owner",
                           kind="owner")
