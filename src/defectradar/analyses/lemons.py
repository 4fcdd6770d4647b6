"""Lemons: devices owed an exchange or a refund because a fault kept coming back.

The law lives in one place: the dated rule sets of :mod:`defectradar.remedies`
(``remedies/policies/*.yaml``, plus the ``rules_dir`` setting).  This module does not restate
any of it.  It judges every device's service history with the remedies engine exactly as
``defectradar remedies audit`` does, and calls a device a *lemon* when the engine judged that
an **exchange or a refund became due because the fault came back after earlier remedies**:

* ``fault_persists`` -- China's mobile phone three guarantees, art. 13
  (``cn_phone.exchange_after_repairs``): within the three-guarantee period, counted from the
  invoice, extended by the days in repair and restarted by an exchange, a performance fault
  after two repairs of the unit in hand owes a free exchange (art. 18 turns it into a refund
  when the model is no longer made);
* ``fault_recurred`` -- EU 2019/771 art. 13(4)(b) and 1999/44 art. 3(5)
  (``eu_sale.reappeared``): within the liability period, a defect that reappears after a repair
  or replacement gives the right to terminate (a refund);
* ``repeat_failure`` -- a manufacturer policy more favourable than the law
  (``policy.repeat_failure``, e.g. Xiaomi's Wi-Fi policy before 2022-09-15): the fault back
  after an earlier remedy, within the policy's cover, gives an exchange or a refund.

Which provisions count is the registry :data:`REPEAT_PROVISIONS`, keyed by the rule ``logic``
a rule set names, so a user's own rule set that uses these functions counts too.  A provision
whose remedies that day hold neither an exchange nor a refund (Xiaomi's policy from
2022-09-15, an EU defect judged minor) makes no lemon.  Not counted: an accessory exchanged
twice (art. 14 refunds the accessory, not the phone) and a single repair over 60 days (art. 16
is about waiting for parts, not about a fault coming back).

There is no US rule: no dated US rule set exists.  State lemon laws and the Magnuson-Moss
"full warranty" remedy (15 U.S.C. §2304(a)(4)) cover motor vehicles and full warranties, not
the limited warranties phones carry; the analogy the old hard-coded ``us`` rule drew is left to
a user who writes it as a rule set (``--config``).

Each hit names the rule that made the device a lemon (rule id, rule set, its citation and
effective dates, the version of its parameters in force), the day it qualified, the earlier
remedies the provision counted and the engine's own sentence.  Events the engine cannot judge
are counted in ``skipped`` with the audit's reasons, never dropped silently.

Examples
--------
>>> rules = load_lemon_rules("cn")                                   # doctest: +SKIP
>>> result = find_lemons(service_histories(con), rules)               # doctest: +SKIP
>>> result[0].rule, result[0].first_hit_date                         # doctest: +SKIP
('cn-phone.exchange-after-two-repairs', datetime.date(2021, 11, 1))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable

import pandas as pd

from defectradar.core.dates import as_date
from defectradar.domain.catalog import Catalog, builtin_catalog
from defectradar.errors import InputError
from defectradar.query.service_histories import check_mode, check_product, latest_service_date, map_device_histories
from defectradar.remedies.audit import (
    EVENT_COLUMNS,
    LEFT_OUT_REASONS,
    device_cases,
    latest_event_date,
    version_in_force,
)
from defectradar.remedies.case import Case, Claim, Event
from defectradar.remedies.engine import Judgement, RuleHit, Step, judge_case
from defectradar.remedies.explain import rule_text
from defectradar.remedies.jurisdictions import jurisdiction_of
from defectradar.remedies.rule_book import RuleBook, builtin_rule_book
from defectradar.remedies.rule_sets import RuleSet, parse_rule_set
from defectradar.remedies.vocabulary import RANK, by_rank
from defectradar.user_files import read_user_text

#: Remedies that make a device a lemon when a repeat provision owes them.
LEMON_REMEDIES = frozenset({"exchange", "refund"})


@dataclass(frozen=True)
class RepeatProvision:
    """A rule logic that owes more because a fault came back, and what it counted.

    Every provision registered needs an earlier remedy of the same fault on the device: the
    search relies on it to skip devices with a single service event.
    """

    criterion: str
    counted: Callable[[Claim], list[Event]]    # the earlier remedies of the fault the provision counts
    description: str


#: Rule logic name -> the repeat provision it decides (the extension point; built-ins use it too).
REPEAT_PROVISIONS: dict[str, RepeatProvision] = {}


def register_repeat_provision(logic: str, provision: RepeatProvision) -> None:
    """Count hits of the rule logic ``logic`` (see :mod:`defectradar.remedies.logic`) as lemons."""
    if logic in REPEAT_PROVISIONS and REPEAT_PROVISIONS[logic] != provision:
        raise ValueError(f"repeat provision {logic!r} is registered twice")
    REPEAT_PROVISIONS[logic] = provision


register_repeat_provision("cn_phone.exchange_after_repairs", RepeatProvision(
    "fault_persists", lambda claim: claim.repairs(claim.mode),
    "a performance fault after two repairs of the unit in hand, inside the three-guarantee period"))
register_repeat_provision("eu_sale.reappeared", RepeatProvision(
    "fault_recurred", lambda claim: claim.claims(claim.mode, types=("repair", "exchange")),
    "a lack of conformity that reappears after a repair or replacement, inside the liability period"))
register_repeat_provision("policy.repeat_failure", RepeatProvision(
    "repeat_failure", lambda claim: claim.claims(claim.mode),
    "a manufacturer policy's remedy for the fault back after an earlier remedy, inside its cover"))


@dataclass
class LemonHit:
    """One device made a lemon by one provision for one failure mode, the first day it applied.

    Attributes
    ----------
    rule
        The provision's id (``cn-phone.exchange-after-two-repairs``), as ``remedies audit`` rows
        name it; ``rule_set``, ``citation``, ``effective_from``/``effective_to`` and
        ``version_from`` (the first day of the parameters' version in force) say where it comes from.
    first_hit_date
        The day the exchange or refund became due (the visit the engine judged it on).
    event_ids
        The earlier remedies of the fault the provision counted, then the qualifying visit.
    repairs
        How many earlier remedies it counted: repairs of the unit in hand (China), repairs and
        replacements (EU), any remedy (a manufacturer policy).
    remedies, due, given, shortfall
        What the provision owed, everything owed that day, what the visit gave and whether that
        fell short (``remedies audit`` counts the visit when it did).
    """

    device_token: str
    product_id: str | None
    failure_mode: str
    rule: str
    criterion: str
    reason: str
    event_ids: list[str]
    first_hit_date: date
    purchase_date: date | None
    jurisdiction: str
    rule_set: str
    rule_set_kind: str
    citation: str
    reference: str
    effective_from: date
    effective_to: date | None
    version_from: date
    remedies: list[str]
    due: list[str]
    given: str | None
    shortfall: bool
    repairs: int

    def to_dict(self) -> dict[str, Any]:
        def day(value):
            return value.isoformat() if value else None

        return {"device_token": self.device_token, "product_id": self.product_id,
                "failure_mode": self.failure_mode, "rule": self.rule, "criterion": self.criterion,
                "reason": self.reason, "event_ids": list(self.event_ids),
                "first_hit_date": day(self.first_hit_date), "purchase_date": day(self.purchase_date),
                "jurisdiction": self.jurisdiction, "rule_set": self.rule_set, "rule_set_kind": self.rule_set_kind,
                "citation": self.citation, "reference": self.reference,
                "effective_from": day(self.effective_from), "effective_to": day(self.effective_to),
                "version_from": day(self.version_from), "remedies": list(self.remedies), "due": list(self.due),
                "given": self.given, "shortfall": self.shortfall, "repairs": self.repairs}


def _repeat_logic(rule_set: RuleSet) -> list:
    """The rule set's provisions that count as lemons (their logic is a repeat provision)."""
    return [rule for rule in rule_set.rules if rule.logic in REPEAT_PROVISIONS]


@dataclass(frozen=True)
class LemonRules:
    """The rule book lemons are judged by and which lemons to report.

    ``names`` are lower-case jurisdictions (``cn``, ``eu``) or rule set ids; a hit is reported
    under every name that is its rule set's jurisdiction or id.  Build with :func:`load_lemon_rules`.
    """

    book: RuleBook
    names: tuple[str, ...]

    def names_of(self, rule_set: RuleSet) -> list[str]:
        """The selected names a hit of ``rule_set`` counts under."""
        return [n for n in self.names if n in (rule_set.jurisdiction.lower(), rule_set.id)]

    @property
    def jurisdictions(self) -> frozenset[str]:
        """Jurisdictions whose devices can give a reported hit (the others need not be judged)."""
        return frozenset(rs.jurisdiction for rs in self.book if self.names_of(rs))

    def rule_sets(self, name: str) -> list[RuleSet]:
        """Rule sets under ``name`` with at least one repeat provision, by id."""
        return sorted((rs for rs in self.book if name in self.names_of(rs) and _repeat_logic(rs)),
                      key=lambda rs: rs.id)

    def to_dict(self) -> dict[str, Any]:
        def rule_set(rs: RuleSet) -> dict[str, Any]:
            return {"id": rs.id, "kind": rs.kind, "title": rs.title_in("en"), "jurisdiction": rs.jurisdiction,
                    "citation": rs.citation(), "effective_from": rs.effective_from.isoformat(),
                    "effective_to": rs.effective_to.isoformat() if rs.effective_to else None,
                    "versions": [v.isoformat() for v in rs.versions()],
                    "provisions": [{"id": r.id, "reference": r.reference,
                                    "criterion": REPEAT_PROVISIONS[r.logic].criterion,
                                    "description": REPEAT_PROVISIONS[r.logic].description}
                                   for r in _repeat_logic(rs)]}

        document = {}
        for name in self.names:
            sets = self.rule_sets(name)
            document[name] = {
                "citation": "; ".join(rs.citation() for rs in sets),
                "description": "an exchange or refund the remedies engine judged due because the fault came "
                               "back after earlier remedies, under " + (", ".join(rs.id for rs in sets) or "no rule set"),
                "rule_sets": [rule_set(rs) for rs in sets]}
        return document


def load_lemon_rules(names: str | Iterable[str] | None = None, config_path=None,
                     book: RuleBook | None = None) -> LemonRules:
    """The rule book to judge by and the lemons to report.

    Parameters
    ----------
    names
        Jurisdictions (``cn``, ``eu``; a member state such as ``de`` means ``eu``) or rule set
        ids, as a list or one comma-separated string; None: every jurisdiction of the book.
    config_path
        A rule set YAML file (the format of ``remedies/policies``) judged by as well; one with a
        built-in id replaces it, e.g. the China file with a longer warranty.
    book
        The rule sets (default: the built-in ones; the CLI passes the ``rules_dir`` setting's).

    Raises
    ------
    InputError
        For a name that is neither a jurisdiction of the book nor a rule set id, naming the
        choices; for a rule set file that does not parse (file, line and fix).
    """
    book = book if book is not None else builtin_rule_book()
    if config_path is not None:
        book = book.with_rule_set(parse_rule_set(read_user_text(config_path, "rule set"), str(config_path)))
    known = sorted(j.lower() for j in book.jurisdictions)
    ids = sorted(rs.id for rs in book)
    choices = f"use any of {', '.join(known)} (jurisdictions) or a rule set id ({', '.join(ids)}), comma-separated"
    raw = known if names is None else names.split(",") if isinstance(names, str) else list(names)
    chosen: list[str] = []
    for item in raw:
        text = str(item).strip()
        if not text:
            continue
        if text in ids:
            name = text
        else:
            found = jurisdiction_of(text, book.jurisdictions)
            if found is None:
                why = (" (the hard-coded US lemon-law rule was removed: no dated US rule set exists, and US "
                       "lemon laws cover motor vehicles)" if text.lower() == "us" else "")
                raise InputError(f"unknown lemon rule {text!r} (--rules){why}; {choices}")
            name = found.lower()
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InputError(f"no lemon rule named (--rules); {choices}")
    return LemonRules(book, tuple(chosen))


@dataclass
class LemonResult(Sequence):
    """The hits of :func:`find_lemons` (a sequence of :class:`LemonHit`) and what was left out.

    Attributes
    ----------
    hits
        Sorted by first hit date, device token, then as ``remedies audit`` picks a deciding
        rule: statutes before policies, the weakest strongest remedy first.
    skipped
        Events the engine could not judge, per reason (the audit's ``left_out``).
    events, devices, defaulted
        Service events given; devices with a jurisdiction; devices judged under
        ``jurisdiction_default`` because their region named no known jurisdiction.
    """

    hits: list[LemonHit]
    rules: LemonRules
    as_of: date | None
    skipped: dict[str, int] = field(default_factory=dict)
    events: int = 0
    devices: int = 0
    jurisdiction_default: str | None = None
    defaulted: int = 0

    def __getitem__(self, index):
        return self.hits[index]

    def __len__(self) -> int:
        return len(self.hits)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Hits and distinct devices per selected name, and ``all``."""
        counts = {}
        for name in self.rules.names:
            hits = [h for h in self.hits if name in (h.jurisdiction.lower(), h.rule_set)]
            counts[name] = {"hits": len(hits), "devices": len({h.device_token for h in hits})}
        counts["all"] = {"hits": len(self.hits), "devices": len({h.device_token for h in self.hits})}
        return counts

    def verdicts(self) -> dict[str, LemonHit]:
        """Each lemon's first hit: the day and the rule that made it one."""
        first: dict[str, LemonHit] = {}
        for hit in self.hits:
            first.setdefault(hit.device_token, hit)
        return first

    @property
    def summary(self) -> pd.DataFrame:
        columns = ["device_token", "product_id", "failure_mode", "rule", "criterion", "first_hit_date",
                   "purchase_date", "repairs", "rule_set", "reason", "event_ids"]
        return pd.DataFrame([{c: getattr(h, c) for c in columns} for h in self.hits], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat() if self.as_of else None, "rules": self.rules.to_dict(),
                "lemons": [h.to_dict() for h in self.hits], "counts": self.counts,
                "skipped": dict(self.skipped), "events": self.events, "devices": self.devices,
                "jurisdiction_default": {"jurisdiction": self.jurisdiction_default, "devices": self.defaulted}}


# --- lemons from the judgements -----------------------------------------------------------------------------------

def _hit(case: Case, index: int, step: Step, rule_hit: RuleHit, provision: RepeatProvision, lang: str) -> LemonHit:
    event, rule_set = step.event, rule_hit.rule_set
    counted = provision.counted(Claim(case, event, case.events[:index]))
    reason = f"{event.failure_mode} fault back on {event.date} ({event.type} visit): {rule_text(rule_hit, lang)}"
    device = case.device
    return LemonHit(
        device_token=device.device_id, product_id=device.product.product_id, failure_mode=event.failure_mode,
        rule=rule_hit.rule.id, criterion=provision.criterion, reason=reason,
        event_ids=[e.event_id for e in counted] + [event.event_id], first_hit_date=event.date,
        purchase_date=device.purchase_date, jurisdiction=device.jurisdiction, rule_set=rule_set.id,
        rule_set_kind=rule_set.kind, citation=rule_set.citation(), reference=rule_hit.reference(lang),
        effective_from=rule_set.effective_from, effective_to=rule_set.effective_to,
        version_from=version_in_force(rule_set, device, event), remedies=by_rank(rule_hit.entitlement.remedies),
        due=list(step.due), given=step.given, shortfall=step.shortfall, repairs=len(counted))


def lemon_hits(judgement: Judgement, lang: str = "en") -> list[LemonHit]:
    """The lemon hits of one judged case: for each repeat provision and failure mode, the first
    step at which it owed an exchange or a refund."""
    found: dict[tuple[str, str], LemonHit] = {}
    case = judgement.case
    for index, step in enumerate(judgement.steps):
        for rule_hit in step.hits:
            provision = REPEAT_PROVISIONS.get(rule_hit.rule.logic)
            key = (rule_hit.rule.id, step.event.failure_mode)
            if provision is None or key in found or not LEMON_REMEDIES & set(rule_hit.entitlement.remedies):
                continue
            found[key] = _hit(case, index, step, rule_hit, provision, lang)
    return list(found.values())


def _order(hit: LemonHit) -> tuple:
    # As the audit's deciding rule: statutes first, then the provision whose strongest remedy is weakest.
    return (hit.first_hit_date, hit.device_token, hit.rule_set_kind != "statute",
            max(RANK[r] for r in hit.remedies), hit.rule, hit.failure_mode)


def find_lemons(events: pd.DataFrame, rules: LemonRules | None = None, as_of=None, mode: str | None = None, *,
                catalog: Catalog | None = None, jurisdiction: str | None = "CN", lang: str = "en") -> LemonResult:
    """Devices the remedies engine judged owed an exchange or a refund because a fault came back.

    Parameters
    ----------
    events
        One row per service event with the columns of :data:`EVENT_COLUMNS`
        (:func:`defectradar.query.service_histories.service_histories` returns them).
    rules
        :func:`load_lemon_rules` (default: the built-in rule book, every jurisdiction).
    as_of
        Judge events up to this day; default the latest event date in ``events``.
    mode
        Report only hits of this failure mode (histories are still judged whole).
    catalog
        The products (end of production decides China's art. 18); default the built-in catalog.
    jurisdiction
        The jurisdiction of devices whose region names none the book knows, as ``remedies audit
        --jurisdiction``; None leaves their events out (``unknown_jurisdiction``).
    lang
        Language of the reasons (``en`` or ``zh``).

    Returns
    -------
    LemonResult
        One hit per device, provision and failure mode, at the first visit it applied.

    Notes
    -----
    Each device with two or more events is judged with
    :func:`~defectradar.remedies.engine.judge_case`, as the audit judges it; a hit is a rule
    hit of a step whose logic is in :data:`REPEAT_PROVISIONS` and whose remedies include an
    exchange or a refund.
    """
    rules, default = _checked(rules, jurisdiction)
    catalog = catalog if catalog is not None else builtin_catalog()
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise InputError(f"service events lack the column(s) {', '.join(missing)}; give {', '.join(EVENT_COLUMNS)} "
                         f"(service_histories() returns them)")
    as_of = as_date(as_of, "as_of")
    if as_of is None:
        as_of = latest_event_date(events)
    part = LemonJudge(rules.book, catalog, as_of, default, rules.jurisdictions, lang)(events)
    return _result(part, rules, as_of, mode, default)


def _checked(rules: LemonRules | None, jurisdiction: str | None) -> tuple[LemonRules, str | None]:
    """The rules (default: every built-in one) and the default jurisdiction as the book names it."""
    rules = rules if rules is not None else load_lemon_rules()
    if not isinstance(rules, LemonRules):
        raise InputError(f"{rules!r} is not a selection of lemon rules; build one with load_lemon_rules()")
    if jurisdiction is None:
        return rules, None
    default = jurisdiction_of(jurisdiction, rules.book.jurisdictions)
    if default is None:
        raise InputError(f"unknown jurisdiction {jurisdiction!r} (--jurisdiction): no rule sets for it; use one "
                         f"of {', '.join(sorted(rules.book.jurisdictions))} (EU member states such as DE count as EU)")
    return rules, default


@dataclass
class LemonPart:
    """The lemon hits of some devices (whole histories), with the counts :class:`LemonResult`
    reports; parts judged where the events are add up (:meth:`add`)."""

    hits: list[LemonHit] = field(default_factory=list)
    events: int = 0
    devices: int = 0
    defaulted: int = 0
    skipped: Counter = field(default_factory=Counter)

    def add(self, other: "LemonPart") -> "LemonPart":
        self.hits.extend(other.hits)
        self.events += other.events
        self.devices += other.devices
        self.defaulted += other.defaulted
        self.skipped.update(other.skipped)
        return self


@dataclass(frozen=True)
class LemonJudge:
    """Judges a frame of whole device histories into a :class:`LemonPart` (picklable: Spark
    runs it in its executors)."""

    book: RuleBook
    catalog: Catalog
    as_of: date | None
    jurisdiction_default: str | None
    wanted: frozenset[str]
    lang: str = "en"

    def __call__(self, events: pd.DataFrame) -> LemonPart:
        cases = device_cases(events, self.book, self.catalog, as_of=self.as_of,
                             jurisdiction_default=self.jurisdiction_default)
        part = LemonPart(events=len(events), devices=len(cases.devices), defaulted=cases.defaulted,
                         skipped=Counter(cases.left_out))
        for device in cases.devices:
            # Every repeat provision needs an earlier remedy of the fault: one visit cannot make a
            # lemon, and most devices have one.  Devices of jurisdictions not reported need no judging.
            if device.events < 2 or device.jurisdiction not in self.wanted:
                continue
            judgement = judge_case(self.book, cases.case(device), as_of=self.as_of, lang=self.lang)
            part.hits.extend(lemon_hits(judgement, self.lang))
        return part


def _result(part: LemonPart, rules: LemonRules, as_of, mode: str | None, default: str | None) -> LemonResult:
    book = rules.book
    hits = [h for h in part.hits if (mode is None or h.failure_mode == mode) and rules.names_of(book.get(h.rule_set))]
    hits.sort(key=_order)
    skipped = {reason: part.skipped[reason] for reason in LEFT_OUT_REASONS if part.skipped.get(reason)}
    return LemonResult(hits=hits, rules=rules, as_of=as_of, skipped=skipped, events=part.events,
                       devices=part.devices, jurisdiction_default=default, defaulted=part.defaulted)


def lemons_in_store(con, rules: LemonRules | None = None, product: str | None = None, mode: str | None = None,
                    as_of=None, *, catalog: Catalog | None = None, jurisdiction: str | None = "CN",
                    lang: str = "en") -> LemonResult:
    """:func:`find_lemons` over the store's service histories (``con``: ``store.reader()``).

    ``as_of`` defaults to the latest service event date in the whole store (as ``remedies
    audit``); ``product`` (a product id) and ``mode`` are checked against the store, and a
    ``mode`` keeps the whole histories of the devices it touched.
    """
    check_product(con, product)
    check_mode(con, mode)
    rules, default = _checked(rules, jurisdiction)
    as_of = as_date(as_of, "as_of")
    as_of = as_of if as_of is not None else latest_service_date(con)
    judge = LemonJudge(rules.book, catalog if catalog is not None else builtin_catalog(), as_of, default,
                       rules.jurisdictions, lang)
    total = LemonPart()
    for part in map_device_histories(con, judge, product, mode, as_of):
        total.add(part)
    return _result(total, rules, as_of, mode, default)
