"""``defectradar policies``: the laws and manufacturer policies in the rule book, their versions and changes."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from defectradar.analyses.policy_alerts import policy_diff
from defectradar.cli.common import DbOption, JsonOption, err, new_app, out, print_json, settings_for
from defectradar.core.dates import as_date
from defectradar.remedies.policy_diff import METHOD, rule_set_details, rule_set_summary
from defectradar.remedies.rule_book import RuleBook, load_rule_book
from defectradar.remedies.rule_sets import dump_rule_set
from defectradar.store.connect import Store

policies_app = new_app("Consumer laws and manufacturer policies as dated rules: list them, show one, "
                       "and diff its versions (a downgrade raises alerts).")
IdArg = Annotated[str, typer.Argument(help="Rule set id (see `defectradar policies list`).", show_default=False)]


def _book() -> RuleBook:
    """Built-in rule sets plus the user's (``DEFECTRADAR_RULES_DIR``)."""
    return load_rule_book(settings_for(None).rules_dir)


def _covers(names: Any) -> str:
    return "all" if names == "all" else ", ".join(names)


def _coverage(products: Any, modes: Any) -> str:
    """``xiaomi-11, xiaomi-11-pro; wifi`` or ``all products; all modes``."""
    def part(names, noun):
        return f"all {noun}s" if names == "all" else ", ".join(names)
    return f"{part(products, 'product')}; {part(modes, 'mode')}"


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}" if value else "{}"
    return str(value).lower() if isinstance(value, bool) else str(value)


@policies_app.command("list")
def policies_list(json_: JsonOption = False) -> None:
    """Every rule set: kind, jurisdiction, life, what it covers, and how many versions and rules."""
    rows = [rule_set_summary(rs) for rs in _book()]
    if json_:
        print_json(rows)
        return
    # One block per rule set rather than a table: ids and titles stay whole in a narrow terminal.
    out.print(f"[bold]{len(rows)} rule sets[/]")
    for r in rows:
        kind = f"{r['maker']} policy" if r["kind"] == "manufacturer_policy" else r["kind"]
        versions = f"{r['versions']} version{'s' if r['versions'] != 1 else ''}"
        if r["versions"] > 1:
            versions += f", latest {r['latest_version']}"
        out.print(f"[bold]{escape(r['id'])}[/] ({escape(kind)}, {r['jurisdiction']}): {r['effective_from']} to "
                  f"{r['effective_to'] or 'today'}; {versions}; {r['rules']} rules; covers "
                  f"{escape(_coverage(r['products'], r['failure_modes']))}")
        out.print(f"  {escape(r['title'])}")
    out.print("details: [bold]defectradar policies show ID[/]; changes: [bold]defectradar policies diff ID[/]")


@policies_app.command("show")
def policies_show(
    rule_set_id: IdArg,
    json_: JsonOption = False,
    at: Annotated[Optional[str], typer.Option("--at", help="Only the version in force on this day "
                                              "(YYYY-MM-DD).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of titles and rule texts: en or zh.")] = "en",
    yaml_: Annotated[bool, typer.Option("--yaml", help="Print the rule set as normalised YAML (reads back "
                                        "the same; a starting point for your own rules_dir).")] = False,
) -> None:
    """One rule set: title, citations, coverage, each version's parameter values and the rules."""
    rule_set = _book().get(rule_set_id)
    if yaml_:
        sys.stdout.write(dump_rule_set(rule_set))
        return
    details = rule_set_details(rule_set, as_date(at, "--at"), lang)
    if json_:
        print_json(details)
        return
    maker = f", {details['maker']}" if details["maker"] else ""
    out.print(f"[bold]{escape(details['title'])}[/] ({escape(details['id'])}: {details['kind']}{escape(maker)}, "
              f"{details['jurisdiction']})")
    out.print(f"in force {details['effective_from']} to {details['effective_to'] or 'today'}, applies by "
              f"{details['applies_by']} day; covers products: {escape(_covers(details['products']))}; "
              f"failure modes: {escape(_covers(details['failure_modes']))}")
    out.print("[bold]citations[/]")
    for ref in details["references"]:
        extra = [x for x in (ref["article"], ref["date"], ref["url"]) if x]
        out.print(f"  - {escape(ref['document'])}" + (f" ({escape(', '.join(extra))})" if extra else ""))
        if ref["note"]:
            out.print(f"    {escape(ref['note'])}")
    if at is not None and not details["in_force_at"]:
        out.print(f"[yellow]not in force on {details['at']}[/]")
    out.print("[bold]parameters[/]")
    for p in details["parameters"]:
        favours = f", {p['favours']} favours the owner" if p["favours"] else ""
        out.print(f"  {escape(p['name'])} ({p['kind']}{favours}): {escape(p['description'])}")
    _print_versions(details["versions"], [p["name"] for p in details["parameters"]])
    out.print("[bold]rules[/]")
    for rule in details["rules"]:
        out.print(f"  {escape(rule['id'])} ({escape(rule['reference'])}, logic {escape(rule['logic'])})")
        out.print(f"    {escape(rule['text'])}")


