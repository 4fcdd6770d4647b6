"""The product catalog: the built-in one loads cleanly, names resolve after folding, and
a bad catalog file is refused with a message naming the file and the product."""

from __future__ import annotations

from datetime import date

import pytest

from defectradar.domain.catalog import (
    builtin_catalog,
    fold_name,
    load_catalog,
    parse_catalog,
)
from defectradar.errors import InputError

ENTRY = "  - id: a\n    brand: B\n    name: A\n"


@pytest.fixture(scope="module")
def catalog():
    return builtin_catalog()


def test_builtin_catalog_loads_with_unique_ids_and_sane_dates(catalog):
    ids = [p.product_id for p in catalog.products]
    assert len(ids) >= 10 and len(ids) == len(set(ids))
    for product in catalog.products:
        assert product.brand and product.name
        assert isinstance(product.launch_date, date)
        if product.end_of_production is not None:
            assert product.launch_date <= product.end_of_production
    assert len(catalog.digest) == 16 and catalog.digest == builtin_catalog().digest


def test_no_folded_name_belongs_to_two_builtin_products(catalog):
    # Lookups keep the first product for a name, so a clash would silently misfile records.
    owners: dict[str, str] = {}
    for product in catalog.products:
        for name in (product.product_id, product.name, product.name_zh, *product.aliases):
            if name:
                assert owners.setdefault(fold_name(name), product.product_id) == product.product_id, name


@pytest.mark.parametrize("name, product_id", [
    ("Mi 11", "xiaomi-11"), ("MI-11", "xiaomi-11"), ("mi_11", "xiaomi-11"), ("  Mi 11  ", "xiaomi-11"),
    ("ｍｉ１１", "xiaomi-11"), ("小米11", "xiaomi-11"), ("xiaomi-11", "xiaomi-11"),
    ("小米11 Pro", "xiaomi-11-pro"), ("小米１１\u3000Ｐｒｏ", "xiaomi-11-pro"), ("MI11PRO", "xiaomi-11-pro"),
    ("Xiaomi 11 Ultra", "xiaomi-11-ultra"), ("小米11U", "xiaomi-11-ultra"),
    ("Redmi K40", "redmi-k40"), ("iPhone 12", "iphone-12"), ("IPHONE12", "iphone-12"),
])
def test_resolve_folds_case_width_spaces_and_hyphens(catalog, name, product_id):
    assert catalog.resolve(name) == product_id


@pytest.mark.parametrize("name", ["", None, "Mi 99", "小米", "phone"])
def test_resolve_unknown_names_to_none(catalog, name):
    assert catalog.resolve(name) is None


def test_fold_name():
    assert fold_name("  Ｍｉ－11_Pro ") == "mi11pro"   # NFKC turns the full-width hyphen into "-"
    assert fold_name("Mi 11 Pro") == fold_name("mi-11-pro") == fold_name("MI_11_PRO") == "mi11pro"


def test_by_id(catalog):
    assert catalog.by_id()["xiaomi-11"].name_zh == "小米11"


def test_parse_catalog_reads_fields_and_dates():
    text = ("products:\n  - id: x1\n    brand: Acme\n    series: X\n    name: X1\n    name_zh: 极客1\n"
            "    launch_date: 2021-03-04\n    end_of_production: '2022-01-31'\n    aliases: [X-1, 11]\n")
    (product,) = parse_catalog(text, "c.yaml").products
    assert product.launch_date == date(2021, 3, 4) and product.end_of_production == date(2022, 1, 31)
    assert product.aliases == ("X-1", "11") and product.name_zh == "极客1"


@pytest.mark.parametrize("text, message", [
    ("products: [\n", "not valid YAML"),
    ("products:\n\t- id: a\n", "not valid YAML"),
    ("", "top-level 'products:' list"),
    ("products: {}\n", "top-level 'products:' list"),
])
def test_parse_catalog_document_errors_name_the_file(text, message):
    with pytest.raises(InputError, match=message) as caught:
        parse_catalog(text, "my.yaml")
    assert str(caught.value).startswith("my.yaml: ")


@pytest.mark.parametrize("text, number, message", [
    ("products:\n" + ENTRY + "    colour: red\n", 1, "unknown keys colour"),
    ("products:\n  - brand: B\n    name: A\n", 1, "'id' is required"),
    ("products:\n  - id: '  '\n    brand: B\n    name: A\n", 1, "'id' is required"),
    ("products:\n" + ENTRY + "  - id: b\n    name: B\n", 2, "'brand' is required"),
    ("products:\n" + ENTRY + ENTRY, 2, "id 'a' appears twice"),
    ("products:\n" + ENTRY + "    launch_date: soon\n", 1, "'soon' is not a date"),
    ("products:\n" + ENTRY + "    launch_date: 2021-13-01\n", 1, "'2021-13-01' is not a date"),
    ("products:\n" + ENTRY + "    end_of_production: 2022-02-30\n", 1, "'2022-02-30' is not a date"),
    ("products:\n" + ENTRY + "    aliases: Mi 11\n", 1, "'aliases' must be a list"),
    ("products:\n  - just a name\n", 1, "is not a mapping"),
])
def test_parse_catalog_product_errors_name_the_file_and_product(text, number, message):
    with pytest.raises(InputError, match=message) as caught:
        parse_catalog(text, "my.yaml")
    assert str(caught.value).startswith(f"my.yaml: product #{number}")


def test_load_catalog_from_a_file_and_a_missing_file(tmp_path):
    path = tmp_path / "cat.yaml"
    path.write_text("products:\n" + ENTRY, "utf-8")
    assert [p.product_id for p in load_catalog(path).products] == ["a"]
    assert load_catalog(None).digest == builtin_catalog().digest
    with pytest.raises(InputError, match="cannot read catalog"):
        load_catalog(tmp_path / "missing.yaml")
