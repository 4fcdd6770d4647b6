"""Scoring a classifier against labelled data: per-class and averaged precision, recall, F1.

Metrics come from scikit-learn (multi-label indicator matrices).  Besides the per-class table,
``no_label`` reports how often texts that should get no label (non-defect complaints) got none,
and ``exact`` the share of texts whose whole label set was right.

The **macro** average is the unweighted mean over the labels that have test examples (support
> 0): a label the test data never holds has no recall to measure, and averaging its 0 in would
only say how many labels the model knows (16 phone modes scored on a file of 3 gave a macro F1
of 0.12 beside a micro F1 of 0.86).  Those labels are listed in ``labels_without_support``;
their wrong predictions still count, in the micro average and in their own row.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from sklearn.metrics import precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from defectradar.core.numbers import json_ready
from defectradar.errors import InputError


@dataclass
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int = 0


@dataclass
class Evaluation:
    classes: list[ClassScore]
    micro: dict[str, float]
    macro: dict[str, float]
    examples: int
    exact: float
    no_label: dict[str, float] = field(default_factory=dict)
    labels_without_support: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-safe: an undefined score (NaN, e.g. no-label accuracy without unlabelled texts) is None."""
        return json_ready(asdict(self))


def score(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
          labels: Sequence[str] | None = None) -> Evaluation:
    """Compare label sets; ``labels`` fixes the classes reported (default: all seen in truth).

    The macro average is taken over the classes with support (see the module notes); a class
    without support still has its row.
    """
    if len(truth) != len(predicted):
        raise InputError(f"{len(truth)} true label sets but {len(predicted)} predictions")
    classes = sorted(labels or {label for row in truth for label in row})
    if not classes:
        raise InputError("no labels to score: no text has a label and no label set was given")
    binarizer = MultiLabelBinarizer(classes=classes)
    # Predicted labels outside the classes are ignored here (sklearn warns); count them as errors
    # through `exact` instead.
    y_true = binarizer.fit_transform([[x for x in row if x in classes] for row in truth])
    y_pred = binarizer.transform([[x for x in row if x in classes] for row in predicted])
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    predicted_counts = y_pred.sum(axis=0)
    per_class = [ClassScore(c, float(p), float(r), float(f), int(s), int(n))
                 for c, p, r, f, s, n in zip(classes, precision, recall, f1, support, predicted_counts)]
    supported = [i for i, s in enumerate(support) if s > 0]
    averages = {}
    for average, columns in (("micro", None), ("macro", supported)):
        if columns == []:                # no class has a test example: nothing to average
            averages[average] = {"precision": float("nan"), "recall": float("nan"), "f1": float("nan")}
            continue
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, labels=columns,
                                                     zero_division=0)
        averages[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    exact = sum(set(t) == set(p) for t, p in zip(truth, predicted)) / max(len(truth), 1)
    empty = [i for i, row in enumerate(truth) if not row]
    no_label = {"support": len(empty),
                "accuracy": (sum(1 for i in empty if not predicted[i]) / len(empty)) if empty else float("nan")}
    return Evaluation(per_class, averages["micro"], averages["macro"], len(truth), exact, no_label,
                      [c for c, s in zip(classes, support) if s == 0])


def read_labelled(path: str | Path, text_col: str = "text", label_col: str = "label",
                  sep: str = "|") -> tuple[list[str], list[list[str]], list[dict]]:
    """Texts, label lists and the raw rows of a CSV or JSON-lines file.

    The label column holds one label, several joined by ``sep``, a JSON list, or nothing.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    rows: list[dict] = []
    try:
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
        else:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if not rows:
        raise InputError(f"{path}: no rows")
    columns = set(rows[0])
    for needed, flag in ((text_col, "--text-col"), (label_col, "--label-col")):
        if needed not in columns:
            raise InputError(f"{path}: no column {needed!r} (columns: {', '.join(sorted(columns))}); choose one with {flag}")
    texts, labels = [], []
    for number, row in enumerate(rows, 1):
        text = row.get(text_col)
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{path}: row {number} has no text in {text_col!r}")
        texts.append(text)
        labels.append(_labels(row.get(label_col), sep))
    return texts, labels, rows


def _labels(value, sep: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v).strip() for v in json.loads(text) if str(v).strip()]
        except json.JSONDecodeError:
            pass
    return [part.strip() for part in text.split(sep) if part.strip()] if text else []
