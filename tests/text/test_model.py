"""The learned text model: any label set, multi-label or multi-class, saved and loaded."""

from __future__ import annotations

import json

import pytest

from defectradar.errors import InputError
from defectradar.text.model import TextModel

BRAKES = ["brakes squeal when stopping", "brake pedal goes to the floor", "abs light on and brakes grab",
          "brakes failed on the highway", "grinding noise from brakes", "刹车异响很大", "刹车踩到底没反应",
          "braking distance got longer", "the brakes feel spongy", "brake fluid leaking"]
ENGINE = ["engine stalls at idle", "check engine light and rough idle", "engine misfires going uphill",
          "loss of power while accelerating", "engine overheats in traffic", "发动机抖动厉害", "发动机熄火",
          "engine knocking noise", "car won't start, engine cranks", "oil leak from the engine"]


def test_multiclass_learns_any_labels_and_round_trips(tmp_path):
    model = TextModel(min_df=1).fit(BRAKES + ENGINE, [["brakes"]] * 10 + [["engine"]] * 10)
    assert model.multilabel_ is False and model.classes_ == ("brakes", "engine")
    predictions = model.predict(["my brakes squeal", "the engine stalls"])
    assert [p[0][0] for p in predictions] == ["brakes", "engine"]
    folder = model.save(tmp_path / "vehicle")
    meta = json.loads((folder / "model.json").read_text())
    assert meta["classes"] == ["brakes", "engine"] and meta["format"] == "defectradar-text-model"
    again = TextModel.load(folder)
    assert again.predict_proba(["brakes grinding"]).tolist() == model.predict_proba(["brakes grinding"]).tolist()


def test_multilabel_with_empty_sets(tmp_path):
    texts = BRAKES + ENGINE + ["brakes squeal and the engine stalls"] * 3 + ["great car, love it"] * 5
    labels = [["brakes"]] * 10 + [["engine"]] * 10 + [["brakes", "engine"]] * 3 + [[]] * 5
    model = TextModel(min_df=1, threshold=0.5).fit(texts, labels)
    assert model.multilabel_ is True
    both = dict(model.predict(["the brakes squeal and the engine stalls"])[0])
    assert set(both) == {"brakes", "engine"}
    assert model.predict_proba(["love this car"]).max() < 0.5


def test_bad_training_input_is_explained():
    with pytest.raises(InputError, match="at least 10"):
        TextModel().fit(["a", "b"], [["x"], ["y"]])
    with pytest.raises(InputError, match="3 texts but 2 label lists"):
        TextModel().fit(["a", "b", "c"], [["x"], ["y"]])
    with pytest.raises(InputError, match="two different labels"):
        TextModel().fit(["t"] * 12, [["x"]] * 12)
    with pytest.raises(InputError, match="threshold"):
        TextModel(threshold=1.5).fit(BRAKES + ENGINE, [["b"]] * 10 + [["e"]] * 10)


def test_load_refuses_foreign_or_stale_folders(tmp_path):
    with pytest.raises(InputError, match="not a model folder"):
        TextModel.load(tmp_path)
    model = TextModel(min_df=1).fit(BRAKES + ENGINE, [["brakes"]] * 10 + [["engine"]] * 10)
    folder = model.save(tmp_path / "m")
    meta = json.loads((folder / "model.json").read_text())
    meta["sklearn"] = "0.1.0"
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="retrain it"):
        TextModel.load(folder)
