"""The repeat-repair ("lemon") rules: China's three guarantees, EU 2019/771, US lemon laws.

Each rule is an estimator-style settings object with declared parameter constraints, a
citation and ``hits(history)``; :func:`load_lemon_rules` builds them by name with YAML
overrides.  :mod:`defectradar.reliability.lemons` runs them over service histories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Iterable, Iterator

import numpy as np
import pandas as pd

from defectradar.errors import InputError
from defectradar.query.service_histories import RETIRING_ACTIONS
from defectradar.signals.base import Constraint, Estimator, positive_int
from defectradar.user_files import load_user_yaml, read_user_text, shown

ACTIONS = ("inspect", "repair", "replace", "refund", "refused")
END_ACTIONS = RETIRING_ACTIONS        # a replace or refund ends the device's history
PERSIST_DEFAULT = ("repair", "replace", "refund", "refused")
EVENT_COLUMNS = ("event_id", "device_token", "product_id", "purchase_date", "date", "failure_mode", "action",
                 "days_out_of_service")
REPAIRS: Constraint = (positive_int, "a positive whole number")
WINDOW: Constraint = (lambda v: v is None or positive_int(v), "a positive whole number of days, or null for no limit")
ACTION_LIST: Constraint = (lambda v: isinstance(v, (list, tuple)) and len(v) > 0 and all(a in ACTIONS for a in v),
                           f"a non-empty list of actions among {', '.join(ACTIONS)}")
FLAG: Constraint = (lambda v: isinstance(v, bool), "true or false")


@dataclass
class LemonHit:
    """One device meeting one rule.

    Attributes
    ----------
    failure_mode
        The fault that repeated; for the US days-out-of-service criterion (and rules with
        ``same_fault=False``) the one mode shared by all triggering events, else None.
    criterion
        What was met: ``fault_persists`` (cn), ``fault_recurred`` (eu), ``repairs`` or
        ``days_out_of_service`` (us).
    event_ids
        The events that triggered the hit, in date order (for cn/eu: the N repairs, then the
        event showing the fault is still there).
    first_hit_date
        The day the rule was first met (the date of the last event in ``event_ids``).
    """

    device_token: str
    product_id: str | None
    failure_mode: str | None
    rule: str
    criterion: str
    reason: str
    event_ids: list[str]
    first_hit_date: date
    purchase_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"device_token": self.device_token, "product_id": self.product_id,
                "failure_mode": self.failure_mode, "rule": self.rule, "criterion": self.criterion,
                "reason": self.reason, "event_ids": list(self.event_ids),
                "first_hit_date": self.first_hit_date.isoformat(),
                "purchase_date": self.purchase_date.isoformat() if self.purchase_date else None}


class LemonRule(Estimator):
    """What every rule shares: declared parameter constraints, a citation, JSON output.

    Subclasses are dataclasses naming their parameters in ``_parameter_constraints``; they
    implement :meth:`_hits` over the prepared histories of :func:`find_lemons` (sorted by
    device, date and event id, with integer codes ``dev`` and ``fault`` (-1: no mode), the
    row order ``pos`` and ``age`` in days).
    """

    name: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    description: ClassVar[str] = ""          # a format string over the parameters
    window_days: int | None = None

    @property
    def method(self) -> str:                 # names the rule in Estimator._validate_params messages
        return f"{self.name} rule"

    def to_dict(self) -> dict[str, Any]:
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        return {"params": params, "citation": self.citation, "description": self.description.format(**params)}

    def _unusable(self, events: pd.DataFrame) -> dict[str, pd.Series]:
        """Masks of the events this rule must leave out, per reason (see the module docstring)."""
        masks = {}
        if self.window_days is not None:
            masks["no_purchase_date"] = events["purchase_date"].isna()
        if self._per_fault():
            masks["no_failure_mode"] = events["failure_mode"].isna()
        return masks

    def _per_fault(self) -> bool:
        return True

    def _within(self, events: pd.DataFrame) -> pd.DataFrame:
        if self.window_days is None:
            return events
        return events[events["age"].notna() & (events["age"] <= self.window_days)]

    def _hits(self, events: pd.DataFrame) -> list[LemonHit]:
        raise NotImplementedError


class RepeatRepairRule(LemonRule):
    """A fault still there after ``repairs`` repairs, every event inside a window from purchase.

    For each device and failure mode, let :math:`r_N` be the date of the N-th repair (distinct
    days) with age :math:`\\le W`.  The rule is met by the first event :math:`e` of the same
    mode with :math:`\\mathrm{date}(e) > r_N`, :math:`\\mathrm{action}(e) \\in`
    ``persist_actions`` and :math:`\\mathrm{age}(e) \\le W` (``W = None``: no window).  With
    ``same_fault=False`` the repairs and the later event may be of any fault, known or not.
    """

    criterion: ClassVar[str] = "fault_persists"
    window_name: ClassVar[str] = ""

    def _per_fault(self) -> bool:
        return self.same_fault

    def _hits(self, events: pd.DataFrame) -> list[LemonHit]:
        f = self._within(events)
        f = f[f["fault"] >= 0].assign(key=f["fault"]) if self.same_fault else f.assign(key=0)
        keys = ["dev", "key"]
        repairs = f[f["action"] == "repair"].drop_duplicates(keys + ["date"])
        repairs = repairs.assign(n=repairs.groupby(keys, sort=False).cumcount() + 1)
        nth = repairs.loc[repairs["n"] == self.repairs, keys + ["date"]].rename(columns={"date": "nth"})
        later = f[f["action"].isin(self.persist_actions)].merge(nth, on=keys, how="inner")
        firsts = later[later["date"] > later["nth"]].sort_values(keys + ["pos"], kind="mergesort").drop_duplicates(keys)
        used = repairs[repairs["n"] <= self.repairs].merge(firsts[keys], on=keys, how="inner")
        used = used.sort_values(keys + ["pos"], kind="mergesort")
        history = {(run["dev"][0], run["key"][0]): run
                   for run in _runs(used, keys, ("dev", "key", "event_id", "date", "failure_mode"))}
        hits = []
        for row in firsts.itertuples(index=False):
            run = history[(row.dev, row.key)]
            mode = _one_mode([*run["failure_mode"], row.failure_mode])
            hits.append(LemonHit(row.device_token, row.product_id, mode, self.name, self.criterion,
                                 self._reason(mode, row, run["date"]), [*run["event_id"], row.event_id],
                                 _day(row.date), _day(row.purchase_date)))
        return hits

    def _reason(self, mode, row, repair_days) -> str:
        repaired = ", ".join(str(_day(d)) for d in repair_days)
        count = "a repair" if len(repair_days) == 1 else f"{len(repair_days)} repairs"
        text = f"{mode or 'a'} fault came back on {_day(row.date)} ({row.action} visit) after {count} ({repaired})"
        if not pd.isna(row.age):
            text += f", {_days(row.age)} after purchase"
        if self.window_days is None:
            return text + ", no time limit set"
        return text + f", within the {self.window_days}-day {self.window_name}"


@dataclass
class ChinaRepeatRepair(RepeatRepairRule):
    """China's three-guarantees rule: the fault persists after two repairs within the warranty.

    Parameters
    ----------
    repairs
        Repairs of the fault before the buyer is owed an exchange (2: "经两次修理").
    warranty_days
        The 三包 period counted from purchase (one year for a phone's main unit); None: no limit.
    same_fault
        Count only repairs and returns of one failure mode (the same "性能故障").
    persist_actions
        Actions of a later event that show the fault persists (see the module docstring).
    """

    repairs: int = 2
    warranty_days: int | None = 365
    same_fault: bool = True
    persist_actions: tuple[str, ...] = PERSIST_DEFAULT

    name: ClassVar[str] = "cn"
    window_name: ClassVar[str] = "warranty"
    citation: ClassVar[str] = (
        "《移动电话机商品修理更换退货责任规定》(2001, the phone 三包 rules) with the general "
        "《部分商品修理更换退货责任规定》: 在三包有效期内，因性能故障经两次修理仍不能正常使用的 (a performance "
        "fault still there after two repairs within the 三包 period) → a free exchange (or refund); the main "
        "unit's 三包 period is one year from the invoice date")
    description: ClassVar[str] = "fault persists after {repairs} repairs within {warranty_days} days of purchase"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "repairs": REPAIRS, "warranty_days": WINDOW, "same_fault": FLAG, "persist_actions": ACTION_LIST}

    @property
    def window_days(self) -> int | None:
        return self.warranty_days


@dataclass
class EuRecurAfterRepair(RepeatRepairRule):
    """The EU rule: the same lack of conformity appears again after a repair, within the guarantee.

    Parameters
    ----------
    guarantee_days
        The legal guarantee from delivery (Art. 10(1): two years); the repair and the
        recurrence must both fall inside it.  None: no limit.
    repairs
        Attempts to bring the goods into conformity before a recurrence counts (1).
    same_fault, persist_actions
        As for :class:`ChinaRepeatRepair`.
    """

    guarantee_days: int | None = 730
    repairs: int = 1
    same_fault: bool = True
    persist_actions: tuple[str, ...] = PERSIST_DEFAULT

    name: ClassVar[str] = "eu"
    criterion: ClassVar[str] = "fault_recurred"
    window_name: ClassVar[str] = "legal guarantee"
    citation: ClassVar[str] = (
        "Directive (EU) 2019/771 (sale of goods), Art. 10(1): the seller is liable for a lack of conformity "
        "that becomes apparent within two years of delivery; Art. 13(4)(b): the consumer may have the price "
        "reduced or the contract terminated where a lack of conformity appears despite the seller having "
        "attempted to bring the goods into conformity (Art. 13(4)(c), a lack of conformity serious enough "
        "for an immediate remedy, needs a judgement of severity and is not modelled)")
    description: ClassVar[str] = "fault recurs after {repairs} repair(s) within {guarantee_days} days of delivery"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "guarantee_days": WINDOW, "repairs": REPAIRS, "same_fault": FLAG, "persist_actions": ACTION_LIST}

    @property
    def window_days(self) -> int | None:
        return self.guarantee_days


@dataclass
class UsLemonLaw(LemonRule):
    """The US lemon-law presumption: 4 repairs of one fault, or > 30 days out of service.

    Within ``window_days`` of purchase (age :math:`\\le W`):

    * ``repairs``: the same failure mode repaired ``repairs`` times (distinct days); the hit
      lists those repairs and is dated at the last of them.
    * ``days_out_of_service``: the days out of service :math:`d(e)` of events whose action is
      in ``downtime_actions``, of any failure mode (known or not), add up past the limit,
      :math:`\\sum_{e:\\ \\mathrm{age}(e) \\le W} d(e) > D`; the hit lists the events with
      days out of service up to the one that crosses the limit, dated at that event (a
      visit's days count from the day it starts; unknown days count as 0).

    Either criterion may be switched off with None (not both).
    """

    repairs: int | None = 4
    days_out_of_service: int | None = 30
    window_days: int | None = 548
    downtime_actions: tuple[str, ...] = ("repair",)

    name: ClassVar[str] = "us"
    citation: ClassVar[str] = (
        "US state lemon laws' presumption of a reasonable number of repair attempts, e.g. California Civil "
        "Code §1793.22(b) (Tanner Act): within 18 months of delivery, the same nonconformity subject to "
        "repair four or more times, or out of service by reason of repair for a cumulative total of more "
        "than 30 calendar days; Magnuson-Moss Warranty Act, 15 U.S.C. §2304(a)(4): refund or replacement "
        "when a defect remains after a reasonable number of attempts.  Written for motor vehicles; applied "
        "to phones by analogy")
    description: ClassVar[str] = (">= {repairs} repairs of one fault or > {days_out_of_service} days out of service "
                                  "within {window_days} days of purchase")
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "repairs": (lambda v: v is None or positive_int(v), "a positive whole number, or null to switch it off"),
        "days_out_of_service": (lambda v: v is None or positive_int(v),
                                "a positive whole number of days, or null to switch it off"),
        "window_days": WINDOW, "downtime_actions": ACTION_LIST}

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.repairs is None and self.days_out_of_service is None:
            raise InputError("us rule: repairs and days_out_of_service are both null; keep at least one")

    def _per_fault(self) -> bool:
        return self.repairs is not None

    def _unusable(self, events: pd.DataFrame) -> dict[str, pd.Series]:
        masks = super()._unusable(events)
        if self.days_out_of_service is not None:
            masks["no_days_out_of_service"] = (events["action"].isin(self.downtime_actions)
                                               & events["days_out_of_service"].isna())
        return masks

    def _hits(self, events: pd.DataFrame) -> list[LemonHit]:
        events = self._within(events)
        hits = self._repair_hits(events) if self.repairs is not None else []
        return hits + (self._downtime_hits(events) if self.days_out_of_service is not None else [])

    def _where(self, age) -> str:
        text = "" if pd.isna(age) else f" {_days(age)} after purchase"
        return text + (f", within {self.window_days} days" if self.window_days is not None else "")

    def _repair_hits(self, events: pd.DataFrame) -> list[LemonHit]:
        keys = ["dev", "fault"]
        repairs = events[(events["action"] == "repair") & (events["fault"] >= 0)].drop_duplicates(keys + ["date"])
        repairs = repairs.assign(n=repairs.groupby(keys, sort=False).cumcount() + 1)
        used = repairs[repairs["n"] <= self.repairs].merge(repairs.loc[repairs["n"] == self.repairs, keys], on=keys)
        hits = []
        for run in _runs(used.sort_values(keys + ["pos"], kind="mergesort"), keys, _RUN_COLUMNS):
            days = ", ".join(str(_day(d)) for d in run["date"])
            reason = (f"{run['failure_mode'][0]} fault repaired {len(run['date'])} times ({days}), the last"
                      + self._where(run["age"][-1]))
            hits.append(LemonHit(run["device_token"][0], run["product_id"][-1], run["failure_mode"][0], self.name,
                                 "repairs", reason, run["event_id"], _day(run["date"][-1]),
                                 _day(run["purchase_date"][-1])))
        return hits

    def _downtime_hits(self, events: pd.DataFrame) -> list[LemonHit]:
        down = events[events["action"].isin(self.downtime_actions)]
        down = down.assign(days=down["days_out_of_service"].fillna(0.0))
        down = down[down["days"] > 0]
        down = down.assign(total=down.groupby("dev", sort=False)["days"].cumsum())
        over = down.loc[down["total"] > self.days_out_of_service, "dev"].unique()
        # Totals only grow (every count is > 0): the events up to the crossing one are those
        # whose total *before* them was still within the limit.
        used = down[down["dev"].isin(over) & (down["total"] - down["days"] <= self.days_out_of_service)]
        hits = []
        for run in _runs(used, ["dev"], (*_RUN_COLUMNS, "days", "total")):
            visits = ", ".join(f"{_day(d)} {int(n)}d" for d, n in zip(run["date"], run["days"]))
            count = len(run["date"])
            reason = (f"out of service {int(run['total'][-1])} days over {count} visit{'' if count == 1 else 's'} "
                      f"({visits}), more than {self.days_out_of_service}, reached" + self._where(run["age"][-1]))
            hits.append(LemonHit(run["device_token"][0], run["product_id"][-1], _one_mode(run["failure_mode"]),
                                 self.name, "days_out_of_service", reason, run["event_id"], _day(run["date"][-1]),
                                 _day(run["purchase_date"][-1])))
        return hits


#: The rules by name; built-ins are registered here like any other rule would be.
RULES: dict[str, type[LemonRule]] = {"cn": ChinaRepeatRepair, "eu": EuRecurAfterRepair, "us": UsLemonLaw}
_RUN_COLUMNS = ("device_token", "product_id", "event_id", "date", "purchase_date", "age", "failure_mode")


def _runs(frame: pd.DataFrame, keys, columns) -> Iterator[dict[str, list]]:
    """Each run of rows with equal ``keys`` (``frame`` sorted so they are adjacent), as lists.

    Slicing plain lists at the run boundaries costs a fraction of a pandas groupby loop,
    which matters with tens of thousands of hits.
    """
    if frame.empty:
        return
    change = np.zeros(len(frame), dtype=bool)
    change[0] = True
    for key in keys:
        values = frame[key].to_numpy()
        change[1:] |= values[1:] != values[:-1]
    bounds = [*np.flatnonzero(change).tolist(), len(frame)]
    lists = {c: frame[c].tolist() for c in columns}
    for start, end in zip(bounds[:-1], bounds[1:]):
        yield {c: values[start:end] for c, values in lists.items()}


def _one_mode(modes) -> str | None:
    """The failure mode shared by all events, None when they differ or one is unknown."""
    if any(m is None or (isinstance(m, float) and math.isnan(m)) for m in modes):
        return None
    return modes[0] if len(set(modes)) == 1 else None


def _day(value) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _days(age) -> str:
    return f"{int(age)} day" + ("" if int(age) == 1 else "s")


def _rule_names(names) -> list[str]:
    names = list(RULES) if names is None else names.split(",") if isinstance(names, str) else list(names)
    chosen: list[str] = []
    for raw in names:
        name = str(raw).strip().lower()
        if name and name not in RULES:
            raise InputError(f"unknown lemon rule {raw!r}; use any of {', '.join(RULES)} (comma-separated)")
        if name and name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InputError(f"no lemon rule named; use any of {', '.join(RULES)} (comma-separated)")
    return chosen


def _read_config(path) -> dict[str, dict[str, Any]]:
    import yaml

    text = read_user_text(path, "the lemon rules file")
    try:
        loaded = load_user_yaml(text, str(path))
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, (dict, type(None))):
        raise InputError(f"{path}: expected a mapping of rule name to parameters, e.g. 'cn: {{warranty_days: 730}}'")
    config: dict[str, dict[str, Any]] = {}
    for name, params in (loaded or {}).items():
        if name not in RULES:
            raise InputError(f"{path}: unknown rule {shown(name)}; the rules are {', '.join(RULES)}")
        if not isinstance(params or {}, dict):
            raise InputError(f"{path}: {name} must map parameter names to values, e.g. '{name}: {{repairs: 3}}'")
        allowed = RULES[name]._parameter_constraints
        for key in params or {}:
            if key not in allowed:
                raise InputError(f"{path}: rule {name} has no parameter {shown(key)}; its parameters are "
                                 f"{', '.join(allowed)}")
        config[name] = {k: tuple(v) if isinstance(v, list) else v for k, v in (params or {}).items()}
    return config


def load_lemon_rules(names: str | Iterable[str] | None = None, config_path=None) -> list[LemonRule]:
    """The named rules with their default parameters, overridden from a YAML file.

    Parameters
    ----------
    names
        Rule names (``cn``, ``eu``, ``us``), as a list or one comma-separated string; None for
        all of them.
    config_path
        A YAML file mapping rule names to parameters, e.g.::

            cn: {warranty_days: 730}          # a longer local warranty
            us: {repairs: 3, days_out_of_service: null}

        Rules the file sets but ``names`` leaves out are checked, not used.

    Raises
    ------
    InputError
        For an unknown rule or parameter (named), or a value a parameter cannot take.
    """
    chosen = _rule_names(names)
    config = _read_config(config_path) if config_path is not None else {}
    rules = {}
    for name, rule_class in RULES.items():
        rule = rule_class(**config.get(name, {}))
        try:
            rule._validate_params()
        except InputError as exc:
            raise InputError(f"{config_path}: {exc}" if config_path is not None else str(exc)) from None
        rules[name] = rule
    return [rules[name] for name in chosen]
