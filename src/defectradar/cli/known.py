"""``defectradar known-issues``: the recalls, announcements and policies a surge may follow."""

from __future__ import annotations

from datetime import date
from typing import Annotated, List, Optional

import typer
from rich.table import Table
from rich.text import Text

from defectradar.analyses.known import SOURCES, known_issues
from defectradar.cli.common import DbOption, JsonOption, new_app, open_store, out, print_json
from defectradar.cli.table_export import exporting
from defectradar.core.dates import as_date
from defectradar.errors import InputError

known_app = new_app("Known issues (recalls, makers' announcements, policy versions): a surge after one is a "
                    "follow-on, labelled known by `signals scan`, not a new defect.")
SNIPPET = 60


@known_app.command("list")
def known_list(
    product: Annotated[Optional[str], typer.Option("--product", "-p", help="Only this product: id (xiaomi-11, "
                                                   "named:ford-escape) or name as complaints write it "
                                                   "(\"FORD ESCAPE\").")] = None,
    source: Annotated[Optional[List[str]], typer.Option("--source", help="Only recall, announcement or policy "
                                                        "(repeatable).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Issues known on this day (YYYY-MM-DD; "
                                                 "default today).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many (newest first).")] = 200,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Known issues per product and failure mode, with the day each is known from and its reference."""
    day = as_date(as_of, "--as-of") or date.today()
    for name in source or ():
        if name not in SOURCES:
            raise InputError(f"--source {name!r}: choose recall, announcement or policy")
    store = open_store(db)
    ids = None
    if product is not None:
        from defectradar.domain.catalog import load_catalog
        from defectradar.query.reports import product_ids_for

        ids = product_ids_for(product, load_catalog(store.settings.catalog))
    from defectradar.remedies.rule_book import load_rule_book

    book = load_rule_book(store.settings.rules_dir)
    with store.reader() as con:
        issues = known_issues(con, day, rule_book=book, product_ids=ids, sources=source or SOURCES)
    shown = sorted(issues, key=lambda i: (i.since, i.product_id), reverse=True)[:limit]
    if json_:
        print_json({"as_of": day.isoformat(), "matched": len(issues), "issues": [i.to_dict() for i in shown]})
        return
    if not issues:
        where = f" for {product}" if product is not None else ""
        out.print(Text(f"no known issues{where} as of {day}: ingest recalls (--type nhtsa-recalls) or "
                       "announcements (--type announcements)"))
        return
    whole = exporting()
    table = Table(title=f"{len(issues):,} known issues as of {day}, {len(shown):,} shown")
    for name in ("since", "source", "product", "mode", "reference"):
        table.add_column(name, no_wrap=name in ("since", "reference"))
    table.add_column("summary", ratio=1)
    for issue in shown:
        summary = " ".join((issue.summary or "").split())
        if not whole and len(summary) > SNIPPET:
            summary = summary[:SNIPPET - 1] + "…"
        table.add_row(issue.since.isoformat(), issue.source, Text(issue.product_id), Text(issue.mode or "(all)"),
                      Text(issue.reference), Text(summary))
    out.print(table)
