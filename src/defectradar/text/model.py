"""A learned text classifier for any label set: character n-grams and logistic regression.

Character n-grams need no word segmentation, so one model reads Chinese, English and
code-mixed posts alike.  With ``words=True`` word unigrams and bigrams are added beside them
(:mod:`defectradar.text.words`: Chinese segmented, words after a negation marked ``NEG_``), so
"没有问题" and "问题" no longer look alike; they need rjieba (``pip install defectradar[words]``).
Measured leave-one-source-out (benchmarks/classify_generalise.py --words both) they did not
raise the mean macro-F1, so the built-in model leaves them off.  Texts are normalised first
(simplified script, half-width, lower case).  With one label per example the model is
multi-class (softmax); with label sets (``wifi|motherboard``) or empty sets it is multi-label
(one-vs-rest), predicting every label whose probability reaches ``threshold``.

Saved models are a folder: ``model.joblib`` (scikit-learn objects) and ``model.json``
(labels, settings, versions).  joblib files run code when loaded: load only models you or
your team trained.  Saving never deletes anything but an older model: a folder holding other
files is refused, and a model folder is replaced whole (the new one is written beside it and
renamed into place, so a failed save leaves the old model as it was).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import MultiLabelBinarizer

from defectradar.core.estimator import Estimator, boolean, int_at_least, positive, positive_int, probability
from defectradar.errors import InputError
from defectradar.text.normalise import normalise
from defectradar.text.words import segmenter
from defectradar.text.words import words as word_tokens

FORMAT = "defectradar-text-model"
FORMAT_VERSION = 1
#: What a model folder holds; a folder holding anything else is not replaced.
MODEL_FILES = ("model.joblib", "model.json")


def check_model_folder(folder: str | Path) -> Path:
    """Refuse ``folder`` as a place to save a model unless it is new, empty or a model folder.

    Call it before training, so a long fit does not end in a refusal; :meth:`TextModel.save`
    checks again.
    """
    folder = Path(folder)
    try:
        if not folder.exists():
            _check_writable(folder)
            return folder
        if not folder.is_dir():
            raise InputError(f"--out {folder} is a file, not a folder; give a new folder (or a model folder to "
                             "replace) for the model")
        others = sorted(entry.name for entry in folder.iterdir() if entry.name not in MODEL_FILES)
    except OSError as exc:
        raise InputError(f"cannot write the model to {folder}: {exc.strerror or exc}") from None
    if others:
        listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise InputError(f"--out {folder} holds files that are not a model ({listed}); it was left as it is. "
                         "Give a new or empty folder, or a folder holding only a model to replace")
    return folder


def _check_writable(folder: Path) -> None:
    """Create and remove a temporary folder where the model will go (``/proc`` lets root try, then fails)."""
    existing = folder.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".{folder.name}-check-", dir=existing))
    except OSError as exc:
        raise InputError(f"cannot write the model to {folder}: {exc.strerror or exc}; choose a folder you "
                         "can write to") from None


def _sklearn_series(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _ngram_range(value) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) == 2 and all(positive_int(v) for v in value)
            and value[0] <= value[1] <= 8)


@dataclass
class TextModel(Estimator):
    """Settings are constructor arguments; learned state ends in ``_`` (estimator contract).

    Parameters
    ----------
    ngram_range
        Character n-gram lengths (within word boundaries; a Chinese run counts as one word).
    min_df
        Ignore n-grams seen in fewer examples.
    C
        Inverse regularisation strength of the logistic regressions.
    threshold
        Probability from which a multi-label prediction includes a label.
    max_features
        Vocabulary cap, which bounds model size and memory (per feature block when ``words``).
    words
        Add word unigrams and bigrams with negation scope to the character n-grams.
    """

    ngram_range: tuple[int, int] = (1, 4)
    min_df: int = 2
    C: float = 8.0
    threshold: float = 0.5
    max_features: int = 300_000
    words: bool = False

    _parameter_constraints = {
        "ngram_range": (_ngram_range, "two lengths (low, high) with 1 <= low <= high <= 8"),
        "min_df": (positive_int, "a positive whole number"),
        "C": (positive, "a positive number"),
        "threshold": (probability, "a probability between 0 and 1"),
        "max_features": int_at_least(100),
        "words": (boolean, "true or false"),
    }

    @staticmethod
    def prepare(texts: Sequence[str]) -> list[str]:
        return [normalise(t or "").match for t in texts]

    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]]) -> "TextModel":
        """Learn from texts and their label lists (an empty list: none of the labels)."""
        self._validate_params()
        if len(texts) != len(labels):
            raise InputError(f"{len(texts)} texts but {len(labels)} label lists")
        label_sets = [sorted(set(row)) for row in labels]
        classes = sorted({label for row in label_sets for label in row})
        if len(classes) < 2 and not any(len(row) == 0 for row in label_sets):
            raise InputError("training data needs at least two different labels")
        if len(texts) < 10:
            raise InputError(f"training data has {len(texts)} examples; at least 10 are needed")
        if self.words:
            segmenter()             # no rjieba: say so now, not after the character n-grams are counted
        self.multilabel_ = any(len(row) != 1 for row in label_sets)
        self.vectorizer_ = self._vectorizer(min(self.min_df, max(1, len(texts) // 50)))
        features = self.vectorizer_.fit_transform(self.prepare(texts))
        if self.multilabel_:
            self.binarizer_ = MultiLabelBinarizer(classes=classes)
            targets = self.binarizer_.fit_transform(label_sets)
            base = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=1000)
            self.classifier_ = OneVsRestClassifier(base).fit(features, targets)
        else:
            self.binarizer_ = None
            self.classifier_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
            self.classifier_.fit(features, [row[0] for row in label_sets])
        self.classes_ = tuple(classes if self.multilabel_ else self.classifier_.classes_)
        self.examples_ = len(texts)
        return self

    def _vectorizer(self, min_df: int) -> TfidfVectorizer | FeatureUnion:
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.ngram_range), min_df=min_df,
                                sublinear_tf=True, lowercase=False, max_features=self.max_features, dtype=np.float32)
        if not self.words:
            return chars            # the pre-words layout, so older saved models and new ones read alike
        words = TfidfVectorizer(tokenizer=word_tokens, token_pattern=None, ngram_range=(1, 2), min_df=min_df,
                                sublinear_tf=True, lowercase=False, max_features=self.max_features, dtype=np.float32)
        # Each block is L2-normalised on its own, so neither drowns the other; weighting both by
        # 1/sqrt(2) keeps each row at norm 1 as with characters alone, so C regularises as much.
        half = 0.5 ** 0.5
        return FeatureUnion([("chars", chars), ("words", words)], transformer_weights={"chars": half, "words": half})

    def predict_proba(self, texts: Sequence[str], *, normalised: bool = False) -> np.ndarray:
        """Probabilities, one row per text and one column per class in ``classes_``.

        ``normalised=True`` says the texts are already in ``normalise(t).match`` form (the
        classifier normalises once for its rules and the model alike).
        """
        if not hasattr(self, "classifier_"):
            raise InputError("the model is not trained yet")
        if not texts:
            return np.zeros((0, len(self.classes_)))
        prepared = list(texts) if normalised else self.prepare(texts)
        return self.classifier_.predict_proba(self.vectorizer_.transform(prepared))

    def predict(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """Per text, the predicted labels with their probabilities."""
        probabilities = self.predict_proba(texts)
        result = []
        for row in probabilities:
            if self.multilabel_:
                result.append([(c, float(p)) for c, p in zip(self.classes_, row) if p >= self.threshold])
            else:
                best = int(np.argmax(row))
                result.append([(self.classes_[best], float(row[best]))])
        return result

    def to_dict(self) -> dict:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "classes": list(self.classes_),
                "multilabel": self.multilabel_, "threshold": self.threshold, "ngram_range": list(self.ngram_range),
                "min_df": self.min_df, "C": self.C, "max_features": self.max_features, "words": self.words,
                "examples": self.examples_,
                "sklearn": sklearn.__version__}

    def save(self, folder: str | Path) -> Path:
        """Write the model to ``folder``: a new folder, an empty one, or a model folder it replaces.

        The model is written to a temporary folder beside ``folder`` and renamed into place; an
        older model is moved aside first and deleted only once the new one is in place, so a
        failure at any point leaves the old model whole (a half-written model is never loaded).
        A folder holding other files is refused (:func:`check_model_folder`).
        """
        if not hasattr(self, "classifier_"):
            raise InputError("the model is not trained yet")
        folder = check_model_folder(folder)
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new-", dir=folder.parent))
        except OSError as exc:
            raise InputError(f"cannot write the model to {folder}: {exc.strerror or exc}; choose a folder you "
                             "can write to") from None
        try:
            joblib.dump({"vectorizer": self.vectorizer_, "classifier": self.classifier_,
                         "binarizer": self.binarizer_}, staging / "model.joblib", compress=3)
            meta = {**self.to_dict(), "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            (staging / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
            self._move_into_place(staging, folder)
        except OSError as exc:
            raise InputError(f"cannot write the model to {folder}: {exc.strerror or exc}; the folder was left "
                             "as it was") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)    # gone already when the rename succeeded
        return folder

    @staticmethod
    def _move_into_place(staging: Path, folder: Path) -> None:
        """Rename ``staging`` to ``folder``, moving an older model aside until the new one is there."""
        if not folder.exists():
            os.rename(staging, folder)
            return
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
        old = aside / folder.name
        os.rename(folder, old)
        try:
            os.rename(staging, folder)
        finally:
            if not folder.exists():             # the new model did not get in: put the old one back
                os.rename(old, folder)
        # Delete only model files: anything else put there since the check stays, folder and all.
        try:
            for name in MODEL_FILES:
                (old / name).unlink(missing_ok=True)
            old.rmdir()
            aside.rmdir()
        except OSError:
            pass

    @classmethod
    def load(cls, folder: str | Path) -> "TextModel":
        folder = Path(folder)
        meta_path = folder / "model.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise InputError(f"{folder} is not a model folder (no readable model.json); train one with "
                             "`defectradar model train`") from None
        if meta.get("format") != FORMAT:
            raise InputError(f"{folder}: model.json is not a defectradar text model")
        if _sklearn_series(meta.get("sklearn", "")) != _sklearn_series(sklearn.__version__):
            raise InputError(f"{folder} was trained with scikit-learn {meta.get('sklearn')}, this is "
                             f"{sklearn.__version__}; retrain it with `defectradar model train`")
        if meta.get("format_version", 1) > FORMAT_VERSION:
            raise InputError(f"{folder} was saved by a newer defectradar (model format "
                             f"{meta.get('format_version')}); upgrade defectradar or retrain the model")
        parts = joblib.load(folder / "model.joblib")
        # Models saved before word features existed have no "words" key: character n-grams only.
        model = cls(ngram_range=tuple(meta["ngram_range"]), min_df=meta["min_df"], C=meta["C"],
                    threshold=meta["threshold"], max_features=meta["max_features"], words=meta.get("words", False))
        model.vectorizer_, model.classifier_, model.binarizer_ = parts["vectorizer"], parts["classifier"], parts["binarizer"]
        model.classes_ = tuple(meta["classes"])
        model.multilabel_ = meta["multilabel"]
        model.examples_ = meta["examples"]
        return model
