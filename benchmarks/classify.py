"""Classifier speed: texts per second on one core, and ingest throughput with understanding on.

Usage::

    python benchmarks/classify.py [--texts 20000] [--rows 200000] [--write-docs]

1. The built-in classifier (rules + learned model) on short posts, pinned to one CPU core
   (``sched_setaffinity``; BLAS threads set to 1). Target: >= 5,000 texts/s.
2. ``ingest`` of a generic complaints CSV with the classifier on, against the same file with
   ``classifier=False``, in fresh processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))

from ingest import machine, make_csv, write_docs  # noqa: E402

SPEED = """
import json, os, random, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from defectradar.config import load_settings
from defectradar.text.builtin import builtin_model
from defectradar.text.classifier import ComplaintClassifier
from defectradar.simulate.phrases.symptoms import SYMPTOMS_ZH, SYMPTOMS_EN, clause_modes
classifier = ComplaintClassifier(model=builtin_model(load_settings()))
rng = random.Random(3)
pool = []
for table in (SYMPTOMS_ZH, SYMPTOMS_EN):
    for phrases in table.values():
        pool.extend(clause_modes(p)[0] for p in phrases)
prefixes = ["小米11", "米11 Pro", "my Mi 11", "iPhone 12", "红米Note8", "", "华为P40", "Galaxy S21"]
texts = [f"{rng.choice(prefixes)} {rng.choice(pool)} {rng.choice(['', '，修了两次', ' again after the 2nd repair', '，数据全没了'])}"
         for _ in range(int(os.environ["N"]))]
classifier.classify(texts[:200])
started = time.perf_counter()
for start in range(0, len(texts), 2000):
    classifier.classify(texts[start:start + 2000])
seconds = time.perf_counter() - started
print(json.dumps({"texts": len(texts), "seconds": seconds, "avg_chars": sum(map(len, texts)) / len(texts)}))
"""

INGEST = """
import json, os, time
from defectradar.config import load_settings
from defectradar.store.connect import Store
from defectradar.ingest.pipeline import ingest_file
settings = load_settings(db=os.environ["BENCH_DB"])
classify = os.environ["CLASSIFY"] == "1"
started = time.perf_counter()
result = ingest_file(Store(settings.db, settings), os.environ["BENCH_CSV"], source_type="csv", classifier=classify)
print(json.dumps({"rows": result.rows_inserted, "seconds": time.perf_counter() - started}))
"""


def child(code: str, env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", **env})
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    speed = child(SPEED, {"N": str(args.texts)})
    csv_path = WORK / f"complaints_{args.rows}.csv"
    if not csv_path.exists():
        make_csv(csv_path, args.rows)
    env = {"BENCH_CSV": str(csv_path), "DEFECTRADAR_KEY_DIR": str(WORK / "keys")}
    runs = {}
    for flag in ("0", "1"):
        db = WORK / f"classify_{flag}.duckdb"
        for suffix in ("", ".wal", ".lock"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        runs[flag] = child(INGEST, {**env, "BENCH_DB": str(db), "CLASSIFY": flag})
    rate = speed["texts"] / speed["seconds"]
    section = "\n".join([
        f"## Classifier speed (`python benchmarks/classify.py`), {datetime.now(timezone.utc):%Y-%m-%d}",
        "",
        f"Machine: {machine()}.",
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| built-in classifier (rules + model), one core, short posts (~{speed['avg_chars']:.0f} chars) | "
        f"{rate:,.0f} texts/s | >= 5,000 |",
        f"| ingest, generic CSV, {args.rows:,} rows, classifier on | {runs['1']['rows'] / runs['1']['seconds']:,.0f} rows/s | |",
        f"| ingest, same file, `--no-classify` | {runs['0']['rows'] / runs['0']['seconds']:,.0f} rows/s | |",
        "",
        "Understanding every row costs most of ingest time: rules and n-gram scoring run per text in "
        "Python (the learned model's scoring is vectorised per batch); ingest with `--no-classify` "
        "then `reclassify` is the way for very large back-fills.",
    ]) + "\n"
    print(section)
    if args.write_docs:
        write_docs(section, marker="classify-speed")


if __name__ == "__main__":
    main()
