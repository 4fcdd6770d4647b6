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

from defectradar.errors import InputError
from defectradar.user_files import load_user_yaml, read_user_text, shown

_FOLD = re.compile(r"[\s\-_]+")


def fold_name(name: str) -> str:
    """The form product names are compared in: NFKC, lower case, no spaces/hyphens/underscores."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", name).casefold())


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


def _date(value, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: {shown(value)} is not a date (YYYY-MM-DD)") from None


def parse_catalog(text: str, origin: str) -> Catalog:
    try:
        doc = load_user_yaml(text, origin, _CatalogLoader)
    except yaml.YAMLError as exc:
        raise InputError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("products"), list):
        raise InputError(f"{origin}: a catalog needs a top-level 'products:' list")
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
        seen.add(entry["id"])
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, (str, int)) for a in aliases):
            raise InputError(f"{where}: 'aliases' must be a list of names")
        products.append(Product(entry["id"], entry["brand"], entry.get("series"), entry["name"],
                                entry.get("name_zh"), _date(entry.get("launch_date"), where),
                                _date(entry.get("end_of_production"), where),
                                tuple(str(a) for a in aliases)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Catalog(tuple(products), digest)


def builtin_catalog() -> Catalog:
    text = resources.files("defectradar.domain").joinpath("phones.yaml").read_text("utf-8")
    return parse_catalog(text, "phones.yaml")


def load_catalog(path: str | Path | None = None) -> Catalog:
    if path is None:
        return builtin_catalog()
    return parse_catalog(read_user_text(path, "catalog"), str(path))
