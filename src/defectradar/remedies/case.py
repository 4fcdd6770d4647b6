"""A case: one device's purchase and what happened to it, from CASE.json or from the store.

``parse_case`` checks a consumer's CASE.json and names the field of every problem
(``events[2].date: 2020-12-30 is before the purchase date 2021-01-05``).  The rule logic reads
a case through :class:`Claim`: the history up to one event, seen from that event's day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from defectradar.domain.catalog import Catalog, Product
from defectradar.errors import InputError
from defectradar.remedies.jurisdictions import jurisdiction_of
from defectradar.remedies.vocabulary import EVENT_TYPES, REMEDY_OF_EVENT
from defectradar.user_files import read_user_text

_DEVICE_KEYS = ("product", "purchase_date", "jurisdiction", "invoice", "model_discontinued", "manufacture_date",
                "device_id")
_EVENT_KEYS = ("date", "type", "failure_mode", "days_out_of_service", "data_wiped", "component", "serious",
               "minor", "note", "event_id")
#: The failure mode of an event that does not say (a generic fault of the main unit).
UNKNOWN_MODE = "other_defect"


@dataclass(frozen=True)
class Device:
    product: Product
    purchase_date: date
    jurisdiction: str
    invoice: bool = True
    model_discontinued: date | None = None    # the day the same model could no longer be supplied
    manufacture_date: date | None = None
    device_id: str | None = None

    def to_dict(self) -> dict:
        return {"product": self.product.product_id, "product_name": self.product.name,
                "purchase_date": self.purchase_date.isoformat(), "jurisdiction": self.jurisdiction,
                "invoice": self.invoice,
                "model_discontinued": self.model_discontinued.isoformat() if self.model_discontinued else None,
                "device_id": self.device_id}


@dataclass(frozen=True)
class Event:
    date: date
    type: str
    failure_mode: str = UNKNOWN_MODE
    days_out_of_service: int = 0
    data_wiped: bool = False
    component: str | None = None
    serious: bool = False
    minor: bool = False
    note: str | None = None
    event_id: str | None = None

    @property
    def remedy(self) -> str | None:
        return REMEDY_OF_EVENT.get(self.type)

    def to_dict(self) -> dict:
        data = {"date": self.date.isoformat(), "type": self.type, "failure_mode": self.failure_mode,
                "days_out_of_service": self.days_out_of_service, "data_wiped": self.data_wiped}
        for key in ("component", "note", "event_id"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        for key in ("serious", "minor"):
            if getattr(self, key):
                data[key] = True
        return data


@dataclass(frozen=True)
class Case:
    device: Device
    events: tuple[Event, ...]      # sorted by date (stable for same-day events)


def _day(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a date; write YYYY-MM-DD") from None


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}: must be true or false, not {value!r}")
    return value


def _unknown_keys(value: dict, allowed, where: str) -> None:
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise InputError(f"{where}.{unknown[0]}: unknown field; allowed: {', '.join(allowed)}")


def _device(raw: Any, catalog: Catalog, known_jurisdictions) -> Device:
    if not isinstance(raw, dict):
        raise InputError("device: must be an object with product, purchase_date and jurisdiction")
    _unknown_keys(raw, _DEVICE_KEYS, "device")
    for key in ("product", "purchase_date", "jurisdiction"):
        if raw.get(key) in (None, ""):
            raise InputError(f"device.{key}: is required")
    product_id = catalog.resolve(str(raw["product"]))
    if product_id is None:
        raise InputError(f"device.product: unknown product {raw['product']!r}; use a catalog id or name such as "
                         f"'xiaomi-11' or '小米11' (see `defectradar products` or phones.yaml)")
    jurisdiction = jurisdiction_of(str(raw["jurisdiction"]), known_jurisdictions)
    if jurisdiction is None:
        raise InputError(f"device.jurisdiction: no rule sets for {raw['jurisdiction']!r}; known: "
                         f"{', '.join(sorted(known_jurisdictions))} (EU member states such as DE or FR count as EU)")
    discontinued = raw.get("model_discontinued", "catalog")
    if discontinued == "catalog":
        discontinued = catalog.by_id()[product_id].end_of_production
    elif discontinued in (None, False):
        discontinued = None
    else:
        discontinued = _day(discontinued, "device.model_discontinued")
    manufactured = raw.get("manufacture_date")
    return Device(catalog.by_id()[product_id], _day(raw["purchase_date"], "device.purchase_date"), jurisdiction,
                  _flag(raw.get("invoice", True), "device.invoice"), discontinued,
                  _day(manufactured, "device.manufacture_date") if manufactured else None,
                  str(raw["device_id"]) if raw.get("device_id") is not None else None)


def _event(raw: Any, where: str, purchase: date) -> Event:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be an object with date and type")
    _unknown_keys(raw, _EVENT_KEYS, where)
    for key in ("date", "type"):
        if raw.get(key) in (None, ""):
            raise InputError(f"{where}.{key}: is required")
    day = _day(raw["date"], f"{where}.date")
    if day < purchase:
        raise InputError(f"{where}.date: {day} is before the purchase date {purchase}; check both dates")
    if raw["type"] not in EVENT_TYPES:
        raise InputError(f"{where}.type: unknown event type {raw['type']!r}; use one of {', '.join(EVENT_TYPES)}")
    days = raw.get("days_out_of_service", 0)
    if days is None:
        days = 0
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise InputError(f"{where}.days_out_of_service: must be a whole number of days (0 or more), not {days!r}")
    mode = raw.get("failure_mode") or UNKNOWN_MODE
    if not isinstance(mode, str):
        raise InputError(f"{where}.failure_mode: must be a failure mode id such as 'wifi', not {mode!r}")
    text = {k: raw.get(k) for k in ("component", "note", "event_id")}
    for key, value in text.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}.{key}: must be text, not {value!r}")
    return Event(day, raw["type"], mode, days,
                 _flag(raw.get("data_wiped", False), f"{where}.data_wiped"), text["component"],
                 _flag(raw.get("serious", False), f"{where}.serious"),
                 _flag(raw.get("minor", False), f"{where}.minor"), text["note"], text["event_id"])


def parse_case(raw: Any, catalog: Catalog, known_jurisdictions) -> Case:
    """Check a case object (CASE.json's content) and build a :class:`Case`."""
    if not isinstance(raw, dict):
        raise InputError("case: must be a JSON object with 'device' and 'events'")
    _unknown_keys(raw, ("device", "events"), "case")
    device = _device(raw.get("device"), catalog, known_jurisdictions)
    events = raw.get("events", [])
    if not isinstance(events, list):
        raise InputError("events: must be a list of events")
    parsed = [_event(item, f"events[{i}]", device.purchase_date) for i, item in enumerate(events)]
    return Case(device, tuple(sorted(parsed, key=lambda e: e.date)))


def read_case_file(path: str | Path, catalog: Catalog, known_jurisdictions) -> Case:
    """Read and check CASE.json; malformed JSON is reported with its line and column."""
    path = Path(path)
    text = read_user_text(path, "case")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    try:
        return parse_case(raw, catalog, known_jurisdictions)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


@dataclass
class Claim:
    """The case as the rules see it on one event's day: the history before it and the event.

    Periods follow China's Civil Code art. 201 and the usual EU reading: the day of purchase is
    not counted, so "within 7 days" means at most 7 days after the purchase date.
    """

    case: Case
    event: Event
    prior: tuple[Event, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def on(self) -> date:
        return self.event.date

    @property
    def device(self) -> Device:
        return self.case.device

    @property
    def mode(self) -> str:
        return self.event.failure_mode

    @property
    def age_days(self) -> int:
        """Days since purchase (the purchase day not counted)."""
        return (self.on - self.device.purchase_date).days

    def last_exchange(self, component: str | None = None) -> Event | None:
        """The latest exchange of ``component`` (None: the main unit, also when an event names none)."""
        exchanges = [e for e in self.prior if e.type == "exchange"
                     and (e.component in (None, "main_unit") if component in (None, "main_unit")
                          else e.component == component)]
        return exchanges[-1] if exchanges else None

    def unit_start(self, component: str | None = None) -> date:
        """When the unit (or accessory) in the owner's hands started: the purchase, or its latest exchange."""
        last = self.last_exchange(component)
        return last.date if last is not None else self.device.purchase_date

    def prior_of_unit(self) -> tuple[Event, ...]:
        """Events since the main unit in the owner's hands arrived."""
        last = self.last_exchange()
        if last is None:
            return self.prior
        return self.prior[self.prior.index(last) + 1:]

    def repairs(self, mode: str | None = None, unit_only: bool = True) -> list[Event]:
        events = self.prior_of_unit() if unit_only else self.prior
        return [e for e in events if e.type == "repair" and (mode is None or e.failure_mode == mode)]

    def claims(self, mode: str | None = None, types=("repair", "exchange", "refund")) -> list[Event]:
        return [e for e in self.prior if e.type in types and (mode is None or e.failure_mode == mode)]

    def days_out_of_service(self, since: date) -> int:
        return sum(e.days_out_of_service for e in self.prior if e.date >= since)

    def period_end(self, start: date, months: int, extra_days: int = 0) -> date:
        return add_months(start, months) + timedelta(days=extra_days)

    def model_available(self) -> bool:
        discontinued = self.device.model_discontinued
        return discontinued is None or self.on < discontinued
