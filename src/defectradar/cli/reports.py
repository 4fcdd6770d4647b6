"""``defectradar reports list|search|show``: read stored reports and where their labels came from.

Everything a report holds was written by someone else: it is rendered as ``rich.text.Text``,
never as markup, so "[bold]" or ":fire:" in a complaint prints as written.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from defectradar.cli.common import DbOption, JsonOption, new_app, open_store, out, print_json
from defectradar.cli.table_export import exporting

reports_app = new_app("Read stored reports: list them with filters, search their text, show one with its labels.")

ProductOption = Annotated[Optional[str], typer.Option("--product", help="Product id (xiaomi-11, named:ford-escape) "
                                                      "or name as the source writes it (\"Ford Escape\").")]
ModeOption = Annotated[Optional[str], typer.Option("--mode", help="Failure mode (wifi, service-brakes).")]
SourceOption = Annotated[Optional[str], typer.Option("--source", help="Only this source (weibo, nhtsa ...).")]
SinceOption = Annotated[Optional[str], typer.Option("--since", help="Posted on or after this day (YYYY-MM-DD).")]
UntilOption = Annotated[Optional[str], typer.Option("--until", help="Posted on or before this day (YYYY-MM-DD).")]
TextOption = Annotated[Optional[str], typer.Option("--text", help="Text (or title) contains this, any case.")]
SearchOption = Annotated[Optional[str], typer.Option("--search", help="Text (or title) holds all these words, "
                                                     "in any order, any case.")]
LimitOption = Annotated[int, typer.Option("--limit", help="Show at most this many (newest first).")]
SNIPPET = 80


def _query(store, product, mode, source, since, until, text, words, limit):
    from defectradar.domain.catalog import load_catalog
    from defectradar.query.reports import mode_ids_for, product_ids_for, report_query

    products = product_ids_for(product, load_catalog(store.settings.catalog)) if product is not None else ()
    modes = mode_ids_for(mode) if mode is not None else ()
    return report_query(product_ids=products, modes=modes, source=source, since=since, until=until, text=text,
                        words=words, limit=limit)


def _product_text(product_id: str | None, uncatalogued: bool, raw: str | None) -> Text:
    if product_id is None:
        return Text("-" if not raw else raw, style="dim")
    text = Text(product_id)
    if uncatalogued:
        text.append(" (uncatalogued)", style="dim")
    return text


def _render_list(result, json_: bool) -> None:
    if json_:
        print_json(result.to_dict())
        return
    if not result.reports:
        out.print(Text(f"{result.matched:,} reports match"))
        return
    table = Table("report", "posted (UTC)", "source", "product", "failure modes", "text",
                  title=f"{result.matched:,} reports match, {len(result.reports):,} shown")
    whole = exporting()            # --csv keeps whole texts and ids; the screen gets snippets
    for row in result.reports:
        snippet = " ".join(((f"{row.title}: " if row.title and row.title != row.text else "") + row.text).split())
        snippet = snippet if whole or len(snippet) <= SNIPPET else snippet[:SNIPPET - 1] + "…"
        modes = ", ".join(row.failure_modes) or "none"
        table.add_row(Text(row.report_id if whole else row.report_id[:12]), Text((row.created_at or "-")[:16]), Text(row.source),
                      _product_text(row.product_id, row.uncatalogued, row.product_raw),
                      Text(f"{modes} ({row.label_source})" if row.failure_modes and row.label_source else modes),
                      Text(snippet))
    out.print(table)
    if result.matched > len(result.reports):
        out.print(Text(f"{result.matched - len(result.reports):,} more: narrow the filters or raise --limit",
                       style="dim"))


@reports_app.command("list")
def reports_list(
    product: ProductOption = None, mode: ModeOption = None, source: SourceOption = None,
    since: SinceOption = None, until: UntilOption = None, text: TextOption = None, search: SearchOption = None,
    limit: LimitOption = 50, db: DbOption = None, json_: JsonOption = False,
) -> None:
    """List reports with their effective labels, newest first; filters combine."""
    from defectradar.query.reports import list_reports

    store = open_store(db)
    query = _query(store, product, mode, source, since, until, text, search, limit)
    with store.reader() as con:
        result = list_reports(con, query)
    _render_list(result, json_)


@reports_app.command("search")
def reports_search(
    words: Annotated[list[str], typer.Argument(help="Words the text (or title) must all hold, any order, any case.",
                                               show_default=False)],
    product: ProductOption = None, mode: ModeOption = None, source: SourceOption = None,
    since: SinceOption = None, until: UntilOption = None, limit: LimitOption = 50,
    db: DbOption = None, json_: JsonOption = False,
) -> None:
    """Reports whose text holds every word given (the same as ``list --search``)."""
    from defectradar.query.reports import list_reports

    store = open_store(db)
    query = _query(store, product, mode, source, since, until, None, " ".join(words), limit)
    with store.reader() as con:
        result = list_reports(con, query)
    _render_list(result, json_)


def _line(label: str, value) -> Text:
    return Text.assemble((f"{label}: ", "bold"), Text("-" if value in (None, "", []) else str(value)))


@reports_app.command("show")
def reports_show(
    report_id: Annotated[str, typer.Argument(help="The source's own id of the report (an NHTSA ODINO, a Weibo "
                                             "post id), or our report id or its first 4+ characters.",
                                             show_default=False)],
    source: SourceOption = None, db: DbOption = None, json_: JsonOption = False,
) -> None:
    """One report: its text, product, failure modes and where each label came from."""
    from defectradar.query.reports import show_report

    store = open_store(db)
    with store.reader() as con:
        detail = show_report(con, report_id, source)
    if json_:
        print_json(detail.to_dict())
        return
    r, p = detail.report, detail.product
    out.print(_line("report", r.get("report_id")))
    out.print(_line("source", " / ".join(str(v) for v in (r.get("source"), r.get("source_id")) if v)))
    out.print(_line("posted (UTC)", r.get("created_at")))
    if r.get("title"):
        out.print(_line("title", r["title"]))
    out.print(_line("text", r.get("text")))
    product = _product_text(p["product_id"], p["uncatalogued"], None)
    how = [f"by {p['matched_by']}" if p["matched_by"] else None,
           f"confidence {p['confidence']:.2f}" if isinstance(p["confidence"], float) else None,
           f"named as {p['named_as']!s}" if p["named_as"] else None, f"brand {p['brand']!s}" if p["brand"] else None]
    out.print(Text.assemble(("product: ", "bold"), product,
                            Text(f"  ({'; '.join(h for h in how if h)})" if any(how) else "", style="dim")))
    if detail.failure_modes:
        out.print(Text("failure modes:", style="bold"))
        for m in detail.failure_modes:
            confidence = f", confidence {m['confidence']:.2f}" if isinstance(m["confidence"], (int, float)) else ""
            out.print(Text(f"  {m['mode']}  (from {m['source'] or 'unknown'}{confidence})"))
    else:
        out.print(_line("failure modes", "none"))
    if detail.components:
        out.print(_line("source labels", "; ".join(detail.components)))
    if detail.subject:
        out.print(_line("phone reader", f"not used: not about phones ({detail.subject.get('why')})"))
    out.print(_line("severity", r.get("severity")))
    facts = [f"repairs {r['repeat_repairs']}" if r.get("repeat_repairs") is not None else None,
             "data lost" if r.get("data_loss") else None, f"lang {r['lang']}" if r.get("lang") else None,
             f"engagement {r['engagement']:,}" if r.get("engagement") is not None else None]
    if any(facts):
        out.print(_line("read", ", ".join(f for f in facts if f)))
    by = detail.labelled_by
    out.print(_line("labelled by", f"{by['by']} ({by['classifier'] or 'no classifier'}) at {by['at'] or '-'}"))
    for c in detail.corrections:
        out.print(_line("corrected", f"{c['field']} = {c['value']} by {c['analyst']} at {c['at']}"
                        + (f" ({c['reason']})" if c.get("reason") else "")))
