"""Scanning the store: every configured detector over every series, then the alerts.

What is scanned, as of a date (nothing later is seen):

* **temporal**: for each source (complaints in ``reports_labelled``; repair-type
  ``service_events``) the weekly (or daily) count series per product × failure mode with
  enough reports; each temporal detector scores the last ``lookback`` periods against the
  history before them.  Where sales give the units in service, the series carries them, so
  rate-aware detectors (bursts) compare complaints per unit and a best-seller is not flagged
  for being popular;
* **disproportionality**: the product × failure-mode table of distinct complaints (PRR, ROR,
  IC, MGPS/EBGM with the signal rules), so a mode far more frequent for one product than for
  the others stands out even without a trend.

Each firing becomes a :class:`~defectradar.signals.alerts.Signal` with its evidence (series
tail, expected, threshold, the reports of the alarm period); :func:`record_signals` keeps one
alert per signal across scans.
"""

from __future__ import annotations

import math
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from defectradar.analyses.alerts import record_signals
from defectradar.analyses.evidence_rules import apply_evidence_rules, attach_reports
from defectradar.analyses.scan_params import calibration_summary, method_params
from defectradar.core.dates import as_date
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.progress import Progress
from defectradar.query.series import (
    COUNTS,
    DIMENSIONS,
    counted_records,
    event_coverage,
    period_start,
    series_for_store,
)
from defectradar.query.stats import default_as_of
from defectradar.signals.alerts import EB05_MEANING, RecordResult, Signal
from defectradar.signals.base import AlarmRule
from defectradar.signals.calibrated import DEFAULT_BUDGET, rate_ratio_score
from defectradar.signals.calibrated import METHOD as NB_EXCESS
from defectradar.signals.exposure import MEAN_PARAMETER, expected_from_exposure, exposure_params
from defectradar.signals.registry import detector, methods
from defectradar.signals.signal_rules import SignalRules
from defectradar.store.connect import Store
from defectradar.user_files import load_user_yaml, read_user_text

# The default is nb-excess (signals/calibrated.py): an overdispersed null fitted per series and
# pooled across series, with its threshold set from the user's false-alarm budget, scoring short
# and all-zero histories against a prior from similar series.  On real NHTSA counts the fixed-
# threshold Poisson GLR raised 10-20x the false alarms of a naive rule (docs/benchmarks.md);
# GLR, EARS, CUSUM, Farrington and bursts stay available with --method or the config.
DEFAULT_METHODS = ("nb-excess",)
DEFAULT_PARAMS = {"glr-poisson": {"window": 13, "c_arl": 6.0}, "glr-nb": {"window": 13, "c_arl": 6.0}}
EVIDENCE_PERIODS = 12
PERIOD_DAYS = {"day": 1, "week": 7}
MIN_EVENTS_PER_30_DAYS = 10       # the evidence floor (ScanConfig.floor), pro rata per period
# Detectors whose threshold (a search per period) can be limited to the periods a scan reports.
THRESHOLD_LAST_METHODS = frozenset({"glr-poisson", "glr-nb"})
ALL = "*"                   # the key part of a series over every product (or every mode)
SCOPES = {"product_mode": ("product", "mode"), "product": ("product",), "mode": ("mode",)}
MIN_PAIRS = 3               # disproportionality needs a table of at least this many product x mode pairs
_TABLE_NAMES = {"reports": "complaints", "service_events": "repair visits"}


