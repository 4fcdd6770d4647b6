"""``classify``, ``model train|eval``, ``label`` and ``reclassify``: reading complaints."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import (
    DbOption,
    JsonOption,
    RichProgress,
    new_app,
    open_store,
    out,
    print_json,
    settings_for,
)
from defectradar.errors import InputError

CatalogOption = Annotated[Optional[Path], typer.Option(help="Product catalog YAML (default: built-in).")]
TaxonomyOption = Annotated[Optional[Path], typer.Option(help="Failure-mode taxonomy YAML (default: built-in).")]
ModelOption = Annotated[Optional[Path], typer.Option(help="Model folder from `defectradar model train` "
                                                     "(default: the built-in phone classifier).")]
TextColOption = Annotated[str, typer.Option("--text-col", help="Column holding the text.")]
LabelColOption = Annotated[str, typer.Option("--label-col", help="Column holding the label(s).")]
SepOption = Annotated[str, typer.Option("--sep", help="Separator between several labels in one cell.")]


def _read_texts(path: Path, text_col: str) -> list[str]:
    from defectradar.text.evaluate import read_labelled

    texts, _, _ = read_labelled(path, text_col=text_col, label_col=text_col)
    return texts


def classify(
    file: Annotated[Optional[Path], typer.Argument(help="CSV or JSON-lines file with a text column.",
                                                   show_default=False)] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="One text to classify.")] = None,
    text_col: TextColOption = "text",
    model: ModelOption = None,
    catalog: CatalogOption = None,
    taxonomy: TaxonomyOption = None,
    json_: JsonOption = False,
) -> None:
    """Read product, failure modes, severity, repeat repairs and data loss from complaint texts."""
    from defectradar.text.loading import build_classifier
    if (text is None) == (file is None):
        raise InputError("give either --text TEXT or a FILE")
    texts = [text] if text is not None else _read_texts(file, text_col)
    classifier = build_classifier(settings_for(None), catalog=catalog, taxonomy=taxonomy, model_dir=model)
    results = classifier.classify(texts)
    if json_:
        print_json(results[0].to_dict() if text is not None else [r.to_dict() for r in results])
        return
    table = Table("text", "product", "failure modes", "severity", "repairs", "data lost", "lang")
    for r in results:
        products = ", ".join(f"{p.product_id} ({p.confidence:.2f})" for p in r.products) or "-"
        modes = ", ".join(f"{m.mode} ({m.confidence:.2f}, {m.source})" for m in r.failure_modes) or "none"
        table.add_row(escape(r.text[:60]), escape(products), modes, r.severity or "-",
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
    builtin: Annotated[bool, typer.Option("--builtin", help="Add the built-in phone training data.")] = False,
    corrections: Annotated[bool, typer.Option("--corrections", help="Add analysts' corrections from the store.")] = False,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Train a classifier; its labels are the classes found in the data (any taxonomy)."""
    from defectradar.labelling import corrected_examples
    from defectradar.text.builtin import training_examples
    from defectradar.text.evaluate import read_labelled
    from defectradar.text.model import TextModel, check_model_folder
    check_model_folder(out_dir)          # refuse before training, not after
    texts: list[str] = []
    labels: list[list[str]] = []
    if data is not None:
        texts, labels, _ = read_labelled(data, text_col, label_col, sep)
    if builtin:
        more_texts, more_labels = training_examples()
        texts, labels = texts + more_texts, labels + more_labels
    if corrections:
        more_texts, more_labels = corrected_examples(open_store(db))
        texts, labels = texts + more_texts, labels + more_labels
    if not texts:
        raise InputError("no training data: give DATA, --builtin or --corrections")
    model = TextModel().fit(texts, labels)
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
    from defectradar.text.loading import build_classifier
    texts, truth, _ = read_labelled(data, text_col, label_col, sep)
    classifier = build_classifier(settings_for(None), model_dir=model)
    predicted = [r.modes for r in classifier.classify(texts)]
    classes = list(classifier.custom_model.classes_) if classifier.custom_model is not None else list(classifier.taxonomy.ids)
    classes = sorted(set(classes) | {label for row in truth for label in row})
    evaluation = score(truth, predicted, classes)
    if json_:
        print_json(evaluation.to_dict())
        return
    table = Table("label", "precision", "recall", "F1", "support", title=f"{escape(str(data))}: {evaluation.examples:,} texts")
    for row in evaluation.classes:
        table.add_row(row.label, f"{row.precision:.3f}", f"{row.recall:.3f}", f"{row.f1:.3f}", f"{row.support:,}")
    for name, avg in (("micro avg", evaluation.micro), ("macro avg", evaluation.macro)):
        table.add_row(f"[bold]{name}[/]", f"{avg['precision']:.3f}", f"{avg['recall']:.3f}", f"{avg['f1']:.3f}", "")
    out.print(table)
    if evaluation.no_label["support"]:
        out.print(f"texts with no label: {evaluation.no_label['support']:,}, given none: "
                  f"{evaluation.no_label['accuracy']:.3f}; exact label sets: {evaluation.exact:.3f}")


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
        out.print(f"recorded for {report_id}: {escape(changes)} (by {escape(correction.analyst)})")


def reclassify_command(
    model: ModelOption = None,
    catalog: CatalogOption = None,
    taxonomy: TaxonomyOption = None,
    db: DbOption = None,
    json_: JsonOption = False,
) -> None:
    """Label every stored report again after the catalog, taxonomy or model changed."""
    from defectradar.labelling import reclassify
    from defectradar.text.loading import build_classifier
    store = open_store(db)
    classifier = build_classifier(store.settings, catalog=catalog, taxonomy=taxonomy, model_dir=model)
    result = reclassify(store, classifier, progress=RichProgress("steps"))
    if json_:
        print_json(result.to_dict())
    else:
        out.print(f"{result.reports:,} reports relabelled with {escape(result.classifier)}: {result.changed:,} "
                  f"changed; {result.corrected:,} with analyst corrections keep them")
