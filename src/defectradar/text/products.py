"""Finding the phone a text is about: a gazetteer of catalog aliases.

Matching works on the ``match`` form of a text (simplified, half-width, lower case) with
spaces, hyphens and underscores folded away, so "Mi 11 Pro", "mi11pro" and "MI-11-PRO" are one
name.  Aho-Corasick (``pyahocorasick``) finds every alias in one pass.  Then:

* a hit must not continue a Latin word or number of the original text ("小米110" is not
  "小米11", "HP400" is not "P40");
* the longest hit wins over the hits it overlaps ("小米11 Pro" is not "小米11");
* an alias that several products share is settled by a brand word elsewhere in the text
  ("Note 8" with "三星" is the Galaxy); if nothing settles it, every candidate is returned with
  a low confidence instead of a guess;
* several different products in one text (a comparison) lower each one's confidence.

A structured product field (a CSV's model column, NHTSA's make + model) is matched by
:meth:`ProductMatcher.match_field`: its brand, when the file gives one, must fit the catalog
product's maker ("Siemens A52" is not the Galaxy A52); a name no catalog lists becomes an
uncatalogued id, the product as named (``named:ford-escape``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import ahocorasick

from defectradar.domain.catalog import Catalog, brand_and_model, fold_name, uncatalogued_id

# Words that name a maker (not a model); used to settle aliases shared across brands.
BRAND_WORDS = {
    "Xiaomi": ("xiaomi", "小米", "米家"), "Redmi": ("redmi", "红米"), "POCO": ("poco",),
    "Huawei": ("huawei", "华为"), "Honor": ("honor", "荣耀"), "OPPO": ("oppo",),
    "OnePlus": ("oneplus", "一加"), "realme": ("realme", "真我"), "vivo": ("vivo",),
    "iQOO": ("iqoo",), "Apple": ("apple", "苹果", "iphone"), "Samsung": ("samsung", "三星", "galaxy"),
    "Google": ("google", "谷歌", "pixel"), "Meizu": ("meizu", "魅族"), "nubia": ("nubia", "努比亚", "红魔"),
    "Motorola": ("motorola", "摩托罗拉", "moto"), "Lenovo": ("lenovo", "联想"),
}
# Makers that sell under one another's names: a brand column saying "Xiaomi" fits a Redmi model
# and "Huawei" an Honor one (as repair logs write them).
BRAND_FAMILIES = {"Redmi": "Xiaomi", "POCO": "Xiaomi", "Honor": "Huawei", "OnePlus": "OPPO", "realme": "OPPO",
                  "iQOO": "vivo", "Motorola": "Lenovo"}
# Product fields that name no model: treated as blank (the text may still name one).
GENERIC_PRODUCT_NAMES = frozenset(fold_name(n) for n in (
    "phone", "smartphone", "smart phone", "mobile", "mobile phone", "cellphone", "cell phone", "handy", "telefon",
    "telephone", "mobiltelefon", "gsm", "手机", "智能手机", "unknown", "not recorded", "n/a", "na", "none", "other",
    "others", "-", "?", "未知", "其他", "其它", "不详"))
STRONG, WEAK, AMBIGUOUS_TOTAL = 0.95, 0.8, 0.9
FIELD_EXACT, FIELD_TEXT_MATCH, FIELD_AS_NAMED = 1.0, 0.9, 1.0   # product_confidence of a structured field
SEVERAL_PRODUCTS = 0.8   # factor on each product's confidence when a text names several


@dataclass(frozen=True)
class ProductMention:
    product_id: str
    name: str
    confidence: float
    alias: str
    start: int          # span in the match form of the text
    end: int

    def to_dict(self) -> dict:
        return {"product_id": self.product_id, "name": self.name, "confidence": round(self.confidence, 3)}


@dataclass(frozen=True)
class FieldMatch:
    """What a structured product field names.

    ``kind`` is ``catalog`` (a catalog product), ``uncatalogued`` (in no catalog: the id is the
    name as given), ``ambiguous`` (several catalog products fit equally: no id, flagged as for
    texts) or ``none`` (blank, or only a word such as "Smartphone").  ``model_named`` is False
    for an uncatalogued id made from a brand alone (``named:apple``): a model the text names
    is then the better answer.
    """

    product_id: str | None
    confidence: float | None
    kind: str
    model_named: bool = True


NO_FIELD = FieldMatch(None, None, "none", False)
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_SEPARATORS = re.compile(r"([\s\-_]+)")      # one group: split() keeps what it cuts
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _fold(text: str) -> tuple[str, list[str]]:
    """``text`` without spaces/hyphens/underscores, and ``text`` split into runs kept and cut
    (kept, cut, kept, ..., kept), from which :func:`_original_index` maps positions back."""
    parts = _SEPARATORS.split(text)
    return ("".join(parts[::2]) if len(parts) > 1 else text), parts


def _original_index(index: int, parts: list[str]) -> int:
    """Where the character at ``index`` of the folded text stands in the original.

    Only the few hits of a text need it, so it is computed per hit rather than as a table of
    every character's position (building that cost more than the whole alias search)."""
    offset = 0
    for n in range(0, len(parts) - 1, 2):
        kept = len(parts[n])
        if index < kept:
            break
        index -= kept
        offset += kept + len(parts[n + 1])
    return offset + index