@dataclass
class ScanConfig:
    """What a scan runs.  ``params`` maps a method to its parameters."""

    freq: str = "week"
    methods: tuple[str, ...] = DEFAULT_METHODS
    params: dict[str, dict] = field(default_factory=lambda: {m: dict(p) for m, p in DEFAULT_PARAMS.items()})
    tables: tuple[str, ...] = ("reports", "service_events")
    scopes: tuple[str, ...] = ("product_mode",)   # also "product" (all modes) and "mode" (all products)
    min_total: int = 5           # series with fewer events in all are not scanned
    min_last: int | None = None  # an alarm needs this many events in its period (None: floor(freq)) ...
    min_authors: int = 3         # ... from at least this many authors (devices, for repair visits)
    false_alarms_per_year: float = DEFAULT_BUDGET   # per series: sets every method's threshold
    calibrate_thresholds: bool = True   # other methods' thresholds from the budget (off: their params' own)
    by: str = "mode"             # what series are counted by: mode, label (a custom model's) or component
    emerging_terms: bool = True  # rising phrases no rule knows (analyses/emerging_terms.py)
    known_issues: bool = True    # label follow-ons of recalls, announcements and policies known, not new
    lookback: int = 4            # alarms in this many latest periods are reported (GLR restarts after one)
    exposure: bool = True        # rate-aware means (units in service x others' rate) where sales are known
    exposure_window: int = 26    # periods of the others' (and own) rate behind each expected count
    prior_events: float = 10.0   # weight, in events, of the others' rate in a product's own rate
    service_months: int = 36     # a unit counts as in service this long after its sale
    disproportionality: bool = True
    count: str = "failures"      # a report's failure modes only, or "all" (its complaints too)
    # EB05 >= 2 alone: MGPS shrinks small counts, so a scan does not alert on every 3-report pair.
    rules: SignalRules = field(default_factory=lambda: SignalRules(evans=False, ror=False, ic=False))

    def __post_init__(self) -> None:
        unknown = [m for m in self.methods if m not in methods()]
        if unknown:
            raise InputError(f"unknown methods {', '.join(unknown)}; choose from {', '.join(methods())}")
        if self.freq not in ("day", "week"):
            raise InputError("scans run on daily or weekly series (freq day or week)")
        bad = [s for s in self.scopes if s not in SCOPES]
        if bad:
            raise InputError(f"unknown scopes {', '.join(bad)}; choose from {', '.join(SCOPES)}")
        if self.lookback < 1:
            raise InputError("lookback must be at least 1 period")
        if not (isinstance(self.false_alarms_per_year, (int, float)) and 0 < self.false_alarms_per_year <= 52):
            raise InputError(f"false_alarms_per_year must be a number above 0 (e.g. 0.1 per series-year), not "
                             f"{self.false_alarms_per_year!r}")
        for name in ("min_last", "min_authors", "min_total"):
            if name == "min_last" and self.min_last is None:
                continue
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise InputError(f"{name} must be a whole number of at least 1, not {getattr(self, name)!r}")
        if self.by not in DIMENSIONS:
            raise InputError(f"by must be one of {', '.join(DIMENSIONS)} (failure modes, a custom model's labels, "
                             f"or the source's components), not {self.by!r}")
        if self.count not in COUNTS:
            raise InputError(f"count must be one of {', '.join(COUNTS)} (failure modes only, or complaints "
                             f"too), not {self.count!r}")

    def floor(self, freq: str | None = None) -> int:
        """Events an alarm period needs: ``min_last`` when set, else 10 a month pro rata.

        Ten reports a month is the floor of the naive rule NHTSA analysts use (and of the peer in
        docs/benchmarks.md); per period it is 10 for months, 3 for weeks and 2 for days (never
        below 2: one report is an anecdote, whatever its surprise).
        """
        if self.min_last is not None:
            return self.min_last
        days = {"day": 1, "week": 7, "month": 30}[freq or self.freq]
        return max(2, math.ceil(MIN_EVENTS_PER_30_DAYS * days / 30))


