"""Drafting a product catalog from a file's brand and model columns (``defectradar catalog build``).

The draft lists each distinct product once: spellings that fold to one name ("iPhone 6",
"iPhone6", "Iphone 6") are one product, under its most common spelling.  Each product gets an
id (the slug of brand and model: ``apple-iphone6``), its brand, its name, and as aliases the
model written without its brand where that alone names it (at least three characters with a
letter and a digit: "iPhone 6", not "S4" or "Xperia"), and the other brand + model spellings.
The number of rows naming it is written beside it as a comment.  Rows naming no model (blank,
or only "Smartphone", "Handy") and values holding a personal identifier are left out and
counted.  A row without a brand joins the product of the one brand its model is seen with,
else is listed under brand ``unknown``.

The YAML is the catalog format of ``phones.yaml`` (loadable with ``--catalog``); it is a
draft to review: dates are left out and aliases an engineer knows are missing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from defectradar.domain.catalog import PHONE_CATEGORY, brand_and_model, fold_name, parse_catalog, product_slug
from defectradar.errors import InputError

UNKNOWN_BRAND = "unknown"
# Model values that name no model (compared folded).
_GENERIC = frozenset(fold_name(n) for n in (
    "phone", "smartphone", "smart phone", "mobile", "mobile phone", "mobiltelefon", "cellphone", "cell phone",
    "handy", "telefon", "telephone", "tablet", "手机", "智能手机", "unknown", "not recorded", "n/a", "na", "none",
    "other", "others", "-", "?", "未知", "其他", "其它", "不详"))


@dataclass
class DraftProduct:
    product_id: str
    brand: str
    name: str
    aliases: list[str]
    rows: int


@dataclass
class CatalogDraft:
    """A drafted catalog and how the file's rows went into it."""

    category: str
    products: list[DraftProduct] = field(default_factory=list)
    rows: int = 0                      # rows read
    rows_without_model: int = 0        # blank or generic model: no product
    rows_withheld: int = 0             # a value held a personal identifier

    def to_dict(self) -> dict:
        return asdict(self)

    def to_yaml(self, origin: str = "") -> str:
        """The draft in the catalog format (strings JSON-quoted: valid YAML whatever they hold)."""
        def q(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)

        lines = [
            "# Product catalog drafted by `defectradar catalog build`" + (f" from {q(origin)}" if origin else "") + ".",
            f"# {len(self.products):,} products from {self.rows:,} rows ({self.rows_without_model:,} naming no model, "
            f"{self.rows_withheld:,} withheld for holding a personal identifier).",
            "# Review before use: merge spellings of one model, add aliases and launch_date / end_of_production.",
            "version: 1",
            f"category: {self.category}",
            "products:",
        ]
        for product in self.products:
            lines += [f"  # {product.rows:,} row{'s' if product.rows != 1 else ''}",
                      f"  - id: {q(product.product_id)}",
                      f"    brand: {q(product.brand)}",
                      f"    name: {q(product.name)}"]
            if product.aliases:
                lines.append(f"    aliases: [{', '.join(q(a) for a in product.aliases)}]")
        return "\n".join(lines) + "\n"


def _distinctive(model: str) -> bool:
    folded = fold_name(model)
    return len(folded) >= 3 and any(c.isdigit() for c in folded) and any(c.isalpha() for c in folded)


def _has_identifier(value: str) -> bool:
    from defectradar.core.identifiers import MAYBE_IDENTIFIER, find_identifiers

    return bool(MAYBE_IDENTIFIER.search(value)) and bool(find_identifiers(value))


def _guess_category(brands: Counter) -> str:
    from defectradar.text.subject import MAKER_KINDS

    kinds = Counter()
    for brand, count in brands.items():
        kinds[MAKER_KINDS.get(fold_name(brand.split()[0]) if brand.split() else "", PHONE_CATEGORY)] += count
    return kinds.most_common(1)[0][0] if kinds else PHONE_CATEGORY


