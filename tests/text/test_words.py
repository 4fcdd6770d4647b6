"""Word features: Chinese segmentation, other scripts split on word boundaries, negation scope."""

from __future__ import annotations

import json
import sys

import pytest

from defectradar.errors import InputError
from defectradar.text import words as module
from defectradar.text.model import TextModel
from defectradar.text.normalise import normalise
from defectradar.text.words import words


def w(text: str) -> list[str]:
    return words(normalise(text).match)


def test_chinese_is_segmented_into_words():
    assert w("手机屏幕碎了") == ["手机", "屏幕", "碎", "了"]
    assert w("iPhone12 WiFi断流") == ["iphone12", "wifi", "断流"]      # code-mixed: Latin words kept whole


def test_negation_scope_ends_at_punctuation_and_but():
    assert w("屏幕没有问题，电池发热") == ["屏幕", "没有", "NEG_问题", "电池", "发热"]
    assert w("屏幕没有问题但是电池不耐用") == ["屏幕", "没有", "NEG_问题", "但是", "电池", "不", "NEG_耐用"]
    assert w("没反应 无法开机") == ["没", "NEG_反应", "无法", "NEG_开机"]   # a space between Chinese is a comma
    assert w("no signal. battery drains") == ["no", "NEG_signal", "battery", "drains"]
    assert w("not charging but screen works") == ["not", "NEG_charging", "but", "screen", "works"]


def test_phrases_that_do_not_negate():
    assert w("时不时死机") == ["时不时", "死机"]
    assert w("不知道为什么死机") == ["不", "知道", "为什么", "死机"]   # rjieba splits 不知道; the rules' exception holds
    assert w("no longer charges") == ["no", "longer", "charges"]


def test_english_contractions_and_other_languages():
    assert w("It doesn't charge") == ["it", "doesn't", "NEG_charge"]
    assert w("phone won’t turn on") == ["phone", "won’t", "NEG_turn", "NEG_on"]
    assert w("Display geht nicht, aber Ton ok") == ["display", "geht", "nicht", "aber", "ton", "ok"]
    assert w("scherm werkt niet meer") == ["scherm", "werkt", "niet", "NEG_meer"]
    assert w("") == [] and w("😡😡") == []


RECHARGE = ["充不进电", "充电很慢", "充电器坏了", "not charging at all", "charger port loose", "插上充电没反应",
            "charging stops at 80%", "充电口接触不良", "won't charge", "充电发烫"] * 2
DISPLAY = ["屏幕碎了", "屏幕闪烁", "screen flickers", "display cracked", "屏幕有绿线", "触摸屏失灵",
           "screen went black", "屏幕漏光", "dead pixels on screen", "显示屏没反应"] * 2


def test_model_with_words_trains_predicts_saves_and_loads(tmp_path):
    model = TextModel(min_df=1, words=True).fit(RECHARGE + DISPLAY, [["charging"]] * 20 + [["display"]] * 20)
    assert [p[0][0] for p in model.predict(["手机充不进电", "屏幕闪烁得厉害"])] == ["charging", "display"]
    folder = model.save(tmp_path / "m")
    assert json.loads((folder / "model.json").read_text())["words"] is True
    again = TextModel.load(folder)
    assert again.words is True
    texts = ["充电没反应，屏幕还好", "the screen is fine but it won't charge"]
    assert again.predict_proba(texts).tolist() == model.predict_proba(texts).tolist()


def test_words_add_features_beside_the_character_ngrams():
    labels = [["charging"]] * 20 + [["display"]] * 20
    chars = TextModel(min_df=1).fit(RECHARGE + DISPLAY, labels)
    both = TextModel(min_df=1, words=True).fit(RECHARGE + DISPLAY, labels)
    width = chars.vectorizer_.transform(["x"]).shape[1]
    assert both.vectorizer_.transform(["x"]).shape[1] > width
    assert "NEG_反应" in both.vectorizer_.transformer_list[1][1].vocabulary_


def test_model_saved_before_words_loads_without_them(tmp_path):
    model = TextModel(min_df=1).fit(RECHARGE + DISPLAY, [["charging"]] * 20 + [["display"]] * 20)
    folder = model.save(tmp_path / "old")
    meta = json.loads((folder / "model.json").read_text())
    del meta["words"]                                  # as written before word features existed
    (folder / "model.json").write_text(json.dumps(meta))
    again = TextModel.load(folder)
    assert again.words is False
    assert again.predict_proba(["屏幕碎了"]).tolist() == model.predict_proba(["屏幕碎了"]).tolist()


def test_model_from_a_newer_format_is_refused(tmp_path):
    folder = TextModel(min_df=1).fit(RECHARGE + DISPLAY, [["c"]] * 20 + [["d"]] * 20).save(tmp_path / "new")
    meta = json.loads((folder / "model.json").read_text())
    meta["format_version"] = 99
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="newer defectradar"):
        TextModel.load(folder)


def test_words_without_rjieba_are_explained(monkeypatch):
    module.segmenter.cache_clear()
    monkeypatch.setitem(sys.modules, "rjieba", None)     # as if not installed
    try:
        with pytest.raises(InputError, match="pip install"):
            TextModel(min_df=1, words=True).fit(RECHARGE + DISPLAY, [["c"]] * 20 + [["d"]] * 20)
    finally:
        module.segmenter.cache_clear()
