"""The product catalog: models, their dates and the names people use for them."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path

import yaml

from defectradar.core.dates import as_date
from defectradar.errors import InputError
from defectradar.user_files import load_user_yaml, read_user_text, shown

_FOLD = re.compile(r"[\s\-_]+")
_NOT_SLUG = re.compile(r"[\W_]+")
# A hyphen before a number of up to three digits ("iphone-6", "f-150", not "escape-2015") or
# between a number and a suffix of one or two letters ("6-s", not "k10-power").
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])-(?=\d{1,3}(?!\d))|(?<=\d)-(?=[^\W\d_]{1,2}(?![^\W_]))")
# Seven or more digits in one run, or nine or more apart only by dashes, dots or brackets
# (not spaces: "F-150 2019" and "ESCAPE 2014 2015" are names).
_LONG_NUMBER = re.compile(r"\d{7,}|\d(?:[\-.·()+/]?\d){8,}")

#: Prefix of the id of a product that is in no catalog: the product as the source names it
#: (``named:ford-escape``).  No catalog id may start with it, so an id alone tells which it is.
UNCATALOGUED_PREFIX = "named:"
#: Longest slug of an uncatalogued id: a product field holding a paragraph is not a name.
MAX_SLUG_CHARS = 64


def fold_name(name: str) -> str:
    """The form product names are compared in: NFKC, lower case, no spaces/hyphens/underscores."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", name).casefold())


def without_identifiers(value: str) -> str:
    """``value`` with every personal identifier in it cut out (a space in its place).

    Ids and failure-mode ids made from what a user wrote (a product field, a source's label)
    are stored as they are: they are never redacted later, and at ingest they are made from the
    raw values, before the pseudonymiser's pass.  So identifiers are cut here, the one place
    such ids are made: those of :func:`~defectradar.core.identifiers.find_identifiers` read as
    Chinese and as American numbers (the regions of the built-in sources), and any other run of
    long number (one no product name holds: a phone of another region, a QQ number without its
    keyword).
    """
    if not _MAYBE_IDENTIFIER().search(value):
        return value
    from defectradar.core.identifiers import find_identifiers

    for region in ("CN", "US"):
        found = find_identifiers(value, region)
        for ident in reversed(found):
            value = value[:ident.start] + " " + value[ident.end:]
    return _LONG_NUMBER.sub(" ", value)


def _MAYBE_IDENTIFIER():
    from defectradar.core.identifiers import MAYBE_IDENTIFIER

    return MAYBE_IDENTIFIER


def product_slug(name: str) -> str:
    """``name`` as an id: NFKC, case-folded, every run of other characters one hyphen.

    Letters of any script are kept ("华为畅享" stays readable); personal identifiers are cut
    out (:func:`without_identifiers`); a slug longer than :data:`MAX_SLUG_CHARS` is cut at a
    hyphen.

    >>> product_slug("  FORD   Escape ")
    'ford-escape'
    >>> product_slug("ESCAPE 13812345678")
    'escape'
    >>> product_slug("Apple iPhone 6 S"), product_slug("F-150 2019")
    ('apple-iphone6s', 'f150-2019')
    """
    name = without_identifiers(unicodedata.normalize("NFKC", name))
    slug = _NOT_SLUG.sub("-", name.casefold()).strip("-")
    # "iPhone 6", "iPhone6" and "iphone-6" are one product as users write it: no hyphen
    # inside a model number ("named:apple-iphone6", "ford-f150").
    slug = _LETTER_DIGIT.sub("", slug)
    if len(slug) > MAX_SLUG_CHARS:
        head = slug[:MAX_SLUG_CHARS + 1]
        slug = (head.rsplit("-", 1)[0] if "-" in head else slug[:MAX_SLUG_CHARS]).strip("-")
    return slug


def brand_and_model(model: str | None, brand: str | None = None) -> str:
    """One name from a brand and a model column: "Ford" + "Escape" is "Ford Escape", and a model
    that already starts with its brand ("Samsung Galaxy S9") is left as it is."""
    model = " ".join((model or "").split())
    brand = " ".join((brand or "").split())
    if brand and not fold_name(model).startswith(fold_name(brand)):
        return f"{brand} {model}".strip()
    return model or brand


def uncatalogued_id(model: str | None, brand: str | None = None) -> str | None:
    """The id of a product no catalog lists, from its name as the source gives it.

    >>> uncatalogued_id("ESCAPE", "FORD")
    'named:ford-escape'
    >>> uncatalogued_id("  ") is None
    True
    """
    slug = product_slug(brand_and_model(model, brand))
    return UNCATALOGUED_PREFIX + slug if slug else None