def load_scan_config(path: str | Path | None = None, methods: tuple[str, ...] | None = None) -> ScanConfig:
    """A scan configuration from YAML (every key optional; unknown keys are refused).

    ``methods`` (from ``--method``) replaces the file's list.  Example::

        freq: week
        methods: [ears-c3, cusum, glr-poisson]
        params: {cusum: {k: 1.0, h: 3.0, reset: true}}
        min_total: 5
        rules: {combine: all}
    """
    import yaml

    data: dict = {}
    if path is not None:
        path = Path(path)
        text = read_user_text(path, "scan configuration")
        try:
            data = load_user_yaml(text, str(path)) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: cannot read the scan configuration ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: a scan configuration is a mapping of settings, e.g. 'freq: week'")
    known = {f.name for f in fields(ScanConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"{path}: unknown scan settings {', '.join(unknown)}; known ones are {', '.join(sorted(known))}")
    if "rules" in data:
        if not isinstance(data["rules"], dict):
            raise InputError(f"{path}: rules must be a mapping, e.g. 'rules: {{eb05_min: 2}}'")
        data["rules"] = SignalRules.from_dict(data["rules"])
    for key in ("methods", "tables", "scopes"):
        if key in data:
            data[key] = tuple(data[key] if isinstance(data[key], list) else [data[key]])
    if methods:
        data["methods"] = methods
    params = data.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise InputError(f"{path}: params maps a method to its parameters, e.g. 'params: {{cusum: {{h: 3}}}}'")
    if "params" in data:                          # the file's values override the defaults, per parameter
        merged = {m: dict(p) for m, p in DEFAULT_PARAMS.items()}
        for method, values in params.items():
            merged[method] = {**merged.get(method, {}), **values}
        data["params"] = merged
    try:
        config = ScanConfig(**data)
    except TypeError as exc:
        raise InputError(f"{path}: {exc}") from None
    for method, values in config.params.items():   # refuse a misspelt method or parameter now, not mid-scan
        detector(method, **values)._validate_params()
    return config


@dataclass
class ScanResult:
    """What a scan looked at and found.

    ``series_scanned`` counts temporal series with enough events, ``pairs_scanned`` the product
    x mode pairs of the disproportionality table (0 when it did not run).  ``notes`` say, counted,
    what kept records out of the scan (no product id, no failure mode, too few events) for each
    table that gave no series; ``nothing_scanned`` is true when no detector saw anything, which
    is not the same as "nothing found".
    """

    as_of: date
    series_scanned: int
    signals: list[Signal]
    raised: list[str]
    updated: list[str]
    reopened: list[str]
    unchanged: list[str]
    pairs_scanned: int = 0
    coverage: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    calibration: dict = field(default_factory=dict)
    known: list[Signal] = field(default_factory=list)     # follow-ons of known issues: not raised

    @property
    def nothing_scanned(self) -> bool:
        return self.series_scanned == 0 and self.pairs_scanned == 0

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "series_scanned": self.series_scanned,
                "pairs_scanned": self.pairs_scanned, "nothing_scanned": self.nothing_scanned,
                "signals": [s.to_dict() for s in self.signals], "raised": self.raised, "updated": self.updated,
                "reopened": self.reopened, "unchanged": self.unchanged, "coverage": self.coverage,
                "notes": self.notes, "calibration": self.calibration, "known": [s.to_dict() for s in self.known]}


def _scope_series(con, scope: str, table: str, as_of: date, config: ScanConfig) -> dict[tuple, CountSeries]:
    """Series keyed (product, mode) whatever the scope; ``ALL`` stands for every product or mode."""
    by = SCOPES[scope]
    series = series_for_store(con, freq=config.freq, by=by, as_of=as_of, table=table,
                              service_months=config.service_months, count=config.count,
                              dimension=config.by if table == "reports" else "mode")
    if scope == "product":
        return {(key[0], ALL): s for key, s in series.items()}
    if scope == "mode":
        return {(ALL, key[0]): s for key, s in series.items()}
    return series


