"""Rule set files: the schema check names file and line, and files round-trip (parse, print, parse)."""

from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.errors import InputError
from defectradar.remedies import builtin_rule_book, dump_rule_set, load_rule_book, parse_rule_set
from defectradar.remedies.logic import LOGIC
from defectradar.remedies.vocabulary import REMEDIES

MINIMAL = """\
id: test-policy
kind: manufacturer_policy
maker: Testco
title: {en: Test policy, zh: 测试政策}
jurisdiction: CN
effective_from: 2021-01-01
covers: {products: [xiaomi-11], failure_modes: [wifi]}
reference: A notice
parameters:
  first_failure_remedies:
    kind: remedies
    values:
      2021-01-01: [exchange]
  repeat_failure_remedies:
    kind: remedies
    values:
      2021-01-01: [exchange]
  coverage_months:
    kind: months
    favours: higher
    values:
      2021-01-01: 12
  exchanged_unit_extra_days:
    kind: days
    favours: higher
    values:
      2021-01-01: 0
rules:
  - id: test.first
    logic: policy.first_failure
    reference: clause 1
    text: "First failure: {remedies}."
"""


@pytest.mark.parametrize("rule_set", builtin_rule_book().rule_sets, ids=lambda rs: rs.id)
def test_every_shipped_rule_set_round_trips_and_cites_its_source(rule_set):
    assert parse_rule_set(dump_rule_set(rule_set), "printed") == rule_set
    assert rule_set.references and rule_set.references[0].document
    assert all(rule.reference for rule in rule_set.rules)
    assert all(dict(rule.text).keys() == {"en", "zh"} for rule in rule_set.rules)


def test_the_shipped_rule_sets_are_the_ones_the_issue_names():
    book = builtin_rule_book()
    assert {"cn-mobile-phone-three-guarantees", "eu-2019-771-sale-of-goods", "xiaomi-11-series-wifi"} <= {
        rs.id for rs in book}
    assert book.get("cn-mobile-phone-three-guarantees").effective_from == date(2001, 11, 15)
    assert book.get("eu-2019-771-sale-of-goods").effective_from == date(2022, 1, 1)
    assert book.get("xiaomi-11-series-wifi").versions() == [date(2021, 8, 6), date(2022, 9, 15)]


@pytest.mark.parametrize("old, new, message", [
    ("maker: Testco\n", "maker: Testco\ncolour: red\n", "test.yaml:4: rule set.colour: unknown key"),
    ("      2021-01-01: 12\n", "      2021-01-01: twelve\n", "test.yaml:22: parameters.coverage_months.values.2021-01-01: "
                                                            "must be a whole number of months"),
    ("      2021-01-01: [exchange]\n  repeat", "      2021-01-01: [swap]\n  repeat",
     "test.yaml:13: parameters.first_failure_remedies.values.2021-01-01: must be a list of remedies"),
    ("effective_from: 2021-01-01", "effective_from: 2021-13-01", "test.yaml:6: effective_from: '2021-13-01' is not a date"),
    ("logic: policy.first_failure", "logic: policy.no_such", "test.yaml:30: rules[0].logic: 'policy.no_such' is not one of"),
    ("kind: manufacturer_policy", "kind: guideline", "test.yaml:2: kind: 'guideline' is not one of statute"),
    ("    favours: higher\n    values:\n      2021-01-01: 12", "    values:\n      2021-01-01: 12",
     "parameters.coverage_months.favours: is required"),
    ("id: test-policy\n", "id: test-policy\nid: again\n", "test.yaml:2: key 'id' appears twice"),
    ("maker: Testco\n", "", "maker: is required for a manufacturer_policy"),
    ("text: \"First failure: {remedies}.\"", "text: {fr: Premier}", "rules[0].text.fr: unknown key"),
])
def test_schema_errors_name_the_file_line_and_fix(old, new, message):
    assert old in MINIMAL
    with pytest.raises(InputError) as caught:
        parse_rule_set(MINIMAL.replace(old, new, 1), "test.yaml")
    assert message in str(caught.value)


def test_broken_yaml_names_the_line():
    with pytest.raises(InputError, match=r"test.yaml:4: not valid YAML"):
        parse_rule_set("id: x\nkind: statute\ntitle: [unclosed\n", "test.yaml")


