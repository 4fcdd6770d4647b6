"""``classify``, ``model train|eval``, ``label`` and ``reclassify``: reading complaints."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from defectradar.cli.common import (
    DbOption,
    JsonOption,
    RichProgress,
    new_app,
    open_store,
    out,
    print_json,
    settings_for,
    warn,
    working,
)
from defectradar.errors import InputError

CatalogOption = Annotated[Optional[Path], typer.Option(help="Product catalog YAML (default: built-in).")]
TaxonomyOption = Annotated[Optional[Path], typer.Option(help="Failure-mode taxonomy YAML (default: built-in).")]
ModelOption = Annotated[Optional[Path], typer.Option(help="Model folder from `defectradar model train` "
                                                     "(default: the built-in phone classifier).")]
TextColOption = Annotated[str, typer.Option("--text-col", help="Column holding the text.")]
LabelColOption = Annotated[str, typer.Option("--label-col", help="Column holding the label(s).")]
SepOption = Annotated[str, typer.Option("--sep", help="Separator between several labels in one cell.")]


def _read_texts(path: Path, text_col: str, id_col: str | None = None) -> tuple[list[str], list | None]:
    """The texts of a file, and the ``id_col`` value of each row (None without ``--id-col``)."""
    from defectradar.text.evaluate import read_labelled

    texts, _, rows = read_labelled(path, text_col=text_col, label_col=text_col)
    if id_col is None:
        return texts, None
    if id_col not in rows[0]:
        raise InputError(f"{path}: no column {id_col!r} (columns: {', '.join(sorted(map(str, rows[0])))}); "
                         "choose the id column with --id-col")
    return texts, [None if row.get(id_col) in (None, "") else row.get(id_col) for row in rows]


def _build_classifier(settings, *, catalog=None, taxonomy=None, model_dir=None):
    """The classifier, saying on stderr what it loads or trains: training the built-in model on
    first use takes seconds, so that is always said (a spinner on a terminal, else one line);
    loading is only shown as a spinner."""
    from defectradar.domain.catalog import Catalog, load_catalog
    from defectradar.text.loading import build_classifier, what_loads
    from defectradar.text.taxonomy import Taxonomy, load_taxonomy

    # The user's files first: a bad catalog or taxonomy is one error line, not one after "training…".
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog or settings.catalog)
    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy or settings.taxonomy)
    message, slow = what_loads(settings, model_dir)
    with working(message, line=slow):
        return build_classifier(settings, catalog=catalog, taxonomy=taxonomy, model_dir=model_dir)


def classify(
    file: Annotated[Optional[Path], typer.Argument(help="CSV or JSON-lines file with a text column.",
                                                   show_default=False)] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="One text to classify.")] = None,
    text_col: TextColOption = "text",
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Column with each row's id, carried to the "
                                                  "output (FILE only).", show_default=False)] = None,
    model: ModelOption = None,
    catalog: CatalogOption = None,
    taxonomy: TaxonomyOption = None,
    json_: JsonOption = False,
) -> None:
    """Read product, failure modes, severity, repeat repairs and data loss from complaint texts."""
    if (text is None) == (file is None):
        raise InputError("give either --text TEXT or a FILE")
    if id_col is not None and file is None:
        raise InputError("--id-col names a column of a FILE; with --text there is no row to take an id from")
    texts, ids = ([text], None) if text is not None else _read_texts(file, text_col, id_col)
    classifier = _build_classifier(settings_for(None), catalog=catalog, taxonomy=taxonomy, model_dir=model)
    results = classifier.classify(texts)
    rows = [r.to_dict() if ids is None else {"id": row_id, **r.to_dict()} for r, row_id in zip(results, ids or results)]
    if json_:
        print_json(rows[0] if text is not None else rows)
        return
    # The id is how a row is found again: folded onto more lines when long, never cut short with "…".
    id_column = [Column("id", overflow="fold", min_width=min(24, max(len(str(i)) for i in ids + ["-"])))] \
        if ids is not None else []
    table = Table(*id_column, "text", "product", "failure modes", "severity", "repairs", "data lost", "lang")
    for r, row in zip(results, rows):
        products = ", ".join(f"{p.product_id} ({p.confidence:.2f})" for p in r.products) or "-"
        modes = ", ".join(f"{m.mode} ({m.confidence:.2f}, {m.source})" for m in r.failure_modes) or "none"
        table.add_row(*([Text("-" if row["id"] is None else str(row["id"]))] if ids is not None else []),
                      Text(r.text[:60]), Text(products), Text(modes), r.severity or "-",
                      "-" if r.repeat_repairs is None else str(r.repeat_repairs), "yes" if r.data_loss else "no",
                      r.lang or "-")
    out.print(table)


model_app = new_app("Train and evaluate text classifiers (the built-in one or your own taxonomy).")


@model_app.command("train")
def model_train(
    data: Annotated[Optional[Path], typer.Argument(help="Labelled CSV or JSON lines.", show_default=False)] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the model to: new, empty, or a model "
                                          "folder to replace (a folder holding other files is refused).")] = ...,
    text_col: TextColOption = "text",
    label_col: LabelColOption = "label",
    sep: SepOption = "|",
    builtin: Annotated[bool, typer.Option("--builtin", help="Add the built-in phone training data (and train "
                                          "with the built-in model's settings).")] = False,
    corrections: Annotated[bool, typer.Option("--corrections", help="Add analysts' corrections from the store "
                                              "(--db): each corrected report's text with its corrected "
                                              "failure modes.")] = False,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Train a classifier; its labels are the classes found in the data (any taxonomy).

    [bold]--builtin --corrections[/] retrains the phone model with what analysts corrected; use it
    with [bold]--model DIR[/] on classify, ingest, reclassify or review, in place of the built-in one."""
    from defectradar.labelling import corrected_examples
    from defectradar.text.builtin import model_settings, training_examples
    from defectradar.text.evaluate import read_labelled
    from defectradar.text.model import TextModel, check_model_folder
    check_model_folder(out_dir)          # refuse before training, not after
    store = open_store(db) if corrections else None     # a bad --db is refused before training too
    texts: list[str] = []
    labels: list[list[str]] = []
    if data is not None:
        texts, labels, _ = read_labelled(data, text_col, label_col, sep)
    if builtin:
        more_texts, more_labels = training_examples()
        texts, labels = texts + more_texts, labels + more_labels
    if store is not None:
        more_texts, more_labels = corrected_examples(store)
        if not more_texts:
            warn(f"{store.path} holds no analyst corrections of failure modes; record some with "
                 "`defectradar label ID --failure-modes ...` (see `defectradar review`)")
        texts, labels = texts + more_texts, labels + more_labels
    if not texts:
        raise InputError("no training data: give DATA, --builtin or --corrections")
    model = (model_settings() if builtin else TextModel()).fit(texts, labels)
    model.save(out_dir)
    summary = {**model.to_dict(), "out": str(out_dir)}
    if json_:
        print_json(summary)
    else:
        kind = "multi-label" if model.multilabel_ else "multi-class"
        out.print(f"trained a {kind} model on {model.examples_:,} examples, {len(model.classes_)} labels -> "
                  f"{escape(str(out_dir))}")