def draft_catalog(pairs: Iterable[tuple[str | None, str | None]], category: str | None = None) -> CatalogDraft:
    """A catalog of the distinct brand x model values of ``pairs``.

    Parameters
    ----------
    pairs
        ``(brand, model)`` per row; either may be None or blank.
    category
        The catalog's ``category`` (``phone``, ``vehicle`` ...); guessed from the brands when
        None (vehicle or appliance makers, else phone).

    Examples
    --------
    >>> draft = draft_catalog([("Apple", "iPhone 6"), ("Apple", "iphone6"), ("", "iPhone 6"), ("LG", "K10 Power")])
    >>> [(p.product_id, p.rows, p.aliases) for p in draft.products]
    [('apple-iphone6', 3, ['iPhone 6']), ('lg-k10-power', 1, ['K10 Power'])]
    """
    draft = CatalogDraft(category or PHONE_CATEGORY)
    groups: dict[str, dict] = {}
    unbranded: Counter = Counter()
    spellings_unbranded: dict[str, Counter] = {}
    brands: Counter = Counter()
    for brand, model in pairs:
        draft.rows += 1
        brand = " ".join(str(brand or "").split())
        model = " ".join(str(model or "").split())
        if not model or fold_name(model) in _GENERIC:
            draft.rows_without_model += 1
            continue
        if _has_identifier(model) or (brand and _has_identifier(brand)):
            draft.rows_withheld += 1
            continue
        if not brand:
            unbranded[fold_name(model)] += 1
            spellings_unbranded.setdefault(fold_name(model), Counter())[model] += 1
            continue
        brands[brand] += 1
        name = brand_and_model(model, brand)
        group = groups.setdefault(fold_name(name), {"names": Counter(), "brands": Counter(), "models": Counter()})
        group["names"][name] += 1
        group["brands"][brand] += 1
        group["models"][model] += 1
    # A model seen without a brand joins the one branded product whose model it is.
    by_model: dict[str, list[str]] = {}
    for key, group in groups.items():
        for model in group["models"]:
            by_model.setdefault(fold_name(model), []).append(key)
    for folded, count in unbranded.items():
        owners = sorted(set(by_model.get(folded, ())))
        if len(owners) == 1:
            group = groups[owners[0]]
        else:
            group = groups.setdefault(f"\0{folded}", {"names": Counter(), "brands": Counter(), "models": Counter()})
            group["brands"][UNKNOWN_BRAND] += count
            group["names"].update(spellings_unbranded[folded])
        group["models"].update(spellings_unbranded[folded])
    if category is None:
        draft.category = _guess_category(brands)
    draft.products = _products(groups)
    return draft


def _products(groups: dict[str, dict]) -> list[DraftProduct]:
    products, ids = [], Counter()
    alias_owners: Counter = Counter()
    for group in groups.values():
        for model in {fold_name(m) for m in group["models"] if _distinctive(m)}:
            alias_owners[model] += 1
    for group in sorted(groups.values(), key=lambda g: (-sum(g["models"].values()), g["names"].most_common(1)[0][0])):
        name = group["names"].most_common(1)[0][0]
        brand = group["brands"].most_common(1)[0][0]
        base = product_slug(name) or "product"
        ids[base] += 1
        product_id = base if ids[base] == 1 else f"{base}-{ids[base]}"
        aliases: dict[str, str] = {}
        for spelling, _ in group["models"].most_common():
            folded = fold_name(spelling)
            if _distinctive(spelling) and alias_owners[folded] == 1 and folded != fold_name(name):
                aliases.setdefault(folded, spelling)
        for spelling, _ in group["names"].most_common():
            if fold_name(spelling) != fold_name(name):
                aliases.setdefault(fold_name(spelling), spelling)
        products.append(DraftProduct(product_id, brand, name, list(aliases.values()), sum(group["models"].values())))
    return products


def read_brand_model(path: str | Path, brand_col: str, model_col: str) -> Iterator[tuple[str | None, str | None]]:
    """``(brand, model)`` per row of a CSV, JSON-lines, Parquet (or any tabular file ``ingest``
    reads), read the way ingest reads it (encoding and delimiter detected)."""
    from defectradar.core.masking import shown
    from defectradar.ingest.formats import ReadOptions, read_tabular, take_sample

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    sample = take_sample(path)
    columns: tuple[str, str] | None = None
    for batch in read_tabular(sample, ReadOptions(), fields=()):
        table = batch.table
        if columns is None:
            names = {n.removeprefix("extra:").strip().lower(): n for n in table.column_names if n != "_row"}
            found = []
            for wanted, flag in ((brand_col, "--brand-col"), (model_col, "--model-col")):
                if wanted.strip().lower() not in names:
                    shown_names = ", ".join(shown(n.removeprefix("extra:")) for n in list(names.values())[:30])
                    raise InputError(f"{path}: no column {shown(wanted)} for {flag}; its columns are {shown_names}")
                found.append(names[wanted.strip().lower()])
            columns = (found[0], found[1])
        if table.num_rows:
            yield from zip(table.column(columns[0]).to_pylist(), table.column(columns[1]).to_pylist())
    if columns is None:
        raise InputError(f"{path}: no rows")


def check_draft(text: str, origin: str) -> None:
    """The draft must load as a catalog (the same parser as ``--catalog``)."""
    parse_catalog(text, origin)
