"""Finding the phone a text is about in the built-in catalog."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_data
from defectradar.domain.catalog import builtin_catalog
from defectradar.text.normalise import normalise
from defectradar.text.products import ProductMatcher


@pytest.fixture(scope="module")
def matcher() -> ProductMatcher:
    return ProductMatcher(builtin_catalog())


def ids(matcher: ProductMatcher, text: str) -> list[str]:
    return [m.product_id for m in matcher.find(normalise(text).match)]


def confidence(matcher: ProductMatcher, text: str) -> dict[str, float]:
    return {m.product_id: m.confidence for m in matcher.find(normalise(text).match)}


@pytest.mark.parametrize("text, product", [
    ("小米11 Pro又坏了", "xiaomi-11-pro"),
    ("小米11Pro的wifi打不开", "xiaomi-11-pro"),
    ("我的小米11 Ultra烧屏了", "xiaomi-11-ultra"),
    ("11 Ultra会烧屏吗？", "xiaomi-11-ultra"),
    ("小米11青春版发热", "xiaomi-11-youth"),
    ("华为Mate 40 Pro信号差", "huawei-mate-40-pro"),
    ("iPhone 12 Pro Max battery drain", "iphone-12-pro-max"),
    ("Galaxy S21 Ultra overheats", "galaxy-s21-ultra"),
    ("P40 Pro相机打不开", "huawei-p40-pro"),
])
def test_the_longest_name_wins_over_names_inside_it(matcher, text, product):
    assert ids(matcher, text) == [product]


@pytest.mark.parametrize("text", [
    "Mi 11 Pro", "mi11pro", "MI-11-PRO", "mi_11_pro", "Xiaomi Mi 11 Pro", "小米11 Pro", "小米 11 pro",
    "Ｍｉ １１ Ｐｒｏ", "米11Pro",
])
def test_spacing_case_hyphen_and_width_variants_name_one_product(matcher, text):
    assert ids(matcher, f"my {text} wifi died") == ["xiaomi-11-pro"]


_NAMES = [
    (["Xiaomi", "11", "Pro"], "xiaomi-11-pro"),
    (["Redmi", "Note", "10", "Pro"], "redmi-note-10-pro"),
    (["Huawei", "Mate", "40", "Pro"], "huawei-mate-40-pro"),
    (["Galaxy", "S21", "Ultra"], "galaxy-s21-ultra"),
    (["iPhone", "12", "Pro", "Max"], "iphone-12-pro-max"),
    (["OnePlus", "9", "Pro"], "oneplus-9-pro"),
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_NAMES), st.data())
def test_any_separators_and_casing_find_the_same_product(matcher, name, data):
    words, product = name
    separators = data.draw(st.lists(st.sampled_from(["", " ", "-", "_", "  ", " - "]),
                                    min_size=len(words) - 1, max_size=len(words) - 1))
    text = words[0] + "".join(sep + word for sep, word in zip(separators, words[1:]))
    cased = "".join(ch.upper() if data.draw(st.booleans()) else ch.lower() for ch in text)
    template = data.draw(st.sampled_from(["我的{}又坏了", "my {} died", "{}", "{}，wifi打不开"]))
    assert ids(matcher, template.format(cased)) == [product]


@pytest.mark.parametrize("text, not_product", [
    ("小米110周年纪念", "xiaomi-11"),
    ("HP400打印机坏了", "huawei-p40"),
    ("型号P400X", "huawei-p40"),
    ("K40s又发热", "redmi-k40"),
    ("iphone 130", "iphone-13"),
])
def test_a_name_must_not_continue_a_latin_word_or_number(matcher, text, not_product):
    assert not_product not in ids(matcher, text)


@pytest.mark.parametrize("text, product", [
    ("iPhone12PM", "iphone-12-pro-max"),
    ("我的12PM又断流", "iphone-12-pro-max"),
    ("S21U", "galaxy-s21-ultra"),
    ("三星S21U屏幕绿线", "galaxy-s21-ultra"),
    ("小米11U", "xiaomi-11-ultra"),
])
def test_shorthands_for_pro_max_and_ultra(matcher, text, product):
    assert ids(matcher, text)[0] == product


@pytest.mark.parametrize("bare, branded, product", [
    ("我的P40信号差", "我的华为P40信号差", "huawei-p40"),
    ("K40发热", "红米K40发热", "redmi-k40"),
    ("x60pro烧屏", "vivo X60 Pro烧屏", "vivo-x60-pro"),
])
def test_a_bare_model_name_is_weaker_evidence_than_one_with_its_maker(matcher, bare, branded, product):
    weak, strong = confidence(matcher, bare), confidence(matcher, branded)
    assert list(weak) == [product] and list(strong) == [product]
    assert 0.5 <= weak[product] < strong[product]


def test_a_name_two_makers_share_gives_every_candidate_a_low_confidence(matcher):
    found = confidence(matcher, "12 Pro又烧屏了")
    assert set(found) == {"iphone-12-pro", "xiaomi-12-pro"}
    assert all(value < 0.5 for value in found.values())


@pytest.mark.parametrize("text", ["苹果12 Pro又烧屏了", "12 Pro又烧屏了，苹果的售后太差", "my apple 12 pro died"])
def test_a_brand_word_elsewhere_settles_a_shared_name(matcher, text):
    found = confidence(matcher, text)
    assert list(found) == ["iphone-12-pro"]
    assert found["iphone-12-pro"] >= 0.8


def test_a_comparison_returns_both_products_with_lower_confidence(matcher):
    alone = confidence(matcher, "小米11发热")["xiaomi-11"]
    found = confidence(matcher, "小米11和iPhone 13比，发热严重多了")
    assert set(found) == {"xiaomi-11", "iphone-13"}
    assert found["xiaomi-11"] < alone
    assert found["iphone-13"] < confidence(matcher, "iPhone 13发热")["iphone-13"]


def test_mentions_are_most_confident_first_and_carry_their_span(matcher):
    text = normalise("P40和小米11 Pro比，发热").match
    found = matcher.find(text)
    assert [m.product_id for m in found] == ["xiaomi-11-pro", "huawei-p40"]
    assert found[0].confidence > found[1].confidence
    assert text[found[0].start:found[0].end].replace(" ", "") == "小米11pro"
    assert found[0].to_dict() == {"product_id": "xiaomi-11-pro", "name": "Xiaomi 11 Pro",
                                  "confidence": round(found[0].confidence, 3)}


@pytest.mark.parametrize("text", ["", "诺基亚3310又坏了", "my toaster died", "手机发热严重", "Pixel 99 Ultra", "用了三年"])
def test_unknown_products_give_nothing(matcher, text):
    assert ids(matcher, text) == []


# The JD listing titles of the 2019 review data set, read by hand: the model name in each title.
JD_TITLES = {
    "Apple iPhone 11 (A2223)": "iphone-11",
    "Apple iPhone XR (A2108)": "iphone-xr",
    "Apple iPhone XS Max (A2104)": "iphone-xs-max",
    "Redmi Note8 4800万": "redmi-note-8",
    "华为 HUAWEI P30 超感光": "huawei-p30",
    "华为 HUAWEI Mate 30 5G": "huawei-mate-30",
    "荣耀20S 李现同款": "honor-20s",
    "荣耀20青春版": "honor-20-youth",
    "荣耀8X 千元屏霸": "honor-8x",
    "荣耀9X 麒麟810": "honor-9x",
    "荣耀V30 PRO 李现同款": "honor-v30-pro",
}


def _jd_titles() -> list[str]:
    path = shared_data("zh-jd-phone-reviews-2019") / "jd_phone_reviews.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return sorted({row["手机型号"] for row in csv.DictReader(handle)})


def test_every_jd_listing_title_resolves_to_its_phone(matcher):
    titles = _jd_titles()
    resolved, unknown = {}, []
    for title in titles:
        keys = [key for key in JD_TITLES if key in title]
        if len(keys) != 1:
            unknown.append(title)
            continue
        resolved[title] = (matcher.resolve_field(title), JD_TITLES[keys[0]])
    assert unknown == [], "titles without a hand-read expectation"
    assert len(resolved) == len(JD_TITLES)
    wrong = {title: got for title, (got, expected) in resolved.items() if got != expected}
    assert wrong == {}


@pytest.mark.parametrize("value, product", [
    ("小米11", "xiaomi-11"),
    ("Xiaomi 11 Pro", "xiaomi-11-pro"),
    ("xiaomi-11-pro", "xiaomi-11-pro"),
    ("redmi-note-8", "redmi-note-8"),
    ("红米Note8", "redmi-note-8"),
    ("iPhone 12 Pro Max", "iphone-12-pro-max"),
    ("IPHONE12PROMAX", "iphone-12-pro-max"),
    ("P40", "huawei-p40"),
    ("Samsung Galaxy S21", "galaxy-s21"),
])
def test_resolve_field_exact_names_ids_and_aliases(matcher, value, product):
    assert matcher.resolve_field(value) == product


@pytest.mark.parametrize("value", [None, "", "   ", "诺基亚3310", "12 Pro", "小米11和iPhone 13"])
def test_resolve_field_gives_none_when_unknown_or_not_one_confident_product(matcher, value):
    assert matcher.resolve_field(value) is None
