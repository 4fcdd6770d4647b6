"""Accuracy of the built-in classifier on the held-out evaluation set (data/eval).

Usage::

    python benchmarks/classify_eval.py [--write-docs] [--json]

Reports failure-mode precision/recall/F1 (per mode, micro, macro), the share of non-defect
texts given no mode, product accuracy on texts that name one model, and the extraction of
repeat repairs, data loss and severity — for the combined classifier and, for comparison,
its rules alone and its learned model alone.  The evaluation set was written independently
of the rules, the training data and the simulator (see data/eval/README.md); it is never
used for training.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from defectradar.config import load_settings
from defectradar.text.builtin import builtin_model
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.evaluate import score

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "data" / "eval" / "phone_complaints_eval.jsonl"
TARGETS = {"product_accuracy": 0.97, "macro_f1": 0.90, "no_label": 0.95}


def load(path: Path = EVAL) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def product_scores(rows: list[dict], results, catalog) -> dict:
    """Accuracy on texts naming one model; ambiguous texts must not get a confident guess."""
    named = [(r, x) for r, x in zip(rows, results) if r.get("product") and not r.get("product_ambiguous")]
    unresolved = Counter(r["product"] for r, _ in named if catalog.resolve(r["product"]) is None)
    scored = [(r, x) for r, x in named if catalog.resolve(r["product"]) is not None]
    correct = sum(1 for r, x in scored if x.product_id == catalog.resolve(r["product"]))
    ambiguous = [x for r, x in zip(rows, results) if r.get("product_ambiguous")]
    confident_guess = sum(1 for x in ambiguous if x.products and x.products[0].confidence >= 0.6)
    no_product = [x for r, x in zip(rows, results) if not r.get("product") and not r.get("product_ambiguous")]
    spurious = sum(1 for x in no_product if x.products and x.products[0].confidence >= 0.6)
    return {"named": len(scored), "accuracy": correct / len(scored) if scored else float("nan"),
            "not_in_catalog": dict(unresolved), "ambiguous": len(ambiguous),
            "ambiguous_confident_guesses": confident_guess, "no_product": len(no_product),
            "no_product_confident_guesses": spurious}


def extraction_scores(rows: list[dict], results) -> dict:
    n = len(rows)
    return {
        "repeat_repairs": sum(r.get("repeat_repairs") == x.repeat_repairs for r, x in zip(rows, results)) / n,
        "repeat_repairs_stated_recall": _ratio([(r, x) for r, x in zip(rows, results) if r.get("repeat_repairs")],
                                               lambda r, x: r["repeat_repairs"] == x.repeat_repairs),
        "data_loss": sum(bool(r.get("data_loss")) == x.data_loss for r, x in zip(rows, results)) / n,
        "severity": sum((r.get("severity") == "safety") == (x.severity == "safety") for r, x in zip(rows, results)) / n,
        "language": sum(r.get("lang") == x.lang for r, x in zip(rows, results)) / n,
    }


def _ratio(pairs, ok) -> float:
    return sum(1 for r, x in pairs if ok(r, x)) / len(pairs) if pairs else float("nan")


def evaluate(rows: list[dict], classifier: ComplaintClassifier) -> dict:
    results = classifier.classify([r["text"] for r in rows])
    truth = [r["failure_modes"] for r in rows]
    modes = score(truth, [x.modes for x in results], classifier.taxonomy.ids)
    by_lang = {}
    for lang in ("zh", "en"):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        e = score([truth[i] for i in idx], [results[i].modes for i in idx], classifier.taxonomy.ids)
        by_lang[lang] = {"macro_f1": e.macro["f1"], "no_label": e.no_label["accuracy"], "texts": len(idx)}
    return {"modes": modes.to_dict(), "by_language": by_lang,
            "products": product_scores(rows, results, classifier.catalog),
            "extraction": extraction_scores(rows, results)}


def report(combined: dict, rules: dict, model: dict, rows: int) -> str:
    m = combined["modes"]
    p = combined["products"]
    x = combined["extraction"]
    lines = [
        f"## Complaint classifier on the evaluation set (`python benchmarks/classify_eval.py`), "
        f"{datetime.now(timezone.utc):%Y-%m-%d}",
        "",
        f"{rows:,} texts written independently of the rules, the training data and the simulator "
        "(`data/eval`, about half Chinese, half English; hard negatives, multi-fault posts, "
        "traditional characters, typos). Never used for training or for tuning the rules.",
        "",
        "| measure | combined | rules only | model only | target |",
        "|---|---:|---:|---:|---:|",
        f"| failure-mode macro-F1 | {m['macro']['f1']:.3f} | {rules['modes']['macro']['f1']:.3f} | "
        f"{model['modes']['macro']['f1']:.3f} | >= {TARGETS['macro_f1']} |",
        f"| failure-mode micro-F1 | {m['micro']['f1']:.3f} | {rules['modes']['micro']['f1']:.3f} | "
        f"{model['modes']['micro']['f1']:.3f} | |",
        f"| non-defect texts given no mode | {m['no_label']['accuracy']:.3f} | {rules['modes']['no_label']['accuracy']:.3f} | "
        f"{model['modes']['no_label']['accuracy']:.3f} | >= {TARGETS['no_label']} |",
        f"| exact label set | {m['exact']:.3f} | {rules['modes']['exact']:.3f} | {model['modes']['exact']:.3f} | |",
        f"| product accuracy (texts naming one model) | {p['accuracy']:.3f} | | | >= {TARGETS['product_accuracy']} |",
        "",
        f"Products: {p['named']:,} texts name a catalog model; ambiguous mentions {p['ambiguous']} "
        f"(confident guesses: {p['ambiguous_confident_guesses']}); texts naming no model {p['no_product']} "
        f"(confident spurious products: {p['no_product_confident_guesses']}); models named but not in the catalog: "
        f"{sum(p['not_in_catalog'].values())}.",
        f"Extraction accuracy: repeat repairs {x['repeat_repairs']:.3f} (recall where stated "
        f"{x['repeat_repairs_stated_recall']:.3f}), data loss {x['data_loss']:.3f}, severity {x['severity']:.3f}, "
        f"language {x['language']:.3f}. Macro-F1 by language: "
        + ", ".join(f"{k} {v['macro_f1']:.3f}" for k, v in combined["by_language"].items()) + ".",
        "",
        "| mode | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in m["classes"]:
        lines.append(f"| {c['label']} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = load()
    settings = load_settings()
    model = builtin_model(settings)
    combined = evaluate(rows, ComplaintClassifier(model=model))
    rules = evaluate(rows, ComplaintClassifier(model=None))
    model_only = evaluate(rows, ComplaintClassifier(model=model, model_threshold=0.5))
    # "model only": the model's own predictions, without rules
    results = ComplaintClassifier(model=None).classify([r["text"] for r in rows])
    predicted = [[c for c, _ in labels] for labels in model.predict([r["text"] for r in rows])]
    model_only["modes"] = score([r["failure_modes"] for r in rows], predicted,
                                ComplaintClassifier(model=None).taxonomy.ids).to_dict()
    del results
    if args.json:
        json.dump({"combined": combined, "rules": rules, "model": model_only}, sys.stdout, indent=2)
        return
    section = report(combined, rules, model_only, len(rows))
    print(section)
    if args.write_docs:
        from ingest import write_docs  # benchmarks/ is on the path when run as a script

        write_docs(section, marker="classify-eval")


if __name__ == "__main__":
    main()
