"""``defectradar lemons``: devices meeting repeat-repair rules (China 三包, EU, US lemon laws)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from defectradar.cli.common import DbOption, JsonOption, open_store, out, print_json
from defectradar.reliability.lemons import RULES, lemons_in_store, load_lemon_rules

RulesOption = Annotated[str, typer.Option(
    "--rules", help=f"Comma-separated rules to apply: {', '.join(RULES)} (China 三包, EU 2019/771, US lemon laws).")]
ProductOption = Annotated[Optional[str], typer.Option("--product", help="Only this catalog product id.")]
ModeOption = Annotated[Optional[str], typer.Option("--mode", help="Only hits of this failure mode.")]
AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Ignore events after this day, YYYY-MM-DD (default: the latest event in the store).")]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="YAML file overriding rule parameters, e.g. 'cn: {warranty_days: 730}'.", dir_okay=False)]
LimitOption = Annotated[int, typer.Option("--limit", min=1, help="Rows in the table (JSON lists every hit).")]


def _short(token: str) -> str:
    return token if len(token) <= 12 else token[:12] + "…"


def lemons(rules: RulesOption = "cn,eu,us", db: DbOption = None, json_: JsonOption = False,
           product: ProductOption = None, mode: ModeOption = None, as_of: AsOfOption = None,
           config: ConfigOption = None, limit: LimitOption = 50) -> None:
    """Devices meeting repeat-repair ("lemon") rules, each with the events that triggered it."""
    chosen = load_lemon_rules(rules, config)
    with open_store(db).reader() as con:
        result = lemons_in_store(con, chosen, product=product, mode=mode, as_of=as_of)
    if json_:
        print_json(result.to_dict())
        return
    counts = result.counts
    title = f"lemons as of {result.as_of or '-'}: {counts['all']['devices']} devices"
    if not result.hits:
        out.print(f"{title}; no device meets {', '.join(r.name for r in chosen)}")
    else:
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_lines=True)
        for column in ("device", "product", "mode", "rule", "first hit"):
            table.add_column(column, no_wrap=True)
        table.add_column("reason", ratio=1)
        for hit in result.hits[:limit]:
            table.add_row(_short(hit.device_token), Text(hit.product_id or "-"), Text(hit.failure_mode or "(several)"),
                          hit.rule, str(hit.first_hit_date), Text(hit.reason))
        out.print(table)
        if len(result.hits) > limit:
            out.print(f"showing {limit} of {len(result.hits)} hits (--limit N for more, --json for all)")
    per_rule = "; ".join(f"{r.name}: {counts[r.name]['devices']} devices ({counts[r.name]['hits']} hits)"
                         for r in chosen)
    out.print(per_rule)
    if result.skipped:
        out.print("events left out: " + ", ".join(f"{k} {v}" for k, v in result.skipped.items()))
