"""``review``: the stored reports an analyst should confirm or correct next."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from defectradar.cli.common import DbOption, JsonOption, open_store, out, print_json, working
from defectradar.cli.table_export import exporting
from defectradar.review import REVIEW_SAMPLE

SHOWN_CHARS = 120       # of a text on screen (a CSV export gets it whole)


def review_command(
    mode: Annotated[Optional[str], typer.Option("--mode", help="Only this failure mode (default: every mode).",
                                                show_default=False)] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="How many reports to list.")] = 50,
    sample: Annotated[int, typer.Option("--sample", min=1, help="How many of the newest reports to look at.")]
    = REVIEW_SAMPLE,
    model: Annotated[Optional[Path], typer.Option(help="A phone model retrained with `defectradar model train "
                                                  "--builtin` (default: the built-in one).")] = None,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Reports the model is least sure of, or where rules and model disagree: confirm or correct them
    with [bold]defectradar label[/], then retrain with [bold]model train --builtin --corrections[/]."""
    from defectradar.cli.text import _build_classifier
    from defectradar.review import select_for_review

    store = open_store(db)
    classifier = _build_classifier(store.settings, model_dir=model)
    # About a millisecond a report (rules and model both read each text): a spinner on a terminal.
    with working(f"reading the newest {sample:,} reports for doubt…", line=False):
        result = select_for_review(store, classifier, mode=mode, n=n, sample=sample)
    commands = [label_command(c.report_id, c.proposed_modes, db) for c in result.candidates]
    if json_:
        data = result.to_dict()
        for row, command in zip(data["candidates"], commands):
            row["command"] = command
        print_json(data)
        return
    if not result.candidates:
        what = f" for {mode}" if mode else ""
        out.print(f"nothing to review{escape(what)}: {result.scanned:,} reports without an analyst's correction "
                  f"looked at, {result.read:,} of them about phones")
        return
    table = Table(Column("report id", overflow="fold", min_width=12), "product", "modes now", "why",
                  Column("text", ratio=1), title=f"{len(result.candidates)} reports to review, of the "
                  f"{result.scanned:,} newest without a correction" + (f" (mode {escape(mode)})" if mode else ""))
    whole = exporting()
    for c in result.candidates:
        shown = c.text if whole or len(c.text) <= SHOWN_CHARS else c.text[:SHOWN_CHARS] + "…"
        table.add_row(Text(c.report_id), Text(c.product_id or "-"), Text(", ".join(c.modes) or "none"),
                      Text(c.why), Text(shown))
    out.print(table)
    out.print("confirm or correct one (edit the modes; '' for not a defect):")
    out.print(Text(commands[0]))


def label_command(report_id: str, modes: list[str], db: Path | None) -> str:
    """The ``defectradar label`` command that records ``modes`` for one report, ready to paste."""
    parts = ["defectradar", "label", report_id, "--failure-modes", ",".join(modes)]
    if db is not None:
        parts += ["--db", str(db)]
    return shlex.join(parts)
