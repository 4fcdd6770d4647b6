"""Scoring monthly alarms against real recalls, shared by ``recall_backtest.py`` (NHTSA Hyundai/Kia)
and ``recall_backtest_vehicles.py`` (NHTSA Ford/Tesla/Toyota, model x component).

A data set is a :class:`Panel`: complaint counts per series (a model, or a model x component)
and month, the month each series begins, and the recall *units* (one per campaign x series, with
the month the recall was reported).  Every method gives, per series-month, an alarm and a score
to rank it by; months are judged the same way for all of them:

* **scanned**: the months a monthly scan would look at: from ``start`` on, once the series is
  ``burn_in`` months old and holds at least ``min_total`` complaints up to that month (the
  scan's ``min_total``); an alarm also needs the scan's evidence floor of complaints in its
  month (:func:`evidence_floor`).  Every method is scored on the same months;
* **caught**: a unit is caught when its series alarms in the ``LOOKBACK`` (12) months before the
  recall month; **lead** is months from the first such alarm to the recall month.  Units are
  counted when their whole window is scanned: recall month from ``start + 12`` to the end of the
  recall data (and at most one month after the last complaint month);
* **explained**: an alarm in month *m* is explained when a recall of its series is reported in
  months *m+1 .. m+12*; **full follow-up**: *m + 12* is a complete month of the recall data.
  *Unexplained alarms* are the alarms with full follow-up that are not explained;
* **precision at k**: the share of explained alarms among the k highest-scored alarms with full
  follow-up (each method ranked by its own score; a tie across the k-th place counts at its
  average, so the order of tied alarms does not matter); "-" when there are fewer than k;
* **luck**: the campaigns the same alarms would catch with the recall dates moved: per unit, the
  share of recall months over the counted range whose window holds an alarm of its series
  (windows with no scanned month skipped), summed over the units.

The detectors are run as the scan runs them (:func:`scan_alarms`): month *t* is decided by a
fit on the series cut at *t*, scoring the last ``lookback`` months against all months before them
(so the baseline is refitted every month, as a monthly scan would), and the alarm is the
decision for *t* itself.
"""

from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table

LOOKBACK = 12                 # months before the recall month in which an alarm counts
FOLLOW_UP = 12                # months after an alarm in which a recall explains it
KS = (10, 25, 50)             # precision at k
NAIVE_LABEL = "naive rule (b1)"
NAIVE = {"multiple": 2.0, "min": 10, "window": 6}   # count >= 2x the mean of the 6 months before, and >= 10
COMPARISON = ("glr-poisson", "ears-c3", "bursts")
SCAN = "scan"                 # --method name for the scan's default methods


# ---------------------------------------------------------------------------- the data
def data_folder(folder: str, given: str | None) -> Path:
    """``folder`` of the shared data: in ``given``, ``$DEFECTRADAR_SHARED_DATA``, next to the
    repository, then ``/work/shared/data`` (``given`` may also be the folder itself)."""
    repo = Path(__file__).resolve().parents[1]
    candidates = [given, os.environ.get("DEFECTRADAR_SHARED_DATA"), repo.parent / "shared" / "data", "/work/shared/data"]
    for base in candidates:
        if base and (Path(base) / folder).is_dir():
            return Path(base) / folder
        if base and Path(base).name == folder and Path(base).is_dir():
            return Path(base)
    raise SystemExit(f"data folder {folder!r} not found (looked in {[c for c in candidates if c]}); pass --data")


@dataclass
class Panel:
    counts: pd.DataFrame          # series x month (PeriodIndex, freq M), history included
    first: pd.Series              # series -> its first month (Period); earlier columns are not part of it
    units: pd.DataFrame           # one row per recall unit: campaign, series, month (Period)
    start: pd.Period              # first month an alarm is scored
    recall_end: pd.Timestamp      # the recall data are complete up to this day
    notes: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)   # series -> (product, mode), as a scan keys it

    def key(self, row: int) -> tuple:
        series = self.counts.index[row]
        return self.keys.get(series, (series, "*"))

    @property
    def end(self) -> pd.Period:
        return self.counts.columns[-1]

    @property
    def follow_up_end(self) -> pd.Period:
        """The last complete month of the recall data."""
        month = self.recall_end.to_period("M")
        return month if self.recall_end.normalize() == month.end_time.normalize() else month - 1

    def campaign_months(self) -> pd.PeriodIndex:
        """Recall months whose whole 12-month window is scored (and inside the complaint data)."""
        last = min(self.recall_end.to_period("M"), self.end + 1)
        return pd.period_range(self.start + LOOKBACK, last, freq="M")

    def counted_units(self) -> pd.DataFrame:
        months = self.campaign_months()
        if len(months) == 0:
            return self.units.iloc[:0]
        return self.units[(self.units["month"] >= months[0]) & (self.units["month"] <= months[-1])]


