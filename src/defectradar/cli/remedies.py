"""``defectradar remedies check|audit``: what was owed at each step of a case, and where the store's devices fell short."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import (
    BackendOption,
    DbOption,
    JsonOption,
    RichProgress,
    SparkMasterOption,
    new_app,
    open_source,
    open_store,
    out,
    print_json,
    settings_for,
)
from defectradar.core.dates import as_date
from defectradar.domain.catalog import load_catalog
from defectradar.errors import InputError
from defectradar.remedies import judge_case, load_rule_book, read_case_file
from defectradar.remedies.vocabulary import LANGUAGES, remedy_words

remedies_app = new_app("Remedies owed under consumer law and manufacturer policies, case by case or over the store.")

AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Judge as on this day, YYYY-MM-DD: later events are ignored (check: default today; audit: the "
                    "latest service event).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the summary and rule texts: en or zh.")]


def _context(db: Path | None):
    settings = settings_for(db)
    catalog = load_catalog(settings.catalog)
    return settings, catalog, load_rule_book(settings.rules_dir)


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(f"--lang {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


@remedies_app.command("check")
def check(case_file: Annotated[Path, typer.Argument(metavar="CASE.json", help="The case: device and events.")],
          as_of: AsOfOption = None, lang: LangOption = "en", json_: JsonOption = False, db: DbOption = None) -> None:
    """Judge one case: the remedies due at each event, the remedy given, any shortfall and the rule behind it."""
    lang = _language(lang)
    _, catalog, book = _context(db)
    case = read_case_file(case_file, catalog, book.jurisdictions)
    judgement = judge_case(book, case, as_of=as_date(as_of, "--as-of"), lang=lang)
    if json_:
        print_json(judgement.to_dict())
        return
    zh = lang == "zh"
    device = case.device
    out.print(f"[bold]{escape(device.product.name)}[/] · {device.purchase_date} · {device.jurisdiction}"
              f"{'' if device.invoice else (' · 无发票' if zh else ' · no invoice')}")
    for step in judgement.steps:
        data = step.to_dict(lang)
        mark = ("[bold red]✗ " + ("不足" if zh else "short") + "[/]" if step.shortfall else
                "[green]✓[/]" if step.given else "")
        due = remedy_words(step.due, lang) if step.due else "-"
        given = step.given or "-"
        out.print(f"\n[bold]{step.event.date}[/] {step.event.type} ({escape(step.event.failure_mode)})  "
                  f"{'应得' if zh else 'due'}: {escape(due)}  {'实得' if zh else 'given'}: {given}  {mark}")
        for rule in data["rules"]:
            # No automatic highlighting: a rule's text may quote every earlier repair date, and Rich's
            # number and date highlighter made printing a 1,000-event case quadratic (a minute).
            out.print(f"  · [cyan]{escape(rule['id'])}[/] {escape(rule['text'])} [dim]({escape(rule['reference'])})[/]",
                      highlight=False)
    out.print()
    out.print(escape(judgement.summary), highlight=False)


@remedies_app.command("audit")
def audit(db: DbOption = None, json_: JsonOption = False, as_of: AsOfOption = None,
          product: Annotated[Optional[str], typer.Option("--product", help="Only this product (id or name).")] = None,
          period: Annotated[str, typer.Option("--period", help="Group shortfalls by quarter, month or year.")]
          = "quarter",
          jurisdiction: Annotated[str, typer.Option(
              "--jurisdiction", help="Jurisdiction of devices whose region names none (CN, EU, ...).")] = "CN",
          limit: Annotated[int, typer.Option("--limit", min=0, help="Groups in the table; JSON rows kept.")] = 30,
          lang: LangOption = "en", backend: BackendOption = None, spark_master: SparkMasterOption = None) -> None:
    """Judge every device in the store: who got less than was due, by product, rule and period."""
    from defectradar.analyses.audit import audit_store

    lang = _language(lang)
    _, catalog, book = _context(db)
    progress = RichProgress("steps")
    on_store = (backend or settings_for(db).backend) == "duckdb"
    with (nullcontext(open_store(db)) if on_store else open_source(db, backend, spark_master)) as source:
        report = audit_store(source, book, catalog, as_of=as_date(as_of, "--as-of"), product=product,
                             jurisdiction_default=jurisdiction, period=period, progress=progress, lang=lang)
    if json_:
        print_json(report.to_dict(limit=None if limit == 0 else max(limit, 1000)))
        return
    kinds = report.devices_by_kind
    out.print(f"remedies audit as of {report.as_of}: {report.devices:,} devices, {report.events:,} service events; "
              f"[bold]{report.devices_short:,}[/] devices got less than was due ({kinds['lesser_remedy']:,} a lesser "
              f"remedy, {kinds['refused']:,} refused while something was due)")
    shown = 0
    for kind, title in (("lesser_remedy", "given less than was due"), ("refused", "refused while something was due")):
        groups = report.top_groups(limit, kind) if limit else [g for g in report.groups if g["kind"] == kind]
        if not groups:
            continue
        shown += len(groups)
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        table.add_column("product", no_wrap=True)
        table.add_column("rule", overflow="fold", ratio=1)
        table.add_column("period", no_wrap=True)
        table.add_column("devices", justify="right")
        table.add_column("visits", justify="right")
        for g in sorted(groups, key=lambda g: (g["product"] or "", g["rule"], g["period"])):
            table.add_row(escape(g["product"] or "-"), escape(g["rule"]), g["period"], f"{g['devices']:,}",
                          f"{g['steps']:,}")
        out.print(table)
    if shown < len(report.groups):
        out.print(f"showing the {shown} largest of {len(report.groups)} groups (--limit 0 for all, --json)")
    for version in report.policy_versions:
        out.print(f"{escape(version['policy'])} from {version['version']}: {version['lesser_remedy']:,} visits short, "
                  f"{version['refused']:,} refused ({version['devices']:,} devices)")
    out.print(f"data wiped in service: {report.wiped_events:,} times on {report.wiped_devices:,} devices")
    left_out = {k: v for k, v in report.left_out.items() if v}
    if left_out:
        out.print("events left out: " + ", ".join(f"{k} {v:,}" for k, v in left_out.items()))