def _print_versions(versions: list[dict], names: list[str]) -> None:
    """Parameters down, versions across; a value that changed from the version before is in bold."""
    if not versions or not names:
        return
    table = Table(box=box.SIMPLE_HEAD, title="versions")
    table.add_column("parameter", no_wrap=True, min_width=max(map(len, names)))
    for version in versions:
        table.add_column(f"{version['from']}\nto {version['to'] or 'today'}", overflow="fold")
    for name in names:
        cells, before = [], None
        for index, version in enumerate(versions):
            value = version["parameters"][name]
            cell = escape(_value(value))
            cells.append(f"[bold yellow]{cell}[/]" if index and value != before else cell)
            before = value
        table.add_row(escape(name), *cells)
    out.print(table)


@policies_app.command("diff")
def policies_diff(
    rule_set_id: IdArg,
    from_: Annotated[Optional[str], typer.Option("--from", help="Only changes on or after this day "
                                                 "(YYYY-MM-DD).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Only changes on or before this day (YYYY-MM-DD).")] = None,
    db: DbOption = None,
    json_: JsonOption = False,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Do not record downgrade alerts in the "
                                            "store.")] = False,
) -> None:
    """What changed between versions; a downgrade (a remedy removed or narrowed) raises an alert per product."""
    since, until = as_date(from_, "--from"), as_date(to, "--to")
    settings = settings_for(db)
    rule_set = load_rule_book(settings.rules_dir).get(rule_set_id)
    store = Store(settings.db, settings)
    # Alerts go to an existing store only: a diff must not leave an empty store behind.
    result = policy_diff(rule_set, since, until, store if store.exists() and not no_alerts else None)
    if json_:
        print_json(result.to_dict())
        return
    versions = ", ".join(str(d) for d in rule_set.versions())
    window = f" from {since or 'the start'} to {until or 'today'}" if since or until else ""
    out.print(f"[bold]{escape(rule_set.id)}[/]: {len(result.changes)} changes{window}, "
              f"{len(result.downgrades)} downgrades (versions: {versions})")
    day = None
    for c in result.changes:
        if c.day != day:
            day = c.day
            out.print(f"[bold]{day}[/]")
        if c.downgrade:
            verdict = "[bold red]DOWNGRADE[/]"
        else:
            verdict = {"better": "[green]better[/]"}.get(c.verdict, c.verdict)
        moved = "; ".join(f"{label}: {', '.join(names)}" for label, names in (("removed", c.removed),
                                                                             ("added", c.added)) if names)
        out.print(f"  {escape(c.parameter)}: {escape(_value(c.old))} -> {escape(_value(c.new))}  {verdict}"
                  + (f" ({escape(moved)})" if moved else ""))
        if c.reference:
            out.print(f"    [dim]{escape(c.reference)}[/]")
    _report_alerts(result, store, no_alerts)


def _report_alerts(result, store: Store, no_alerts: bool) -> None:
    if not result.downgrades:
        return
    if no_alerts:
        out.print("alerts not recorded (--no-alerts)")
        return
    if result.alerts is None:
        err.print(f"no store at {store.path}: downgrade alerts not recorded (point --db at a store to record them)")
        return
    alerts = result.alerts
    names = ", ".join(p or "(all products)" for p in result.products(alerts.raised))
    if alerts.raised:
        out.print(f"raised {len(alerts.raised)} alerts ({METHOD}) for: {escape(names)}")
    if alerts.updated or alerts.reopened:
        out.print(f"updated {len(alerts.updated)}, reopened {len(alerts.reopened)} alerts ({METHOD})")
    if alerts.unchanged:
        out.print(f"{len(alerts.unchanged)} alerts already recorded for these downgrades")
    out.print("see them with [bold]defectradar alerts list[/]")