_SUFFIXES = ((r"promax$", ("pm",)), (r"ultra$", ("u",)), (r"plus$", ("+",)))


def _shorthands(folded: str) -> list[str]:
    variants = []
    for pattern, replacements in _SUFFIXES:
        if re.search(pattern, folded) and re.search(r"\d", folded):
            variants.extend(re.sub(pattern, r, folded) for r in replacements)
    return variants


def _latin_or_digit(ch: str) -> bool:
    return ch in _ASCII_ALNUM      # ch.isascii() and ch.isalnum(), as one set lookup


class ProductMatcher:
    """Finds catalog products named in texts.

    Parameters
    ----------
    catalog
        The product catalog; every product's id, names and aliases are searched for.

    Examples
    --------
    >>> from defectradar.domain.catalog import builtin_catalog
    >>> matcher = ProductMatcher(builtin_catalog())
    >>> [m.product_id for m in matcher.find("my mi 11 pro wifi died")]
    ['xiaomi-11-pro']
    """

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @cached_property
    def _automaton(self) -> ahocorasick.Automaton:
        owners: dict[str, set[str]] = {}
        for product in self.catalog.products:
            names = {product.name, product.name_zh, *product.aliases}
            for name in names:
                if name:
                    folded = fold_name(name)
                    if len(folded) >= 2:
                        owners.setdefault(folded, set()).add(product.product_id)
        # Shorthand owners write for suffixes ("12 Pro Max" -> "12PM", "S21 Ultra" -> "S21U"),
        # added where no other product already owns the short form.
        shorthand: dict[str, set[str]] = {}
        for folded, products in owners.items():
            for variant in _shorthands(folded):
                if variant not in owners and len(variant) >= 4:
                    shorthand.setdefault(variant, set()).update(products)
        owners.update(shorthand)
        # Model names without the maker ("S21 Ultra", "13 Pro Max", "Mate40Pro"): weaker evidence,
        # and shared when two makers use the same name ("12 Pro"), to be settled by brand words.
        bare: dict[str, set[str]] = {}
        brand_prefixes = sorted({fold_name(w) for words in BRAND_WORDS.values() for w in words}, key=len, reverse=True)
        for folded, products in list(owners.items()):
            for prefix in brand_prefixes:
                if folded.startswith(prefix):
                    rest = folded[len(prefix):]
                    if len(rest) >= 3 and re.search(r"\d", rest) and re.search(r"[a-z]", rest):
                        bare.setdefault(rest, set()).update(products)
                    break
        for name, products in bare.items():
            if name not in owners:
                owners[name] = products
        automaton = ahocorasick.Automaton()
        for folded, products in owners.items():
            automaton.add_word(folded, (folded, tuple(sorted(products))))
        automaton.make_automaton()
        return automaton

    @cached_property
    def _brand_of(self) -> dict[str, str]:
        return {p.product_id: p.brand for p in self.catalog.products}

    @cached_property
    def _names(self) -> dict[str, str]:
        return {p.product_id: p.name for p in self.catalog.products}

    @cached_property
    def _family_words(self) -> dict[str, frozenset[str]]:
        """Catalog brand -> folded words naming it or a maker of its family."""
        brands = {p.brand for p in self.catalog.products}
        root = {b: BRAND_FAMILIES.get(b, b) for b in brands | set(BRAND_WORDS) | set(BRAND_FAMILIES)}
        words: dict[str, set[str]] = {}
        for brand, family in root.items():
            words.setdefault(family, set()).update(
                {fold_name(brand), *(fold_name(w) for w in BRAND_WORDS.get(brand, ()))})
        return {b: frozenset(words[root[b]]) for b in brands}

    def brand_fits(self, brand: str, product_id: str) -> bool:
        """True when a file's brand value ("Samsung", "LG Electronics", "小米") may be the maker of
        ``product_id`` (its brand or a brand of its family)."""
        folded = fold_name(brand)
        words = self._family_words.get(self._brand_of.get(product_id, ""), frozenset())
        return any(folded == w or (folded.startswith(w) and len(w) >= 2) for w in words)

    def _foreign_word_before(self, text: str, mention: ProductMention) -> bool:
        """A bare model code ("A52") after a word that is not its maker's ("Siemens A52")."""
        words = self._family_words.get(self._brand_of[mention.product_id], frozenset())
        if any(w in mention.alias for w in words):
            return False       # the name carries its brand ("galaxya52"): nothing to doubt
        return any(w not in words for w in _LATIN_WORD.findall(text[:mention.start]))

    def match_field(self, value: str | None, brand: str | None = None) -> FieldMatch:
        """The product a structured field names, with the file's brand column when it has one.

        Catalog names first (exact, then read as text), each checked against ``brand``; without a
        brand column, a bare model code is refused after another maker's name.  Several catalog
        products fitting equally are ``ambiguous``; no catalog product at all gives the
        uncatalogued id of brand + model.

        Examples
        --------
        >>> from defectradar.domain.catalog import builtin_catalog
        >>> matcher = ProductMatcher(builtin_catalog())
        >>> matcher.match_field("A52", brand="Siemens").product_id
        'named:siemens-a52'
        >>> matcher.match_field("Galaxy A52", brand="Samsung").product_id
        'galaxy-a52'
        """
        model = " ".join(str(value or "").split())
        brand = " ".join(str(brand or "").split())
        # "Samsung Smartphone" (brand and model joined at ingest) names no model either.
        if brand and model.casefold().startswith(brand.casefold()):
            rest = model[len(brand):]
        else:
            rest = model
        if fold_name(rest) in GENERIC_PRODUCT_NAMES:
            model = ""
        if fold_name(brand) in GENERIC_PRODUCT_NAMES:
            brand = ""
        if not model and not brand:
            return NO_FIELD
        if model:
            full = brand_and_model(model, brand)
            for name in dict.fromkeys((full, model)):
                exact = self.catalog.resolve(name)
                if exact and (not brand or self.brand_fits(brand, exact)):
                    return FieldMatch(exact, FIELD_EXACT, "catalog")
            from defectradar.text.normalise import normalise

            text = normalise(full).match
            found = [m for m in self.find(text)
                     if (self.brand_fits(brand, m.product_id) if brand else not self._foreign_word_before(text, m))]
            if found:
                top = found[0]
                if top.confidence >= WEAK and (len(found) == 1 or found[1].confidence < top.confidence):
                    return FieldMatch(top.product_id, FIELD_TEXT_MATCH, "catalog")
                return FieldMatch(None, None, "ambiguous")
        named = uncatalogued_id(model, brand)   # identifiers cut out there
        return FieldMatch(named, FIELD_AS_NAMED, "uncatalogued", bool(model)) if named else NO_FIELD

    def _strength(self, alias: str, product_ids: tuple[str, ...]) -> float:
        """Aliases that carry a brand word or are long are strong evidence; model codes less so."""
        key = (alias, product_ids)
        if key not in self._strengths:      # a few hundred aliases: computed once each
            self._strengths[key] = self._alias_strength(alias, product_ids)
        return self._strengths[key]

    @cached_property
    def _strengths(self) -> dict[tuple[str, tuple[str, ...]], float]:
        return {}

    def _alias_strength(self, alias: str, product_ids: tuple[str, ...]) -> float:
        brands = {self._brand_of[p] for p in product_ids}
        words = [w for b in brands for w in BRAND_WORDS.get(b, (b.lower(),))]
        if any(w in alias for w in words) or len(alias) >= 7:
            return STRONG
        return WEAK

    def find(self, match_text: str) -> list[ProductMention]:
        """Products named in a normalised (``match`` form) text, most confident first."""
        if not match_text:
            return []
        folded, parts = _fold(match_text)
        hits = []
        for end_index, (alias, product_ids) in self._automaton.iter(folded):
            start_index = end_index - len(alias) + 1
            first, last = _original_index(start_index, parts), _original_index(end_index, parts)
            if _latin_or_digit(alias[0]) and first > 0 and _latin_or_digit(match_text[first - 1]):
                continue
            if _latin_or_digit(alias[-1]) and last + 1 < len(match_text) and _latin_or_digit(match_text[last + 1]):
                continue
            hits.append((first, last + 1, alias, product_ids))
        # Longest first, then earliest: a longer alias hides the shorter ones inside it.
        hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        taken: list[tuple[int, int]] = []
        chosen = []
        for start, end, alias, product_ids in hits:
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            chosen.append((start, end, alias, product_ids))
        mentions = self._settle(match_text, chosen)
        distinct = {m.product_id for m in mentions}
        if len(distinct) > 1:
            mentions = [ProductMention(m.product_id, m.name, m.confidence * SEVERAL_PRODUCTS, m.alias,
                                       m.start, m.end) for m in mentions]
        best: dict[str, ProductMention] = {}
        for mention in sorted(mentions, key=lambda m: (m.start, -m.confidence)):
            if mention.product_id not in best or mention.confidence > best[mention.product_id].confidence:
                best[mention.product_id] = mention
        return sorted(best.values(), key=lambda m: (-m.confidence, m.start))

    def _settle(self, text: str, chosen) -> list[ProductMention]:
        mentions = []
        for start, end, alias, product_ids in chosen:
            if len(product_ids) == 1:
                pid = product_ids[0]
                mentions.append(ProductMention(pid, self._names[pid], self._strength(alias, product_ids),
                                               alias, start, end))
                continue
            named = [p for p in product_ids
                     if any(w in text for w in BRAND_WORDS.get(self._brand_of[p], (self._brand_of[p].lower(),)))]
            if len(named) == 1:
                mentions.append(ProductMention(named[0], self._names[named[0]], WEAK, alias, start, end))
                continue
            candidates = named or list(product_ids)
            share = AMBIGUOUS_TOTAL / len(candidates)
            mentions.extend(ProductMention(p, self._names[p], share, alias, start, end) for p in candidates)
        return mentions

    def resolve_field(self, value: str | None, brand: str | None = None) -> str | None:
        """The catalog product of a structured field (``小米11``, a JD listing title ...), or None.

        Exact catalog names first; otherwise the text match when it is one confident product
        (see :meth:`match_field`, which also gives uncatalogued ids).
        """
        match = self.match_field(value, brand)
        return match.product_id if match.kind == "catalog" else None
