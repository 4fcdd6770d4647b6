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

import warnings
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from defectradar.errors import InputError
from defectradar.progress import Progress
from defectradar.query.series import period_start, series_for_store
from defectradar.query.stats import backend
from defectradar.signals.alerts import Signal, record_signals
from defectradar.signals.base import CountSeries
from defectradar.signals.exposure import MEAN_PARAMETER, expected_from_exposure, exposure_params
from defectradar.signals.registry import detector, methods
from defectradar.signals.signal_rules import SignalRules
from defectradar.store.connect import Store
from defectradar.user_files import load_user_yaml, read_user_text

# The back-test (docs/benchmarks.md) picks the default: on repair visits the Poisson GLR against
# the exposure-based mean (13-week window, threshold 6, tuned on the default world and checked
# on another seed) keeps false alarms under 1 per 10 series-years and finds the Mi 11 Wi-Fi and
# motherboard defects within 45 days; EARS, CUSUM and bursts raise 4-40x more false alarms and
# Farrington needs years of history that a phone does not have.  Each can be switched on.
DEFAULT_METHODS = ("glr-poisson",)
DEFAULT_PARAMS = {"glr-poisson": {"window": 13, "c_arl": 6.0}, "glr-nb": {"window": 13, "c_arl": 6.0}}
EVIDENCE_PERIODS = 12
# Detectors whose threshold (a search per period) can be limited to the periods a scan reports.
THRESHOLD_LAST_METHODS = frozenset({"glr-poisson", "glr-nb"})
ALL = "*"                   # the key part of a series over every product (or every mode)
SCOPES = {"product_mode": ("product", "mode"), "product": ("product",), "mode": ("mode",)}
EVIDENCE_REPORTS = 50


@dataclass
class ScanConfig:
    """What a scan runs.  ``params`` maps a method to its parameters."""

    freq: str = "week"
    methods: tuple[str, ...] = DEFAULT_METHODS
    params: dict[str, dict] = field(default_factory=lambda: {m: dict(p) for m, p in DEFAULT_PARAMS.items()})
    tables: tuple[str, ...] = ("reports", "service_events")
    scopes: tuple[str, ...] = ("product_mode",)   # also "product" (all modes) and "mode" (all products)
    min_total: int = 5           # series with fewer events in all are not scanned
    min_last: int = 2            # an alarm needs at least this many events in the alarm period
    lookback: int = 4            # alarms in this many latest periods are reported (GLR restarts after one)
    exposure: bool = True        # rate-aware means (units in service x others' rate) where sales are known
    exposure_window: int = 26    # periods of the others' (and own) rate behind each expected count
    prior_events: float = 10.0   # weight, in events, of the others' rate in a product's own rate
    service_months: int = 36     # a unit counts as in service this long after its sale
    disproportionality: bool = True
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
    as_of: date
    series_scanned: int
    signals: list[Signal]
    raised: list[str]
    updated: list[str]
    reopened: list[str]
    unchanged: list[str]

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "series_scanned": self.series_scanned,
                "signals": [s.to_dict() for s in self.signals], "raised": self.raised, "updated": self.updated,
                "reopened": self.reopened, "unchanged": self.unchanged}


def _default_as_of(con) -> date:
    latest = con.execute("SELECT max(created_at) FROM reports").fetchone()[0]
    return (latest.date() if latest else datetime.now().date())


def _scope_series(con, scope: str, table: str, as_of: date, config: ScanConfig) -> dict[tuple, CountSeries]:
    """Series keyed (product, mode) whatever the scope; ``ALL`` stands for every product or mode."""
    by = SCOPES[scope]
    series = series_for_store(con, freq=config.freq, by=by, as_of=as_of, table=table,
                              service_months=config.service_months)
    if scope == "product":
        return {(key[0], ALL): s for key, s in series.items()}
    if scope == "mode":
        return {(ALL, key[0]): s for key, s in series.items()}
    return series


