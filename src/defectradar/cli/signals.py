"""``defectradar signals`` and ``defectradar backtest``: detection on the store and on any file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from defectradar.cli.common import (
    BackendOption,
    DbOption,
    JsonOption,
    RichProgress,
    SparkMasterOption,
    err,
    new_app,
    open_source,
    open_store,
    out,
    print_json,
    settings_for,
)
from defectradar.core.numbers import sig3
from defectradar.errors import InputError

signals_app = new_app("Detect emerging defects: scan the store, or run one method on a file.")
FileArg = Annotated[Path, typer.Argument(help="CSV or Parquet file.", show_default=False, dir_okay=False)]
EXIT_NOTHING_SCANNED = 4    # signals scan: no series and no table could be scanned (not "nothing found")
METHODS = ("nb-excess", "ears-c1", "ears-c2", "ears-c3", "cusum", "farrington", "glr-poisson", "glr-nb", "bursts")
BudgetOption = Annotated[Optional[float], typer.Option(
    "--false-alarms-per-year", min=0.0001, help="False alarms per series-year you accept (default 0.1): sets the "
    "threshold of the default detector, nb-excess.", show_default=False)]


def _fmt(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


@signals_app.command("scan")
def signals_scan(
    db: DbOption = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Scan as of this date (YYYY-MM-DD); "
                                                 "later data is not seen. Default: the newest report.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", dir_okay=False, help="Scan configuration YAML "
                                                   "(methods, params, freq, thresholds); see docs/signals.md.")] = None,
    method: Annotated[Optional[list[str]], typer.Option("--method", help="Run only this method "
                                                        "(repeat for several).")] = None,
    count: Annotated[Optional[str], typer.Option(
        "--count", help="Which failure modes a complaint counts for: failures (default: it broke) or all "
        "(complaints too: works, worse than expected); see docs/labelling.md.", show_default=False)] = None,
    false_alarms_per_year: BudgetOption = None,
    by: Annotated[Optional[str], typer.Option(
        "--by", help="Count series by: mode (failure modes, default), label (a custom model's labels: the modes of "
        "a store classified with --model) or component (the source's own coding, e.g. NHTSA components).",
        show_default=False)] = None,
    backend: BackendOption = None,
    spark_master: SparkMasterOption = None,
    json_: JsonOption = False,
) -> None:
    """Run every configured detector over the store and raise or update alerts, strongest first.

    With --backend pyspark the same detectors run on Spark over a Parquet export (--db DIR); the
    signals are printed, not recorded as alerts (alerts live in the store).
    """
    from dataclasses import replace

    from defectradar.analyses.scan import load_scan_config, scan

    scan_config = load_scan_config(config, methods=tuple(method) if method else None)
    if count is not None:
        scan_config = replace(scan_config, count=count)       # validated by ScanConfig
    if false_alarms_per_year is not None:
        scan_config = replace(scan_config, false_alarms_per_year=false_alarms_per_year)
    if by is not None:
        scan_config = replace(scan_config, by=by)          # validated by ScanConfig
    settings = settings_for(db).replace(backend=backend)
    if settings.backend == "duckdb":
        result = scan(open_store(db), as_of, scan_config, progress=RichProgress(unit="steps"))
    else:
        with open_source(db, backend, spark_master) as source:
            result = scan(source, as_of, scan_config, progress=RichProgress(unit="steps"), rules_dir=settings.rules_dir)
    if json_:
        print_json(result.to_dict())
    else:
        _print_scan(result)
    for note in result.notes:
        err.print(Text(f"note: {note}"))
    if result.nothing_scanned:
        # Not "nothing found": no detector saw a series or a table (see the notes for why).
        err.print(Text(f"error: nothing could be scanned as of {result.as_of} (0 series, no disproportionality "
                       f"table); exit code {EXIT_NOTHING_SCANNED}", style="bold red"))
        raise typer.Exit(EXIT_NOTHING_SCANNED)


def _print_scan(result) -> None:
    disprop = f", {result.pairs_scanned:,} product x mode pairs" if result.pairs_scanned else ""
    out.print(f"scanned {result.series_scanned:,} series{disprop} as of {result.as_of}: {len(result.signals)} signals; "
              f"alerts raised {len(result.raised)}, updated {len(result.updated)}, reopened {len(result.reopened)}, "
              f"unchanged {len(result.unchanged)}")
    cal = result.calibration
    if cal:
        out.print(f"false-alarm budget {sig3(cal['false_alarms_per_year'])} per series-year over "
                  f"{sig3(cal['series_years'])} series-years: about {sig3(cal['implied_false_alarms'])} false alarms "
                  f"expected; an alarm needs >= {cal['min_count']} events from >= {cal['min_authors']} authors")
        for name, info in cal["methods"].items():
            threshold = info["threshold"]
            if "by_level" in threshold:
                levels = ", ".join(f"{sig3(v)} at {level}/period" for level, v in threshold["by_level"].items())
                out.print(f"  {name}: {threshold['statistic']} {levels} (from the budget)")
            else:
                out.print(f"  {name}: {threshold['statistic']} >= {sig3(threshold['value'])}"
                          + (" (from the budget)" if info["calibrated"] else f" ({info.get('note', 'fixed')})"))
    if result.signals:
        _print_signals(result)
    if result.known:
        out.print(Text(f"{len(result.known)} signal(s) follow a known issue and raised no alert: " + "; ".join(
            f"{s.product_id or '(all)'}/{s.failure_mode or '(all)'} after "
            f"{s.evidence['known_issue'].get('reference', '?')} ({s.evidence['known_issue'].get('since', '?')})"
            for s in result.known[:5]) + ("; --json lists them all" if len(result.known) > 5 else "")))


def _print_signals(result) -> None:
    from defectradar.signals.base import AlarmRule

    table = Table("rank", "score", "product", "mode", "source", "method", "period", "observed", "expected",
                  "statistic vs its threshold", title="signals, strongest first (score: RR05 or EB05)")
    meanings: dict[str, str] = {}
    for rank, s in enumerate(result.signals, 1):
        rule = AlarmRule(**s.evidence["rule"]) if isinstance(s.evidence.get("rule"), dict) else None
        shown = rule.describe(s.statistic, meaning=False) if rule else \
            f"{sig3(s.statistic)} (threshold {sig3(s.threshold)})"
        if rule and rule.meaning:
            meanings[rule.statistic] = rule.meaning
        # Disproportionality counts every report up to the scan's date, not one period's.
        period = f"all to {result.as_of}" if s.method == "disproportionality" else str(s.period)
        table.add_row(str(rank), sig3(s.evidence.get("score")), Text(s.product_id or "(all)"),
                      Text(s.failure_mode or "(all)"), s.source, s.method,
                      period, sig3(s.evidence.get("count", s.evidence.get("n"))),
                      sig3(s.evidence.get("expected")), shown)
    out.print(table)
    for name, meaning in sorted(meanings.items()):      # once per statistic, not in every row
        out.print(Text(f"{name}: {meaning}"))
    out.print("see them with [bold]defectradar alerts list[/]")


@signals_app.command("disprop")
def signals_disprop(
    file: FileArg,
    id_col: Annotated[str, typer.Option("--id-col", help="Column with the report id.")] = "id",
    product_col: Annotated[str, typer.Option("--product-col", help="Column with the product.")] = "product",
    event_col: Annotated[str, typer.Option("--event-col", help="Column with the event (failure mode).")] = "event",
    event_sep: Annotated[Optional[str], typer.Option("--event-sep", help="The events of one cell are joined by this "
                                                     "(e.g. --event-sep , for NHTSA components): split, trimmed, a "
                                                     "report counted once per event.")] = None,
    stratum_col: Annotated[Optional[list[str]], typer.Option("--stratum-col", help="Stratify the expected counts "
                                                             "by this column (repeat to combine).")] = None,
    n_star: Annotated[int, typer.Option("--n-star", min=1, help="MGPS: fit the prior on pairs with n >= this.")] = 1,
    squash: Annotated[bool, typer.Option("--squash", help="MGPS: squash the data before fitting "
                                         "(large tables).")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows shown in the table (JSON has all).")] = 30,
    json_: JsonOption = False,
) -> None:
    """PRR, ROR, chi-square, IC, BCPNN and MGPS (EBGM, EB05, EB95) for every product x event pair."""
    from defectradar.signals.contingency import ContingencyTable
    from defectradar.signals.disproportionality import analyse
    from defectradar.signals.mgps import MGPS
    from defectradar.signals.tables import read_table, require_columns, split_events

    frame = read_table(file)
    require_columns(frame, {"--id-col": id_col, "--product-col": product_col, "--event-col": event_col,
                            **{f"--stratum-col {c}": c for c in stratum_col or []}}, file)
    if event_sep is not None:
        frame = split_events(frame, event_col, event_sep, file)
    table = ContingencyTable.from_rows(frame, id_col, product_col, event_col, stratum_col or None)
    result = analyse(table, mgps=MGPS(n_star=n_star, squash=squash))
    if json_:
        print_json(result.to_dict())
        return
    hyper = result.to_dict()["hyperparameters"]
    out.print(f"{table.n_reports:,} reports, {len(table):,} pairs; MGPS prior "
              + ", ".join(f"{k} {_fmt(v, 4)}" for k, v in hyper.items()))
    shown = result.pairs.sort_values(["signal", "eb05"], ascending=False).head(top)
    grid = Table("product", "event", "n", "E", "PRR", "chi2", "ROR (95% CI)", "IC025", "EBGM", "EB05", "signal",
                 title=f"disproportionality ({int(result.pairs['signal'].sum())} signals)")
    for r in shown.itertuples(index=False):
        grid.add_row(escape(str(r.product)), escape(str(r.event)), str(r.n), _fmt(r.expected), _fmt(r.prr),
                     _fmt(r.chi2), f"{_fmt(r.ror)} ({_fmt(r.ror_lower)}-{_fmt(r.ror_upper)})", _fmt(r.ic025),
                     _fmt(r.ebgm), _fmt(r.eb05), "[bold red]yes[/]" if r.signal else "")
    out.print(grid)


@signals_app.command("series")
def signals_series(
    file: FileArg,
    method: Annotated[str, typer.Option("--method", help=f"One of {', '.join(METHODS)}. Default: the scan's "
                                        "default, nb-excess, with the scan's budget.")] = "nb-excess",
    date_col: Annotated[Optional[str], typer.Option("--date-col", help="Column with the period date "
                                                    "(default: date/period/week/month if present).")] = None,
    count_col: Annotated[Optional[str], typer.Option("--count-col", help="Column with the count "
                                                     "(default: count/n/cases if present).")] = None,
    denominator_col: Annotated[Optional[str], typer.Option("--denominator-col", help="Units in service per "
                                                           "period (bursts compare rates).")] = None,
    freq: Annotated[Optional[str], typer.Option("--freq", help="day, week or month (default: from the dates).")] = None,
    start: Annotated[Optional[str], typer.Option("--start", help="First scored period (date, or 1-based row); "
                                                 "earlier rows are history. Default: as early as the method "
                                                 "allows.")] = None,
    alpha: Annotated[Optional[float], typer.Option("--alpha", help="The method's alpha parameter (EARS, "
                                                   "Farrington: significance level; glr-nb: dispersion, as in "
                                                   "R surveillance).")] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", help="name=value, e.g. --param baseline=7 "
                                                       "(repeat).")] = None,
    false_alarms_per_year: BudgetOption = None,
    json_: JsonOption = False,
) -> None:
    """Run one temporal detector on a count series, one row per period, oldest first.

    Without --method this is what `signals scan` does to each series: nb-excess, its threshold
    from the false-alarm budget, its prior said in the output.
    """
    from defectradar.analyses.scan import ScanConfig
    from defectradar.signals.calibrated import METHOD as NB_EXCESS
    from defectradar.signals.registry import detector
    from defectradar.signals.tables import parse_params, read_table, series_from_frame, start_index

    params = parse_params(param)
    if false_alarms_per_year is not None:
        if method != NB_EXCESS:
            raise InputError(f"--false-alarms-per-year sets the threshold of {NB_EXCESS}; {method} has a fixed "
                             "threshold (set it with --param)")
        params["false_alarms_per_year"] = false_alarms_per_year
    elif method == NB_EXCESS:
        params.setdefault("false_alarms_per_year", ScanConfig().false_alarms_per_year)
    det = detector(method, **params)
    if alpha is not None:
        if "alpha" not in det.get_params():
            raise InputError(f"{method} has no alpha parameter; its parameters are "
                             f"{', '.join(det.get_params())} (set them with --param name=value)")
        det = detector(method, **{**params, "alpha": alpha})
    series = series_from_frame(read_table(file), file, date_col, count_col, denominator_col, freq)
    det.fit(series, start=start_index(series, start))
    result = det.to_dict()
    floor = ScanConfig().floor(series.freq)
    for p in result["periods"]:
        p["meets_floor"] = (p["count"] or 0) >= floor
    result["evidence_floor"] = floor
    if method == NB_EXCESS:
        result["prior"] = det.prior_description()
    if json_:
        print_json(result)
        return
    alarms = sum(p["alarm"] for p in result["periods"])
    out.print(f"{method} on {escape(series.name)}: {len(result['periods'])} periods scored, {alarms} alarms; "
              "params " + ", ".join(f"{k}={v}" for k, v in result["params"].items() if v is not None))
    if method == NB_EXCESS:
        out.print(Text(f"prior: {result['prior']}; threshold from {sig3(det.false_alarms_per_year)} false alarms per "
                       f"series-year (level {sig3(det.alpha_)} per period)"))
    extra = ("rr05", "span_periods") if method == NB_EXCESS else ()
    grid = Table("period", "count", "expected", "threshold", *extra, "alarm")
    for p in result["periods"]:
        flag = ("[bold red]ALARM[/]" if p["meets_floor"] else f"alarm (below the scan's floor of {floor})") \
            if p["alarm"] else ""
        grid.add_row(p["period"], _fmt(p["count"]), _fmt(p["expected"]), _fmt(p["threshold"]),
                     *[_fmt(p.get(k)) for k in extra], flag)
    out.print(grid)


@signals_app.command("trending")
def signals_trending(
    db: DbOption = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Last day (YYYY-MM-DD); default: the newest "
                                                 "post.")] = None,
    days: Annotated[int, typer.Option("--days", min=8, help="Days of posts to read.")] = 56,
    product: Annotated[Optional[str], typer.Option("--product", help="Only this product.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Also list quiet and steady groups.")] = False,
    backend: BackendOption = None,
    spark_master: SparkMasterOption = None,
    json_: JsonOption = False,
) -> None:
    """Engagement-weighted volume and velocity of posts: a viral burst, or a slowly rising defect?"""
    from defectradar.analyses.trending import trends_for_store
    from defectradar.core.dates import as_date
    from defectradar.query.stats import default_as_of

    with open_source(db, backend, spark_master) as con:
        day = as_date(as_of, "--as-of") or default_as_of(con)
        trending = trends_for_store(con, day, days, product)
    if json_:
        result = trending.to_dict()
        print_json({"as_of": day.isoformat(), "params": result["params"], "trends": result["trends"]})
        return
    grid = Table("product", "mode", "trend", "peak day", "why", title=f"trends as of {day} ({days} days of posts)")
    for (product_id, mode), call in sorted(trending.trends_.items()):
        if not all_ and call.kind in ("quiet", "steady"):
            continue
        grid.add_row(Text(product_id), Text(mode), call.kind, str(call.peak_day or "-"), Text("; ".join(call.reasons)))
    out.print(grid)


def backtest(
    world_dir: Annotated[Path, typer.Argument(help="A simulated world (from `defectradar simulate`).",
                                              file_okay=False, show_default=False)],
    method: Annotated[Optional[list[str]], typer.Option("--method", help="Only this method (repeat).")] = None,
    freq: Annotated[str, typer.Option("--freq", help="day or week.")] = "week",
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="A detection counts within this many days "
                                         "of onset.")] = 45,
    json_: JsonOption = False,
) -> None:
    """Run every detector as of each period on a simulated world and score it against its truth.json."""
    from defectradar.analyses.backtest import backtest as run_backtest

    result = run_backtest(world_dir, settings_for(None), methods_to_run=tuple(method) if method else None,
                          freq=freq, horizon_days=horizon, progress=RichProgress(unit="steps"))
    if json_:
        print_json(result.to_dict())
        return
    for table_name in sorted({s.table for s in result.scores}):
        grid = Table("method", "series", "affected", "POD", "median delay (days)", "false alarms / series-year",
                     "PPV", title=f"back-test on {table_name} ({result.freq}ly series, --json for every delay)")
        for s in [s for s in result.scores if s.table == table_name]:
            grid.add_row(s.method, str(s.series), str(s.affected), _fmt(s.pod), _fmt(s.median_delay, 0),
                         _fmt(s.false_alarms_per_series_year, 3), _fmt(s.ppv))
        out.print(grid)
    for defect in sorted({d for s in result.scores for d in s.delays}):
        best = result.best(defect)
        out.print(f"{defect}: " + ("not detected" if best is None else
                                   f"first alarm by {best[0]} on {best[1]}, {best[2]} days after onset"))
