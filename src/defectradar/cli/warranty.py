"""``defectradar reliability nevada|forecast``: warranty claims by cohort and age, and what comes next.

:func:`register` adds both commands to the ``reliability`` command group; each opens the store,
makes one library call (:func:`~defectradar.analyses.warranty.nevada_for_store`,
:func:`~defectradar.analyses.warranty.forecast_for_store`) and prints JSON or Rich tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from defectradar.analyses.warranty import forecast_for_store, nevada_for_store
from defectradar.cli.common import (
    BackendOption,
    DbOption,
    JsonOption,
    SparkMasterOption,
    err,
    open_source,
    out,
    print_json,
    warn,
)
from defectradar.reliability.forecast import ASSUMPTION

ProductOption = Annotated[str, typer.Option("--product", "-p", help="Product id (e.g. xiaomi-11).",
                                            show_default=False)]
ModeOption = Annotated[Optional[str], typer.Option("--mode", "-m", help="One failure mode (default: all modes).",
                                                   show_default=False)]
AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Cut-off day YYYY-MM-DD (default: the latest service-event date). Later claims and sales are "
                    "ignored; a month it does not complete is dropped.", show_default=False)]
WarrantyOption = Annotated[Optional[int], typer.Option(
    "--warranty-months", min=1, help="Count only claims within this many months of sale (default: no limit).",
    show_default=False)]
PlotOption = Annotated[Optional[Path], typer.Option(
    "--plot", help="Also write the chart to this file (.png, .svg, .html or .json).", dir_okay=False,
    show_default=False)]


def _save_plot(path: Path, kind: str, *frames: pd.DataFrame) -> None:
    """The chart hook: build the chart with :mod:`defectradar.charts.reliability` and write it."""
    from defectradar.charts.reliability import forecast_chart, nevada_heatmap
    from defectradar.charts.render import save_chart

    chart = nevada_heatmap(*frames) if kind == "nevada" else forecast_chart(*frames)
    save_chart(chart, path)
    err.print(f"chart written to {escape(str(path))}")


def _scope(product: str, mode: str | None) -> str:
    return escape(f"{product} / {mode or 'all modes'}")


def nevada(product: ProductOption,
           months: Annotated[Optional[int], typer.Option(
               "--months", min=1, help="Show only the latest N sales months (default: all).",
               show_default=False)] = None,
           mode: ModeOption = None, as_of: AsOfOption = None, warranty_months: WarrantyOption = None,
           plot: PlotOption = None, db: DbOption = None, backend: BackendOption = None,
           spark_master: SparkMasterOption = None, json_: JsonOption = False) -> None:
    """Nevada chart: claims per 1,000 units by sales month and months in service, and by age."""
    with open_source(db, backend, spark_master) as con:
        table = nevada_for_store(con, product, mode, as_of, warranty_months, months)
    if plot is not None:
        _save_plot(plot, "nevada", table.cells)
    if json_:
        print_json(table.to_dict())
        return
    out.print(f"[bold]{_scope(product, mode)}[/]: claims per 1,000 units sold, observed through "
              f"{table.last_month:%Y-%m} (as of {table.as_of})")
    if table.cells.empty:
        out.print(f"no cohort with sales is observed by {table.last_month:%Y-%m}; use a later --as-of")
        _print_left_out(table.excluded_claims)
        return
    _print_matrix(table.matrix(), table.cells.groupby("sales_month")["units"].first())
    ages = Table("months in service", "units", "claims", "per 1,000", f"{1 - table.alpha:.0%} interval",
                 title="claims per 1,000 units by age")
    for r in table.by_age.itertuples(index=False):
        ages.add_row(str(r.months_in_service), f"{r.units:,}", f"{r.claims:,}", f"{r.claims_per_1000:.2f}",
                     f"{r.lower:.2f} - {r.upper:.2f}")
    out.print(ages)
    _print_left_out(table.excluded_claims)


def _print_matrix(matrix: pd.DataFrame, units: pd.Series) -> None:
    """Sales months down, months in service across, split into blocks of columns that fit the console."""
    per_block = max((out.width - 20) // 7, 4)          # "2021-01", units, then ~7 characters per age
    ages = list(matrix.columns)
    for start in range(0, max(len(ages), 1), per_block):
        block = ages[start:start + per_block]
        grid = Table("sold", "units", *[str(a) for a in block], box=box.SIMPLE_HEAD, padding=(0, 1),
                     title=f"months in service {block[0]}-{block[-1]}" if block else None)
        for month, row in matrix[block].iterrows():
            grid.add_row(f"{month:%Y-%m}", f"{units[month]:,}", *["" if pd.isna(v) else f"{v:.1f}" for v in row])
        out.print(grid)


def _print_left_out(excluded: dict[str, int]) -> None:
    left_out = {k: v for k, v in excluded.items() if v}
    if left_out:
        out.print("claims left out: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in left_out.items()))


def forecast(product: ProductOption,
             months: Annotated[int, typer.Option("--months", min=1, help="Months to forecast.")] = 6,
             mode: ModeOption = None, as_of: AsOfOption = None, warranty_months: WarrantyOption = None,
             plot: PlotOption = None, db: DbOption = None, backend: BackendOption = None,
           spark_master: SparkMasterOption = None, json_: JsonOption = False) -> None:
    """Forecast claims for the next months from the units sold so far (power-law NHPP)."""
    with open_source(db, backend, spark_master) as con:
        fc = forecast_for_store(con, product, months, mode, as_of, warranty_months)
    if plot is not None:
        _save_plot(plot, "forecast", fc.history_, fc.forecast_)
    for note in fc.caveats():
        warn(note)
    if json_:
        print_json(fc.to_dict())
        return
    t = fc.nevada_
    level = f"{1 - fc.alpha:.0%}"
    out.print(f"[bold]{_scope(product, mode)}[/]: fitted on {len(t.cells)} cohort x age cells through "
              f"{t.last_month:%Y-%m} (as of {t.as_of})")
    out.print(f"model: cumulative claims per unit (a/eta)^beta, beta {fc.beta_:.3f} "
              f"({fc.beta_interval_[0]:.3f} - {fc.beta_interval_[1]:.3f}), eta {fc.eta_:.1f} months "
              f"({fc.eta_interval_[0]:.1f} - {fc.eta_interval_[1]:.1f}), dispersion {fc.dispersion_:.2f}")
    if fc.fit_.at_bound:
        out.print("[yellow]the shape estimate sits at its search bound: the power law fits these claims badly[/]")
    table = Table("month", "expected claims", f"{level} interval", title="forecast")
    for r in fc.forecast_.itertuples(index=False):
        table.add_row(f"{r.month:%Y-%m}", f"{r.expected:,.1f}", f"{int(r.lower):,} - {int(r.upper):,}")
    table.add_row("[bold]total[/]", f"[bold]{fc.total_['expected']:,.1f}[/]",
                  f"{int(fc.total_['lower']):,} - {int(fc.total_['upper']):,}")
    out.print(table)
    out.print(f"assumption: {ASSUMPTION}")
    _print_left_out(t.excluded_claims)


def register(app: typer.Typer) -> None:
    """Add ``nevada`` and ``forecast`` to the ``reliability`` command group."""
    app.command("nevada")(nevada)
    app.command("forecast")(forecast)
