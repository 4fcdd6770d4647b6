"""Rule sets: one YAML file each, checked against a schema and printed back the same.

A rule set is a law or a manufacturer policy: an ``id``, a ``kind`` (``statute`` or
``manufacturer_policy``), a ``jurisdiction``, ``effective_from``/``effective_to``, the products
and failure modes it ``covers``, a citation (``reference``), dated ``parameters`` and ``rules``.
A rule names a ``logic`` function (:mod:`defectradar.remedies.logic`), the article it rests on
and its sentence in each language.  ``docs/rules.md`` is the authoring guide.

Every error names the file and line and says what is allowed, e.g.
``xiaomi.yaml:14: parameters.first_failure_remedies.values.2022-09-15: must be a list of
remedies (refund, exchange, price_reduction, repair), not 'swap'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import yaml

from defectradar.core.dates import as_date
from defectradar.errors import InputError
from defectradar.remedies.parameters import (
    FAVOURS,
    KINDS,
    NUMERIC_KINDS,
    DatedValue,
    Parameter,
    check_value,
    default_favours,
    frozen,
    thawed,
)
from defectradar.remedies.templates import template_problem
from defectradar.remedies.vocabulary import LANGUAGES
from defectradar.remedies.yaml_lines import LinedDict, LinedList, load_lined_yaml
from defectradar.user_files import shown

RULE_SET_KINDS = ("statute", "manufacturer_policy")
APPLIES_BY = ("event", "purchase")
_TOP_KEYS = ("id", "kind", "title", "jurisdiction", "maker", "effective_from", "effective_to", "applies_by",
             "covers", "reference", "parameters", "rules")
_REQUIRED = ("id", "kind", "title", "jurisdiction", "effective_from", "reference", "rules")
_REFERENCE_KEYS = ("document", "article", "url", "date", "note")
_PARAMETER_KEYS = ("description", "kind", "favours", "fixed_at", "values")
_RULE_KEYS = ("id", "logic", "reference", "text")
_COVERS_KEYS = ("products", "failure_modes")


@dataclass(frozen=True)
class Reference:
    """Where a rule set comes from: a law, an article, a document or a report."""

    document: str
    article: str | None = None
    url: str | None = None
    date: date | None = None
    note: str | None = None

    def cite(self) -> str:
        parts = [self.document] + [p for p in (self.article, self.url) if p]
        return ", ".join(parts)


@dataclass(frozen=True)
class Rule:
    """One provision: its id, the Python logic that decides it, its article and its sentence."""

    id: str
    logic: str
    reference: str
    text: tuple[tuple[str, str], ...]     # (lang, template) pairs

    def template(self, lang: str) -> str:
        texts = dict(self.text)
        return texts.get(lang) or texts["en"]


@dataclass(frozen=True)
class RuleSet:
    """A law or policy with its dated parameters and rules (see the module docstring)."""

    id: str
    kind: str
    title: tuple[tuple[str, str], ...]
    jurisdiction: str
    maker: str | None
    effective_from: date
    effective_to: date | None
    applies_by: str
    products: tuple[str, ...] | None       # None: every product
    failure_modes: tuple[str, ...] | None  # None: every failure mode
    references: tuple[Reference, ...]
    parameters: tuple[Parameter, ...]
    rules: tuple[Rule, ...]

    def title_in(self, lang: str) -> str:
        titles = dict(self.title)
        return titles.get(lang) or titles["en"]

    @cached_property
    def _parameters_by_name(self) -> dict[str, Parameter]:
        return {parameter.name: parameter for parameter in self.parameters}

    def parameter(self, name: str) -> Parameter:
        try:
            return self._parameters_by_name[name]
        except KeyError:
            raise KeyError(f"rule set {self.id} has no parameter {name!r}") from None

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def covers(self, product_id: str | None, failure_mode: str | None) -> bool:
        return ((self.products is None or product_id in self.products)
                and (self.failure_modes is None or failure_mode in self.failure_modes))

    def citation(self) -> str:
        return self.references[0].cite()

    def versions(self) -> list[date]:
        """The days this rule set changed: its start and every parameter change inside its life."""
        days = {self.effective_from}
        for parameter in self.parameters:
            days.update(d for d in parameter.change_dates() if d >= self.effective_from)
        return sorted(d for d in days if self.effective_to is None or d <= self.effective_to)


class _Checker:
    """Walks a lined document, collecting the rule set or failing with file:line and the fix."""

    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, line: int, path: str, message: str):
        raise InputError(f"{self.origin}:{line}: {path}: {message}")

    def mapping(self, value, line: int, path: str, keys, required=()) -> LinedDict:
        if not isinstance(value, dict):
            self.fail(line, path, f"must be a mapping with keys {', '.join(keys)}")
        unknown = [k for k in value if k not in keys]
        if unknown:
            self.fail(value.line_of(unknown[0]) if isinstance(value, LinedDict) else line, f"{path}.{unknown[0]}",
                      f"unknown key; allowed: {', '.join(keys)}")
        for key in required:
            if value.get(key) in (None, ""):
                self.fail(line, f"{path}.{key}" if path else key, "is required")
        return value

    def text(self, value, line: int, path: str, optional=False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(line, path, f"must be text, not {shown(value)}")
        return value

    def day(self, value, line: int, path: str, optional=False) -> date | None:
        if value is None and optional:
            return None
        try:
            return as_date(value, path, required=True)
        except InputError:
            self.fail(line, path, f"{shown(value)} is not a date (YYYY-MM-DD)")

    def choice(self, value, line: int, path: str, allowed, optional=False):
        if value is None and optional:
            return None
        if value not in allowed:
            self.fail(line, path, f"{shown(value)} is not one of {', '.join(map(str, allowed))}")
        return value

    def texts(self, value, line: int, path: str) -> tuple[tuple[str, str], ...]:
        if isinstance(value, str):
            value = {"en": value}
        self.mapping(value, line, path, LANGUAGES, required=("en",))
        return tuple((lang, self.text(value[lang], value.line_of(lang) if isinstance(value, LinedDict) else line,
                                      f"{path}.{lang}")) for lang in LANGUAGES if value.get(lang) is not None)

    def names(self, value, line: int, path: str) -> tuple[str, ...] | None:
        if value is None or value == "all":
            return None
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            self.fail(line, path, "must be 'all' or a list of ids")
        return tuple(value)


def _references(check: _Checker, value, line: int) -> tuple[Reference, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        check.fail(line, "reference", "needs at least one citation")
    result = []
    for index, item in enumerate(items):
        where = f"reference[{index}]" if isinstance(value, list) else "reference"
        item_line = value.line_of(index) if isinstance(value, LinedList) else line
        if isinstance(item, str):
            item = {"document": item}
        check.mapping(item, item_line, where, _REFERENCE_KEYS, required=("document",))
        at = item.line_of if isinstance(item, LinedDict) else (lambda _k: item_line)
        result.append(Reference(check.text(item["document"], at("document"), f"{where}.document"),
                                check.text(item.get("article"), at("article"), f"{where}.article", optional=True),
                                check.text(item.get("url"), at("url"), f"{where}.url", optional=True),
                                check.day(item.get("date"), at("date"), f"{where}.date", optional=True),
                                check.text(item.get("note"), at("note"), f"{where}.note", optional=True)))
    return tuple(result)


def _parameter(check: _Checker, name: str, value, line: int) -> Parameter:
    path = f"parameters.{name}"
    check.mapping(value, line, path, _PARAMETER_KEYS, required=("kind", "values"))
    kind = check.choice(value["kind"], value.line_of("kind"), f"{path}.kind", tuple(KINDS))
    favours = check.choice(value.get("favours"), value.line_of("favours"), f"{path}.favours", FAVOURS, optional=True)
    if favours is None:
        favours = default_favours(kind)
        if favours is None and kind in NUMERIC_KINDS + ("flag",):
            check.fail(value.line, f"{path}.favours", "is required for numbers and flags: say whether higher or "
                       "lower (true or false) favours the consumer")
    fixed_at = check.choice(value.get("fixed_at", "event"), value.line_of("fixed_at"), f"{path}.fixed_at", APPLIES_BY)
    values = value["values"]
    if not isinstance(values, dict) or not values:
        check.fail(value.line_of("values"), f"{path}.values", "must map start dates to values")
    dated = []
    for start, entry in values.items():
        entry_line = values.line_of(start) if isinstance(values, LinedDict) else line
        where = f"{path}.values.{start}"
        reference = None
        if isinstance(entry, dict) and "value" in entry:
            check.mapping(entry, entry_line, where, ("value", "reference"))
            reference = check.text(entry.get("reference"), entry_line, f"{where}.reference", optional=True)
            entry = entry["value"]
        problem = check_value(kind, entry)
        if problem:
            check.fail(entry_line, where, problem)
        dated.append(DatedValue(check.day(start, entry_line, where), frozen(entry), reference))
    dated.sort(key=lambda d: d.start)
    description = check.text(value.get("description", name), value.line_of("description"), f"{path}.description")
    return Parameter(name, kind, description, favours, fixed_at, tuple(dated))


def _rules(check: _Checker, value, line: int) -> tuple[Rule, ...]:
    from defectradar.remedies.logic import LOGIC  # the registry imports rule modules; keep schema import-light

    if not isinstance(value, list) or not value:
        check.fail(line, "rules", "must be a list of at least one rule")
    rules, seen = [], set()
    for index, item in enumerate(value):
        item_line = value.line_of(index) if isinstance(value, LinedList) else line
        where = f"rules[{index}]"
        check.mapping(item, item_line, where, _RULE_KEYS, required=("id", "logic", "reference", "text"))
        rule_id = check.text(item["id"], item.line_of("id"), f"{where}.id")
        if rule_id in seen:
            check.fail(item.line_of("id"), f"{where}.id", f"{shown(rule_id)} appears twice")
        seen.add(rule_id)
        logic = check.choice(item["logic"], item.line_of("logic"), f"{where}.logic", tuple(sorted(LOGIC)))
        texts = check.texts(item["text"], item.line_of("text"), f"{where}.text")
        for lang, template in texts:
            problem = template_problem(template)
            if problem:
                text = item["text"]
                check.fail(text.line_of(lang) if isinstance(text, LinedDict) else item.line_of("text"),
                           f"{where}.text.{lang}", problem)
        rules.append(Rule(rule_id, logic, check.text(item["reference"], item.line_of("reference"), f"{where}.reference"),
                          texts))
    return tuple(rules)


def parse_rule_set(text: str, origin: str) -> RuleSet:
    """Check and build one rule set from YAML ``text``; ``origin`` names it in errors."""
    check = _Checker(origin)
    doc = load_lined_yaml(text, origin)
    check.mapping(doc, getattr(doc, "line", 1), "rule set", _TOP_KEYS, required=_REQUIRED)
    at = doc.line_of
    kind = check.choice(doc["kind"], at("kind"), "kind", RULE_SET_KINDS)
    maker = check.text(doc.get("maker"), at("maker"), "maker", optional=True)
    if kind == "manufacturer_policy" and maker is None:
        check.fail(doc.line, "maker", "is required for a manufacturer_policy")
    covers = check.mapping(doc.get("covers") or LinedDict(), at("covers"), "covers", _COVERS_KEYS)
    cover_at = covers.line_of if isinstance(covers, LinedDict) else (lambda _k: at("covers"))
    parameters = doc.get("parameters") or {}
    if not isinstance(parameters, dict):
        check.fail(at("parameters"), "parameters", "must map parameter names to their definitions")
    effective_from = check.day(doc["effective_from"], at("effective_from"), "effective_from")
    effective_to = check.day(doc.get("effective_to"), at("effective_to"), "effective_to", optional=True)
    if effective_to is not None and effective_to < effective_from:
        check.fail(at("effective_to"), "effective_to", f"{effective_to} is before effective_from {effective_from}")
    rule_set = RuleSet(
        id=check.text(doc["id"], at("id"), "id"),
        kind=kind,
        title=check.texts(doc["title"], at("title"), "title"),
        jurisdiction=check.text(doc["jurisdiction"], at("jurisdiction"), "jurisdiction").upper(),
        maker=maker,
        effective_from=effective_from,
        effective_to=effective_to,
        applies_by=check.choice(doc.get("applies_by", "event"), at("applies_by"), "applies_by", APPLIES_BY),
        products=check.names(covers.get("products"), cover_at("products"), "covers.products"),
        failure_modes=check.names(covers.get("failure_modes"), cover_at("failure_modes"), "covers.failure_modes"),
        references=_references(check, doc["reference"], at("reference")),
        parameters=tuple(_parameter(check, str(name), value, parameters.line_of(name) if isinstance(
            parameters, LinedDict) else at("parameters")) for name, value in parameters.items()),
        rules=_rules(check, doc["rules"], at("rules")),
    )
    return rule_set


def rule_set_document(rule_set: RuleSet) -> dict[str, Any]:
    """The rule set as plain data in the file layout (the inverse of :func:`parse_rule_set`)."""
    def texts(pairs):
        return dict(pairs)

    def reference(ref: Reference) -> dict:
        data = {"document": ref.document, "article": ref.article, "url": ref.url,
                "date": ref.date.isoformat() if ref.date else None, "note": ref.note}
        return {k: v for k, v in data.items() if v is not None}

    def parameter(p: Parameter) -> dict:
        values = {}
        for dated in p.values:
            value = thawed(dated.value, p.kind)
            values[dated.start.isoformat()] = ({"value": value, "reference": dated.reference}
                                               if dated.reference else value)
        return {"description": p.description, "kind": p.kind, "favours": p.favours, "fixed_at": p.fixed_at,
                "values": values}

    document = {
        "id": rule_set.id, "kind": rule_set.kind, "title": texts(rule_set.title),
        "jurisdiction": rule_set.jurisdiction, "maker": rule_set.maker,
        "effective_from": rule_set.effective_from.isoformat(),
        "effective_to": rule_set.effective_to.isoformat() if rule_set.effective_to else None,
        "applies_by": rule_set.applies_by,
        "covers": {"products": list(rule_set.products) if rule_set.products else "all",
                   "failure_modes": list(rule_set.failure_modes) if rule_set.failure_modes else "all"},
        "reference": [reference(r) for r in rule_set.references],
        "parameters": {p.name: parameter(p) for p in rule_set.parameters},
        "rules": [{"id": r.id, "logic": r.logic, "reference": r.reference, "text": texts(r.text)}
                  for r in rule_set.rules],
    }
    if document["maker"] is None:
        del document["maker"]
    return document


def dump_rule_set(rule_set: RuleSet) -> str:
    """YAML text that :func:`parse_rule_set` reads back to an equal rule set."""
    return yaml.safe_dump(rule_set_document(rule_set), sort_keys=False, allow_unicode=True, width=100)
