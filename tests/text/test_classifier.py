"""Rules and the learned model combined, with the built-in model trained from shipped data."""

from __future__ import annotations

import pytest

from defectradar.config import load_settings
from defectradar.text.builtin import builtin_model, training_examples
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.model import TextModel


@pytest.fixture(scope="module")
def classifier():
    return ComplaintClassifier(model=builtin_model(load_settings()))


def test_the_issue_examples(classifier):
    zh, en = classifier.classify(["小米11又烧主板了，返厂三次，资料全没了",
                                  "My Mi 11 Pro WiFi greyed out again after the 2nd repair"])
    assert (zh.product_id, zh.modes, zh.repeat_repairs, zh.data_loss, zh.lang) == ("xiaomi-11", ["motherboard"], 3, True, "zh")
    assert (en.product_id, en.modes, en.repeat_repairs, en.data_loss, en.lang) == ("xiaomi-11-pro", ["wifi"], 2, False, "en")
    assert zh.failure_modes[0].source in ("rule", "rule+model") and 0 < zh.failure_modes[0].confidence <= 1


def test_json_fields_are_the_documented_ones(classifier):
    result = classifier.classify(["手机充电时冒烟了，烫伤了手"])[0].to_dict()
    assert set(result) == {"text", "lang", "products", "failure_modes", "severity", "repeat_repairs", "data_loss",
                           "is_owner", "subject"}
    assert result["subject"] == {"phone": True, "why": "default"}
    assert result["severity"] == "safety" and "safety" in [m["mode"] for m in result["failure_modes"]]
    assert all(set(m) == {"mode", "confidence", "source", "kind"} for m in result["failure_modes"])
    assert {m["kind"] for m in result["failure_modes"]} == {"failure"}           # safety is a failure


@pytest.mark.parametrize("text", ["用了一年，一点都不发热", "续航不错，信号也很好", "no burn-in at all after two years",
                                  "快递很快，包装完好", "价格降了两百，心疼"])
def test_not_complaints_get_no_mode(classifier, text):
    assert classifier.classify([text])[0].modes == []


def test_a_rule_negation_outranks_the_model():
    texts, labels = training_examples()
    model = TextModel(min_df=2).fit(texts, labels)
    # The model alone sees "发热" and calls it overheating; the rules know it is denied.
    assert dict(model.predict(["这手机发热"])[0]).get("overheating", 0) > 0.5
    combined = ComplaintClassifier(model=model).classify(["这手机一点都不发热"])[0]
    assert "overheating" not in combined.modes


def test_ambiguous_product_is_not_guessed(classifier):
    result = classifier.classify(["12 Pro 的wifi又坏了"])[0]
    assert len(result.products) >= 2 and result.product_id is None


def test_a_custom_model_gives_the_labels(tmp_path):
    texts = ["brakes squeal", "brake pedal soft", "abs fault brakes", "brakes grinding", "brakes fail",
             "engine stalls", "engine knocks", "engine misfire", "engine overheats", "engine won't start"] * 2
    labels = [["brakes"]] * 5 + [["engine"]] * 5
    model = TextModel(min_df=1).fit(texts, labels * 2)
    result = ComplaintClassifier(custom_model=model).classify(["my brakes squeal loudly"])[0]
    assert [m.mode for m in result.failure_modes] == ["brakes"] and result.failure_modes[0].source == "model"
