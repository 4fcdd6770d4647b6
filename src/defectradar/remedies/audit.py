"""Audit the store: judge every device's after-sales history and count where treatment fell short.

Each device token's service events become one :class:`~defectradar.remedies.case.Case` (store
actions mapped to case events by :data:`~defectradar.remedies.vocabulary.EVENT_OF_ACTION`), judged
by :func:`~defectradar.remedies.engine.judge_case` under the rules of its jurisdiction in force on
each day.  Every step that fell short (a lesser remedy than the law or a policy owed, or a refusal
while something was owed) becomes a :class:`ShortfallRow`; the report counts them by product,
deciding rule and period, and counts the data wipes.

The deciding rule
-----------------
Several provisions may be breached by one visit.  The row names the *least demanding provision
the remedy given fell short of*: among the hits that alone make the step a shortfall (they offer
a remedy stronger than the one given and not the one given; for a refusal, any remedy), statutes
before manufacturer policies, then the hit whose strongest remedy is weakest.  So a third Wi-Fi
repair of a discontinued Xiaomi 11 is counted under ``cn-phone.exchange-after-two-repairs`` (art.
13: an exchange was owed) rather than ``cn-phone.refund-when-model-unavailable`` (art. 18), which
only turns that exchange into a refund because the model is gone; the row's ``due`` and
``best_due`` still show the refund.  The count by rule then does not jump when a model leaves
production, and the 2022-09-15 policy cut shows as art. 13 shortfalls.

:func:`device_cases` is the one step that turns service events into the devices' cases (which
events are left out and why, each device's jurisdiction, the case); the lemons
(:mod:`defectradar.analyses.lemons`) and a single device's check (:mod:`defectradar.analyses.device`)
build theirs with it too, so all judge the same cases.

Examples
--------
>>> report = audit_histories(events, builtin_rule_book(), builtin_catalog())  # doctest: +SKIP
>>> report.to_dict(limit=20)["groups"][:3]                                     # doctest: +SKIP

:func:`defectradar.analyses.audit.audit_store` reads the events from the store and calls
:func:`audit_histories`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from defectradar.core.dates import as_date
from defectradar.domain.catalog import Catalog
from defectradar.errors import InputError
from defectradar.remedies.case import UNKNOWN_MODE, Case, Device, Event
from defectradar.remedies.engine import Step, judge_case
from defectradar.remedies.jurisdictions import jurisdiction_of
from defectradar.remedies.rule_book import RuleBook
from defectradar.remedies.vocabulary import EVENT_OF_ACTION

#: The service-event columns a device's case is built from (``service_histories()`` returns them).
EVENT_COLUMNS = ("event_id", "device_token", "product_id", "purchase_date", "date", "failure_mode", "action",
                 "days_out_of_service", "data_wiped", "region")
#: How shortfalls are grouped in time.
PERIODS = ("quarter", "month", "year")
#: The kinds of shortfall, in the order reports show them.
KINDS = ("lesser_remedy", "refused")
#: Why events are left out of the judging, in the order they are tested (:func:`device_cases`).
LEFT_OUT_REASONS = ("no_date", "after_as_of", "unknown_action", "unknown_product", "no_purchase_date",
                    "before_purchase", "unknown_jurisdiction")
_PROGRESS_EVERY = 500       # devices between progress updates


def period_label(day: date, period: str) -> str:
    """``2022-Q4``, ``2022-10`` or ``2022`` for ``day``."""
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return str(day.year)


@dataclass(frozen=True)
class ShortfallRow:
    """One visit that fell short of what was due."""

    device_token: str
    product_id: str
    date: date
    period: str
    failure_mode: str
    event: str                    # case event type: repair, exchange, refund, refused
    given: str | None             # the remedy given (None for a refusal)
    due: tuple[str, ...]          # every remedy due, strongest first
    best_due: str
    shortfall_kind: str           # lesser_remedy | refused
    rule: str                     # the deciding rule (see the module docstring)
    rule_set: str
    rule_kind: str                # statute | manufacturer_policy
    policy: str | None            # the manufacturer policy in force for the claim, if any
    policy_version: date | None   # the day that policy's version in force began
    data_wiped: bool
    event_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"device_token": self.device_token, "product": self.product_id, "date": self.date.isoformat(),
                "period": self.period, "failure_mode": self.failure_mode, "event": self.event,
                "given": self.given, "due": list(self.due), "best_due": self.best_due,
                "shortfall_kind": self.shortfall_kind, "rule": self.rule, "rule_set": self.rule_set,
                "rule_kind": self.rule_kind, "policy": self.policy,
                "policy_version": self.policy_version.isoformat() if self.policy_version else None,
                "data_wiped": self.data_wiped, "event_id": self.event_id}


@dataclass
class AuditReport:
    """Every device of the store judged: the shortfalls, their counts and the data wipes.

    ``left_out`` counts the *events* not judged, by reason (``no_purchase_date``,
    ``before_purchase``, ``unknown_product``, ``unknown_jurisdiction``, ``unknown_action``,
    ``after_as_of``); ``defaulted`` counts the devices judged under ``jurisdiction_default``
    because their region named no known jurisdiction.
    """

    as_of: date | None
    period: str = "quarter"
    devices: int = 0
    events: int = 0
    rows: list[ShortfallRow] = field(default_factory=list)
    wiped_events: int = 0
    wiped_devices: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    jurisdictions: dict[str, int] = field(default_factory=dict)     # devices judged per jurisdiction
    jurisdiction_default: str | None = None
    defaulted: int = 0
    policies: list[tuple[str, list[date]]] = field(default_factory=list)   # manufacturer policies, versions

    @property
    def shortfalls(self) -> int:
        return len(self.rows)

    @property
    def devices_short(self) -> int:
        return len({r.device_token for r in self.rows})

    @property
    def by_kind(self) -> dict[str, int]:
        """Shortfall steps by kind (every kind present, zero when none)."""
        counts = Counter(r.shortfall_kind for r in self.rows)
        return {kind: counts.get(kind, 0) for kind in KINDS}

    @property
    def devices_by_kind(self) -> dict[str, int]:
        """Devices with at least one shortfall of each kind."""
        return {kind: len({r.device_token for r in self.rows if r.shortfall_kind == kind}) for kind in KINDS}

    def count_by(self, *fields: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Shortfall steps and distinct devices by the :class:`ShortfallRow` ``fields`` (of ``kind``
        when given), sorted by the fields (None first).  Dates come out as ISO text."""
        known = ShortfallRow.__dataclass_fields__
        unknown = [f for f in fields if f not in known]
        if unknown:
            raise InputError(f"cannot count by {unknown[0]!r}; use fields of a shortfall row: {', '.join(known)}")
        steps: Counter = Counter()
        devices: dict[tuple, set] = {}
        for r in self.rows:
            if kind is None or r.shortfall_kind == kind:
                key = tuple(getattr(r, f) for f in fields)
                steps[key] += 1
                devices.setdefault(key, set()).add(r.device_token)

        def text(value):
            return value.isoformat() if isinstance(value, date) else value

        ordered = sorted(steps, key=lambda key: tuple((v is not None, text(v)) for v in key))
        return [{**{f: text(v) for f, v in zip(fields, key)}, "devices": len(devices[key]), "steps": steps[key]}
                for key in ordered]

    @property
    def groups(self) -> list[dict[str, Any]]:
        """Counts by product, deciding rule, shortfall kind and period (devices are distinct tokens).

        Sorted by product, rule, kind and period, so each product x rule reads as a time series.
        """
        return [{"product": g["product_id"], "rule": g["rule"], "kind": g["shortfall_kind"], "period": g["period"],
                 "devices": g["devices"], "steps": g["steps"]}
                for g in self.count_by("product_id", "rule", "shortfall_kind", "period")]

    @property
    def policy_versions(self) -> list[dict[str, Any]]:
        """For every version of every manufacturer policy judged by: the shortfalls on claims it
        governed (``lesser_remedy`` and ``refused`` steps, distinct devices), zeros included, so a
        policy change (Xiaomi's 2022-09-15 cut) shows as counts before and after."""
        counted = {(g["policy"], g["policy_version"], g["shortfall_kind"]): g
                   for g in self.count_by("policy", "policy_version", "shortfall_kind")}
        devices = {(g["policy"], g["policy_version"]): g["devices"] for g in self.count_by("policy", "policy_version")}
        return [{"policy": policy, "version": version.isoformat(),
                 "devices": devices.get((policy, version.isoformat()), 0),
                 **{k: counted.get((policy, version.isoformat(), k), {}).get("steps", 0) for k in KINDS}}
                for policy, versions in self.policies for version in versions]

    def top_groups(self, n: int = 10, kind: str | None = None) -> list[dict[str, Any]]:
        """The ``n`` groups with most shortfall steps (of ``kind`` when given)."""
        groups = [g for g in self.groups if kind is None or g["kind"] == kind]
        return sorted(groups, key=lambda g: (-g["steps"], -g["devices"], g["product"], g["rule"], g["period"]))[:n]

    @property
    def summary(self) -> pd.DataFrame:
        """:attr:`groups` as a DataFrame."""
        return pd.DataFrame(self.groups, columns=["product", "rule", "kind", "period", "devices", "steps"])

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-safe report; ``rows`` holds the first ``limit`` shortfalls (all when None)."""
        rows = self.rows if limit is None else self.rows[:max(limit, 0)]
        return {"as_of": self.as_of.isoformat() if self.as_of else None, "period": self.period,
                "devices": self.devices, "events": self.events, "devices_short": self.devices_short,
                "shortfalls": self.shortfalls, "by_kind": self.by_kind, "devices_by_kind": self.devices_by_kind,
                "data_wipes": {"events": self.wiped_events, "devices": self.wiped_devices},
                "groups": self.groups, "left_out": dict(self.left_out),
                "jurisdictions": dict(self.jurisdictions),
                "jurisdiction_default": {"jurisdiction": self.jurisdiction_default, "devices": self.defaulted},
                "policy_versions": self.policy_versions,
                "rows": [r.to_dict() for r in rows], "rows_total": len(self.rows)}


# --- the deciding rule and the policy in force ------------------------------------------------------------------

def policy_in_force(book: RuleBook, case: Case, event: Event) -> tuple[str | None, date | None]:
    """The manufacturer policy covering ``event`` and the first day of its version then in force."""
    device = case.device
    for rule_set in sorted(book.applicable(device.jurisdiction, device.product.product_id, event.failure_mode,
                                           event.date, device.purchase_date), key=lambda rs: rs.id):
        if rule_set.kind == "manufacturer_policy":
            return rule_set.id, version_in_force(rule_set, device, event)
    return None, None


def version_in_force(rule_set, device: Device, event: Event) -> date:
    """The first day of ``rule_set``'s version in force for the claim: on the purchase day or
    the claim's day, as the rule set applies."""
    day = device.purchase_date if rule_set.applies_by == "purchase" else event.date
    started = [v for v in rule_set.versions() if v <= day]
    return started[-1] if started else rule_set.effective_from


