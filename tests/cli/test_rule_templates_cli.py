"""Rule sentence templates in a user's rule set: only ``{name}``, checked on load, filled safely.

A template holding ``{x.y}`` used to end ``remedies check`` in an AttributeError traceback.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app
from defectradar.errors import InputError
from defectradar.remedies import parse_rule_set

runner = CliRunner()

POLICY = """\
id: acme-wifi
kind: manufacturer_policy
maker: Acme
title: {{en: Acme Wi-Fi policy}}
jurisdiction: CN
effective_from: 2021-01-01
covers: {{products: [xiaomi-11], failure_modes: [wifi]}}
reference: Acme notice 1
parameters:
  first_failure_remedies:
    kind: remedies
    values: {{2021-01-01: [exchange]}}
  repeat_failure_remedies:
    kind: remedies
    values: {{2021-01-01: [refund]}}
  coverage_months:
    kind: months
    favours: higher
    values: {{2021-01-01: 24}}
  exchanged_unit_extra_days:
    kind: days
    favours: higher
    values: {{2021-01-01: 0}}
rules:
  - id: acme.first
    logic: policy.first_failure
    reference: clause 1
    text:
      en: "{template}"
  - id: acme.repeat
    logic: policy.repeat_failure
    reference: clause 2
    text: "Repeat failure: {{remedies}}."
"""
CASE = {"device": {"product": "Mi 11", "purchase_date": "2021-10-20", "jurisdiction": "CN"},
        "events": [{"date": "2022-03-02", "type": "repair", "failure_mode": "wifi"}]}


@pytest.fixture
def rules_dir(tmp_path, monkeypatch):
    folder = tmp_path / "rules"
    folder.mkdir()
    monkeypatch.setenv("DEFECTRADAR_RULES_DIR", str(folder))
    return folder


def _check(tmp_path, rules_dir, template, *args):
    (rules_dir / "acme.yaml").write_text(POLICY.format(template=template), "utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE), "utf-8")
    return runner.invoke(app, ["remedies", "check", str(case), "--as-of", "2022-04-01", *args])


@pytest.mark.parametrize("template, placeholder", [
    ("First failure until {cover_end.year}: {remedies}.", "{cover_end.year}"),
    ("First failure: {remedies[0]}.", "{remedies[0]}"),
    ("First failure: {__class__}.", "{__class__}"),
    ("First failure: {remedies!r}.", "{remedies!r}"),
    ("First failure: {remedies:{width}}.", "{remedies:{width}}"),
    ("First failure: {remedies:>999999999}.", "{remedies:>999999999}"),
    ("First failure: {0}.", "{0}"),
])
def test_a_template_reaching_into_objects_is_refused_on_load_with_file_line_and_placeholder(
        tmp_path, rules_dir, template, placeholder):
    result = _check(tmp_path, rules_dir, template)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert f"acme.yaml:29: rules[0].text.en: placeholder {placeholder}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    listed = runner.invoke(app, ["policies", "list"])          # every command that loads the rules
    assert listed.exit_code == 2 and "acme.yaml:29" in listed.output


def test_an_unmatched_brace_is_refused_on_load(tmp_path, rules_dir):
    result = _check(tmp_path, rules_dir, "First failure: {remedies.")
    assert result.exit_code == 2 and "acme.yaml:29: rules[0].text.en:" in result.output
    assert "{{" in result.output                              # says how to write a literal brace


def test_plain_names_and_simple_specs_are_filled(tmp_path, rules_dir):
    result = _check(tmp_path, rules_dir, "First failure (cover to {cover_end:>12}, {unknown}): {remedies}. {{ok}}",
                    "--json")
    assert result.exit_code == 0, result.output
    texts = [r["text"] for r in json.loads(result.stdout)["steps"][0]["rules"] if r["id"] == "acme.first"]
    assert texts == ["First failure (cover to   2023-10-20, {unknown}): exchange. {ok}"]


def test_the_template_error_names_file_and_line():
    text = POLICY.format(template="First failure: {remedies.__class__}.")
    with pytest.raises(InputError, match=r"^mine.yaml:29: rules\[0\].text.en: placeholder {remedies.__class__} "):
        parse_rule_set(text, "mine.yaml")


def test_fill_never_reaches_into_values_and_never_fails():
    from defectradar.remedies.templates import fill, template_problem

    class Secret:
        password = "hunter2"

        def __format__(self, spec):
            raise RuntimeError("formatted")      # a value is only ever formatted through format(); see below

    values = {"x": Secret(), "n": 7, "s": "text"}
    # Templates built in code (not loaded from a file) are still filled safely.
    assert fill("{x.password} {x[0]} {n:.2f} {s:d} {missing} {n!r}", values) == \
        "{x.password} {x[0]} 7.00 text {missing} {n!r}"
    assert fill("{oops", values) == "{oops"
    assert template_problem("{n:.2f} and {s}") is None