@model_app.command("eval")
def model_eval(
    data: Annotated[Path, typer.Argument(help="Labelled CSV or JSON lines.", show_default=False)],
    model: ModelOption = None,
    text_col: TextColOption = "text",
    label_col: LabelColOption = "label",
    sep: SepOption = "|",
    json_: JsonOption = False,
) -> None:
    """Per-class precision, recall, F1 and support, with micro and macro averages."""
    from defectradar.text.evaluate import read_labelled, score
    texts, truth, _ = read_labelled(data, text_col, label_col, sep)
    classifier = _build_classifier(settings_for(None), model_dir=model)
    predicted = [r.modes for r in classifier.classify(texts)]
    classes = list(classifier.custom_model.classes_) if classifier.custom_model is not None else list(classifier.taxonomy.ids)
    classes = sorted(set(classes) | {label for row in truth for label in row})
    evaluation = score(truth, predicted, classes)
    if json_:
        print_json(evaluation.to_dict())
        return
    table = Table("label", "precision", "recall", "F1", "support", title=f"{escape(str(data))}: {evaluation.examples:,} texts")
    for row in evaluation.classes:
        # A label never predicted has no precision; one without test examples has no recall or F1.
        table.add_row(Text(row.label), f"{row.precision:.3f}" if row.predicted else "-",
                      *((f"{row.recall:.3f}", f"{row.f1:.3f}") if row.support else ("-", "-")), f"{row.support:,}")
    unsupported = len(evaluation.labels_without_support)
    scored = len(evaluation.classes) - unsupported
    for name, avg in (("micro avg", evaluation.micro), (f"macro avg ({scored} labels)", evaluation.macro)):
        table.add_row(f"[bold]{name}[/]", *(_score(avg[k]) for k in ("precision", "recall", "f1")), "")
    out.print(table)
    if unsupported:
        out.print(Text(f"{unsupported} of {len(evaluation.classes)} labels have no test example "
                       f"({', '.join(evaluation.labels_without_support)}); the macro average is over the other "
                       f"{scored}"))
    if evaluation.no_label["support"]:
        out.print(f"texts with no label: {evaluation.no_label['support']:,}, given none: "
                  f"{evaluation.no_label['accuracy']:.3f}; exact label sets: {evaluation.exact:.3f}")