def temporal_signals(all_series: dict[tuple, CountSeries], table: str, config: ScanConfig,
                     expected: dict[tuple, np.ndarray] | None = None, scope: str = "product_mode",
                     too_short: dict[str, list[int]] | None = None,
                     thresholds: dict | None = None) -> list[Signal]:
    """Alarms in the last ``lookback`` periods of each series, one per (series, method).

    A method that takes an in-control mean (GLR) is run from the product's launch against
    the exposure-based mean when ``expected`` has one for the series; otherwise each detector
    scores the last periods against the series' own history.
    """
    # statsmodels sets "always" filters for its warnings when first imported; imported inside the
    # catch_warnings below, they would outrank its "ignore" and a GLM warning would reach the user.
    import statsmodels.api  # noqa: F401

    too_short = {} if too_short is None else too_short     # method -> [history it needs, series it skipped]
    found = []
    budget_params = method_params(config, all_series, expected, thresholds)
    for key, series in all_series.items():
        if series.counts.sum() < config.min_total:
            continue
        product_id, mode = (None if k == ALL else k for k in key)
        for method in config.methods:
            params, prior = budget_params(method, key)
            plan = exposure_params(method, params, (expected or {}).get(key)) if config.exposure else None
            baseline = "exposure" if plan else "history"
            chosen = dict(plan[0] if plan else params)
            if method in THRESHOLD_LAST_METHODS:
                chosen.setdefault("threshold_last", config.lookback)
            det = detector(method, **chosen)
            start = plan[1] if plan else max(len(series) - config.lookback, 0)
            if start < det.min_history():
                too_short.setdefault(method, [det.min_history(), 0])[1] += 1
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")   # GLM fits on sparse history warn; the alarm is what counts
                    det.fit(series, start=start)
            except InputError:
                too_short.setdefault(method, [det.min_history(), 0])[1] += 1
                continue                              # e.g. no reference yet: an all-zero history
            offset = len(series) - config.lookback - start   # scored index of the first period that may alarm
            alarm = det.alarm_ & (series.counts[start:] >= config.floor())
            fired = np.flatnonzero(alarm[max(offset, 0):]) + max(offset, 0)
            if fired.size == 0:
                continue
            i = int(fired[0])              # the first alarm in the window: when it was first visible
            period_index = start + i
            shown = det.get_params()
            shown.pop("mu0", None) if plan else None
            if plan:
                shown[MEAN_PARAMETER[method]] = "exposure"      # the per-period means are in the evidence
            # The statistic beside its own limit (GLR vs c_arl, C3 vs z ...); threshold_ is the
            # smallest count that would have alarmed, kept as count_threshold.
            rule = det.alarm_rule()
            extra = {}
            if method == NB_EXCESS:
                rule = AlarmRule(rule.statistic, rule.op, round(det.limit_, 4), rule.meaning)
                extra = {"false_alarms_per_year": config.false_alarms_per_year,
                         "false_alarm_level_per_period": det.alpha_,
                         "tail_probability": _finite(det.tail_[i]), "dispersion": _finite(det.dispersion_[i]),
                         "prior": "exposure (units in service x the others' rate)" if plan else prior}
            found.append(Signal(
                scope, table, product_id, mode, method, series.periods[period_index],
                _finite(det.rule_statistic()[i]), rule.threshold,
                {"freq": series.freq, "period": series.periods[period_index].isoformat(), "baseline": baseline,
                 "rule": rule.to_dict(), "count_threshold": _finite(det.threshold_[i]),
                 "alarm_periods": [series.periods[start + int(k)].isoformat() for k in fired],
                 "count": float(series.counts[period_index]), "expected": _finite(det.expected_[i]),
                 **rate_ratio_score(series.counts[period_index], _finite(det.expected_[i])), **extra,
                 **_rates(series, period_index, det.expected_[i]),
                 "series": {"periods": [p.isoformat() for p in series.periods[-EVIDENCE_PERIODS:]],
                            "counts": series.counts[-EVIDENCE_PERIODS:].tolist(),
                            "expected": _tail(det.expected_, EVIDENCE_PERIODS),
                            "units_in_service": (None if series.denominators is None
                                                 else series.denominators[-EVIDENCE_PERIODS:].tolist())},
                 "params": shown}))
    return found


def _rates(series: CountSeries, index: int, expected: float) -> dict:
    """Count and expected per 10,000 units in service, where sales give the units."""
    units = None if series.denominators is None else float(series.denominators[index])
    if not units or not np.isfinite(units):
        return {}
    return {"units_in_service": units, "rate_per_10k_units": round(series.counts[index] / units * 1e4, 4),
            "expected_rate_per_10k_units": _finite(round(expected / units * 1e4, 4))}


def _tail(values: np.ndarray, n: int) -> list:
    return [_finite(v) for v in values[-n:]]


