"""Signal detection at scale: disproportionality + MGPS and a full scan of every series.

Usage::

    python benchmarks/signals.py [--reports 10000000] [--products 200] [--modes 20] [--weeks 104]
                                 [--freq week] [--methods ...] [--repeat 3] [--json] [--profile] [--work DIR]

Generates (seed 11) a synthetic complaint table of ``--reports`` reports, one row per
(report, product, failure mode), with realistic skew: zipf-like product popularity (weight
``1/rank^1.07``), staggered product launches with monthly sales from launch (so units in
service, and complaints with them, grow over time), zipf-like mode frequencies with a
log-normal per-product tilt, 1-3 modes per report, and 12 injected disproportionate
(product, mode) pairs, half of them as a surge in the last six weeks.  Dates span ``--weeks``
weeks (about two years).  The rows are written twice, in a temporary folder:

* ``events.duckdb``: the flat table ``report_events(id, product, event, created_at)``;
* a defectradar store (migrated by :class:`~defectradar.store.connect.Store`) whose ``reports``
  and ``sales`` rows are inserted directly with DuckDB in the store's schema (the ingest
  pipeline would take minutes at this size and is measured by ``benchmarks/ingest.py``).

Then it times, each stage on its own (best of ``--repeat`` runs):

1. **disproportionality**: distinct-report counts per pair with their margins (defectradar's
   :func:`~defectradar.analyses.scan.pair_counts` over the store, and plain SQL over the flat
   table), :meth:`ContingencyTable.from_counts`, :class:`Disproportionality` (PRR, ROR,
   chi-square, IC, BCPNN), the :class:`MGPS` fit (with and without squashing) and its posterior
   (EBGM, EB05, EB95), and :func:`analyse` end to end.
   Target (issue 4): statistics + MGPS fit < 10 s.
2. **scan**: the steps :func:`~defectradar.analyses.scan.scan` takes for the complaints table:
   every product x mode count series (:func:`series_for_store`), the exposure-based means
   (:func:`expected_from_exposure`) and the scan's default temporal detectors over every series
   (:func:`temporal_signals`, and per method); then ``scan()`` itself end to end twice, on a
   store without alerts and again with them in place, its steps timed inside the run.
   Target: series + detectors < 30 s on this 2-core machine.

The floor each is compared with is bare DuckDB counting the same flat table:
``GROUP BY product, event`` for disproportionality and ``GROUP BY product, event, period`` for
the scan.  ``--profile`` runs the scan stages again under cProfile and prints where time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import machine  # noqa: E402  (the benchmarks share one machine description)

START = date(2024, 1, 1)          # a Monday: weekly periods line up with the data's first day
SEED = 11
N_INJECTED = 12                   # disproportionate (product, mode) pairs; the first half surge late
SURGE_WEEKS = 6
DISPROP_TARGET_S = 10.0
SCAN_TARGET_S = 30.0


# ---------------------------------------------------------------------------- synthetic data
def generate(n_reports: int, n_products: int, n_modes: int, weeks: int, seed: int = SEED) -> dict:
    """Reports with one product, 1-3 distinct modes and a timestamp; see the module docstring.

    Returns numpy arrays (``product``, ``created`` in seconds from ``START``, ``offsets``,
    ``events``: the modes of report ``i`` are ``events[offsets[i]:offsets[i+1]]``), the monthly
    ``sales`` rows (product, month, units) and the truth (injected pairs).
    """
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 1.07
    product = rng.choice(n_products, size=n_reports, p=popularity / popularity.sum()).astype(np.int32)

    # Staggered launches on month starts: the top 40 % sell from the first month, the rest launch in
    # the first 60 % of the span.  Each product sells the same number of units every month from its
    # launch, so its units in service grow linearly, and so do its complaints (at one rate per unit,
    # apart from the mode tilt below): report times have density proportional to time since launch.
    seconds = weeks * 7 * 86_400
    month_starts = _month_starts(weeks)
    month_seconds = np.array([(m - START).days * 86_400 for m in month_starts], dtype=np.int64)
    first_month = np.where(np.arange(n_products) < 0.4 * n_products, 0,
                           rng.integers(0, max(int(0.6 * len(month_starts)), 1), n_products))
    launch = month_seconds[first_month]
    start = launch[product]
    created = start + (np.sqrt(rng.random(n_reports)) * (seconds - start)).astype(np.int64)
    # Units: reports_p = rate * units_per_month_p * T_p^2 / 2 (T_p months on sale), rate 0.002 per unit-month.
    months_on_sale = (seconds - launch) / (seconds / (weeks * 7 / 30.4375))
    expected_reports = n_reports * popularity / popularity.sum()
    units = np.maximum(np.round(expected_reports / (0.002 * months_on_sale ** 2 / 2)), 1).astype(np.int64)
    sales = [(f"p{p:03d}", month_starts[m], int(units[p]))
             for p in range(n_products) for m in range(int(first_month[p]), len(month_starts))]

    # Mode probabilities per product: zipf-like overall, tilted per product, some pairs boosted.
    base = 1.0 / np.arange(1, n_modes + 1) ** 0.8
    probs = base[None, :] * np.exp(rng.normal(0.0, 0.35, (n_products, n_modes)))
    injected = []
    chosen = rng.choice(min(n_products, 100) * n_modes, size=N_INJECTED, replace=False)
    late_probs = probs.copy()
    for k, cell in enumerate(chosen):
        p, m = divmod(int(cell), n_modes)
        factor = float(rng.uniform(4, 10))
        surge = k < N_INJECTED // 2
        (late_probs if surge else probs)[p, m] *= factor
        if not surge:
            late_probs[p, m] *= factor
        injected.append({"product": f"p{p:03d}", "event": f"m{m:02d}", "factor": round(factor, 2),
                         "surge_last_weeks": SURGE_WEEKS if surge else None})
    late = created >= seconds - SURGE_WEEKS * 7 * 86_400
    first = np.empty(n_reports, dtype=np.int16)
    u = rng.random(n_reports)
    order = np.argsort(product, kind="stable")
    bounds = np.searchsorted(product[order], np.arange(n_products + 1))
    for p in range(n_products):
        rows = order[bounds[p]:bounds[p + 1]]
        for table, mask in ((probs, ~late[rows]), (late_probs, late[rows])):
            cum = np.cumsum(table[p] / table[p].sum())
            picked = rows[mask]
            first[picked] = np.minimum(np.searchsorted(cum, u[picked], side="right"), n_modes - 1)

    # 1-3 modes per report (80 / 17 / 3 %); the extra modes are distinct from the first.
    draw = rng.random(n_reports)
    k = 1 + (draw < 0.20) + (draw < 0.03)
    offsets = np.zeros(n_reports + 1, dtype=np.int64)
    np.cumsum(k, out=offsets[1:])
    events = np.empty(offsets[-1], dtype=np.int16)
    shift1 = rng.integers(1, max(n_modes // 2, 2), n_reports)
    shift2 = shift1 + rng.integers(1, max(n_modes - shift1.max(), 2), n_reports)
    events[offsets[:-1]] = first
    two, three = np.flatnonzero(k >= 2), np.flatnonzero(k >= 3)
    events[offsets[two] + 1] = (first[two] + shift1[two]) % n_modes
    events[offsets[three] + 2] = (first[three] + shift2[three]) % n_modes
    return {"product": product, "created": created, "offsets": offsets, "events": events,
            "injected": injected, "rows": int(offsets[-1]), "sales": sales}


def _month_starts(weeks: int) -> list[date]:
    end = START + timedelta(weeks=weeks)
    months, day = [], START.replace(day=1)
    while day < end:
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _arrow_tables(data: dict, n_products: int, n_modes: int):
    import pyarrow as pa

    products = pa.array([f"p{i:03d}" for i in range(n_products)])
    modes = pa.array([f"m{j:02d}" for j in range(n_modes)])
    created = pa.array(np.datetime64(START, "s") + data["created"].astype("timedelta64[s]"), pa.timestamp("s"))
    n_reports = len(data["product"])
    per_report = np.diff(data["offsets"])
    events_table = pa.table({
        "id": np.repeat(np.arange(n_reports, dtype=np.int64), per_report),
        "product": pa.DictionaryArray.from_arrays(np.repeat(data["product"], per_report), products),
        "event": pa.DictionaryArray.from_arrays(data["events"].astype(np.int32), modes),
        "created_at": pa.array(np.repeat(created.to_numpy(zero_copy_only=False), per_report), pa.timestamp("s")),
    })
    mode_values = pa.DictionaryArray.from_arrays(data["events"].astype(np.int32), modes).dictionary_decode()
    reports_table = pa.table({
        "id": np.arange(n_reports, dtype=np.int64),
        "product": pa.DictionaryArray.from_arrays(data["product"], products).dictionary_decode(),
        "failure_modes": pa.ListArray.from_arrays(pa.array(data["offsets"].astype(np.int32)), mode_values),
        "created_at": created,
    })
    return events_table, reports_table


def build(work: Path, args, console: Console) -> dict:
    """Write events.duckdb and the store under ``work`` (reused when the parameters match)."""
    import duckdb

    meta_path = work / "meta.json"
    wanted = {"reports": args.reports, "products": args.products, "modes": args.modes, "weeks": args.weeks,
              "sales": args.sales, "seed": SEED, "version": 2}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == wanted:
            console.print(f"[dim]reusing data in {work}[/]")
            return meta
    for name in ("events.duckdb", "store.duckdb"):
        for suffix in ("", ".wal", ".lock"):
            Path(str(work / name) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    with _progress(console) as bar:
        task = bar.add_task("generate reports", total=4)
        data = generate(args.reports, args.products, args.modes, args.weeks)
        bar.update(task, advance=1, description="arrow tables")
        events_arrow, reports_arrow = _arrow_tables(data, args.products, args.modes)
        del data["offsets"], data["events"], data["created"], data["product"]
        bar.update(task, advance=1, description="events.duckdb")
        con = duckdb.connect(str(work / "events.duckdb"))
        con.register("events_arrow", events_arrow)
        con.execute("CREATE TABLE report_events AS SELECT id, product::VARCHAR AS product, "
                    "event::VARCHAR AS event, created_at::TIMESTAMP AS created_at FROM events_arrow")
        con.close()
        del events_arrow
        bar.update(task, advance=1, description="store (reports table)")
        store = _store(work)
        store.migrate()
        con = duckdb.connect(str(store.path))
        con.register("reports_arrow", reports_arrow)
        # Only the columns the reports schema requires or signals read; report_id as ingest makes it (md5 hex).
        con.execute("""
            INSERT INTO reports (report_id, source, source_type, source_id, created_at, text, product_raw,
                                 product_id, failure_modes, label_source, confidence, ingest_run, ingested_at)
            SELECT md5('bench:' || id), 'bench', 'synthetic', id::VARCHAR, created_at::TIMESTAMP,
                   'synthetic complaint', product, product, failure_modes, 'rule', 1.0, 'bench-run',
                   TIMESTAMP '2026-01-01 00:00:00'
            FROM reports_arrow""")
        if args.sales:
            con.executemany("INSERT INTO sales (sales_id, product_raw, product_id, month, units, source, ingest_run, "
                            "ingested_at) VALUES (md5(? || ?::VARCHAR), ?, ?, ?, ?, 'bench', 'bench-run', "
                            "TIMESTAMP '2026-01-01 00:00:00')",
                            [[p, m, p, p, m, u] for p, m, u in data["sales"]])
        con.execute("CHECKPOINT")
        con.close()
        bar.update(task, advance=1)
    meta = {"params": wanted, "rows": data["rows"], "injected": data["injected"],
            "build_s": time.perf_counter() - started}
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def _store(work: Path):
    from defectradar.config import load_settings
    from defectradar.store.connect import Store

    os.environ.setdefault("DEFECTRADAR_KEY_DIR", str(work / "keys"))
    settings = load_settings(db=str(work / "store.duckdb"))
    return Store(settings.db, settings)


# ---------------------------------------------------------------------------- timing
@contextmanager
def _progress(console: Console):
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        yield bar


class Timer:
    """Runs each stage ``repeat`` times (``once=True``: one time), keeps the fastest wall time.

    The fastest of several runs is the figure least disturbed by other work on a shared machine;
    ``spread`` keeps the slowest too, so noisy runs show.
    """

    def __init__(self, bar, task, repeat: int):
        self.bar, self.task, self.repeat = bar, task, repeat
        self.seconds: dict[str, float] = {}
        self.spread: dict[str, list[float]] = {}

    def run(self, name: str, fn, *args, once: bool = False, **kwargs):
        self.bar.update(self.task, description=name)
        times = []
        for _ in range(1 if once else self.repeat):
            started = time.perf_counter()
            result = fn(*args, **kwargs)
            times.append(time.perf_counter() - started)
        self.seconds[name] = min(times)
        self.spread[name] = [round(min(times), 3), round(max(times), 3)]
        self.bar.update(self.task, advance=1)
        return result


def _events_con(work: Path):
    import duckdb

    return duckdb.connect(str(work / "events.duckdb"), read_only=True)


FLOOR_PAIRS = "SELECT product, event, count(*) AS n FROM report_events GROUP BY product, event"
COUNT_PAIRS = """
WITH pairs AS (SELECT product, event, count(DISTINCT id) AS n FROM report_events GROUP BY product, event),
     products AS (SELECT product, count(DISTINCT id) AS n_product FROM report_events GROUP BY product),
     events AS (SELECT event, count(DISTINCT id) AS n_event FROM report_events GROUP BY event)
