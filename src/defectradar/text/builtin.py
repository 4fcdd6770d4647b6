"""The built-in phone complaint model: trained from shipped data on first use, then cached.

Shipping a pickled model would tie the package to one scikit-learn release; shipping the
training data and training in a few seconds does not.  The training data is

* ``text/training/*.jsonl``: hand-written labelled complaints (Chinese and English), and
* posts of a small simulated world (fixed seed), labelled by the simulator's truth,

never the evaluation set in ``data/eval``.  The trained model is kept in
``<cache_dir>/models/builtin-<key>``, where the key changes with the data, the model settings
and the scikit-learn release, so a stale model is never used.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from importlib import resources
from pathlib import Path

import sklearn

from defectradar import __version__
from defectradar.config import Settings
from defectradar.text.model import TextModel

# Bump when the way the built-in model is trained changes.
BUILTIN_MODEL_VERSION = 1
SIMULATED_WORLD = {"seed": 7, "scale": 0.4}
_lock = threading.Lock()
_loaded: dict[str, TextModel] = {}


def _training_files() -> list:
    folder = resources.files("defectradar.text").joinpath("training")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".jsonl")), key=lambda f: f.name) \
        if folder.is_dir() else []


def model_settings() -> TextModel:
    # words=False: word features (rjieba, negation scope) did not raise the leave-one-source-out
    # mean macro-F1 of the model or the combined classifier (`classify_generalise.py --words both`).
    return TextModel(ngram_range=(1, 4), min_df=2, C=8.0, threshold=0.5, words=False)


def cache_key() -> str:
    digest = hashlib.sha256()
    for file in _training_files():
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    params = model_settings()
    digest.update(json.dumps({"v": BUILTIN_MODEL_VERSION, "defectradar": __version__, "sklearn": sklearn.__version__,
                              "world": SIMULATED_WORLD, "ngram": params.ngram_range, "C": params.C,
                              "min_df": params.min_df, "words": params.words}).encode())
    return digest.hexdigest()[:16]


def training_examples() -> tuple[list[str], list[list[str]]]:
    """Texts and failure-mode label lists the built-in model learns from."""
    texts, labels = [], []
    for file in _training_files():
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(list(row.get("failure_modes") or []))
    sim_texts, sim_labels = _simulated_examples()
    return texts + sim_texts, labels + sim_labels


def _simulated_examples() -> tuple[list[str], list[list[str]]]:
    from defectradar.simulate import simulate_world

    with tempfile.TemporaryDirectory(prefix="defectradar-train-") as folder:
        simulate_world(folder, **SIMULATED_WORLD)
        truth = json.loads((Path(folder) / "truth.json").read_text(encoding="utf-8"))["posts"]
        texts, labels = [], []
        for line in (Path(folder) / "weibo.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                post = json.loads(line)
            except json.JSONDecodeError:
                continue          # the world's deliberately broken lines
            label = truth.get(post["mid"])
            if label is None or post.get("created_at") == "3分钟前":
                continue
            texts.append(post["text"])
            labels.append(list(label["failure_modes"]))
    return texts, labels


def model_folder(settings: Settings, key: str | None = None) -> Path:
    """Where the built-in model trained for ``key`` (default: the current data's) is cached."""
    return Path(settings.cache_dir) / "models" / f"builtin-{key or cache_key()}"


def is_ready(settings: Settings) -> bool:
    """Whether the built-in model is in memory or cached (so no training is needed)."""
    key = cache_key()
    return key in _loaded or (model_folder(settings, key) / "model.json").exists()


def builtin_model(settings: Settings) -> TextModel:
    """The built-in model, from memory, the cache folder, or trained now (a few seconds)."""
    key = cache_key()
    with _lock:
        if key in _loaded:
            return _loaded[key]
        folder = model_folder(settings, key)
        model = None
        if (folder / "model.json").exists():
            try:
                model = TextModel.load(folder)
            except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
                model = None
        if model is None:
            texts, labels = training_examples()
            model = model_settings().fit(texts, labels)
            try:
                model.save(folder)
            except OSError:
                pass  # a read-only cache folder only costs retraining next time
        _loaded[key] = model
        return model
