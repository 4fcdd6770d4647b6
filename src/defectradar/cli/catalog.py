"""``defectradar catalog build``: draft a product catalog from a file's brand and model columns."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from defectradar.cli.common import JsonOption, err, new_app, print_json
from defectradar.errors import InputError

catalog_app = new_app("Product catalogs: draft one from your own data (phones.yaml's format, for --catalog).")


@catalog_app.command("build")
def catalog_build(
    file: Annotated[Path, typer.Argument(help="CSV, JSON lines or Parquet file with brand and model columns.",
                                         show_default=False)],
    brand_col: Annotated[str, typer.Option("--brand-col", help="Column holding the brand (make).")] = ...,
    model_col: Annotated[str, typer.Option("--model-col", help="Column holding the model.")] = ...,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Write the catalog YAML here "
                                                     "(default: print it).", dir_okay=False)] = None,
    category: Annotated[Optional[str], typer.Option(help="The catalog's category: phone, vehicle, appliance ... "
                                                    "(default: guessed from the brands).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
    json_: JsonOption = False,
) -> None:
    """Draft a catalog from the distinct brand x model values of a file, with counts, ids and aliases."""
    from defectradar.ingest.catalog_draft import check_draft, draft_catalog, read_brand_model

    if out_path is not None and out_path.exists() and not force:
        raise InputError(f"{out_path} exists; choose another --out or add --force to replace it")
    draft = draft_catalog(read_brand_model(file, brand_col, model_col), category)
    if not draft.products:
        raise InputError(f"{file}: no row names a model in {model_col!r}; check --model-col")
    text = draft.to_yaml(file.name)
    check_draft(text, "the drafted catalog")     # what --catalog will read
    if out_path is not None:
        _write(out_path, text)
    if json_:
        print_json({**draft.to_dict(), "out": None if out_path is None else str(out_path)})
    elif out_path is None:
        sys.stdout.write(text)
    if out_path is not None and not json_:
        err.print(f"{len(draft.products):,} products from {draft.rows:,} rows ({draft.rows_without_model:,} naming "
                  f"no model) -> {escape(str(out_path))}; use it with --catalog", highlight=False)


def _write(path: Path, text: str) -> None:
    """Written beside and renamed into place: a failed write leaves no half catalog."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