def _score(value: float) -> str:
    return "-" if value != value else f"{value:.3f}"           # NaN: nothing to average


def label(
    report_id: Annotated[str, typer.Argument(help="The report's id (32 hex characters).", show_default=False)],
    failure_modes: Annotated[Optional[str], typer.Option("--failure-modes", help="Comma-separated modes; "
                                                         "'' for not a defect complaint.")] = None,
    product: Annotated[Optional[str], typer.Option("--product", help="Catalog product id, or none.")] = None,
    severity: Annotated[Optional[str], typer.Option("--severity", help="safety or none.")] = None,
    analyst: Annotated[Optional[str], typer.Option(help="Who corrects (default: your login name).")] = None,
    reason: Annotated[Optional[str], typer.Option(help="Why, for the record.")] = None,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Record an analyst's correction; it overrides the machine labels and feeds retraining."""
    from defectradar.labelling import record_correction
    from defectradar.text.loading import build_classifier
    store = open_store(db)
    modes = None if failure_modes is None else [m.strip() for m in failure_modes.split(",") if m.strip()]
    classifier = build_classifier(store.settings, learned=False)
    correction = record_correction(store, report_id, analyst=analyst or getpass.getuser(), failure_modes=modes,
                                   product_id=product, severity=severity, reason=reason, classifier=classifier)
    if json_:
        print_json(correction.to_dict())
    else:
        changes = ", ".join(f"{k}={v}" for k, v in correction.fields.items())
        out.print(f"recorded for {escape(report_id)}: {escape(changes)} (by {escape(correction.analyst)})")


def reclassify_command(
    model: ModelOption = None,
    catalog: CatalogOption = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Label every stored report again after the catalog, taxonomy or model changed."""
    from defectradar.labelling import reclassify
    store = open_store(db)
    classifier = _build_classifier(store.settings, catalog=catalog, taxonomy=taxonomy, model_dir=model)
    result = reclassify(store, classifier, progress=RichProgress("steps"))
    if json_:
        print_json(result.to_dict())
    else:
        out.print(f"{result.reports:,} reports relabelled with {escape(result.classifier)}: {result.changed:,} "
                  f"changed; {result.corrected:,} with analyst corrections keep them")
