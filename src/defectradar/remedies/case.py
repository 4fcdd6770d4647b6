"""A case: one device's purchase and what happened to it, from CASE.json or from the store.

``parse_case`` checks a consumer's CASE.json and names the field of every problem
(``events[2].date: 2020-12-30 is before the purchase date 2021-01-05``).  The rule logic reads
a case through :class:`Claim`: the history up to one event, seen from that event's day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from defectradar.core.dates import as_date
from defectradar.domain.catalog import Catalog, Product
from defectradar.errors import InputError
from defectradar.remedies.history import History, history_of
from defectradar.remedies.jurisdictions import jurisdiction_of
from defectradar.remedies.vocabulary import EVENT_TYPES, REMEDY_OF_EVENT
from defectradar.user_files import identifier_kinds, load_user_json, read_user_text, shown

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


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}: must be true or false, not {shown(value)}")
    return value


def _unknown_keys(value: dict, allowed, where: str) -> None:
    unknown = [k for k in value if k not in allowed]
    if unknown:
        kinds = identifier_kinds(str(unknown[0]))
        field_name = f"{where}.{unknown[0]}" if not kinds else f"{where}: a field named with {' and '.join(kinds)}"
        raise InputError(f"{field_name}: unknown field; allowed: {', '.join(allowed)}")


def _device(raw: Any, catalog: Catalog, known_jurisdictions) -> Device:
    if not isinstance(raw, dict):
        raise InputError("device: must be an object with product, purchase_date and jurisdiction")
    _unknown_keys(raw, _DEVICE_KEYS, "device")
    for key in ("product", "purchase_date", "jurisdiction"):
        if raw.get(key) in (None, ""):
            raise InputError(f"device.{key}: is required")
    product_id = catalog.resolve(str(raw["product"]))
    if product_id is None:
        raise InputError(f"device.product: unknown product {shown(raw['product'])}; use a catalog id or name such as "
                         f"'xiaomi-11' or '小米11' (see `defectradar products` or phones.yaml)")
    jurisdiction = jurisdiction_of(str(raw["jurisdiction"]), known_jurisdictions)
    if jurisdiction is None:
        raise InputError(f"device.jurisdiction: no rule sets for {shown(raw['jurisdiction'])}; known: "
                         f"{', '.join(sorted(known_jurisdictions))} (EU member states such as DE or FR count as EU)")
    discontinued = raw.get("model_discontinued", "catalog")
    if discontinued == "catalog":
        discontinued = catalog.by_id()[product_id].end_of_production
    elif discontinued in (None, False):
        discontinued = None
    else:
        discontinued = as_date(discontinued, "device.model_discontinued", required=True)
    manufactured = raw.get("manufacture_date")
    purchased = as_date(raw["purchase_date"], "device.purchase_date", required=True)
    return Device(catalog.by_id()[product_id], purchased, jurisdiction,
                  _flag(raw.get("invoice", True), "device.invoice"), discontinued,
                  as_date(manufactured, "device.manufacture_date", required=True) if manufactured else None,
                  str(raw["device_id"]) if raw.get("device_id") is not None else None)


def _event(raw: Any, where: str, purchase: date) -> Event:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be an object with date and type")
    _unknown_keys(raw, _EVENT_KEYS, where)
    for key in ("date", "type"):
        if raw.get(key) in (None, ""):
            raise InputError(f"{where}.{key}: is required")
    day = as_date(raw["date"], f"{where}.date", required=True)
    if day < purchase:
        raise InputError(f"{where}.date: {day} is before the purchase date {purchase}; check both dates")
    if raw["type"] not in EVENT_TYPES:
        raise InputError(f"{where}.type: unknown event type {shown(raw['type'])}; use one of {', '.join(EVENT_TYPES)}")
    days = raw.get("days_out_of_service", 0)
    if days is None:
        days = 0
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise InputError(f"{where}.days_out_of_service: must be a whole number of days (0 or more), not {shown(days)}")
    mode = raw.get("failure_mode") or UNKNOWN_MODE
    if not isinstance(mode, str):
        raise InputError(f"{where}.failure_mode: must be a failure mode id such as 'wifi', not {shown(mode)}")
    text = {k: raw.get(k) for k in ("component", "note", "event_id")}
    for key, value in text.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}.{key}: must be text, not {shown(value)}")
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
    raw = load_user_json(read_user_text(path, "case"), str(path))
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

    The questions about the past (latest exchange, repairs since, days out of service) go to
    ``history``, over events that ``prior`` is the start of: the engine passes one per case,
    shared by all its claims (:func:`~defectradar.remedies.history.history_of`); without it the
    claim makes its own.  A long case's history answers by bisection, so judging it stays near
    linear in its events.
    """

    case: Case
    event: Event
    prior: tuple[Event, ...]
    notes: list[str] = field(default_factory=list)
    history: History | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.history is None:
            self.history = history_of(self.prior)
        self._end = len(self.prior)
        self._exchanges: dict[str | None, int | None] = {}   # rules ask for the latest exchange often

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

    def _events(self, positions) -> list[Event]:
        events = self.history.events
        return [events[i] for i in positions]

    def _exchange_at(self, component: str | None = None) -> int | None:
        at = self._exchanges.get(component, -1)
        if at == -1:
            at = self._exchanges[component] = self.history.last_exchange(component, self._end)
        return at

    def last_exchange(self, component: str | None = None) -> Event | None:
        """The latest exchange of ``component`` (None: the main unit, also when an event names none)."""
        at = self._exchange_at(component)
        return None if at is None else self.history.events[at]

    def unit_start(self, component: str | None = None) -> date:
        """When the unit (or accessory) in the owner's hands started: the purchase, or its latest exchange."""
        last = self.last_exchange(component)
        return last.date if last is not None else self.device.purchase_date

    def _unit_from(self) -> int:
        at = self._exchange_at()
        return 0 if at is None else at + 1

    def prior_of_unit(self) -> tuple[Event, ...]:
        """Events since the main unit in the owner's hands arrived."""
        return self.prior[self._unit_from():]

    def repairs(self, mode: str | None = None, unit_only: bool = True) -> list[Event]:
        start = self._unit_from() if unit_only else 0
        return self._events(self.history.of_types(("repair",), mode, start, self._end))

    def repair_count(self, mode: str | None = None, unit_only: bool = True) -> int:
        """``len(self.repairs(mode, unit_only))`` without building the list."""
        start = self._unit_from() if unit_only else 0
        return self.history.count_of_types(("repair",), mode, start, self._end)

    def claims(self, mode: str | None = None, types=("repair", "exchange", "refund")) -> list[Event]:
        return self._events(self.history.of_types(types, mode, 0, self._end))

    def claim_count(self, mode: str | None = None, types=("repair", "exchange", "refund")) -> int:
        """``len(self.claims(mode, types))`` without building the list."""
        return self.history.count_of_types(types, mode, 0, self._end)

    def last_claim(self, mode: str | None = None, types=("repair", "exchange", "refund")) -> Event | None:
        """``self.claims(mode, types)[-1]``, or None when there is none."""
        at = self.history.last_of_types(types, mode, self._end)
        return None if at is None else self.history.events[at]

    def exchanges_of(self, component: str) -> int:
        """How many earlier exchanges named ``component`` (None or ``main_unit``: the main unit)."""
        return self.history.exchange_count(component, self._end)

    def last_slow_repair(self, mode: str | None, limit: int) -> Event | None:
        """The latest earlier repair (of ``mode``) that kept the device more than ``limit`` days."""
        at = self.history.last_slow_repair(mode, limit, self._end)
        return None if at is None else self.history.events[at]

    def data_wipes(self) -> list[Event]:
        """Earlier events in which the owner's data was wiped."""
        return self._events(self.history.wiped(self._end))

    def days_out_of_service(self, since: date) -> int:
        return self.history.days_out_of_service(since, self._end)

    def period_end(self, start: date, months: int, extra_days: int = 0) -> date:
        return add_months(start, months) + timedelta(days=extra_days)

    def model_available(self) -> bool:
        discontinued = self.device.model_discontinued
        return discontinued is None or self.on < discontinued