def temporal_signals(all_series: dict[tuple, CountSeries], table: str, config: ScanConfig,
                     expected: dict[tuple, np.ndarray] | None = None, scope: str = "product_mode") -> list[Signal]:
    """Alarms in the last ``lookback`` periods of each series, one per (series, method).

    A method that takes an in-control mean (GLR) is run from the product's launch against
    the exposure-based mean when ``expected`` has one for the series; otherwise each detector
    scores the last periods against the series' own history.
    """
    found = []
    for key, series in all_series.items():
        if series.counts.sum() < config.min_total:
            continue
        product_id, mode = (None if k == ALL else k for k in key)
        for method in config.methods:
            params = config.params.get(method, {})
            plan = exposure_params(method, params, (expected or {}).get(key)) if config.exposure else None
            baseline = "exposure" if plan else "history"
            chosen = dict(plan[0] if plan else params)
            if method in THRESHOLD_LAST_METHODS:
                chosen.setdefault("threshold_last", config.lookback)
            det = detector(method, **chosen)
            start = plan[1] if plan else max(len(series) - config.lookback, 0)
            if start < det.min_history():
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")   # GLM fits on sparse history warn; the alarm is what counts
                    det.fit(series, start=start)
            except InputError:
                continue                              # e.g. no reference yet: an all-zero history
            offset = len(series) - config.lookback - start   # scored index of the first period that may alarm
            alarm = det.alarm_ & (series.counts[start:] >= config.min_last)
            fired = np.flatnonzero(alarm[max(offset, 0):]) + max(offset, 0)
            if fired.size == 0:
                continue
            i = int(fired[0])              # the first alarm in the window: when it was first visible
            period_index = start + i
            shown = det.get_params()
            if plan:
                shown[MEAN_PARAMETER[method]] = "exposure"      # the per-period means are in the evidence
            found.append(Signal(
                scope, table, product_id, mode, method, series.periods[period_index],
                _finite(det.statistic_[i]), _finite(det.threshold_[i]),
                {"freq": series.freq, "period": series.periods[period_index].isoformat(), "baseline": baseline,
                 "alarm_periods": [series.periods[start + int(k)].isoformat() for k in fired],
                 "count": float(series.counts[period_index]), "expected": _finite(det.expected_[i]),
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


def pair_counts(con, as_of: date) -> pd.DataFrame:
    """Distinct complaints per (product, mode) with their margins, for disproportionality."""
    import ibis

    t = backend(con).table("reports_labelled")
    t = t.filter(t.created_at.notnull() & t.product_id.notnull()
                 & (t.created_at < ibis.timestamp(datetime.combine(as_of + timedelta(days=1), datetime.min.time()))))
    t = t.select(report_id=t.report_id, product=t.product_id, event=t.failure_modes.unnest())
    # One pass over the labelled view into a small temporary table of distinct (report, product,
    # event) rows; the pair counts and margins are then cheap group-bys over it.  (Ibis' own
    # cache() leaves a finaliser that this DuckDB version rejects, hence the plain SQL.)
    con.execute(f"CREATE OR REPLACE TEMP TABLE scan_pairs AS {ibis.to_sql(t.filter(t.event.notnull()).distinct())}")
    try:
        frame = con.execute(
            "WITH pairs AS (SELECT product, event, count(*) AS n FROM scan_pairs GROUP BY ALL), "
            "products AS (SELECT product, count(DISTINCT report_id) AS n_product FROM scan_pairs GROUP BY ALL), "
            "events AS (SELECT event, count(*) AS n_event FROM scan_pairs GROUP BY ALL) "
            "SELECT * FROM pairs JOIN products USING (product) JOIN events USING (event)").df()
        total = con.execute("SELECT count(DISTINCT report_id) FROM scan_pairs").fetchone()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS scan_pairs")
    frame["total"] = total
    return frame


def disproportionality_signals(con, as_of: date, rules: SignalRules) -> list[Signal]:
    from defectradar.signals.contingency import ContingencyTable
    from defectradar.signals.disproportionality import analyse

    counts = pair_counts(con, as_of)
    if len(counts) < 3:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # small tables cannot pin the MGPS prior; the rules still apply
        result = analyse(ContingencyTable.from_counts(counts), rules)
    week = period_start(as_of, "week")
    found = []
    for row in result.signals.itertuples(index=False):
        found.append(Signal(
            "product_mode", "reports", row.product, row.event, "disproportionality", week,
            _finite(row.eb05), rules.eb05_min,
            {"n": int(row.n), "expected": _finite(row.expected), "prr": _finite(row.prr), "ror": _finite(row.ror),
             "ic025": _finite(row.ic025), "ebgm": _finite(row.ebgm), "eb05": _finite(row.eb05),
             "rules_fired": list(row.rules_fired) if not isinstance(row.rules_fired, str) else row.rules_fired}))
    return found


def _attach_reports(con, signals: list[Signal], freq: str) -> None:
    """The records behind each temporal alarm: ids of the complaints (``reports``) or of the
    repair visits (``service_events``, pseudonymous event ids) in the alarm period."""
    sources = {  # table, id, date column, mode filter, extra condition
        "reports": ("reports_labelled", "report_id", "created_at", "list_contains(failure_modes, ?)", "true"),
        "service_events": ("service_events", "event_id", "date", "failure_mode = ?", "action <> 'inspect'"),
    }
    for s in signals:
        if s.method == "disproportionality" or s.source not in sources:
            continue
        table, id_col, day, mode_filter, extra = sources[s.source]
        end = s.period + (timedelta(days=7) if freq == "week" else timedelta(days=1))
        where, params = [extra, f"{day} >= ?", f"{day} < ?"], [s.period, end]
        if s.product_id is not None:
            where.append("product_id = ?")
            params.append(s.product_id)
        if s.failure_mode is not None:
            where.append(mode_filter)
            params.append(s.failure_mode)
        rows = con.execute(f"SELECT {id_col} FROM {table} WHERE {' AND '.join(where)} "
                           f"ORDER BY {day}, {id_col} LIMIT ?", [*params, EVIDENCE_REPORTS]).fetchall()
        s.evidence["reports"] = [str(r[0]) for r in rows]


def _attach_trends(con, signals: list[Signal], as_of: date) -> None:
    """For complaint signals: is the rise a viral burst or a slowly spreading defect?"""
    from defectradar.signals.trending import ALL_MODES, trends_for_store

    wanted = [s for s in signals if s.source == "reports" and s.product_id is not None]
    if not wanted:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trends = trends_for_store(con, as_of).trends_
    except InputError:
        return                                       # no posts in the window: nothing to tell
    for s in wanted:
        call = trends.get((s.product_id, s.failure_mode or ALL_MODES))
        if call is not None:
            s.evidence["trend"] = {"kind": call.kind, "peak_day": call.peak_day and call.peak_day.isoformat(),
                                   "reasons": list(call.reasons)}


def scan(store: Store, as_of: date | str | None = None, config: ScanConfig | None = None,
         progress: Progress | None = None) -> ScanResult:
    """Run every configured detector over the store as of ``as_of`` and update the alerts."""
    config = config or ScanConfig()
    with store.reader() as con:
        as_of = _as_date(as_of) or _default_as_of(con)
        signals: list[Signal] = []
        scanned = 0
        if progress:
            progress.start("scan", len(config.tables) + int(config.disproportionality))
        for step, table in enumerate(config.tables, 1):
            for scope in config.scopes:
                series = _scope_series(con, scope, table, as_of, config)
                scanned += sum(1 for s in series.values() if s.counts.sum() >= config.min_total)
                expected = (expected_from_exposure(series, config.exposure_window, config.prior_events)
                            if config.exposure else None)
                signals.extend(temporal_signals(series, table, config, expected, scope))
            if progress:
                progress.update(step)
        if config.disproportionality:
            signals.extend(disproportionality_signals(con, as_of, config.rules))
            if progress:
                progress.update(len(config.tables) + 1)
        _attach_reports(con, signals, config.freq)
        _attach_trends(con, signals, as_of)
    with store.writer() as con:
        recorded = record_signals(con, signals, as_of)
    if progress:
        progress.finish()
    return ScanResult(as_of, scanned, signals, recorded.raised, recorded.updated, recorded.reopened,
                      recorded.unchanged)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


__all__ = ["ScanConfig", "ScanResult", "load_scan_config", "scan", "temporal_signals", "pair_counts"]