def pair_counts(con, as_of: date, count: str = "failures") -> pd.DataFrame:
    """Distinct complaints per (product, mode) with their margins, for disproportionality."""
    import ibis

    t = counted_records(con, "reports", count)
    t = t.filter(t.created_at.notnull() & t.product_id.notnull()
                 & (t.created_at < ibis.timestamp(datetime.combine(as_of + timedelta(days=1), datetime.min.time()))))
    # One row per report (every counted view has one): its product and its distinct modes.  The
    # margins are counted from these rows and the pairs from their unnested modes, so no
    # distinct runs over the unnested rows (120M at 100M reports: it spilled past DuckDB's
    # memory limit and grew faster than the data).  A report's product is one, so each event's
    # margin is the sum of its pairs and the total the sum of the products' margins.
    modes = t.failure_modes.filter(lambda m: m.notnull()).unique()
    r = t.select(product=t.product_id, modes=modes)
    r = r.filter(r.modes.length() > 0)
    u = r.select(product=r.product, event=r.modes.unnest())
    pairs = u.group_by(["product", "event"]).aggregate(n=u.count()).to_pyarrow().to_pandas()
    products = r.group_by("product").aggregate(n_product=r.count()).to_pyarrow().to_pandas()
    events = pairs.groupby("event", as_index=False)["n"].sum().rename(columns={"n": "n_event"})
    frame = pairs.merge(products, on="product").merge(events, on="event")
    total = int(products["n_product"].sum())
    frame["total"] = total
    return frame


def disproportionality_signals(con, as_of: date, rules: SignalRules, counts: pd.DataFrame | None = None) -> list[Signal]:
    from defectradar.signals.contingency import ContingencyTable
    from defectradar.signals.disproportionality import analyse

    counts = pair_counts(con, as_of) if counts is None else counts
    if len(counts) < MIN_PAIRS:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # small tables cannot pin the MGPS prior; the rules still apply
        result = analyse(ContingencyTable.from_counts(counts), rules)
    week = period_start(as_of, "week")
    found = []
    for row in result.signals.itertuples(index=False):
        fired = row.rules_fired.split(",") if isinstance(row.rules_fired, str) else list(row.rules_fired)
        rule, column = disproportionality_rule(rules, fired)
        found.append(Signal(
            "product_mode", "reports", row.product, row.event, "disproportionality", week,
            _finite(getattr(row, column)), rule.threshold,
            {"n": int(row.n), "score": _finite(row.eb05), "expected": _finite(row.expected), "prr": _finite(row.prr), "ror": _finite(row.ror),
             "ror_lower": _finite(row.ror_lower), "ic025": _finite(row.ic025), "ebgm": _finite(row.ebgm),
             "eb05": _finite(row.eb05), "rule": rule.to_dict(),
             "rules_fired": list(row.rules_fired) if not isinstance(row.rules_fired, str) else row.rules_fired}))
    return found


# The statistic a disproportionality signal is shown with: the first rule that fired, in this order.
_DISPROPORTIONALITY_RULES = {  # rule -> (column, statistic, op, threshold setting, meaning)
    "ebgm": ("eb05", "EB05", ">=", "eb05_min", EB05_MEANING),
    "ror": ("ror_lower", "ROR025", ">", "ror_lower_min", "lower 95% limit of the reporting odds ratio"),
    "ic": ("ic025", "IC025", ">", "ic025_min", "lower 95% limit of the information component"),
    "evans": ("prr", "PRR", ">=", "prr_min", "proportional reporting ratio, with chi-square and n (Evans)"),
}


def disproportionality_rule(rules: SignalRules, fired: list[str]) -> tuple[AlarmRule, str]:
    """The rule a disproportionality signal is reported against, and the result column it reads."""
    name = next((r for r in _DISPROPORTIONALITY_RULES if r in fired), None) or rules.enabled[0]
    column, statistic, op, setting, meaning = _DISPROPORTIONALITY_RULES[name]
    return AlarmRule(statistic, op, float(getattr(rules, setting)), meaning), column


def _attach_trends(con, signals: list[Signal], as_of: date) -> None:
    """For complaint signals: is the rise a viral burst or a slowly spreading defect?"""
    from defectradar.analyses.trending import trends_for_store
    from defectradar.signals.trending import ALL_MODES

    wanted = [s for s in signals if s.source == "reports" and s.product_id is not None]
    if not wanted:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Only the posts the signals are about: their products and, when every signal names a
            # mode, those modes (at ten million reports, all posts of 56 days took seconds).
            modes = None if any(s.failure_mode is None for s in wanted) else sorted({s.failure_mode for s in wanted})
            trends = trends_for_store(con, as_of, products=sorted({s.product_id for s in wanted}), modes=modes,
                                      groups={(s.product_id, s.failure_mode or ALL_MODES) for s in wanted}).trends_
    except InputError:
        return                                       # no posts in the window: nothing to tell
    for s in wanted:
        call = trends.get((s.product_id, s.failure_mode or ALL_MODES))
        if call is not None:
            s.evidence["trend"] = {"kind": call.kind, "peak_day": call.peak_day and call.peak_day.isoformat(),
                                   "reasons": list(call.reasons)}