def test_a_rules_dir_adds_and_replaces_rule_sets(tmp_path):
    (tmp_path / "mine.yaml").write_text(MINIMAL, "utf-8")
    book = load_rule_book(tmp_path)
    assert book.get("test-policy").maker == "Testco"
    assert len(book) == len(builtin_rule_book()) + 1
    (tmp_path / "twice.yaml").write_text(MINIMAL, "utf-8")
    with pytest.raises(InputError, match="defined twice"):
        load_rule_book(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        load_rule_book(tmp_path / "missing")


# --- property: any valid rule set prints and parses back to itself --------------------------------------------

_text = st.text(alphabet=string.ascii_letters + string.digits + " -.,()'小米三包换货", min_size=1, max_size=30).filter(
    lambda t: t.strip() == t and t.strip())
_ident = st.text(alphabet=string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=20).filter(
    lambda t: t[0].isalpha())
_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


def _values(kind):
    return {
        "days": st.integers(0, 3650), "months": st.integers(0, 120), "count": st.integers(0, 10),
        "flag": st.booleans(),
        "remedies": st.lists(st.sampled_from(REMEDIES), unique=True, max_size=4),
        "modes": st.lists(_ident, unique=True, max_size=4),
        "months_by_component": st.dictionaries(_ident, st.integers(0, 60), max_size=3),
        "component_by_mode": st.dictionaries(_ident, _ident, max_size=3),
    }[kind]


@st.composite
def _parameter(draw):
    kind = draw(st.sampled_from(["days", "months", "count", "flag", "remedies", "modes", "months_by_component",
                                 "component_by_mode"]))
    favours = {"flag": st.sampled_from(["true", "false"]), "remedies": st.sampled_from(["more", "fewer"])}.get(
        kind, st.sampled_from(["higher", "lower"]))
    starts = draw(st.lists(_days, min_size=1, max_size=3, unique=True))
    values = {}
    for start in starts:
        value = draw(_values(kind))
        reference = draw(st.one_of(st.none(), _text))
        values[start.isoformat()] = {"value": value, "reference": reference} if reference else value
    return {"description": draw(_text), "kind": kind, "favours": draw(favours),
            "fixed_at": draw(st.sampled_from(["event", "purchase"])), "values": values}


@st.composite
def _document(draw):
    start = draw(_days)
    end = draw(st.one_of(st.none(), st.integers(0, 5000).map(lambda n: (start + timedelta(days=n)).isoformat())))
    kind = draw(st.sampled_from(["statute", "manufacturer_policy"]))
    rules = draw(st.lists(st.tuples(_ident, st.sampled_from(sorted(LOGIC)), _text, _text), min_size=1, max_size=4,
                          unique_by=lambda r: r[0]))
    document = {
        "id": draw(_ident), "kind": kind, "title": {"en": draw(_text), "zh": draw(_text)},
        "jurisdiction": draw(st.sampled_from(["CN", "EU", "US"])), "effective_from": start.isoformat(),
        "effective_to": end, "applies_by": draw(st.sampled_from(["event", "purchase"])),
        "covers": {"products": draw(st.one_of(st.just("all"), st.lists(_ident, min_size=1, max_size=3))),
                   "failure_modes": draw(st.one_of(st.just("all"), st.lists(_ident, min_size=1, max_size=3)))},
        "reference": [{"document": draw(_text), "url": draw(st.one_of(st.none(), st.just("https://example.org/x")))}],
        "parameters": draw(st.dictionaries(_ident, _parameter(), max_size=4)),
        "rules": [{"id": r[0], "logic": r[1], "reference": r[2], "text": {"en": r[3]}} for r in rules],
    }
    if kind == "manufacturer_policy":
        document["maker"] = draw(_text)
    return document


@settings(max_examples=150, deadline=None)
@given(_document())
def test_rule_sets_round_trip(document):
    import yaml

    first = parse_rule_set(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "generated")
    printed = dump_rule_set(first)
    assert parse_rule_set(printed, "printed") == first
    assert dump_rule_set(parse_rule_set(printed, "printed")) == printed