# --- the devices' cases -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceHistory:
    """One device's events to judge (rows ``start:stop`` of :attr:`DeviceCases.frame`).

    ``position`` is its place (from 1) among every device of the events, those left out for
    their jurisdiction included, as progress counts them; ``defaulted`` says it is judged under
    the default jurisdiction because its region named none the rule book knows.
    """

    position: int
    start: int
    stop: int
    jurisdiction: str
    defaulted: bool

    @property
    def events(self) -> int:
        return self.stop - self.start


@dataclass
class DeviceCases:
    """Service events grouped into one :class:`~defectradar.remedies.case.Case` per device.

    Built by :func:`device_cases`; :meth:`case` builds a device's case when it is to be judged
    (most devices have one event, and a caller may judge only some).

    Attributes
    ----------
    frame
        The events judged, sorted by device token, date and event id.
    devices
        The devices to judge, by token.
    total
        Every device with events to judge, those left out for their jurisdiction included.
    left_out
        Events not judged, by reason (each event under its first reason only): ``no_date``,
        ``after_as_of``, ``unknown_action``, ``unknown_product``, ``no_purchase_date``,
        ``before_purchase``, ``unknown_jurisdiction``.
    defaulted
        Devices judged under the default jurisdiction.
    """

    frame: pd.DataFrame
    products: dict
    devices: list[DeviceHistory] = field(default_factory=list)
    total: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    defaulted: int = 0

    def __post_init__(self) -> None:
        # Read the columns once: one pandas access per device would cost more than judging it.
        frame = self.frame
        self._columns = {c: frame[c].to_numpy() for c in ("event_id", "device_token", "product_id", "failure_mode",
                                                           "action", "data_wiped")}
        self._days = [d.date() for d in frame["date"]]
        self._bought = [d.date() for d in frame["purchase_date"]]
        self._out_days = np.nan_to_num(pd.to_numeric(frame["days_out_of_service"], errors="coerce")
                                       .to_numpy(dtype=float))

    def case(self, device: DeviceHistory) -> Case:
        """The device's case; its product and purchase date are its first event's."""
        columns, start = self._columns, device.start
        product = self.products[columns["product_id"][start]]    # one product per token (the first event's)
        owner = Device(product, self._bought[start], device.jurisdiction, True, product.end_of_production, None,
                       str(columns["device_token"][start]))
        return Case(owner, tuple(
            Event(self._days[i], EVENT_OF_ACTION[columns["action"][i]], columns["failure_mode"][i] or UNKNOWN_MODE,
                  int(self._out_days[i]), bool(columns["data_wiped"][i]), event_id=str(columns["event_id"][i]))
            for i in range(start, device.stop)))