def scan(store, as_of: date | str | None = None, config: ScanConfig | None = None,
         progress: Progress | None = None, rules_dir: str | None = None) -> ScanResult:
    """Run every configured detector as of ``as_of``; on a store, also update the alerts.

    ``store`` is a :class:`~defectradar.store.connect.Store` (read, then the signals recorded as
    alerts through the writer) or a backend without the ``alerts`` capability (Spark over an
    export): the signals are found the same way and returned, not recorded, and a note says so.
    ``rules_dir`` (rule sets for known issues) defaults to the store's setting.
    """
    config = config or ScanConfig()
    on_store = isinstance(store, Store)
    if on_store:
        rules_dir = rules_dir or store.settings.rules_dir
    with (store.reader() if on_store else nullcontext(store)) as con:
        as_of = as_date(as_of, "--as-of") or default_as_of(con)
        signals: list[Signal] = []
        scanned, pairs = 0, 0
        coverage: dict[str, dict] = {}
        empty: list[str] = []
        too_short: dict[str, list[int]] = {}
        thresholds: dict[str, dict] = {}
        series_years = 0.0
        if progress:
            progress.start("scan", len(config.tables) + int(config.disproportionality))
        for step, table in enumerate(config.tables, 1):
            in_table, too_few = 0, 0
            for scope in config.scopes:
                series = _scope_series(con, scope, table, as_of, config)
                totals = [s.counts.sum() for s in series.values()]
                in_table += sum(1 for t in totals if t >= config.min_total)
                too_few += sum(1 for t in totals if 0 < t < config.min_total)
                expected = (expected_from_exposure(series, config.exposure_window, config.prior_events)
                            if config.exposure else None)
                signals.extend(temporal_signals(series, table, config, expected, scope, too_short, thresholds))
                series_years += sum(len(s) for s in series.values() if s.counts.sum() >= config.min_total) \
                    * PERIOD_DAYS[config.freq] / 365.25
            scanned += in_table
            coverage[table] = {**event_coverage(con, table, as_of, count=config.count,
                                                dimension=config.by if table == "reports" else "mode"),
                               "series_scanned": in_table,
                               "series_below_min_total": too_few}
            if in_table == 0:
                empty.extend(_why_nothing(table, coverage[table], config, as_of))
            if progress:
                progress.update(step)
        if config.disproportionality:
            counts = pair_counts(con, as_of, "component" if config.by == "component" else config.count)
            pairs = len(counts) if len(counts) >= MIN_PAIRS else 0
            signals.extend(disproportionality_signals(con, as_of, config.rules, counts))
            if progress:
                progress.update(len(config.tables) + 1)
        rows = "component" if config.by == "component" else config.count
        signals, weak = apply_evidence_rules(con, signals, config.freq, as_of, rows, config.min_authors)
        attach_reports(con, signals, config.freq, as_of, rows)
        if config.emerging_terms and "reports" in config.tables:
            from defectradar.analyses.emerging_terms import emerging_term_signals

            # Words no rule knows, rising for one product: a failure mode nobody has named yet.
            signals.extend(emerging_term_signals(con, as_of, freq=config.freq, min_authors=config.min_authors))
        known = _label_known(rules_dir, con, signals, as_of) if config.known_issues else []
        _attach_trends(con, signals, as_of)
    # A table with no rows at all (a store of complaints only) is worth a word only when nothing
    # else was scanned either; a table whose rows could not be used always is.
    notes = [n for n in empty if not n.startswith("no ") or (scanned == 0 and pairs == 0)]
    notes += [f"{method} needs {needs} periods of history and skipped {n:,} series that have less (nb-excess "
              "scores those from a prior)" for method, (needs, n) in sorted(too_short.items()) if n]
    if weak:
        notes.append(f"{len(weak)} alarm(s) kept out: fewer than min_authors={config.min_authors} distinct authors "
                     "(devices) in the alarm period (" + ", ".join(sorted({f"{s.product_id or '(all)'}/"
                                                                          f"{s.failure_mode or '(all)'}"
                                                                          for s in weak})[:5]) + ")")
    calibration = calibration_summary(config, series_years, thresholds)
    new = [s for s in signals if s not in known]       # a follow-on of a known issue raises no alert
    if on_store:
        with store.writer() as con:
            recorded = record_signals(con, new, as_of)
    else:
        recorded = RecordResult()
        notes.append(f"alerts not recorded: the {store.name} backend reads an export; scan the store "
                     "(--backend duckdb) to raise and track alerts")
    if progress:
        progress.finish()
    new.sort(key=lambda s: -(s.evidence.get("score") or 0.0))
    known.sort(key=lambda s: -(s.evidence.get("score") or 0.0))
    return ScanResult(as_of, scanned, new, recorded.raised, recorded.updated, recorded.reopened,
                      recorded.unchanged, pairs, coverage, notes, calibration, known)