def is_uncatalogued(product_id: str | None) -> bool:
    """True for an id made by :func:`uncatalogued_id` (the product is in no catalog)."""
    return bool(product_id) and product_id.startswith(UNCATALOGUED_PREFIX)


@dataclass(frozen=True)
class Product:
    product_id: str
    brand: str
    series: str | None
    name: str
    name_zh: str | None
    launch_date: date | None
    end_of_production: date | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    products: tuple[Product, ...]
    digest: str   # identifies this catalog's content
    #: What kind of products it lists (top-level ``category:``; ``phone`` when absent, as the
    #: built-in catalog and every earlier catalog are phones).  Only ``phone`` catalogs let
    #: the built-in phone reader label their products' reports.
    category: str = "phone"

    @property
    def about_phones(self) -> bool:
        return self.category == PHONE_CATEGORY

    def by_id(self) -> dict[str, Product]:
        return {p.product_id: p for p in self.products}

    @cached_property
    def exact_lookup(self) -> dict[str, str]:
        """Folded name or alias -> product id, for structured product fields."""
        table: dict[str, str] = {}
        for product in self.products:
            for name in (product.product_id, product.name, product.name_zh, *product.aliases):
                if name:
                    table.setdefault(fold_name(name), product.product_id)
        return table

    def resolve(self, name: str | None) -> str | None:
        """The product id for a structured product field, or None when unknown."""
        if not name:
            return None
        return self.exact_lookup.get(fold_name(name))


class _CatalogLoader(yaml.SafeLoader):
    """YAML that leaves dates as text, so a bad one (2021-13-01) reaches :func:`_date` and is
    reported with its file and product number instead of as a bare ValueError from PyYAML."""


_CatalogLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_KEYS = {"id", "brand", "series", "name", "name_zh", "launch_date", "end_of_production", "aliases"}
_TOP_KEYS = {"version", "name", "category", "products"}
PHONE_CATEGORY = "phone"
_CATEGORY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def parse_catalog(text: str, origin: str) -> Catalog:
    try:
        doc = load_user_yaml(text, origin, _CatalogLoader)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("products"), list):
        raise InputError(f"{origin}: a catalog needs a top-level 'products:' list")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise InputError(f"{origin}: unknown top-level keys {', '.join(sorted(map(str, unknown)))}; "
                         f"allowed: {', '.join(sorted(_TOP_KEYS))}")
    category = doc.get("category", PHONE_CATEGORY)
    if not isinstance(category, str) or not _CATEGORY.match(category):
        raise InputError(f"{origin}: 'category' must be a lower-case word such as phone, vehicle or appliance "
                         f"(got {shown(category)})")
    products = []
    seen = set()
    for index, entry in enumerate(doc["products"], 1):
        where = f"{origin}: product #{index}"
        if not isinstance(entry, dict):
            raise InputError(f"{where} is not a mapping")
        unknown = set(entry) - _KEYS
        if unknown:
            raise InputError(f"{where}: unknown keys {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}")
        for key in ("id", "brand", "name"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise InputError(f"{where}: '{key}' is required text")
        if entry["id"] in seen:
            raise InputError(f"{where}: id {shown(entry['id'])} appears twice")
        if entry["id"].startswith(UNCATALOGUED_PREFIX):
            raise InputError(f"{where}: id {shown(entry['id'])} starts with {UNCATALOGUED_PREFIX!r}, which marks "
                             "products that are in no catalog; drop the prefix")
        seen.add(entry["id"])
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, (str, int)) for a in aliases):
            raise InputError(f"{where}: 'aliases' must be a list of names")
        products.append(Product(entry["id"], entry["brand"], entry.get("series"), entry["name"],
                                entry.get("name_zh"), as_date(entry.get("launch_date"), f"{where}: launch_date"),
                                as_date(entry.get("end_of_production"), f"{where}: end_of_production"),
                                tuple(str(a) for a in aliases)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Catalog(tuple(products), digest, category)


def builtin_catalog() -> Catalog:
    text = resources.files("defectradar.domain").joinpath("phones.yaml").read_text("utf-8")
    return parse_catalog(text, "phones.yaml")


def load_catalog(path: str | Path | None = None) -> Catalog:
    if path is None:
        return builtin_catalog()
    return parse_catalog(read_user_text(path, "catalog"), str(path))
