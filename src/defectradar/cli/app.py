"""The ``defectradar`` command: a thin shell over the library, one module per command group."""

from __future__ import annotations

import sys

import typer

from defectradar import __version__
from defectradar.cli import alerts, demo, ingest, lemons, reliability, remedies, signals, simulate, stats, store, text
from defectradar.cli.catalog import catalog_app
from defectradar.cli.common import new_app, out
from defectradar.cli.export import export_app
from defectradar.cli.known import known_app
from defectradar.cli.policies import policies_app
from defectradar.cli.reports import reports_app
from defectradar.cli.review import review_command
from defectradar.cli.runs import runs_app
from defectradar.cli.serve import serve
from defectradar.cli.table_export import offer_csv
from defectradar.cli.users import users_app

app = new_app(
    "defectradar: find emerging product defects in complaints and repair records.\n\n"
    "Start with [bold]defectradar demo[/], or [bold]defectradar ingest FILE...[/] then [bold]defectradar stats[/]."
)


def _version(value: bool) -> None:
    if value:
        out.print(f"defectradar {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """defectradar: find emerging product defects in complaints and repair records."""


app.command("ingest")(ingest.ingest)
app.command("stats")(stats.stats)
app.add_typer(stats.quarantine_app, name="quarantine")
app.add_typer(runs_app, name="runs")
app.command("simulate")(simulate.simulate)
app.command("demo")(demo.demo)
app.command("migrate")(store.migrate)
app.command("classify")(text.classify)
app.add_typer(text.model_app, name="model")
app.command("label")(text.label)
app.command("review")(review_command)
app.command("reclassify")(text.reclassify_command)
app.add_typer(signals.signals_app, name="signals")
app.command("backtest")(signals.backtest)
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(reliability.reliability_app, name="reliability")
app.command("lemons")(lemons.lemons)
app.add_typer(remedies.remedies_app, name="remedies")
app.add_typer(policies_app, name="policies")
app.add_typer(catalog_app, name="catalog")
app.add_typer(reports_app, name="reports")
app.add_typer(known_app, name="known-issues")
app.command("serve")(serve)
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
offer_csv(app)     # last: --csv FILE on every command that prints a table


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