def _label_known(rules_dir: str | None, con, signals: list[Signal], as_of: date) -> list[Signal]:
    """The signals that follow a known issue (a recall, an announcement, a policy) and do not
    grow beyond what follows it (analyses/known.py); they are reported apart, not raised."""
    from defectradar.analyses.known import known_issues, label_known
    from defectradar.remedies.rule_book import load_rule_book

    issues = known_issues(con, as_of, rule_book=load_rule_book(rules_dir))
    return label_known(signals, issues) if issues else []


def _why_nothing(table: str, cov: dict, config: ScanConfig, as_of: date) -> list[str]:
    """Counted reasons why ``table`` gave no series to scan, each with what to do about it."""
    name = _TABLE_NAMES.get(table, table)
    if cov["rows"] == 0:
        return [f"no {name} ({table}) dated up to {as_of}"
                + ("; ingest some (docs/formats.md) or scan as of a later --as-of" if table == "reports" else "")]
    needs = {part for scope in config.scopes for part in SCOPES[scope]}
    notes = []
    if "product" in needs and cov["no_product"]:
        named = ", ".join(f"{raw} ({n:,})" for raw, n in cov["unmatched_products"])
        notes.append(f"{cov['no_product']:,} of {cov['rows']:,} {name} have no product id: no catalog product "
                     f"matched them{' (most named: ' + named + ')' if named else ''}; draft a catalog of your "
                     "products with `defectradar catalog build FILE --brand-col B --model-col M --out CATALOG.yaml` "
                     "and "
                     + ("label them again with `defectradar reclassify --catalog CATALOG.yaml`" if table == "reports"
                        else "ingest them with --catalog CATALOG.yaml")
                     + ("" if named else "; or, if the file names the product in a column of another name, ingest "
                        "it again with --replace --map product=COLUMN"))
    if "mode" in needs and cov["no_mode"] and table == "reports":
        notes.append(f"{cov['no_mode']:,} of {cov['rows']:,} {name} have no failure mode: nothing in the taxonomy "
                     "matched their text; label them (`defectradar label`), or ingest / `defectradar reclassify` "
                     "with a taxonomy or model of your own (docs/classification.md)")
    if "mode" in needs and cov["no_mode"] and table != "reports":
        notes.append(f"{cov['no_mode']:,} of {cov['rows']:,} {name} have no failure mode: nothing in the taxonomy "
                     "matched their fault text (docs/classification.md; ingest them with --taxonomy of your own)")
    if cov["undated"]:
        notes.append(f"{cov['undated']:,} of {cov['rows']:,} {name} have no date and cannot be placed in a period; "
                     "if the file has a date column of another name, ingest it again with --replace "
                     f"--map {'created_at' if table == 'reports' else 'event_date'}=COLUMN")
    if cov["series_below_min_total"]:
        notes.append(f"{cov['series_below_min_total']:,} {name} series have fewer than min_total={config.min_total} "
                     "events; to scan them, lower it in a YAML file given with --config (e.g. `min_total: 2`; "
                     "docs/signals.md, Scans and their configuration)")
    return notes or [f"{cov['usable']:,} of {cov['rows']:,} {name} are usable, but they make no series to scan"]


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


__all__ = ["ScanConfig", "ScanResult", "default_as_of", "load_scan_config", "scan", "temporal_signals",
           "pair_counts"]
