"""``defectradar lemons``: devices owed an exchange or a refund because a fault kept coming back,
as the remedies engine judges them under the dated rule sets (``remedies audit`` agrees device by device)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from defectradar.analyses.lemons import lemons_in_store, load_lemon_rules
from defectradar.cli.common import (
    BackendOption,
    DbOption,
    JsonOption,
    SparkMasterOption,
    open_source,
    out,
    print_json,
    settings_for,
)
from defectradar.domain.catalog import load_catalog
from defectradar.remedies.rule_book import load_rule_book

RulesOption = Annotated[Optional[str], typer.Option(
    "--rules", help="Comma-separated jurisdictions (cn, eu) or rule set ids whose lemons to list "
                    "(default: every jurisdiction; see `defectradar policies list`).", show_default=False)]
JurisdictionOption = Annotated[str, typer.Option(
    "--jurisdiction", help="Jurisdiction of devices whose region names none (CN, EU, ...), as for `remedies audit`.")]
ProductOption = Annotated[Optional[str], typer.Option("--product", help="Only this catalog product id.")]
ModeOption = Annotated[Optional[str], typer.Option("--mode", help="Only hits of this failure mode.")]
AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Ignore events after this day, YYYY-MM-DD (default: the latest event in the store).")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="A rule set YAML file to judge by as well; a built-in id is replaced (e.g. the China rules "
                     "with a longer warranty: `policies show ID --yaml` gives one to edit).", dir_okay=False)]
LimitOption = Annotated[int, typer.Option("--limit", min=1, help="Rows in the table (JSON lists every hit).")]


def _short(token: str) -> str:
    return token if len(token) <= 12 else token[:12] + "…"


def lemons(rules: RulesOption = None, db: DbOption = None, json_: JsonOption = False,
           product: ProductOption = None, mode: ModeOption = None, as_of: AsOfOption = None,
           config: ConfigOption = None, limit: LimitOption = 50, jurisdiction: JurisdictionOption = "CN",
           backend: BackendOption = None, spark_master: SparkMasterOption = None) -> None:
    """Devices owed an exchange or a refund because a fault came back after repairs ("lemons")."""
    settings = settings_for(db)
    chosen = load_lemon_rules(rules, config, load_rule_book(settings.rules_dir))
    catalog = load_catalog(settings.catalog)
    with open_source(db, backend, spark_master) as con:
        result = lemons_in_store(con, chosen, product=product, mode=mode, as_of=as_of, catalog=catalog,
                                 jurisdiction=jurisdiction)
    if json_:
        print_json(result.to_dict())
        return
    counts = result.counts
    title = f"lemons as of {result.as_of or '-'}: {counts['all']['devices']} devices"
    if not result.hits:
        out.print(f"{title}; no device was owed an exchange or refund for a repeat fault under "
                  f"{', '.join(chosen.names)}")
    else:
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_lines=True)
        for column in ("device", "product", "mode", "first hit"):
            table.add_column(column, no_wrap=True)
        table.add_column("rule", overflow="fold")
        table.add_column("reason", ratio=1)
        for hit in result.hits[:limit]:
            table.add_row(_short(hit.device_token), Text(hit.product_id or "-"), Text(hit.failure_mode),
                          str(hit.first_hit_date), Text(hit.rule), Text(hit.reason))
        out.print(table)
        if len(result.hits) > limit:
            out.print(f"showing {limit} of {len(result.hits)} hits (--limit N for more, --json for all)")
    out.print("; ".join(f"{name}: {counts[name]['devices']} devices ({counts[name]['hits']} hits)"
                        for name in chosen.names))
    if result.skipped:
        out.print("events left out: " + ", ".join(f"{k} {v}" for k, v in result.skipped.items()))
