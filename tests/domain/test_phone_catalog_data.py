"""Sanity checks on the data in the shipped phone catalog (phones.yaml): coverage of brands and
years, complete zh names and aliases, plausible dates, id conventions, unambiguous aliases, and
that every listing title in the real JD review dataset names the right model."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date

import pytest

from conftest import shared_data
from defectradar.domain.catalog import Product, builtin_catalog, fold_name

MAJOR_BRANDS = ("Xiaomi", "Redmi", "POCO", "Huawei", "Honor", "OPPO", "OnePlus", "realme", "vivo", "iQOO",
                "Apple", "Samsung", "Google")
MINOR_BRANDS = ("Meizu", "nubia", "Lenovo", "Motorola")

LEGACY_IDS = ("xiaomi-11", "xiaomi-11-pro", "xiaomi-11-ultra", "xiaomi-12", "xiaomi-10", "redmi-k40",
              "redmi-note-8", "redmi-note-10-pro", "huawei-mate-40-pro", "huawei-p40", "honor-50",
              "oppo-find-x3-pro", "vivo-x60-pro", "oneplus-9-pro", "iphone-12", "iphone-13", "galaxy-s21")

EARLIEST_LAUNCH, LATEST_LAUNCH = date(2017, 9, 1), date(2023, 12, 31)
# Launched in 2018 but still sold or widely used in 2019 and later: the only 2018 products allowed.
LAUNCHED_IN_2018 = {"iphone-xr", "iphone-xs-max", "honor-8x", "huawei-mate-20", "huawei-mate-20-pro",
                    "iphone-xs", "galaxy-s9", "galaxy-s9-plus", "galaxy-note9", "pixel-3", "pixel-3-xl",
                    "huawei-mate-20-x", "huawei-nova-4", "honor-v20", "oppo-r17", "oppo-r17-pro", "meizu-16th"}
# Launched in 2017 but still widely used: the only products allowed before 2018.
LAUNCHED_IN_2017 = {"iphone-8", "iphone-8-plus", "iphone-x"}

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Folded aliases that really are used for two products. Keep this tiny; it is empty because
# test_catalog.py also requires every folded name to belong to one product.
KNOWN_AMBIGUOUS: set[str] = set()

JD_DATASET = "zh-jd-phone-reviews-2019"
# A piece of each distinct JD listing title (column 手机型号) -> the product it sells.
JD_TITLES = {
    "Apple iPhone 11 (A2223)": "iphone-11",
    "Apple iPhone XS Max": "iphone-xs-max",
    "Apple iPhone XR": "iphone-xr",
    "荣耀V30 PRO": "honor-v30-pro",
    "荣耀20青春版": "honor-20-youth",
    "荣耀9X": "honor-9x",
    "荣耀8X": "honor-8x",
    "荣耀20S": "honor-20s",
    "华为 HUAWEI P30": "huawei-p30",
    "华为 HUAWEI Mate 30 5G": "huawei-mate-30",
    "Redmi Note8": "redmi-note-8",
}


@pytest.fixture(scope="module")
def catalog():
    return builtin_catalog()


def _folded_aliases(product: Product) -> set[str]:
    return {fold_name(alias) for alias in product.aliases}


def resolve_title(products, title: str) -> str | None:
    """The product whose folded alias is the longest substring of the folded title (a data check
    only; the real text matcher lives elsewhere)."""
    folded = fold_name(title)
    best, best_len = None, 0
    for product in products:
        for alias in _folded_aliases(product):
            if len(alias) > best_len and alias in folded:
                best, best_len = product.product_id, len(alias)
    return best


def test_catalog_is_large(catalog):
    assert len(catalog.products) >= 180


def test_every_brand_is_covered(catalog):
    per_brand = Counter(p.brand for p in catalog.products)
    thin = {b: per_brand[b] for b in MAJOR_BRANDS if per_brand[b] < 3}
    assert not thin, f"brands with fewer than 3 models: {thin}"
    missing = [b for b in MINOR_BRANDS if per_brand[b] < 1]
    assert not missing, f"brands with no model: {missing}"


def test_every_product_has_a_zh_name_and_aliases(catalog):
    for product in catalog.products:
        assert product.name_zh and product.name_zh.strip(), product.product_id
        assert len(_folded_aliases(product)) >= 2, product.product_id


def test_dates_are_plausible(catalog):
    for product in catalog.products:
        launch, end = product.launch_date, product.end_of_production
        assert launch is not None and end is not None, product.product_id
        assert EARLIEST_LAUNCH <= launch <= LATEST_LAUNCH, (product.product_id, launch)
        if launch.year == 2018:
            assert product.product_id in LAUNCHED_IN_2018, (product.product_id, launch)
        elif launch.year < 2018:
            assert product.product_id in LAUNCHED_IN_2017, (product.product_id, launch)
        assert end > launch, (product.product_id, launch, end)


def test_ids_are_unique_and_follow_the_convention(catalog):
    ids = [p.product_id for p in catalog.products]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert [i for i in ids if not ID_PATTERN.match(i)] == []
    for product in catalog.products:
        if product.brand == "Apple":
            assert product.product_id.startswith("iphone-"), product.product_id
        elif product.brand == "Samsung":
            assert product.product_id.startswith("galaxy-"), product.product_id
        elif product.brand == "Google":
            assert product.product_id.startswith("pixel-"), product.product_id


def test_legacy_ids_are_kept(catalog):
    ids = {p.product_id for p in catalog.products}
    assert [i for i in LEGACY_IDS if i not in ids] == []


def test_aliases_are_not_too_short(catalog):
    short = [(p.product_id, a) for p in catalog.products for a in p.aliases if len(fold_name(a)) < 3]
    assert short == []


def test_no_alias_is_shared_unless_known_ambiguous(catalog):
    owners: dict[str, set[str]] = defaultdict(set)
    for product in catalog.products:
        for alias in _folded_aliases(product):
            owners[alias].add(product.product_id)
    shared = {a: sorted(ids) for a, ids in owners.items() if len(ids) > 1 and a not in KNOWN_AMBIGUOUS}
    assert shared == {}


def test_resolve_title_prefers_the_longest_alias(catalog):
    assert resolve_title(catalog.products, "荣耀20青春版 4GB+64GB") == "honor-20-youth"
    assert resolve_title(catalog.products, "小米11 Pro 8GB") == "xiaomi-11-pro"
    assert resolve_title(catalog.products, "小米11 8GB") == "xiaomi-11"
    assert resolve_title(catalog.products, "a phone") is None


def test_every_jd_listing_title_resolves_to_its_model(catalog):
    path = shared_data(JD_DATASET) / "jd_phone_reviews.csv"
    with open(path, encoding="utf-8", newline="") as f:
        titles = sorted({row["手机型号"] for row in csv.DictReader(f)})
    assert len(titles) >= 11
    for title in titles:
        expected = [pid for piece, pid in JD_TITLES.items() if piece in title]
        assert len(expected) == 1, f"no single expected model for JD title {title!r}: {expected}"
        assert resolve_title(catalog.products, title) == expected[0], title