def _ordinals(columns) -> np.ndarray:
    return np.array([p.ordinal for p in columns], dtype=np.int64)


def scanned_months(panel: Panel, burn_in: int, min_total: int) -> pd.DataFrame:
    """The series-months a monthly scan looks at (the same for every method)."""
    values = panel.counts.to_numpy(dtype=float)
    cols = _ordinals(panel.counts.columns)
    first = np.array([panel.first[s].ordinal for s in panel.counts.index], dtype=np.int64)
    age = cols[None, :] - first[:, None]
    total = np.cumsum(np.where(age >= 0, values, 0.0), axis=1)
    mask = (cols >= panel.start.ordinal)[None, :] & (age >= burn_in) & (total >= min_total)
    return pd.DataFrame(mask, index=panel.counts.index, columns=panel.counts.columns)


# ---------------------------------------------------------------------------- the methods
def naive_rule(panel: Panel, multiple: float = NAIVE["multiple"], minimum: int = NAIVE["min"],
               window: int = NAIVE["window"]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline: count >= ``multiple`` x the mean of the ``window`` months before and >=
    ``minimum``; its score is count / that mean (infinite over a mean of 0).  Months with fewer
    than ``window`` months of the series before them are not flagged."""
    values = panel.counts.to_numpy(dtype=float)
    cols = _ordinals(panel.counts.columns)
    first = np.array([panel.first[s].ordinal for s in panel.counts.index], dtype=np.int64)
    mean = np.full(values.shape, np.nan)
    cumulative = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1)], axis=1)
    if values.shape[1] > window:
        mean[:, window:] = (cumulative[:, window:-1] - cumulative[:, :-window - 1]) / window
    mean[(cols[None, :] - first[:, None]) < window] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        alarm = (values >= multiple * mean) & (values >= minimum)
        ratio = np.where(mean > 0, values / np.where(mean > 0, mean, 1.0), np.inf)
    score = np.where(np.isnan(mean), np.nan, ratio)
    return (pd.DataFrame(alarm, index=panel.counts.index, columns=panel.counts.columns),
            pd.DataFrame(score, index=panel.counts.index, columns=panel.counts.columns))


def method_list(config, requested: list[str] | None) -> list[tuple[str, str, dict]]:
    """(label, method, parameters) to run: the scan's methods with its parameters, then the
    comparison methods with the scan's parameters for them, without repeats.  ``requested``
    names methods (``scan`` for the scan's own); default: the scan's, then COMPARISON."""
    from defectradar.signals.registry import methods as known

    names = requested or [SCAN, *COMPARISON]
    out, seen = [], set()
    for name in names:
        expanded = [(m, True) for m in config.methods] if name == SCAN else [(name, name in config.methods)]
        for method, default in expanded:
            if method not in known():
                raise SystemExit(f"unknown method {method!r}; choose from {SCAN}, {', '.join(known())}")
            if method in seen:
                continue
            seen.add(method)
            out.append((f"{method} (scan default)" if default else method, method,
                        dict(config.params.get(method, {}))))
    return out


def period_score(det) -> float:
    """What ranks the detector's decision for the last period: its ``score_`` or ``rank_score``
    (an attribute, or a method taking no argument) where it offers one, else the statistic its
    alarm rule compares."""
    for name in ("score_", "rank_score"):
        value = getattr(det, name, None)
        if value is None:
            continue
        if callable(value):
            value = value()
        values = np.asarray(value, dtype=float).reshape(-1)
        return float(values[-1]) if values.size else math.nan
    try:
        values = np.asarray(det.rule_statistic(), dtype=float).reshape(-1)
    except Exception:
        values = np.asarray(getattr(det, "statistic_", []), dtype=float).reshape(-1)
    return float(values[-1]) if values.size else math.nan


def _series_decisions(task) -> tuple[int, list[tuple[int, bool, float]], dict[str, int]]:
    """One series: (column, alarm, score) for each month to decide, and why fits were skipped."""
    from defectradar.core.series import CountSeries
    from defectradar.errors import InputError
    from defectradar.signals.registry import detector

    row, method, periods, counts, months, lookback = task
    out, notes = [], {}

    def skip(t, why):
        notes[why] = notes.get(why, 0) + 1
        out.append((t, False, math.nan))

    for t, params in months:                           # t indexes `periods` (the series from its first month)
        det = detector(method, **params)
        cut = CountSeries(periods[:t + 1], counts[:t + 1], freq="month")
        start = max(len(cut) - lookback, 0)
        if start < det.min_history():
            skip(t, "history shorter than the method needs")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                det.fit(cut, start=start)
        except InputError:                             # the scan skips the series that month (e.g. no reference)
            skip(t, "no reference (InputError)")
            continue
        except Exception as exc:                       # a numerical failure on one month must not end the run
            skip(t, f"{type(exc).__name__}: {str(exc)[:60]}")
            continue
        out.append((t, bool(np.asarray(det.alarm_)[-1]), period_score(det)))
    return row, out, notes


def scan_params(method: str, params: dict, config, panel: Panel, needed: dict[int, list[int]]):
    """``(row, column) -> parameters`` as the scan sets them for each series and month.

    Where the scan borrows across series (``scan.method_params``: nb-excess's pooled dispersion
    and the same component's level in other models), that is recomputed from every series as of
    each month; otherwise every series gets ``params``."""
    import dataclasses

    from defectradar.analyses import scan
    from defectradar.core.series import CountSeries

    chooser = getattr(scan, "method_params", None)
    constant = lambda row, col: params  # noqa: E731
    if chooser is None:
        return constant
    values = panel.counts.to_numpy(dtype=float)
    cols = _ordinals(panel.counts.columns)
    periods = [p.to_timestamp().date() for p in panel.counts.columns]
    offsets = {i: int(np.searchsorted(cols, panel.first[s].ordinal)) for i, s in enumerate(panel.counts.index)}
    config = dataclasses.replace(config, methods=(method,))

    def at(col: int) -> dict:
        live = [i for i in range(len(values)) if offsets[i] <= col]
        all_series = {panel.key(i): CountSeries(periods[offsets[i]:col + 1], values[i, offsets[i]:col + 1], freq="month")
                      for i in live}
        return all_series

    probe = chooser(config, at(len(cols) - 1))
    if all(probe(method, panel.key(i))[0] == {**config.params.get(method, {})} for i in range(len(values))):
        return constant                                # the scan does not borrow for this method
    by_col: dict[int, list[int]] = {}
    for row, columns in needed.items():
        for col in columns:
            by_col.setdefault(col, []).append(row)
    chosen: dict[tuple[int, int], dict] = {}
    for col, rows in by_col.items():
        pick = chooser(config, at(col))
        for row in rows:
            chosen[row, col] = {**pick(method, panel.key(row))[0],
                                **{k: v for k, v in params.items() if k == "threshold_last"}}
    return lambda row, col: chosen[row, col]


def scan_alarms(method: str, params: dict, panel: Panel, scanned: pd.DataFrame, config, jobs: int = 1,
                advance=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Alarms and scores per series-month of one detector, as a monthly scan decides them.

    Only scanned months with at least the scan's floor of complaints are fitted (no other
    month can alarm); ``advance(n)`` is called as series are done (a progress bar)."""
    from defectradar.analyses.scan import THRESHOLD_LAST_METHODS

    if method in THRESHOLD_LAST_METHODS:
        params = {**params, "threshold_last": 0}         # thresholds (counts) are not needed here
    values = panel.counts.to_numpy(dtype=float)
    cols = _ordinals(panel.counts.columns)
    offsets = [int(np.searchsorted(cols, panel.first[s].ordinal)) for s in panel.counts.index]
    floor = evidence_floor(config)
    needed = {i: [int(t) for t in np.flatnonzero(scanned.iloc[i].to_numpy() & (values[i] >= floor))]
              for i in range(len(values))}
    needed = {i: c for i, c in needed.items() if c}
    params_at = scan_params(method, params, config, panel, needed)
    tasks = []
    for i, columns in needed.items():
        periods = [p.to_timestamp().date() for p in panel.counts.columns[offsets[i]:]]
        tasks.append((i, method, periods, values[i, offsets[i]:],
                      [(c - offsets[i], params_at(i, c)) for c in columns], config.lookback))
    alarm = np.zeros(values.shape, dtype=bool)
    score = np.full(values.shape, np.nan)
    notes: dict[str, int] = {}

    def collect(result):
        row, decisions, why = result
        for t, fired, value in decisions:
            alarm[row, t + offsets[row]] = fired
            score[row, t + offsets[row]] = value
        for key, n in why.items():
            notes[key] = notes.get(key, 0) + n
        if advance:
            advance(1)

    if advance:
        advance(0, total=len(tasks))
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(_series_decisions, tasks, chunksize=max(1, len(tasks) // (jobs * 8))):
                collect(result)
    else:
        for task in tasks:
            collect(_series_decisions(task))
    index, columns = panel.counts.index, panel.counts.columns
    return pd.DataFrame(alarm, index=index, columns=columns), pd.DataFrame(score, index=index, columns=columns), notes


def evidence_floor(config) -> int:
    """Complaints a monthly alarm needs: the scan's floor for months (``ScanConfig.floor``), or
    its ``min_last`` in a configuration without one."""
    floor = getattr(config, "floor", None)
    return int(floor("month")) if callable(floor) else int(config.min_last)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# ---------------------------------------------------------------------------- scoring
def capture(alarms: pd.DataFrame, scanned: pd.DataFrame, units: pd.DataFrame,
            lookback: int = LOOKBACK) -> pd.DataFrame:
    """Per unit: has_series, scored (a scanned month in its window), caught, first_alarm, lead."""
    rows = {s: i for i, s in enumerate(alarms.index)}
    cols = _ordinals(alarms.columns)
    a, s = alarms.to_numpy(dtype=bool), scanned.to_numpy(dtype=bool)
    out = []
    for unit in units.itertuples(index=False):
        entry = {"has_series": unit.series in rows, "scored": False, "caught": False, "first_alarm": None,
                 "lead": None}
        if entry["has_series"]:
            i = rows[unit.series]
            window = np.flatnonzero((cols >= unit.month.ordinal - lookback) & (cols < unit.month.ordinal))
            entry["scored"] = bool(s[i, window].any())
            hits = window[a[i, window] & s[i, window]]
            if hits.size:
                first = alarms.columns[hits[0]]
                entry.update(caught=True, first_alarm=first, lead=int(unit.month.ordinal - first.ordinal))
        out.append(entry)
    return pd.DataFrame(out, index=units.index, columns=["has_series", "scored", "caught", "first_alarm", "lead"])


def explained(index, columns, units: pd.DataFrame, follow_up: int = FOLLOW_UP) -> pd.DataFrame:
    """Per series-month: is a recall of the series reported in the ``follow_up`` months after it."""
    cols = _ordinals(columns)
    out = np.zeros((len(index), len(columns)), dtype=bool)
    by_series = {s: np.sort(np.array([m.ordinal for m in g["month"]], dtype=np.int64))
                 for s, g in units.groupby("series")}
    for i, series in enumerate(index):
        months = by_series.get(series)
        if months is None:
            continue
        inside = np.searchsorted(months, cols + follow_up, side="right") - np.searchsorted(months, cols, side="right")
        out[i] = inside > 0
    return pd.DataFrame(out, index=index, columns=columns)


def full_follow_up(columns, follow_up_end: pd.Period, follow_up: int = FOLLOW_UP) -> np.ndarray:
    """Per month: do its ``follow_up`` months lie inside the complete months of the recall data."""
    return _ordinals(columns) + follow_up <= follow_up_end.ordinal


def precision_at_k(scores, hits, k: int) -> float | None:
    """Share of hits among the ``k`` highest scores; a tie across the k-th place counts at the
    tied group's hit rate (the expectation over their order).  None when fewer than k."""
    scores = np.asarray(scores, dtype=float)
    hits = np.asarray(hits, dtype=bool)
    if len(scores) < k or k <= 0:
        return None
    scores = np.where(np.isnan(scores), -np.inf, scores)
    kth = np.sort(scores)[::-1][k - 1]
    above, tied = scores > kth, scores == kth
    expected = hits[above].sum() + (k - above.sum()) * hits[tied].mean()
    return float(expected / k)


def luck(alarms: pd.DataFrame, scanned: pd.DataFrame, units: pd.DataFrame, months,
         lookback: int = LOOKBACK) -> float:
    """Units the alarms would catch with each unit's recall month moved over ``months``: the sum
    over units of the share of those months whose window holds an alarm (windows without a
    scanned month skipped)."""
    rows = {s: i for i, s in enumerate(alarms.index)}
    cols = _ordinals(alarms.columns)
    a = (alarms & scanned).to_numpy(dtype=bool)
    s = scanned.to_numpy(dtype=bool)
    windows = [np.flatnonzero((cols >= m.ordinal - lookback) & (cols < m.ordinal)) for m in months]
    rates: dict[int, float] = {}
    total = 0.0
    for series in units["series"]:
        i = rows.get(series)
        if i is None:
            continue
        if i not in rates:
            judged = [bool(a[i, w].any()) for w in windows if s[i, w].any()]
            rates[i] = float(np.mean(judged)) if judged else 0.0
        total += rates[i]
    return total


def evaluate(label: str, params: dict | None, alarms: pd.DataFrame, scores: pd.DataFrame, scanned: pd.DataFrame,
             panel: Panel, min_last: int, followed: pd.DataFrame | None = None, seconds: float | None = None,
             notes: dict | None = None) -> dict:
    """Every figure of one method on one panel."""
    alarms = alarms & scanned & (panel.counts >= min_last)
    units = panel.counted_units()
    cap = capture(alarms, scanned, units)
    followed = explained(panel.counts.index, panel.counts.columns, panel.units) if followed is None else followed
    full = np.broadcast_to(full_follow_up(panel.counts.columns, panel.follow_up_end), alarms.shape)
    a = alarms.to_numpy(dtype=bool)
    judged = a & full
    hit = followed.to_numpy(dtype=bool)
    leads = [int(x) for x in cap.loc[cap["caught"], "lead"]]
    caught_units = units[cap["caught"].to_numpy(dtype=bool)]
    out = {
        "method": label, "params": params, "seconds": None if seconds is None else round(seconds, 1),
        "units": int(len(units)), "units_with_series": int(cap["has_series"].sum()),
        "units_scored": int(cap["scored"].sum()), "caught": int(cap["caught"].sum()),
        "campaigns_caught": int(caught_units["campaign"].nunique()),
        "median_lead": float(np.median(leads)) if leads else None,
        "luck": luck(alarms, scanned, units, panel.campaign_months()),
        "alarms": int(a.sum()), "alarms_full_follow_up": int(judged.sum()),
        "unexplained": int((judged & ~hit).sum()),
        "precision_full_follow_up": float((judged & hit).sum() / judged.sum()) if judged.any() else None,
        "notes": notes or {},
        "caught_units": [{"campaign": u.campaign, "series": u.series, "recall_month": str(u.month),
                          "first_alarm": str(c.first_alarm), "lead": int(c.lead)}
                         for u, c in zip(caught_units.itertuples(index=False),
                                         cap[cap["caught"]].itertuples(index=False))],
    }
    ranked = scores.to_numpy(dtype=float)[judged]
    for k in KS:
        out[f"p_at_{k}"] = precision_at_k(ranked, hit[judged], k)
    return out


def luck_precision(panel: Panel, scanned: pd.DataFrame, followed: pd.DataFrame, floor: int) -> float | None:
    """Share of scanned series-months with >= ``floor`` complaints and full follow-up that are
    explained: the precision of alarms placed at random on such months."""
    full = np.broadcast_to(full_follow_up(panel.counts.columns, panel.follow_up_end), scanned.shape)
    eligible = scanned.to_numpy(dtype=bool) & (panel.counts.to_numpy() >= floor) & full
    return float(followed.to_numpy()[eligible].mean()) if eligible.any() else None


def run_all(panel: Panel, config, requested: list[str] | None, burn_in: int, jobs: int, console) -> dict:
    """The naive rule and every requested detector on one panel, with a progress bar."""
    import time

    from rich.progress import Progress

    min_last, min_total, lookback = evidence_floor(config), config.min_total, config.lookback
    if len(panel.campaign_months()) == 0:
        raise SystemExit(f"no recall month has its whole {LOOKBACK}-month window from {panel.start} to {panel.end}; "
                         "choose an earlier --start")
    scanned = scanned_months(panel, burn_in, min_total)
    followed = explained(panel.counts.index, panel.counts.columns, panel.units)
    started = time.perf_counter()
    flags, ratio = naive_rule(panel)
    results = [evaluate(NAIVE_LABEL, dict(NAIVE), flags, ratio, scanned, panel, min_last, followed,
                        time.perf_counter() - started)]
    with Progress(console=console, transient=True) as bar:
        for label, method, params in method_list(config, requested):
            task = bar.add_task(label, total=None)

            def advance(n, total=None, task=task):
                bar.update(task, advance=n, **({"total": total} if total is not None else {}))

            started = time.perf_counter()
            alarms, scores, notes = scan_alarms(method, params, panel, scanned, config, jobs, advance)
            results.append(evaluate(label, params, alarms, scores, scanned, panel, min_last, followed,
                                    time.perf_counter() - started, notes))
            bar.remove_task(task)
    defaults = [r for r in results if r["method"].endswith("(scan default)")]
    return {"start": str(panel.start), "end": str(panel.end), "follow_up_end": str(panel.follow_up_end),
            "campaign_months": [str(m) for m in panel.campaign_months()[[0, -1]]],
            "burn_in": burn_in, "min_last": min_last, "min_total": min_total, "scan_lookback": lookback,
            "series": int(len(panel.counts)), "series_scanned": int(scanned.any(axis=1).sum()),
            "series_months_scanned": int(scanned.to_numpy().sum()),
            "luck_precision": luck_precision(panel, scanned, followed, min_last),
            "luck_precision_floor": luck_precision(panel, scanned, followed, NAIVE["min"]),
            "scan_config": {"methods": list(config.methods), "params": config.params,
                            "false_alarms_per_year": getattr(config, "false_alarms_per_year", None)},
            "notes": panel.notes, "methods": results, "target": [target(r, results[0]) for r in defaults]}


def target(method: dict, naive: dict) -> dict:
    """Issue 15's target for one scan default: catches >= the naive rule, no more unexplained
    alarms, an earlier (longer) median lead."""
    lead_ok = (method["median_lead"] is not None
               and (naive["median_lead"] is None or method["median_lead"] > naive["median_lead"]))
    checks = {"caught": method["caught"] >= naive["caught"], "unexplained": method["unexplained"] <= naive["unexplained"],
              "median_lead": lead_ok}
    return {"method": method["method"], **checks, "met": all(checks.values())}


# ---------------------------------------------------------------------------- output
def _f(value, fmt="{:.2f}"):
    return "-" if value is None else fmt.format(value)


COLUMNS = ("method", "caught", "luck", "median lead (mo)", "alarms", "unexplained (full f-up)",
           "alarms (full f-up)", "P@10", "P@25", "P@50", "s")


def _cells(r: dict) -> list[str]:
    return [r["method"], f"{r['caught']}/{r['units_scored']}", _f(r["luck"], "{:.1f}"), _f(r["median_lead"], "{:.1f}"),
            str(r["alarms"]), str(r["unexplained"]), str(r["alarms_full_follow_up"]),
            *[_f(r[f"p_at_{k}"]) for k in KS], _f(r["seconds"], "{:.0f}")]


def _verdict(result: dict) -> str:
    parts = []
    for t in result["target"]:
        missed = [k for k in ("caught", "unexplained", "median_lead") if not t[k]]
        parts.append(f"{t['method']}: target {'met' if t['met'] else 'not met (' + ', '.join(missed) + ')'}")
    return "; ".join(parts) or "no scan default among the methods run"


def render(console, title: str, result: dict) -> None:
    table = Table(title=title)
    for col in COLUMNS:
        table.add_column(col, justify="left" if col == "method" else "right")
    for r in result["methods"]:
        table.add_row(*_cells(r))
    console.print(table)
    console.print(_explain(result))
    console.print(_verdict(result))


def _explain(result: dict) -> str:
    first = result["methods"][0]
    return (f"caught: recall units (campaign x series) with an alarm in the 12 months before the recall month, of "
            f"{first['units_scored']} scored ({first['units']} units reported {result['campaign_months'][0]}.."
            f"{result['campaign_months'][1]}, {first['units_with_series']} with a complaint series); luck: units the "
            f"same alarms catch with recall dates moved; alarms scored {result['start']}..{result['end']}, an alarm "
            f"needs >= {result['min_last']} complaints; full follow-up: alarm months to "
            f"{pd.Period(result['follow_up_end'], 'M') - FOLLOW_UP}. A random scanned month with >= {result['min_last']} "
            f"complaints is explained {_f(result['luck_precision'])} of the time"
            + ("." if result["min_last"] == NAIVE["min"] else
               f" (>= {NAIVE['min']}: {_f(result['luck_precision_floor'])})."))


def markdown(title: str, result: dict) -> str:
    lines = [f"### {title}", "", "| " + " | ".join(COLUMNS) + " |",
             "|---|" + "---:|" * (len(COLUMNS) - 1)]
    for r in result["methods"]:
        cells = _cells(r)
        if r["method"].endswith("(scan default)"):
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", _explain(result), "", _verdict(result) + ".", ""]
    return "\n".join(lines)
