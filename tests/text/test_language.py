"""Which language a complaint is written in: script decides Chinese, function words tell
Latin-script languages apart, and texts with no letters get None."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.text.language import detect_language


@pytest.mark.parametrize("text", [
    "小米11又烧主板了，返厂三次，资料全没了",
    "電池鼓包了，螢幕也有殘影",
    "华为P40信号差",
    # code-mixed: Latin model names and jargon inside a Chinese sentence
    "小米11 WiFi 又坏了",
    "我的mi11 wifi又greyed out了",
    "iPhone 12 Pro Max的battery health掉到80%了，气死",
])
def test_chinese_and_code_mixed_chinese_is_zh(text):
    assert detect_language(text) == "zh"


@pytest.mark.parametrize("text", [
    "My Mi 11 Pro WiFi greyed out again after the 2nd repair",
    "The battery drains in half a day and the phone gets hot",
    "never had any wifi problems with this phone",
])
def test_english_is_en(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text, language", [
    ("Mein Handy lädt nicht mehr und der Akku ist kaputt", "de"),
    ("Die Kaffeemaschine ist kaputt und das Display geht nicht mehr", "de"),
    ("Der Toaster wird nicht heiß, ich habe ein neues Kabel versucht", "de"),
    ("Mijn telefoon laadt niet meer op en het scherm is kapot", "nl"),
    ("De stofzuiger doet het niet meer, hij maakt een raar geluid", "nl"),
    ("Het snoer van de lamp is kapot en de schakelaar werkt niet", "nl"),
])
def test_repair_cafe_sentences_in_german_and_dutch(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "😡😡🔥", "12345", "!!! ???", "👍👍 100%", "２０２１"])
def test_nothing_to_go_on_is_none(text):
    assert detect_language(text) is None


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789 .,!?%+-😡🔥👍", max_size=30))
def test_texts_without_letters_have_no_language(text):
    assert detect_language(text) is None


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="手机屏幕电池坏了发热", min_size=1, max_size=20),
       st.sampled_from(["wifi", "iPhone", "MIUI", "5G", "bug"]))
def test_mostly_chinese_text_with_a_latin_word_is_zh(chinese, latin):
    assert detect_language(f"{chinese} {latin} {chinese}") == "zh"
