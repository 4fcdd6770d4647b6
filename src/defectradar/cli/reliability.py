"""``defectradar reliability``: Weibull, Kaplan-Meier and MCF on a file or on the store.

Every command reads either a FILE (CSV or Parquet, columns named by options) or the store
(``--product``, optional ``--mode``); ``--json`` prints the machine-readable result and
``--plot FILE`` saves the chart the dashboard shows (PNG, SVG, HTML or the Vega-Lite JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from defectradar.cli import warranty
from defectradar.cli.common import (
    BackendOption,
    DbOption,
    JsonOption,
    SparkMasterOption,
    err,
    new_app,
    open_source,
    out,
    print_json,
    warn,
)
from defectradar.core.numbers import json_number
from defectradar.errors import InputError

reliability_app = new_app("Field reliability: time to failure (Weibull, Kaplan-Meier), repeat repairs (MCF), "
                          "the warranty view (Nevada chart, forecast).")

FileArg = Annotated[Optional[Path], typer.Argument(help="CSV or Parquet file (omit to read the store).",
                                                   show_default=False, dir_okay=False)]
TimeCol = Annotated[Optional[str], typer.Option("--time-col", help="Column with the age at failure/censoring "
                                                "(FILE only).")]
EventCol = Annotated[Optional[str], typer.Option("--event-col", help="Column with 1 = failed (a repair for mcf), "
                                                 "0 = censored (end of observation) (FILE only).")]
WeightCol = Annotated[Optional[str], typer.Option("--weight-col", help="Column with how many identical units "
                                                  "a row stands for (FILE only; default 1).")]
ByCol = Annotated[Optional[str], typer.Option("--by", help="Column to split the FILE into groups to compare.")]
ProductOpt = Annotated[Optional[list[str]], typer.Option("--product", help="Product id in the store (repeat to "
                                                         "compare products).")]
ModeOpt = Annotated[Optional[list[str]], typer.Option("--mode", help="Failure mode (repeat to compare modes; "
                                                      "default: any claim).")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Analyse as of this date (YYYY-MM-DD). Default: "
                                                "the newest service event.")]
PopulationOpt = Annotated[str, typer.Option("--population", help="Units at risk: 'sales' (units sold, default) or "
                                            "'devices' (only devices in service records; conditional estimates).")]
ConfidenceOpt = Annotated[float, typer.Option("--confidence", help="Confidence level of intervals.")]
PlotOpt = Annotated[Optional[Path], typer.Option("--plot", dir_okay=False, help="Save the chart: .png, .svg, "
                                                 ".html or .json (Vega-Lite spec).")]
AtOpt = Annotated[Optional[list[float]], typer.Option("--at", help="Also report the estimate at this age "
                                                      "(repeat for several).")]
UnitOpt = Annotated[Optional[str], typer.Option("--unit", help="Unit of the FILE's ages, e.g. miles or hours "
                                                "(default: a unit word in the --time-col name, else its name; "
                                                "the store's ages are days).", show_default=False)]
STORE_UNIT = "days"


def _unit(unit: str | None, file: Path | None, time_col: str | None) -> str:
    """The unit of the ages: ``--unit``, else read from the ``--time-col`` name; days on the store."""
    from defectradar.core.lifetimes import unit_from_column

    if unit is not None:
        if file is None:
            raise InputError(f"--unit {unit!r} is for a FILE's ages; the store's ages are always {STORE_UNIT}")
        if not unit.strip():
            raise InputError("--unit is empty; name the unit of the ages, e.g. --unit miles")
        return unit.strip()
    if file is None:
        return STORE_UNIT
    return unit_from_column(time_col) if time_col else STORE_UNIT


def _warn_all(notes: list[str]) -> list[str]:
    """Each caveat as a warning line on stderr (also under --json, whose ``warnings`` list has them)."""
    for note in notes:
        warn(note)
    return notes


def _groups(kind: str, file: Path | None, columns: dict, by: str | None, products, modes, as_of, population,
            db, backend: str | None = None, spark_master: str | None = None) -> dict[str, tuple]:
    """``{label: (data, population info or None)}`` from the FILE or from the store."""
    from defectradar.reliability import LifetimeData, RecurrenceData
    from defectradar.signals.tables import read_table

    build = LifetimeData.from_frame if kind == "lifetimes" else RecurrenceData.from_frame
    if file is not None:
        if products or modes:
            raise InputError("give a FILE or --product/--mode (the store), not both")
        missing = [opt for opt, col in columns.items() if col is None and opt != "--weight-col"]
        if missing:
            raise InputError(f"{file}: name the columns with {', '.join(missing)}")
        frame = read_table(file)
        kwargs = {name.strip("-").replace("-", "_"): col for name, col in columns.items()}
        if by is None:
            return {file.stem: (build(frame, **kwargs, source=str(file)), None)}
        if by not in frame:
            raise InputError(f"{file}: no column {by!r} (--by); it has {', '.join(map(str, frame.columns))}")
        groups = {}
        for value, part in frame.groupby(by, sort=True):
            try:
                groups[str(value)] = (build(part, **kwargs, source=str(file)), None)
            except InputError as exc:
                raise InputError(f"{exc} (group {by}={value!r})") from None
        return groups
    if by is not None:
        raise InputError("--by splits a FILE; on the store repeat --product or --mode to compare")
    if not products:
        raise InputError("give a FILE, or --product P to analyse the store's service records")
    from defectradar.query.reliability import lifetimes_for_store, recurrences_for_store

    query = lifetimes_for_store if kind == "lifetimes" else recurrences_for_store
    groups = {}
    with open_source(db, backend, spark_master) as con, err.status("reading service records and sales…"):
        for product in products:
            for mode in (modes or [None]):
                label = product if mode is None else f"{product}/{mode}"
                groups[label] = query(con, product, mode, as_of, population)
    return groups


def _show_population(info) -> None:
    if info is None:
        return
    d = info.to_dict()
    err.print(f"[dim]{escape(d['product'])}{' / ' + escape(d['mode']) if d['mode'] else ''} as of {d['as_of']}: "
              f"{d['units']:,.0f} units ({d['population']}), {d['devices_with_claims']:,} devices with "
              f"{d['claims']:,} claims[/]")
    for reason, count in d["skipped"].items():
        err.print(f"[yellow]  not used: {count:,} {escape(reason)}[/]")
    for note in d["notes"]:
        err.print(f"[yellow]  note: {escape(note)}[/]")


def _groups_json(groups: dict[str, tuple], fits: dict, **columns) -> list[dict]:
    """The ``groups`` list of the JSON of ``km`` and ``mcf`` (one entry per group, one group or several);
    ``columns`` adds ``name=function(fit)`` fields before the rows."""
    return [{"group": label, "population": info.to_dict() if info else None,
             **{name: get(fits[label]) for name, get in columns.items()}, "rows": fits[label].rows()}
            for label, (_, info) in groups.items()]


def _print_sample(table, title: str, headers: tuple[str, ...], cells: tuple[str, ...], confidence: float) -> None:
    """About 15 evenly spaced rows of an estimate's table, with its interval as the last column."""
    step = max(1, len(table) // 15)
    shown = Table(*headers, f"{confidence:.0%} interval", title=escape(title))
    for r in table.iloc[::step].itertuples():
        shown.add_row(*(cell.format(r=r) for cell in cells), f"{r.lower:.4f} – {r.upper:.4f}")
    out.print(shown)


def _save(chart, plot: Path) -> None:
    from defectradar.charts.render import save_chart

    with err.status(f"rendering {plot.name}…"):
        path = save_chart(chart, plot)
    err.print(f"chart saved to {escape(str(path))}")


@reliability_app.command("weibull")
def weibull(
    file: FileArg = None, time_col: TimeCol = None, event_col: EventCol = None, weight_col: WeightCol = None,
    product: Annotated[Optional[str], typer.Option("--product", help="Product id in the store.")] = None,
    mode: Annotated[Optional[str], typer.Option("--mode", help="Failure mode (default: any claim).")] = None,
    as_of: AsOfOpt = None, population: PopulationOpt = "sales", at: AtOpt = None, unit: UnitOpt = None,
    confidence: ConfidenceOpt = 0.95, plot: PlotOpt = None, db: DbOption = None, backend: BackendOption = None,
    spark_master: SparkMasterOption = None, json_: JsonOption = False,
) -> None:
    """Weibull time to failure (shape, scale, B10) with right censoring, Fisher-matrix intervals."""
    from defectradar.reliability import KaplanMeier, WeibullModel
    from defectradar.reliability.kaplan_meier import plotting_positions

    columns = {"--time-col": time_col, "--event-col": event_col, "--weight-col": weight_col}
    unit = _unit(unit, file, time_col)
    groups = _groups("lifetimes", file, columns, None, [product] if product else None, [mode] if mode else None,
                     as_of, population, db, backend, spark_master)
    (label, (data, info)), = groups.items()
    fit = WeibullModel(confidence=confidence).fit(data)
    result = {"unit": unit, **fit.to_dict()}
    if at:
        result["probability_of_failure"] = [{k: float(v) for k, v in row.items()}
                                            for row in fit.failure_probability_table(at).to_dict("records")]
    if info is not None:
        result["population"] = info.to_dict()
    result["warnings"] = fit.caveats(at or (), unit)
    if plot is not None:
        from defectradar.charts.reliability import weibull_probability_chart

        points = plotting_positions(KaplanMeier().fit(data)).assign(group=label)
        _save(weibull_probability_chart(points, {label: {"shape": fit.shape_, "scale": fit.scale_}},
                                        title=f"Weibull probability plot: {label}", time_unit=unit), plot)
    if json_:
        _warn_all(result["warnings"])
        print_json(result)
        return
    _show_population(info)
    table = Table("", "estimate", f"{confidence:.0%} interval", title=f"Weibull fit: {escape(label)}")
    table.add_row("shape β", f"{fit.shape_:.4g}", f"{fit.shape_ci_[0]:.4g} – {fit.shape_ci_[1]:.4g}")
    table.add_row(Text(f"scale η ({unit})"), f"{fit.scale_:.4g}", f"{fit.scale_ci_[0]:.4g} – {fit.scale_ci_[1]:.4g}")
    table.add_row(Text(f"B10 life ({unit})"), f"{fit.b10_:.4g}", f"{fit.b10_ci_[0]:.4g} – {fit.b10_ci_[1]:.4g}")
    for row in result.get("probability_of_failure", []):
        table.add_row(Text(f"F({row['age']:g} {unit})"), f"{row['probability']:.2%}",
                      f"{row['lower']:.2%} – {row['upper']:.2%}")
    out.print(table)
    trend = "wear-out (rising failure rate)" if fit.shape_ci_[0] > 1 else \
        "early failures (falling failure rate)" if fit.shape_ci_[1] < 1 else "no clear trend with age"
    out.print(Text(f"{fit.failures_:,.0f} failures among {fit.n_:,.0f} units (ages in {unit}); log-likelihood "
                   f"{fit.loglik_:.2f}; shape says: {trend}"))
    _warn_all(result["warnings"])


@reliability_app.command("km")
def km(
    file: FileArg = None, time_col: TimeCol = None, event_col: EventCol = None, weight_col: WeightCol = None,
    by: ByCol = None, product: ProductOpt = None, mode: ModeOpt = None, as_of: AsOfOpt = None,
    population: PopulationOpt = "sales", confidence: ConfidenceOpt = 0.95,
    conf_type: Annotated[str, typer.Option("--conf-type", help="Band scale: log (R's default), log-log or "
                                           "plain.")] = "log",
    at: AtOpt = None, unit: UnitOpt = None, plot: PlotOpt = None, db: DbOption = None, backend: BackendOption = None,
    spark_master: SparkMasterOption = None, json_: JsonOption = False,
) -> None:
    """Kaplan-Meier survival with Greenwood bands; several groups are compared by the log-rank test.

    --json prints one object, the same for one group or several:
    unit, confidence, conf_type, warnings;
    groups: [{group, population, n, failures, median, rows: [{time, at_risk, events, survival, lower, upper}]}];
    logrank: the test between the groups (null for one group).
    """
    from defectradar.reliability import KaplanMeier, logrank

    columns = {"--time-col": time_col, "--event-col": event_col, "--weight-col": weight_col}
    unit = _unit(unit, file, time_col)
    groups = _groups("lifetimes", file, columns, by, product, mode, as_of, population, db, backend, spark_master)
    fits = {label: KaplanMeier(confidence=confidence, conf_type=conf_type).fit(data)
            for label, (data, _) in groups.items()}
    test = logrank({label: data for label, (data, _) in groups.items()}) if len(groups) > 1 else None
    notes = [note if len(fits) == 1 else f"{label}: {note}"
             for label, f in fits.items() for note in f.caveats(at or (), unit)]
    if plot is not None:
        from defectradar.charts.reliability import km_chart

        _save(km_chart({label: f.table_ for label, f in fits.items()}, time_unit=unit), plot)
    if json_:
        _warn_all(notes)
        print_json({"unit": unit, "confidence": confidence, "conf_type": conf_type,
                    "groups": _groups_json(groups, fits, n=lambda f: json_number(f.n_, 10),
                                           failures=lambda f: json_number(f.failures_, 10),
                                           median=lambda f: json_number(f.median(), 10)),
                    "logrank": None if test is None else test.to_dict(), "warnings": notes})
        return
    for label, (_, info) in groups.items():
        _show_population(info)
    ages = at or []
    table = Table("group", "units", "failures", "median", *[f"S({a:g})" for a in ages],
                  title=f"Kaplan-Meier (ages in {escape(unit)})")
    for label, f in fits.items():
        median = f.median()
        table.add_row(Text(label), f"{f.n_:,.0f}", f"{f.failures_:,.0f}", "-" if median is None else f"{median:g}",
                      *[f"{s:.2%}" for s in f.survival_at(ages)])
    out.print(table)
    if len(fits) == 1 and not ages:
        t = next(iter(fits.values())).table_
        _print_sample(t[t["events"] > 0], "survival at failures", ("time", "at risk", "events", "survival"),
                      ("{r.time:g}", "{r.at_risk:,.0f}", "{r.events:,.0f}", "{r.survival:.4f}"), confidence)
    if test is not None:
        out.print(f"log-rank test: χ² = {test.statistic:.2f} on {test.df} df, p = {test.p_value:.3g} "
                  f"({'the groups differ' if test.p_value < 0.05 else 'no evidence the groups differ'} at 5%)")
    _warn_all(notes)


@reliability_app.command("mcf")
def mcf(
    file: FileArg = None,
    unit_col: Annotated[Optional[str], typer.Option("--unit-col", help="Column identifying the unit "
                                                    "(FILE only).")] = None,
    time_col: TimeCol = None, event_col: EventCol = None, weight_col: WeightCol = None, by: ByCol = None,
    product: ProductOpt = None, mode: ModeOpt = None, as_of: AsOfOpt = None, population: PopulationOpt = "sales",
    confidence: ConfidenceOpt = 0.95,
    log_bounds: Annotated[bool, typer.Option("--log-bounds", help="Log-transformed bounds (never below 0) "
                                             "instead of normal-approximation ones.")] = False,
    at: AtOpt = None, unit: UnitOpt = None, plot: PlotOpt = None, db: DbOption = None, backend: BackendOption = None,
    spark_master: SparkMasterOption = None, json_: JsonOption = False,
) -> None:
    """Mean cumulative repairs per unit (Nelson MCF) with Lawless-Nadeau robust bounds.

    --json prints one object, the same for one group or several:
    unit, confidence, bounds;
    groups: [{group, population, units, repairs, longest_observed, rows: [{time, at_risk, mcf, se, lower, upper}]}];
    difference: {a, b, rows} between two groups (null otherwise).
    """
    from defectradar.reliability import MeanCumulativeFunction, compare_mcf

    columns = {"--unit-col": unit_col, "--time-col": time_col, "--event-col": event_col, "--weight-col": weight_col}
    unit = _unit(unit, file, time_col)
    groups = _groups("recurrences", file, columns, by, product, mode, as_of, population, db, backend, spark_master)
    bounds = "log" if log_bounds else "normal"
    fits = {label: MeanCumulativeFunction(confidence=confidence, bounds=bounds).fit(data)
            for label, (data, _) in groups.items()}
    labels = list(fits)
    comparison = compare_mcf(fits[labels[0]], fits[labels[1]], confidence) if len(fits) == 2 else None
    if plot is not None:
        from defectradar.charts.reliability import mcf_chart

        _save(mcf_chart({label: f.table_ for label, f in fits.items()}, time_unit=unit), plot)
    if json_:
        difference = None
        if comparison is not None:
            difference = {"a": labels[0], "b": labels[1],
                          "rows": [{k: (None if v != v else float(v)) for k, v in r.items()}
                                   for r in comparison.to_dict("records")]}
        print_json({"unit": unit, "confidence": confidence, "bounds": bounds,
                    "groups": _groups_json(groups, fits, units=lambda f: json_number(f.n_units_, 10),
                                           repairs=lambda f: json_number(f.n_events_, 10),
                                           longest_observed=lambda f: json_number(f.max_end_, 10)),
                    "difference": difference})
        return
    for label, (_, info) in groups.items():
        _show_population(info)
    ages = at or []
    table = Table("group", "units", "repairs", "longest observed", *[f"MCF({a:g})" for a in ages],
                  title=f"mean cumulative repairs per unit (ages in {escape(unit)})")
    for label, f in fits.items():
        cells = [("-" if v != v else f"{v:.4f} ({lo:.4f}–{hi:.4f})")
                 for v, lo, hi in f.at(ages)[["mcf", "lower", "upper"]].itertuples(index=False)]
        table.add_row(Text(label), f"{f.n_units_:,.0f}", f"{f.n_events_:,.0f}", f"{f.max_end_:g}", *cells)
    out.print(table)
    if len(fits) == 1 and not ages:
        _print_sample(fits[labels[0]].table_, "MCF at repair ages", ("time", "at risk", "MCF", "se"),
                      ("{r.time:g}", "{r.at_risk:,.0f}", "{r.mcf:.4f}", "{r.se:.4f}"), confidence)
    if comparison is not None:
        last = comparison.iloc[-1]
        verdict = "differ" if last["lower"] > 0 or last["upper"] < 0 else "do not differ significantly"
        out.print(Text(f"{labels[0]} − {labels[1]} at age {last['time']:g} {unit}: {last['difference']:+.4f} "
                       f"({last['lower']:+.4f} to {last['upper']:+.4f}); they {verdict} there"))
    elif len(fits) > 2:
        out.print("[dim]pairwise MCF differences are computed for two groups; give two to compare[/]")
    if ages and any(a > f.max_end_ for f in fits.values() for a in ages):
        warn("'-' marks an age beyond a group's longest observation: the MCF is not estimated there")


warranty.register(reliability_app)
