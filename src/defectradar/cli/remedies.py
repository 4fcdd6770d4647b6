"""``defectradar remedies check|audit``: what was owed at each step of a case, and where the store's devices fell short."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from defectradar.cli.common import (
    DbOption,
    JsonOption,
    new_app,
    out,
    print_json,
    settings_for,
)
from defectradar.domain.catalog import builtin_catalog, load_catalog
from defectradar.errors import InputError
from defectradar.query.series import as_date
from defectradar.remedies import judge_case, load_rule_book, read_case_file
from defectradar.remedies.vocabulary import LANGUAGES, remedy_words

remedies_app = new_app("Remedies owed under consumer law and manufacturer policies, case by case or over the store.")

AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Judge as on this day, YYYY-MM-DD: later events are ignored (check: default today; audit: the "
                    "latest service event).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the summary and rule texts: en or zh.")]


def _context(db: Path | None):
    settings = settings_for(db)
    catalog = load_catalog(settings.catalog) if settings.catalog else builtin_catalog()
    return settings, catalog, load_rule_book(settings.rules_dir)


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(f"--lang {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


@remedies_app.command("check")
def check(case_file: Annotated[Path, typer.Argument(metavar="CASE.json", help="The case: device and events.",
                                                    dir_okay=False)],
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
            out.print(f"  · [cyan]{escape(rule['id'])}[/] {escape(rule['text'])} [dim]({escape(rule['reference'])})[/]")
    out.print()
    out.print(escape(judgement.to_dict()["summary"]))
