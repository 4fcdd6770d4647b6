"""Does the classifier carry to texts no one here wrote?  Leave-one-source-out on real data.

Usage::

    python benchmarks/classify_generalise.py [--write-docs] [--words on|off|both]

The labelled real texts are ``data/labelled/*.jsonl`` (labels only; each text is read from
``../shared/data`` by source and row, its SHA-1 checked).  Each source (a file of one platform)
is left out in turn: the learned model is trained on the built-in training data plus the
labelled texts of every *other* source and scored on the one left out; nothing is tuned on the
left-out source.  Systems, all in the same run:

* ``keywords``: a bare keyword list, the naive baseline: a mode when any of its taxonomy
  component words appears (no problem word, no negation);
* ``rules``: the taxonomy's rules alone;
* ``shipped``: the classifier as shipped (rules + the built-in model, which never saw these);
* ``model``: the learned model alone, trained leave-one-source-out;
* ``combined``: rules + that model, combined as the classifier does.

Scores per left-out source: macro-F1 over the modes with support there, micro-F1, the share
of texts without a defect left clean, and per-mode recall.  The headline is the mean over
left-out sources.  ``unclear`` texts are left out.  Weak labels (Open Repair's own
``fault_type``, mapped as in docs/labelling.md) are scored separately on every row of both
Open Repair files.

``--words`` trains the learned model with word features on or off (default: as the built-in
model is set); ``both`` runs the whole evaluation once each way, on the same folds, and ends
with a side-by-side table of the ``model`` and ``combined`` means.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import platform
import re
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from defectradar.text.builtin import model_settings, training_examples
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.evaluate import score
from defectradar.text.normalise import normalise
from defectradar.text.taxonomy import builtin_taxonomy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from classify_realdata import shared  # noqa: E402 - the shared-data finder of the other benchmark

LABELLED = REPO / "data" / "labelled"
TEXT_COLUMNS = {"jd_phone_reviews.csv": "评论内容", "online_shopping_phone.csv": "review",
                "mobiles_mobifix.csv": "problem", "tablets_tabicat.csv": "problem"}
SOURCE_NAMES = {"jd_phone_reviews.csv": "JD reviews (zh)", "online_shopping_phone.csv": "shopping reviews (zh)",
                "mobiles_mobifix.csv": "Open Repair phones", "tablets_tabicat.csv": "Open Repair tablets"}
WEAK = {"Screen": "display", "Power/battery": "battery", "USB/charging port": "charging", "Charger": "charging",
        "Speaker/amplifier": "audio", "Microphone": "audio", "Headphone jack": "audio", "Camera": "camera",
        "Software update": "software", "Software issue": "software", "Stuck booting": "software",
        "On/Off button": "build", "Other buttons": "build", "Case": "build", "Sim card slot": "cellular",
        "Storage problem": "other_defect", "Liquid damage": "other_defect", "Internal damage": "other_defect",
        "Other": "other_defect"}
SYSTEMS = ("keywords", "rules", "shipped", "model", "combined")
console = Console()


def load_labelled() -> pd.DataFrame:
    """Every labelled row with its text read from ../shared/data (a changed row is an error)."""
    records = [json.loads(line) for path in sorted(LABELLED.glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    frame = pd.DataFrame(records)
    texts = []
    files: dict[str, pd.DataFrame] = {}
    for source, row, sha in zip(frame["source"], frame["row"], frame["sha"]):
        folder, name = source.split("/", 1)
        if source not in files:
            files[source] = pd.read_csv(shared(folder) / name, dtype=str, keep_default_na=False)
        text = files[source].iloc[int(row)][TEXT_COLUMNS[name]]
        if hashlib.sha1(text.encode("utf-8")).hexdigest()[:12] != sha:
            raise SystemExit(f"{source} row {row}: the text is not the one labelled (sha {sha}); "
                             "the shared file changed: relabel or fix the row numbers")
        texts.append(text)
    frame["text"] = texts
    frame["file"] = frame["source"].str.split("/").str[-1]
    frame["unclear"] = frame.get("unclear", False).fillna(False).astype(bool)
    frame["truth"] = [sorted(modes) for modes in frame["modes"]]
    return frame[~frame["unclear"]].reset_index(drop=True)


class Keywords:
    """The naive baseline: any component word of a mode, nothing else."""

    def __init__(self):
        taxonomy = builtin_taxonomy()
        self.patterns = {m.id: re.compile("|".join(p for words in m.components.values() for p in words))
                         for m in taxonomy.modes if any(m.components.values())}

    def predict(self, texts: list[str]) -> list[list[str]]:
        return [[mode for mode, pattern in self.patterns.items() if pattern.search(normalise(t).match)]
                for t in texts]


def modes_of(classifier: ComplaintClassifier, texts: list[str]) -> list[list[str]]:
    return [c.modes for c in classifier.classify(texts)]


def model_alone(model, texts: list[str]) -> list[list[str]]:
    return [[mode for mode, _ in row] for row in model.predict(texts)]


def evaluate(frame: pd.DataFrame, base_texts, base_labels, shipped: ComplaintClassifier,
             words: bool | None = None) -> dict:
    results: dict[str, dict] = {}
    keywords, rules = Keywords(), ComplaintClassifier(model=None)
    sources = sorted(frame["file"].unique())
    for left_out in sources:
        test, train = frame[frame["file"] == left_out], frame[frame["file"] != left_out]
        console.print(f"leaving out {SOURCE_NAMES[left_out]}: training on {len(base_texts) + len(train):,} texts, "
                      f"scoring {len(test):,}")
        settings = model_settings() if words is None else dataclasses.replace(model_settings(), words=words)
        model = settings.fit(list(base_texts) + list(train["text"]),
                                     list(base_labels) + list(train["truth"]))
        texts, truth = list(test["text"]), list(test["truth"])
        combined = ComplaintClassifier(model=model).classify(texts)
        predictions = {"keywords": keywords.predict(texts), "rules": modes_of(rules, texts),
                       "shipped": modes_of(shipped, texts), "model": model_alone(model, texts),
                       "combined": [c.modes for c in combined]}
        results[left_out] = {name: summarise(truth, predicted) for name, predicted in predictions.items()}
        results[left_out]["kind"] = kind_agreement(list(test["modes"]), combined)
        results[left_out]["texts"] = len(test)
        results[left_out]["clean_support"] = sum(1 for t in truth if not t)
    return results


def kind_agreement(true_modes: list[dict], classified) -> tuple[float | None, int]:
    """Of the modes both labelled and found, the share given the labelled kind."""
    pairs = [(kind, label.kind) for modes, c in zip(true_modes, classified)
             for label in c.failure_modes for mode, kind in modes.items() if mode == label.mode]
    return (sum(a == b for a, b in pairs) / len(pairs) if pairs else None), len(pairs)


def summarise(truth, predicted) -> dict:
    taxonomy_ids = builtin_taxonomy().ids
    evaluation = score(truth, predicted, labels=taxonomy_ids)
    recall = {c.label: (round(c.recall, 3), c.support) for c in evaluation.classes if c.support}
    return {"macro_f1": evaluation.macro["f1"], "micro_f1": evaluation.micro["f1"],
            "clean": evaluation.no_label.get("accuracy"), "recall": recall}


def weak_labels(shipped: ComplaintClassifier) -> dict:
    """Open Repair's own fault_type as a weak label: share of rows whose mode is among the
    predicted ones, for the keyword baseline and the shipped classifier (every row)."""
    keywords = Keywords()
    out = {}
    for name in ("mobiles_mobifix.csv", "tablets_tabicat.csv"):
        data = pd.read_csv(shared("openrepair-mobile-tablet-faults") / name, dtype=str, keep_default_na=False)
        data = data[data["fault_type"].isin(WEAK)]
        texts, wanted = list(data["problem"]), [WEAK[f] for f in data["fault_type"]]
        hits = {"keywords": keywords.predict(texts), "shipped": modes_of(shipped, texts)}
        out[name] = {system: sum(w in p for w, p in zip(wanted, predicted)) / len(wanted)
                     for system, predicted in hits.items()}
        out[name]["rows"] = len(wanted)
    return out


def report(results: dict, weak: dict, frame: pd.DataFrame) -> str:
    table = Table("left-out source", "texts", "no defect", *[f"{s} macro-F1" for s in SYSTEMS],
                  "combined clean", title="Leave-one-source-out, macro-F1 over modes with support")
    lines = ["| left-out source | texts | without defect | " + " | ".join(SYSTEMS) + " | clean: keywords / shipped / "
             "combined |", "|---|---|---|" + "---|" * len(SYSTEMS) + "---|"]
    means = defaultdict(list)
    for source, row in results.items():
        cells = [f"{row[s]['macro_f1']:.2f}" for s in SYSTEMS]
        clean = " / ".join(f"{row[s]['clean']:.2f}" if row[s]["clean"] == row[s]["clean"] else "-"
                           for s in ("keywords", "shipped", "combined"))
        table.add_row(SOURCE_NAMES[source], str(row["texts"]), str(row["clean_support"]), *cells, clean)
        lines.append(f"| {SOURCE_NAMES[source]} | {row['texts']} | {row['clean_support']} | " + " | ".join(cells)
                     + f" | {clean} |")
        for s in SYSTEMS:
            means[s].append(row[s]["macro_f1"])
            means[f"{s}-clean"].append(row[s]["clean"])
    mean_cells = [f"**{sum(means[s]) / len(means[s]):.2f}**" for s in SYSTEMS]
    lines.append("| **mean over left-out sources** | | | " + " | ".join(mean_cells) + " | |")
    table.add_row("mean", "", "", *[c.strip("*") for c in mean_cells], "")
    console.print(table)
    kind_lines = ["", "Kind (failure or complaint) of the modes `combined` found that were labelled: " + "; ".join(
        f"{SOURCE_NAMES[source]} {row['kind'][0]:.0%} of {row['kind'][1]}" if row["kind"][0] is not None
        else f"{SOURCE_NAMES[source]} -" for source, row in results.items())]
    recall_lines = kind_lines + ["", "Per-mode recall of `combined` on each left-out source (recall, texts with "
                                 "the mode):", ""]
    for source, row in results.items():
        pairs = ", ".join(f"{mode} {r:.2f} ({n})" for mode, (r, n) in sorted(row["combined"]["recall"].items()))
        recall_lines.append(f"- {SOURCE_NAMES[source]}: {pairs}")
    weak_lines = ["", "Open Repair's own `fault_type` as weak labels (every row with a mapped type; share whose "
                  "mode is predicted): " + "; ".join(
                      f"{SOURCE_NAMES[n]} ({w['rows']} rows): keywords {w['keywords']:.0%}, shipped {w['shipped']:.0%}"
                      for n, w in weak.items())]
    labels = frame["labeller"].value_counts().sum()
    header = [f"Labelled real texts: {labels:,} (unclear ones left out), per source: " + ", ".join(
        f"{SOURCE_NAMES[f]} {n}" for f, n in frame["file"].value_counts().items()) + ".", ""]
    return "\n".join(header + lines + recall_lines + weak_lines)


def means(results: dict) -> dict[str, float]:
    """Mean over left-out sources of macro-F1 and clean rate, per system."""
    out = {}
    for system in SYSTEMS:
        f1 = [row[system]["macro_f1"] for row in results.values()]
        clean = [row[system]["clean"] for row in results.values() if row[system]["clean"] == row[system]["clean"]]
        out[system] = sum(f1) / len(f1)
        out[f"{system}-clean"] = sum(clean) / len(clean) if clean else float("nan")
    return out


def compare_words(runs: dict[bool, dict]) -> str:
    """Markdown: model and combined, words off and on, per left-out source and mean."""
    lines = ["| left-out source | model off | model on | combined off | combined on | clean off | clean on |",
             "|---|---|---|---|---|---|---|"]
    for source in runs[False]:
        off, on = runs[False][source], runs[True][source]
        lines.append(f"| {SOURCE_NAMES[source]} | {off['model']['macro_f1']:.3f} | {on['model']['macro_f1']:.3f} | "
                     f"{off['combined']['macro_f1']:.3f} | {on['combined']['macro_f1']:.3f} | "
                     f"{off['combined']['clean']:.3f} | {on['combined']['clean']:.3f} |")
    off, on = means(runs[False]), means(runs[True])
    lines.append(f"| **mean** | {off['model']:.3f} | {on['model']:.3f} | {off['combined']:.3f} | "
                 f"{on['combined']:.3f} | {off['combined-clean']:.3f} | {on['combined-clean']:.3f} |")
    return "\n".join(["", "Word features off / on (clean: `combined`'s share of texts without a defect left clean):",
                      ""] + lines)


def write_docs(body: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    title = "## Classifier generalisation, leave one source out (`python benchmarks/classify_generalise.py`)"
    section = (f"{title}, {date.today()}\n\nMachine: {platform.machine()}, Python {platform.python_version()}. "
               "Labels: `data/labelled/` (guide: docs/labelling.md). Each source is left out in turn: the model "
               "is trained on the built-in training data and the other sources' labels, scored on the one left "
               "out; `shipped` is the classifier as it ships (it saw none of these texts); `keywords` is the naive "
               "baseline (any taxonomy component word).\n\n" + body + "\n")
    text = path.read_text(encoding="utf-8")
    start = text.find(title)
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="replace the section in docs/benchmarks.md")
    parser.add_argument("--words", choices=("default", "on", "off", "both"), default="default",
                        help="word features in the learned model (default: as the built-in model is set)")
    args = parser.parse_args()
    frame = load_labelled()
    console.print(f"{len(frame):,} labelled texts from {frame['file'].nunique()} sources")
    from defectradar.config import load_settings
    from defectradar.text.builtin import builtin_model

    shipped = ComplaintClassifier(model=builtin_model(load_settings()))
    base_texts, base_labels = training_examples()
    if args.words == "both":
        runs = {flag: evaluate(frame, base_texts, base_labels, shipped, words=flag) for flag in (False, True)}
        weak = weak_labels(shipped)
        for flag, results in runs.items():
            print(f"\n### words {'on' if flag else 'off'}\n\n" + report(results, weak, frame))
        print(compare_words(runs))
        if args.write_docs:
            raise SystemExit("--write-docs writes one configuration; give --words default, on or off")
        return
    words = {"default": None, "on": True, "off": False}[args.words]
    results = evaluate(frame, base_texts, base_labels, shipped, words=words)
    body = report(results, weak_labels(shipped), frame)
    print(body)
    if args.write_docs:
        write_docs(body)


if __name__ == "__main__":
    main()
