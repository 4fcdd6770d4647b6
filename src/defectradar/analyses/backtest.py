"""Back-testing the detectors on a simulated world whose defects are known.

The world's files are ingested into a temporary store (the whole pipeline, classifier
included), then every temporal detector runs over every product × failure-mode series of
complaints and of repair visits, **as of each period**: a prospective detector scores period
*t* from the periods before it, so one pass gives what it would have said each week; a
retrospective one (Kleinberg's bursts, whose dynamic programme sees the whole series) is re-run
on the series cut at each period.  Alarms are scored against ``truth.json``:

* a series is *affected* when the truth injects a defect for its product and mode; alarms on it
  from the defect's ``onset`` on are true, earlier ones and all alarms on other series false;
* **POD** (probability of detection): affected series alarmed within ``horizon_days`` of onset;
* **delay**: days from onset to the end of the first true alarm period (when the alarm is known);
* **false alarms per series-year**: false alarm periods over the monitored series-years
  (unaffected series, and affected ones before onset);
* **PPV**: true alarm periods over all alarm periods.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from defectradar.analyses.scan import THRESHOLD_LAST_METHODS, ScanConfig, method_params
from defectradar.config import Settings
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.progress import Progress
from defectradar.query.series import series_for_store
from defectradar.signals.exposure import expected_from_exposure, exposure_params, takes_expected
from defectradar.signals.registry import detector, methods
from defectradar.store.connect import Store

WORLD_FILES = (("sales", "sales.csv"), ("service-records", "service_records.csv"), ("weibo", "weibo.jsonl"))
PERIOD_DAYS = {"day": 1, "week": 7}


@dataclass
class MethodScore:
    method: str
    table: str
    series: int
    affected: int
    detected: int
    pod: float
    delays: dict[str, int | None]          # defect id -> days from onset to first true alarm
    median_delay: float | None
    false_alarms: int
    series_years: float
    false_alarms_per_series_year: float
    true_alarms: int
    ppv: float | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BacktestResult:
    world: str
    freq: str
    scores: list[MethodScore] = field(default_factory=list)

    def best(self, defect_id: str) -> tuple[str, str, int] | None:
        """The method and table that alarmed earliest for one defect, and its delay."""
        candidates = [(s.delays.get(defect_id), s.method, s.table) for s in self.scores
                      if s.delays.get(defect_id) is not None]
        if not candidates:
            return None
        delay, method, table = min(candidates)
        return method, table, delay

    def to_dict(self) -> dict:
        return {"world": self.world, "freq": self.freq, "scores": [s.to_dict() for s in self.scores]}


@dataclass(frozen=True)
class Defect:
    id: str
    product_id: str
    mode: str
    onset: date


def load_truth(world: Path) -> list[Defect]:
    path = world / "truth.json"
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the world's truth ({exc}); is {world} a simulated world?") from None
    defects = []
    for d in truth.get("defects", []):
        if d.get("onset"):
            for product in d["product_ids"]:
                defects.append(Defect(d["defect_id"], product, d["failure_mode"], date.fromisoformat(d["onset"])))
    return defects


def alarms_as_of_each_period(det, series: CountSeries, start: int | None = None) -> tuple[np.ndarray, int]:
    """Boolean alarm per period, each decided with the data available at that period, and the
    first period scored (``len(series)`` when the series is too short for the method)."""
    alarms = np.zeros(len(series), dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if getattr(det, "retrospective", False):
                start = det.min_history() if start is None else start
                for t in range(start, len(series)):
                    cut = CountSeries(series.periods[:t + 1], series.counts[:t + 1],
                                      None if series.denominators is None else series.denominators[:t + 1],
                                      series.freq, series.name)
                    alarms[t] = bool(det.fit(cut, start=t).alarm_[-1])
            else:
                det.fit(series, start=start)       # prospective: period t is scored from periods <= t only
                start = det.start_
                alarms[start:] = det.alarm_
        except InputError:
            # Too short for the method's history, or no reference yet (a history of zeros before
            # launch gives CUSUM no mean): the method cannot alarm on this series.
            return alarms, len(series)
    return alarms, start


def method_alarms(method: str, params: dict, series: CountSeries, expected: np.ndarray | None,
                  exposure: bool) -> tuple[np.ndarray, int] | None:
    """Alarms of one method on one series and the first period it could score; ``None`` when
    the exposure variant does not apply to the series."""
    if method in THRESHOLD_LAST_METHODS:
        params = {**params, "threshold_last": 0}       # alarms are scored, thresholds not needed
    if exposure:
        plan = exposure_params(method, params, expected)
        if plan is None:
            return None
        with_mean, start = plan
        det = detector(method, **with_mean)
    else:
        det, start = detector(method, **params), None
    return alarms_as_of_each_period(det, series, start)


def score_method(method: str, table: str, all_series: dict[tuple, CountSeries], defects: list[Defect],
                 freq: str, params: dict, min_total: int, min_count: int, horizon_days: int,
                 expected: dict[tuple, np.ndarray] | None = None, exposure: bool = False,
                 series_params=None) -> MethodScore:
    """Score one method on every series; ``series_params(method, key) -> (params, prior)`` gives
    per-series parameters (nb-excess borrows from the other series) instead of ``params``."""
    by_series = {(d.product_id, d.mode): d for d in defects}
    step = PERIOD_DAYS[freq]
    delays: dict[str, int | None] = {d.id: None for d in defects if (d.product_id, d.mode) in all_series}
    false_alarms = true_alarms = 0
    monitored_periods = 0
    scanned = affected = 0
    for key, series in all_series.items():
        if series.counts.sum() < min_total:
            continue
        chosen = series_params(method, key)[0] if series_params else params
        run = method_alarms(method, chosen, series, (expected or {}).get(key), exposure)
        if run is None:
            continue
        alarms, first = run
        if first >= len(series):
            continue                                        # too short, or no baseline: not scored
        scanned += 1
        alarms &= series.counts >= min_count
        known = np.array([p + timedelta(days=step - 1) for p in series.periods])   # the day an alarm is known
        scored = np.arange(len(series)) >= first          # series-years count only periods the method scored
        defect = by_series.get(key)
        if defect is None:
            false_alarms += int(alarms.sum())
            monitored_periods += int(scored.sum())
            continue
        affected += 1
        before = (known < defect.onset) & scored
        false_alarms += int((alarms & before).sum())
        true_alarms += int((alarms & ~before).sum())
        monitored_periods += int(before.sum())
        hits = np.flatnonzero(alarms & ~before)
        if hits.size:
            delay = (known[hits[0]] - defect.onset).days
            if delay <= horizon_days:
                delays[defect.id] = delay
    detected = sum(1 for d in delays.values() if d is not None)
    series_years = monitored_periods * step / 365.25
    found = [d for d in delays.values() if d is not None]
    total_alarms = true_alarms + false_alarms
    label = f"{method}+exposure" if exposure else method
    return MethodScore(label, table, scanned, affected, detected, detected / affected if affected else float("nan"),
                       delays, float(np.median(found)) if found else None, false_alarms, round(series_years, 2),
                       false_alarms / series_years if series_years else float("nan"), true_alarms,
                       true_alarms / total_alarms if total_alarms else None)


def backtest(world_dir: str | Path, settings: Settings, *, methods_to_run: tuple[str, ...] | None = None,
             freq: str = "week", config: ScanConfig | None = None, horizon_days: int = 365,
             store: Store | None = None, progress: Progress | None = None) -> BacktestResult:
    """Ingest a simulated world (unless ``store`` already holds it) and score every detector.

    Parameters, thresholds and the exposure baseline come from ``config`` (the scan's
    defaults when ``None``), so the back-test measures what ``signals scan`` would do.
    Methods that take an in-control mean are scored twice: on their own history and, where
    sales give units in service, against the exposure-based mean (``method+exposure``).
    """
    from defectradar.ingest.pipeline import ingest_file

    world = Path(world_dir)
    if not (world / "truth.json").exists():
        raise InputError(f"{world} has no truth.json; make a world with `defectradar simulate --out {world}`")
    if freq not in PERIOD_DAYS:
        raise InputError("back-tests run on daily or weekly series (day or week)")
    defects = load_truth(world)
    methods_to_run = tuple(methods_to_run or methods())
    config = config or ScanConfig(freq=freq)
    with tempfile.TemporaryDirectory(prefix="defectradar-backtest-") as folder:
        if store is None:
            store = Store(Path(folder) / "world.duckdb", settings.replace(db=str(Path(folder) / "world.duckdb")))
            for source_type, name in WORLD_FILES:
                ingest_file(store, world / name, source_type=source_type)
        result = BacktestResult(str(world), freq)
        with store.reader() as con:
            tables = {table: series_for_store(con, freq=freq, by=("product", "mode"), table=table,
                                              service_months=config.service_months)
                      for table in ("reports", "service_events")}
        expected = {table: expected_from_exposure(all_series, config.exposure_window, config.prior_events)
                    for table, all_series in tables.items()}
        runs = [(m, e) for m in methods_to_run for e in (False, True) if not e or takes_expected(m)]
        if progress:
            progress.start("backtest", len(runs) * len(tables))
        done = 0
        for method, exposure in runs:
            for table, all_series in tables.items():
                # The pooled dispersion and prior level of nb-excess are fitted on whole series here
                # (two numbers borrowed across series); a scan as of a date sees only data to it.
                result.scores.append(score_method(method, table, all_series, defects, freq,
                                                  config.params.get(method, {}), config.min_total, config.floor(freq),
                                                  horizon_days, expected[table], exposure,
                                                  method_params(config, all_series)))
                done += 1
                if progress:
                    progress.update(done)
        if progress:
            progress.finish()
    return result