SELECT p.product, p.event, p.n, n_product, n_event, (SELECT count(DISTINCT id) FROM report_events) AS total
FROM pairs p JOIN products USING (product) JOIN events USING (event)
"""
FLOOR_SERIES = ("SELECT product, event, date_trunc('{unit}', created_at) AS period, count(*) AS n "
                "FROM report_events GROUP BY product, event, period")


def bench_disproportionality(work: Path, store, timer: Timer, as_of: date, injected: list[dict]) -> dict:
    from defectradar.analyses.scan import pair_counts
    from defectradar.signals.contingency import ContingencyTable
    from defectradar.signals.disproportionality import Disproportionality, analyse
    from defectradar.signals.mgps import MGPS

    con = _events_con(work)
    floor = timer.run("floor: GROUP BY product, event", lambda: con.execute(FLOOR_PAIRS).fetchall())
    counts = timer.run("count pairs + margins (SQL, flat table)", lambda: con.execute(COUNT_PAIRS).df())
    con.close()

    def store_counts():
        with store.reader() as scon:
            return pair_counts(scon, as_of)

    ours = timer.run("count pairs + margins (pair_counts, store)", store_counts)
    same = _same_counts(counts, ours)
    table = timer.run("ContingencyTable.from_counts", ContingencyTable.from_counts, counts)
    timer.run("Disproportionality.fit (PRR ROR chi2 IC BCPNN)", lambda: Disproportionality().fit(table))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = timer.run("MGPS.fit", lambda: MGPS().fit(table))
        squashed = timer.run("MGPS.fit (squash=True)", lambda: MGPS(squash=True).fit(table))
    pairs = table.pairs
    timer.run("MGPS.posterior (EBGM EB05 EB95)", model.posterior, pairs["n"], pairs["expected"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = timer.run("analyse (all of the above + rules)", analyse, table)
    flagged = result.pairs.set_index(["product", "event"])
    truth = [(p["product"], p["event"]) for p in injected]
    return {"pairs": len(table), "floor_groups": len(floor), "pair_counts_agree": same,
            "signals": int(result.pairs["signal"].sum()),
            "injected_flagged": int(sum(bool(flagged.loc[key, "signal"]) for key in truth if key in flagged.index)),
            "injected_eb05_min": round(float(min(flagged.loc[key, "eb05"] for key in truth if key in flagged.index)), 3),
            "mgps": {k: round(float(v), 4) for k, v in zip(("alpha1", "beta1", "alpha2", "beta2", "p"), model.theta_)},
            "mgps_converged": bool(model.converged_), "mgps_points": int(model.n_points_),
            "mgps_squashed_points": int(squashed.n_points_),
            "mgps_warnings": sorted({str(w.message)[:80] for w in caught})}


def _same_counts(a, b) -> bool:
    cols = ["product", "event", "n", "n_product", "n_event", "total"]
    left = a[cols].sort_values(["product", "event"]).reset_index(drop=True).astype({c: "int64" for c in cols[2:]})
    right = b[cols].sort_values(["product", "event"]).reset_index(drop=True).astype({c: "int64" for c in cols[2:]})
    return bool(left.astype(str).equals(right.astype(str)))


# scan() steps timed inside one real run: the module-level functions scan() calls, wrapped.
SCAN_STEPS = ("series_for_store", "expected_from_exposure", "temporal_signals", "disproportionality_signals",
              "pair_counts", "_attach_reports", "record_signals")
NESTED = {"pair_counts": "disproportionality_signals"}


@contextmanager
def timed_steps(module, names=SCAN_STEPS):
    """Wrap ``module.<name>`` for each name present so every call adds its wall time to a total."""
    totals: dict[str, float] = {}
    originals = {name: getattr(module, name) for name in names if hasattr(module, name)}

    def wrap(name, fn):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - started
        return timed

    for name, fn in originals.items():
        setattr(module, name, wrap(name, fn))
    try:
        yield totals
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


def _forget_alerts(store) -> None:
    """Empty the alert tables of the benchmark's own throw-away store (never a user's store)."""
    import duckdb

    con = duckdb.connect(str(store.path))
    try:
        con.execute("DELETE FROM alert_events")
        con.execute("DELETE FROM alerts")
    finally:
        con.close()


def bench_scan(work: Path, store, timer: Timer, as_of: date, freq: str, per_method: bool,
               injected: list[dict], methods: tuple[str, ...] | None = None) -> dict:
    import defectradar.analyses.scan as scan_module
    from defectradar.analyses.scan import ScanConfig, scan, temporal_signals
    from defectradar.query.series import series_for_store
    from defectradar.signals.exposure import expected_from_exposure

    con = _events_con(work)
    floor = timer.run(f"floor: GROUP BY product, event, {freq}",
                      lambda: con.execute(FLOOR_SERIES.format(unit=freq)).fetchall())
    con.close()
    config = ScanConfig(freq=freq, **({"methods": methods} if methods else {}))

    def build_series():
        with store.reader() as scon:
            return series_for_store(scon, freq=freq, by=("product", "mode"), as_of=as_of, table="reports",
                                    service_months=config.service_months)

    # The same steps scan() takes for the reports table (scan.py), each timed on its own.
    series = timer.run(f"series_for_store ({freq}, product x mode)", build_series)
    expected = timer.run("expected_from_exposure", expected_from_exposure, series, config.exposure_window,
                         config.prior_events) if config.exposure else None
    found = timer.run(f"temporal_signals ({', '.join(config.methods)})", temporal_signals, series, "reports",
                      config, expected)
    by_method = {}
    if per_method:
        for method in config.methods:
            one = ScanConfig(freq=freq, methods=(method,), params=config.params)
            fired = timer.run(f"  of which {method}", temporal_signals, series, "reports", one, expected)
            by_method[method] = len(fired)
    # scan() as `defectradar scan` runs it, twice: on a fresh store (every alert raised), then again
    # with the alerts in place (a daily re-scan).  Once each: the first changes what the second finds.
    runs = []
    _forget_alerts(store)   # a kept --work store holds the alerts of an earlier run: start fresh
    for label in ("first", "repeat"):
        with timed_steps(scan_module) as steps:
            result = timer.run(f"scan() end to end, {label} run", scan, store, as_of, config, once=True)
        runs.append({"steps": steps, "signals": len(result.signals), "raised": len(result.raised),
                     "updated": len(result.updated), "unchanged": len(result.unchanged)})
    surge = {(p["product"], p["event"]) for p in injected if p["surge_last_weeks"]}
    fired_on: dict[tuple, set] = {}
    for sig in found:
        fired_on.setdefault((sig.product_id, sig.failure_mode), set()).add(sig.method)
    lengths = sorted({len(s) for s in series.values()})
    return {"series": len(series), "with_exposure": sum(1 for s in series.values() if s.denominators is not None),
            "floor_groups": len(floor), "periods": [lengths[0], lengths[-1]],
            "temporal_signals": len(found), "signals_by_method": by_method, "methods": list(config.methods),
            "surge_pairs_flagged": {f"{p}/{m}": sorted(fired_on.get((p, m), ())) for p, m in sorted(surge)},
            "other_series_flagged": sum(1 for key in fired_on if key not in surge),
            "scan_runs": runs}


def profile_scan(store, as_of: date, freq: str, console: Console, top: int = 25) -> dict:
    """cProfile of the two scan stages; the top functions by own and by cumulative time."""
    from defectradar.analyses.scan import ScanConfig, scan, temporal_signals
    from defectradar.query.series import series_for_store
    from defectradar.signals.exposure import expected_from_exposure

    out = {}
    holder = {}

    config = ScanConfig(freq=freq)

    def stage_series():
        with store.reader() as scon:
            holder["series"] = series_for_store(scon, freq=freq, by=("product", "mode"), as_of=as_of, table="reports",
                                                service_months=config.service_months)

    def stage_detectors():
        expected = expected_from_exposure(holder["series"], config.exposure_window, config.prior_events)
        temporal_signals(holder["series"], "reports", config, expected)

    def stage_scan():
        scan(store, as_of, config)

    for name, fn in (("series_for_store", stage_series), ("expected_from_exposure + temporal_signals", stage_detectors),
                     ("scan", stage_scan)):
        profiler = cProfile.Profile()
        profiler.enable()
        fn()
        profiler.disable()
        for key in ("tottime", "cumulative"):
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats(key).print_stats(top)
            text = buffer.getvalue()
            out[f"{name}:{key}"] = text
            console.rule(f"cProfile {name}, sorted by {key}")
            console.print(text[text.find("ncalls") - 200 if "ncalls" in text else 0:], markup=False, highlight=False)
    return out


# ---------------------------------------------------------------------------- report
def summarise(seconds: dict, results: dict, freq: str) -> dict:
    """The figures the targets are about, and each as a ratio to its floor."""
    floor_d = seconds["floor: GROUP BY product, event"]
    floor_s = seconds[f"floor: GROUP BY product, event, {freq}"]
    count_s = seconds["count pairs + margins (pair_counts, store)"]
    stats_s = seconds["ContingencyTable.from_counts"] + seconds["Disproportionality.fit (PRR ROR chi2 IC BCPNN)"]
    mgps_s = seconds["MGPS.fit"] + seconds["MGPS.posterior (EBGM EB05 EB95)"]
    analyse_s = seconds["analyse (all of the above + rules)"]
    series_s = seconds[f"series_for_store ({freq}, product x mode)"]
    detect_s = seconds.get("expected_from_exposure", 0.0) + next(v for k, v in seconds.items()
                                                               if k.startswith("temporal_signals"))
    first = seconds["scan() end to end, first run"]
    repeat = seconds["scan() end to end, repeat run"]
    return {
        "disproportionality": {
            "count_s": count_s, "count_sql_flat_s": seconds["count pairs + margins (SQL, flat table)"],
            "statistics_s": stats_s, "mgps_fit_and_posterior_s": mgps_s, "analyse_s": analyse_s,
            "total_s": count_s + analyse_s, "floor_s": floor_d,
            "ratio_statistics_and_mgps": analyse_s / floor_d, "ratio_total": (count_s + analyse_s) / floor_d,
            "target_s": DISPROP_TARGET_S, "met_without_counting": analyse_s < DISPROP_TARGET_S,
            "met_with_counting": count_s + analyse_s < DISPROP_TARGET_S},
        "scan": {
            "series_s": series_s, "detectors_s": detect_s, "series_plus_detectors_s": series_s + detect_s,
            "scan_first_s": first, "scan_repeat_s": repeat, "floor_s": floor_s,
            "ratio_series_plus_detectors": (series_s + detect_s) / floor_s, "ratio_scan_first": first / floor_s,
            "ratio_scan_repeat": repeat / floor_s, "target_s": SCAN_TARGET_S,
            "met_series_plus_detectors": series_s + detect_s < SCAN_TARGET_S,
            "met_scan_end_to_end": max(first, repeat) < SCAN_TARGET_S},
    }


def _met(flag: bool) -> str:
    return "[green]met[/]" if flag else "[red]NOT met[/]"


def render(console: Console, timer: Timer, results: dict, summary: dict, meta: dict, args) -> None:
    seconds = timer.seconds
    floors = {"disprop": seconds["floor: GROUP BY product, event"],
              "scan": seconds[f"floor: GROUP BY product, event, {args.freq}"]}
    table = Table(title=f"defectradar signals: {args.reports:,} reports x {args.products} products x "
                        f"{args.modes} modes ({meta['rows']:,} rows), {args.freq}ly series")
    table.add_column("stage")
    table.add_column(f"s (best of {args.repeat})", justify="right")
    table.add_column("slowest", justify="right")
    table.add_column("x floor", justify="right")
    scan_part = False
    for name, value in seconds.items():
        scan_part = scan_part or name.startswith("floor: GROUP BY product, event, ")
        floor = floors["scan" if scan_part else "disprop"]
        table.add_row(name, f"{value:.3f}", f"{timer.spread[name][1]:.3f}",
                      "" if name.startswith("floor") else f"{value / floor:.1f}x")
        if name.startswith("scan() end to end"):
            run = results["scan"]["scan_runs"][0 if "first" in name else 1]
            inner = 0.0
            for step, spent in run["steps"].items():
                table.add_row(f"  {'  ' if step in NESTED else ''}{step}", f"{spent:.3f}", "", "")
                inner += 0.0 if step in NESTED else spent
            table.add_row("  other (connections, writer)", f"{value - inner:.3f}", "", "")
    console.print(table)
    d, s = summary["disproportionality"], summary["scan"]
    console.print(f"disproportionality: counting {d['count_s']:.2f} s, statistics {d['statistics_s']:.2f} s, "
                  f"MGPS fit + posterior {d['mgps_fit_and_posterior_s']:.2f} s, analyse() {d['analyse_s']:.2f} s "
                  f"({d['ratio_statistics_and_mgps']:.0f}x floor): target < {d['target_s']:.0f} s "
                  f"{_met(d['met_without_counting'])}; with counting {d['total_s']:.2f} s "
                  f"({d['ratio_total']:.0f}x floor) {_met(d['met_with_counting'])}")
    console.print(f"scan: series {s['series_s']:.2f} s + detectors {s['detectors_s']:.2f} s = "
                  f"{s['series_plus_detectors_s']:.2f} s ({s['ratio_series_plus_detectors']:.1f}x floor) "
                  f"{_met(s['met_series_plus_detectors'])}; scan() end to end {s['scan_first_s']:.1f} s first run, "
                  f"{s['scan_repeat_s']:.1f} s repeat ({s['ratio_scan_first']:.0f}x / {s['ratio_scan_repeat']:.0f}x "
                  f"floor) {_met(s['met_scan_end_to_end'])}")
    console.print(f"[dim]{json.dumps(results, default=str)}[/]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--modes", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=104, help="span of the report dates (default two years)")
    parser.add_argument("--no-sales", dest="sales", action="store_false",
                        help="no sales rows: detectors then use each series' own history, not exposure")
    parser.add_argument("--freq", choices=("week", "day"), default="week", help="period of the scanned series")
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the fastest is reported")
    parser.add_argument("--methods", help="comma-separated temporal methods (default: the scan's defaults)")
    parser.add_argument("--no-per-method", action="store_true", help="skip the per-method detector timings")
    parser.add_argument("--profile", action="store_true", help="cProfile the scan stages afterwards")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--work", help="keep (and reuse) the generated data in this folder")
    args = parser.parse_args()
    console = Console(stderr=args.json)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="defectradar-bench-signals-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        meta = build(work, args, console)
        load_before = os.getloadavg()
        methods = tuple(m.strip() for m in args.methods.split(",")) if args.methods else None
        store = _store(work)
        as_of = START + timedelta(weeks=args.weeks) - timedelta(days=1)
        stages = 9 + 6 + (0 if args.no_per_method else 4)
        with _progress(console) as bar:
            timer = Timer(bar, bar.add_task("timing", total=stages), args.repeat)
            results = {"disproportionality": bench_disproportionality(work, store, timer, as_of, meta["injected"]),
                       "scan": bench_scan(work, store, timer, as_of, args.freq, not args.no_per_method,
                                          meta["injected"], methods)}
        seconds = timer.seconds
        summary = summarise(seconds, results, args.freq)
        render(console, timer, results, summary, meta, args)
        profile = profile_scan(store, as_of, args.freq, console) if args.profile else None
        if args.json:
            import duckdb

            print(json.dumps({"date": f"{datetime.now(timezone.utc):%Y-%m-%d}", "machine": machine(),
                              "duckdb": duckdb.__version__, "params": meta["params"], "rows": meta["rows"],
                              "injected": meta["injected"], "seconds": seconds, "spread": timer.spread,
                              "repeat": args.repeat, "load_before": load_before, "summary": summary,
                              "results": results, "memory_limit": store.settings.memory_limit,
                              "profile": profile}, indent=1, default=str))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
