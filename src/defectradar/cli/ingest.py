"""``defectradar ingest``: load complaint, service and sales files into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import (
    DbOption,
    JsonOption,
    RichProgress,
    err,
    open_store,
    out,
    print_json,
)
from defectradar.domain.catalog import load_catalog
from defectradar.errors import DefectRadarError, InputError
from defectradar.ingest.fields import parse_mapping
from defectradar.ingest.formats import FORMATS
from defectradar.ingest.pipeline import IngestResult, ingest_file
from defectradar.ingest.value_maps import parse_value_maps

EXIT_QUARANTINED = 3


def ingest(
    paths: Annotated[List[Path], typer.Argument(help="Files to ingest.", show_default=False)],
    type_: Annotated[str, typer.Option("--type", "-t", help="Format: auto (detect), csv, jsonl, parquet, "
                                       "xlsx, weibo, nhtsa, nhtsa-recalls, announcements, "
                                       "service-records, sales.")] = "auto",
    map_: Annotated[Optional[List[str]], typer.Option("--map", "-m", help="field=column, for columns "
                                                      "with other names (repeatable).")] = None,
    source: Annotated[Optional[str], typer.Option(help="Source name stored with the rows (default: the format's).")] = None,
    tz: Annotated[Optional[str], typer.Option("--tz", help="Time zone of times written without one.")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="Text encoding (default: detected).")] = None,
    date_order: Annotated[Optional[str], typer.Option(help="How to read 03/04/2022: mdy or dmy.")] = None,
    catalog: Annotated[Optional[Path], typer.Option(help="Product catalog YAML (default: built-in).")] = None,
    taxonomy: Annotated[Optional[Path], typer.Option(help="Failure-mode taxonomy YAML (default: built-in).")] = None,
    model: Annotated[Optional[Path], typer.Option(help="Model folder from `defectradar model train` "
                                                  "(default: the built-in one).")] = None,
    classify: Annotated[bool, typer.Option(help="Read product, failure modes, repeats and data loss from the "
                                           "texts (--no-classify stores raw rows; `reclassify` labels them later).")] = True,
    value_map: Annotated[Optional[List[str]], typer.Option(
        "--value-map", help='field:value=target,... for values in other words, e.g. action:Fixed=repair,'
        '"End of life"=refused (repeatable).')] = None,
    value_map_file: Annotated[Optional[List[Path]], typer.Option(
        "--value-map-file", help="YAML file of value maps: {field: {value: target}} (repeatable).")] = None,
    sheet: Annotated[Optional[str], typer.Option(help="Sheet of an Excel workbook to read (default: the first).")] = None,
    force: Annotated[bool, typer.Option(help="Re-read files already ingested with the same options; ingest a "
                                        "file ingested before with other options beside it.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Undo the earlier runs of the same file (same content "
                                          "and source), then ingest it.")] = False,
    strict: Annotated[bool, typer.Option(help=f"Exit {EXIT_QUARANTINED} when any row was quarantined.")] = False,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Ingest files into the store: idempotent, crash-safe, bad rows quarantined, personal data tokenised."""
    if type_ != "auto" and type_ not in FORMATS:
        raise InputError(f"unknown --type {type_!r}; choose auto or one of {', '.join(sorted(FORMATS))}")
    mapping = parse_mapping(map_)
    value_maps = parse_value_maps(value_map, value_map_file)
    store = open_store(db)
    the_catalog = load_catalog(catalog or store.settings.catalog) if (catalog or store.settings.catalog) else None
    classifier = False
    if classify:
        from defectradar.text.loading import build_classifier  # scikit-learn loads only when needed

        classifier = build_classifier(store.settings, catalog=the_catalog, taxonomy=taxonomy, model_dir=model)
    results: list[IngestResult] = []
    failures = 0
    for path in paths:
        try:
            result = ingest_file(store, path, source_type=type_, mapping=mapping, source=source, tz=tz,
                                 encoding=encoding, date_order=date_order, force=force,
                                 catalog=the_catalog, classifier=classifier, progress=RichProgress("bytes"),
                                 value_maps=value_maps, sheet=sheet, replace_earlier=replace)
        except InputError as exc:
            failures += 1
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            results.append(IngestResult(str(path), None, None, None, "failed", message=str(exc)))
            continue
        except DefectRadarError:
            raise
        results.append(result)
        if not json_:
            _report(result)
    if json_:
        print_json([r.to_dict() for r in results])
    else:
        _summary(results, store.path)
    if failures:
        raise typer.Exit(2)
    if strict and any(r.rows_quarantined for r in results):
        raise typer.Exit(EXIT_QUARANTINED)


def _report(result: IngestResult) -> None:
    name = escape(result.path)
    if result.status == "empty":
        err.print(f"[yellow]{name}[/]: {result.message}")
    elif result.status == "skipped":
        err.print(f"[dim]{name}[/]: {escape(result.message or '')}")
    else:
        for old in result.replaced:
            removed = ", ".join(f"{n:,} {table}" for table, n in old["removed"].items() if n) or "no rows"
            err.print(f"[yellow]{name}[/]: undid earlier run {old['run_id'][:8]} of this file ({removed} removed)")
        merged = f", {result.rows_merged:,} merged into their complaint's report" if result.rows_merged else ""
        err.print(f"[green]{name}[/] ({result.source_type}): {result.rows_read:,} rows read, "
                  f"{result.rows_inserted:,} new, {result.rows_duplicate:,} already stored, "
                  f"{result.rows_quarantined:,} quarantined{merged} in {result.seconds:.1f} s")
        if result.originals_added:
            err.print(f"  {result.originals_added:,} original posts stored from inside reposts (reposts count "
                      "as their engagement, not as complaints)")
        if result.message:
            err.print(f"[yellow]warning:[/] {escape(result.message)}")


def _summary(results: list[IngestResult], db: Path) -> None:
    if len(results) > 1:
        table = Table("file", "type", "status", "read", "new", "duplicate", "quarantined", "merged", title="ingest")
        for r in results:
            table.add_row(escape(Path(r.path).name), r.source_type or "-", r.status, f"{r.rows_read:,}",
                          f"{r.rows_inserted:,}", f"{r.rows_duplicate:,}", f"{r.rows_quarantined:,}",
                          f"{r.rows_merged:,}")
        out.print(table)
    quarantined = [r for r in results if r.rows_quarantined]
    if quarantined:
        total = sum(r.rows_quarantined for r in quarantined)
        runs = " ".join(f"--run {r.run_id[:8]}" for r in quarantined[:1])
        out.print(f"{total:,} rows quarantined: see [bold]defectradar quarantine list {runs} --db {escape(str(db))}[/]")