def latest_event_date(events: pd.DataFrame) -> date | None:
    """The day of the latest dated event (what the audit and the lemons judge up to by default)."""
    days = pd.to_datetime(events["date"], errors="coerce")
    return days.max().date() if days.notna().any() else None


def _count(left_out: dict[str, int], reason: str, mask: np.ndarray) -> np.ndarray:
    if mask.any():
        left_out[reason] = left_out.get(reason, 0) + int(mask.sum())
    return mask


def device_cases(events: pd.DataFrame, book: RuleBook, catalog: Catalog, *, as_of: date | None,
                 jurisdiction_default: str | None) -> DeviceCases:
    """The devices of ``events`` (columns :data:`EVENT_COLUMNS`) to judge, as the audit and the
    lemons judge them: the same events left out, the same jurisdiction, the same case.

    Parameters
    ----------
    events
        One row per service event (the frame of
        :func:`~defectradar.query.service_histories.service_histories`).
    book, catalog
        The rule sets (their jurisdictions) and the products.
    as_of
        Events after this day are left out (``after_as_of``); None keeps every dated event.
    jurisdiction_default
        A jurisdiction of ``book`` for devices whose region names none it knows; None leaves
        their events out (``unknown_jurisdiction``).
    """
    frame = events.copy()
    for column in ("date", "purchase_date"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    products = catalog.by_id()
    left_out: dict[str, int] = {}
    bad = np.zeros(len(frame), dtype=bool)
    for reason, mask in (                               # each event counted under its first reason only
            ("no_date", frame["date"].isna()),
            ("after_as_of", frame["date"] > pd.Timestamp(as_of) if as_of else frame["date"].isna()),
            ("unknown_action", ~frame["action"].isin(list(EVENT_OF_ACTION))),
            ("unknown_product", ~frame["product_id"].isin(list(products))),
            ("no_purchase_date", frame["purchase_date"].isna()),
            ("before_purchase", frame["date"] < frame["purchase_date"])):
        bad |= _count(left_out, reason, mask.to_numpy(dtype=bool) & ~bad)
    frame = frame[~bad].sort_values(["device_token", "date", "event_id"], kind="mergesort").reset_index(drop=True)
    cases = DeviceCases(frame, products, left_out=left_out)
    if frame.empty:
        return cases
    tokens = frame["device_token"].to_numpy()
    starts = np.flatnonzero(np.r_[True, tokens[1:] != tokens[:-1]])
    stops = np.r_[starts[1:], len(frame)]
    regions = frame["region"].to_numpy()
    cases.total = len(starts)
    for position, (start, stop) in enumerate(zip(starts, stops), 1):
        known = [r for r in regions[start:stop] if r is not None and r == r]
        jurisdiction = jurisdiction_of(known[0], book.jurisdictions) if known else None
        defaulted = jurisdiction is None
        if defaulted:
            if jurisdiction_default is None:
                left_out["unknown_jurisdiction"] = left_out.get("unknown_jurisdiction", 0) + int(stop - start)
                continue
            jurisdiction = jurisdiction_default
            cases.defaulted += 1
        cases.devices.append(DeviceHistory(position, int(start), int(stop), jurisdiction, defaulted))
    return cases


# --- the audit ----------------------------------------------------------------------------------------------------

class _CallbackProgress:
    """A plain ``callback(done, total)`` seen through the :class:`~defectradar.progress.Progress` protocol."""

    def __init__(self, callback):
        self.callback, self.total = callback, 0

    def start(self, label: str, total: int) -> None:
        self.total = total
        self.callback(0, total)

    def update(self, done: int, rows: int | None = None) -> None:
        self.callback(done, self.total)

    def finish(self) -> None:
        pass


def as_progress(progress):
    if progress is None or hasattr(progress, "start"):
        return progress
    if callable(progress):
        return _CallbackProgress(progress)
    raise InputError(f"progress: give a Progress (start/update/finish) or a callable(done, total), not {progress!r}")


@dataclass
class AuditPart:
    """The judgement of some devices (whole histories): what :class:`AuditReport` adds up.

    The audit of a cluster's store is made of parts judged where the events are
    (:func:`~defectradar.query.service_histories.map_device_histories`); :meth:`add` sums them.
    """

    rows: list[ShortfallRow] = field(default_factory=list)
    devices: int = 0
    total: int = 0
    read: int = 0                 # device tokens read, those whose events were all left out included
    events: int = 0
    wiped_events: int = 0
    wiped_devices: int = 0
    defaulted: int = 0
    left_out: Counter = field(default_factory=Counter)
    jurisdictions: Counter = field(default_factory=Counter)

    def add(self, other: "AuditPart") -> "AuditPart":
        self.rows.extend(other.rows)
        for name in ("devices", "total", "read", "events", "wiped_events", "wiped_devices", "defaulted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.left_out.update(other.left_out)
        self.jurisdictions.update(other.jurisdictions)
        return self


@dataclass(frozen=True)
class AuditJudge:
    """Judges a frame of whole device histories into an :class:`AuditPart` (a picklable
    callable: Spark runs it in its executors)."""

    book: RuleBook
    catalog: Catalog
    as_of: date | None
    jurisdiction_default: str | None
    period: str = "quarter"
    lang: str = "en"

    def __call__(self, events: pd.DataFrame, progress=None) -> AuditPart:
        cases = device_cases(events, self.book, self.catalog, as_of=self.as_of,
                             jurisdiction_default=self.jurisdiction_default)
        part = AuditPart(total=cases.total, read=int(events["device_token"].nunique()), defaulted=cases.defaulted,
                         left_out=Counter(cases.left_out))
        if cases.frame.empty:
            return part
        if progress:
            progress.start("remedies audit", cases.total)
        for device in cases.devices:
            case = cases.case(device)
            judgement = judge_case(self.book, case, as_of=self.as_of, lang=self.lang)
            part.jurisdictions[device.jurisdiction] += 1
            part.devices += 1
            part.events += len(judgement.steps)
            wipes = len(judgement.data_wipes)
            part.wiped_events += wipes
            part.wiped_devices += wipes > 0
            part.rows.extend(_row(self.book, case, step, self.period) for step in judgement.shortfalls)
            if progress and (device.position % _PROGRESS_EVERY == 0 or device.position == cases.total):
                progress.update(device.position)
        if progress:
            progress.finish()
        return part


def check_audit_options(book: RuleBook, jurisdiction_default: str | None, period: str) -> str | None:
    """The default jurisdiction as the book names it; an :class:`InputError` for an unknown
    period or a jurisdiction without rule sets."""
    if period not in PERIODS:
        raise InputError(f"period: {period!r} is not a period; use one of {', '.join(PERIODS)}")
    if jurisdiction_default is None:
        return None
    default = jurisdiction_of(jurisdiction_default, book.jurisdictions)
    if default is None:
        raise InputError(f"jurisdiction_default: no rule sets for {jurisdiction_default!r}; known: "
                         f"{', '.join(sorted(book.jurisdictions))}")
    return default


def audit_report(part: AuditPart, book: RuleBook, *, as_of: date | None, period: str,
                 jurisdiction_default: str | None) -> AuditReport:
    """The :class:`AuditReport` of the judged devices (``part``: every part added up)."""
    left_out = {reason: part.left_out[reason] for reason in LEFT_OUT_REASONS if part.left_out.get(reason)}
    report = AuditReport(as_of=as_of, period=period, left_out=left_out,
                         jurisdiction_default=jurisdiction_default, defaulted=part.defaulted,
                         policies=[(rs.id, rs.versions()) for rs in sorted(book, key=lambda rs: rs.id)
                                   if rs.kind == "manufacturer_policy"])
    report.devices, report.events = part.devices, part.events
    report.wiped_events, report.wiped_devices = part.wiped_events, part.wiped_devices
    report.jurisdictions = dict(sorted(part.jurisdictions.items()))
    report.rows = sorted(part.rows, key=lambda r: (r.date, r.device_token, r.event_id or ""))
    return report


def audit_histories(events: pd.DataFrame, book: RuleBook, catalog: Catalog, *, as_of=None,
                    jurisdiction_default: str | None = "CN", period: str = "quarter", progress=None,
                    lang: str = "en") -> AuditReport:
    """Judge every device of ``events`` (the frame of
    :func:`~defectradar.query.service_histories.service_histories`) and report the shortfalls.

    Parameters
    ----------
    events
        One row per service event with ``event_id, device_token, product_id, purchase_date,
        date, failure_mode, action, days_out_of_service, data_wiped, region``.
    book, catalog
        The rule sets to judge by and the products (for end of production: art. 18).
    as_of
        Judge events up to this day; default the latest event date in ``events``.
    jurisdiction_default
        The jurisdiction of devices whose region names none the book knows (None: leave their
        events out, counted as ``unknown_jurisdiction``).
    period
        ``quarter``, ``month`` or ``year``: how shortfalls are grouped in time.
    progress
        A :class:`~defectradar.progress.Progress` (or a ``callable(done, total)``), by devices.

    Returns
    -------
    AuditReport

    Notes
    -----
    One Python loop over devices (:class:`AuditJudge`); each event is judged against the rule
    sets in force on its day.  About 26,000 devices and 30,000 events (the default simulated
    world) take about 2 s; `benchmarks/remedies.py` measures 25,000 events/s.  A store's audit
    (:func:`defectradar.analyses.audit.audit_store`) judges the devices in parts where the
    engine holds them and adds the parts up the same way.
    """
    default = check_audit_options(book, jurisdiction_default, period)
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise InputError(f"service events lack the column(s) {', '.join(missing)} (service_histories() gives them)")
    as_of = as_date(as_of, "as_of")
    if as_of is None:
        as_of = latest_event_date(events)
    judge = AuditJudge(book, catalog, as_of, default, period, lang)
    part = judge(events, as_progress(progress))
    return audit_report(part, book, as_of=as_of, period=period, jurisdiction_default=default)


def _row(book: RuleBook, case: Case, step: Step, period: str) -> ShortfallRow:
    hit = step.deciding_hit()
    policy, version = policy_in_force(book, case, step.event)
    event = step.event
    return ShortfallRow(case.device.device_id, case.device.product.product_id, event.date,
                        period_label(event.date, period), event.failure_mode, event.type, step.given,
                        tuple(step.due), step.due[0], step.shortfall_kind, hit.rule.id, hit.rule_set.id,
                        hit.rule_set.kind, policy, version, event.data_wiped, event.event_id)
